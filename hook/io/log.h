/* log: the decision log, one JSON line per decision, to stderr or a file,
 * as an audit trail: nothing lost in silence, nothing changed unseen.
 *  - A record is written whole or not at all: one write(2) on an O_APPEND
 *    descriptor, and a short write (a full disk, a file size limit) is cut
 *    off again; the caller gets the error and decides (log.on_error).
 *  - Records are chained (chain.h): each ends in "seq" and "prev", the
 *    hash of the line before it, read again from the file under a lock
 *    (flock, and a mutex between threads) for every write, so writers in
 *    several processes (the proxy, check runs) never fork the chain.
 *  - A file that was renamed (logrotate) is left for the path's new file
 *    at the next write; the first record of a new file continues the last
 *    line of PATH.1, the name logrotate gives it (delaycompress keeps it
 *    uncompressed; copytruncate would break the chain and is refused by
 *    the shipped snippet).
 *  - Every `anchor` records, the chain's head goes to standard error
 *    (the journal, under systemd): `log --verify --anchors` finds a log
 *    rewritten whole against it. */
#ifndef SCS_LOG_H
#define SCS_LOG_H

#include <stddef.h>

struct dlog;

/* path NULL or "-": stderr (chained in memory). anchor: every how many
 * records the head is written to stderr; 0 never. */
struct dlog *dlog_open(const char *path, unsigned anchor, char *err, size_t errlen);
/* Append one rendered record line (recorder_render: it ends in "}\n"),
 * chained. 0, or -1 with why in err and nothing of it in the log. */
int dlog_write(struct dlog *l, const char *line, size_t len, char *err, size_t errlen);
/* Whether a record of len bytes can be held back (to add what is known
 * later) and still be written: the last write did not fail and the file
 * is a regular one with DLOG_MARGIN to spare, on the disk and under the
 * file size limit. When not, the caller writes now, to know before it
 * goes on. */
#define DLOG_MARGIN (16u << 20)
int dlog_room(struct dlog *l, size_t len);
/* After logrotate moved the file: open the path again (a write also
 * finds out by itself). */
int dlog_reopen(struct dlog *l, char *err, size_t errlen);
/* The path written to, or "stderr". */
const char *dlog_name(const struct dlog *l);
void dlog_close(struct dlog *l);

#endif
