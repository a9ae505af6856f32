/* Image metadata rules (SCS-0102): the shipped file, each value kind with
 * the official test's edge cases, the loader's errors, and decisions. The
 * expected dates were printed by Python's time.strptime + calendar.timegm
 * (the official test's parse_date) for exactly these strings. */
#include "core/fleet.h"
#include "core/meta.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define V1 "scs-0102-v1-image-metadata.yaml"

static struct policy *v1(void)
{
	return load_specs(ours(V1), NULL);
}

/* meta_check of rule id on an image given as JSON members. */
static int ok(const struct policy *p, const char *id, const char *members)
{
	char json[2048], err[256];
	struct image img = { 0 };
	const char *actual, *why;
	const struct meta_rule *r = meta_find(p, id);

	ck_assert_msg(r, "no rule %s", id);
	snprintf(json, sizeof(json), "{\"name\":\"x\",\"visibility\":\"public\"%s%s}", *members ? "," : "", members);
	ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
	int rc = meta_check(p, r, &img, &actual, &why);
	image_release(&img);
	return rc;
}

START_TEST(v1_loads)
{
	struct policy *p = v1();
	ck_assert_uint_eq(p->n_meta, 21);
	const struct meta_rule *r = meta_find(p, "architecture");
	ck_assert_str_eq(r->rule, "scs-0102/architecture");
	ck_assert_str_eq(r->testcase, "scs-0102-prop-architecture");
	ck_assert_int_eq(r->status, STATUS_MANDATORY);
	ck_assert_str_eq(meta_find(p, "os_hash_algo")->testcase, "scs-0102-prop-hash_algo");
	ck_assert_int_eq(meta_find(p, "os_purpose")->status, STATUS_RECOMMENDED);
	ck_assert_ptr_null(meta_find(p, "provided_until-format")->testcase);
	ck_assert_str_eq(meta_find(p, "provided_until-format")->property, "provided_until");
	/* every official per-property testcase is decided by exactly one rule */
	const char *tc[] = { "architecture", "hash_algo", "min_disk", "min_ram", "os_version", "os_distro",
			     "os_purpose", "hw_disk_bus", "hypervisor_type", "hw_rng_model", "image_build_date",
			     "image_original_user", "image_source", "image_description", "replace_frequency",
			     "provided_until", "uuid_validity", "hotfix_hours" };
	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		char want[64];
		int n = 0;
		snprintf(want, sizeof(want), "scs-0102-prop-%s", tc[i]);
		for (size_t k = 0; k < p->n_meta; k++)
			n += p->meta[k].testcase && !strcmp(p->meta[k].testcase, want);
		ck_assert_msg(n == 1, "%s decided by %d rules", want, n);
	}
	policy_free(p);
}
END_TEST

/* The v2 draft: os_purpose mandatory; v1 and v2 are alternatives. */
START_TEST(v2_draft)
{
	struct policy *p = load_specs(ours("scs-0102-v2-image-metadata.yaml"), NULL);
	ck_assert_uint_eq(p->n_meta, 21);
	ck_assert_int_eq(meta_find(p, "os_purpose")->status, STATUS_MANDATORY);
	ck_assert_int_eq(meta_find(p, "os_hash_algo")->status, STATUS_RECOMMENDED);
	ck_assert_ptr_nonnull(p->fleet->unique);
	policy_free(p);
	char err[1024];
	p = policy_new();
	ck_assert_int_eq(policy_load_spec(p, ours(V1), err, sizeof(err)), 0);
	ck_assert_int_lt(policy_load_spec(p, ours("scs-0102-v2-image-metadata.yaml"), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "defined twice"), "%s", err);
	policy_free(p);
}
END_TEST

