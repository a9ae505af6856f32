#include "core/jsonw.h"
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jw_reserve(struct jsonw *w, size_t n)
{
	if (buf_grow(&w->buf, &w->cap, w->len + n, 1024) < 0) {
		w->oom = 1;
		return -1;
	}
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

int jw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = u[i] < 0x80 ? 1 : utf8_len(u + i, n - i)))
			return 0;
	return 1;
}

/* 1 for bytes that cannot be copied as they are. */
static const unsigned char special[256] = {
	[0x00 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1, [0x7F ... 0xFF] = 1,
};

static void escape_one(struct jsonw *w, const unsigned char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];
	size_t k;

	*used = 1;
	switch (c) {
	case '"': jw_lit(w, "\\\""); return;
	case '\\': jw_lit(w, "\\\\"); return;
	case '\n': jw_lit(w, "\\n"); return;
	case '\r': jw_lit(w, "\\r"); return;
	case '\t': jw_lit(w, "\\t"); return;
	}
	if (c < 0x20 || c == 0x7F) {
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		jw_raw(w, u, sizeof(u));
		return;
	}
	k = utf8_len(s, n);
	if (!k) {
		jw_lit(w, "\\ufffd");
		return;
	}
	*used = k;
	if (k == 3 && c == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
		jw_raw(w, s[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
	else
		jw_raw(w, (const char *)s, k);
}

/* 1 when one of the 8 bytes at s is special. In a word of bytes below
 * 0x80, a byte's high bit ends up set by x - 0x20 only if it is below
 * 0x20, by x + 1 only if it is 0x7F, by q - 1 or b - 1 only if it is '"'
 * or '\\'; and a word with a byte from 0x80 on is special anyway, whatever
 * the borrows and carries out of that byte do to the others. */
static int word_special(const unsigned char *s)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t x, q, b;

	memcpy(&x, s, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return ((x - ones * 0x20) | (x + ones) | (q - ones) | (b - ones) | x) & (ones * 0x80) ? 1 : 0;
}

/* Where the first special byte at or after i is, or n: eight bytes at a
 * time past the plain ones, as a record's strings are mostly plain ASCII.
 * A byte at a time, the scan was `check`'s hottest loop, and its speed
 * swung by a quarter with where the linker happened to place it. */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
	while (i + 8 <= n && !word_special(s + i))
		i += 8;
	while (i < n && !special[s[i]])
		i++;
	return i;
}

void jw_str(struct jsonw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	jw_lit(w, "\"");
	while (i < n) {
		size_t run = plain_run(s, i, n);
		jw_raw(w, (const char *)s + i, run - i);
		i = run;
		if (i < n) {
			size_t used;
			escape_one(w, s + i, n - i, &used);
			i += used;
		}
	}
	jw_lit(w, "\"");
}

void jw_cstr(struct jsonw *w, const char *s)
{
	if (s)
		jw_str(w, s, strlen(s));
	else
		jw_lit(w, "null");
}

void jw_int(struct jsonw *w, long long v)
{
	char num[24];
	size_t i = sizeof(num);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		num[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		num[--i] = '-';
	jw_raw(w, num + i, sizeof(num) - i);
}

void jw_free(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
