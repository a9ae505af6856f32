/* cleartext: exactly one cleartext-signed message, nothing outside it;
 * dirindex: the one file name a pattern picks from a directory's index. */
#include "unit.h"
#include "core/cleartext.h"
#include "core/dirindex.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define BEGIN "-----BEGIN PGP SIGNED MESSAGE-----\n"
#define HASH "Hash: SHA256\n\n"
#define TEXT "# a.qcow2: 4 bytes\nSHA256 (a.qcow2) = 00\n- -----dash-escaped\n"
#define SIG "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n"

static enum cleartext_frame frame(const char *text, char *why, size_t whylen)
{
	why[0] = '\0';
	return cleartext_frame(text, strlen(text), why, whylen);
}

static void framed(const char *text, enum cleartext_frame want, const char *words)
{
	char why[256];
	enum cleartext_frame got = frame(text, why, sizeof(why));
	ck_assert_msg(got == want, "%d, not %d: %s", got, want, why);
	ck_assert_msg(strstr(why, words), "'%s' lacks '%s'", why, words);
}

START_TEST(one_message_and_nothing_else)
{
	char why[256];
	ck_assert_int_eq(frame(BEGIN HASH TEXT SIG, why, sizeof(why)), CLEARTEXT_ONE);
	ck_assert_int_eq(frame(BEGIN HASH TEXT SIG "\n\r\n", why, sizeof(why)), CLEARTEXT_ONE);      /* blank lines */
	ck_assert_int_eq(frame("-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nx\r\n"
			       "-----BEGIN PGP SIGNATURE-----\r\nx\r\n-----END PGP SIGNATURE-----", why, sizeof(why)),
			 CLEARTEXT_ONE);                                                        /* CRLF, no final end */
}
END_TEST

START_TEST(text_outside_the_signed_part)
{
	framed(BEGIN HASH TEXT SIG "SHA256 (b.qcow2) = 11\n", CLEARTEXT_OUTSIDE,
	       "text after the signature block (line 12), outside the signed part");
	framed(BEGIN HASH TEXT SIG " \n", CLEARTEXT_OUTSIDE, "text after the signature block");
	framed("SHA256 (b.qcow2) = 11\n" BEGIN HASH TEXT SIG, CLEARTEXT_OUTSIDE,
	       "text before the signed part (the message begins on line 2)");
	framed("\n" BEGIN HASH TEXT SIG, CLEARTEXT_OUTSIDE, "text before the signed part");
	framed(BEGIN HASH TEXT SIG BEGIN HASH TEXT SIG, CLEARTEXT_OUTSIDE, "text after the signature block");
	framed(BEGIN HASH TEXT BEGIN HASH TEXT SIG, CLEARTEXT_OUTSIDE, "a second signed message begins within the first");
	framed(BEGIN HASH "-----dashes not escaped\n" SIG, CLEARTEXT_OUTSIDE, "an armor line out of place (line 4)");
	framed(BEGIN HASH TEXT "-----END PGP SIGNATURE-----\n", CLEARTEXT_OUTSIDE, "an armor line out of place");
	framed(BEGIN HASH TEXT "-----BEGIN PGP SIGNATURE-----\nx\n", CLEARTEXT_OUTSIDE,
	       "it ends (line 8) before its signature block does");
	framed(BEGIN HASH TEXT SIG "-----BEGIN PGP SIGNATURE-----\n", CLEARTEXT_OUTSIDE, "text after the signature block");
}
END_TEST

START_TEST(no_message_at_all)
{
	framed("SHA256 (a.qcow2) = 00\n", CLEARTEXT_NONE, "no signature covers it");
	framed("", CLEARTEXT_NONE, "in its 0 lines");
	framed("-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n", CLEARTEXT_NONE,
	       "no '-----BEGIN PGP SIGNED MESSAGE-----' line");
	/* a NUL is a byte like any other: the frame is read by length */
	char why[256];
	static const char nul[] = BEGIN HASH "a\0b\n" SIG;
	ck_assert_int_eq(cleartext_frame(nul, sizeof(nul) - 1, why, sizeof(why)), CLEARTEXT_ONE);
}
END_TEST

