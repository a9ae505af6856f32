/* quota: the fair-use policy and its decision; see quota.h. */
#include "core/quota.h"
#include "core/exempt.h"
#include "core/projects.h"
#include "core/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNLIMITED ULLONG_MAX

static const char *const limit_names[QL_COUNT] = {
	"max_image_size", "max_images", "max_total_size", "uploads_per_window.count", "uploads_per_window.window",
	"max_concurrent_uploads",
};

/* ---- loading ---------------------------------------------------------------- */

static int unlimited(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && !strcmp(n->value, "unlimited");
}

static int load_count(struct yconf *y, const struct ynode *n, const char *what, unsigned long long *out)
{
	if (unlimited(n)) {
		*out = UNLIMITED;
		return 0;
	}
	return yc_uint(y, n, what, 0, 1ULL << 40, out);
}

static int load_window(struct yconf *y, const struct ynode *n, struct quota_limits *l)
{
	static const char *const keys[] = { "count", "window", NULL };
	struct ynode *count, *window;
	long ms;

	if (yc_want(y, n, YNODE_MAP, "uploads_per_window") < 0 || yc_keys(y, n, keys, "uploads_per_window") < 0 ||
	    yc_need(y, n, "count", "uploads_per_window", &count) < 0 ||
	    yc_need(y, n, "window", "uploads_per_window", &window) < 0 ||
	    load_count(y, count, "uploads_per_window.count", &l->v[QL_UPLOADS]) < 0 ||
	    yc_duration_ms(y, window, "uploads_per_window.window", &ms) < 0)
		return -1;
	if (ms < 1000)
		return yc_fail(y, window, "uploads_per_window.window must be at least 1s");
	l->v[QL_WINDOW] = (unsigned long long)ms / 1000;
	l->set |= 1u << QL_UPLOADS | 1u << QL_WINDOW;
	return 0;
}

/* One limit: "unlimited", else a size in bytes or a count. */
static int load_limit(struct yconf *y, const struct ynode *n, enum quota_limit k, unsigned long long *out)
{
	if (k != QL_IMAGE_SIZE && k != QL_TOTAL_SIZE)
		return load_count(y, n, limit_names[k], out);
	if (!unlimited(n))
		return yc_size(y, n, limit_names[k], out);
	*out = UNLIMITED;
	return 0;
}

static int load_limits(struct yconf *y, const struct ynode *n, const char *what, struct quota_limits *l)
{
	static const char *const keys[] = { "max_image_size", "max_images", "max_total_size", "uploads_per_window",
					    "max_concurrent_uploads", NULL };
	static const enum quota_limit plain[] = { QL_IMAGE_SIZE, QL_TOTAL_SIZE, QL_IMAGES, QL_CONCURRENT };
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, what) < 0 || yc_keys(y, n, keys, what) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		if (!(v = ymap_get(n, limit_names[plain[i]])))
			continue;
		if (load_limit(y, v, plain[i], &l->v[plain[i]]) < 0)
			return -1;
		l->set |= 1u << plain[i];
	}
	if ((v = ymap_get(n, "uploads_per_window")) && load_window(y, v, l) < 0)
		return -1;
	return 0;
}

static int load_projects(struct yconf *y, const struct ynode *n, struct quota *q)
{
	if (yc_want(y, n, YNODE_MAP, "quota.projects (project: {limits})") < 0)
		return -1;
	q->projects = xcalloc(n->n ? n->n : 1, sizeof(*q->projects));
	for (size_t i = 0; i < n->n; i++) {
		struct quota_project *qp = &q->projects[q->n_projects++];
		if (yc_string(y, ymap_key(n, i), "a project", &qp->project) < 0 ||
		    project_where(y, ymap_key(n, i), &qp->where) < 0)
			return -1;
		qp->limits.from = qp->project;
		if (load_limits(y, ymap_val(n, i), "a project's limits", &qp->limits) < 0)
			return -1;
	}
	return 0;
}

static int load_exempt(struct yconf *y, const struct ynode *n, struct quota *q)
{
	if (yc_want(y, n, YNODE_SEQ, "quota.exempt") < 0)
		return -1;
	q->exempt = xcalloc(n->n ? n->n : 1, sizeof(*q->exempt));
	for (size_t i = 0; i < n->n; i++)
		if (exemption_load(y, n->items[i], 0, &q->exempt[q->n_exempt++]) < 0)
			return -1;
	return 0;
}