START_TEST(dates_as_python_reads_them)
{
	struct policy *p = v1();
	const struct meta_rule *r = meta_find(p, "image_build_date");
	static const struct {
		const char *s;
		long long t;
	} cases[] = {
		{ "2024-05-01", 1714521600 }, { "2024-5-1", 1714521600 }, { "2024-05- 1", 1714521600 },
		{ "2024-02-30", 0 }, { "2024-02-29", 1709164800 }, { "2023-02-29", 0 },
		{ "1970-01-01", 0 },   /* the epoch reads as "not a date" in the official test */
		{ "1970-01-01 00:00:01", 1 }, { "1969-12-31", -86400 },
		{ "2024-05-01 10:00", 1714557600 }, { "2024-05-01 \t 10:00", 1714557600 },
		{ "2024-05-01T10:00:00Z", 1714557600 }, { "2024-05-01t10:00:00z", 1714557600 },
		{ "2024-05-01T10:00:00", 0 }, { "0000-01-01", 0 }, { "0001-01-01", -62135596800LL },
		{ "2024-05-01 ", 0 }, { " 2024-05-01", 0 }, { "2024-05-01 24:00", 0 },
		{ "2024-05-01 10:00:61", 1714557661 }, { "20240501", 0 }, { "2024-05-01 1:2:3", 1714525323 },
		{ "9999-12-31", 253402214400LL }, { "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long t = meta_date(p, r->dates, r->n_dates, cases[i].s);
		ck_assert_msg(t == cases[i].t, "'%s': %lld, Python says %lld", cases[i].s, t, cases[i].t);
	}
	policy_free(p);
}
END_TEST

START_TEST(build_date_and_registration)
{
	struct policy *p = v1();
	ck_assert_int_eq(ok(p, "image_build_date", "\"image_build_date\":\"2024-05-01\""), 1);
	ck_assert_int_eq(ok(p, "image_build_date", ""), 0);
	ck_assert_int_eq(ok(p, "image_build_date", "\"image_build_date\":\"\""), 0);
	ck_assert_int_eq(ok(p, "image_build_date", "\"image_build_date\":\"May 2024\""), 0);
	ck_assert_int_eq(ok(p, "image_build_date",
			    "\"image_build_date\":\"2024-05-01\",\"created_at\":\"2024-05-01T00:00:00Z\""), 1);
	ck_assert_int_eq(ok(p, "image_build_date",
			    "\"image_build_date\":\"2024-05-01 00:00:01\",\"created_at\":\"2024-05-01T00:00:00Z\""), 0);
	policy_free(p);
}
END_TEST

/* The test's "(bdate or rdate) > now": audit only (decide has no clock). */
START_TEST(build_date_in_the_future)
{
	struct policy *p = v1();
	const struct meta_rule *r = meta_find(p, "image_build_date");
	long long now = (long long)date_parse("2026-11-20") * 86400;
	const char *cases[] = {
		"{\"image_build_date\":\"2026-11-21\"}", "{\"image_build_date\":\"2026-11-19\"}",
		"{\"image_build_date\":\"x\",\"created_at\":\"2026-12-01T00:00:00Z\"}",
		"{\"image_build_date\":\"x\",\"created_at\":\"2026-11-01T00:00:00Z\"}",
	};
	const int future[] = { 1, 0, 1, 0 };
	char err[256];
	for (size_t i = 0; i < 4; i++) {
		struct image img = { 0 };
		ck_assert_msg(image_parse(&img, cases[i], strlen(cases[i]), err, sizeof(err)) == 0, "%s", err);
		ck_assert_msg(meta_future(p, r, &img, now) == future[i], "%s", cases[i]);
		struct decision d = { 0 };
		decide_meta_now(p, &img, now, &d);
		ck_assert_uint_eq(d.n, (size_t)future[i]);
		if (d.n)
			ck_assert_str_eq(d.v[0].why, "is in the future");
		image_release(&img);
	}
	policy_free(p);
}
END_TEST

START_TEST(enums_missing_and_empty)
{
	struct policy *p = v1();
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":\"x86_64\""), 1);
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":\"X86_64\""), 0);
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":\"amd64\""), 0);
	ck_assert_int_eq(ok(p, "architecture", ""), 0);
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":null"), 0);
	/* hw_disk_bus: the official test accepts it unset, not empty; v1 wants it set */
	ck_assert_int_eq(ok(p, "hw_disk_bus", ""), 1);
	ck_assert_int_eq(ok(p, "hw_disk_bus-set", ""), 0);
	ck_assert_int_eq(ok(p, "hw_disk_bus", "\"hw_disk_bus\":\"\""), 0);
	ck_assert_int_eq(ok(p, "hw_disk_bus", "\"hw_disk_bus\":\"ide\""), 0);
	ck_assert_int_eq(ok(p, "hw_disk_bus", "\"hw_disk_bus\":\"scsi\""), 1);
	ck_assert_int_eq(ok(p, "hypervisor_type", ""), 1);
	ck_assert_int_eq(ok(p, "hypervisor_type", "\"hypervisor_type\":\"vmware\""), 0);
	ck_assert_int_eq(ok(p, "hw_rng_model", "\"hw_rng_model\":\"virtio\""), 1);
	ck_assert_int_eq(ok(p, "os_purpose", "\"os_purpose\":\"oldgeneric\""), 1);
	ck_assert_int_eq(ok(p, "os_purpose", ""), 0);
	ck_assert_int_eq(ok(p, "replace_frequency", "\"replace_frequency\":\"critical_bug\""), 1);
	ck_assert_int_eq(ok(p, "replace_frequency", "\"replace_frequency\":\"hourly\""), 0);
	/* a property given as a boolean is not text */
	ck_assert_int_eq(ok(p, "image_original_user", "\"image_original_user\":true"), 0);
	ck_assert_int_eq(ok(p, "os_distro", "\"os_distro\":\"\""), 0);
	/* top level and "properties" (an OSC-style shape) must agree */
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":\"x86_64\",\"properties\":{\"architecture\":\"amd64\"}"), 0);
	ck_assert_int_eq(ok(p, "architecture", "\"architecture\":\"x86_64\",\"properties\":{\"architecture\":\"x86_64\"}"), 1);
	ck_assert_int_eq(ok(p, "architecture", "\"properties\":{\"architecture\":\"x86_64\"}"), 1);
	ck_assert_int_eq(ok(p, "os_distro", "\"os_distro\":\"ubuntu\""), 1);
	policy_free(p);
}
END_TEST

