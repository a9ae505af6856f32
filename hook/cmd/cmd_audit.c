/* audit: check every image of a cloud the way the SCS compliance test
 * does (public and community images, source prefixes, mandatory and
 * recommended images), and more: community and hidden images are listed
 * explicitly, every image of a duplicated name counts, v2 rules apply. */
#include "cmd/cli.h"
#include "io/clouds.h"
#include "core/decide.h"
#include "core/digest.h"
#include "core/fleet.h"
#include "io/glance.h"
#include "core/image.h"
#include "core/jsonw.h"
#include "io/keystone.h"
#include "core/meta.h"
#include "core/presence.h"
#include "core/testcase.h"
#include "core/util.h"
#include "io/vendor.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char audit_usage[] =
"usage: scs-image-hook audit [--os-cloud NAME] [--config FILE | --policy FILE...]\n"
"                            [--format text|json|scs] [--now DATE] [--all-visibilities]\n"
"                            [--verify-origin [--download]] [TESTCASE...]\n"
"\n"
"List every public and community image of a cloud (hidden ones too, reported\n"
"apart) and report each image whose image_source or properties violate the\n"
"policy, and every mandatory or recommended image that is missing, including\n"
"the SCS-0104 v2 presence rules as of DATE (default today).\n"
"\n"
"      --os-cloud NAME   cloud from clouds.yaml (default $OS_CLOUD, else OS_* variables)\n"
"  -c, --config FILE     operator config\n"
"  -p, --policy FILE     an SCS spec, v2 rules or metadata file; repeatable\n"
"  -f, --format FMT      text (default), json (full report), scs (testcase lines\n"
"                        as the SCS compliance runner reads them; they judge\n"
"                        only public and community images that are not hidden,\n"
"                        as the standard and its test do)\n"
"      --now DATE        evaluate presence dates as of YYYY-MM-DD\n"
"      --all-visibilities  also shared and private images (needs an admin token)\n"
"      --verify-origin   an image whose image_source lies under an origin (policy\n"
"                        origins:) must be the vendor's file: Glance's\n"
"                        os_hash_value is compared with the vendor's list where\n"
"                        os_hash_algo is the list's algorithm (rules origin/*;\n"
"                        scs line scs-image-hook-origin)\n"
"      --download        with --verify-origin: where the algorithms differ, read\n"
"                        the image data from Glance and hash it (progress on a\n"
"                        terminal); without, such images are listed as not verified\n"
"  -h, --help            show this help\n"
"\n"
"With --format scs, the TESTCASEs named (scs-0104-source-ubuntu-2404, ...) are\n"
"printed in that order, as the official openstack_test.py prints them: one the\n"
"policy does not define is ABORT, and so is every one when the cloud cannot be\n"
"read (with a CRITICAL: line on stderr). policy/scs-0104-testcases.yaml holds\n"
"the official test's testcases; deploy/scs/scs-0104-test calls audit the way\n"
"the SCS compliance runner calls openstack_test.py.\n"
"\n"
"Exit status: 0 compliant, 1 violations or missing mandatory images (scs: a\n"
"FAIL line), 2 usage, policy, authentication or connection error.\n";

struct entry_result {
	size_t checked, failed, present;
};

struct bad_image {
	char *id, *name;
	enum visibility visibility;
	int hidden, present;                /* present: in the standard's sense */
	char **messages, **rules;
	size_t n;
};

/* A whole-cloud (fleet.h) finding, for text and json. */
struct cloud_finding {
	const char *testcase;
	int fail;
	char *id, *name, *message;
};

struct audit {
	struct policy *policy;
	long long now;                      /* seconds: --now at midnight UTC, else the clock */
	size_t *meta_failed;                /* per metadata rule, present images only */
	struct fleet_image *fleet;          /* present images, as the whole-cloud rules read them */
	size_t n_fleet, cap_fleet;
	struct cloud_finding *cloud;
	size_t n_cloud, cap_cloud, cloud_failed[2];
	int today, all, format;             /* 0 text, 1 json, 2 scs */
	int progress;
	size_t listed, by_vis[VIS_COUNT], hidden, binding;
	struct entry_result *entries, *rules;
	struct bad_image *bad;
	size_t n_bad, cap_bad;
	/* presence: names and (distro, version, purpose) of visible public/community images */
	char **names;
	size_t n_names, cap_names;
	struct image_key { char *distro, *version, *purpose; } *keys;
	size_t n_keys, cap_keys;
	/* --verify-origin */
	int verify, download;
	struct vendor *vendor;
	struct glance *glance;              /* while listing: --download reads data through it */
	size_t origin_checked, origin_verified, origin_failed;
	struct unverified *unverified;
	size_t n_unverified, cap_unverified;
	char err[512];
};

