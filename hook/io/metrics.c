/* metrics: see metrics.h. */
#include "io/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Upper bounds of the request duration buckets, in microseconds. */
static const long long bounds[METRICS_BUCKETS] = { 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
						    250000, 1000000, 5000000, 30000000 };

void metrics_decision(struct metrics *m, const struct decision *d)
{
	atomic_fetch_add(&m->decisions[d->action], 1);
	atomic_fetch_add(&m->by_mode[d->mode][d->action], 1);
	for (size_t i = 0; i < d->n; i++) {
		atomic_fetch_add(&m->violations[d->v[i].kind], 1);
		/* a violation that binds where the mode is enforce: refused there */
		if (d->mode != MODE_ENFORCE && !d->v[i].exempted && !d->v[i].advisory)
			atomic_fetch_add(&m->would_refuse[d->mode][d->v[i].kind], 1);
	}
}

static void observe(atomic_ullong *buckets, atomic_ullong *count, atomic_ullong *sum_us, long long us)
{
	size_t b = 0;
	while (b < METRICS_BUCKETS && us > bounds[b])
		b++;
	atomic_fetch_add(&buckets[b], 1);
	atomic_fetch_add(count, 1);
	atomic_fetch_add(sum_us, (unsigned long long)(us > 0 ? us : 0));
}

void metrics_request(struct metrics *m, long long us)
{
	observe(m->duration, &m->duration_count, &m->duration_sum_us, us);
}

void metrics_decided(struct metrics *m, long long us)
{
	observe(m->decision_duration, &m->decision_count, &m->decision_sum_us, us);
}

void metrics_response(struct metrics *m, int status)
{
	if (status >= METRICS_STATUS_MIN && status <= METRICS_STATUS_MAX)
		atomic_fetch_add(&m->responses[status - METRICS_STATUS_MIN], 1);
}

/* The outcomes' labels: the list's verdicts (unlisted, signature,
 * unavailable), then the bytes' (enum verify_outcome) when it listed. */
static const char *const outcomes[METRICS_VERIFY_OUTCOMES] = {
	"unlisted", "signature", "unavailable", "match", "mismatch", "over_bound", "unreadable",
};

void metrics_origin(struct metrics *m, enum origin_status st, enum verify_outcome o)
{
	size_t i = st == ORIGIN_UNLISTED ? 0 : st == ORIGIN_SIGNATURE ? 1 : st == ORIGIN_UNAVAILABLE ? 2
		 : 3 + (size_t)o;
	if (i < METRICS_VERIFY_OUTCOMES)
		atomic_fetch_add(&m->verifications[i], 1);
}

struct out {
	char *buf;
	size_t len, off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->off >= o->len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	o->off += n > 0 ? (size_t)n : 0;
}

/* Is kind k the first of its metrics label? Labels show in that order. */
static int first_of_label(size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (!strcmp(violation_kinds[j].metric, violation_kinds[k].metric))
			return 0;
	return 1;
}

/* The counts (one per kind) under kind k's label. */
static unsigned long long by_label(const atomic_ullong *counts, size_t k)
{
	unsigned long long n = 0;
	for (size_t j = k; j < V_COUNT; j++)
		if (!strcmp(violation_kinds[j].metric, violation_kinds[k].metric))
			n += counts[j];
	return n;
}

static void gauge(struct out *o, const char *name, const char *help, unsigned v)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n%s %u\n", name, help, name, name, v);
}

