/* The decision core against both upstream spec files and the v2 rules. */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static struct policy *v5, *v4, *v2;

static void setup(void)
{
	v5 = load_specs(upstream("scs-0104-v1-images-v5.yaml"), NULL);
	v4 = load_specs(upstream("scs-0104-v1-images.yaml"), NULL);
	v2 = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
}

static void teardown(void)
{
	policy_free(v5);
	policy_free(v4);
	policy_free(v2);
}

/* Decide and return the action; n_out gets the number of violations. */
static enum action act(const struct policy *p, const char *json, size_t *n_out)
{
	struct image img = { 0 };
	struct decision d = decide_json(p, json, &img);
	if (n_out)
		*n_out = d.n;
	image_release(&img);
	return d.action;
}

static const char *first_rule(const struct policy *p, const char *json)
{
	struct image img = { 0 };
	struct decision d = decide_json(p, json, &img);
	image_release(&img);
	return d.n ? d.v[0].rule : "";
}

#define PUB "\"visibility\":\"public\""

START_TEST(exact_name_and_prefix)
{
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x.img\"}", NULL), ACTION_ALLOW);
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"https://cloud-images.ubuntu.com/noble/current/x.img\"}", NULL), ACTION_ALLOW);
	/* the prefix is compared byte for byte: no case folding, no missing slash */
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"HTTPS://cloud-images.ubuntu.com/noble/x\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"https://cloud-images.ubuntu.com/noble\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"https://cloud-images.ubuntu.com/jammy/x\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"image_source\":\"http://cloud-images.ubuntu.com/noble/x\"}", NULL), ACTION_DENY);
	/* a name that is not exactly the entry's is not selected */
	ck_assert_int_eq(act(v5, "{\"name\":\"Ubuntu 24.04 \"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_ALLOW);
	ck_assert_int_eq(act(v5, "{\"name\":\"ubuntu 24.04\"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_ALLOW);
	ck_assert_str_eq(first_rule(v5, "{\"name\":\"Debian 12\"," PUB ",\"image_source\":\"https://evil/\"}"), "scs-0104/source");
}
END_TEST

START_TEST(missing_or_empty_source_fails)
{
	size_t n;
	ck_assert_int_eq(act(v5, "{\"name\":\"Debian 12\"," PUB "}", &n), ACTION_DENY);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(act(v5, "{\"name\":\"Debian 12\"," PUB ",\"image_source\":\"\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(v5, "{\"name\":\"Debian 12\"," PUB ",\"image_source\":null}", NULL), ACTION_DENY);
	/* not selected by any entry: no source needed */
	ck_assert_int_eq(act(v5, "{\"name\":\"my-app\"," PUB "}", &n), ACTION_ALLOW);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(act(v5, "{" PUB "}", &n), ACTION_ALLOW);
}
END_TEST

/* name_scheme is Python's re.match: anchored at the start, not the end. */
START_TEST(name_scheme_is_re_match)
{
	const char *ok_src = ",\"image_source\":\"https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/x\"}";
	char json[512];
	const char *selected[] = { "ubuntu-capi-image-v1.31", "ubuntu-capi-image-v1.31.4", "ubuntu-capi-image-v1.31-rc1",
				   "ubuntu-capi-image-v1.3.x", "ubuntu-capi-image-v2.100.7 (old)" };
	const char *not_selected[] = { "my-ubuntu-capi-image-v1.31", "ubuntu-capi-image v1.31", "ubuntu-capi-image-v1",
				       "Ubuntu-capi-image-v1.31", "ubuntu-capi-image-vX.1", " ubuntu-capi-image-v1.31" };
	for (size_t i = 0; i < sizeof(selected) / sizeof(*selected); i++) {
		snprintf(json, sizeof(json), "{\"name\":\"%s\"," PUB ",\"image_source\":\"https://evil/\"}", selected[i]);
		ck_assert_msg(act(v5, json, NULL) == ACTION_DENY, "%s should be selected", selected[i]);
		snprintf(json, sizeof(json), "{\"name\":\"%s\"," PUB "%s", selected[i], ok_src);
		ck_assert_msg(act(v5, json, NULL) == ACTION_ALLOW, "%s with a good source", selected[i]);
	}
	for (size_t i = 0; i < sizeof(not_selected) / sizeof(*not_selected); i++) {
		snprintf(json, sizeof(json), "{\"name\":\"%s\"," PUB ",\"image_source\":\"https://evil/\"}", not_selected[i]);
		ck_assert_msg(act(v5, json, NULL) == ACTION_ALLOW, "%s should not be selected", not_selected[i]);
	}
	/* the v4 file separates with a space */
	ck_assert_int_eq(act(v4, "{\"name\":\"ubuntu-capi-image v1.27.3\"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(v4, "{\"name\":\"ubuntu-capi-image-v1.27.3\"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_ALLOW);
	/* regiocloud prefix is allowed by the v1 files */
	ck_assert_int_eq(act(v4, "{\"name\":\"ubuntu-capi-image v1.27.3\"," PUB ",\"image_source\":\"https://swift.services.a.regiocloud.tech/swift/v1/AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/ubuntu-2204-kube-v1.27/x.qcow2\"}", NULL), ACTION_ALLOW);
}
END_TEST

/* Python's re is Unicode-aware: \d matches other scripts' digits. We must
 * select at least every name the official test selects. */
START_TEST(unicode_digits_like_python)
{
	struct policy *p;
	const char *spec = tmp_file("images:\n- name: x\n  name_scheme: 'img-\\d+'\n  source: https://ok/\n");
	p = load_specs(spec, NULL);
	ck_assert_int_eq(act(p, "{\"name\":\"img-\\u0663\"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_DENY);
	ck_assert_int_eq(act(p, "{\"name\":\"img-42\"," PUB ",\"image_source\":\"https://evil/\"}", NULL), ACTION_DENY);
	policy_free(p);
}
END_TEST

START_TEST(scope_by_visibility_and_mode)
{
	const char *bad = "\"name\":\"Ubuntu 24.04\",\"image_source\":\"https://evil/\"";
	char json[256];
	const char *vis[] = { "public", "community", "shared", "private" };
	const enum action want[] = { ACTION_DENY, ACTION_DENY, ACTION_WARN, ACTION_WARN };
	for (int i = 0; i < 4; i++) {
		snprintf(json, sizeof(json), "{%s,\"visibility\":\"%s\"}", bad, vis[i]);
		ck_assert_int_eq(act(v5, json, NULL), want[i]);
	}
	/* no visibility: Glance's default for a new image, shared */
	snprintf(json, sizeof(json), "{%s}", bad);
	ck_assert_int_eq(act(v5, json, NULL), ACTION_WARN);
	snprintf(json, sizeof(json), "{%s," PUB "}", bad);
	v5->mode = MODE_WARN;
	ck_assert_int_eq(act(v5, json, NULL), ACTION_WARN);
	v5->mode = MODE_DRY_RUN;
	size_t n;
	ck_assert_int_eq(act(v5, json, &n), ACTION_ALLOW);
	ck_assert_uint_eq(n, 1);     /* dry-run still reports what it would refuse */
	v5->mode = MODE_ENFORCE;
}
END_TEST

START_TEST(v2_ubuntu_and_debian)
{
	const char *cases[][2] = {
		{ "\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x\"", "" },
		{ "\"os_distro\":\"ubuntu\",\"os_version\":\"26.04\",\"image_source\":\"https://cloud-images.ubuntu.com/resolute/x\"", "" },
		{ "\"os_distro\":\"ubuntu\",\"os_version\":\"22.04\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x\"", "scs-0104/source" },
		{ "\"os_distro\":\"ubuntu\",\"os_version\":\"25.10\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/questing/x\"", "scs-0104/unknown-version" },
		{ "\"os_distro\":\"ubuntu\",\"os_version\":\"noble\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x\"", "scs-0104/property" },
		{ "\"os_distro\":\"ubuntu\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x\"", "scs-0104/property" },
		{ "\"os_distro\":\"Ubuntu\",\"os_version\":\"24.04\",\"image_source\":\"https://evil/\"", "scs-0104/source" },
		{ "\"os_distro\":\"debian\",\"os_version\":\"13\",\"image_source\":\"https://cloud.debian.org/images/cloud/trixie/x\"", "" },
		{ "\"os_distro\":\"debian\",\"os_version\":\"12\",\"image_source\":\"https://cdimage.debian.org/cdimage/cloud/bookworm/x\"", "" },
		{ "\"os_distro\":\"debian\",\"os_version\":\"12\",\"image_source\":\"https://cloud.debian.org/images/cloud/trixie/x\"", "scs-0104/source" },
		{ "\"os_distro\":\"debian\",\"os_version\":\"14\",\"image_source\":\"https://cloud.debian.org/images/cloud/forky/x\"", "scs-0104/unknown-version" },
		{ "\"os_distro\":\"debian\",\"os_version\":\"12.5\",\"image_source\":\"https://cloud.debian.org/images/cloud/bookworm/x\"", "scs-0104/property" },
	};
	char json[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(json, sizeof(json), "{\"name\":\"n\"," PUB ",\"os_purpose\":\"generic\",%s}", cases[i][0]);
		ck_assert_msg(!strcmp(first_rule(v2, json), cases[i][1]), "case %zu: got '%s' want '%s'", i,
			      first_rule(v2, json), cases[i][1]);
	}
	/* os_purpose other than generic: the rule does not apply */
	ck_assert_int_eq(act(v2, "{\"name\":\"n\"," PUB ",\"os_purpose\":\"custom\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\"}", NULL), ACTION_ALLOW);
}
END_TEST

START_TEST(v2_unknown_version_message_says_where)
{
	struct image img = { 0 };
	char msg[1024];
	struct decision d = decide_json(v2, "{\"name\":\"n\"," PUB ",\"os_purpose\":\"generic\",\"os_distro\":\"ubuntu\",\"os_version\":\"25.10\"}", &img);
	ck_assert_uint_eq(d.n, 1);
	violation_message(&d.v[0], msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "os_version '25.10' is not in the ubuntu release table") &&
		      strstr(msg, "distros.ubuntu.releases in policy/scs-0104-v2-images.yaml"), "%s", msg);
	image_release(&img);
}
END_TEST

START_TEST(v2_capi_needs_properties)
{
	const char *src = "\"image_source\":\"https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/x\"";
	char json[512];
	size_t n;
	snprintf(json, sizeof(json), "{\"name\":\"ubuntu-capi-image v1.31.2\"," PUB ",%s,\"os_purpose\":\"k8snode\","
		 "\"image_description\":\"https://github.com/osism/k8s-capi-images\"}", src);
	ck_assert_int_eq(act(v2, json, &n), ACTION_ALLOW);
	snprintf(json, sizeof(json), "{\"name\":\"ubuntu-capi-image-v1.31.2\"," PUB ",%s,\"os_purpose\":\"generic\"}", src);
	ck_assert_int_eq(act(v2, json, &n), ACTION_DENY);
	ck_assert_uint_eq(n, 2);     /* os_purpose wrong, image_description missing */
	ck_assert_str_eq(first_rule(v2, json), "scs-0104/property");
}
END_TEST

START_TEST(exemptions)
{
	const char *bad = "{\"name\":\"Ubuntu 24.04\"," PUB ",\"owner\":\"p1\",\"image_source\":\"https://evil/\"}";
	struct exemption e = { .project = "p1", .expires = date_parse("2026-11-21"), .reason = "r" };
	struct image img = { 0 };
	struct decision d;

	v5->exemptions = &e;
	v5->n_exemptions = 1;
	d = decide_json(v5, bad, &img);     /* decide_json decides on 2026-11-21 */
	ck_assert_int_eq(d.action, ACTION_ALLOW);
	ck_assert_int_eq(d.exempted, 1);
	ck_assert_int_eq(d.v[0].exempted, 1);
	ck_assert_ptr_eq(d.exemption, &e);
	image_release(&img);
	e.expires = date_parse("2026-11-20");     /* expired yesterday */
	ck_assert_int_eq(act(v5, bad, NULL), ACTION_DENY);
	e.expires = -1;
	char *rules[] = { "quota/*" };
	e.rules = rules;
	e.n_rules = 1;
	ck_assert_int_eq(act(v5, bad, NULL), ACTION_DENY);     /* other rules only */
	rules[0] = "scs-0104/*";
	ck_assert_int_eq(act(v5, bad, NULL), ACTION_ALLOW);
	e.project = "p2";
	ck_assert_int_eq(act(v5, bad, NULL), ACTION_DENY);
	v5->exemptions = NULL;
	v5->n_exemptions = 0;
}
END_TEST

/* A catastrophic pattern is bounded by the match limit and fails closed. */
START_TEST(catastrophic_regex_is_bounded)
{
	const char *spec = tmp_file("images:\n- name: x\n  name_scheme: '(a+)+$'\n  source: https://ok/\n");
	struct policy *p = load_specs(spec, NULL);
	char json[256];
	struct timespec t0, t1;
	size_t n;

	snprintf(json, sizeof(json), "{\"name\":\"%s!\"," PUB ",\"image_source\":\"https://ok/\"}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(act(p, json, &n), ACTION_DENY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_str_eq(first_rule(p, json), "scs-0104/source");
	/* not a timing test: a hang would be hours, the limit makes it finite */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 60);
	policy_free(p);
}
END_TEST

START_TEST(every_matching_entry_is_checked)
{
	/* v1 and v2 together: both rules report, each naming its own spec */
	struct policy *p = load_specs(upstream("scs-0104-v1-images-v5.yaml"), ours("scs-0104-v2-images.yaml"), NULL);
	struct image img = { 0 };
	struct decision d = decide_json(p, "{\"name\":\"Ubuntu 24.04\"," PUB ",\"os_purpose\":\"generic\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"image_source\":\"https://evil/\"}", &img);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.v[0].spec, "Ubuntu 24.04");
	ck_assert_str_eq(d.v[1].spec, "ubuntu-generic");
	image_release(&img);
	policy_free(p);
}
END_TEST

START_TEST(messages_cut_long_values)
{
	char json[4096], msg[1024];
	struct image img = { 0 };
	size_t k = snprintf(json, sizeof(json), "{\"name\":\"Debian 12\"," PUB ",\"image_source\":\"https://");
	for (int i = 0; i < 1000; i++)
		k += snprintf(json + k, sizeof(json) - k, "\xc3\xa9");
	snprintf(json + k, sizeof(json) - k, "\"}");
	struct decision d = decide_json(v5, json, &img);
	violation_message(&d.v[0], msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "...(2008 bytes)"), "%s", msg);
	ck_assert_uint_lt(strlen(msg), 400);
	image_release(&img);
}
END_TEST

Suite *suite_decide(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("semantics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exact_name_and_prefix);
	tcase_add_test(tc, missing_or_empty_source_fails);
	tcase_add_test(tc, name_scheme_is_re_match);
	tcase_add_test(tc, unicode_digits_like_python);
	tcase_add_test(tc, scope_by_visibility_and_mode);
	tcase_add_test(tc, v2_ubuntu_and_debian);
	tcase_add_test(tc, v2_unknown_version_message_says_where);
	tcase_add_test(tc, v2_capi_needs_properties);
	tcase_add_test(tc, exemptions);
	tcase_add_test(tc, catastrophic_regex_is_bounded);
	tcase_add_test(tc, every_matching_entry_is_checked);
	tcase_add_test(tc, messages_cut_long_values);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
