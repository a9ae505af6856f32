/* enums: the names of the policy's enumerations (policy.h), as the files
 * write them: to and from text, and read from a config node. */
#ifndef SCS_ENUMS_H
#define SCS_ENUMS_H

#include "core/policy.h"

struct yconf;
struct ynode;

/* Read n (named what in errors) as one of the names; -1 with the error in y. */
int mode_get(struct yconf *y, const struct ynode *n, const char *what, enum mode *out);
int status_get(struct yconf *y, const struct ynode *n, const char *what, enum status *out);
int download_uri_get(struct yconf *y, const struct ynode *n, const char *what, enum download_uri *out);

#endif