/* An image under an origin whose bytes could not be compared. */
struct unverified {
	char *id, *name, *why;
};

enum { FMT_TEXT, FMT_JSON, FMT_SCS };

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static void remember_visible(struct audit *a, const struct image *img)
{
	if (img->name && grow(&a->names, &a->cap_names, a->n_names, sizeof(*a->names)) == 0)
		a->names[a->n_names++] = xstrdup(img->name);
	if (img->os_distro && img->os_version &&
	    grow(&a->keys, &a->cap_keys, a->n_keys, sizeof(*a->keys)) == 0)
		a->keys[a->n_keys++] = (struct image_key){ xstrdup(img->os_distro), xstrdup(img->os_version),
							   dup_or_null(img->os_purpose) };
}

static void count_results(struct audit *a, const struct decision *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct policy *p = a->policy;
		for (size_t k = 0; k < p->n_entries; k++)
			if (d->v[i].spec == p->entries[k].name)
				a->entries[k].failed++;
		for (size_t k = 0; k < p->n_rules; k++)
			if (d->v[i].spec == p->rules[k].id)
				a->rules[k].failed++;
		for (size_t k = 0; k < p->n_meta; k++)
			if (d->v[i].spec == p->meta[k].id)
				a->meta_failed[k]++;
	}
}

static void remember_fleet(struct audit *a, const struct image *img)
{
	if (!a->policy->fleet || grow(&a->fleet, &a->cap_fleet, a->n_fleet, sizeof(*a->fleet)) < 0)
		return;
	fleet_image_take(a->policy->fleet, img, &a->fleet[a->n_fleet++]);
}

static void on_finding(void *ctx, const char *testcase, int fail, const struct fleet_image *img, const char *message)
{
	struct audit *a = ctx;
	if (grow(&a->cloud, &a->cap_cloud, a->n_cloud, sizeof(*a->cloud)) < 0)
		return;
	a->cloud[a->n_cloud++] = (struct cloud_finding){ testcase, fail, dup_or_null(img->id), xstrdup(img->name),
							 xstrdup(message) };
	a->binding += fail;
}

static void remember_bad(struct audit *a, const struct image *img, const struct decision *d, int present)
{
	char msg[1024];

	if (grow(&a->bad, &a->cap_bad, a->n_bad, sizeof(*a->bad)) < 0)
		return;
	struct bad_image *b = &a->bad[a->n_bad++];
	*b = (struct bad_image){ dup_or_null(img->id), dup_or_null(img->name), img->visibility, img->os_hidden,
				 present, xcalloc(d->n, sizeof(char *)), xcalloc(d->n, sizeof(char *)), d->n };
	for (size_t i = 0; i < d->n; i++) {
		violation_message(&d->v[i], msg, sizeof(msg));
		b->messages[i] = xstrdup(msg);
		b->rules[i] = xstrdup(d->v[i].exempted ? "exempted" : d->v[i].rule);
		a->binding += !d->v[i].exempted;
	}
}

/* Present as SCS-0104 means it, and as the official test lists images:
 * public or community, and not hidden. */
static int scs_present(const struct image *img)
{
	return !img->os_hidden && (img->visibility == VIS_PUBLIC || img->visibility == VIS_COMMUNITY);
}

/* ---- origins ---------------------------------------------------------------- */

struct download {
	struct audit *a;
	struct digest *dg;
	const char *id;
	unsigned long long bytes;
};

static int hash_chunk(const char *data, size_t len, void *ctx)
{
	struct download *dl = ctx;
	digest_update(dl->dg, data, len);
	if (dl->a->progress && (dl->bytes >> 26) != ((dl->bytes + len) >> 26))
		fprintf(stderr, "\raudit: reading image %s: %llu MiB", dl->id, (dl->bytes + len) >> 20);
	dl->bytes += len;
	return 0;
}

/* The digest of an image's data as Glance serves it. 0, or -1 with why. */
static int download_digest(struct audit *a, const char *id, enum sums_algo algo, char hex[SUMS_MAX_HEX + 1],
			   char *why, size_t whylen)
{
	struct download dl = { a, digest_new(algo), id, 0 };
	int rc = -1;

	if (strspn(id, "0123456789abcdefABCDEF-") != strlen(id))
		snprintf(why, whylen, "Glance gave the image id '%.64s', which is no UUID", id);
	else if ((rc = glance_download(a->glance, id, hash_chunk, &dl, why, whylen)) > 0)
		snprintf(why, whylen, "Glance holds no data for it");
	if (a->progress && dl.bytes >= (1u << 26))
		fputc('\n', stderr);
	digest_hex(dl.dg, hex);
	digest_free(dl.dg);
	return rc == 0 ? 0 : -1;
}

