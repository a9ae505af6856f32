/* quota: limits with units, overrides and exemptions; the decision on
 * usage; the byte cap a streaming upload is cut at. */
#include "unit.h"
#include "core/quota.h"
#include "core/projects.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GiB (1ULL << 30)

static struct policy *load_quota(const char *quota_yaml, char *err, size_t errlen)
{
	char text[PATH_MAX + 4096], spec[PATH_MAX];
	struct policy *p = policy_new();

	ck_assert(realpath(ours("scs-0104-v1-images-v5.yaml"), spec));
	/* quota needs keystone; last, so that the lines of quota_yaml keep their numbers */
	snprintf(text, sizeof(text), "policy: [%s]\n%skeystone: {auth_url: http://k/v3, username: u, password: p}\n",
		 spec, quota_yaml);
	const char *path = tmp_file(text);
	int rc = opconf_load(path, 0, p, NULL, err, errlen);
	unlink(path);
	if (rc == 0 && policy_finish(p, err, errlen) == 0)
		return p;
	policy_free(p);
	return NULL;
}

/* Keystone as the unit tests see it: admin in Default is a1, customer-a
 * is 123; another domain has its own admin (x9); 0f9e is an id. */
static int fake_keystone(void *ctx, const char *domain, const char *name, char *out, size_t outlen, char *err,
			 size_t errlen)
{
	static const char *const known[][3] = {
		{ "Default", "admin", "a1" }, { "Default", "customer-a", "123" }, { "other", "admin", "x9" },
		{ NULL, "0f9e0f9e0f9e0f9e0f9e0f9e0f9e0f9e", "0f9e0f9e0f9e0f9e0f9e0f9e0f9e0f9e" },
	};
	(void)ctx;
	if (!strcmp(name, "down"))
		return snprintf(err, errlen, "Keystone timed out"), -1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((domain ? known[i][0] && !strcmp(domain, known[i][0]) : !known[i][0]) && !strcmp(name, known[i][1])) {
			snprintf(out, outlen, "%s", known[i][2]);
			return 0;
		}
	return 1;
}

static struct policy *load_resolved(const char *quota_yaml, char *err, size_t errlen)
{
	struct policy *p = load_quota(quota_yaml, err, errlen);
	if (p && projects_resolve(p, fake_keystone, NULL, err, errlen) < 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

static const char issue_example[] =
	"quota:\n"
	"  default: {max_image_size: 50GiB, max_images: 100, max_total_size: 500GiB,\n"
	"            uploads_per_window: {count: 20, window: 24h}, max_concurrent_uploads: 2}\n"
	"  projects: {customer-a: {max_images: 500}, 0f9e0f9e0f9e0f9e0f9e0f9e0f9e0f9e: {max_image_size: unlimited}}\n"
	"  exempt: [{project: admin, reason: \"operator images\", expires: 2027-12-31}]\n";

START_TEST(loads_the_issue_example)
{
	char err[512];
	struct policy *p = load_resolved(issue_example, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	const struct quota *q = p->quota;
	ck_assert_uint_eq(q->defaults.v[QL_IMAGE_SIZE], 50 * GiB);
	ck_assert_uint_eq(q->defaults.v[QL_TOTAL_SIZE], 500 * GiB);
	ck_assert_uint_eq(q->defaults.v[QL_IMAGES], 100);
	ck_assert_uint_eq(q->defaults.v[QL_UPLOADS], 20);
	ck_assert_uint_eq(q->defaults.v[QL_WINDOW], 86400);
	ck_assert_uint_eq(q->defaults.v[QL_CONCURRENT], 2);
	ck_assert_int_eq(q->n_projects, 2);
	ck_assert_int_eq(q->n_exempt, 1);
	ck_assert_str_eq(q->exempt[0].reason, "operator images");

	struct quota_limits l;
	struct caller a = { .project_id = "123", .project_name = "customer-a" };
	quota_limits_for(q, &a, &l);
	ck_assert_uint_eq(l.v[QL_IMAGES], 500);          /* the override */
	ck_assert_uint_eq(l.v[QL_IMAGE_SIZE], 50 * GiB); /* the default stays */
	ck_assert_str_eq(l.from, "customer-a");
	/* a project named customer-a elsewhere (another id) gets the defaults */
	struct caller named = { .project_id = "777", .project_name = "customer-a" };
	quota_limits_for(q, &named, &l);
	ck_assert_uint_eq(l.v[QL_IMAGES], 100);
	struct caller b = { .project_id = "0f9e0f9e0f9e0f9e0f9e0f9e0f9e0f9e" };       /* by id */
	quota_limits_for(q, &b, &l);
	struct quota_usage u = { 0 };
	enum quota_limit which = QL_COUNT;
	ck_assert_int_eq(quota_byte_cap(&l, &u, &which), (long long)(500 * GiB));
	ck_assert_int_eq(which, QL_TOTAL_SIZE);
	policy_free(p);
}
END_TEST

START_TEST(names_resolve_or_fail_with_their_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "quota: {exempt: [{project: nobody, reason: r}]}\n", ":2:28: project 'nobody': no such project in domain 'Default'" },
		{ "quota: {projects: {ffffffffffffffffffffffffffffffff: {max_images: 1}}}\n", ":2:20: project 'ffffffffffffffffffffffffffffffff': no such project id" },
		{ "quota: {exempt: [{project: Default/down, reason: r}]}\n", "could not be looked up: Keystone timed out" },
		{ "quota: {exempt: [{project: other/, reason: r}]}\n", "write an id, a name or domain/name" },
	};
	char err[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p = load_resolved(cases[i].text, err, sizeof(err));
		ck_assert_msg(p == NULL, "%s was accepted", cases[i].text);
		ck_assert_msg(strstr(err, cases[i].want), "%s: got '%s', want '%s'", cases[i].text, err, cases[i].want);
	}
	struct policy *p = load_resolved("quota: {exempt: [{project: other/admin, reason: r}]}\n", err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(p->quota->exempt[0].project_id, "x9");
	policy_free(p);
}
END_TEST

START_TEST(errors_name_the_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "quota: {default: {max_image_size: 50 gigs}}\n", ":2:35: max_image_size must be a size like 50GiB" },
		{ "quota: {default: {max_image_size: 1.5GiB}}\n", "max_image_size must be a size" },
		{ "quota: {default: {max_images: -1}}\n", "max_images must be a whole number" },
		{ "quota: {default: {max_imgs: 3}}\n", "unknown key 'max_imgs'" },
		{ "quota: {default: {uploads_per_window: {count: 3}}}\n", "needs a 'window' key" },
		{ "quota: {default: {uploads_per_window: {count: 3, window: soon}}}\n", "must be a duration" },
		{ "quota: {exempt: [{project: admin}]}\n", "say why, it is logged" },
		{ "quota: {exempt: [{project: a, reason: r, rules: [x]}]}\n", "unknown key 'rules'" },
		{ "quota: {projects: [a]}\n", "quota.projects" },
	};
	char err[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p = load_quota(cases[i].text, err, sizeof(err));
		ck_assert_msg(p == NULL, "%s was accepted", cases[i].text);
		ck_assert_msg(strstr(err, cases[i].want), "%s: got '%s', want '%s'", cases[i].text, err, cases[i].want);
	}
}
END_TEST

