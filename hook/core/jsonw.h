/* jsonw: append JSON to a growing buffer, fast. The decision record is
 * written once per decision (a million per second in `check`), and yajl's
 * generator, measured at ~290k records/s here, was the bottleneck; this
 * writer is verified by round-trip tests against the yajl parser. */
#ifndef SCS_JSONW_H
#define SCS_JSONW_H

#include <stddef.h>
#include <string.h>

struct jsonw {
	char *buf;
	size_t len, cap;
	int oom;                    /* sticky: some append failed */
};

int jw_reserve(struct jsonw *w, size_t n);

/* Literal JSON text (keys, punctuation) as written in the source. Inline:
 * a record is mostly such literals. */
static inline void jw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n <= w->cap || jw_reserve(w, n) == 0) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}
/* JSON text chosen at run time (one of several literals). */
static inline void jw_text(struct jsonw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* Only for string literals: "" s refuses to compile with anything else. */
#define jw_lit(w, s) jw_raw((w), ("" s), sizeof(s) - 1)
/* A JSON string value: quotes, backslashes, control characters, U+2028
 * and U+2029 are escaped; bytes that are not valid UTF-8 become U+FFFD,
 * so whatever a user sends, the output is one valid JSON line. */
void jw_str(struct jsonw *w, const char *s, size_t n);
/* jw_str for NUL-terminated s, or null when s is NULL. */
void jw_cstr(struct jsonw *w, const char *s);
void jw_int(struct jsonw *w, long long v);
void jw_free(struct jsonw *w);
/* 1 when s[0..n) is well-formed UTF-8 (RFC 3629), as jw_str checks it. */
int jw_utf8_valid(const char *s, size_t n);

#endif