static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (grow(&a->unverified, &a->cap_unverified, a->n_unverified, sizeof(*a->unverified)) < 0)
		return;
	a->unverified[a->n_unverified++] = (struct unverified){ dup_or_null(img->id), dup_or_null(img->name),
								xstrdup(why) };
}

/* The bytes Glance holds, as far as they can be known: its own digest
 * when it is the vendor's algorithm, else (--download) the data read
 * back. NULL when not known (then it says why). */
static const char *stored_digest(struct audit *a, const struct image *img, const struct origin_expect *e,
				 char hex[SUMS_MAX_HEX + 1])
{
	const char *algo = image_prop(img, "os_hash_algo"), *value = image_prop(img, "os_hash_value");
	const char *status = image_prop(img, "status"), *want = sums_algo_name(e->algo);
	char why[512];

	if (status && strcmp(status, "active")) {
		not_verified(a, img, "the image is %s: Glance holds no data to compare", status);
		return NULL;
	}
	if (algo && value && !strcmp(algo, want) && strlen(value) == sums_hex_len(e->algo)) {
		size_t i;
		for (i = 0; value[i]; i++)
			hex[i] = (char)tolower((unsigned char)value[i]);
		hex[i] = '\0';
		return hex;
	}
	if (!a->download) {
		not_verified(a, img, "Glance's os_hash_algo is %s, the vendor's list %s: --download reads the data "
			     "to compare", algo ? algo : "not set", want);
		return NULL;
	}
	if (download_digest(a, img->id ? img->id : "", e->algo, hex, why, sizeof(why)) < 0) {
		not_verified(a, img, "cannot read its data: %s", why);
		return NULL;
	}
	return hex;
}

/* What --verify-origin found for one image: d's origin violations point
 * into it, so it lives as long as d. */
struct origin_seen {
	struct origin_expect e;
	char hex[SUMS_MAX_HEX + 1];
};

/* --verify-origin: the origin rules on one image, into d. */
static void verify_origin(struct audit *a, const struct image *img, const struct caller *who, struct decision *d,
			  struct origin_seen *seen)
{
	struct origin_expect *e = &seen->e;
	const char *actual = NULL;
	size_t before = d->n;

	if (!vendor_expect_source(a->vendor, &a->policy->origins, img->image_source, img->source_len, e))
		return;
	a->origin_checked++;
	if (e->status == ORIGIN_LISTED)
		actual = stored_digest(a, img, e, seen->hex);
	decide_origin(a->policy, img, who, a->today, e, actual, d);
	int failed = 0;
	for (size_t i = before; i < d->n; i++)
		failed |= !d->v[i].exempted;
	a->origin_failed += failed;
	a->origin_verified += actual && !failed;
}

static int on_image(const char *json, size_t len, void *ctx)
{
	struct audit *a = ctx;
	struct image img = { 0 };
	struct decision d;
	struct caller who = { 0 };
	char why[256];

	if (image_parse(&img, json, len, why, sizeof(why)) < 0) {
		snprintf(a->err, sizeof(a->err), "Glance returned an image we cannot read: %s", why);
		image_release(&img);
		return -1;
	}
	who.project_id = img.owner;
	decide(a->policy, &img, &who, a->today, &d);
	decide_meta_now(a->policy, &img, a->now, &d);
	struct origin_seen seen;
	if (a->verify)
		verify_origin(a, &img, &who, &d, &seen);
	a->listed++;
	a->by_vis[img.visibility]++;
	a->hidden += img.os_hidden;
	int present = scs_present(&img);
	if (present) {
		remember_visible(a, &img);
		remember_fleet(a, &img);
	}
	for (size_t k = 0; k < a->policy->n_entries; k++) {
		const struct spec_entry *e = &a->policy->entries[k];
		int sel = name_matches(a->policy, &img, &e->scheme, e->name) != 0;   /* limit: count it */
		a->entries[k].checked += sel;
		a->entries[k].present += sel && present;
	}
	/* The SCS testcase lines judge present images only; every image of a
	 * duplicated name among them counts (stricter than the test, which
	 * keeps the last). text and json still report the others. */
	if (present)
		count_results(a, &d);
	if (d.n)
		remember_bad(a, &img, &d, present);
	if (a->progress && a->listed % 100 == 0)
		fprintf(stderr, "\raudit: %zu images", a->listed);
	image_release(&img);
	return 0;
}

/* Glance leaves community and hidden images out of a default listing, so
 * each visibility is asked for explicitly, hidden and visible. */
