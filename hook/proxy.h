/* proxy: the admission proxy in front of glance-api. proxy.c serves HTTP
 * (libmicrohttpd, a thread per connection) and streams to Glance
 * (upstream.c); admit.c decides the requests that create or change an
 * image; cmd_proxy.c starts it all. */
#ifndef SCS_PROXY_H
#define SCS_PROXY_H

#include <pthread.h>
#include <stddef.h>

#include "admit.h"
#include "config.h"
#include "http.h"
#include "metrics.h"
#include "policy.h"
#include "quota.h"
#include "route.h"
#include "tokens.h"

struct dlog;
struct token_cache;
struct upstream;
struct recorder;

#define PROXY_MAX_JSON_BODY (64u << 10)     /* POST/PATCH bodies are buffered up to this */

struct proxy {
	struct config cfg;
	const char *config_path;
	pthread_mutex_t policy_lock;
	struct policy_hold *hold;
	struct dlog *log;
	struct metrics metrics;
	struct token_cache *tokens;

	pthread_mutex_t service_lock;       /* the hook's own Keystone token */
	char *service_token;
	long long service_expires;

	void *daemon, *admin;               /* struct MHD_Daemon * */
};

/* What one client connection owns: its own clients to Glance and
 * Keystone, so the data path takes no lock. */
struct conn {
	const struct policy *policy;        /* held for the decision in progress */
	struct token_info caller;           /* who sent the request in progress */
	struct http_client http;            /* decisions: Keystone, GET image */
	struct upstream *up;                /* the streamed exchange */
	struct recorder *rec;
	/* An upload in progress under a byte cap: what it was decided on, so
	 * the cut can be decided and logged without asking Glance again. */
	struct quota_limits cap_limits;
	struct quota_usage cap_usage;
	char cap_project[64];
	enum visibility cap_visibility;
	int gate;                           /* the project gate held (gate.h) + 1, or 0 */
	unsigned long long reserved;        /* bytes the upload in progress reserved */
};

int proxy_start(struct proxy *px, char *err, size_t errlen);
void proxy_stop(struct proxy *px);

#endif
