/* The import flow's URI rule: import.download_uri (prefix|equal|off) in
 * the operator config, and what decide_import makes of it. */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define UBUNTU "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",\"image_source\":" \
	"\"https://cloud-images.ubuntu.com/releases/noble/x.img\"}"
#define GOOD_URI "https://cloud-images.ubuntu.com/releases/noble/x.img"
#define OTHER_ALLOWED "https://cloud-images.ubuntu.com/noble/current/y.img"

/* A config over the shipped v5 spec with the given import: line ("" for none). */
static struct policy *load_import(const char *import_line, char *err, size_t errlen, int *rc)
{
	char cwd[512], text[1536];
	struct policy *p = policy_new();

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), "policy: [%s/policy/scs-0104-v1-images-v5.yaml]\nmode: enforce\n%s\n", cwd,
		 import_line);
	const char *path = tmp_file(text);
	*rc = opconf_load(path, 0, p, NULL, err, errlen);
	if (*rc == 0)
		*rc = policy_finish(p, err, errlen);
	unlink(path);
	return p;
}

static struct policy *load_ok(const char *import_line)
{
	char err[512] = "";
	int rc;
	struct policy *p = load_import(import_line, err, sizeof(err), &rc);
	ck_assert_msg(rc == 0, "%s", err);
	return p;
}

/* decide_import on one image; message of the first violation in msg. */
static struct decision imp(const struct policy *p, const char *json, const char *uri, char *msg, size_t len)
{
	struct image img = { 0 };
	struct decision d;
	struct caller who = { 0 };
	char err[256];

	ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
	decide_import(p, &img, uri, &who, date_parse("2026-11-21"), &d);
	msg[0] = '\0';
	if (d.n)
		violation_message(&d.v[0], msg, len);
	image_release(&img);
	return d;
}