static struct decision run(const struct policy *p, const struct caller *who, const struct quota_usage *u,
			   enum quota_op op, long long size, int cut)
{
	struct decision d = { .mode = MODE_DRY_RUN, .action = ACTION_ALLOW };
	struct quota_limits l;
	struct quota_ask ask = { .op = op, .size = size, .cut = cut };
	quota_limits_for(p->quota, who, &l);
	quota_decide(p->quota, p->mode, who, date_parse("2026-11-22"), &l, u, &ask, &d);
	return d;
}

static void want_rule(const struct decision *d, const char *rule, const char *words)
{
	char msg[512];
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].rule, rule))
			continue;
		violation_message(&d->v[i], msg, sizeof(msg));
		ck_assert_msg(strstr(msg, words), "%s: '%s' lacks '%s'", rule, msg, words);
		return;
	}
	ck_abort_msg("no %s violation", rule);
}

START_TEST(each_limit_at_its_edge)
{
	char err[512];
	struct policy *p = load_quota(issue_example, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct caller c = { .project_id = "p1", .project_name = "customer-b" };
	struct quota_usage u = { .images = 99, .bytes = 400 * GiB, .recent = 19, .active = 1 };
	struct decision d;

	/* just under every limit */
	d = run(p, &c, &u, QUOTA_CREATE, -1, 0);
	ck_assert_int_eq(d.n, 0);
	d = run(p, &c, &u, QUOTA_UPLOAD, (long long)(50 * GiB), 0);
	ck_assert_int_eq(d.n, 0);
	ck_assert_int_eq(d.action, ACTION_ALLOW);

	/* at the limit: refused, in words that name limit, usage and size */
	u.images = 100;
	d = run(p, &c, &u, QUOTA_CREATE, -1, 0);
	ck_assert_int_eq(d.action, ACTION_DENY);
	want_rule(&d, "quota/image-count", "project customer-b has 100 images; the limit is 100 (max_images, default)");
	ck_assert(quota_binding(&d));
	d = run(p, &c, &u, QUOTA_UPLOAD, 1, 0);     /* this image is one of the 100 */
	ck_assert_int_eq(d.n, 0);

	d = run(p, &c, &u, QUOTA_UPLOAD, (long long)(50 * GiB) + 1, 0);
	want_rule(&d, "quota/image-size", "exceeds the limit of 50 GiB per image");
	want_rule(&d, "quota/image-size", "(53687091201 bytes)");
	d = run(p, &c, &u, QUOTA_UPLOAD, (long long)(60 * GiB), 1);
	want_rule(&d, "quota/image-size", "(more than 60 GiB)");

	u.bytes = 480 * GiB;
	d = run(p, &c, &u, QUOTA_UPLOAD, (long long)(20 * GiB), 0);
	ck_assert_int_eq(d.n, 0);
	d = run(p, &c, &u, QUOTA_UPLOAD, (long long)(20 * GiB) + 1, 0);
	want_rule(&d, "quota/total-size", "project customer-b stores 480 GiB of its 500 GiB");
	enum quota_limit which = QL_COUNT;
	struct quota_limits l;
	quota_limits_for(p->quota, &c, &l);
	ck_assert_int_eq(quota_byte_cap(&l, &u, &which), (long long)(20 * GiB));
	ck_assert_int_eq(which, QL_TOTAL_SIZE);

	u.bytes = 0;
	u.images = 0;
	u.recent = 20;
	d = run(p, &c, &u, QUOTA_IMPORT, -1, 0);
	want_rule(&d, "quota/upload-rate", "started 20 uploads in the last 1d; the limit is 20 per 1d");
	ck_assert_int_eq(d.n, 1);              /* an import never asks for bytes */
	u.recent = 0;
	u.active = 2;
	d = run(p, &c, &u, QUOTA_UPLOAD, 10, 0);
	want_rule(&d, "quota/concurrent-uploads", "has 2 uploads or imports in progress; the limit is 2");
	d = run(p, &c, &u, QUOTA_CREATE, -1, 0);  /* creating is not uploading */
	ck_assert_int_eq(d.n, 0);
	policy_free(p);
}
END_TEST

START_TEST(exempt_still_logged_and_expiring)
{
	char err[512];
	struct policy *p = load_resolved(issue_example, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	/* admin of another domain, and a project named like the exempt one's id */
	struct caller other = { .project_id = "x9", .project_name = "admin" };
	struct caller lookalike = { .project_id = "555", .project_name = "a1" };
	struct quota_usage full = { .images = 1000 };
	ck_assert(!run(p, &other, &full, QUOTA_CREATE, -1, 0).v[0].exempted);
	ck_assert(!run(p, &lookalike, &full, QUOTA_CREATE, -1, 0).v[0].exempted);
	struct caller admin = { .project_id = "a1", .project_name = "admin" };
	struct quota_usage u = { .images = 1000 };
	struct decision d = run(p, &admin, &u, QUOTA_CREATE, -1, 0);
	ck_assert_int_eq(d.n, 1);
	ck_assert(d.v[0].exempted);
	ck_assert(d.exempted);
	ck_assert_str_eq(d.exemption->reason, "operator images");
	ck_assert_int_eq(d.action, ACTION_ALLOW);
	ck_assert(!quota_binding(&d));

	struct decision late = { .mode = MODE_ENFORCE };
	struct quota_limits l;
	struct quota_ask ask = { .op = QUOTA_CREATE, .size = -1 };
	quota_limits_for(p->quota, &admin, &l);
	quota_decide(p->quota, MODE_ENFORCE, &admin, date_parse("2028-01-01"), &l, &u, &ask, &late);
	ck_assert_int_eq(late.action, ACTION_DENY);
	policy_free(p);
}
END_TEST

/* Quotas follow the global mode: a private image in a warn-only scope is
 * still refused for its size. */
START_TEST(quota_uses_the_global_mode)
{
	char err[512];
	struct policy *p = load_quota("mode: enforce\nvisibility: {private: dry-run}\n"
				      "quota: {default: {max_images: 1}}\n", err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct image img = { 0 };
	struct decision d = decide_json(p, "{\"name\":\"x\",\"visibility\":\"private\"}", &img);
	ck_assert_int_eq(d.mode, MODE_DRY_RUN);
	struct caller c = { .project_id = "p" };
	struct quota_usage u = { .images = 1 };
	struct quota_limits l;
	struct quota_ask ask = { .op = QUOTA_CREATE, .size = -1 };
	quota_limits_for(p->quota, &c, &l);
	quota_decide(p->quota, p->mode, &c, 0, &l, &u, &ask, &d);
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_int_eq(d.mode, MODE_ENFORCE);
	image_release(&img);
	policy_free(p);
}
END_TEST

START_TEST(no_limits_no_cap)
{
	char err[512];
	struct policy *p = load_quota("quota: {projects: {x: {max_images: 3}}}\n", err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct caller c = { .project_id = "y" };
	struct quota_limits l;
	struct quota_usage u = { .images = 1000000, .bytes = 1ULL << 60 };
	enum quota_limit which = QL_COUNT;
	quota_limits_for(p->quota, &c, &l);
	ck_assert_int_eq(quota_byte_cap(&l, &u, &which), -1);
	struct decision d = run(p, &c, &u, QUOTA_UPLOAD, 1LL << 50, 0);
	ck_assert_int_eq(d.n, 0);
	policy_free(p);
}
END_TEST

Suite *suite_quota(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");
	tcase_add_test(tc, loads_the_issue_example);
	tcase_add_test(tc, errors_name_the_place);
	tcase_add_test(tc, names_resolve_or_fail_with_their_place);
	tcase_add_test(tc, each_limit_at_its_edge);
	tcase_add_test(tc, exempt_still_logged_and_expiring);
	tcase_add_test(tc, quota_uses_the_global_mode);
	tcase_add_test(tc, no_limits_no_cap);
	suite_add_tcase(s, tc);
	return s;
}
