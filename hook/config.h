/* config: the proxy's service settings, read from the operator config
 * (the same file as the policy): listeners, upstream Glance, the hook's
 * own Keystone credentials, the decision log and how to fail. */
#ifndef SCS_CONFIG_H
#define SCS_CONFIG_H

#include <stddef.h>

#include "clouds.h"

enum failure_policy { FAIL_CLOSED, FAIL_OPEN };

struct listen_addr {
	char *host;                 /* NULL: every address */
	unsigned port;
};

struct config {
	char *path;
	struct listen_addr listen, admin;   /* admin.port 0: no admin listener */
	char *upstream;                     /* Glance's root URL, no trailing / */
	int has_keystone;
	struct cloud_auth auth;             /* the hook's service credentials */
	long token_cache_ms;                /* never past a token's own expiry */
	char *log_file;                     /* NULL: stderr */
	enum failure_policy failure;
	long connect_timeout_ms;            /* to Glance and Keystone */
	long upstream_timeout_ms;           /* no progress from Glance this long: 504 */
	long decision_timeout_ms;           /* one Keystone or Glance call made to decide */
	unsigned max_connections;           /* beyond: 503 */
	long client_timeout_ms;             /* an idle or stalled client is dropped */
};

/* Read the service keys of the config at path; 0, or -1 with
 * "file:line:col: ..." in err. Credentials named by `keystone: {cloud:}`
 * are resolved as openstacksdk does. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
void config_free(struct config *c);

const char *failure_policy_name(enum failure_policy f);

#endif
