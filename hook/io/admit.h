/* admit: the proxy's decisions (admit*.c): what they share and what each
 * connection holds for them, the request as admit sees it, the verdict
 * proxy.c carries out, and the policy in use. admit knows nothing of
 * the proxy (struct proxy) that embeds it. */
#ifndef SCS_ADMIT_H
#define SCS_ADMIT_H

#include <pthread.h>
#include <stddef.h>

#include "io/config.h"
#include "io/http.h"
#include "io/metrics.h"
#include "core/buf.h"
#include "core/origins.h"
#include "core/policy.h"
#include "core/quota.h"
#include "core/route.h"
#include "core/tokens.h"

struct dlog;
struct recorder;
struct token_cache;
struct vendor;

/* A policy in use: a reload swaps in a new one; the old one is freed
 * when the last decision that holds it is done. The vendor lists its
 * origins name are fetched and cached with it (NULL: no origins). */
struct policy_hold {
	struct policy *p;
	struct vendor *vendor;
	unsigned refs;
};

/* What the decisions share, across connections: the proxy owns it and
 * sets cfg and metrics before it serves. */
struct admit {
	const struct config *cfg;
	struct metrics *metrics;
	struct dlog *log;
	struct token_cache *tokens;
	pthread_mutex_t policy_lock;
	struct policy_hold *hold;
	pthread_mutex_t service_lock;       /* the hook's own Keystone token */
	char *service_token;
	long long service_expires;
};

/* What one client connection owns for its decisions: its own client to
 * Glance and Keystone, so a decision takes no lock for it. */
struct admit_conn {
	const struct policy *policy;        /* held for the decision in progress */
	struct token_info caller;           /* who sent the request in progress */
	struct http_client http;            /* decisions: Keystone, GET image */
	struct recorder *rec;
	/* An upload in progress under a byte cap: what it was decided on, so
	 * the cut can be decided and logged without asking Glance again. */
	struct quota_limits cap_limits;
	struct quota_usage cap_usage;
	char cap_project[64];
	enum visibility cap_visibility;
	int gate;                           /* the project gate held (gate.h) + 1, or 0 */
	unsigned long long reserved;        /* bytes the upload in progress reserved */
	struct vendor *vendor;              /* held with policy */
	/* An upload checked against its vendor's list (origin verification):
	 * what the vendor said and the image it was decided on, to decide
	 * again on the data's digest at the body's end. */
	struct origin_expect origin;
	char *origin_image;
	int origin_matched;                 /* ... and its digest was the vendor's */
	/* A PATCH: image_source as Glance held it when the patch was decided
	 * (NULL: none), to see in Glance's answer whether it moved. */
	int patched;
	char *patch_source;
	/* The kinds of violation (a bit per enum vkind) this request's records
	 * named: a recheck that finds others under warn logs them. */
	unsigned decided_kinds;
	/* the origin part of the record being written, or NULL */
	const struct origin_expect *rec_origin;
	const char *rec_actual;
	/* the import being decided (method, web-download URI), or NULL */
	const char *rec_import_method, *rec_import_uri;
	/* who sent the request in progress: its address (after a trusted
	 * front, proxy.c) and User-Agent, for its records */
	char client[64];
	char *user_agent;
	/* its records, held until the status of its answer is known */
	struct buf held;
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
	int unlogged;                       /* ... it could not be written to the decision log */
	size_t record_len;
	long long cap;                      /* uploads: bytes allowed before the cut, -1 none */
	char *body;                         /* creates, patches, imports: the body Glance gets, the
					     * proxy's writing of what was decided (PATCH_SENT_JSON);
					     * the caller frees it */
	size_t body_len;
	int verify;                         /* uploads: hash the body, hold back its end and call
					     * admit_origin_end before Glance may have it */
	enum sums_algo verify_algo;
};

int admit(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v);
/* The request is answered with status: its records, held until now, are
 * written with it. */
void admit_answered(struct admit *ad, struct admit_conn *c, int status);
/* The request admit decided has ended (answered, failed or aborted):
 * give back what its decision holds (records not yet written are, with
 * no status). */
void admit_end(struct admit *ad, struct admit_conn *c);
/* Decide Glance's 2xx answer to a create or patch again (see admit_recheck.c).
 * unchecked: why the answer could not be read (answer NULL), or NULL. */
int admit_recheck(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *answer, size_t len,
		  const char *unchecked, struct verdict *v);
/* Read the image r names again (with the hook's own token) and decide it
 * as admit_recheck decides an answer: after an upload or stage, whose
 * end Glance writes with the image as it was when the upload began. */
int admit_recheck_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v);
/* A request refused before any decision (headers, target, route): logged
 * as a record, and the verdict (status, message) to answer with. */
void admit_refused(struct admit *ad, struct admit_conn *c, const struct admit_req *r, int status, const char *why,
		   struct verdict *v);

/* An upload crossed its byte cap after `received` bytes: decide and log
 * it; v->status 413 means cut it, else it goes on (exempt, warn, dry-run). */
int admit_cut(struct admit *ad, struct admit_conn *c, const struct admit_req *r, long long received, struct verdict *v);

/* An upload admit decided with v->verify: all of its body is in and its
 * digest is actual; Glance lacks the end. Decided again with the digest
 * and logged with the origin field; v->status means break the upload off. */
int admit_origin_end(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *actual,
		     struct verdict *v);
/* The upload was broken off: wait until Glance has put the image back
 * without data (queued), and delete it when Glance keeps data of it (an
 * image under an origin never holds bytes that are not the vendor's).
 * What Glance holds is added to v->message. */
void admit_origin_aborted(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v);
/* Install p as the policy (at start, and on SIGHUP); a decision takes the
 * policy in force when it begins and gives it back at its end. With
 * origins, their vendor (keyring) is set up first: -1 with err when it
 * cannot be, and p is not installed. */
int admit_policy_install(struct admit *ad, struct policy *p, char *err, size_t errlen);
/* At the end, when no decision runs: the policy in force and its vendor freed. */
void admit_policy_uninstall(struct admit *ad);

#endif
