/* config: the operator config as every command reads it (opconf): the
 * proxy's service keys, with errors that name file:line:col, and one
 * validation for proxy start, --check, SIGHUP, policy lint and check. */
#include "unit.h"
#include "io/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The config's text after a `policy:` line naming the shipped v5.1 spec. */
static int load(const char *text, unsigned flags, struct config *c, char *err, size_t errlen)
{
	char spec[PATH_MAX], full[PATH_MAX + 4096];
	struct policy *p = policy_new();

	ck_assert_ptr_nonnull(realpath(ours("scs-0104-v1-images-v5.yaml"), spec));
	snprintf(full, sizeof(full), "policy: [%s]\n%s", spec, text);
	const char *path = tmp_file(full);
	int rc = opconf_load(path, flags, p, c, err, errlen);
	if (rc == 0)
		rc = policy_finish(p, err, errlen);
	unlink(path);
	policy_free(p);
	return rc;
}

START_TEST(full_config)
{
	struct config c;
	char err[512];
	int rc = load("listen: 127.0.0.1:9393\nadmin_listen: '[::1]:9394'\n"
		      "upstream: http://127.0.0.1:9292/\nfailure_policy: open\nlog: {file: /tmp/d.log}\n"
		      "keystone: {auth_url: http://k/v3, username: hook, password: pw, project_name: service,"
		      " token_cache: 2m}\ntimeouts: {upstream: 30s, decision: 500ms}\n", OPCONF_PROXY, &c, err,
		      sizeof(err));
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

/* A port alone, or ':PORT', is every address (host NULL); a host is kept. */
START_TEST(listen_forms)
{
	static const struct { const char *listen, *host; unsigned port; } cases[] = {
		{ "9393", NULL, 9393 }, { "':9393'", NULL, 9393 }, { "'[::]:1'", "::", 1 },
		{ "localhost:65535", "localhost", 65535 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char text[256], err[512];
		snprintf(text, sizeof(text), "listen: %s\nupstream: http://g\n", cases[i].listen);
		ck_assert_msg(load(text, OPCONF_PROXY, &c, err, sizeof(err)) == 0, "%s: %s", text, err);
		if (cases[i].host)
			ck_assert_str_eq(c.listen.host, cases[i].host);
		else
			ck_assert_ptr_null(c.listen.host);
		ck_assert_uint_eq(c.listen.port, cases[i].port);
		config_free(&c);
	}
}
END_TEST

START_TEST(errors_name_the_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "listen: 127.0.0.1:99999\nupstream: http://g\n", ":2:9: listen must be HOST:PORT" },
		{ "upstream: http://g\n", "needs a 'listen' key" },
		{ "listen: 9393\n", "needs a 'upstream' key" },
		{ "listen: 9393\nupstream: ftp://g\n", ":3:11: upstream must be an http:// or https:// URL" },
		{ "listen: 9393\nupstream: http://g\nfailure_policy: maybe\n", "failure_policy must be one of closed|open" },
		{ "listen: 9393\nupstream: http://g\nkeystone: {auth_url: http://k}\n", "keystone needs username" },
		{ "listen: 9393\nupstream: http://g\ntimeouts: {upstream: soon}\n", "must be a duration" },
		{ "listen: 9393\nupstream: http://g\nlog: {path: x}\n", "unknown key 'path' in log" },
		{ "listen: 9393\nupstream: http://g\nlisten_admin: 9394\n", "unknown key 'listen_admin' in the config" },
		{ "listen: &l 9393\nupstream: http://g\n", ":2:9: anchors are not allowed" },   /* strict, unlike clouds.yaml */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[512] = "";
		ck_assert_int_eq(load(cases[i].text, OPCONF_PROXY, &c, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i].want), "%s: got '%s'", cases[i].text, err);
	}
}
END_TEST

/* What `policy lint` accepted and the proxy refused: every
 * reader now refuses it, with the same words and the same place. */
