/* Loading: both upstream SCS files, the v2 rules, configs, and every kind
 * of broken file with the file:line:column it must name. */
#include "unit.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void assert_error(const char *text, int is_config, const char *line_col, const char *what)
{
	char err[1024];
	ck_assert_msg(load_text(text, is_config, err, sizeof(err)) < 0, "accepted: %s", text);
	ck_assert_msg(strstr(err, line_col), "'%s' lacks position '%s'", err, line_col);
	ck_assert_msg(strstr(err, what), "'%s' lacks '%s'", err, what);
}

START_TEST(upstream_v4_loads)
{
	struct policy *p = load_specs(upstream("scs-0104-v1-images.yaml"), NULL);
	ck_assert_uint_eq(p->n_entries, 6);
	ck_assert_str_eq(p->entries[0].name, "Ubuntu 22.04");
	ck_assert_int_eq(p->entries[0].status, STATUS_MANDATORY);
	ck_assert_uint_eq(p->entries[0].n_sources, 2);
	ck_assert_str_eq(p->entries[1].scheme.pattern, "ubuntu-capi-image v[0-9]\\.[0-9]+(\\.[0-9]+)?");
	ck_assert_int_eq(p->entries[1].status, STATUS_RECOMMENDED);
	ck_assert_int_eq(p->entries[2].status, STATUS_OPTIONAL);
	ck_assert_uint_eq(p->entries[1].line, 7);
	ck_assert_uint_eq(strlen(p->sha256), 64);
	policy_free(p);
}
END_TEST

START_TEST(upstream_v5_loads)
{
	struct policy *p = load_specs(upstream("scs-0104-v1-images-v5.yaml"), NULL);
	ck_assert_uint_eq(p->n_entries, 7);
	ck_assert_str_eq(p->entries[0].name, "Ubuntu 24.04");
	ck_assert_int_eq(p->entries[0].status, STATUS_MANDATORY);
	ck_assert_str_eq(p->entries[2].scheme.pattern, "ubuntu-capi-image-v[0-9]\\.[0-9]+(\\.[0-9]+)?");
	ck_assert_uint_eq(p->entries[2].n_sources, 3);
	policy_free(p);
}
END_TEST

/* Our transcriptions must stay the upstream files, byte for byte. */
START_TEST(transcriptions_equal_upstream)
{
	const char *files[] = { "scs-0104-v1-images.yaml", "scs-0104-v1-images-v5.yaml" };
	char err[256];
	for (size_t i = 0; i < 2; i++) {
		size_t a_len, b_len;
		char *a = file_read(upstream(files[i]), 1 << 20, &a_len, err, sizeof(err));
		char *b = file_read(ours(files[i]), 1 << 20, &b_len, err, sizeof(err));
		ck_assert_msg(a && b, "%s", err);
		ck_assert_uint_eq(a_len, b_len);
		ck_assert_int_eq(memcmp(a, b, a_len), 0);
		free(a);
		free(b);
	}
}
END_TEST

START_TEST(v2_rules_load)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	ck_assert_uint_eq(p->n_distros, 2);
	ck_assert_str_eq(p->distros[0].name, "ubuntu");
	ck_assert_uint_eq(p->distros[0].n_releases, 4);
	ck_assert_str_eq(p->distros[0].releases[3].codename, "resolute");
	ck_assert_int_eq(p->distros[0].releases[3].released, date_parse("2026-04-23"));
	ck_assert_str_eq(p->distros[1].releases[3].codename, "trixie");
	ck_assert_uint_eq(p->n_rules, 3);
	/* templates are resolved at load time, per release */
	ck_assert_str_eq(p->rules[0].expanded[2][0], "https://cloud-images.ubuntu.com/releases/noble/");
	ck_assert_str_eq(p->rules[1].expanded[3][1], "https://cdimage.debian.org/cdimage/cloud/trixie/");
	ck_assert_uint_eq(p->rules[2].n_require, 2);
	ck_assert_uint_eq(p->n_presence, 3);
	policy_free(p);
}
END_TEST