int quota_load(struct yconf *y, const struct ynode *n, struct quota *q)
{
	static const char *const keys[] = { "default", "projects", "exempt", NULL };
	struct ynode *v;

	q->defaults.from = "default";
	if (yc_want(y, n, YNODE_MAP, "quota") < 0 || yc_keys(y, n, keys, "quota") < 0)
		return -1;
	if ((v = ymap_get(n, "default")) && load_limits(y, v, "quota.default", &q->defaults) < 0)
		return -1;
	if ((v = ymap_get(n, "projects")) && load_projects(y, v, q) < 0)
		return -1;
	if ((v = ymap_get(n, "exempt")) && load_exempt(y, v, q) < 0)
		return -1;
	return 0;
}

void quota_free(struct quota *q)
{
	for (size_t i = 0; i < q->n_projects; i++) {
		free(q->projects[i].project);
		free(q->projects[i].project_id);
		free(q->projects[i].where);
	}
	free(q->projects);
	for (size_t i = 0; i < q->n_exempt; i++)
		exemption_free(&q->exempt[i]);
	free(q->exempt);
}

/* ---- deciding ------------------------------------------------------------- */

void quota_limits_for(const struct quota *q, const struct caller *who, struct quota_limits *out)
{
	*out = q->defaults;
	for (size_t i = 0; i < q->n_projects; i++) {
		const struct quota_limits *o = &q->projects[i].limits;
		if (!caller_is(who, q->projects[i].project, q->projects[i].project_id))
			continue;
		for (int k = 0; k < QL_COUNT; k++)
			if (o->set & 1u << k)
				out->v[k] = o->v[k];
		out->set |= o->set;
		out->from = o->from;
	}
}

static int applies(const struct quota_limits *l, enum quota_limit k)
{
	return (l->set & 1u << k) && l->v[k] != UNLIMITED;
}

static void add(struct decision *d, const struct quota_limits *l, const struct caller *who, enum vkind kind,
		enum quota_limit k, unsigned long long used, unsigned long long size)
{
	struct violation *v = violation_add(d, kind, l->from, NULL, 0);
	if (!v)
		return;
	v->key = limit_names[k];
	v->actual = who->project_name ? who->project_name : who->project_id;
	v->limit = l->v[k];
	v->used = used;
	v->size = size;
}

static void check(struct decision *d, const struct quota_limits *l, const struct caller *who,
		  const struct quota_usage *u, const struct quota_ask *ask)
{
	unsigned long long size = ask->size >= 0 ? (unsigned long long)ask->size : 0;
	int upload = ask->op == QUOTA_UPLOAD;

	/* A create adds an image; an upload or import fills one that is counted. */
	if (applies(l, QL_IMAGES) && (ask->op == QUOTA_CREATE ? u->images >= l->v[QL_IMAGES]
							      : u->images > l->v[QL_IMAGES]))
		add(d, l, who, V_QUOTA_COUNT, QL_IMAGES, u->images, 0);
	if (ask->op == QUOTA_CREATE)
		return;
	if (upload && ask->size >= 0 && applies(l, QL_IMAGE_SIZE) && size > l->v[QL_IMAGE_SIZE])
		add(d, l, who, V_QUOTA_SIZE, QL_IMAGE_SIZE, (unsigned long long)ask->cut, size);
	if (upload && applies(l, QL_TOTAL_SIZE) &&
	    (u->bytes >= l->v[QL_TOTAL_SIZE] || size > l->v[QL_TOTAL_SIZE] - u->bytes))
		add(d, l, who, V_QUOTA_TOTAL, QL_TOTAL_SIZE, u->bytes, size);
	if (ask->cut)
		return;             /* mid-stream: only the byte limits are news */
	if (applies(l, QL_UPLOADS) && u->recent >= l->v[QL_UPLOADS])
		add(d, l, who, V_QUOTA_RATE, QL_UPLOADS, u->recent, l->v[QL_WINDOW]);
	if (applies(l, QL_CONCURRENT) && u->active >= l->v[QL_CONCURRENT])
		add(d, l, who, V_QUOTA_CONCURRENT, QL_CONCURRENT, u->active, 0);
}

void quota_decide(const struct quota *q, enum mode mode, const struct caller *who, int today,
		  const struct quota_limits *l, const struct quota_usage *u, const struct quota_ask *ask,
		  struct decision *d)
{
	size_t from = d->n;

