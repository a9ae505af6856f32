/* log: see log.h. */
#include "io/log.h"
#include "core/buf.h"
#include "core/chain.h"
#include "core/logrec.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define LAST_LINE_MAX (1 << 20)  /* a record is a few KiB; beyond this the log is not ours */

struct dlog {
	char *path;                     /* NULL: stderr */
	int fd;
	unsigned anchor;
	pthread_mutex_t lock;
	/* The chain's head as this writer left it, valid while the file is
	 * the same and as long as it was (nobody else wrote since). */
	int known;
	int failing;                    /* the last write failed */
	dev_t dev;
	ino_t ino;
	off_t end;
	unsigned long long seq;         /* of the last record, 0: none */
	int has_prev;                   /* a line precedes the next record */
	char head[CHAIN_HEX];           /* its hash */
	struct buf line;                /* the record being written, and lines read back */
	struct logrec_parser *parser;
};

static int open_fd(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);   /* read: the chain's head */
	if (fd < 0)
		snprintf(err, errlen, "decision log %s: %s", path, strerror(errno));
	return fd;
}

struct dlog *dlog_open(const char *path, unsigned anchor, char *err, size_t errlen)
{
	int to_stderr = !path || !strcmp(path, "-");
	int fd = to_stderr ? STDERR_FILENO : open_fd(path, err, errlen);

	if (fd < 0)
		return NULL;
	/* A file size limit must fail the write, not kill the process: the
	 * short write is then cut off and reported like a full disk. */
	if (!to_stderr)
		signal(SIGXFSZ, SIG_IGN);
	struct dlog *l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = to_stderr ? NULL : xstrdup(path);
	l->anchor = anchor;
	l->parser = logrec_parser_new();
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

const char *dlog_name(const struct dlog *l)
{
	return l->path ? l->path : "stderr";
}

static int fail(const struct dlog *l, char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "decision log %s: %s: %s", dlog_name(l), what, strerror(e));
	return -1;
}

