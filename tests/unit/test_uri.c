/* uri: canonical forms (RFC 3986 section 6) and what has none. */
#include "unit.h"
#include "core/uri.h"

#include <string.h>

START_TEST(canonical_forms)
{
	static const char *const cases[][2] = {
		{ "https://cloud-images.ubuntu.com/noble/x.img", "https://cloud-images.ubuntu.com/noble/x.img" },
		{ "HTTPS://Cloud-Images.Ubuntu.COM/noble/x.img", "https://cloud-images.ubuntu.com/noble/x.img" },
		{ "https://h:443/a", "https://h/a" },
		{ "http://h:80/a", "http://h/a" },
		{ "https://h:8443/a", "https://h:8443/a" },
		{ "https://h", "https://h/" },
		{ "https://h/ok/../evil", "https://h/evil" },
		{ "https://h/ok/./x", "https://h/ok/x" },
		{ "https://h/ok/%2e%2e/evil", "https://h/evil" },
		{ "https://h/ok/%2E./evil", "https://h/evil" },
		{ "https://h/%7euser/%41%2D", "https://h/~user/A-" },
		{ "https://h/%e2%82%ac", "https://h/%E2%82%AC" },
		{ "https://h/a?q=1", "https://h/a?q=1" },
	};
	char out[URI_MAX];
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(uri_canonical(cases[i][0], out, sizeof(out), &why) == 0, "%s: %s", cases[i][0], why);
		ck_assert_msg(!strcmp(out, cases[i][1]), "%s: got %s, want %s", cases[i][0], out, cases[i][1]);
		/* a canonical form is its own canonical form */
		char again[URI_MAX];
		ck_assert_int_eq(uri_canonical(out, again, sizeof(again), &why), 0);
		ck_assert_str_eq(again, out);
	}
}
END_TEST

START_TEST(refused)
{
	static const char *const cases[][2] = {
		{ "https://h/a%2fb", "encoded slash" },
		{ "https://h/a%5Cb", "encoded slash or backslash" },
		{ "https://h/a\\b", "backslash" },
		{ "https://user@h/a", "userinfo" },
		{ "https://u:p@h/a", "userinfo" },
		{ "https://h/a#frag", "fragment" },
		{ "ftp://h/a", "not an http or https URL" },
		{ "file:///etc/passwd", "not an http or https URL" },
		{ "https://h/a b", "space" },
		{ "https://h/%zz", "malformed percent escape" },
		{ "https://h/%4", "malformed percent escape" },
		{ "", "empty" },
		{ "not a url", "space" },
		{ "noscheme/x", "libcurl" },
	};
	char out[URI_MAX];
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		ck_assert_msg(uri_canonical(cases[i][0], out, sizeof(out), &why) < 0, "%s accepted", cases[i][0]);
		ck_assert_msg(why && strstr(why, cases[i][1]), "%s: '%s' lacks '%s'", cases[i][0], why, cases[i][1]);
	}
	char big[URI_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "https://h/", 10);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(uri_canonical(big, out, sizeof(out), &why), -1);
}
END_TEST

/* The longest canonical forms, with a plain byte or an escape last, read
 * back as themselves (found by fuzz_uri: a 2045-byte form was refused). */
START_TEST(longest_reads_back)
{
	static const char *const tails[] = { "a", "%20" };
	char in[URI_MAX], out[URI_MAX], again[URI_MAX];
	const char *why = NULL;

	for (size_t i = 0; i < 2; i++) {
		size_t tail = strlen(tails[i]);
		memset(in, 'a', sizeof(in));
		memcpy(in, "https://h/", 10);
		memcpy(in + sizeof(in) - 1 - tail, tails[i], tail);
		in[sizeof(in) - 1] = '\0';
		ck_assert_msg(uri_canonical(in, out, sizeof(out), &why) == 0, "%s: %s", tails[i], why);
		ck_assert_str_eq(out, in);
		ck_assert_msg(uri_canonical(out, again, sizeof(again), &why) == 0, "again %s: %s", tails[i], why);
		ck_assert_str_eq(again, out);
	}
}
END_TEST

Suite *suite_uri(void)
{
	Suite *s = suite_create("uri");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, canonical_forms);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, longest_reads_back);
	suite_add_tcase(s, tc);
	return s;
}
