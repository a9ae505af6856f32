/* fleet: SCS-0102 recency and uniqueness over the present images, read as
 * the official test reads them (docs/scs-0102.md says where from). */
#include "core/fleet.h"
#include "core/image.h"
#include "core/meta.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---------------------------------------------------------- */

static int load_periods(struct yconf *y, const struct ynode *n, struct fleet_recency *r)
{
	if (yc_want(y, n, YNODE_MAP, "periods") < 0)
		return -1;
	r->periods = xcalloc(n->n ? n->n : 1, sizeof(char *));
	r->seconds = xcalloc(n->n ? n->n : 1, sizeof(long long));
	for (size_t i = 0; i < n->n; i++) {
		unsigned long long secs;
		r->periods[i] = xstrdup(ymap_key(n, i)->value);
		r->n_periods = i + 1;
		if (yc_uint(y, ymap_val(n, i), "periods (seconds)", 0, 20ull * 366 * 86400, &secs) < 0)
			return -1;
		r->seconds[i] = (long long)secs;
	}
	return 0;
}

static int load_recency(struct yconf *y, struct policy *p, const struct ynode *n, struct fleet_recency *r)
{
	static const char *const keys[] = { "testcase", "build_date", "frequency", "periods", "slack_percent",
					    "until", "until_open", "markers", "marker_dates", NULL };
	struct ynode *v;
	char *build = NULL;
	unsigned long long slack;

	if (yc_want(y, n, YNODE_MAP, "recency") < 0 || yc_keys(y, n, keys, "recency") < 0 ||
	    yc_need(y, n, "testcase", "recency", &v) < 0 || yc_string(y, v, "testcase", &r->testcase) < 0 ||
	    yc_need(y, n, "build_date", "recency", &v) < 0 || yc_string(y, v, "build_date", &build) < 0)
		return -1;
	r->build = meta_find(p, build);
	free(build);
	if (!r->build || !r->build->n_dates || !r->build->not_after)
		return yc_fail(y, v, "build_date must name a rule above with 'dates' and 'not_after' (its registration)");
	if (yc_need(y, n, "frequency", "recency", &v) < 0 || yc_string(y, v, "frequency", &r->frequency) < 0 ||
	    yc_need(y, n, "periods", "recency", &v) < 0 || load_periods(y, v, r) < 0 ||
	    yc_need(y, n, "slack_percent", "recency", &v) < 0 || yc_uint(y, v, "slack_percent", 100, 1000, &slack) < 0 ||
	    yc_need(y, n, "until", "recency", &v) < 0 || yc_string(y, v, "until", &r->until) < 0)
		return -1;
	r->slack_percent = (unsigned)slack;
	if ((v = ymap_get(n, "until_open")) && yc_strings(y, v, "until_open", &r->open, &r->n_open) < 0)
		return -1;
	if ((v = ymap_get(n, "markers")) && yc_strings(y, v, "markers", &r->markers, &r->n_markers) < 0)
		return -1;
	if ((v = ymap_get(n, "marker_dates")) &&
	    meta_load_dates(y, v, "marker_dates", &r->marker_dates, &r->n_marker_dates) < 0)
		return -1;
	return 0;
}

static int load_unique(struct yconf *y, const struct ynode *n, struct fleet_unique *u)
{
	static const char *const keys[] = { "testcase", "key", "need", "property", "value", "visibility", NULL };
	struct ynode *v;

	u->visibility = VIS_PUBLIC;
	if (yc_want(y, n, YNODE_MAP, "uniqueness") < 0 || yc_keys(y, n, keys, "uniqueness") < 0 ||
	    yc_need(y, n, "testcase", "uniqueness", &v) < 0 || yc_string(y, v, "testcase", &u->testcase) < 0 ||
	    yc_need(y, n, "key", "uniqueness", &v) < 0 || yc_strings(y, v, "key", &u->key, &u->n_key) < 0 ||
	    yc_need(y, n, "property", "uniqueness", &v) < 0 || yc_string(y, v, "property", &u->property) < 0 ||
	    yc_need(y, n, "value", "uniqueness", &v) < 0 || yc_string(y, v, "value", &u->value) < 0)
		return -1;
	if ((v = ymap_get(n, "need")) && yc_strings(y, v, "need", &u->need, &u->n_need) < 0)
		return -1;
	if ((v = ymap_get(n, "visibility"))) {
		if (yc_want(y, v, YNODE_SCALAR, "visibility") < 0)
			return -1;
		if (visibility_parse(v->value, &u->visibility) < 0)
			return yc_fail(y, v, "visibility must be public, community, shared or private");
	}
	return 0;
}

