/* sums: the vendors' checksum lists in each format an origin states (GNU
 * lines with or without '*', BSD lines, '#' comment lines), and the
 * hostile lists that must be refused whole. */
#include "unit.h"
#include "core/sums.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H64 "5fa12b0e7bd5fdfb1a8aec6a5e4fb2b5a4ef1b0e5a1ea9af0c1b4c4c63dcb0a1"
#define H64B "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"
#define H128 H64 H64B

static const struct sums_format gnu256 = { SUMS_SHA256, SUMS_GNU, 0 }, gnu512 = { SUMS_SHA512, SUMS_GNU, 0 },
				  bsd256 = { SUMS_SHA256, SUMS_BSD, 0 }, bsd512 = { SUMS_SHA512, SUMS_BSD, 0 },
				  bsd256c = { SUMS_SHA256, SUMS_BSD, 1 }, gnu256c = { SUMS_SHA256, SUMS_GNU, 1 };

/* A list of the format's lines (the algorithm's, GNU or BSD as the caller
 * names it). */
static int parse_as(struct sums *s, const struct sums_format *f, const char *text, char *err, size_t errlen)
{
	return sums_parse(s, f, "https://x/SUMS", text, strlen(text), err, errlen);
}

static int parse(struct sums *s, enum sums_algo algo, const char *text, char *err, size_t errlen)
{
	return parse_as(s, algo == SUMS_SHA256 ? &gnu256 : &gnu512, text, err, errlen);
}

