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

/* uri_canonical's fast path (uri_plain) agrees with libcurl's at the
 * edges: what it takes is its own canonical form, and what needs a
 * change (or a refusal) is left to libcurl. */
START_TEST(fast_path_agrees)
{
	static const struct {
		const char *in;
		int plain;
	} cases[] = {
		{ "https://cloud-images.ubuntu.com/releases/noble/release/x.img", 1 },
		{ "http://h/", 1 },
		{ "https://a-b.c9.example/x~y_z.-/", 1 },
		{ "https://h/UPPER/.x/..y/z.", 1 },     /* dots inside a segment are no dot segment */
		{ "https://1a.example/x", 1 },
		/* percent-encoding */
		{ "https://h/%7euser", 0 },
		{ "https://h/%E2%82%AC", 0 },
		{ "https://h/a%2fb", 0 },
		{ "https://a%2eb/x", 0 },
		/* case */
		{ "https://H/x", 0 },
		{ "https://Cloud-Images.Ubuntu.COM/x", 0 },
		{ "HTTPS://h/x", 0 },
		/* ports */
		{ "https://h:443/x", 0 },
		{ "http://h:80/x", 0 },
		{ "https://h:8443/x", 0 },
		{ "https://h:/x", 0 },
		/* dot segments */
		{ "https://h/a/../b", 0 },
		{ "https://h/a/./b", 0 },
		{ "https://h/a/.", 0 },
		{ "https://h/a/..", 0 },
		{ "https://h/..", 0 },
		/* userinfo */
		{ "https://u@h/x", 0 },
		{ "https://u:p@h/x", 0 },
		/* IP addresses: libcurl rewrites IPv4 numbers */
		{ "https://[::1]/x", 0 },
		{ "https://[::1]:443/x", 0 },
		{ "https://127.1/x", 0 },
		{ "https://127.0.0.1/x", 0 },
		{ "https://0x7f.1/x", 0 },
		{ "https://h.1/x", 0 },
		/* the host's dots and hyphens */
		{ "https://h.example./x", 0 },
		{ "https://a..b/x", 0 },
		{ "https://.a/x", 0 },
		{ "https://-a/x", 0 },
		{ "https://a-/x", 0 },
		/* what follows the path, or no path */
		{ "https://h/x?", 0 },
		{ "https://h/x?a=1", 0 },
		{ "https://h/x#f", 0 },
		{ "https://h", 0 },
		{ "https:/h/x", 0 },
		{ "https:///h/x", 0 },
		{ "https://h/a b", 0 },
		{ "https://h/a\\b", 0 },
		{ "ftp://h/x", 0 },
		{ "", 0 },
	};
	char fast[URI_MAX], slow[URI_MAX], again[URI_MAX];
	const char *fwhy, *swhy;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		ck_assert_msg(uri_plain(in) == cases[i].plain, "%s: uri_plain %d", in, !cases[i].plain);
		int frc = uri_canonical(in, fast, sizeof(fast), &fwhy);
		int src = uri_canonical_parse(in, slow, sizeof(slow), &swhy);
		ck_assert_msg(frc == src, "%s: fast path %d, libcurl %d", in, frc, src);
		if (src < 0) {
			ck_assert_ptr_eq(fwhy, swhy);
			continue;
		}
		ck_assert_str_eq(fast, slow);
		if (cases[i].plain)
			ck_assert_str_eq(slow, in);
		/* a canonical form stays a fixed point, for libcurl too */
		ck_assert_int_eq(uri_canonical_parse(slow, again, sizeof(again), &swhy), 0);
		ck_assert_str_eq(again, slow);
	}
	/* a buffer one byte short refuses on both paths, for the same reason */
	const char *in = cases[0].in;
	size_t len = strlen(in);
	ck_assert_int_eq(uri_canonical(in, fast, len, &fwhy), -1);
	ck_assert_int_eq(uri_canonical_parse(in, slow, len, &swhy), -1);
	ck_assert_ptr_eq(fwhy, swhy);
	ck_assert_int_eq(uri_canonical(in, fast, len + 1, &fwhy), 0);
	ck_assert_str_eq(fast, in);
}
END_TEST

Suite *suite_uri(void)
{
	Suite *s = suite_create("uri");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, canonical_forms);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, longest_reads_back);
	tcase_add_test(tc, fast_path_agrees);
	suite_add_tcase(s, tc);
	return s;
}
