/* buf: see buf.h. */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

int buf_grow(char **data, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : first;
	while (ncap < need) {
		if (ncap > (size_t)-1 / 2)
			return -1;
		ncap *= 2;
	}
	char *nd = realloc(*data, ncap);
	if (!nd)
		return -1;
	*data = nd;
	*cap = ncap;
	return 0;
}

int buf_reserve(struct buf *b, size_t n)
{
	if (n > (size_t)-1 - b->len - 1 || buf_grow(&b->data, &b->cap, b->len + n + 1, 256) < 0)
		return -1;
	b->data[b->len] = '\0';
	return 0;
}

int buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *buf_detach(struct buf *b, size_t *len)
{
	if (buf_reserve(b, 0) < 0)
		return NULL;
	char *d = b->data;
	*len = b->len;
	memset(b, 0, sizeof(*b));
	return d;
}

void buf_release(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
