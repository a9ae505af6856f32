/* creds: the hook's service credentials proven against Keystone and
 * Glance (see creds.c). */
#ifndef SCS_CREDS_H
#define SCS_CREDS_H

#include <stddef.h>

#include "io/config.h"

/* The proxy's service user can authenticate, validate callers' tokens
 * (Keystone: admin or service) and act on every project's images (Glance:
 * admin); with probe_writes also create, upload, deactivate and delete a
 * throwaway image. Nothing to prove without keystone. 0, or -1 with what
 * failed and the role that is missing in err. */
int creds_check(const struct config *c, int probe_writes, char *err, size_t errlen);

#endif
