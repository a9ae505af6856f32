/* decide: the SCS-0104 semantics, exactly as the official test means them,
 * and stricter where that is right (every image of a name is checked). */
#include "core/decide.h"
#include "core/exempt.h"
#include "core/meta.h"

#include <string.h>
#include <strings.h>

/* What a source rule checks: the image's image_source, or the URI a
 * web-download import would fetch the data from. */
struct source_check {
	const char *value;
	size_t len;
	enum vkind kind;
	const char *key;
	const char *shown;      /* what a violation names (the URI as given), NULL: value */
	int only;               /* only source rules: the rest was decided already */
	int selected;           /* how many source rules applied to the image */
};

/* Byte-wise prefix, as Python's str.startswith; empty never passes. */
static int source_allowed(const struct source_check *sc, char *const *prefixes, size_t n)
{
	if (!sc->value || !sc->len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(prefixes[i]);
		if (plen <= sc->len && !memcmp(sc->value, prefixes[i], plen))
			return 1;
	}
	return 0;
}

static void check_source(struct decision *d, struct source_check *sc, char *const *prefixes,
			 size_t n, const char *spec, const char *file, unsigned line)
{
	sc->selected++;
	if (source_allowed(sc, prefixes, n))
		return;
	struct violation *v = violation_add(d, sc->kind, spec, file, line);
	if (v) {
		v->key = sc->key;
		v->actual = sc->shown ? sc->shown : sc->value;
		v->expected = (const char *const *)prefixes;
		v->n_expected = n;
	}
}

int name_matches(const struct policy *p, const struct image *img, const struct regex *scheme, const char *exact)
{
	if (!img->name)
		return 0;
	if (!scheme->code)
		return exact && !strcmp(img->name, exact);
	return regex_match(p, scheme, img->name, img->name_len);
}

/* 1 when the name selects the entry, 0 when not; a regex past its limit
 * is recorded as a violation so the image is refused, never waved through. */
static int name_selects(const struct policy *p, struct decision *d, const struct image *img,
			const struct regex *scheme, const char *exact, const char *spec,
			const char *file, unsigned line)
{
	int m = name_matches(p, img, scheme, exact);
	if (m < 0) {
		struct violation *v = violation_add(d, V_REGEX_LIMIT, spec, file, line);
		if (v) {
			v->key = "name";
			v->actual = scheme->pattern;
		}
		return 0;
	}
	return m;
}

static void decide_v1(const struct policy *p, const struct image *img, struct source_check *sc,
		      struct decision *d)
{
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct spec_entry *e = &p->entries[i];
		if (name_selects(p, d, img, &e->scheme, e->name, e->name, e->file, e->line))
			check_source(d, sc, e->sources, e->n_sources, e->name, e->file, e->line);
	}
}

/* Selectors compare without case: "Ubuntu" must not slip past "ubuntu". */
static int rule_selects(const struct policy *p, struct decision *d, const struct image *img,
			const struct v2_rule *r)
{
	for (size_t i = 0; i < r->n_match; i++) {
		const char *have = image_prop(img, r->match[i].key);
		if (!have || strcasecmp(have, r->match[i].value))
			return 0;
	}
	if (r->name_scheme.code)
		return name_selects(p, d, img, &r->name_scheme, NULL, r->id, r->file, r->line);
	return 1;
}

/* The release an image claims, or -1 after recording why it has none
 * (in d, unless d is NULL). */
static long find_release(const struct policy *p, struct decision *d, const struct image *img,
			 const struct v2_rule *r)
{
	const struct distro *dist = r->distro;
	const char *ver = img->os_version;
	int known_format = ver && regex_match(p, &dist->version_format, ver, strlen(ver)) == 1;

	for (size_t k = 0; known_format && k < dist->n_releases; k++)
		if (!strcmp(dist->releases[k].version, ver))
			return (long)k;
	if (!d)
		return -1;
	struct violation *v = violation_add(d, known_format ? V_UNKNOWN_VERSION : V_VERSION_FORMAT, r->id, r->file,
					    r->line);
	if (v) {
		v->key = "os_version";
		v->actual = ver;
		v->distro = dist;
	}
	return -1;
}