int fleet_load(struct yconf *y, struct policy *p, const struct ynode *m)
{
	struct ynode *v;
	int has_r = ymap_get(m, "recency") != NULL, has_u = ymap_get(m, "uniqueness") != NULL;

	if (!has_r && !has_u)
		return 0;
	if (p->fleet)
		return yc_fail(y, m, "only one image metadata file may have recency or uniqueness rules");
	p->fleet = xcalloc(1, sizeof(*p->fleet));
	if ((v = ymap_get(m, "recency"))) {
		p->fleet->recency = xcalloc(1, sizeof(*p->fleet->recency));
		if (load_recency(y, p, v, p->fleet->recency) < 0)
			return -1;
	}
	if ((v = ymap_get(m, "uniqueness"))) {
		p->fleet->unique = xcalloc(1, sizeof(*p->fleet->unique));
		if (load_unique(y, v, p->fleet->unique) < 0)
			return -1;
	}
	return 0;
}

static void free_list(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	struct fleet_recency *r = f->recency;
	if (r) {
		free(r->testcase);
		free(r->frequency);
		free(r->until);
		free_list(r->periods, r->n_periods);
		free(r->seconds);
		free_list(r->open, r->n_open);
		free_list(r->markers, r->n_markers);
		meta_free_dates(r->marker_dates, r->n_marker_dates);
		free(r);
	}
	struct fleet_unique *u = f->unique;
	if (u) {
		free(u->testcase);
		free_list(u->key, u->n_key);
		free_list(u->need, u->n_need);
		free(u->property);
		free(u->value);
		free(u);
	}
	free(f);
}

/* ---- the images ------------------------------------------------------- */

/* Slots: build date, registration, frequency, until, then the
 * uniqueness key, need and property. Unused slots are NULL names. */
enum { S_BUILD, S_REGISTERED, S_FREQ, S_UNTIL, S_KEY };
#define FLEET_MAX_PROPS 32

const char *const *fleet_props(const struct fleet *f, size_t *n)
{
	static __thread const char *names[FLEET_MAX_PROPS];
	const struct fleet_recency *r = f->recency;
	const struct fleet_unique *u = f->unique;
	size_t k = S_KEY;

	names[S_BUILD] = r ? r->build->property : NULL;
	names[S_REGISTERED] = r ? r->build->not_after : NULL;
	names[S_FREQ] = r ? r->frequency : NULL;
	names[S_UNTIL] = r ? r->until : NULL;
	for (size_t i = 0; u && i < u->n_key && k < FLEET_MAX_PROPS - 1; i++)
		names[k++] = u->key[i];
	for (size_t i = 0; u && i < u->n_need && k < FLEET_MAX_PROPS - 1; i++)
		names[k++] = u->need[i];
	if (u)
		names[k++] = u->property;
	*n = k;
	return names;
}

void fleet_image_take(const struct fleet *f, const struct image *img, struct fleet_image *out)
{
	size_t n;
	const char *const *names = fleet_props(f, &n);

	out->id = img->id ? xstrdup(img->id) : NULL;
	out->name = xstrdup(img->name ? img->name : "");
	out->visibility = img->visibility;
	out->hidden = img->os_hidden;
	out->values = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *v = names[i] ? image_prop(img, names[i]) : NULL;
		out->values[i] = v ? xstrdup(v) : NULL;
	}
}