static void refused_as(const struct sums_format *f, const char *text, const char *want)
{
	struct sums s;
	char err[512] = "";
	ck_assert_msg(parse_as(&s, f, text, err, sizeof(err)) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	ck_assert_int_eq(s.n, 0);
	ck_assert_ptr_null(s.e);
}

/* The GNU-style list must be refused with a message that has want in it. */
static void refused(enum sums_algo algo, const char *text, const char *want)
{
	struct sums s;
	char err[512] = "";
	ck_assert_msg(parse(&s, algo, text, err, sizeof(err)) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	ck_assert_int_eq(s.n, 0);
	ck_assert_ptr_null(s.e);
}

START_TEST(ubuntu_binary_mode_lines)
{
	struct sums s;
	char err[256];
	ck_assert_msg(parse(&s, SUMS_SHA256,
			    H64 " *ubuntu-24.04-server-cloudimg-amd64.img\n"
			    H64B " *ubuntu-24.04-server-cloudimg-amd64.manifest\n", err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.n, 2);
	const struct sums_entry *e = sums_find(&s, "ubuntu-24.04-server-cloudimg-amd64.img");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->hex, H64);
	ck_assert_uint_eq(e->line, 1);
	ck_assert_ptr_null(sums_find(&s, "*ubuntu-24.04-server-cloudimg-amd64.img"));
	ck_assert_ptr_null(sums_find(&s, "ubuntu-24.04-server-cloudimg-amd64"));
	sums_free(&s);
}
END_TEST

START_TEST(debian_text_mode_lines)
{
	struct sums s;
	char err[256];
	ck_assert_msg(parse(&s, SUMS_SHA512,
			    H128 "  debian-13-generic-amd64-20261101-1234.qcow2\n"
			    H128 "  debian-13-generic-amd64-20261101-1234.raw\n", err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(sums_find(&s, "debian-13-generic-amd64-20261101-1234.raw")->hex, H128);
	ck_assert_uint_eq(sums_find(&s, "debian-13-generic-amd64-20261101-1234.raw")->line, 2);
	sums_free(&s);
}
END_TEST

START_TEST(bsd_lines_and_uppercase_hex)
{
	struct sums s;
	char err[256], text[512];
	char upper[] = H64;
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c -= 32;
	snprintf(text, sizeof(text), "SHA256 (Fedora-Cloud (x86_64).qcow2) = %s\nSHA256 (other.img) = " H64B "\n", upper);
	ck_assert_msg(parse_as(&s, &bsd256, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(sums_find(&s, "Fedora-Cloud (x86_64).qcow2")->hex, H64);    /* lowercased */
	ck_assert_str_eq(sums_find(&s, "other.img")->hex, H64B);
	sums_free(&s);
	ck_assert_int_eq(parse_as(&s, &bsd512, "SHA512 (a.img) = " H128, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(sums_find(&s, "a.img"));
	sums_free(&s);
}
END_TEST

/* The lines are what the origin says: a line of the other style refuses
 * the list (it is not the vendor's format, whatever it says). */
START_TEST(a_line_of_the_other_style_is_refused)
{
	refused_as(&gnu256, H64 " *a.img\nSHA256 (b.img) = " H64B "\n",
		   "https://x/SUMS:2: not a GNU-style line ('<hex> *<file>' or '<hex>  <file>'), which this origin's "
		   "list has");
	refused_as(&bsd256, "SHA256 (b.img) = " H64B "\n" H64 " *a.img\n",
		   "https://x/SUMS:2: not a BSD-style line ('SHA256 (<file>) = <hex>'), which this origin's list has");
	refused_as(&bsd256, "\\SHA256 (a\\nb.img) = " H64 "\n", "a '\\SHA256' line in a sha256 list");
}
END_TEST

/* Fedora's, Rocky's and CentOS Stream's CHECKSUM: '# <file>: <n> bytes'
 * before each BSD line. Comments are read only where the origin says the
 * list has them, and one that carries a digest refuses the list. */
START_TEST(comment_lines_where_the_origin_says)
{
	struct sums s;
	char err[256];
	static const char fedora[] = "# Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2: 537526272 bytes\n"
				     "SHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2) = " H64 "\n"
				     "# Fedora-Cloud-Base-UKI-42-1.1.x86_64.qcow2: 547749888 bytes\r\n"
				     "SHA256 (Fedora-Cloud-Base-UKI-42-1.1.x86_64.qcow2) = " H64B "\r\n";
	ck_assert_msg(parse_as(&s, &bsd256c, fedora, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(sums_find(&s, "Fedora-Cloud-Base-UKI-42-1.1.x86_64.qcow2")->line, 4);
	sums_free(&s);
	ck_assert_int_eq(parse_as(&s, &gnu256c, "#\n" H64 "  a.img\n", err, sizeof(err)), 0);
	sums_free(&s);
	refused_as(&bsd256, fedora, "https://x/SUMS:1: a comment line ('#'), which this origin's list does not have");
	refused_as(&bsd256c, "# SHA256 (a.img) = " H64 "\nSHA256 (a.img) = " H64B "\n",
		   "https://x/SUMS:1: a comment line carrying a digest (32 hex digits in a row at column 20)");
	refused_as(&bsd256c, "SHA256 (a.img) = " H64B "\n# an old build: 0123456789abcdef0123456789ABCDEF\n",
		   "https://x/SUMS:2: a comment line carrying a digest");
	/* 31 hex digits in a row are a build number, not a digest */
	ck_assert_int_eq(parse_as(&s, &bsd256c, "# build 0123456789abcdef0123456789abcde\nSHA256 (a.img) = " H64 "\n",
				  err, sizeof(err)), 0);
	sums_free(&s);
	refused_as(&bsd256c, "# only comments\n", "no checksum lines");
}
END_TEST

START_TEST(crlf_blank_lines_and_no_final_newline)
{
	struct sums s;
	char err[256];
	ck_assert_msg(parse(&s, SUMS_SHA256, "\r\n" H64 " *a.img\r\n\n" H64B "  b.img", err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(s.n, 2);
	ck_assert_ptr_nonnull(sums_find(&s, "a.img"));        /* the CR is not part of the name */
	ck_assert_ptr_null(sums_find(&s, "a.img\r"));
	ck_assert_uint_eq(sums_find(&s, "b.img")->line, 4);
	sums_free(&s);
}
END_TEST

START_TEST(the_same_entry_twice_is_one)
{
	struct sums s;
	char err[256];
	ck_assert_msg(parse(&s, SUMS_SHA256, H64 " *a.img\n" H64 "  a.img\n" H64 " *a.img\n", err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(s.n, 1);
	sums_free(&s);
}
END_TEST

START_TEST(hostile_lists_are_refused_whole)
{
	refused(SUMS_SHA256, H64 " *a.img\n" H64B " *b.img\n" H64B " *a.img\n",
		"https://x/SUMS:3: 'a.img' is listed again with another digest (first on line 1)");
	refused(SUMS_SHA256, H64 " *../a.img\n", "https://x/SUMS:1: file name '../a.img' is a path");
	refused(SUMS_SHA256, H64 " *sub/a.img\n", "is a path (has '/')");
	refused(SUMS_SHA256, H64 " */etc/passwd\n", "is a path");
	refused(SUMS_SHA256, H64 " *a\\b.img\n", "is a path (has '\\')");
	refused(SUMS_SHA256, H64 " *..\n", "'..' is not a file");
	refused(SUMS_SHA256, H64 " *.\n", "'.' is not a file");
	refused(SUMS_SHA256, H64 " *\n", "no file name");
	refused(SUMS_SHA256, H64 "   a.img\n", "starts or ends with a space");
	refused(SUMS_SHA256, H64 " *a.img \n", "starts or ends with a space");
	refused(SUMS_SHA256, H64 " *a\tb.img\n", "binary data (byte 0x09 at column 68)");
	refused(SUMS_SHA256, H64 " *a\rb.img\n", "binary data (byte 0x0d");
	refused(SUMS_SHA256, H64 " *a.img\r\r\n", "binary data (byte 0x0d");
	refused(SUMS_SHA256, H64 " *caf\xc3\xa9.img\n", "https://x/SUMS:1: a byte 0xc3 that is not ASCII at column 70");
	refused(SUMS_SHA256, "\\" H64 " *a\\nb.img\n", "an escaped line");
	refused(SUMS_SHA256, H128 " *a.img\n", "a sha256 digest has 64 hex digits, this one 128");
	refused(SUMS_SHA512, H64 "  a.img\n", "a sha512 digest has 128 hex digits, this one 64");
	refused(SUMS_SHA256, "5fa12b0e7bd5fdfb1a8aec6a5e4fb2b5a4ef1b0e5a1ea9af0c1b4c4c63dcb0ag *a.img\n",
		"character 'g' that is not hex");
	refused(SUMS_SHA256, H64 " a.img\n", "not a GNU-style line");
	refused(SUMS_SHA256, H64 "\n", "not a GNU-style line");
	refused(SUMS_SHA256, "<html><body>404</body></html>\n", "not a GNU-style line");
	refused_as(&bsd256, "<html><body>404</body></html>\n", "not a BSD-style line");
	refused_as(&bsd256, "SHA512 (a.img) = " H128 "\n", "a 'SHA512' line in a sha256 list");
	refused_as(&bsd256, "MD5 (a.img) = 0123\n", "a 'MD5' line in a sha256 list");
	refused_as(&bsd256, "SHA256 (a.img)= " H64 "\n", "not a BSD-style line");
	refused_as(&bsd256, "SHA256 () = " H64 "\n", "no file name");
	refused(SUMS_SHA256, "", "https://x/SUMS: no checksum lines");
	refused(SUMS_SHA256, "\n\r\n", "no checksum lines");
}
END_TEST

START_TEST(binary_and_huge_input_is_refused)
{
	struct sums s;
	char err[256];
	static const char nul[] = H64 " *a\0.img\n";
	ck_assert_int_eq(sums_parse(&s, &gnu256, "u", nul, sizeof(nul) - 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "u:1: binary data (byte 0x00 at column 68): not a checksum list");

	size_t big = SUMS_MAX_BYTES + 1;
	char *text = malloc(big);
	memset(text, '\n', big);
	ck_assert_int_eq(sums_parse(&s, &gnu256, "u", text, big, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "u: 1048577 bytes, more than the 1048576 a checksum list may have");
	ck_assert_int_eq(sums_parse(&s, &gnu256, "u", text, big - 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "u: no checksum lines (an empty list is a broken mirror, not a vendor's list)");

	memset(text, 'a', SUMS_MAX_LINE + 1);
	memcpy(text, H64 " *", 66);
	ck_assert_int_eq(sums_parse(&s, &gnu256, "u", text, SUMS_MAX_LINE + 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "u:1: line longer than 1024 bytes");
	free(text);
	char line[400];
	snprintf(line, sizeof(line), H64 " *%0256d\n", 7);          /* a 256-byte name */
	refused(SUMS_SHA256, line, "file name longer than 255 bytes");
}
END_TEST

/* Many entries, a conflict among the last: sorted lookups stay right and
 * the refusal leaves nothing behind (ASan/valgrind see the frees). */
START_TEST(many_entries_sorted_lookup_and_a_late_conflict)
{
	struct sums s;
	char err[256];
	size_t cap = 2000 * 80, n = 0;
	char *text = malloc(cap);
	for (int i = 1999; i >= 0; i--)
		n += (size_t)snprintf(text + n, cap - n, "%064x *f%d.img\n", i, i);
	ck_assert_msg(sums_parse(&s, &gnu256, "u", text, n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.n, 2000);
	ck_assert_str_eq(sums_find(&s, "f1234.img")->hex + 60, "04d2");
	ck_assert_ptr_null(sums_find(&s, "f2000.img"));
	sums_free(&s);
	n += (size_t)snprintf(text + n, cap - n, "%064x *f7.img\n", 8);
	ck_assert_int_eq(sums_parse(&s, &gnu256, "u", text, n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "u:2001: 'f7.img' is listed again with another digest (first on line 1993)");
	ck_assert_int_eq(s.n, 0);
	free(text);
}
END_TEST

/* A copy handed out of a cache lives on after the list it came from. */
START_TEST(a_copy_outlives_its_list)
{
	struct sums s, c;
	char err[256];

	ck_assert_int_eq(parse(&s, SUMS_SHA256, H64 " *b.img\n" H64B "  a.img\n", err, sizeof(err)), 0);
	sums_copy(&c, &s);
	sums_free(&s);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(c.algo, SUMS_SHA256);
	ck_assert_str_eq(sums_find(&c, "a.img")->hex, H64B);
	ck_assert_uint_eq(sums_find(&c, "b.img")->line, 1);
	ck_assert_ptr_null(sums_find(&c, "c.img"));
	sums_free(&c);
	sums_copy(&c, &s);              /* an empty list copies as one */
	ck_assert_uint_eq(c.n, 0);
	ck_assert_ptr_null(sums_find(&c, "a.img"));
	sums_free(&c);
}
END_TEST

START_TEST(algorithm_and_line_names)
{
	enum sums_algo a;
	ck_assert_int_eq(sums_algo_parse("sha256", 6, &a), 0);
	ck_assert_int_eq(a, SUMS_SHA256);
	ck_assert_int_eq(sums_algo_parse("sha512 trailing", 6, &a), 0);
	ck_assert_int_eq(a, SUMS_SHA512);
	ck_assert_str_eq(sums_algo_name(a), "sha512");
	ck_assert_uint_eq(sums_hex_len(a), 128);
	ck_assert_int_eq(sums_algo_parse("md5", 3, &a), -1);
	ck_assert_int_eq(sums_algo_parse("SHA256", 6, &a), -1);
	ck_assert_int_eq(sums_algo_parse("sha25", 5, &a), -1);
	ck_assert_str_eq(sums_lines_name(SUMS_GNU), "gnu");
	ck_assert_str_eq(sums_lines_name(SUMS_BSD), "bsd");
}
END_TEST

Suite *suite_sums(void)
{
	Suite *s = suite_create("sums");
	TCase *tc = tcase_create("sums");
	tcase_add_test(tc, ubuntu_binary_mode_lines);
	tcase_add_test(tc, debian_text_mode_lines);
	tcase_add_test(tc, bsd_lines_and_uppercase_hex);
	tcase_add_test(tc, a_line_of_the_other_style_is_refused);
	tcase_add_test(tc, comment_lines_where_the_origin_says);
	tcase_add_test(tc, crlf_blank_lines_and_no_final_newline);
	tcase_add_test(tc, the_same_entry_twice_is_one);
	tcase_add_test(tc, hostile_lists_are_refused_whole);
	tcase_add_test(tc, binary_and_huge_input_is_refused);
	tcase_add_test(tc, many_entries_sorted_lookup_and_a_late_conflict);
	tcase_add_test(tc, algorithm_and_line_names);
	tcase_add_test(tc, a_copy_outlives_its_list);
	suite_add_tcase(s, tc);
	return s;
}