static void check_required(struct decision *d, const struct image *img, const struct v2_rule *r)
{
	for (size_t i = 0; i < r->n_require; i++) {
		const char *have = image_prop(img, r->require[i].key);
		if (have && !strcmp(have, r->require[i].value))
			continue;
		struct violation *v = violation_add(d, V_PROPERTY, r->id, r->file, r->line);
		if (v) {
			v->key = r->require[i].key;
			v->actual = have;
			v->expected = (const char *const *)&r->require[i].value;
			v->n_expected = 1;
		}
	}
}

static void decide_v2(const struct policy *p, const struct image *img, struct source_check *sc,
		      struct decision *d)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct v2_rule *r = &p->rules[i];
		if (!rule_selects(p, d, img, r))
			continue;
		if (r->distro) {
			long k = find_release(p, sc->only ? NULL : d, img, r);
			if (k >= 0 && r->n_sources)
				check_source(d, sc, r->expanded[k], r->n_sources, r->id, r->file, r->line);
		} else if (r->n_sources) {
			check_source(d, sc, r->sources, r->n_sources, r->id, r->file, r->line);
		}
		if (!sc->only)
			check_required(d, img, r);
	}
}

static void add_meta(struct decision *d, const struct meta_rule *r, const char *actual, const char *why)
{
	struct violation *v = violation_add(d, V_METADATA, r->id, r->file, r->line);
	if (v) {
		v->rule = r->rule;
		v->key = r->property;
		v->actual = actual;
		v->why = why;
		v->expected = (const char *const *)&r->allowed;
		v->n_expected = 1;
		v->testcase = r->testcase;
		v->advisory = r->status == STATUS_RECOMMENDED;
	}
}

/* Image metadata rules: every rule of its status applies to every image. */
static void decide_meta(const struct policy *p, const struct image *img, struct decision *d)
{
	for (size_t i = 0; i < p->n_meta; i++) {
		const struct meta_rule *r = &p->meta[i];
		const char *actual, *why;
		if (r->status == STATUS_OPTIONAL || meta_check(p, r, img, &actual, &why))
			continue;
		add_meta(d, r, actual, why);
	}
}

void decide_meta_now(const struct policy *p, const struct image *img, long long now, struct decision *d)
{
	for (size_t i = 0; i < p->n_meta; i++) {
		const struct meta_rule *r = &p->meta[i];
		if (r->status == STATUS_OPTIONAL || !meta_future(p, r, img, now))
			continue;
		add_meta(d, r, image_prop(img, r->property), "is in the future");
	}
}

/* Violations that bind but only advise (recommended rules). */
static size_t advisory(const struct decision *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].advisory && !d->v[i].exempted;
	return n;
}

/* The action, from the violations that bind after exemptions. */
static void settle(const struct policy *p, const struct caller *who, int today, struct decision *d)
{
	size_t binding = decision_exempt(p->exemptions, p->n_exemptions, who, today, d, 0);
	if (!binding)
		d->action = ACTION_ALLOW;
	else if (binding == advisory(d))
		d->action = d->mode == MODE_DRY_RUN ? ACTION_ALLOW : ACTION_WARN;
	else
		d->action = violation_action(d->mode);
}

static void add_origin(struct decision *d, const struct origin_expect *e, enum vkind kind, const char *key,
		       const char *actual)
{
	struct violation *v = violation_add(d, kind, e->list_url, NULL, 0);
	if (v) {
		v->origin = e;
		v->key = key;
		v->actual = actual;
		v->why = e->why;
	}
}

void decide_origin(const struct policy *p, const struct image *img, const struct caller *who, int today,
		   const struct origin_expect *e, const char *actual, struct decision *d)
{
	const char *declared = image_prop(img, sums_source_key(e->algo));     /* the image's own claim */
	size_t before = d->n;
	enum mode scoped = p->scope[img->visibility];

	d->mode = p->mode < scoped ? p->mode : scoped;
	switch (e->status) {
	case ORIGIN_UNLISTED:
		add_origin(d, e, V_ORIGIN_UNLISTED, "image_source", NULL);
		break;
	case ORIGIN_SIGNATURE:
		add_origin(d, e, V_ORIGIN_SIGNATURE, "image_source", NULL);
		break;
	case ORIGIN_UNAVAILABLE:
		add_origin(d, e, V_ORIGIN_UNAVAILABLE, "image_source", NULL);
		if (d->n > before)
			d->v[d->n - 1].advisory = p->origin.fail_open;
		break;
	case ORIGIN_INVALID:
		add_origin(d, e, V_ORIGIN_LIST_INVALID, "image_source", NULL);
		break;
	case ORIGIN_LISTED:
		if (actual && strcmp(actual, e->expected))
			add_origin(d, e, V_ORIGIN_CHECKSUM, "data", actual);
		if (declared && strcasecmp(declared, e->expected))
			add_origin(d, e, V_ORIGIN_DECLARED, sums_source_key(e->algo), declared);
		break;
	}
	settle(p, who, today, d);
}

