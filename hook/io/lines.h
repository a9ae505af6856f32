/* lines: the lines of a text file, plain or gzip-compressed (zlib tells
 * them apart), or of standard input, read in blocks: a file of any size
 * costs the memory of its longest line, up to LINES_MAX; a longer line
 * is cut there and said to be so, never kept whole. */
#ifndef SCS_LINES_H
#define SCS_LINES_H

#include <stddef.h>

#define LINES_MAX (4u << 20)

struct lines;

/* path "-": standard input. NULL with err when it cannot be opened. */
struct lines *lines_open(const char *path, char *err, size_t errlen);
/* The next line without its newline into *line, *len (valid until the
 * next call); *cut: it was longer than LINES_MAX and this is its start.
 * 1 a line, 0 the end, -1 a read error (err). */
int lines_next(struct lines *l, const char **line, size_t *len, int *cut, char *err, size_t errlen);
/* The number of the line last returned, from 1. */
unsigned long long lines_number(const struct lines *l);
void lines_close(struct lines *l);

#endif
