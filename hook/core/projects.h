/* projects: the projects an operator config names (exemptions, quota
 * overrides and exemptions) resolved to ids once, when the config is
 * loaded or reloaded. A reference is an id (32 hex digits), a `name` in
 * the domain Default, or `domain/name`. Pure: the lookup is a callback
 * (keystone.c asks Keystone). */
#ifndef SCS_PROJECTS_H
#define SCS_PROJECTS_H

#include <stddef.h>

#include "core/policy.h"
#include "core/yconf.h"

#define PROJECTS_DEFAULT_DOMAIN "Default"

/* "file:line:col" of node n, for the resolver's errors. 0. */
int project_where(struct yconf *y, const struct ynode *n, char **out);

/* Split a reference: *is_id, or the domain and the name (pointers into buf). */
void project_ref_parse(const char *ref, char *buf, size_t buflen, int *is_id, const char **domain,
		       const char **name);

/* Look a project up: by id (domain NULL) or by name in domain. 0 with its
 * id in out, 1 no such project (or domain), -1 the lookup failed (err). */
typedef int (*project_lookup)(void *ctx, const char *domain, const char *name_or_id, char *out, size_t outlen,
			      char *err, size_t errlen);

/* Resolve every project reference of p. 0, or -1 with "file:line:col:
 * project 'x' ..." in err (and p unchanged for the caller to drop). */
int projects_resolve(struct policy *p, project_lookup fn, void *ctx, char *err, size_t errlen);

/* Where there are no credentials to ask Keystone with (check, lint, the
 * import plugin): references by id are taken as they are, and a name is
 * an error naming the entry, never an exemption or override that can
 * match nobody. 0, or -1 with "file:line:col: project 'x' ..." in err. */
int projects_require_ids(struct policy *p, char *err, size_t errlen);

/* Does p name any project (so that resolving needs Keystone)? */
int projects_any(const struct policy *p);

#endif
