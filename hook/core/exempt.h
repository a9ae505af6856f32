/* exempt: the operator's exemptions (struct exemption, policy.h): loading
 * one, whom it names, and waiving the violations it covers. */
#ifndef SCS_EXEMPT_H
#define SCS_EXEMPT_H

#include "core/decide.h"
#include "core/policy.h"
#include "core/yconf.h"

/* One exemption entry (`rules:` only where with_rules), and its release. */
int exemption_load(struct yconf *y, const struct ynode *n, int with_rules, struct exemption *e);
void exemption_free(struct exemption *e);

/* Is the configured project the caller's? Only ids are compared: the
 * resolved id, or (not resolved) the text as written, which matches only
 * a project whose id it is. A token's project name is never compared:
 * names repeat across domains, and a name may look like another's id. */
int caller_is(const struct caller *who, const char *project, const char *project_id);

/* Apply exemptions from list to violations from..n of d: they are marked,
 * never removed. Returns how many of those stay binding. */
size_t decision_exempt(const struct exemption *list, size_t n, const struct caller *who, int today,
		       struct decision *d, size_t from);

#endif