START_TEST(uuid_validity_and_hotfix_hours)
{
	struct policy *p = v1();
	const char *good[] = { "none", "notice", "forever", "last-3", "last-03", "2030-01-01", "2030-01-01 10:00" };
	const char *bad[] = { "", "last-", "last-x", "last--1", "last-3 ", "Last-3", "2030-13-01", "always" };
	char m[128];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(m, sizeof(m), "\"uuid_validity\":\"%s\"", good[i]);
		ck_assert_msg(ok(p, "uuid_validity", m) == 1, "%s refused", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(m, sizeof(m), "\"uuid_validity\":\"%s\"", bad[i]);
		ck_assert_msg(ok(p, "uuid_validity", m) == 0, "%s accepted", bad[i]);
	}
	ck_assert_int_eq(ok(p, "uuid_validity", ""), 1);        /* the official test: unset passes */
	ck_assert_int_eq(ok(p, "uuid_validity-set", ""), 0);    /* v1: mandatory */
	ck_assert_int_eq(ok(p, "hotfix_hours", ""), 1);
	ck_assert_int_eq(ok(p, "hotfix_hours", "\"hotfix_hours\":\"\""), 1);
	ck_assert_int_eq(ok(p, "hotfix_hours", "\"hotfix_hours\":\"48\""), 1);
	ck_assert_int_eq(ok(p, "hotfix_hours", "\"hotfix_hours\":\"-1\""), 0);
	ck_assert_int_eq(ok(p, "hotfix_hours", "\"hotfix_hours\":\"1.5\""), 0);
	ck_assert_int_eq(ok(p, "provided_until", "\"provided_until\":\"someday\""), 1);
	ck_assert_int_eq(ok(p, "provided_until-format", "\"provided_until\":\"someday\""), 0);
	ck_assert_int_eq(ok(p, "provided_until-format", "\"provided_until\":\"2030-12-31\""), 1);
	ck_assert_int_eq(ok(p, "provided_until-format", "\"provided_until\":\"notice\""), 1);
	ck_assert_int_eq(ok(p, "provided_until", "\"provided_until\":\"\""), 0);
	policy_free(p);
}
END_TEST