static int list_all(struct audit *a, struct glance *g)
{
	char query[128];

	for (int v = 0; v < (a->all ? 4 : 2); v++)
		for (int hidden = 0; hidden < 2; hidden++) {
			snprintf(query, sizeof(query), "visibility=%s%s", visibility_name((enum visibility)v),
				 hidden ? "&os_hidden=true" : "");
			if (glance_list(g, query, on_image, a, a->err, sizeof(a->err)) < 0)
				return -1;
		}
	if (a->progress)
		fprintf(stderr, "\raudit: %zu images, %zu pages\n", a->listed, g->pages);
	return 0;
}

static int connect_and_list(struct audit *a, const char *cloud)
{
	struct cloud_auth auth = { 0 };
	struct http_client http = { 0 };
	struct keystone_session ks = { 0 };
	struct glance g;
	int rc = -1;

	if (clouds_resolve(cloud, &auth, a->err, sizeof(a->err)) < 0 ||
	    http_init(&http, auth.verify, auth.cacert, a->err, sizeof(a->err)) < 0 ||
	    keystone_auth(&http, &auth, &ks, a->err, sizeof(a->err)) < 0)
		goto out;
	const char *ep = keystone_endpoint(&ks, "image", auth.interface ? auth.interface : "public", auth.region_name);
	if (!ep) {
		snprintf(a->err, sizeof(a->err), "the catalog of %s has no %s image endpoint%s%s",
			 auth.cloud ? auth.cloud : "the environment's cloud", auth.interface ? auth.interface : "public",
			 auth.region_name ? " in region " : "", auth.region_name ? auth.region_name : "");
		goto out;
	}
	glance_init(&g, &http, ep, ks.token);
	a->glance = &g;
	rc = list_all(a, &g);
	a->glance = NULL;
out:
	keystone_session_free(&ks);
	http_cleanup(&http);
	cloud_auth_free(&auth);
	return rc;
}

/* ---- presence -------------------------------------------------------------- */

static int name_present(const struct audit *a, const struct regex *re)
{
	for (size_t i = 0; i < a->n_names; i++)
		if (regex_match(a->policy, re, a->names[i], strlen(a->names[i])) != 0)
			return 1;
	return 0;
}

static int release_present(const struct audit *a, const struct presence_rule *r, const struct release *rel)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		const struct image_key *k = &a->keys[i];
		if (!strcasecmp(k->distro, r->distro->name) && !strcmp(k->version, rel->version) &&
		    (!r->os_purpose || (k->purpose && !strcasecmp(k->purpose, r->os_purpose))))
			return 1;
	}
	return 0;
}

struct expectation {
	char id[128], what[256];
	enum status status;
	int present;
};

/* Every presence expectation, v1 entries first, then v2 rules. */
static size_t expectations(const struct audit *a, struct expectation *out, size_t max)
{
	const struct policy *p = a->policy;
	size_t n = 0;

	for (size_t k = 0; k < p->n_entries && n < max; k++) {
		const struct spec_entry *e = &p->entries[k];
		if (e->status == STATUS_OPTIONAL)
			continue;
		struct expectation *x = &out[n++];
		snprintf(x->id, sizeof(x->id), "%s", e->testcase);
		snprintf(x->what, sizeof(x->what), "an image named %s%s%s", e->scheme.code ? "/" : "'",
			 e->scheme.code ? e->scheme.pattern : e->name, e->scheme.code ? "/" : "'");
		x->status = e->status;
		x->present = a->entries[k].present > 0;
	}
	for (size_t k = 0; k < p->n_presence && n + 2 <= max; k++) {
		const struct presence_rule *r = &p->presence[k];
		if (!r->distro) {
			struct expectation *x = &out[n++];
			testcase_presence(r, k, NULL, x->id, sizeof(x->id));
			snprintf(x->what, sizeof(x->what), "an image named /%s/", r->name_scheme.pattern);
			x->status = r->latest;
			x->present = name_present(a, &r->name_scheme);
			continue;
		}
		const struct release *rel[2];
		presence_expected(r, a->today, &rel[0], &rel[1]);
		for (int i = 0; i < 2; i++) {
			if (!rel[i])
				continue;
			struct expectation *x = &out[n++];
			testcase_presence(r, k, rel[i], x->id, sizeof(x->id));
			snprintf(x->what, sizeof(x->what), "os_distro=%s os_version=%s%s%s (%s)", r->distro->name,
				 rel[i]->version, r->os_purpose ? " os_purpose=" : "", r->os_purpose ? r->os_purpose : "",
				 rel[i]->codename);
			x->status = i ? r->previous : r->latest;
			x->present = release_present(a, r, rel[i]);
		}
	}
	return n;
}

/* ---- reports ---------------------------------------------------------------- */

#define MAX_EXPECT 256