/* canon: uri in canonical form, which is what must equal image_source. */
static void check_equal(const struct policy *p, struct decision *d, const struct image *img, const char *uri,
			const char *canon)
{
	if (img->image_source && img->source_len == strlen(canon) && !memcmp(img->image_source, canon, img->source_len))
		return;
	struct violation *v = violation_add(d, V_DOWNLOAD_URI_EQUAL, "import.download_uri",
					    p->n_files ? p->files[0] : NULL, p->download_uri_line);
	if (v) {
		v->key = "uri";
		v->actual = uri;
		v->expected = &img->image_source;
		v->n_expected = img->image_source ? 1 : 0;
	}
}

/* A prefix match on a URL that is not in canonical form says nothing
 * about where the bytes come from (`https://mirror/ok/../evil` starts
 * with `https://mirror/ok/`): an image_source a source rule checks must
 * be canonical already; the official test's startswith does not ask. */
static void check_canonical(struct decision *d, const struct image *img)
{
	char canon[URI_MAX];
	const char *why;
	int ok = uri_canonical(img->image_source, canon, sizeof(canon), &why) == 0;

	if (ok && !strcmp(canon, img->image_source))
		return;
	struct violation *v = violation_add(d, V_SOURCE_CANONICAL, "RFC 3986 canonical form", NULL, 0);
	if (v) {
		v->key = "image_source";
		v->actual = img->image_source;
		v->why = ok ? NULL : why;
	}
}

/* The web-download URI in canonical form into canon, or NULL when it has
 * none (then it is refused: import/download-uri). */
static const char *canonical_uri(struct decision *d, const char *uri, char *canon, size_t len)
{
	const char *why;

	if (uri_canonical(uri, canon, len, &why) == 0)
		return canon;
	struct violation *v = violation_add(d, V_URI_REFUSED, "RFC 3986 canonical form", NULL, 0);
	if (v) {
		v->key = "uri";
		v->actual = uri;
		v->why = why;
	}
	return NULL;
}

void decide_import(const struct policy *p, const struct image *img, const char *uri,
		   const struct caller *who, int today, struct decision *d)
{
	enum mode scoped = p->scope[img->visibility];
	struct source_check sc = { img->image_source, img->source_len, V_SOURCE, "image_source", NULL, 0, 0 };

	d->n = d->n_more = 0;
	d->exempted = 0;
	d->exemption = NULL;
	d->mode = p->mode < scoped ? p->mode : scoped;
	decide_v1(p, img, &sc, d);
	decide_v2(p, img, &sc, d);
	decide_meta(p, img, d);
	if (sc.selected && img->image_source && img->source_len)
		check_canonical(d, img);
	char canon[URI_MAX];
	const char *c;
	if (uri && p->download_uri != DOWNLOAD_URI_OFF && (c = canonical_uri(d, uri, canon, sizeof(canon)))) {
		struct source_check dl = { c, strlen(c), V_DOWNLOAD_URI, "uri", uri, 1, 0 };
		decide_v1(p, img, &dl, d);
		decide_v2(p, img, &dl, d);
		/* An image_source the data did not come from would be a false
		 * provenance claim, whether or not a rule selects the image. */
		if (p->download_uri == DOWNLOAD_URI_EQUAL && (dl.selected || img->image_source))
			check_equal(p, d, img, uri, c);
	}
	settle(p, who, today, d);
}

void decide(const struct policy *p, const struct image *img, const struct caller *who,
	    int today, struct decision *d)
{
	decide_import(p, img, NULL, who, today, d);
}
