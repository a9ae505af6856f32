/* buf: a growable byte buffer that stays NUL-terminated (git's strbuf is
 * the model), and the growth rule every growable byte buffer shares.
 * Out of memory is an error the caller sees: the buffer is unchanged. */
#ifndef SCS_BUF_H
#define SCS_BUF_H

#include <stddef.h>

struct buf {
	char *data;             /* NULL until the first byte; then data[len] is NUL */
	size_t len, cap;
};

/* Room for n more bytes and the NUL after them. 0, or -1 out of memory. */
int buf_reserve(struct buf *b, size_t n);
/* Append n bytes of s. 0, or -1 out of memory. */
int buf_add(struct buf *b, const void *s, size_t n);
/* The bytes (at least "") for the caller to free, and b empty again; NULL
 * out of memory. */
char *buf_detach(struct buf *b, size_t *len);
void buf_release(struct buf *b);

/* *data holding at least need bytes: its capacity *cap doubles, from
 * first. 0, or -1 out of memory (*data and *cap unchanged). */
int buf_grow(char **data, size_t *cap, size_t need, size_t first);

#endif