	check(d, l, who, u, ask);
	if (d->n == from && !d->n_more)
		return;
	if (!decision_exempt(q->exempt, q->n_exempt, who, today, d, from))
		return;
	enum action a = violation_action(mode);
	if (mode > d->mode)
		d->mode = mode;
	if (a > d->action)
		d->action = a;
}

long long quota_byte_cap(const struct quota_limits *l, const struct quota_usage *u, enum quota_limit *which)
{
	unsigned long long cap = UNLIMITED;

	if (applies(l, QL_IMAGE_SIZE)) {
		cap = l->v[QL_IMAGE_SIZE];
		*which = QL_IMAGE_SIZE;
	}
	if (applies(l, QL_TOTAL_SIZE)) {
		unsigned long long left = u->bytes >= l->v[QL_TOTAL_SIZE] ? 0 : l->v[QL_TOTAL_SIZE] - u->bytes;
		if (left < cap) {
			cap = left;
			*which = QL_TOTAL_SIZE;
		}
	}
	return cap > (unsigned long long)LLONG_MAX ? -1 : (long long)cap;
}

unsigned long long quota_reserve(const struct quota_limits *l, const struct quota_usage *u, long long declared)
{
	enum quota_limit which;

	if (declared >= 0)
		return (unsigned long long)declared;
	long long cap = quota_byte_cap(l, u, &which);
	return cap < 0 ? 0 : (unsigned long long)cap;
}

/* ---- reservations in Glance ---------------------------------------------- */

void quota_marker_format(const struct quota_marker *m, const char *node, const char *req, char *out, size_t len)
{
	snprintf(out, len, "v1 start=%lld bytes=%llu until=%lld node=%.64s req=%.64s", m->start, m->bytes, m->until,
		 node ? node : "", req ? req : "");
}

int quota_marker_parse(const char *s, struct quota_marker *m)
{
	int end = -1;

	memset(m, 0, sizeof(*m));
	if (!s || sscanf(s, "v1 start=%lld bytes=%llu until=%lld%n", &m->start, &m->bytes, &m->until, &end) != 3 ||
	    end < 0 || (s[end] && s[end] != ' ') || m->start < 0 || m->until < m->start)
		return -1;
	return 0;
}

int quota_reserved_key(const char *key)
{
	return !strncasecmp(key, QUOTA_MARKER_NS, sizeof(QUOTA_MARKER_NS) - 1);
}

static int status_is(const struct quota_image *im, const char *s)
{
	return !strcmp(im->status, s);
}

/* The marker still claims bytes and a slot: Glance shows the upload
 * under way (saving; uploading without a size: staging), or not begun yet
 * (queued, within the grace), and the claim has not lapsed. */
static int marker_live(const struct quota_image *im, long long now)
{
	const struct quota_marker *m = &im->marker;

	if (!im->has_marker || now >= m->until)
		return 0;
	return status_is(im, "saving") || (status_is(im, "uploading") && im->size < 0) ||
	       (status_is(im, "queued") && now - m->start < QUOTA_MARKER_GRACE);
}

/* Usage saturates rather than wraps: a hostile list cannot make it small. */
static void sat_add(unsigned long long *to, unsigned long long n)
{
	*to = *to > ULLONG_MAX - n ? ULLONG_MAX : *to + n;
}

void quota_count(struct quota_usage *u, const struct quota_image *im, long long now, long long since,
		 const char *skip)
{
	u->images++;
	if (im->size > 0)
		sat_add(&u->bytes, (unsigned long long)im->size);
	if (skip && !strcmp(im->id, skip))
		return;
	int live = marker_live(im, now);
	if (live) {
		sat_add(&u->bytes, im->marker.bytes);
		sat_add(&u->reserved, im->marker.bytes);
	}
	if (live || status_is(im, "saving") || status_is(im, "uploading") || status_is(im, "importing") ||
	    (im->import_lock && !status_is(im, "active")))
		u->active++;
	/* Upload starts: the marker's; an image without one (data given before
	 * the hook marked uploads, or not through it) by its creation. */
	if (im->has_marker ? im->marker.start >= since
			   : !status_is(im, "queued") && im->created_at >= since)
		u->recent++;
}

int quota_binding(const struct decision *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (!d->v[i].exempted && violation_kinds[d->v[i].kind].quota)
			return 1;
	return 0;
}
