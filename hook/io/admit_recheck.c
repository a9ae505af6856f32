/* admit_recheck: Glance's answer decided again. Another proxy node may
 * change an image between a decision and Glance's write, so the image
 * Glance answers with after a create or patch, and the image read again
 * after an upload or stage, is decided once more, the presence invariant
 * included: what violates is taken out of use at once with the hook's own
 * token (hidden, and deactivated when active: a hidden image can still be
 * booted by its id) and refused with 409 (logged only under warn or
 * dry-run), an answer that cannot be read is treated as a violation (502),
 * and a create is counted again for fair use. An upload the proxy
 * verified is recorded as verified here, on the image as Glance holds it. */
#include "io/admit_int.h"
#include "io/glance.h"
#include "io/http.h"
#include "io/metrics.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

/* Glance's answer could not be checked (unchecked says why): it may
 * violate, so the image is hidden and the client gets 502 with the reason. */
static int recheck_failed(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *unchecked,
			  long long t0, struct verdict *v)
{
	struct image img = { .id = r->image_id && r->image_id[0] ? r->image_id : NULL, .visibility = VIS_PRIVATE };
	struct decision d = { .mode = c->policy->mode, .action = ACTION_DENY };
	struct caller who = { 0 };
	char err[512], why[1024], id[37];

	uuid_v4(id);
	admit_identity_caller(&c->caller, &who);
	admit_present_remove(ad, c, &img, err, sizeof(err));
	snprintf(why, sizeof(why), "%s, so it could not be checked against the policy; %s", unchecked, err);
	admit_verdict_record(ad, c, r, &who, &img, &d, id, why, t0, v);
	metrics_decision(ad->metrics, &d);
	return admit_verdict_refuse(v, 502, "%s [decision %s]", why, id);
}

/* A recheck's finding: logged and counted, and named in the message the
 * client gets (if it gets one), with why. */
static void recheck_record(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			   const struct image *img, const struct decision *d, const char *why, long long t0,
			   struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	admit_verdict_record(ad, c, r, who, img, d, id, why, t0, v);
	metrics_decision(ad->metrics, d);
	admit_verdict_summarize(d, id, v);
	snprintf(v->message + strlen(v->message), sizeof(v->message) - strlen(v->message), "; %s", why);
}

/* Glance's answer violates (under enforce): the image is taken out of use
 * at once and the client gets 409. */
static void remove_answer(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			  const struct caller *who, const struct image *img, const struct decision *d,
			  const char *unverifiable, long long t0, struct verdict *v)
{
	char note[700], why[3400];

	admit_present_remove(ad, c, img, note, sizeof(note));
	snprintf(why, sizeof(why), "Glance's answer violates the policy (changed by a concurrent request)%s%s; %s",
		 unverifiable[0] ? ": " : "", unverifiable, note);
	recheck_record(ad, c, r, who, img, d, why, t0, v);
	v->status = 409;
}

/* Not refused (warn, dry-run, or only advisory rules), but Glance's answer
 * violates in ways the decision did not see (a concurrent change): logged,
 * so the log holds every violation that reached Glance; under warn the
 * client is told as well. */
static void unseen_logged(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			  const struct image *img, const struct decision *d, long long t0, struct verdict *v)
{
	recheck_record(ad, c, r, who, img, d,
		       "Glance's answer violates the policy in ways the decision did not see "
		       "(changed by a concurrent request); not refused in this mode", t0, v);
	v->warn = d->action == ACTION_WARN;
}

/* Glance's own answer to a create or patch, decided again: another proxy
 * node may have changed the image between our decision and Glance's
 * write. A violation found here is hidden at once and refused with 409
 * (under warn or dry-run: logged, if the decision did not see it); an
 * answer that cannot be parsed is treated as one (502). */
static int recheck_held(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *answer,
			size_t len, const char *unchecked, struct verdict *v)
{
	long long t0 = mono_us();
	struct image img = { 0 };
	struct decision d;
	struct origin_expect e;
	struct caller who = { 0 };
	char err[1024], why[1100], unverifiable[2048] = "", actual[SUMS_MAX_HEX + 1];
	int today = (int)(admit_now() / 86400);

	memset(v, 0, sizeof(*v));
	if (unchecked || !answer)
		return recheck_failed(ad, c, r, unchecked ? unchecked : "Glance's answer is empty", t0, v);
	if (image_parse(&img, answer, len, err, sizeof(err)) < 0) {
		image_release(&img);
		snprintf(why, sizeof(why), "Glance's answer is not an image (%s)", err);
		return recheck_failed(ad, c, r, why, t0, v);
	}
	admit_identity_caller(&c->caller, &who);
	if (admit_origin_record(ad, c, &img, err, sizeof(err)) < 0) {
		/* verified, unrecorded: verified again at its next step into presence */
		snprintf(v->message, sizeof(v->message), "%s", err);
		v->warn = 1;
	}
	decide(c->policy, &img, &who, today, &d);
	int held = admit_present_recheck(ad, c, r, &who, &img, today, &e, actual, unverifiable, sizeof(unverifiable),
					 &d);
	if (held == 0)
		admit_origin_recheck(c, r, &img, &who, today, &e, unverifiable, sizeof(unverifiable), &d);
	else if (held < 0)
		d.action = ACTION_DENY;     /* the invariant could not be checked: as a violation */
	if (d.action == ACTION_DENY && img.id)
		remove_answer(ad, c, r, &who, &img, &d, unverifiable, t0, v);
	else if (img.id && r->route == ROUTE_CREATE && c->policy->quota)
		admit_quota_count_again(ad, c, r, &who, &img, t0, v);
	if (!v->status && d.action != ACTION_DENY && (admit_verdict_kinds(&d) & ~c->decided_kinds))
		unseen_logged(ad, c, r, &who, &img, &d, t0, v);
	if (!v->status)
		admit_warning_note(ad, c, r, &img, &d);
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return 0;
}

int admit_recheck(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *answer, size_t len,
		  const char *unchecked, struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	int rc = recheck_held(ad, c, r, answer, len, unchecked, v);
	admit_policy_release(ad, c, h);
	return rc;
}

int admit_recheck_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	struct http_resp resp = { 0 };
	struct glance g;
	char token[4096], err[512], why[700];
	const char *unchecked = NULL;

	token[0] = '\0';
	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0) {
		snprintf(why, sizeof(why), "the image could not be read again after its data (%s)", err);
		unchecked = why;
	} else {
		glance_init(&g, &c->http, ad->cfg->upstream, token);
		if (glance_get(&g, r->image_id, &resp, err, sizeof(err)) < 0 || resp.status != 200) {
			snprintf(why, sizeof(why), "the image could not be read again after its data (%s)",
				 resp.status ? "Glance did not answer 200" : err);
			unchecked = why;
		}
	}
	int rc = recheck_held(ad, c, r, unchecked ? NULL : resp.body, unchecked ? 0 : resp.len, unchecked, v);
	http_resp_free(&resp);
	admit_policy_release(ad, c, h);
	return rc;
}
