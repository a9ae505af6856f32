/* config: the proxy's service settings; see config.h. */
#include "io/config.h"
#include "core/policy.h"
#include "core/util.h"
#include "core/yconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *failure_policy_name(enum failure_policy f)
{
	return f == FAIL_OPEN ? "open" : "closed";
}

/* "127.0.0.1:9393", "[::1]:9393", ":9393" or "9393". */
static int get_listen(struct yconf *y, const struct ynode *n, const char *what, struct listen_addr *out)
{
	unsigned long long port;
	struct ynode tmp;

	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	const char *v = n->value, *colon = strrchr(v, ':');
	const char *host = v, *host_end = colon ? colon : v;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return yc_fail(y, n, "%s: an IPv6 address is written [ADDRESS]:PORT, not '%s'", what, v);
		host = v + 1;
		host_end = close;
	}
	tmp = *n;
	tmp.value = (char *)(colon ? colon + 1 : v);
	if (yc_uint(y, &tmp, what, 1, 65535, &port) < 0)
		return yc_fail(y, n, "%s must be HOST:PORT with a port from 1 to 65535, not '%s'", what, v);
	out->port = (unsigned)port;
	if (host_end == host)
		return 0;       /* NULL host: every address, so only when none was written */
	if (!(out->host = strndup(host, (size_t)(host_end - host))))
		return yc_fail(y, n, "%s: out of memory", what);
	return 0;
}

static int get_url(struct yconf *y, const struct ynode *n, const char *what, char **out)
{
	if (yc_string(y, n, what, out) < 0)
		return -1;
	if (strncmp(*out, "http://", 7) && strncmp(*out, "https://", 8))
		return yc_fail(y, n, "%s must be an http:// or https:// URL, not '%s'", what, *out);
	size_t len = strlen(*out);
	while (len > 8 && (*out)[len - 1] == '/')
		(*out)[--len] = '\0';
	return 0;
}

/* Inline credentials, the fields of a clouds.yaml auth section. */
static const struct {
	const char *key;
	size_t off;
} auth_fields[] = {
	{ "auth_url", offsetof(struct cloud_auth, auth_url) },
	{ "username", offsetof(struct cloud_auth, username) },
	{ "user_id", offsetof(struct cloud_auth, user_id) },
	{ "password", offsetof(struct cloud_auth, password) },
	{ "project_name", offsetof(struct cloud_auth, project_name) },
	{ "project_id", offsetof(struct cloud_auth, project_id) },
	{ "user_domain_name", offsetof(struct cloud_auth, user_domain_name) },
	{ "project_domain_name", offsetof(struct cloud_auth, project_domain_name) },
	{ "application_credential_id", offsetof(struct cloud_auth, application_credential_id) },
	{ "application_credential_secret", offsetof(struct cloud_auth, application_credential_secret) },
	{ "cacert", offsetof(struct cloud_auth, cacert) },
};

static int load_inline_auth(struct yconf *y, const struct ynode *n, struct cloud_auth *a)
{
	struct ynode *v;

	for (size_t i = 0; i < ARRAY_SIZE(auth_fields); i++)
		if ((v = ymap_get(n, auth_fields[i].key)) &&
		    yc_string(y, v, auth_fields[i].key, (char **)((char *)a + auth_fields[i].off)) < 0)
			return -1;
	if (!a->auth_url)
		return yc_fail(y, n, "keystone needs 'cloud' (a clouds.yaml entry) or 'auth_url' and credentials");
	a->auth_type = xstrdup(a->application_credential_id ? "v3applicationcredential" : "password");
	if (!a->application_credential_id && (!(a->username || a->user_id) || !a->password))
		return yc_fail(y, n, "keystone needs username (or user_id) and password, or an application credential");
	a->interface = xstrdup("public");
	a->source = xstrdup(y->path);
	a->verify = 1;
	if ((v = ymap_get(n, "verify")) && yc_bool(y, v, "verify", &a->verify) < 0)
		return -1;
	return 0;
}

static int load_keystone(struct yconf *y, const struct ynode *n, struct config *c, unsigned flags)
{
	static const char *const keys[] = { "cloud", "token_cache", "verify", "auth_url", "username", "user_id",
		"password", "project_name", "project_id", "user_domain_name", "project_domain_name",
		"application_credential_id", "application_credential_secret", "cacert", NULL };
	struct ynode *v;
	char *cloud = NULL;

	if (yc_want(y, n, YNODE_MAP, "keystone") < 0 || yc_keys(y, n, keys, "keystone") < 0)
		return -1;
	if ((v = ymap_get(n, "token_cache")) && yc_duration_ms(y, v, "token_cache", &c->token_cache_ms) < 0)
		return -1;
	c->has_keystone = 1;
	if (!(v = ymap_get(n, "cloud")))
		return load_inline_auth(y, n, &c->auth);
	if (ymap_get(n, "auth_url") || ymap_get(n, "username") || ymap_get(n, "password"))
		return yc_fail(y, n, "keystone: give either 'cloud' or inline credentials, not both");
	if (yc_string(y, v, "cloud", &cloud) < 0)
		return -1;
	if (!(flags & CONFIG_CREDENTIALS)) {
		c->auth.cloud = cloud;      /* named; looked up only by those that use it */
		return 0;
	}
	char why[1024];
	int rc = clouds_resolve(cloud, &c->auth, why, sizeof(why));
	if (rc < 0)
		yc_fail(y, v, "keystone cloud '%s': %s", cloud, why);
	free(cloud);
	return rc;
}