START_TEST(urls_and_numbers)
{
	struct policy *p = v1();
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"private\""), 1);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"https://x/y.img\""), 1);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"ftps://\""), 1);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"HTTPS://x\""), 0);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"file:///x\""), 0);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"https:/x\""), 0);
	ck_assert_int_eq(ok(p, "image_source", "\"image_source\":\"Private\""), 0);
	ck_assert_int_eq(ok(p, "image_source", ""), 0);
	ck_assert_int_eq(ok(p, "min_disk", "\"min_disk\":0"), 0);
	ck_assert_int_eq(ok(p, "min_disk", ""), 0);
	ck_assert_int_eq(ok(p, "min_disk", "\"min_disk\":2,\"size\":2147483648"), 1);
	ck_assert_int_eq(ok(p, "min_disk", "\"min_disk\":1,\"size\":2147483648"), 0);
	ck_assert_int_eq(ok(p, "min_disk", "\"min_disk\":1,\"size\":null"), 1);
	ck_assert_int_eq(ok(p, "min_ram", "\"min_ram\":32"), 1);
	ck_assert_int_eq(ok(p, "min_ram", "\"min_ram\":-1"), 0);
	ck_assert_int_eq(ok(p, "min_ram", "\"min_ram\":1.5"), 0);
	policy_free(p);
}
END_TEST

static void assert_error(const char *text, const char *line_col, const char *what)
{
	char err[1024];
	ck_assert_msg(load_text(text, 0, err, sizeof(err)) < 0, "accepted: %s", text);
	ck_assert_msg(strstr(err, line_col), "'%s' lacks position '%s'", err, line_col);
	ck_assert_msg(strstr(err, what), "'%s' lacks '%s'", err, what);
}

START_TEST(loader_errors)
{
	assert_error("image_metadata:\n  rules: []\n", ":2:3:", "rule_prefix");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - id: a\n      valuez: [b]\n", ":5:7:",
		     "valuez");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - id: a\n", ":4:7:", "accepts nothing");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - id: a\n      dates: ['%y-%m']\n", ":5:14:",
		     "only %Y");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: a, any: true}\n    - {id: a, any: true}\n",
		     ":5:", "defined twice");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: a, any: true, missing: check}\n", ":4:",
		     "missing");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: A b, any: true}\n", ":4:", "lower-case");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: a, any: yes please}\n", ":4:", "any");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: a, integer: {min: -1}}\n", ":4:",
		     "integer.min");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules:\n    - {id: a, any: true, not_after: {property: c, "
		     "dates: ['%Y']}}\n", ":4:", "needs 'dates'");
	assert_error("image_metadata:\n  rule_prefix: x\n  rules: []\nimages: []\n", ":", "images");
}
END_TEST