void fleet_image_free(const struct fleet *f, struct fleet_image *fi)
{
	size_t n;
	fleet_props(f, &n);
	free(fi->id);
	free(fi->name);
	free_list(fi->values, n);
}

/* ---- recency ---------------------------------------------------------- */

static int listed(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

enum outdated { FRESH, MARKED, UNMARKED, NO_UNTIL };

/* The test's is_outdated: 0 fresh (or no promise), 1 outdated but hidden
 * or marked by its last name word, 2 outdated and unmarked, 3 outdated
 * without a readable provided_until. */
static enum outdated outdated(const struct policy *p, const struct fleet_recency *r, const struct fleet_image *img,
			      long long now)
{
	const struct meta_rule *b = r->build;
	long long built = meta_date(p, b->dates, b->n_dates, img->values[S_BUILD]);
	if (!built)
		built = meta_date(p, b->not_after_dates, b->n_not_after_dates, img->values[S_REGISTERED]);
	const char *freq = img->values[S_FREQ];
	long long period = -1;
	for (size_t i = 0; i < r->n_periods; i++)
		if (!strcmp(r->periods[i], freq ? freq : "never"))
			period = r->seconds[i];
	/* an unknown frequency is prop-replace_frequency's finding, not this one's */
	if (period <= 0 || now * 100 <= built * 100 + (long long)r->slack_percent * period)
		return FRESH;
	const char *until = img->values[S_UNTIL];
	if (listed(r->open, r->n_open, until))
		return FRESH;
	long long end = meta_date(p, b->dates, b->n_dates, until);
	if (!end)
		return NO_UNTIL;
	if (now > end)
		return FRESH;
	if (img->hidden)
		return MARKED;
	const char *sp = strrchr(img->name, ' ');
	if (!sp)
		return UNMARKED;
	return listed(r->markers, r->n_markers, sp + 1) || meta_date(p, r->marker_dates, r->n_marker_dates, sp + 1)
		       ? MARKED : UNMARKED;
}

/* The last image of the name (later names replace earlier, as a dict). */
static const struct fleet_image *by_name(const struct fleet_image *imgs, size_t n, const char *name, size_t len)
{
	for (size_t i = n; i-- > 0;)
		if (strlen(imgs[i].name) == len && !memcmp(imgs[i].name, name, len))
			return &imgs[i];
	return NULL;
}

static const struct fleet_image *replacement(const struct policy *p, const struct fleet_image *imgs, size_t n,
					     const struct fleet_image *img, long long now)
{
	const char *sp = strrchr(img->name, ' ');
	if (!sp)
		return NULL;
	size_t len = (size_t)(sp - img->name);
	while (len > 0 && strchr(" \t\n\r\f\v", img->name[len - 1]))
		len--;                  /* the test's rstrip() */
	const struct fleet_image *r = by_name(imgs, n, img->name, len);
	return r && outdated(p, p->fleet->recency, r, now) == FRESH ? r : NULL;
}

static size_t judge_recency(const struct policy *p, const struct fleet_image *imgs, size_t n, long long now,
			    fleet_report report, void *ctx)
{
	const struct fleet_recency *r = p->fleet->recency;
	char msg[640];
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fleet_image *img = &imgs[i];
		enum outdated o = outdated(p, r, img, now);
		if (o == FRESH)
			continue;
		if (o == NO_UNTIL) {
			snprintf(msg, sizeof(msg), "outdated by its %s, and its %s '%.100s' is not a date: set %s to "
				 "a date or one of the open values", r->frequency, r->until,
				 img->values[S_UNTIL] ? img->values[S_UNTIL] : "(not set)", r->until);
			report(ctx, r->testcase, 1, img, msg);
			failed++;
			continue;
		}
		if (o == UNMARKED) {
			snprintf(msg, sizeof(msg), "outdated by its %s (built %.40s) but neither hidden nor renamed: "
				 "hide it (os_hidden) or append its build date to the name", r->frequency,
				 img->values[S_BUILD] ? img->values[S_BUILD] : "?");
			report(ctx, r->testcase, 0, img, msg);
		}
		const struct fleet_image *by = replacement(p, imgs, n, img, now);
		if (by)
			continue;
		snprintf(msg, sizeof(msg), "outdated by its %s (built %.40s) without a replacement: provide a current "
			 "image under the name without its last word", r->frequency,
			 img->values[S_BUILD] ? img->values[S_BUILD] : "?");
		report(ctx, r->testcase, 1, img, msg);
		failed++;
	}
	return failed;
}

