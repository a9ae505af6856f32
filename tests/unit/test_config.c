/* config: the proxy's service keys, with errors that name file:line:col. */
#include "unit.h"
#include "config.h"

#include <stdio.h>
#include <unistd.h>

static int load(const char *text, struct config *c, char *err, size_t errlen)
{
	const char *path = tmp_file(text);
	int rc = config_load(c, path, err, errlen);
	unlink(path);
	return rc;
}

START_TEST(full_config)
{
	struct config c;
	char err[512];
	int rc = load("policy: [x.yaml]\nlisten: 127.0.0.1:9393\nadmin_listen: '[::1]:9394'\n"
		      "upstream: http://127.0.0.1:9292/\nfailure_policy: open\nlog: {file: /tmp/d.log}\n"
		      "keystone: {auth_url: http://k/v3, username: hook, password: pw, project_name: service,"
		      " token_cache: 2m}\ntimeouts: {upstream: 30s, decision: 500ms}\n", &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(c.listen.host, "127.0.0.1");
	ck_assert_int_eq(c.listen.port, 9393);
	ck_assert_str_eq(c.admin.host, "::1");
	ck_assert_str_eq(c.upstream, "http://127.0.0.1:9292");
	ck_assert_int_eq(c.failure, FAIL_OPEN);
	ck_assert_str_eq(c.log_file, "/tmp/d.log");
	ck_assert_str_eq(c.auth.username, "hook");
	ck_assert_int_eq(c.token_cache_ms, 120000);
	ck_assert_int_eq(c.upstream_timeout_ms, 30000);
	ck_assert_int_eq(c.decision_timeout_ms, 500);
	ck_assert_int_eq(c.connect_timeout_ms, 5000);    /* default */
	config_free(&c);
}
END_TEST

START_TEST(errors_name_the_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "listen: 127.0.0.1:99999\nupstream: http://g\n", ":1:9: listen must be HOST:PORT" },
		{ "upstream: http://g\n", "needs a 'listen' key" },
		{ "listen: 9393\nupstream: ftp://g\n", ":2:11: upstream must be an http:// or https:// URL" },
		{ "listen: 9393\nupstream: http://g\nfailure_policy: maybe\n", "failure_policy must be one of closed|open" },
		{ "listen: 9393\nupstream: http://g\nkeystone: {auth_url: http://k}\n", "keystone needs username" },
		{ "listen: 9393\nupstream: http://g\ntimeouts: {upstream: soon}\n", "must be a duration" },
		{ "listen: 9393\nupstream: http://g\nlog: {path: x}\n", "unknown key 'path' in log" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[512] = "";
		ck_assert_int_eq(load(cases[i].text, &c, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i].want), "%s: got '%s'", cases[i].text, err);
		config_free(&c);
	}
}
END_TEST

/* One file serves check and proxy: the policy loader accepts the service keys. */
START_TEST(policy_accepts_service_keys)
{
	char cfg[1024], err[512];
	snprintf(cfg, sizeof(cfg), "policy: [%s/policy/scs-0104-v1-images-v5.yaml]\nlisten: 9393\n"
		 "upstream: http://g\nkeystone: {cloud: x}\nlog: {file: x}\nfailure_policy: closed\n", getcwd(err, sizeof(err)));
	ck_assert_msg(load_text(cfg, 1, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

Suite *suite_config(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("proxy");
	tcase_add_test(tc, full_config);
	tcase_add_test(tc, errors_name_the_place);
	tcase_add_test(tc, policy_accepts_service_keys);
	suite_add_tcase(s, tc);
	return s;
}