START_TEST(decisions_by_status_and_visibility)
{
	struct policy *p = v1();
	struct image img = { 0 };
	const char *full = "\"architecture\":\"x86_64\",\"os_hash_algo\":\"sha512\",\"min_disk\":5,\"min_ram\":512,"
			   "\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"os_purpose\":\"generic\","
			   "\"hw_disk_bus\":\"scsi\",\"image_build_date\":\"2024-05-01\","
			   "\"image_original_user\":\"ubuntu\",\"image_source\":\"https://x/y\","
			   "\"image_description\":\"d\",\"replace_frequency\":\"monthly\",\"provided_until\":\"none\","
			   "\"uuid_validity\":\"last-3\"";
	char json[2048];
	struct decision d;

	snprintf(json, sizeof(json), "{\"name\":\"x\",\"visibility\":\"public\",%s}", full);
	d = decide_json(p, json, &img);
	ck_assert_int_eq(d.action, ACTION_ALLOW);
	ck_assert_uint_eq(d.n, 0);
	/* a recommended property wrong: warned, even in enforce */
	snprintf(json, sizeof(json), "{\"name\":\"x\",\"visibility\":\"public\",%s,\"hw_rng_model\":\"none\"}", full);
	d = decide_json(p, json, &img);
	ck_assert_int_eq(d.action, ACTION_WARN);
	ck_assert_str_eq(d.v[0].rule, "scs-0102/hw_rng_model");
	ck_assert_int_eq(d.v[0].advisory, 1);
	char msg[512];
	violation_message(&d.v[0], msg, sizeof(msg));
	ck_assert_str_eq(msg, "property hw_rng_model 'none' is not accepted; scs-0102/hw_rng_model recommends "
			 "one of: virtio; or not set");
	/* nothing set: refused when public, warned when private */
	d = decide_json(p, "{\"name\":\"x\",\"visibility\":\"public\"}", &img);
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_uint_eq(d.n, 16);     /* the rules that refuse an unset property */
	ck_assert_str_eq(d.v[0].testcase, "scs-0102-prop-architecture");
	violation_message(&d.v[0], msg, sizeof(msg));
	ck_assert_str_eq(msg, "property architecture is not set; scs-0102/architecture requires one of: "
			 "x86_64, aarch64, risc-v");
	d = decide_json(p, "{\"name\":\"x\",\"visibility\":\"private\"}", &img);
	ck_assert_int_eq(d.action, ACTION_WARN);
	image_release(&img);
	policy_free(p);
}
END_TEST


/* ---- whole-cloud rules (fleet.h) ---------------------------------------- */

struct findings {
	char text[4096];
};

static void collect(void *ctx, const char *testcase, int fail, const struct fleet_image *img, const char *message)
{
	struct findings *f = ctx;
	size_t o = strlen(f->text);
	(void)message;
	snprintf(f->text + o, sizeof(f->text) - o, "%s %s %s|", fail ? "FAIL" : "WARN",
		 strcmp(testcase, "scs-0102-image-recency") ? "unique" : "recency", img->name);
}

/* Judge images given as JSON members each; returns the findings in order. */
static const char *judge(const char *now, const char *const *members, size_t n, size_t failed[2])
{
	static struct findings f;
	struct policy *p = v1();
	struct fleet_image fi[8];
	char json[1024], err[256];

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < n; i++) {
		struct image img = { 0 };
		snprintf(json, sizeof(json), "{%s}", members[i]);
		ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
		fleet_image_take(p->fleet, &img, &fi[i]);
		image_release(&img);
	}
	fleet_judge(p, fi, n, (long long)date_parse(now) * 86400, collect, &f, failed);
	for (size_t i = 0; i < n; i++)
		fleet_image_free(p->fleet, &fi[i]);
	policy_free(p);
	return f.text;
}

#define MONTHLY "\"visibility\":\"public\",\"replace_frequency\":\"monthly\",\"provided_until\":\"2030-01-01\""