static int pick(const char *page, const char *pattern, char name[256], char *why)
{
	return dirindex_pick(page, strlen(page), pattern, name, why, 512);
}

START_TEST(an_index_names_one_list)
{
	char name[256], why[512];
	/* Apache's fancy index, with its icon links and sort queries */
	static const char apache[] =
		"<a href=\"?C=N;O=D\">Name</a><a href=\"/pub/fedora/linux/releases/42/Cloud/x86_64/\">Parent</a>\n"
		"<img src=\"/icons/text.gif\"><a href=\"Fedora-Cloud-42-1.1-x86_64-CHECKSUM\">Fedora-Cloud-42-1.1-x86_64-"
		"CHECKSUM</a> 2025-04-09 1.2K\n<A HREF='Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2'>x</A>\n";
	ck_assert_int_eq(pick(apache, "*-CHECKSUM", name, why), 1);
	ck_assert_str_eq(name, "Fedora-Cloud-42-1.1-x86_64-CHECKSUM");
	ck_assert_int_eq(pick(apache, "*.qcow2", name, why), 1);
	ck_assert_str_eq(name, "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2");
	/* the same name twice (icon and text links) is one */
	ck_assert_int_eq(pick("<a href=\"A-CHECKSUM\"><img></a><a href=\"A-CHECKSUM\">A-CHECKSUM</a>", "*-CHECKSUM",
			      name, why), 1);
	ck_assert_int_eq(pick(apache, "*-SHA256SUMS", name, why), 0);
	ck_assert_str_eq(name, "");
	ck_assert_int_eq(pick("<a href=\"A-CHECKSUM\"></a><a href=\"B-CHECKSUM\"></a><a href=\"C-CHECKSUM\"></a>",
			      "*-CHECKSUM", name, why), -1);
	ck_assert_str_eq(why, "the directory's index names more than one file matching '*-CHECKSUM': 'A-CHECKSUM', "
			 "'B-CHECKSUM', 'C-CHECKSUM'");
}
END_TEST

START_TEST(only_plain_names_count)
{
	char name[256], why[512];
	static const char *const not_names[] = {
		"<a href=\"sub/x-CHECKSUM\">", "<a href=\"../x-CHECKSUM\">", "<a href=\"https://evil.example/x-CHECKSUM\">",
		"<a href=\"x%2D-CHECKSUM\">", "<a href=\".x-CHECKSUM\">", "<a href=\"x-CHECKSUM?y\">",
		"<a href=x-CHECKSUM>", "<a href=\"x-CHECKSUM", "<a href=\"\">", "href=\"x\"CHECKSUM",
	};
	for (size_t i = 0; i < ARRAY_SIZE(not_names); i++)
		ck_assert_msg(pick(not_names[i], "*-CHECKSUM", name, why) == 0, "%s gave %s", not_names[i], name);
	char longname[400] = "<a href=\"";
	memset(longname + 9, 'a', 300);
	strcpy(longname + 309, "-CHECKSUM\">");
	ck_assert_int_eq(pick(longname, "*-CHECKSUM", name, why), 0);
}
END_TEST

Suite *suite_cleartext(void)
{
	Suite *s = suite_create("cleartext");
	TCase *tc = tcase_create("frame");
	tcase_add_test(tc, one_message_and_nothing_else);
	tcase_add_test(tc, text_outside_the_signed_part);
	tcase_add_test(tc, no_message_at_all);
	suite_add_tcase(s, tc);
	tc = tcase_create("dirindex");
	tcase_add_test(tc, an_index_names_one_list);
	tcase_add_test(tc, only_plain_names_count);
	suite_add_tcase(s, tc);
	return s;
}
