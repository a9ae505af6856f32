/* admit_verdict: a decision made into what leaves the proxy. The record
 * in the decision log (one per decision, naming the kinds of violation it
 * saw), the count on /metrics, and the verdict proxy.c carries out: a
 * refusal's status and words, or a warning. One place for it, as the
 * request flow, fair use, origin verification and the rechecks all end
 * in it. */
#include "io/admit_int.h"
#include "io/log.h"
#include "io/metrics.h"
#include "core/record.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int admit_verdict_refuse(struct verdict *v, int status, const char *fmt, ...)
{
	va_list ap;
	v->status = status;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	return 0;
}

void admit_verdict_summarize(const struct decision *d, const char *id, struct verdict *v)
{
	char msg[1024], hint[1024];
	size_t off = 0, shown = 0;

	off += (size_t)snprintf(v->message, sizeof(v->message), "%s by the image policy: ",
				d->action == ACTION_DENY ? "Refused" : "Admitted with a warning");
	for (size_t i = 0; i < d->n && off < sizeof(v->message); i++) {
		if (d->v[i].exempted)
			continue;
		violation_message(&d->v[i], msg, sizeof(msg));
		violation_hint(&d->v[i], hint, sizeof(hint));
		off += (size_t)snprintf(v->message + off, sizeof(v->message) - off, "%s%s (%s)%s%s",
					shown++ ? "; " : "", msg, d->v[i].rule, hint[0] ? ": " : "", hint);
	}
	if (off < sizeof(v->message))
		snprintf(v->message + off, sizeof(v->message) - off, " [decision %s]", id);
}

_Static_assert(V_COUNT <= 32, "decided_kinds holds a bit per kind of violation");

unsigned admit_verdict_kinds(const struct decision *d)
{
	unsigned k = 0;
	for (size_t i = 0; i < d->n; i++)
		k |= 1u << d->v[i].kind;
	return k;
}

/* A record not written: never in silence. Counted, said, and (on_error:
 * refuse) acted on by the caller while the request is still undecided. */
static void unlogged(struct admit *ad, const char *what, const char *why)
{
	atomic_fetch_add(&ad->metrics->log_write_errors, 1);
	fprintf(stderr, "scs-image-hook proxy: %s not logged: %s\n", what, why);
}

void admit_verdict_record(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			  const struct image *img, const struct decision *d, const char *id, const char *error,
			  long long t0, struct verdict *v)
{
	struct record_ctx rc = { .source = "proxy", .request_id = r->request_id, .method = r->method,
				 .path = r->target, .who = who, .policy = c->policy,
				 .latency_us = (long)(mono_us() - t0), .decision_id = id, .error = error,
				 .origin = c->rec_origin, .origin_actual = c->rec_actual,
				 .import_method = c->rec_import_method, .uri = c->rec_import_uri,
				 .client = c->client[0] ? c->client : "unknown", .user_agent = c->user_agent };
	const char *line;
	size_t len;
	char err[1024];

	c->decided_kinds |= admit_verdict_kinds(d);
	metrics_decided(ad->metrics, rc.latency_us);
	v->unlogged = 0;
	if (recorder_render(c->rec, &rc, img, d, &line, &len) < 0) {
		snprintf(err, sizeof(err), "the decision record could not be rendered (out of memory)");
	} else {
		v->record = line;
		v->record_len = len;
		/* held until the answer's status is known (admit_answered) while
		 * the log has room to spare; else written now, to know */
		if (dlog_room(ad->log, c->held.len + len) && buf_add(&c->held, line, len) == 0)
			return;
		if (dlog_write(ad->log, line, len, err, sizeof(err)) == 0)
			return;
	}
	char what[600];
	snprintf(what, sizeof(what), "decision %s (%.200s %.300s: %s)", id, r->method, r->target, action_name(d->action));
	unlogged(ad, what, err);
	v->unlogged = 1;
}

/* log.on_error: refuse, or by default under failure_policy: closed. */
static int refuse_unlogged(const struct admit *ad)
{
	return ad->cfg->log_refuse > 0 || (ad->cfg->log_refuse == 0 && ad->cfg->failure == FAIL_CLOSED);
}

/* Each held record (a line ending "}\n") written with ,"status":N added. */
void admit_answered(struct admit *ad, struct admit_conn *c, int status)
{
	struct buf one = { 0 };
	char st[32], err[1024];
	const char *p = c->held.data, *end = p + c->held.len;

	if (status > 0)
		snprintf(st, sizeof(st), ",\"status\":%d}\n", status);
	else
		snprintf(st, sizeof(st), ",\"status\":null}\n");
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int rc = 0;
		one.len = 0;
		if (n > 1 && buf_add(&one, p, n - 1) == 0 && buf_add(&one, st, strlen(st)) == 0)
			rc = dlog_write(ad->log, one.data, one.len, err, sizeof(err));
		else if (n)
			rc = dlog_write(ad->log, p, n + (nl != NULL), err, sizeof(err));
		if (rc < 0)     /* the answer is gone: the next decision finds the log failing */
			unlogged(ad, "a decision record held for the answer's status", err);
		p += n + 1;
	}
	buf_release(&one);
	c->held.len = 0;
}

/* Log d, count it, and turn it into the verdict: 403 for the image
 * policy, 413 when only fair use refuses (Glance's status for quotas). */
void admit_verdict_conclude(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			    const struct caller *who, const struct image *img, const struct decision *d,
			    enum action policy_action, long long t0, struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	admit_verdict_record(ad, c, r, who, img, d, id, NULL, t0, v);
	metrics_decision(ad->metrics, d);
	if (v->unlogged && d->action != ACTION_DENY && refuse_unlogged(ad)) {
		admit_verdict_refuse(v, 503, "The image service cannot record its decision now; try again later "
				     "[decision %s]", id);
		return;
	}
	if (d->action == ACTION_ALLOW)
		return;
	admit_verdict_summarize(d, id, v);
	if (d->action == ACTION_DENY)
		v->status = policy_action == ACTION_DENY ? 403 : 413;
	else
		v->warn = 1;
}
