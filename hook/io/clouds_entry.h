/* clouds_entry: one cloud's values applied to a struct cloud_auth and
 * checked, from its entry in clouds.yaml (and secure.yaml) or from the
 * plain OS_* variables. For clouds.c only, which finds the files and the
 * entry; everyone else calls clouds_resolve (clouds.h). */
#ifndef SCS_CLOUDS_ENTRY_H
#define SCS_CLOUDS_ENTRY_H

#include <stddef.h>

#include "io/clouds.h"
#include "core/ydoc.h"

/* One cloud entry found in a file. */
struct clouds_entry {
	const char *path;
	const struct ynode *key, *map;
};

/* e: the entry in clouds.yaml and/or in secure.yaml, in that order. */
int clouds_entry_apply(const char *name, struct cloud_auth *a, const struct clouds_entry *e, size_t n,
		       char *err, size_t errlen);

/* The plain OS_* variables, as openstacksdk reads them without a cloud. */
int clouds_entry_from_env(struct cloud_auth *a, char *err, size_t errlen);

/* What clouds.c shares with the entry's checks: */

/* A variable's value; an empty one counts as unset. */
const char *clouds_entry_getenv(const char *name);
/* A YAML null: empty, ~ or null, unquoted. */
int clouds_entry_is_null(const struct ynode *n);
/* Append to the string in buf, cut at len. */
void clouds_entry_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "path:line:col: what" into err (":line:col" left out without n); -1. */
int clouds_entry_fail_at(char *err, size_t errlen, const char *path, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
