/* creds: the hook's service credentials proven before they are needed,
 * at `proxy --check`, start and reload, so that a mistyped password or a
 * missing role stops the proxy (or keeps the old config) instead of
 * answering every write in the cloud 503. What the proxy does with them:
 * authenticate (Keystone), validate callers' tokens (Keystone's
 * identity:validate_token: admin or service), list every project's
 * images and hide, deactivate or read back any of them (Glance's admin:
 * Glance 25 has no service role). A write probe (a throwaway image
 * created, given data, deactivated, deleted) runs only when asked. Each
 * failure names the step and the role that is missing. */
#include "io/creds.h"
#include "io/glance.h"
#include "io/keystone.h"
#include "core/tokens.h"

#include <stdio.h>
#include <string.h>

/* A GET with the hook's token: Glance's status (0 when it did not answer). */
static long status_of(struct http_client *h, const char *url, const char *token, char *err, size_t errlen)
{
	struct http_req req = { .url = url, .token = token };
	struct http_resp resp;

	if (http_do(h, &req, &resp, err, errlen) < 0)
		return 0;
	long st = resp.status;
	http_resp_free(&resp);
	return st;
}

static int keystone_roles(struct http_client *h, const struct config *c, const struct keystone_session *s,
			  const char *who, char *err, size_t errlen)
{
	struct token_info ti;
	char roles[256], why[512];

	/* a token may always validate itself: this proves the call, the roles
	 * below what Keystone's policy lets the hook do with others' tokens */
	int rc = keystone_validate(h, c->auth.auth_url, s->token, s->token, &ti, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "service credentials: %s cannot validate tokens with Keystone: %s", who,
			 rc == 1 ? "its own token is not valid" : why);
		return -1;
	}
	if (keystone_has_role(s, "admin") || keystone_has_role(s, "service"))
		return 0;
	keystone_role_names(s, roles, sizeof(roles));
	snprintf(err, errlen, "service credentials: %s has the roles [%s]; Keystone lets only the role 'service' or "
		 "'admin' validate other users' tokens (identity:validate_token): openstack role add --user %s "
		 "--project %s service", who, roles, s->user_name ? s->user_name : s->user_id,
		 s->project_name ? s->project_name : s->project_id);
	return -1;
}

static int glance_admin(struct http_client *h, const struct config *c, const struct keystone_session *s,
			const char *who, char *err, size_t errlen)
{
	char url[2048], why[512], roles[256];

	snprintf(url, sizeof(url), "%s/v2/images?limit=1", c->upstream);
	long st = status_of(h, url, s->token, why, sizeof(why));
	if (st != 200) {
		snprintf(err, errlen, "service credentials: %s cannot list images at Glance (%s): %s", who, url,
			 st ? "refused" : why);
		return -1;
	}
	/* Glance's admin-only read (its default: role:admin, as is_admin) */
	snprintf(url, sizeof(url), "%s/v2/info/stores/detail", c->upstream);
	st = status_of(h, url, s->token, why, sizeof(why));
	if (st == 200 || (st != 403 && keystone_has_role(s, "admin")))
		return 0;
	keystone_role_names(s, roles, sizeof(roles));
	snprintf(err, errlen, "service credentials: Glance does not take %s (roles [%s]) for an admin: without the "
		 "role 'admin' on its project the proxy cannot see other projects' images, hide, deactivate or read "
		 "them back (Glance has no service role): openstack role add --user %s --project %s admin", who,
		 roles, s->user_name ? s->user_name : s->user_id, s->project_name ? s->project_name : s->project_id);
	return -1;
}

/* Create, give data, deactivate and delete a throwaway image. */
static int write_probe(struct http_client *h, const struct config *c, const struct keystone_session *s,
		       const char *who, char *err, size_t errlen)
{
	static const char probe[] = "{\"name\":\"scs-image-hook-write-probe\",\"visibility\":\"private\","
				    "\"os_hidden\":true,\"disk_format\":\"raw\",\"container_format\":\"bare\"}";
	struct glance g;
	char id[128], why[1024];
	const char *step = "create";

	glance_init(&g, h, c->upstream, s->token);
	int rc = glance_create(&g, probe, id, sizeof(id), why, sizeof(why));
	if (rc == 0) {
		step = "upload data to";
		if ((rc = glance_upload(&g, id, "x", 1, why, sizeof(why))) == 0) {
			step = "deactivate";
			rc = glance_action(&g, id, "deactivate", why, sizeof(why));
		}
		char derr[512];
		if (glance_delete(&g, id, derr, sizeof(derr)) < 0 && rc == 0) {
			step = "delete";
			snprintf(why, sizeof(why), "%s", derr);
			rc = -1;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "service credentials: write probe: %s could not %s a throwaway image: %s", who,
			 step, why);
	return rc;
}

int creds_check(const struct config *c, int probe_writes, char *err, size_t errlen)
{
	struct http_client h;
	struct keystone_session s;
	char who[300], why[1024];

	if (!c->has_keystone)
		return 0;
	if (http_init(&h, c->auth.verify, c->auth.cacert, err, errlen) < 0)
		return -1;
	int rc = keystone_auth(&h, &c->auth, &s, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "service credentials: cannot authenticate with Keystone: %s", why);
	} else {
		snprintf(who, sizeof(who), "the service user %s (project %s)", s.user_name ? s.user_name : s.user_id,
			 s.project_name ? s.project_name : s.project_id ? s.project_id : "none");
		rc = keystone_roles(&h, c, &s, who, err, errlen);
		if (rc == 0)
			rc = glance_admin(&h, c, &s, who, err, errlen);
		if (rc == 0 && probe_writes)
			rc = write_probe(&h, c, &s, who, err, errlen);
		keystone_session_free(&s);
	}
	http_cleanup(&h);
	return rc;
}