START_TEST(every_reader_agrees)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "listen: not-a-port\nupstream: http://g\n", ":2:9: listen must be HOST:PORT with a port" },
		{ "listen: 9393\nupstream: http://g\ntimeouts: {connect: banana}\n",
		  ":4:21: connect must be a duration like 30s" },
		{ "listen: 9393\nupstream: http://g\nquota: {default: {max_images: 3}}\n",
		  ":4:1: quota needs a 'keystone' key" },
		{ "listen: 9393\nupstream: http://g\nadmin_listen: '[::1]9394'\n", ":4:15: admin_listen: an IPv6 address" },
	};
	static const unsigned readers[] = {
		OPCONF_PROXY,                               /* proxy start, --check, SIGHUP */
		OPCONF_CREDENTIALS | OPCONF_ANY_FILE,       /* policy lint */
		0,                                          /* check, audit, policy show */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t r = 0; r < sizeof(readers) / sizeof(readers[0]); r++) {
			struct config c;
			char err[512] = "";
			ck_assert_int_eq(load(cases[i].text, readers[r], &c, err, sizeof(err)), -1);
			ck_assert_msg(strstr(err, cases[i].want), "reader %u, %s: got '%s'", readers[r], cases[i].text,
				      err);
		}
}
END_TEST

/* A config for check or the import plugin may leave the proxy's keys out;
 * only the proxy needs them. */
START_TEST(service_keys_only_for_the_proxy)
{
	struct config c;
	char err[512] = "";
	ck_assert_msg(load("mode: warn\n", 0, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_null(c.upstream);
	config_free(&c);
	ck_assert_msg(load("mode: warn\n", OPCONF_CREDENTIALS | OPCONF_ANY_FILE, &c, err, sizeof(err)) == 0, "%s", err);
	config_free(&c);
	ck_assert_int_eq(load("mode: warn\n", OPCONF_PROXY, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "the proxy's config needs a 'listen' key"), "%s", err);
}
END_TEST

/* `keystone: {cloud:}` is looked up by the proxy and lint, not by check
 * (the import plugin runs it as a user that need not read clouds.yaml). */
START_TEST(cloud_looked_up_by_proxy_and_lint)
{
	const char *clouds = tmp_file("clouds:\n  other: {auth: {auth_url: http://k/v3}}\n");
	const char *text = "listen: 9393\nupstream: http://g\nkeystone: {cloud: hook}\n";
	struct config c;
	char err[1024] = "";

	setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
	setenv("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml", 1);
	ck_assert_msg(load(text, 0, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.auth.cloud, "hook");
	ck_assert_ptr_null(c.auth.auth_url);
	config_free(&c);
	ck_assert_int_eq(load(text, OPCONF_PROXY, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":4:19: keystone cloud 'hook': cloud 'hook' not found"), "%s", err);
	ck_assert_int_eq(load(text, OPCONF_CREDENTIALS | OPCONF_ANY_FILE, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":4:19: keystone cloud 'hook'"), "%s", err);
	unsetenv("OS_CLIENT_CONFIG_FILE");
	unsetenv("OS_CLIENT_SECURE_FILE");
	unlink(clouds);
}
END_TEST

/* A spec file is not a config, except for lint, which takes any kind. */
START_TEST(spec_file_is_not_a_config)
{
	struct policy *p = policy_new();
	char err[512] = "";
	ck_assert_int_eq(opconf_load(ours("scs-0104-v1-images-v5.yaml"), OPCONF_PROXY, p, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "this is a spec file, not a config"), "%s", err);
	policy_free(p);
	p = policy_new();
	ck_assert_msg(opconf_load(ours("scs-0104-v1-images-v5.yaml"), OPCONF_ANY_FILE, p, NULL, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(p->n_entries, 7);
	policy_free(p);
}
END_TEST

/* Reload: the service keys that changed are named (they wait for a restart). */
START_TEST(changes_are_named)
{
	struct config a, b;
	char err[512], what[256];
	ck_assert_msg(load("listen: 9393\nupstream: http://g\n", OPCONF_PROXY, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(load("listen: 9393\nupstream: http://g\n", OPCONF_PROXY, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(config_changes(&a, &b, what, sizeof(what)), 0);
	config_free(&b);
	ck_assert_msg(load("listen: 127.0.0.1:9393\nupstream: http://h\ntimeouts: {client: 1s}\n", OPCONF_PROXY, &b,
			   err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(config_changes(&a, &b, what, sizeof(what)), 3);
	ck_assert_str_eq(what, "listen, upstream, timeouts");
	config_free(&a);
	config_free(&b);
}
END_TEST

Suite *suite_config(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("proxy");
	tcase_add_test(tc, full_config);
	tcase_add_test(tc, listen_forms);
	tcase_add_test(tc, errors_name_the_place);
	tcase_add_test(tc, every_reader_agrees);
	tcase_add_test(tc, service_keys_only_for_the_proxy);
	tcase_add_test(tc, cloud_looked_up_by_proxy_and_lint);
	tcase_add_test(tc, spec_file_is_not_a_config);
	tcase_add_test(tc, changes_are_named);
	suite_add_tcase(s, tc);
	return s;
}