/* One testcase line of --format scs: 1 PASS, -1 FAIL, 0 ABORT. */
struct scs_line {
	char id[192];
	int verdict;
	char why[320];                      /* FAIL: the ERROR: line the runner counts */
};

/* Every line the policy gives, in order: per v1 entry its source and
 * image lines (whatever its status: the runner's scope decides what
 * counts), the v2 source lines, the v2 presence lines. Without results
 * (aborted) every verdict is ABORT. */
static size_t scs_lines(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
			struct scs_line **out)
{
	const struct policy *p = a->policy;
	size_t n = 0, max = 2 * p->n_entries + p->n_rules + nx + p->n_meta + 3;
	struct scs_line *l = *out = xcalloc(max ? max : 1, sizeof(*l));

	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_source(&p->entries[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "an image of '%.150s' has an image_source outside its allowed sources"
			 " (audit --format text names it)", p->entries[k].name);
		l[n++].verdict = aborted ? 0 : a->entries[k].failed ? -1 : 1;
	}
	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_image(&p->entries[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "Missing image '%.150s' (none public or community and not hidden)",
			 p->entries[k].name);
		l[n++].verdict = aborted ? 0 : a->entries[k].present ? 1 : -1;
	}
	for (size_t k = 0; k < p->n_rules; k++) {
		testcase_v2_source(&p->rules[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "an image that rule %.150s selects has an image_source outside its"
			 " allowed sources (audit --format text names it)", p->rules[k].id);
		l[n++].verdict = aborted ? 0 : a->rules[k].failed ? -1 : 1;
	}
	for (size_t i = 0; i < nx; i++) {
		if (strncmp(x[i].id, "v2-", 3))
			continue;       /* v1 entries have their image line above */
		testcase_presence_line(x[i].id, l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "Missing image %.250s", x[i].what);
		l[n++].verdict = aborted ? 0 : x[i].present ? 1 : -1;
	}
	for (size_t k = 0; k < p->n_meta; k++) {
		if (!p->meta[k].testcase)
			continue;       /* stricter rules of our own: text and json only */
		snprintf(l[n].id, sizeof(l[n].id), "%.180s", p->meta[k].testcase);
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) fail %s: property %.60s (audit --format text names them)",
			 a->meta_failed[k], p->meta[k].rule, p->meta[k].property);
		l[n++].verdict = aborted ? 0 : a->meta_failed[k] ? -1 : 1;
	}
	const char *cloud_ids[2] = { p->fleet && p->fleet->recency ? p->fleet->recency->testcase : NULL,
				     p->fleet && p->fleet->unique ? p->fleet->unique->testcase : NULL };
	for (int k = 0; k < 2; k++) {
		if (!cloud_ids[k])
			continue;
		snprintf(l[n].id, sizeof(l[n].id), "%.180s", cloud_ids[k]);
		snprintf(l[n].why, sizeof(l[n].why), "%zu finding(s) of %s (audit --format text names the images)",
			 a->cloud_failed[k], cloud_ids[k]);
		l[n++].verdict = aborted ? 0 : a->cloud_failed[k] ? -1 : 1;
	}
	if (a->verify) {
		snprintf(l[n].id, sizeof(l[n].id), "scs-image-hook-origin");
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) under an origin fail the origin rules (audit "
			 "--verify-origin --format text names them)", a->origin_failed);
		l[n++].verdict = aborted ? 0 : a->origin_failed ? -1 : 1;
	}
	return n;
}

/* Print the requested testcases in the order asked (all of them when
 * none was named), as the official openstack_test.py does: one that
 * this policy does not define is ABORT. 1 when a line is FAIL. */
static int report_scs(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
		      char *const *tests, size_t n_tests)
{
	static const char *const verdicts[] = { "FAIL", "ABORT", "PASS" };
	struct scs_line *l;
	size_t n = scs_lines(a, x, nx, aborted, &l);
	int failed = 0;

	for (size_t i = 0; i < (n_tests ? n_tests : n); i++) {
		const struct scs_line *line = NULL;
		for (size_t k = 0; n_tests && k < n && !line; k++)
			if (!strcmp(l[k].id, tests[i]))
				line = &l[k];
		if (!n_tests)
			line = &l[i];
		if (!line)
			fprintf(stderr, "INFO: %s is not a testcase of this policy\n", tests[i]);
		if (line && line->verdict < 0)
			fprintf(stderr, "ERROR: %s\n", line->why);       /* as the official test says why */
		printf("%s: %s\n", line ? line->id : tests[i], verdicts[line ? line->verdict + 1 : 1]);
		failed |= line && line->verdict < 0;
	}
	free(l);
	return failed;
}