START_TEST(config_resolves_relative_paths)
{
	struct policy *p = policy_new();
	char err[1024];
	ck_assert_msg(opconf_load(ours("scs-image-hook.yaml"), 0, p, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(policy_finish(p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(p->n_files, 6);     /* the config, its five policy files */
	ck_assert_str_eq(p->files[1], "policy/scs-0104-v1-images-v5.yaml");
	ck_assert_int_eq(p->mode, MODE_ENFORCE);
	ck_assert_int_eq(p->scope[VIS_PRIVATE], MODE_WARN);
	ck_assert_int_eq(p->scope[VIS_COMMUNITY], MODE_ENFORCE);
	policy_free(p);
}
END_TEST

START_TEST(config_exemptions)
{
	char err[1024];
	const char *spec = tmp_file("images:\n- name: X\n  source: https://x/\n");
	char text[1024];
	snprintf(text, sizeof(text),
		 "policy: [%s]\nmode: warn\nvisibility: {private: dry-run}\nexemptions:\n"
		 "  - project: p1\n    rules: [scs-0104/*]\n    expires: 2027-01-31\n    reason: migration\n", spec);
	struct policy *p = policy_new();
	const char *cfg = tmp_file(text);
	ck_assert_msg(opconf_load(cfg, 0, p, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(p->mode, MODE_WARN);
	ck_assert_int_eq(p->scope[VIS_PRIVATE], MODE_DRY_RUN);
	ck_assert_uint_eq(p->n_exemptions, 1);
	ck_assert_int_eq(p->exemptions[0].expires, date_parse("2027-01-31"));
	ck_assert_str_eq(p->exemptions[0].rules[0], "scs-0104/*");
	policy_free(p);
	unlink(cfg);
	unlink(spec);
}
END_TEST

START_TEST(unknown_keys_are_errors)
{
	assert_error("images:\n- name: Ubuntu 24.04\n  sorce: https://x/\n", 0, ":3:3:",
		     "unknown key 'sorce' in an images entry (expected one of: name, name_scheme, source, status, testcase)");
	assert_error("images: []\nextra: 1\n", 0, ":2:1:", "unknown key 'extra'");
	assert_error("policy: x.yaml\nmdoe: warn\n", 1, ":2:1:", "unknown key 'mdoe' in the config");
	assert_error("policy: x.yaml\nvisibility: {pubic: warn}\n", 1, ":2:14:", "unknown key 'pubic'");
}
END_TEST

START_TEST(bad_regex_names_pattern_and_offset)
{
	assert_error("images:\n- name: x\n  name_scheme: \"abc(def\"\n  source: https://x/\n", 0, ":3:16:",
		     "name_scheme 'abc(def' is not a valid regex: missing closing parenthesis at offset 7");
}
END_TEST

START_TEST(yaml_syntax_errors)
{
	assert_error("images:\n- name: \"unterminated\n", 0, ":3:1:", "YAML syntax error");
	assert_error("images:\n  - name: a\n   source: b\n", 0, ":3:", "YAML syntax error");
	assert_error("", 0, "", "expected a mapping at the top of the file");
	assert_error("- a\n- b\n", 0, ":1:1:", "expected a mapping at the top");
	assert_error("foo: 1\n", 0, ":1:1:", "not a policy file");
}
END_TEST

START_TEST(refused_yaml_features)
{
	assert_error("images:\n- &a {name: x, source: y}\n- *a\n", 0, ":2:3:", "anchors are not allowed");
	assert_error("images:\n- name: !!str x\n  source: y\n", 0, ":2:9:", "tags");
	assert_error("images:\n- name: x\n  name: y\n  source: z\n", 0, ":3:3:", "duplicate key 'name' (first at line 2)");
	assert_error("images: []\n---\nimages: []\n", 0, ":2:1:", "only one YAML document");
}
END_TEST

/* The official testcases as data: upstream's ids where given, else derived. */
START_TEST(testcase_ids)
{
	struct policy *p = load_specs(ours("scs-0104-testcases.yaml"), NULL);
	static const char *const want[] = { "capi-1", "capi-2", "ubuntu-2404", "ubuntu-2204", "ubuntu-2004",
					    "debian-13", "debian-12", "debian-11", "debian-10" };
	ck_assert_uint_eq(p->n_entries, 9);
	for (size_t i = 0; i < 9; i++)
		ck_assert_str_eq(p->entries[i].testcase, want[i]);
	policy_free(p);
	p = load_specs(upstream("scs-0104-v1-images-v5.yaml"), NULL);
	ck_assert_str_eq(p->entries[2].testcase, "ubuntu-capi-image");
	policy_free(p);
	assert_error("images:\n- name: x\n  source: y\n  testcase: 'Capi 1'\n", 0, ":4:13:",
		     "testcase must be lower-case letters, digits and '-'");
}
END_TEST

START_TEST(type_and_value_errors)
{
	assert_error("images:\n- name: [a]\n  source: y\n", 0, ":2:9:", "name must be a scalar, not a list");
	assert_error("images:\n- name: x\n", 0, ":2:3:", "needs a 'source' key");
	assert_error("images:\n- name: x\n  source: []\n", 0, ":3:11:", "at least one value");
	assert_error("images:\n- name: x\n  source: \"\"\n", 0, ":3:11:", "source must not be empty");
	assert_error("images:\n- name: x\n  source: y\n  status: required\n", 0, ":4:11:",
		     "status must be one of optional|recommended|mandatory, not 'required'");
	assert_error("images: {}\n", 0, ":1:9:", "images must be a list");
	assert_error("images: []\n", 0, "", "the policy has no rules");
	assert_error("policy: x.yaml\nmode: strict\n", 1, ":2:7:", "mode must be one of dry-run|warn|enforce");
	assert_error("policy: x.yaml\nexemptions:\n- project: p\n", 1, ":3:3:", "needs a 'reason' key");
	assert_error("policy: x.yaml\nexemptions:\n- {project: p, reason: r, expires: 2027-02-30}\n", 1, ":3:36:",
		     "expires must be a date YYYY-MM-DD");
	assert_error("policy: /nonexistent/spec.yaml\n", 1, "/nonexistent/spec.yaml", "No such file");
	/* found by tests/fuzz: these once freed uninitialised pointers */
	assert_error("policy: {a: b}\n", 1, ":1:9:", "policy must be a list, not a mapping");
	assert_error("policy: []\n", 1, ":1:9:", "policy must list at least one value");
}
END_TEST

START_TEST(v2_errors)
{
	const char *head = "distros:\n  ubuntu:\n    version_format: '[0-9][0-9]\\.[0-9][0-9]'\n    releases:\n";
	char text[2048];

	snprintf(text, sizeof(text), "%s      - {version: '24.4', codename: noble, released: 2024-04-25}\nrules: []\n", head);
	assert_error(text, 0, ":5:19:", "version '24.4' does not match ubuntu's version_format");
	snprintf(text, sizeof(text), "%s      - {version: '24.04', codename: noble, released: 2024-04-31}\nrules: []\n", head);
	assert_error(text, 0, ":5:55:", "released must be a date");
	snprintf(text, sizeof(text), "%s      - {version: '24.04', codename: noble, released: 2024-04-25}\n"
		 "rules:\n  - {id: r, match: {os_distro: ubuntu}, distro: debian, source: x}\n", head);
	assert_error(text, 0, ":7:49:", "unknown distro 'debian'");
	snprintf(text, sizeof(text), "%s      - {version: '24.04', codename: noble, released: 2024-04-25}\n"
		 "rules:\n  - {id: r, match: {os_distro: ubuntu}, source: 'https://x/{codename}/'}\n", head);
	assert_error(text, 0, ":7:", "uses {codename} but the rule names no distro");
	snprintf(text, sizeof(text), "%s      - {version: '24.04', codename: noble, released: 2024-04-25}\n"
		 "rules:\n  - {id: r, source: 'https://x/'}\n", head);
	assert_error(text, 0, ":7:5:", "needs a selector");
	snprintf(text, sizeof(text), "%s      - {version: '24.04', codename: noble, released: 2024-04-25}\n"
		 "      - {version: '22.04', codename: jammy, released: 2022-04-21}\nrules: []\n", head);
	assert_error(text, 0, ":6:9:", "oldest first");
}
END_TEST

START_TEST(dates)
{
	char s[11];
	ck_assert_int_eq(date_parse("1970-01-01"), 0);
	ck_assert_int_eq(date_parse("2026-04-23"), 20566);
	ck_assert_int_eq(date_parse("2024-02-29"), date_parse("2024-03-01") - 1);
	ck_assert_int_eq(date_parse("2023-02-29"), -1);
	ck_assert_int_eq(date_parse("2026-4-23"), -1);
	ck_assert_int_eq(date_parse("2026-04-23x"), -1);
	ck_assert_int_eq(date_parse("+026-04-23"), -1);
	date_format(20566, s);
	ck_assert_str_eq(s, "2026-04-23");
}
END_TEST

Suite *suite_policy(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, upstream_v4_loads);
	tcase_add_test(tc, testcase_ids);
	tcase_add_test(tc, upstream_v5_loads);
	tcase_add_test(tc, transcriptions_equal_upstream);
	tcase_add_test(tc, v2_rules_load);
	tcase_add_test(tc, config_resolves_relative_paths);
	tcase_add_test(tc, config_exemptions);
	tcase_add_test(tc, unknown_keys_are_errors);
	tcase_add_test(tc, bad_regex_names_pattern_and_offset);
	tcase_add_test(tc, yaml_syntax_errors);
	tcase_add_test(tc, refused_yaml_features);
	tcase_add_test(tc, type_and_value_errors);
	tcase_add_test(tc, v2_errors);
	tcase_add_test(tc, dates);
	suite_add_tcase(s, tc);
	return s;
}
