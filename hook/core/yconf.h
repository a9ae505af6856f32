/* yconf: typed reading of ydoc nodes with located errors. Every reader
 * of our YAML (policy files, the operator config) reports the same way:
 * "file:line:col: what was expected". */
#ifndef SCS_YCONF_H
#define SCS_YCONF_H

#include <stddef.h>

#include "core/ydoc.h"

struct yconf {
	const char *path;           /* the file, as errors name it */
	char *err;
	size_t errlen;
};

/* All return 0, or -1 with the message in y->err. */
int yc_fail(struct yconf *y, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int yc_want(struct yconf *y, const struct ynode *n, enum ynode_kind kind, const char *what);
/* Refuse any key not in allowed (a NULL-terminated list), naming them all. */
int yc_keys(struct yconf *y, const struct ynode *map, const char *const *allowed, const char *what);
int yc_need(struct yconf *y, const struct ynode *map, const char *key, const char *what, struct ynode **out);
int yc_string(struct yconf *y, const struct ynode *n, const char *what, char **out);
/* A string or a list of strings, as `source:` is written in SCS files. */
int yc_strings(struct yconf *y, const struct ynode *n, const char *what, char ***out, size_t *count);
int yc_bool(struct yconf *y, const struct ynode *n, const char *what, int *out);
int yc_date(struct yconf *y, const struct ynode *n, const char *what, int *out);
int yc_enum(struct yconf *y, const struct ynode *n, const char *what, const char *const *names, int count,
	    int *out);
/* A whole number in [min, max]. */
int yc_uint(struct yconf *y, const struct ynode *n, const char *what, unsigned long long min,
	    unsigned long long max, unsigned long long *out);
/* A size in bytes: "50GiB", "512 MiB", "1TB" or plain bytes. */
int yc_size(struct yconf *y, const struct ynode *n, const char *what, unsigned long long *out);
/* A duration in milliseconds: "30s", "500ms", "2m", "1h", "1d" or plain seconds. */
int yc_duration_ms(struct yconf *y, const struct ynode *n, const char *what, long *out);

#endif