START_TEST(default_is_prefix)
{
	struct policy *p = load_ok("");
	char msg[512];
	struct decision d;

	ck_assert_int_eq(p->download_uri, DOWNLOAD_URI_PREFIX);
	ck_assert_int_eq(imp(p, UBUNTU, OTHER_ALLOWED, msg, sizeof(msg)).action, ACTION_ALLOW);
	d = imp(p, UBUNTU, "https://evil.example/x.img", msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_str_eq(d.v[0].rule, "import/download-uri");
	ck_assert_msg(strstr(msg, "'https://evil.example/x.img' is not under any source allowed"), "%s", msg);
	/* no URI (glance-direct): only the image itself is decided */
	ck_assert_int_eq(imp(p, UBUNTU, NULL, msg, sizeof(msg)).action, ACTION_ALLOW);
	policy_free(p);
}
END_TEST

/* Compared in canonical form: dots and escapes under an allowed prefix
 * that resolve elsewhere are refused, showing where they lead. */
START_TEST(dotted_uris_and_sources)
{
	struct policy *p = load_ok("import: {download_uri: equal}");
	char msg[512];
	struct decision d;

	d = imp(p, UBUNTU, "https://cloud-images.ubuntu.com/releases/noble/../../evil/x.img", msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_str_eq(d.v[0].rule, "import/download-uri");
	ck_assert_msg(strstr(msg, "(canonical form 'https://cloud-images.ubuntu.com/evil/x.img') is not under"), "%s", msg);
	d = imp(p, UBUNTU, "https://cloud-images.ubuntu.com/releases/noble/%2e%2e/%2E%2E/evil/x.img", msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	d = imp(p, UBUNTU, "https://cloud-images.ubuntu.com/releases/noble/..%2Fx.img", msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_msg(strstr(msg, "is refused: it has an encoded slash"), "%s", msg);
	/* the same file, written differently: canonical, it is the image_source */
	d = imp(p, UBUNTU, "HTTPS://Cloud-Images.Ubuntu.com:443/releases/noble/./x.img", msg, sizeof(msg));
	ck_assert_msg(d.action == ACTION_ALLOW, "%s", msg);
	/* an image_source not in canonical form: its own rule, with the form to write */
	d = imp(p, "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",\"image_source\":"
		"\"https://cloud-images.ubuntu.com/releases/noble/../noble/x.img\"}", NULL, msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_int_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].rule, "scs-0104/source-canonical");
	ck_assert_msg(strstr(msg, "canonical form 'https://cloud-images.ubuntu.com/releases/noble/x.img'"), "%s", msg);
	/* an image no source rule selects may carry any image_source */
	d = imp(p, "{\"name\":\"mine\",\"visibility\":\"public\",\"image_source\":\"built here\"}", NULL, msg,
		sizeof(msg));
	ck_assert_int_eq(d.n, 0);
	policy_free(p);
}
END_TEST

START_TEST(equal_wants_the_image_source)
{
	struct policy *p = load_ok("import: {download_uri: equal}");
	char msg[512];
	struct decision d;

	ck_assert_int_eq(p->download_uri, DOWNLOAD_URI_EQUAL);
	ck_assert_int_eq(imp(p, UBUNTU, GOOD_URI, msg, sizeof(msg)).action, ACTION_ALLOW);
	/* under an allowed prefix, but not what the image claims */
	d = imp(p, UBUNTU, OTHER_ALLOWED, msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].rule, "import/download-uri");
	ck_assert_str_eq(d.v[0].spec, "import.download_uri");
	ck_assert_uint_eq(d.v[0].line, 3);
	ck_assert_msg(strstr(msg, "expected '" GOOD_URI "'"), "the message says what was expected: %s", msg);
	ck_assert_msg(strstr(msg, "'" OTHER_ALLOWED "'"), "%s", msg);
	/* a prefix of the source is not the source */
	ck_assert_int_eq(imp(p, UBUNTU, "https://cloud-images.ubuntu.com/releases/noble/", msg, sizeof(msg)).action,
			 ACTION_DENY);
	policy_free(p);
}
END_TEST

START_TEST(equal_without_image_source)
{
	struct policy *p = load_ok("import:\n  download_uri: equal");
	char msg[512];
	struct decision d;

	/* selected by a spec entry and no image_source: both rules say so */
	d = imp(p, "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\"}", GOOD_URI, msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	int found = 0;
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind == V_DOWNLOAD_URI_EQUAL) {
			violation_message(&d.v[i], msg, sizeof(msg));
			found = 1;
		}
	ck_assert_msg(found, "no equal violation");
	ck_assert_msg(strstr(msg, "image_source is missing") && strstr(msg, "'" GOOD_URI "'"), "%s", msg);
	/* selected by nothing and claiming nothing: no provenance to compare */
	ck_assert_int_eq(imp(p, "{\"name\":\"my-app\",\"visibility\":\"public\"}", "https://x/y", msg,
			     sizeof(msg)).action, ACTION_ALLOW);
	/* claiming a source it is not downloaded from: refused even when no rule selects it */
	d = imp(p, "{\"name\":\"my-app\",\"visibility\":\"public\",\"image_source\":\"https://x/z\"}", "https://x/y",
		msg, sizeof(msg));
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert_msg(strstr(msg, "expected 'https://x/z'"), "%s", msg);
	policy_free(p);
}
END_TEST

START_TEST(off_checks_no_uri)
{
	struct policy *p = load_ok("import: {download_uri: off}");
	char msg[512];

	ck_assert_int_eq(p->download_uri, DOWNLOAD_URI_OFF);
	ck_assert_int_eq(imp(p, UBUNTU, "https://evil.example/x.img", msg, sizeof(msg)).action, ACTION_ALLOW);
	/* the image itself is still decided */
	ck_assert_int_eq(imp(p, "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",\"image_source\":\"https://evil/\"}",
			     NULL, msg, sizeof(msg)).action, ACTION_DENY);
	policy_free(p);
}
END_TEST

START_TEST(errors_name_the_place)
{
	static const struct { const char *line, *want; } cases[] = {
		{ "import: {download_uri: same}", ":3:24: import.download_uri must be one of prefix|equal|off, not 'same'" },
		{ "import: {download: equal}", ":3:10: unknown key 'download' in import" },
		{ "import: equal", ":3:9: import must be" },
		{ "import: {download_uri: [equal]}", ":3:24: import.download_uri must be" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "";
		int rc;
		struct policy *p = load_import(cases[i].line, err, sizeof(err), &rc);
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err, cases[i].want), "%s: got '%s'", cases[i].line, err);
		policy_free(p);
	}
}
END_TEST

Suite *suite_import(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("download_uri");
	tcase_add_test(tc, default_is_prefix);
	tcase_add_test(tc, dotted_uris_and_sources);
	tcase_add_test(tc, equal_wants_the_image_source);
	tcase_add_test(tc, equal_without_image_source);
	tcase_add_test(tc, off_checks_no_uri);
	tcase_add_test(tc, errors_name_the_place);
	suite_add_tcase(s, tc);
	return s;
}