static int lock_fd(int fd, int how)
{
	while (flock(fd, how) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* The last line of fd (size bytes; without its newline) into l->line.
 * 1 found, 0 the file is empty, -1 error. *newline: the file ends in one
 * (else a writer died mid-line, and the next record needs its own). */
static int last_line(struct dlog *l, int fd, off_t size, int *newline)
{
	char tail;
	off_t start = size, stop = size;

	*newline = 1;
	if (size == 0)
		return 0;
	if (pread(fd, &tail, 1, size - 1) != 1)
		return -1;
	if (tail == '\n')
		stop = --start;
	else
		*newline = 0;
	/* back, a block at a time, to the newline before the line */
	char block[4096];
	for (;;) {
		off_t from = start >= (off_t)sizeof(block) ? start - (off_t)sizeof(block) : 0;
		ssize_t n = pread(fd, block, (size_t)(start - from), from);
		if (n != start - from)
			return -1;
		char *nl = memrchr(block, '\n', (size_t)n);
		if (nl) {
			start = from + (nl - block) + 1;
			break;
		}
		start = from;
		if (from == 0 || stop - start > LAST_LINE_MAX) {
			if (from != 0) {
				errno = EFBIG;
				return -1;
			}
			break;
		}
	}
	l->line.len = 0;
	if (buf_reserve(&l->line, (size_t)(stop - start)) < 0)
		oom();
	if (pread(fd, l->line.data, (size_t)(stop - start), start) != stop - start)
		return -1;
	l->line.len = (size_t)(stop - start);
	l->line.data[l->line.len] = '\0';
	return 1;
}

/* The head from the line in l->line: its hash and the seq that follows. */
static void head_of_line(struct dlog *l)
{
	struct logrec r;
	char why[160];
	int ok = logrec_parse(l->parser, l->line.data, l->line.len, &r, why, sizeof(why)) == 0;

	chain_hash(l->line.data, l->line.len, l->head);
	l->seq = chain_next_seq(ok ? &r : NULL) - 1;
	l->has_prev = 1;
}

/* An empty file continues the one logrotate moved away: PATH.1, read
 * under its lock, so a writer still finishing a record there is waited
 * for. No PATH.1: the log begins. */
static int head_from_rotated(struct dlog *l)
{
	char prev[4096];
	int newline;

	l->seq = 0;
	l->has_prev = 0;
	snprintf(prev, sizeof(prev), "%s.1", l->path);
	int fd = open(prev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	int rc = lock_fd(fd, LOCK_SH);
	if (rc == 0 && (rc = fstat(fd, &st)) == 0 && (rc = last_line(l, fd, st.st_size, &newline)) > 0)
		head_of_line(l);
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* Make sure l->fd is the file the path names now (logrotate may have
 * moved it), locked, with st its state. */
static int lock_current(struct dlog *l, struct stat *st, char *err, size_t errlen)
{
	for (int tries = 0;; tries++) {
		struct stat named;
		if (lock_fd(l->fd, LOCK_EX) < 0)
			return fail(l, err, errlen, "lock", errno);
		if (fstat(l->fd, st) < 0)
			return fail(l, err, errlen, "stat", errno);
		if (!S_ISREG(st->st_mode))
			return 0;
		if (stat(l->path, &named) == 0 && named.st_dev == st->st_dev && named.st_ino == st->st_ino)
			return 0;
		flock(l->fd, LOCK_UN);
		if (tries == 3) {
			snprintf(err, errlen, "decision log %s: the path keeps naming another file", l->path);
			return -1;
		}
		int fd = open_fd(l->path, err, errlen);
		if (fd < 0)
			return -1;
		close(l->fd);
		l->fd = fd;
		l->known = 0;
	}
}

/* The chain's head for a record appended to a file of st's state; *nl:
 * a newline must come first. */
static int find_head(struct dlog *l, const struct stat *st, int *nl, char *err, size_t errlen)
{
	int newline = 1;

	*nl = 0;
	if (l->known && st->st_dev == l->dev && st->st_ino == l->ino && st->st_size == l->end)
		return 0;
	int rc = st->st_size == 0 ? head_from_rotated(l) : last_line(l, l->fd, st->st_size, &newline);
	if (rc < 0)
		return fail(l, err, errlen, "reading the last record back", errno);
	if (rc > 0)
		head_of_line(l);
	*nl = !newline;
	return 0;
}

/* The record as the log holds it, in l->line: line without its "}\n",
 * then seq and prev. */
static void chained(struct dlog *l, const char *line, size_t len, int nl)
{
	char suffix[CHAIN_SUFFIX_MAX];
	size_t slen = chain_suffix(l->seq + 1, l->has_prev ? l->head : NULL, suffix);

	l->line.len = 0;
	if ((nl && buf_add(&l->line, "\n", 1) < 0) || buf_add(&l->line, line, len - 2) < 0 ||
	    buf_add(&l->line, suffix, slen) < 0)
		oom();
}

static int write_all(int fd, const char *s, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, s + *done, len - *done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : ENOSPC;
		*done += (size_t)n;
	}
	return 0;
}

/* Under the locks: chain and append; a short write is cut off again. */
static int append(struct dlog *l, const char *line, size_t len, char *err, size_t errlen)
{
	struct stat st = { 0 };
	int nl = 0, regular = 0;
	size_t done;

	if (l->path) {
		if (lock_current(l, &st, err, errlen) < 0)
			return -1;
		regular = S_ISREG(st.st_mode);
		if (regular && find_head(l, &st, &nl, err, errlen) < 0)
			return -1;
	}
	chained(l, line, len, nl);
	int e = write_all(l->fd, l->line.data, l->line.len, &done);
	if (e) {
		fail(l, err, errlen, done ? "short write, the part written was removed" : "write", e);
		if (done && regular && ftruncate(l->fd, st.st_size) < 0)
			fail(l, err, errlen, "short write, and the part written could not be removed", errno);
		l->known = 0;
		return -1;
	}
	chain_hash(l->line.data + nl, l->line.len - nl - 1, l->head);
	l->seq++;
	l->has_prev = 1;
	l->known = regular;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->end = st.st_size + (off_t)l->line.len;
	if (l->anchor && l->path && l->seq % l->anchor == 0)
		fprintf(stderr, "scs-image-hook: decision log anchor: log=%s seq=%llu sha256=%s\n", l->path, l->seq,
			l->head);
	return 0;
}

int dlog_write(struct dlog *l, const char *line, size_t len, char *err, size_t errlen)
{
	if (len < 2 || line[len - 2] != '}' || line[len - 1] != '\n') {
		snprintf(err, errlen, "decision log %s: not a record line", dlog_name(l));
		return -1;
	}
	pthread_mutex_lock(&l->lock);
	int rc = append(l, line, len, err, errlen);
	if (l->path)
		flock(l->fd, LOCK_UN);
	l->failing = rc < 0;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int dlog_room(struct dlog *l, size_t len)
{
	struct stat st;
	struct statvfs fs;
	struct rlimit lim;

	pthread_mutex_lock(&l->lock);
	int room = !l->failing;
	if (room && l->path) {
		/* a device (/dev/full), a disk short of space, a size limit near */
		room = fstat(l->fd, &st) == 0 && S_ISREG(st.st_mode) && fstatvfs(l->fd, &fs) == 0 &&
		       (unsigned long long)fs.f_bavail * fs.f_frsize >= len + DLOG_MARGIN &&
		       getrlimit(RLIMIT_FSIZE, &lim) == 0 &&
		       (lim.rlim_cur == RLIM_INFINITY || (unsigned long long)st.st_size + len + DLOG_MARGIN <= lim.rlim_cur);
	}
	pthread_mutex_unlock(&l->lock);
	return room;
}

int dlog_reopen(struct dlog *l, char *err, size_t errlen)
{
	if (!l->path)
		return 0;
	int fd = open_fd(l->path, err, errlen);
	if (fd < 0)
		return -1;          /* keep writing to the old file rather than lose records */
	pthread_mutex_lock(&l->lock);
	close(l->fd);
	l->fd = fd;
	l->known = 0;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

void dlog_close(struct dlog *l)
{
	if (!l)
		return;
	if (l->path)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	logrec_parser_free(l->parser);
	buf_release(&l->line);
	free(l->path);
	free(l);
}