/* What the decision log does as an audit trail (io/log.h): on_error
 * refuse|admit (default: as failure_policy), anchor every N records. */
static int load_log_trail(struct yconf *y, const struct ynode *n, struct config *c)
{
	struct ynode *v;
	unsigned long long every;
	int e;

	if ((v = ymap_get(n, "anchor"))) {
		if (yc_uint(y, v, "anchor", 0, 1000000000, &every) < 0)
			return -1;
		c->log_anchor = (unsigned)every;
	}
	if ((v = ymap_get(n, "on_error"))) {
		if (yc_enum(y, v, "on_error", (const char *const[]){ "refuse", "admit" }, 2, &e) < 0)
			return -1;
		c->log_refuse = e == 0 ? 1 : -1;
	}
	return 0;
}

static int load_log(struct yconf *y, const struct ynode *n, struct config *c)
{
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, "log") < 0 ||
	    yc_keys(y, n, (const char *const[]){ "file", "on_error", "anchor", NULL }, "log") < 0)
		return -1;
	if (load_log_trail(y, n, c) < 0)
		return -1;
	if ((v = ymap_get(n, "file")) && yc_string(y, v, "log file", &c->log_file) < 0)
		return -1;
	if (c->log_file && !strcmp(c->log_file, "-")) {
		free(c->log_file);
		c->log_file = NULL;
	}
	return 0;
}

static int load_timeouts(struct yconf *y, const struct ynode *n, struct config *c)
{
	static const char *const keys[] = { "connect", "upstream", "decision", "client", NULL };
	long *slots[] = { &c->connect_timeout_ms, &c->upstream_timeout_ms, &c->decision_timeout_ms,
			  &c->client_timeout_ms };
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, "timeouts") < 0 || yc_keys(y, n, keys, "timeouts") < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++)
		if ((v = ymap_get(n, keys[i])) && yc_duration_ms(y, v, keys[i], slots[i]) < 0)
			return -1;
	return 0;
}

static int load_limits(struct yconf *y, const struct ynode *n, struct config *c)
{
	unsigned long long v64;
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, "limits") < 0 ||
	    yc_keys(y, n, (const char *const[]){ "max_connections", NULL }, "limits") < 0)
		return -1;
	if ((v = ymap_get(n, "max_connections"))) {
		if (yc_uint(y, v, "max_connections", 1, 100000, &v64) < 0)
			return -1;
		c->max_connections = (unsigned)v64;
	}
	return 0;
}

static void defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->token_cache_ms = 300000;     /* keystonemiddleware's default */
	c->failure = FAIL_CLOSED;
	c->connect_timeout_ms = 5000;
	c->upstream_timeout_ms = 300000; /* Glance may hash and store for a while */
	c->decision_timeout_ms = 10000;
	c->client_timeout_ms = 300000;
	c->max_connections = 1000;
}

/* trusted_fronts: [ADDRESS or CIDR, ...], the load balancers in front. */
static int load_fronts(struct yconf *y, const struct ynode *n, struct config *c)
{
	if (yc_want(y, n, YNODE_SEQ, "trusted_fronts") < 0)
		return -1;
	c->fronts = xcalloc(n->n ? n->n : 1, sizeof(*c->fronts));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *v = n->items[i];
		if (yc_want(y, v, YNODE_SCALAR, "trusted_fronts entry") < 0)
			return -1;
		if (cidr_parse(v->value, &c->fronts[i]) < 0)
			return yc_fail(y, v, "trusted_fronts: '%s' is not an address or ADDRESS/PREFIX (CIDR)", v->value);
		c->n_fronts++;
	}
	return 0;
}

/* tls: {certificate, key, client_ca}: the listener's own TLS. */
static int load_tls(struct yconf *y, const struct ynode *n, struct config *c)
{
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, "tls") < 0 ||
	    yc_keys(y, n, (const char *const[]){ "certificate", "key", "client_ca", NULL }, "tls") < 0 ||
	    yc_need(y, n, "certificate", "tls (a PEM certificate chain)", &v) < 0 ||
	    yc_string(y, v, "tls.certificate", &c->tls_cert) < 0 ||
	    yc_need(y, n, "key", "tls (the certificate's PEM private key)", &v) < 0 ||
	    yc_string(y, v, "tls.key", &c->tls_key) < 0)
		return -1;
	if ((v = ymap_get(n, "client_ca")) && yc_string(y, v, "tls.client_ca", &c->tls_client_ca) < 0)
		return -1;
	return 0;
}

