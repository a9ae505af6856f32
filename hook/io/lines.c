/* lines: see lines.h. */
#include "io/lines.h"
#include "core/buf.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK (256u << 10)

struct lines {
	gzFile gz;
	char *path;
	char *block;
	size_t pos, end;                /* what of block is not yet returned */
	int eof;
	struct buf line;                /* a line across blocks */
	unsigned long long number;
};

struct lines *lines_open(const char *path, char *err, size_t errlen)
{
	int stdin_ = !strcmp(path, "-");
	gzFile gz = stdin_ ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path, "rb");

	if (!gz) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot be opened");
		return NULL;
	}
	gzbuffer(gz, BLOCK);
	struct lines *l = xcalloc(1, sizeof(*l));
	l->gz = gz;
	l->path = xstrdup(path);
	l->block = malloc(BLOCK);
	if (!l->block)
		oom();
	return l;
}

static int refill(struct lines *l, char *err, size_t errlen)
{
	int n = gzread(l->gz, l->block, BLOCK);
	if (n < 0) {
		int e;
		const char *msg = gzerror(l->gz, &e);
		snprintf(err, errlen, "%s: %s", l->path, e == Z_ERRNO ? strerror(errno) : msg);
		return -1;
	}
	l->pos = 0;
	l->end = (size_t)n;
	l->eof = n == 0;
	return 0;
}

/* Keep up to LINES_MAX bytes of a line that spans blocks. */
static void keep(struct lines *l, const char *s, size_t n, int *cut)
{
	if (l->line.len + n > LINES_MAX) {
		n = LINES_MAX > l->line.len ? LINES_MAX - l->line.len : 0;
		*cut = 1;
	}
	if (n && buf_add(&l->line, s, n) < 0)
		oom();
}

int lines_next(struct lines *l, const char **line, size_t *len, int *cut, char *err, size_t errlen)
{
	*cut = 0;
	l->line.len = 0;
	for (int spans = 0;; spans = 1) {
		if (l->pos == l->end) {
			if (!l->eof && refill(l, err, errlen) < 0)
				return -1;
			if (l->eof) {
				if (!spans && !l->line.len)
					return 0;
				break;          /* a last line without its newline */
			}
		}
		char *s = l->block + l->pos, *nl = memchr(s, '\n', l->end - l->pos);
		size_t n = nl ? (size_t)(nl - s) : l->end - l->pos;
		if (nl && !spans && !l->line.len) {
			/* the common case: the whole line in the block */
			l->pos += n + 1;
			l->number++;
			*line = s;
			*len = n;
			return 1;
		}
		keep(l, s, n, cut);
		l->pos += n + (nl != NULL);
		if (nl)
			break;
	}
	l->number++;
	*line = l->line.data ? l->line.data : "";
	*len = l->line.len;
	return 1;
}

unsigned long long lines_number(const struct lines *l)
{
	return l->number;
}

void lines_close(struct lines *l)
{
	if (!l)
		return;
	gzclose(l->gz);
	buf_release(&l->line);
	free(l->block);
	free(l->path);
	free(l);
}
