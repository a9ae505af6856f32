/* metrics: the proxy's counters, shown on the admin listener's /metrics
 * in Prometheus' text format. Atomic counters: no lock on the data path. */
#ifndef SCS_METRICS_H
#define SCS_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/decide.h"

#define METRICS_BUCKETS 12

struct metrics {
	atomic_ullong decisions[3];             /* by enum action */
	atomic_ullong violations[V_COUNT];     /* by kind; shown by label (violation.h) */
	atomic_ullong duration[METRICS_BUCKETS + 1], duration_count, duration_sum_us;
	atomic_ullong upstream_errors;
	atomic_ullong keystone_errors;
	atomic_ullong reloads, reload_failures;
	atomic_ullong shed;                     /* refused: too many connections */
	atomic_ullong origin_readbacks;         /* images read back from Glance to verify them */
	atomic_ullong images_deactivated;       /* taken out of use after the fact */
	atomic_uint connections;
	atomic_uint in_flight;                  /* requests between their first line and their answer's end */
};

void metrics_decision(struct metrics *m, const struct decision *d);
void metrics_request(struct metrics *m, long long us);

/* The text for /metrics; hits and misses come from the token cache. */
size_t metrics_render(const struct metrics *m, unsigned long long token_hits, unsigned long long token_misses,
		      char *out, size_t len);

#endif
