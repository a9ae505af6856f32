/* log: the decision log, one JSON line per decision, to stderr or a file.
 * Each record is one write(2) on an O_APPEND descriptor, so lines from
 * concurrent writers never interleave. */
#ifndef SCS_LOG_H
#define SCS_LOG_H

#include <stddef.h>

struct dlog;

/* path NULL or "-": stderr. */
struct dlog *dlog_open(const char *path, char *err, size_t errlen);
/* Append one rendered record line (see recorder_render). */
int dlog_write(struct dlog *l, const char *line, size_t len);
/* After logrotate moved the file: open the path again. */
int dlog_reopen(struct dlog *l, char *err, size_t errlen);
void dlog_close(struct dlog *l);

#endif
