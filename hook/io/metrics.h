/* metrics: the proxy's counters, shown on the admin listener's /metrics
 * in Prometheus' text format. Atomic counters: no lock on the data path. */
#ifndef SCS_METRICS_H
#define SCS_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/decide.h"
#include "core/origins.h"
#include "io/verify.h"

#define METRICS_BUCKETS 12
#define METRICS_STATUS_MIN 100              /* responses counted by status, 100-599 */
#define METRICS_STATUS_MAX 599
#define METRICS_VERIFY_OUTCOMES 7           /* origin verification outcomes (metrics.c names them) */

struct metrics {
	atomic_ullong decisions[3];             /* by enum action */
	atomic_ullong violations[V_COUNT];     /* by kind; shown by label (violation.h) */
	/* what enforce would have refused, under dry-run and warn (by enum
	 * mode below MODE_ENFORCE), by kind: a roll-out measured */
	atomic_ullong would_refuse[MODE_ENFORCE][V_COUNT];
	atomic_ullong duration[METRICS_BUCKETS + 1], duration_count, duration_sum_us;
	atomic_ullong upstream_errors;
	atomic_ullong keystone_errors;
	atomic_ullong reloads, reload_failures;
	atomic_ullong shed;                     /* refused: too many connections */
	atomic_ullong origin_readbacks;         /* images read back from Glance to verify them */
	atomic_ullong images_deactivated;       /* taken out of use after the fact */
	atomic_ullong by_mode[MODE_ENFORCE + 1][3];    /* decisions by enum mode and enum action */
	atomic_ullong log_write_errors;         /* decision records that could not be written */
	/* the time to decide (identity, Glance's image, the decision, its record),
	 * without the time data streams */
	atomic_ullong decision_duration[METRICS_BUCKETS + 1], decision_count, decision_sum_us;
	atomic_ullong responses[METRICS_STATUS_MAX - METRICS_STATUS_MIN + 1];
	atomic_ullong verifications[METRICS_VERIFY_OUTCOMES];
	atomic_uint glance_up;                  /* this node's Glance answered its /healthcheck (admin.c) */
	atomic_uint keystone_up;                /* the last call to Keystone was answered (admit_identity.c) */
	atomic_uint connections;
	atomic_uint in_flight;                  /* requests between their first line and their answer's end */
};

void metrics_decision(struct metrics *m, const struct decision *d);
void metrics_request(struct metrics *m, long long us);
/* A decision took us microseconds (to its record). */
void metrics_decided(struct metrics *m, long long us);
/* An answer with this HTTP status went to a client. */
void metrics_response(struct metrics *m, int status);
/* An origin verification's outcome: the vendor's list (st), and when it
 * listed the file, the bytes' (o). */
void metrics_origin(struct metrics *m, enum origin_status st, enum verify_outcome o);

/* The text for /metrics; hits and misses come from the token cache. */
size_t metrics_render(const struct metrics *m, unsigned long long token_hits, unsigned long long token_misses,
		      char *out, size_t len);

#endif