START_TEST(recency)
{
	size_t failed[2];
	/* built 2026-10-01, monthly: outdated after 34.1 days (2026-11-04 02:24) */
	const char *fresh[] = { "\"name\":\"Debian 12\"," MONTHLY ",\"image_build_date\":\"2026-10-01\"" };
	ck_assert_str_eq(judge("2026-11-04", fresh, 1, failed), "");
	ck_assert_str_eq(judge("2026-11-05", fresh, 1, failed), "WARN recency Debian 12|FAIL recency Debian 12|");
	ck_assert_uint_eq(failed[0], 1);
	/* renamed with its date, and a current image of the base name */
	const char *replaced[] = {
		"\"name\":\"Debian 12 20261001\"," MONTHLY ",\"image_build_date\":\"2026-10-01\"",
		"\"name\":\"Debian 12\"," MONTHLY ",\"image_build_date\":\"2026-11-10\"",
	};
	ck_assert_str_eq(judge("2026-11-20", replaced, 2, failed), "");
	ck_assert_uint_eq(failed[0], 0);
	/* renamed but the base name is outdated as well */
	ck_assert_str_eq(judge("2026-12-20", replaced, 2, failed),
			 "FAIL recency Debian 12 20261001|WARN recency Debian 12|FAIL recency Debian 12|");
	/* hidden: marked; 'old', 'prev' and YYYY-MM-DD mark too, other words do not */
	const char *marks[] = {
		"\"name\":\"A\",\"os_hidden\":true," MONTHLY ",\"image_build_date\":\"2026-01-01\"",
		"\"name\":\"B old\"," MONTHLY ",\"image_build_date\":\"2026-01-01\"",
		"\"name\":\"C 2026-01-01\"," MONTHLY ",\"image_build_date\":\"2026-01-01\"",
		"\"name\":\"D new\"," MONTHLY ",\"image_build_date\":\"2026-01-01\"",
	};
	ck_assert_str_eq(judge("2026-11-20", marks, 4, failed),
			 "FAIL recency A|FAIL recency B old|FAIL recency C 2026-01-01|WARN recency D new|FAIL recency D new|");
	/* provided_until open, past, or not a date; never; no build date: registration */
	const char *until[] = {
		"\"name\":\"E\",\"visibility\":\"public\",\"replace_frequency\":\"monthly\",\"provided_until\":\"none\",\"image_build_date\":\"2020-01-01\"",
		"\"name\":\"F\",\"visibility\":\"public\",\"replace_frequency\":\"monthly\",\"provided_until\":\"2025-01-01\",\"image_build_date\":\"2020-01-01\"",
		"\"name\":\"G\",\"visibility\":\"public\",\"replace_frequency\":\"monthly\",\"provided_until\":\"soon\",\"image_build_date\":\"2020-01-01\"",
		"\"name\":\"H\",\"visibility\":\"public\",\"replace_frequency\":\"never\",\"image_build_date\":\"2020-01-01\"",
		"\"name\":\"I\"," MONTHLY ",\"created_at\":\"2026-11-01T00:00:00Z\"",
	};
	ck_assert_str_eq(judge("2026-11-20", until, 5, failed), "FAIL recency G|");
}
END_TEST

START_TEST(uniqueness)
{
	size_t failed[2];
	const char *imgs[] = {
		"\"name\":\"U1\",\"visibility\":\"public\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"x86_64\",\"os_purpose\":\"generic\"",
		"\"name\":\"U2\",\"visibility\":\"public\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"x86_64\",\"os_purpose\":\"generic\"",
		"\"name\":\"U3\",\"visibility\":\"public\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"aarch64\",\"os_purpose\":\"generic\"",
		"\"name\":\"U4\",\"visibility\":\"community\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"x86_64\",\"os_purpose\":\"generic\"",
		"\"name\":\"U5\",\"visibility\":\"public\",\"os_hidden\":true,\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"x86_64\",\"os_purpose\":\"generic\"",
		"\"name\":\"U6\",\"visibility\":\"public\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"architecture\":\"x86_64\",\"os_purpose\":\"minimal\"",
		"\"name\":\"U7\",\"visibility\":\"public\",\"os_distro\":\"ubuntu\",\"architecture\":\"x86_64\",\"os_purpose\":\"generic\"",
	};
	ck_assert_str_eq(judge("2026-11-20", imgs, 7, failed), "FAIL unique U1|FAIL unique U2|");
	ck_assert_uint_eq(failed[1], 1);
	ck_assert_str_eq(judge("2026-11-20", imgs + 1, 6, failed), "");
}
END_TEST

Suite *suite_meta(void)
{
	Suite *s = suite_create("meta");
	TCase *t = tcase_create("meta");
	tcase_add_test(t, v1_loads);
	tcase_add_test(t, v2_draft);
	tcase_add_test(t, dates_as_python_reads_them);
	tcase_add_test(t, build_date_and_registration);
	tcase_add_test(t, build_date_in_the_future);
	tcase_add_test(t, enums_missing_and_empty);
	tcase_add_test(t, uuid_validity_and_hotfix_hours);
	tcase_add_test(t, urls_and_numbers);
	tcase_add_test(t, loader_errors);
	tcase_add_test(t, decisions_by_status_and_visibility);
	tcase_add_test(t, recency);
	tcase_add_test(t, uniqueness);
	suite_add_tcase(s, t);
	return s;
}
