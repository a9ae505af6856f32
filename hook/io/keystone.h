/* keystone: Keystone v3 authentication and the service catalog. */
#ifndef SCS_KEYSTONE_H
#define SCS_KEYSTONE_H

#include <stddef.h>

#include "io/clouds.h"
#include "io/http.h"

struct keystone_session {
	char *token;
	char *expires_at;
	char *user_id, *project_id;
	char *user_name, *project_name;
	void *catalog;              /* json_t * of token.catalog */
	void *roles;                /* json_t * of token.roles ([{"id","name"}]) */
};

/* Authenticate as a (password, application credential or token). 0, or -1
 * with a message that tells wrong credentials from an unreachable service. */
int keystone_auth(struct http_client *h, const struct cloud_auth *a, struct keystone_session *s,
		  char *err, size_t errlen);
/* The URL of a service type ("image") by interface and region; NULL when absent. */
const char *keystone_endpoint(const struct keystone_session *s, const char *type, const char *interface,
			      const char *region);
void keystone_session_free(struct keystone_session *s);
/* Whether the session's token carries the role named name. */
int keystone_has_role(const struct keystone_session *s, const char *name);
/* The token's role names, ", " between them, into out ("none" when none). */
void keystone_role_names(const struct keystone_session *s, char *out, size_t len);

/* Who a token belongs to: GET /v3/auth/tokens, authenticated with the
 * hook's own (service) token. 0 valid, 1 not a valid token, 2 the
 * service token itself was refused (authenticate again), -1 Keystone did
 * not answer (err says why). */
struct token_info;
int keystone_validate(struct http_client *h, const char *auth_url, const char *service_token,
		      const char *token, struct token_info *out, char *err, size_t errlen);

/* The name of the project id, asked of Keystone at auth_url with token:
 * 0, 1 no such project (err says so), -1 Keystone did not answer or
 * refused (err says why: a token without admin may see only its own). */
int keystone_project_name(struct http_client *h, const char *auth_url, const char *token, const char *id,
			  char *out, size_t outlen, char *err, size_t errlen);

/* Resolve the projects p's config names (exemptions, quota overrides and
 * exemptions) to ids with Keystone, authenticated as a: at start, --check
 * and reload. 0, or -1 with "file:line:col: project ..." or why Keystone
 * could not answer in err. */
struct policy;
int keystone_resolve_projects(const struct cloud_auth *a, struct policy *p, char *err, size_t errlen);

#endif
