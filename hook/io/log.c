#include "io/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dlog {
	char *path;
	int fd;
};

static int open_fd(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		snprintf(err, errlen, "decision log %s: %s", path, strerror(errno));
	return fd;
}

struct dlog *dlog_open(const char *path, char *err, size_t errlen)
{
	int to_stderr = !path || !strcmp(path, "-");
	int fd = to_stderr ? STDERR_FILENO : open_fd(path, err, errlen);

	if (fd < 0)
		return NULL;
	struct dlog *l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = to_stderr ? NULL : xstrdup(path);
	return l;
}

int dlog_write(struct dlog *l, const char *line, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(l->fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int dlog_reopen(struct dlog *l, char *err, size_t errlen)
{
	if (!l->path)
		return 0;
	int fd = open_fd(l->path, err, errlen);
	if (fd < 0)
		return -1;          /* keep writing to the old file rather than lose records */
	close(l->fd);
	l->fd = fd;
	return 0;
}

void dlog_close(struct dlog *l)
{
	if (!l)
		return;
	if (l->path)
		close(l->fd);
	free(l->path);
	free(l);
}
