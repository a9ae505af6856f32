/* config: the proxy's service settings, read from the operator config
 * (the same file as the policy): listeners, upstream Glance, the hook's
 * own Keystone credentials, the decision log and how to fail. */
#ifndef SCS_CONFIG_H
#define SCS_CONFIG_H

#include <stddef.h>

#include "io/clouds.h"
#include "core/cidr.h"
#include "core/yconf.h"

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
	struct cloud_auth auth;             /* the hook's service credentials (only .cloud
	                                     * when not looked up: CONFIG_CREDENTIALS) */
	long token_cache_ms;                /* never past a token's own expiry */
	char *log_file;                     /* NULL: stderr */
	int log_refuse;                     /* log.on_error: 1 refuse, -1 admit, 0 as failure_policy */
	unsigned log_anchor;                /* log.anchor: the chain's head to stderr every N records */
	enum failure_policy failure;
	long connect_timeout_ms;            /* to Glance and Keystone */
	long upstream_timeout_ms;           /* no progress from Glance this long: 504 */
	long decision_timeout_ms;           /* one Keystone or Glance call made to decide */
	unsigned max_connections;           /* beyond: 503 */
	struct cidr *fronts;                /* trusted_fronts: whose X-Forwarded-* and Forwarded are kept */
	size_t n_fronts;
	char *tls_cert, *tls_key;           /* tls: the listener speaks TLS (NULL: plain HTTP) */
	char *tls_client_ca;                /* ... and wants clients' certificates signed by it */
	long client_timeout_ms;             /* an idle or stalled client is dropped */
};

/* What a reader of the config asks of it (opconf.h passes these on). */
enum {
	CONFIG_SERVICE = 1,         /* the proxy's: listen and upstream are required */
	CONFIG_CREDENTIALS = 2,     /* `keystone: {cloud:}` is looked up as openstacksdk does */
};

/* Read the service keys of an operator config that opconf.c has parsed;
 * every key present is checked whatever the flags. 0, or -1 with
 * "file:line:col: ..." in y->err. */
int config_load_root(struct config *c, struct yconf *y, const struct ynode *root, unsigned flags);
void config_free(struct config *c);

/* The service keys that differ between a and b, as "listen, upstream"
 * in out; returns how many. A reload cannot move listeners or clients:
 * those take effect on restart. */
size_t config_changes(const struct config *a, const struct config *b, char *out, size_t len);

const char *failure_policy_name(enum failure_policy f);

#endif
