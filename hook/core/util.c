#include "core/util.h"
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <string.h>

char *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct buf b = { 0 };

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (buf_reserve(&b, 4096) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		size_t got = fread(b.data + b.len, 1, b.cap - b.len - 1, f);
		b.len += got;
		b.data[b.len] = '\0';
		if (b.len > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
			goto fail;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*len = b.len;
	return b.data;
fail:
	if (f != stdin)
		fclose(f);
	buf_release(&b);
	return NULL;
}

int grow(void *items, size_t *cap, size_t n, size_t sz)
{
	void **p = items;
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *np = realloc(*p, ncap * sz);
	if (!np)
		return -1;
	memset((char *)np + *cap * sz, 0, (ncap - *cap) * sz);
	*p = np;
	*cap = ncap;
	return 0;
}

void oom(void)
{
	fputs("scs-image-hook: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

int str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* A random (v4) UUID. xorshift seeded from the kernel: ids need to be
 * unique, not secret, and getrandom per record would cost a syscall. */
long long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void uuid_v4(char out[37])
{
	static _Thread_local uint64_t s[2];
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];

	if (!s[0] && !s[1] && getrandom(s, sizeof(s), 0) != sizeof(s))
		s[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s, s[1] = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 2; i++) {
		uint64_t x = s[0], y = s[1];
		s[0] = y;
		x ^= x << 23;
		s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
		uint64_t r = s[1] + y;
		memcpy(b + 8 * i, &r, 8);
	}
	b[6] = (b[6] & 0x0F) | 0x40;
	b[8] = (b[8] & 0x3F) | 0x80;
	for (int i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[36] = '\0';
}

int verr_at(char *err, size_t errlen, const char *file, unsigned line, unsigned col, const char *fmt, va_list ap)
{
	int k = !line ? snprintf(err, errlen, "%s: ", file)
		: !col ? snprintf(err, errlen, "%s:%u: ", file, line)
		       : snprintf(err, errlen, "%s:%u:%u: ", file, line, col);
	if (k >= 0 && (size_t)k < errlen)
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
	return -1;
}

int err_at(char *err, size_t errlen, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(err, errlen, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}