static void report_origin_text(const struct audit *a)
{
	if (a->n_unverified)
		printf("\nORIGIN NOT VERIFIED\n");
	for (size_t i = 0; i < a->n_unverified; i++) {
		const struct unverified *u = &a->unverified[i];
		fputs("  ", stdout);
		print_safe(stdout, u->name ? u->name : "(no name)", 80);
		printf("%s%s\n      ", u->id ? " id=" : "", u->id ? u->id : "");
		print_safe(stdout, u->why, 600);
		putchar('\n');
	}
	printf("\norigin: %zu image%s under an origin: %zu verified, %zu failing origin rules, %zu not verified\n",
	       a->origin_checked, a->origin_checked == 1 ? "" : "s", a->origin_verified, a->origin_failed,
	       a->n_unverified);
}

static void report_origin_json(const struct audit *a, struct jsonw *w)
{
	jw_lit(w, ",\"origin\":{\"checked\":");
	jw_int(w, (long long)a->origin_checked);
	jw_lit(w, ",\"verified\":");
	jw_int(w, (long long)a->origin_verified);
	jw_lit(w, ",\"failed\":");
	jw_int(w, (long long)a->origin_failed);
	jw_lit(w, ",\"not_verified\":[");
	for (size_t i = 0; i < a->n_unverified; i++) {
		jw_text(w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(w, a->unverified[i].id);
		jw_lit(w, ",\"name\":");
		jw_cstr(w, a->unverified[i].name);
		jw_lit(w, ",\"reason\":");
		jw_cstr(w, a->unverified[i].why);
		jw_lit(w, "}");
	}
	jw_lit(w, "]}");
}

static void report_text(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
			size_t missing_recommended)
{
	printf("%zu images listed: %zu public, %zu community", a->listed, a->by_vis[VIS_PUBLIC], a->by_vis[VIS_COMMUNITY]);
	if (a->all)
		printf(", %zu shared, %zu private", a->by_vis[VIS_SHARED], a->by_vis[VIS_PRIVATE]);
	printf("; %zu of them hidden\n", a->hidden);
	if (a->n_bad)
		printf("\nVIOLATIONS\n");
	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		fputs("  ", stdout);
		print_safe(stdout, b->name ? b->name : "(no name)", 80);
		printf("  [%s%s]%s%s\n", visibility_name(b->visibility),
		       b->hidden ? ", hidden: not counted by the SCS testcases" : "", b->id ? " id=" : "", b->id ? b->id : "");
		for (size_t k = 0; k < b->n; k++) {
			printf("      %-26s ", b->rules[k]);
			print_safe(stdout, b->messages[k], 1000);   /* sha512 digests are long */
			putchar('\n');
		}
	}
	if (a->n_cloud)
		printf("\nWHOLE CLOUD (public or community, not hidden)\n");
	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		printf("  %s %s: ", c->fail ? "FAIL" : "WARN", c->testcase);
		print_safe(stdout, c->name, 80);
		printf("%s%s\n      ", c->id ? " id=" : "", c->id ? c->id : "");
		print_safe(stdout, c->message, 600);
		putchar('\n');
	}
	if (a->verify)
		report_origin_text(a);
	if (missing_mandatory + missing_recommended) {
		printf("\nMISSING (public or community, not hidden)\n");
		for (size_t i = 0; i < nx; i++)
			if (!x[i].present && x[i].status != STATUS_OPTIONAL)
				printf("  %-12s %s\n", status_name(x[i].status), x[i].what);
	}
	printf("\n%zu violation%s in %zu image%s; %zu mandatory and %zu recommended image%s missing: %s\n",
	       a->binding, a->binding == 1 ? "" : "s", a->n_bad, a->n_bad == 1 ? "" : "s", missing_mandatory,
	       missing_recommended, missing_recommended == 1 ? "" : "s",
	       a->binding || missing_mandatory ? "NOT COMPLIANT" : "compliant");
}

