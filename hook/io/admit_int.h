/* admit_int.h: what the proxy's decisions (admit*.c) share among
 * themselves and proxy.c never sees (curl's *_int.h convention). The
 * request flow (admit.c) and the rechecks (admit_recheck.c) call fair use
 * (admit_quota.c) and origin verification (admit_origin.c); all of them
 * call the caller's identity and the hook's token (admit_identity.c), the
 * record and the verdict (admit_verdict.c) and the policy hold
 * (admit_policy.c), which call none of them back: no cycle between the
 * objects. */
#ifndef SCS_ADMIT_INT_H
#define SCS_ADMIT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "io/admit.h"
#include "core/decide.h"
#include "core/image.h"

/* The wall clock in seconds: quota windows, marker times, today's date. */
static inline long long admit_now(void)
{
	return (long long)time(NULL);
}

/* ---- who: the caller and the hook's own token (admit_identity.c) ------- */

/* The hook's own Keystone token into out; stale: Keystone refused it. */
int admit_identity_service_token(struct admit *ad, struct admit_conn *c, int stale, char *out, size_t len, char *err,
				 size_t errlen);
/* Who a caller's token names: 0, 1 not valid, -1 Keystone could not say. */
int admit_identity_check(struct admit *ad, struct admit_conn *c, const char *token, struct token_info *who, char *err,
			 size_t errlen);
/* The caller as decide sees them (NULL for what Keystone did not say). */
void admit_identity_caller(const struct token_info *ti, struct caller *who);

/* ---- the record and the verdict (admit_verdict.c) ---------------------- */

/* v refused with status and the words; returns 0. */
int admit_verdict_refuse(struct verdict *v, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The kinds of violation d names, a bit per enum vkind. */
unsigned admit_verdict_kinds(const struct decision *d);
/* The refusal or warning in words, with the decision's id. */
void admit_verdict_summarize(const struct decision *d, const char *id, struct verdict *v);
/* The decision record of d, written to the log and held in v. */
void admit_verdict_record(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			  const struct image *img, const struct decision *d, const char *id, const char *error,
			  long long t0, struct verdict *v);
/* Log d, count it, and make it the verdict (403, 413, or a warning). */
void admit_verdict_conclude(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			    const struct caller *who, const struct image *img, const struct decision *d,
			    enum action policy_action, long long t0, struct verdict *v);

/* ---- the policy hold for a decision (admit_policy.c) ------------------- */

/* The policy in force, held for one decision (c->policy, c->vendor)
 * until admit_policy_release. */
struct policy_hold *admit_policy_hold(struct admit *ad, struct admit_conn *c);
void admit_policy_release(struct admit *ad, struct admit_conn *c, struct policy_hold *h);

/* ---- fair use (admit_quota.c) ------------------------------------------ */

/* A property of the namespace the hook keeps its reservations in that
 * differs between before (NULL: a create) and after: 1 with v refused
 * (403), else 0. */
int admit_quota_reserved(json_t *before, json_t *after, struct verdict *v);
/* The fair-use quotas on a create, upload or import, under the project's
 * gate (held until admit_quota_leave_gate); an upload's reservation is in
 * Glance when it returns, and v->cap its byte cap. 0, or -1 with err when
 * Glance could not be read or written. */
int admit_quota_fair_use(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			 const struct image *img, const char *uri, int today, struct decision *d, struct verdict *v,
			 char *err, size_t errlen);
/* A create Glance has made, counted again (see admit_quota.c). */
void admit_quota_count_again(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			     const struct caller *who, const struct image *img, long long t0, struct verdict *v);
void admit_quota_leave_gate(struct admit_conn *c);

/* ---- origin verification (admit_origin.c) ------------------------------ */

/* The origin part of a decision on an upload, a stage or a patch (see
 * admit_origin.c): 1 when the decision has it (e, and the record's field);
 * unverifiable says why the data cannot be verified, or stays "". */
int admit_origin_judge(struct admit_conn *c, const struct admit_req *r, const struct image *img, json_t *before,
		       int relocated, const struct caller *who, int today, struct origin_expect *e,
		       char *unverifiable, size_t len, struct decision *d);
/* Data under an origin that cannot be checked (why): the verdict, refused
 * with status under enforce. */
int admit_origin_unverifiable(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			      const struct caller *who, const struct image *img, struct decision *d, const char *why,
			      int status, long long t0, struct verdict *v);
/* A request admitted with the origin part e: an upload to hash, a patch
 * that moved verified data to be recorded as verified. */
void admit_origin_admitted(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			   const struct image *img, const struct origin_expect *e, const char *text, struct verdict *v);
/* This connection's upload was hashed for img's image_source and matched
 * the vendor's digest. */
int admit_origin_verified_here(struct admit_conn *c, const struct image *img);
/* After such an upload, img as Glance holds it: its verification record
 * written (nothing when the upload did not match). 0, or -1 with err. */
int admit_origin_record(struct admit *ad, struct admit_conn *c, const struct image *img, char *err, size_t errlen);
/* A patch decided on before (Glance's image): its answer is judged
 * against the image_source it was decided on. */
void admit_origin_patched(struct admit_conn *c, json_t *before);
/* The request has ended: forget what its origin checks held. */
void admit_origin_forget(struct admit_conn *c);
/* The origin part of a recheck of Glance's answer (see admit_origin.c). */
void admit_origin_recheck(struct admit_conn *c, const struct admit_req *r, const struct image *img,
			  const struct caller *who, int today, struct origin_expect *e, char *why, size_t len,
			  struct decision *d);

/* ---- warnings where users look (admit_warning.c) ------------------------- */

/* The property of the hook's namespace that holds a warn mode's finding. */
#define ADMIT_WARNING_KEY "scs_image_hook_warning"
/* After Glance answered a create or patch: img, as Glance holds it, gets
 * d's warning in ADMIT_WARNING_KEY when d warned, and loses it when d
 * finds it compliant. */
void admit_warning_note(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct image *img,
			const struct decision *d);

/* ---- the presence invariant (admit_present.c) ---------------------------- */

/* The image a request leaves (after), asked whether it is present under
 * an origin unverified; verified now when it is (the record written on a
 * match). 0: not present under an origin (the caller judges the origin as
 * before); 1: judged (violations in d, the record's field in e/actual, or
 * why says the data cannot be verified, refused with *status or 403); -1:
 * the hook could not act on Glance (why). */
int admit_present_step(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
		       const struct image *after, int today, struct origin_expect *e, char *actual, char *why,
		       size_t len, int *status, struct decision *d);
/* The same for an image as Glance holds it after a request: a violation
 * denies d under enforce (the caller takes the image out of use). */
int admit_present_recheck(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			  const struct image *img, int today, struct origin_expect *e, char *actual, char *why,
			  size_t len, struct decision *d);
/* Take img out of use with the hook's token: hidden, and deactivated when
 * active. note says what was done (or what failed: -1). */
int admit_present_remove(struct admit *ad, struct admit_conn *c, const struct image *img, char *note, size_t len);

#endif
