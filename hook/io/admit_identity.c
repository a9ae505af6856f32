/* admit_identity: who a decision is for. The caller, identified by their
 * token through Keystone (cached), and the hook's own token, which fair
 * use, origin verification and the rechecks read and write Glance with.
 * A file of its own because every part of admit needs the hook's token
 * and none may reach it through another part (no cycle). */
#include "io/admit_int.h"
#include "io/keystone.h"
#include "core/date.h"
#include "core/tokens.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SERVICE_TOKEN_MARGIN 120    /* re-authenticate this long before expiry */

/* Keystone's state as the proxy's calls find it: a gauge, and a line on
 * stderr when it changes (with the URL and account, which callers' 503s
 * never show). Not readiness: Keystone is every node's (admin.c). */
static void keystone_seen(struct admit *ad, int up, const char *err)
{
	if (atomic_exchange(&ad->metrics->keystone_up, (unsigned)up) == (unsigned)up)
		return;
	if (up)
		fprintf(stderr, "scs-image-hook proxy: Keystone answers again\n");
	else
		fprintf(stderr, "scs-image-hook proxy: Keystone could not be used: %s\n", err);
}

/* The hook's own token, authenticating again when it is near expiry or
 * when Keystone refused it (stale). Copied out under the lock. */
int admit_identity_service_token(struct admit *ad, struct admit_conn *c, int stale, char *out, size_t len, char *err,
				 size_t errlen)
{
	struct keystone_session s;
	int rc = 0;

	pthread_mutex_lock(&ad->service_lock);
	if (stale || !ad->service_token || ad->service_expires - SERVICE_TOKEN_MARGIN < admit_now()) {
		rc = keystone_auth(&c->http, &ad->cfg->auth, &s, err, errlen);
		if (rc == 0) {
			free(ad->service_token);
			ad->service_token = xstrdup(s.token);
			ad->service_expires = datetime_parse(s.expires_at);
			keystone_session_free(&s);
		}
	}
	if (rc == 0)
		snprintf(out, len, "%s", ad->service_token);
	pthread_mutex_unlock(&ad->service_lock);
	if (rc < 0)
		keystone_seen(ad, 0, err);
	return rc;
}

/* 0 identified, 1 the token is not valid, -1 Keystone could not say. */
int admit_identity_check(struct admit *ad, struct admit_conn *c, const char *token, struct token_info *who, char *err,
			 size_t errlen)
{
	char service[4096];

	if (token_cache_get(ad->tokens, token, admit_now(), who))
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (admit_identity_service_token(ad, c, attempt, service, sizeof(service), err, errlen) < 0)
			return -1;
		int rc = keystone_validate(&c->http, ad->cfg->auth.auth_url, service, token, who, err, errlen);
		keystone_seen(ad, rc >= 0, err);
		if (rc == 0)
			token_cache_put(ad->tokens, token, who, admit_now(), ad->cfg->token_cache_ms / 1000);
		if (rc != 2)
			return rc;
	}
	return -1;
}

void admit_identity_caller(const struct token_info *ti, struct caller *who)
{
	who->user_id = ti->user_id[0] ? ti->user_id : NULL;
	who->project_id = ti->project_id[0] ? ti->project_id : NULL;
	who->project_name = ti->project_name[0] ? ti->project_name : NULL;
}