/* ---- uniqueness ------------------------------------------------------- */

static int same_key(const struct fleet_unique *u, const struct fleet_image *a, const struct fleet_image *b)
{
	for (size_t k = 0; k < u->n_key; k++) {
		const char *x = a->values[S_KEY + k] ? a->values[S_KEY + k] : "";
		const char *y = b->values[S_KEY + k] ? b->values[S_KEY + k] : "";
		if (strcmp(x, y))
			return 0;
	}
	return 1;
}

static int counts(const struct fleet_unique *u, const struct fleet_image *img)
{
	if (img->visibility != u->visibility || img->hidden)
		return 0;
	for (size_t k = 0; k < u->n_need; k++)
		if (!img->values[S_KEY + u->n_key + k] || !img->values[S_KEY + u->n_key + k][0])
			return 0;
	const char *v = img->values[S_KEY + u->n_key + u->n_need];
	return v && !strcmp(v, u->value);
}

static size_t judge_unique(const struct policy *p, const struct fleet_image *imgs, size_t n, fleet_report report,
			   void *ctx)
{
	const struct fleet_unique *u = p->fleet->unique;
	char msg[640];
	size_t groups = 0;

	for (size_t i = 0; i < n; i++) {
		if (!counts(u, &imgs[i]))
			continue;
		size_t first = i, others = 0;
		for (size_t k = 0; k < i && first == i; k++)
			if (counts(u, &imgs[k]) && same_key(u, &imgs[k], &imgs[i]))
				first = k;
		if (first != i)
			continue;           /* reported with the group's first image */
		for (size_t k = i + 1; k < n; k++)
			others += counts(u, &imgs[k]) && same_key(u, &imgs[k], &imgs[i]);
		if (!others)
			continue;
		groups++;
		for (size_t k = i; k < n; k++) {
			if (!counts(u, &imgs[k]) || !same_key(u, &imgs[k], &imgs[i]))
				continue;
			snprintf(msg, sizeof(msg), "one of %zu %s images with %s=%s and the same", others + 1,
				 visibility_name(u->visibility), u->property, u->value);
			for (size_t j = 0; j < u->n_key; j++) {
				size_t o = strlen(msg);
				snprintf(msg + o, sizeof(msg) - o, "%s %s '%.40s'", j ? "," : "", u->key[j],
					 imgs[i].values[S_KEY + j] ? imgs[i].values[S_KEY + j] : "");
			}
			size_t o = strlen(msg);
			snprintf(msg + o, sizeof(msg) - o, ": keep one, hide the others or give them another %s",
				 u->property);
			report(ctx, u->testcase, 1, &imgs[k], msg);
		}
	}
	return groups;
}

void fleet_judge(const struct policy *p, const struct fleet_image *imgs, size_t n, long long now,
		 fleet_report report, void *ctx, size_t failed[2])
{
	failed[0] = failed[1] = 0;
	if (!p->fleet)
		return;
	if (p->fleet->recency)
		failed[0] = judge_recency(p, imgs, n, now, report, ctx);
	if (p->fleet->unique)
		failed[1] = judge_unique(p, imgs, n, report, ctx);
}
