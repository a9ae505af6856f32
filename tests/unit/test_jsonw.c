/* The record writer: whatever bytes it is given, the output parses as
 * JSON (checked with yajl) and valid UTF-8 comes back unchanged. */
#include "unit.h"
#include "core/jsonw.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct got {
	char s[4096];
	size_t n;
};

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct got *g = ctx;
	ck_assert_uint_lt(n, sizeof(g->s));
	memcpy(g->s, s, n);
	g->n = n;
	return 1;
}

/* Write s as a JSON string, parse it back, return what came out. */
static struct got roundtrip(const char *s, size_t n)
{
	struct jsonw w = { 0 };
	struct got g = { .n = 0 };
	yajl_callbacks cb = { .yajl_string = on_string };
	jw_str(&w, s, n);
	ck_assert(!memchr(w.buf, '\n', w.len));
	yajl_handle h = yajl_alloc(&cb, NULL, &g);
	ck_assert_msg(yajl_parse(h, (unsigned char *)w.buf, w.len) == yajl_status_ok &&
		      yajl_complete_parse(h) == yajl_status_ok, "not JSON: %.*s", (int)w.len, w.buf);
	yajl_free(h);
	jw_free(&w);
	return g;
}

START_TEST(every_byte)
{
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		struct got g = roundtrip(&c, 1);
		if (b < 0x80) {
			ck_assert_uint_eq(g.n, 1);
			ck_assert_int_eq(g.s[0], c);
		} else {
			/* a lone byte >= 0x80 is not UTF-8: it becomes U+FFFD */
			ck_assert_uint_eq(g.n, 3);
			ck_assert_int_eq(memcmp(g.s, "\xef\xbf\xbd", 3), 0);
		}
	}
}
END_TEST

START_TEST(valid_utf8_unchanged)
{
	const char *s = "Ubuntu \"24.04\" \\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7 \xe2\x80\xa8 end\t\r\x01";
	struct got g = roundtrip(s, strlen(s));
	ck_assert_uint_eq(g.n, strlen(s));
	ck_assert_int_eq(memcmp(g.s, s, g.n), 0);
}
END_TEST

START_TEST(invalid_utf8_replaced)
{
	const char *bad[] = { "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xf0\x9f\x90" };
	for (size_t i = 0; i < 5; i++) {
		struct got g = roundtrip(bad[i], strlen(bad[i]));
		ck_assert_uint_gt(g.n, 0);
	}
}
END_TEST

START_TEST(random_bytes_stay_json)
{
	char buf[512];
	srand(104);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)(rand() & 0xFF);
		roundtrip(buf, n);
	}
}
END_TEST

/* jw_str scans eight bytes at a time: every byte value at every offset of
 * plain strings up to three words long is written as it is alone. */
START_TEST(every_byte_at_every_offset)
{
	char in[24], want[256];
	for (int b = 0; b < 256; b++) {
		struct jsonw one = { 0 };
		char c = (char)b;
		jw_str(&one, &c, 1);                  /* "X": shorter than a word */
		for (size_t len = 1; len <= sizeof(in); len++)
			for (size_t at = 0; at < len; at++) {
				struct jsonw w = { 0 };
				memset(in, 'a', len);
				in[at] = c;
				jw_str(&w, in, len);
				size_t n = 0;
				want[n++] = '"';
				memset(want + n, 'a', at), n += at;
				memcpy(want + n, one.buf + 1, one.len - 2), n += one.len - 2;
				memset(want + n, 'a', len - at - 1), n += len - at - 1;
				want[n++] = '"';
				ck_assert_msg(w.len == n && !memcmp(w.buf, want, n), "byte %02x at %zu of %zu: %.*s", b, at,
					      len, (int)w.len, w.buf);
				jw_free(&w);
			}
		jw_free(&one);
	}
}
END_TEST

START_TEST(integers)
{
	struct jsonw w = { 0 };
	jw_int(&w, 0);
	jw_lit(&w, " ");
	jw_int(&w, -1234567890123LL);
	jw_lit(&w, " ");
	jw_int(&w, 9223372036854775807LL);
	ck_assert_uint_eq(w.len, strlen("0 -1234567890123 9223372036854775807"));
	ck_assert_int_eq(memcmp(w.buf, "0 -1234567890123 9223372036854775807", w.len), 0);
	jw_free(&w);
}
END_TEST

Suite *suite_jsonw(void)
{
	Suite *s = suite_create("jsonw");
	TCase *tc = tcase_create("escape");
	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, every_byte_at_every_offset);
	tcase_add_test(tc, valid_utf8_unchanged);
	tcase_add_test(tc, invalid_utf8_replaced);
	tcase_add_test(tc, random_bytes_stay_json);
	tcase_add_test(tc, integers);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