/* listen and upstream: required of the proxy, checked when present otherwise. */
static int load_service(struct yconf *y, const struct ynode *root, struct config *c, unsigned flags)
{
	struct ynode *v;

	if (flags & CONFIG_SERVICE) {
		if (yc_need(y, root, "listen", "the proxy's config", &v) < 0 ||
		    yc_need(y, root, "upstream", "the proxy's config (Glance's URL)", &v) < 0)
			return -1;
	}
	if ((v = ymap_get(root, "listen")) && get_listen(y, v, "listen", &c->listen) < 0)
		return -1;
	if ((v = ymap_get(root, "upstream")) && get_url(y, v, "upstream", &c->upstream) < 0)
		return -1;
	if ((v = ymap_get(root, "admin_listen")) && get_listen(y, v, "admin_listen", &c->admin) < 0)
		return -1;
	if ((v = ymap_get(root, "trusted_fronts")) && load_fronts(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(root, "tls")) && load_tls(y, v, c) < 0)
		return -1;
	return 0;
}

int config_load_root(struct config *c, struct yconf *y, const struct ynode *root, unsigned flags)
{
	struct ynode *v;
	int f;

	defaults(c);
	c->path = xstrdup(y->path);
	if (load_service(y, root, c, flags) < 0)
		return -1;
	if ((v = ymap_get(root, "keystone")) && load_keystone(y, v, c, flags) < 0)
		return -1;
	if ((v = ymap_get(root, "log")) && load_log(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(root, "timeouts")) && load_timeouts(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(root, "limits")) && load_limits(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(root, "failure_policy"))) {
		if (yc_enum(y, v, "failure_policy", (const char *const[]){ "closed", "open" }, 2, &f) < 0)
			return -1;
		c->failure = (enum failure_policy)f;
	}
	return 0;
}

static int addr_differs(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->port != b->port || str_differs(a->host, b->host);
}

static int auth_differs(const struct cloud_auth *a, const struct cloud_auth *b)
{
	return str_differs(a->cloud, b->cloud) || str_differs(a->auth_url, b->auth_url) ||
	       str_differs(a->username, b->username) || str_differs(a->user_id, b->user_id) ||
	       str_differs(a->password, b->password) || str_differs(a->project_name, b->project_name) ||
	       str_differs(a->project_id, b->project_id) ||
	       str_differs(a->application_credential_id, b->application_credential_id) ||
	       str_differs(a->application_credential_secret, b->application_credential_secret) ||
	       str_differs(a->cacert, b->cacert) || a->verify != b->verify;
}

size_t config_changes(const struct config *a, const struct config *b, char *out, size_t len)
{
	const struct { const char *key; int differs; } keys[] = {
		{ "listen", addr_differs(&a->listen, &b->listen) },
		{ "admin_listen", addr_differs(&a->admin, &b->admin) },
		{ "upstream", str_differs(a->upstream, b->upstream) },
		{ "keystone", a->has_keystone != b->has_keystone || auth_differs(&a->auth, &b->auth) ||
			      a->token_cache_ms != b->token_cache_ms },
		{ "log", str_differs(a->log_file, b->log_file) || a->log_refuse != b->log_refuse ||
			 a->log_anchor != b->log_anchor },
		{ "failure_policy", a->failure != b->failure },
		{ "timeouts", a->connect_timeout_ms != b->connect_timeout_ms ||
			      a->upstream_timeout_ms != b->upstream_timeout_ms ||
			      a->decision_timeout_ms != b->decision_timeout_ms ||
			      a->client_timeout_ms != b->client_timeout_ms },
		{ "limits", a->max_connections != b->max_connections },
		{ "tls", str_differs(a->tls_cert, b->tls_cert) || str_differs(a->tls_key, b->tls_key) ||
			 str_differs(a->tls_client_ca, b->tls_client_ca) },
		{ "trusted_fronts", a->n_fronts != b->n_fronts ||
				    (a->n_fronts && memcmp(a->fronts, b->fronts, a->n_fronts * sizeof(*a->fronts))) },
	};
	size_t n = 0;

	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].differs) {
			size_t used = strlen(out);
			snprintf(out + used, len - used, "%s%s", n++ ? ", " : "", keys[i].key);
		}
	return n;
}

void config_free(struct config *c)
{
	free(c->path);
	free(c->listen.host);
	free(c->admin.host);
	free(c->upstream);
	free(c->log_file);
	free(c->fronts);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	cloud_auth_free(&c->auth);
	memset(c, 0, sizeof(*c));
}