static void report_json(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
			size_t missing_recommended)
{
	struct jsonw w = { 0 };
	char day[11];

	date_format(a->today, day);
	jw_lit(&w, "{\"date\":");
	jw_cstr(&w, day);
	jw_lit(&w, ",\"images\":{\"listed\":");
	jw_int(&w, (long long)a->listed);
	for (int v = 0; v < VIS_COUNT; v++) {
		jw_lit(&w, ",");
		jw_cstr(&w, visibility_name((enum visibility)v));
		jw_lit(&w, ":");
		jw_int(&w, (long long)a->by_vis[v]);
	}
	jw_lit(&w, ",\"hidden\":");
	jw_int(&w, (long long)a->hidden);
	jw_lit(&w, "},\"violations\":[");
	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		jw_text(&w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(&w, b->id);
		jw_lit(&w, ",\"name\":");
		jw_cstr(&w, b->name);
		jw_lit(&w, ",\"visibility\":");
		jw_cstr(&w, visibility_name(b->visibility));
		jw_text(&w, b->hidden ? ",\"os_hidden\":true" : ",\"os_hidden\":false");
		jw_text(&w, b->present ? ",\"scs_present\":true,\"violations\":[" : ",\"scs_present\":false,\"violations\":[");
		for (size_t k = 0; k < b->n; k++) {
			jw_text(&w, k ? ",{\"rule\":" : "{\"rule\":");
			jw_cstr(&w, b->rules[k]);
			jw_lit(&w, ",\"message\":");
			jw_cstr(&w, b->messages[k]);
			jw_lit(&w, "}");
		}
		jw_lit(&w, "]}");
	}
	jw_lit(&w, "],\"cloud\":[");
	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		jw_text(&w, i ? ",{\"testcase\":" : "{\"testcase\":");
		jw_cstr(&w, c->testcase);
		jw_text(&w, c->fail ? ",\"fail\":true,\"id\":" : ",\"fail\":false,\"id\":");
		jw_cstr(&w, c->id);
		jw_lit(&w, ",\"name\":");
		jw_cstr(&w, c->name);
		jw_lit(&w, ",\"message\":");
		jw_cstr(&w, c->message);
		jw_lit(&w, "}");
	}
	jw_lit(&w, "],\"expected\":[");
	for (size_t i = 0; i < nx; i++) {
		jw_text(&w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(&w, x[i].id);
		jw_lit(&w, ",\"what\":");
		jw_cstr(&w, x[i].what);
		jw_lit(&w, ",\"status\":");
		jw_cstr(&w, status_name(x[i].status));
		jw_text(&w, x[i].present ? ",\"present\":true}" : ",\"present\":false}");
	}
	jw_lit(&w, "]");
	if (a->verify)
		report_origin_json(a, &w);
	jw_lit(&w, ",\"summary\":{\"violations\":");
	jw_int(&w, (long long)a->binding);
	jw_lit(&w, ",\"images_with_violations\":");
	jw_int(&w, (long long)a->n_bad);
	jw_lit(&w, ",\"missing_mandatory\":");
	jw_int(&w, (long long)missing_mandatory);
	jw_lit(&w, ",\"missing_recommended\":");
	jw_int(&w, (long long)missing_recommended);
	jw_text(&w, a->binding || missing_mandatory ? ",\"compliant\":false}}\n" : ",\"compliant\":true}}\n");
	fwrite(w.buf, 1, w.len, stdout);
	jw_free(&w);
}

static void audit_free(struct audit *a)
{
	for (size_t i = 0; i < a->n_bad; i++) {
		for (size_t k = 0; k < a->bad[i].n; k++) {
			free(a->bad[i].messages[k]);
			free(a->bad[i].rules[k]);
		}
		free(a->bad[i].messages);
		free(a->bad[i].rules);
		free(a->bad[i].id);
		free(a->bad[i].name);
	}
	free(a->bad);
	for (size_t i = 0; i < a->n_names; i++)
		free(a->names[i]);
	free(a->names);
	for (size_t i = 0; i < a->n_keys; i++) {
		free(a->keys[i].distro);
		free(a->keys[i].version);
		free(a->keys[i].purpose);
	}
	free(a->keys);
	free(a->entries);
	free(a->rules);
	free(a->meta_failed);
	for (size_t i = 0; i < a->n_fleet; i++)
		fleet_image_free(a->policy->fleet, &a->fleet[i]);
	free(a->fleet);
	for (size_t i = 0; i < a->n_cloud; i++) {
		free(a->cloud[i].id);
		free(a->cloud[i].name);
		free(a->cloud[i].message);
	}
	free(a->cloud);
	for (size_t i = 0; i < a->n_unverified; i++) {
		free(a->unverified[i].id);
		free(a->unverified[i].name);
		free(a->unverified[i].why);
	}
	free(a->unverified);
	vendor_free(a->vendor);
	policy_free(a->policy);
}

struct audit_opts {
	struct policy_args pa;
	const char *cloud, *now;
	char **tests;                       /* scs: the testcases asked for, in order */
	size_t n_tests;
};

/* TESTCASE arguments are taken as openstack_test.py takes them: those
 * not starting with scs- are ignored with a warning. */
static int take_tests(struct audit *a, struct audit_opts *o, int argc, char **argv)
{
	if (optind < argc && a->format != FMT_SCS) {
		cli_error("audit takes TESTCASE arguments only with --format scs ('%s'); see --help", argv[optind]);
		return -1;
	}
	o->tests = argv + optind;
	for (int i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "scs-", 4))
			o->tests[o->n_tests++] = argv[i];
		else
			fprintf(stderr, "WARNING: ignoring unknown testcase: %s\n", argv[i]);
	}
	return 0;
}

