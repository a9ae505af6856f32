/* util: the few helpers every module needs. */
#ifndef SCS_UTIL_H
#define SCS_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Read a whole file (at most max bytes). On error returns NULL and names
 * the file and the reason in err. The buffer is NUL-terminated. */
char *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* A located error into err: "file:line:col: what", ":col" left out when
 * col is 0 and ":line" too when line is 0. Returns -1, what a failing
 * reader returns. */
int err_at(char *err, size_t errlen, const char *file, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int verr_at(char *err, size_t errlen, const char *file, unsigned line, unsigned col, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

/* Grow *items to hold at least n+1 elements of size sz; -1 when out of memory. */
int grow(void *items, size_t *cap, size_t n, size_t sz);

/* Says "out of memory" and aborts: allocation failure is not recoverable. */
__attribute__((noreturn)) void oom(void);
void *xcalloc(size_t n, size_t sz);
char *xstrdup(const char *s);
/* Two strings that may be NULL differ (NULL equals only NULL). */
int str_differs(const char *a, const char *b);

/* Microseconds on the monotonic clock: for durations, never for dates. */
long long mono_us(void);

/* A random (v4) UUID: unique, not secret (xorshift seeded from the kernel,
 * per thread, so minting one costs no syscall). */
void uuid_v4(char out[37]);

#endif
