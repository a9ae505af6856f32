/* opconf: the operator config, read once. One file holds the policy keys
 * (policy.c: policy, mode, visibility, exemptions, import, quota) and the
 * proxy's service keys (config.c: listen, upstream, keystone, ...); every
 * command that reads it (check, audit, policy lint/show, proxy start,
 * proxy --check and SIGHUP) reads it here, from one read of the bytes and
 * one parse, with one validation, so none accepts what another refuses. */
#ifndef SCS_OPCONF_H
#define SCS_OPCONF_H

#include <stddef.h>

#include "io/config.h"
#include "core/policy.h"

enum {
	OPCONF_SERVICE = CONFIG_SERVICE,         /* the proxy: listen and upstream required */
	OPCONF_CREDENTIALS = CONFIG_CREDENTIALS, /* look up `keystone: {cloud:}` (proxy, lint) */
	OPCONF_ANY_FILE = 4,                     /* policy lint: a spec or v2 rules file is taken too */
	OPCONF_PROXY = OPCONF_SERVICE | OPCONF_CREDENTIALS,
};

/* Read the config at path: its policy keys into p (not finished: --policy
 * files may follow, then policy_finish), its service keys into c (NULL:
 * checked, then dropped). Every key present is checked, and the keys
 * together (quota needs keystone). 0, or -1 with "file:line:col: ..." in
 * err; c is then freed. */
int opconf_load(const char *path, unsigned flags, struct policy *p, struct config *c, char *err, size_t errlen);

#endif