static int parse_opts(struct audit *a, struct audit_opts *o, int argc, char **argv)
{
	enum { O_CLOUD = 256, O_NOW, O_ALL, O_VERIFY, O_DOWNLOAD };
	static const struct option longopts[] = {
		{ "os-cloud", required_argument, NULL, O_CLOUD }, { "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' }, { "format", required_argument, NULL, 'f' },
		{ "now", required_argument, NULL, O_NOW }, { "all-visibilities", no_argument, NULL, O_ALL },
		{ "verify-origin", no_argument, NULL, O_VERIFY }, { "download", no_argument, NULL, O_DOWNLOAD },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:p:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_CLOUD: o->cloud = optarg; break;
		case 'c': o->pa.config = optarg; break;
		case 'p': policy_args_add(&o->pa, optarg); break;
		case O_NOW: o->now = optarg; break;
		case O_ALL: a->all = 1; break;
		case O_VERIFY: a->verify = 1; break;
		case O_DOWNLOAD: a->download = 1; break;
		case 'f':
			a->format = !strcmp(optarg, "json") ? FMT_JSON : !strcmp(optarg, "scs") ? FMT_SCS :
				    !strcmp(optarg, "text") ? FMT_TEXT : -1;
			if (a->format < 0) {
				cli_error("--format must be text, json or scs, not '%s'", optarg);
				return -1;
			}
			break;
		case 'h': fputs(audit_usage, stdout); return 1;
		default: fputs(audit_usage, stderr); return -1;
		}
	}
	if (a->download && !a->verify) {
		cli_error("--download reads image data for --verify-origin only");
		return -1;
	}
	return take_tests(a, o, argc, argv);
}

/* The report in the format asked for; the exit status. */
static int report(struct audit *a, const struct audit_opts *o, int aborted)
{
	struct expectation x[MAX_EXPECT];
	size_t nx = expectations(a, x, MAX_EXPECT), mm = 0, mr = 0;

	if (a->format == FMT_SCS) {
		/* the lines (ABORT when the cloud could not be read), and the status they say */
		int failed = report_scs(a, x, nx, aborted, o->tests, o->n_tests);
		return aborted ? EXIT_USAGE : failed ? EXIT_DENIED : EXIT_OK;
	}
	if (aborted)
		return EXIT_USAGE;
	for (size_t i = 0; i < nx; i++) {
		mm += !x[i].present && x[i].status == STATUS_MANDATORY;
		mr += !x[i].present && x[i].status == STATUS_RECOMMENDED;
	}
	if (a->format == FMT_JSON)
		report_json(a, x, nx, mm, mr);
	else
		report_text(a, x, nx, mm, mr);
	return a->binding || mm ? EXIT_DENIED : EXIT_OK;
}

static int start_verify(struct audit *a)
{
	char err[512];

	if (!a->policy->origins.n) {
		cli_error("--verify-origin: the policy names no origins (add policy/scs-origins.yaml to the config's policy:)");
		return -1;
	}
	if (!(a->vendor = vendor_new(&a->policy->origin, err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_opts o = { 0 };
	struct audit a = { 0 };
	int status = EXIT_USAGE, rc = parse_opts(&a, &o, argc, argv);

	if (rc > 0)
		status = EXIT_OK;
	if (rc || (a.today = cli_today(o.now)) < 0 || !(a.policy = policy_args_load(&o.pa)))
		goto out;
	a.entries = xcalloc(a.policy->n_entries, sizeof(*a.entries));
	a.rules = xcalloc(a.policy->n_rules, sizeof(*a.rules));
	a.meta_failed = xcalloc(a.policy->n_meta ? a.policy->n_meta : 1, sizeof(*a.meta_failed));
	a.now = o.now ? (long long)a.today * 86400 : (long long)time(NULL);
	a.progress = isatty(STDERR_FILENO);
	if (a.verify && start_verify(&a) < 0)
		goto out;
	int aborted = connect_and_list(&a, o.cloud) < 0;
	if (!aborted)
		fleet_judge(a.policy, a.fleet, a.n_fleet, a.now, on_finding, &a, a.cloud_failed);
	if (aborted && a.progress)
		fputc('\n', stderr);
	if (aborted && a.format == FMT_SCS)
		fprintf(stderr, "CRITICAL: audit: %s\n", a.err);     /* as the SCS runner counts it */
	else if (aborted)
		cli_error("audit: %s", a.err);
	status = report(&a, &o, aborted);
out:
	audit_free(&a);
	policy_args_free(&o.pa);
	return status;
}
