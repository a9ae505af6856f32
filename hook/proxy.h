/* proxy: the admission proxy in front of glance-api. proxy.c serves HTTP
 * (libmicrohttpd, a thread per connection) and streams to Glance
 * (upstream.c); admit.c decides the requests that create or change an
 * image; cmd_proxy.c starts it all. */
#ifndef SCS_PROXY_H
#define SCS_PROXY_H

#include <pthread.h>
#include <stddef.h>

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

/* A policy in use: a reload swaps in a new one; the old one is freed
 * when the last decision that holds it is done. */
struct policy_hold {
	struct policy *p;
	unsigned refs;
};

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

/* A request that creates or changes an image, as admit sees it. */
struct admit_req {
	enum route_kind route;
	const char *image_id;
	const char *method, *target, *request_id;
	const char *token;                  /* X-Auth-Token, or NULL */
	const char *content_type;
	const char *body;
	size_t body_len;
	long long content_length;           /* uploads: the declared size, or -1 */
};

struct verdict {
	int status;                         /* 0: forward to Glance; else refuse with this */
	int warn;                           /* forward, with a Warning: 299 header */
	const char *accept_patch;           /* 415: the media types Glance takes */
	char message[2048];                 /* the refusal or the warning, in words */
	const char *record;                 /* the decision record (a JSON line), or NULL */
	size_t record_len;
	long long cap;                      /* uploads: bytes allowed before the cut, -1 none */
};

int admit(struct proxy *px, struct conn *c, const struct admit_req *r, struct verdict *v);
/* The request admit decided has ended (answered, failed or aborted):
 * give back what its decision holds. */
void admit_end(struct proxy *px, struct conn *c);
/* Decide Glance's 2xx answer to a create or patch again (see admit.c).
 * unchecked: why the answer could not be read (answer NULL), or NULL. */
int admit_recheck(struct proxy *px, struct conn *c, const struct admit_req *r, const char *answer, size_t len,
		  const char *unchecked, struct verdict *v);
/* Read the image r names again (with the hook's own token) and decide it
 * as admit_recheck decides an answer: after an upload or stage, whose
 * end Glance writes with the image as it was when the upload began. */
int admit_recheck_image(struct proxy *px, struct conn *c, const struct admit_req *r, struct verdict *v);
/* A request refused before any decision (headers, target, route): logged
 * as a record, and the verdict (status, message) to answer with. */
void admit_refused(struct proxy *px, struct conn *c, const struct admit_req *r, int status, const char *why,
		   struct verdict *v);

/* An upload crossed its byte cap after `received` bytes: decide and log
 * it; v->status 413 means cut it, else it goes on (exempt, warn, dry-run). */
int admit_cut(struct proxy *px, struct conn *c, const struct admit_req *r, long long received, struct verdict *v);

/* Take the current policy for one decision, and give it back. */
struct policy_hold *proxy_policy_acquire(struct proxy *px);
void proxy_policy_release(struct proxy *px, struct policy_hold *h);
/* Install p as the policy (at start, and on SIGHUP). */
void proxy_policy_install(struct proxy *px, struct policy *p);

int proxy_start(struct proxy *px, char *err, size_t errlen);
void proxy_stop(struct proxy *px);

#endif