static void counter(struct out *o, const char *name, const char *help, unsigned long long v)
{
	put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

static void histogram(struct out *o, const char *name, const char *help, const atomic_ullong *buckets,
		      unsigned long long count, unsigned long long sum_us)
{
	unsigned long long cum = 0;

	put(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int b = 0; b < METRICS_BUCKETS; b++) {
		cum += buckets[b];
		put(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[b] / 1e6, cum);
	}
	cum += buckets[METRICS_BUCKETS];
	put(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, cum, name, (double)sum_us / 1e6,
	    name, count);
}

/* The statuses always shown, so that alerts and panels find their series
 * before the first such answer: success, the refusals, fail-closed. */
static int always_shown(int status)
{
	return status == 200 || status == 503;
}

/* The additions for an audit trail, a dashboard and alerts: responses by
 * status, the decision latency, origin verifications, readiness. */
static void render_service(struct out *o, const struct metrics *m)
{
	put(o, "# HELP scs_image_hook_mode_decisions_total Decisions by mode and action.\n"
	       "# TYPE scs_image_hook_mode_decisions_total counter\n");
	for (int md = MODE_DRY_RUN; md <= MODE_ENFORCE; md++)
		for (int a = 0; a < 3; a++)
			put(o, "scs_image_hook_mode_decisions_total{mode=\"%s\",action=\"%s\"} %llu\n", mode_name((enum mode)md),
			    action_name((enum action)a), (unsigned long long)m->by_mode[md][a]);
	put(o, "# HELP scs_image_hook_responses_total Answers to clients, by HTTP status.\n"
	       "# TYPE scs_image_hook_responses_total counter\n");
	for (int s = METRICS_STATUS_MIN; s <= METRICS_STATUS_MAX; s++) {
		unsigned long long n = m->responses[s - METRICS_STATUS_MIN];
		if (n || always_shown(s))
			put(o, "scs_image_hook_responses_total{code=\"%d\"} %llu\n", s, n);
	}
	histogram(o, "scs_image_hook_decision_duration_seconds",
		  "Time to decide a request, data streaming excluded.",
		  m->decision_duration, m->decision_count, m->decision_sum_us);
	put(o, "# HELP scs_image_hook_origin_verifications_total Origin verifications, by outcome.\n"
	       "# TYPE scs_image_hook_origin_verifications_total counter\n");
	for (size_t i = 0; i < METRICS_VERIFY_OUTCOMES; i++)
		put(o, "scs_image_hook_origin_verifications_total{outcome=\"%s\"} %llu\n", outcomes[i],
		    (unsigned long long)m->verifications[i]);
	counter(o, "scs_image_hook_log_write_errors_total", "Decision records not written.",
		m->log_write_errors);
}

size_t metrics_render(const struct metrics *m, unsigned long long token_hits, unsigned long long token_misses,
		      char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	put(&o, "# HELP scs_image_hook_decisions_total Decisions by action.\n"
		"# TYPE scs_image_hook_decisions_total counter\n");
	for (int a = 0; a < 3; a++)
		put(&o, "scs_image_hook_decisions_total{action=\"%s\"} %llu\n", action_name((enum action)a),
		    (unsigned long long)m->decisions[a]);
	put(&o, "# HELP scs_image_hook_violations_total Violations found, by rule.\n"
		"# TYPE scs_image_hook_violations_total counter\n");
	for (size_t k = 0; k < V_COUNT; k++)
		if (first_of_label(k))
			put(&o, "scs_image_hook_violations_total{rule=\"%s\"} %llu\n", violation_kinds[k].metric,
			    by_label(m->violations, k));
	put(&o, "# HELP scs_image_hook_would_refuse_total Violations enforce would have refused, admitted under "
		"dry-run or warn, by rule and mode.\n# TYPE scs_image_hook_would_refuse_total counter\n");
	for (int mode = MODE_DRY_RUN; mode < MODE_ENFORCE; mode++)
		for (size_t k = 0; k < V_COUNT; k++)
			if (first_of_label(k))
				put(&o, "scs_image_hook_would_refuse_total{mode=\"%s\",rule=\"%s\"} %llu\n",
				    mode_name((enum mode)mode), violation_kinds[k].metric, by_label(m->would_refuse[mode], k));
	histogram(&o, "scs_image_hook_request_duration_seconds",
		  "Time to decide and forward a request (to Glance's answer).", m->duration, m->duration_count,
		  m->duration_sum_us);
	counter(&o, "scs_image_hook_upstream_errors_total", "Requests Glance did not answer (502/504).",
		m->upstream_errors);
	counter(&o, "scs_image_hook_keystone_errors_total", "Decisions Keystone or Glance could not inform.",
		m->keystone_errors);
	counter(&o, "scs_image_hook_token_cache_hits_total", "Token validations answered from the cache.",
		token_hits);
	counter(&o, "scs_image_hook_token_cache_misses_total", "Token validations that asked Keystone.",
		token_misses);
	counter(&o, "scs_image_hook_policy_reloads_total", "Policy reloads that took effect (SIGHUP).",
		m->reloads);
	counter(&o, "scs_image_hook_policy_reload_failures_total", "Reloads refused: the old policy stays.",
		m->reload_failures);
	counter(&o, "scs_image_hook_shed_total", "Connections refused with 503 beyond max_connections.",
		m->shed);
	counter(&o, "scs_image_hook_origin_readbacks_total",
		"Images whose data was read back from Glance to verify it at a step into presence.", m->origin_readbacks);
	counter(&o, "scs_image_hook_images_deactivated_total",
		"Images deactivated (and hidden) because a violation was found after Glance took a request.",
		m->images_deactivated);
	gauge(&o, "scs_image_hook_glance_up", "This node's Glance answers its /healthcheck (/readyz; asked again at most every few seconds).",
	      m->glance_up);
	gauge(&o, "scs_image_hook_keystone_up", "The proxy's last call to Keystone was answered (0: it was not).",
	      m->keystone_up);
	put(&o, "# HELP scs_image_hook_connections Open client connections.\n"
		"# TYPE scs_image_hook_connections gauge\nscs_image_hook_connections %u\n",
	    (unsigned)m->connections);
	put(&o, "# HELP scs_image_hook_requests_in_flight Requests being served.\n"
		"# TYPE scs_image_hook_requests_in_flight gauge\nscs_image_hook_requests_in_flight %u\n",
	    (unsigned)m->in_flight);
	render_service(&o, m);
	return o.off < len ? o.off : len - 1;
}
