/* admit: the proxy's decisions. For each request that creates or changes
 * an image: who is calling (Keystone, cached), what the image will be
 * (the body, or Glance's current image with the patch applied), then the
 * one decision path (decide), one record in the decision log, and a
 * verdict for proxy.c to carry out. This file is that request flow; fair
 * use (admit_quota.c), origin verification (admit_origin.c), the rechecks
 * of Glance's answers (admit_recheck.c) and what they share (admit_int.h)
 * are beside it. */
#include "io/admit_int.h"
#include "io/glance.h"
#include "io/metrics.h"
#include "core/patch.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Glance's current image, with the caller's token so it sees what they see.
 * 0 with *doc; 1 when Glance refused (v holds its answer); -1 no answer. */
static int current_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, json_t **doc,
			 struct verdict *v, char *err, size_t errlen)
{
	struct glance g;
	struct http_resp resp;
	char why[512];

	glance_init(&g, &c->http, ad->cfg->upstream, r->token);
	if (glance_get(&g, r->image_id, &resp, err, errlen) < 0)
		return -1;
	int rc = 0;
	if (resp.status == 200) {
		*doc = json_loadb(resp.body, resp.len, 0, NULL);
		if (!json_is_object(*doc)) {
			snprintf(err, errlen, "Glance's image %s is not a JSON object", r->image_id);
			json_decref(*doc);
			rc = -1;
		}
	} else if (resp.status >= 500) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "Glance answered HTTP %ld for image %s: %s", resp.status, r->image_id, why);
		rc = -1;
	} else {
		http_error_text(&resp, why, sizeof(why));
		admit_verdict_refuse(v, (int)resp.status, "%s", why);
		rc = 1;
	}
	http_resp_free(&resp);
	return rc;
}

/* The web-download URI of an import body, or NULL for other methods; its
 * method's name, as the record names it (NULL: not one of Glance's). */
static int import_uri(const struct admit_req *r, char **uri, char **sent, const char **method_name,
		      struct verdict *v)
{
	static const char *const methods[] = { "glance-direct", "web-download", "copy-image", "glance-download" };
	json_error_t jerr;
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *method = json_object_get(doc, "method");
	const char *name = json_string_value(json_object_get(method, "name"));

	*uri = NULL;
	if (!json_is_object(method) || !name) {
		json_decref(doc);
		return admit_verdict_refuse(v, 400, "the import body must be a JSON object with a \"method\" "
					    "{\"name\": ...}%s%s", doc ? "" : ": ", doc ? "" : jerr.text), -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (!strcmp(name, methods[i]))
			*method_name = methods[i];
	if (!strcmp(name, "web-download")) {
		const char *u = json_string_value(json_object_get(method, "uri"));
		if (!u) {
			json_decref(doc);
			return admit_verdict_refuse(v, 400, "web-download needs a \"uri\" string"), -1;
		}
		*uri = xstrdup(u);
	}
	*sent = json_dumps(doc, PATCH_SENT_JSON);
	json_decref(doc);
	if (!*sent)
		oom();
	return 0;
}

/* The body of a members request ({"member": ID}), as the proxy writes it. */
static int member_body(const struct admit_req *r, char **sent, struct verdict *v)
{
	json_error_t jerr;
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &jerr);

	if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_string(json_object_get(doc, "member"))) {
		json_decref(doc);
		return admit_verdict_refuse(v, 400, "the members body must be a JSON object {\"member\": \"PROJECT\"}"),
		       -1;
	}
	*sent = json_dumps(doc, PATCH_SENT_JSON);
	json_decref(doc);
	if (!*sent)
		oom();
	return 0;
}

/* The image the request would leave behind, as JSON text for image_parse,
 * and for a create or patch the body Glance gets instead of the client's
 * (sent). Neither may touch the hook's reservations. */
static int future_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, char **text,
			char **sent, json_t **current, int *relocated, struct verdict *v, char *err, size_t errlen)
{
	json_t *doc = NULL;
	json_error_t jerr;
	char why[512];

	if (r->route == ROUTE_CREATE) {
		doc = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(doc)) {
			json_decref(doc);
			return admit_verdict_refuse(v, 400, "The image is not a JSON object: %s",
						    doc ? "not an object" : jerr.text), 1;
		}
		if (admit_quota_reserved(NULL, doc, v)) {
			json_decref(doc);
			return 1;
		}
		/* decided as sent: both are the proxy's own writing of its parse */
		*text = json_dumps(doc, PATCH_SENT_JSON);
		json_decref(doc);
		if (!*text)
			oom();
		*sent = xstrdup(*text);
		return 0;
	}
	int format = -1;
	if (r->route == ROUTE_PATCH && (format = patch_format_of(r->content_type)) < 0) {
		v->accept_patch = PATCH_ACCEPT;
		return admit_verdict_refuse(v, 415, "the request media type %s is not supported: use a Glance "
					    "JSON-patch type", r->content_type ? r->content_type : "(none)"), 1;
	}
	int rc = current_image(ad, c, r, &doc, v, err, errlen);
	if (rc)
		return rc;
	if (r->route == ROUTE_PATCH) {
		json_t *before = json_deep_copy(doc);
		int located = patch_apply(doc, r->body ? r->body : "", r->body_len, (enum patch_format)format, sent,
					  why, sizeof(why));
		if (located < 0)
			rc = admit_verdict_refuse(v, 400, "%s", why) + 1;
		else
			rc = admit_quota_reserved(before, doc, v);
		if (rc) {
			json_decref(before);
			json_decref(doc);
			return rc;
		}
		*current = before;
		*relocated = located;
	} else if (r->route == ROUTE_REACTIVATE && json_is_string(json_object_get(doc, "status")) &&
		   !strcmp(json_string_value(json_object_get(doc, "status")), "deactivated")) {
		json_object_set_new(doc, "status", json_string("active"));      /* what reactivating leaves */
	}
	*text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return *text ? 0 : (admit_verdict_refuse(v, 500, "out of memory"), 1);
}

/* The image as the request names it, for the record of a decision that
 * could not be made: a create's body (name, visibility), else its id. */
static void requested_image(const struct admit_req *r, struct image *img)
{
	char err[256];

	memset(img, 0, sizeof(*img));
	if (r->route == ROUTE_CREATE && r->body && image_parse(img, r->body, r->body_len, err, sizeof(err)) == 0)
		return;
	image_release(img);
	memset(img, 0, sizeof(*img));
	img->visibility = VIS_PRIVATE;
	img->id = r->image_id && r->image_id[0] ? r->image_id : NULL;
}

/* Keystone or Glance could not answer: the failure policy decides. The
 * caller is told that, and no more: which service, its URL and the
 * hook's account are the operator's (the record's error, the metric and
 * Keystone's line on stderr). */
static int cannot_decide(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			 const char *why, long long t0, struct verdict *v)
{
	struct image img;
	struct decision d = { .mode = c->policy->mode };
	char id[37];

	uuid_v4(id);
	atomic_fetch_add(&ad->metrics->keystone_errors, 1);
	d.action = ad->cfg->failure == FAIL_OPEN ? ACTION_ALLOW : ACTION_DENY;
	requested_image(r, &img);
	admit_verdict_record(ad, c, r, who, &img, &d, id, why, t0, v);
	image_release(&img);
	v->record = NULL;       /* its error is the operator's: the answer carries none of it */
	if (ad->cfg->failure == FAIL_OPEN)
		return 0;
	return admit_verdict_refuse(v, 503, "The image policy could not be checked: a service it depends on did not "
				    "answer; try again later [decision %s]", id);
}

/* The one decision on the image the request leaves (text): the policy,
 * its origin (a step into presence verified now), fair use. */
static int decide_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			const char *text, json_t *before, int relocated, const char *uri, long long t0, struct verdict *v)
{
	struct image img = { 0 };
	struct decision d;
	struct origin_expect e;
	char err[2048], unverifiable[2048] = "", actual[SUMS_MAX_HEX + 1];
	int today = (int)(admit_now() / 86400), refusal = 0;

	if (image_parse(&img, text, strlen(text), err, sizeof(err)) < 0) {
		image_release(&img);
		return admit_verdict_refuse(v, 400, "The image is not valid JSON for the image policy: %s", err);
	}
	decide_import(c->policy, &img, uri, who, today, &d);
	if (r->route == ROUTE_DEACTIVATE)
		d.action = ACTION_ALLOW;    /* logged with what the image violates, never refused */
	/* every step but the data's own is asked whether it leaves the image
	 * present unverified; the data is verified as it streams */
	int origin = r->route == ROUTE_UPLOAD || r->route == ROUTE_STAGE ? 0 :
		     admit_present_step(ad, c, r, who, &img, today, &e, actual, unverifiable, sizeof(unverifiable),
					&refusal, &d);
	int rc = origin < 0 ? -1 : 0;
	if (origin == 0)
		origin = admit_origin_judge(c, r, &img, before, relocated, who, today, &e, unverifiable,
					    sizeof(unverifiable), &d);
	if (r->route == ROUTE_PATCH)
		admit_origin_patched(c, before);
	enum action policy_action = d.action;
	if (rc == 0)
		rc = admit_quota_fair_use(ad, c, r, who, &img, uri, today, &d, v, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", unverifiable);
	if (rc < 0) {
		rc = cannot_decide(ad, c, r, who, err, t0, v);
	} else if (unverifiable[0]) {
		rc = admit_origin_unverifiable(ad, c, r, who, &img, &d, unverifiable, refusal ? refusal : 403, t0, v);
	} else {
		admit_verdict_conclude(ad, c, r, who, &img, &d, policy_action, t0, v);
		if (origin && !v->status)
			admit_origin_admitted(ad, c, r, &img, &e, text, v);
	}
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return rc;
}

static int admit_held(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	long long t0 = mono_us();
	struct token_info *ti = &c->caller;
	struct caller who = { 0 };
	char err[1024], *text = NULL, *uri = NULL, *sent = NULL;

	memset(v, 0, sizeof(*v));
	v->cap = -1;
	c->decided_kinds = 0;
	c->rec_import_method = NULL;
	memset(ti, 0, sizeof(*ti));
	if (!r->token || !r->token[0])
		return admit_verdict_refuse(v, 401, "This server could not verify that you are authorized to access "
					    "the document you requested (no X-Auth-Token).");
	if (ad->cfg->has_keystone) {
		int rc = admit_identity_check(ad, c, r->token, ti, err, sizeof(err));
		if (rc == 1)
			return admit_verdict_refuse(v, 401, "The request you have made requires authentication "
						    "(token not valid).");
		if (rc < 0)
			return cannot_decide(ad, c, r, &who, err, t0, v);
		admit_identity_caller(ti, &who);
	}
	if (r->route == ROUTE_IMPORT && import_uri(r, &uri, &sent, &c->rec_import_method, v) < 0) {
		c->rec_import_method = NULL;
		return 0;
	}
	c->rec_import_uri = uri;
	if (r->route == ROUTE_MEMBERS && member_body(r, &sent, v) < 0)
		return 0;
	json_t *current = NULL;
	int relocated = 0;
	int rc = future_image(ad, c, r, &text, &sent, &current, &relocated, v, err, sizeof(err));
	if (rc < 0)
		rc = cannot_decide(ad, c, r, &who, err, t0, v);
	else if (rc == 0)
		rc = decide_image(ad, c, r, &who, text, current, relocated, uri, t0, v);
	else
		rc = 0;
	if (!v->status && sent) {
		v->body = sent;         /* the proxy forwards it, and frees it */
		v->body_len = strlen(sent);
		sent = NULL;
	}
	json_decref(current);
	free(text);
	c->rec_import_method = NULL;
	c->rec_import_uri = NULL;
	free(uri);
	free(sent);
	return rc;
}

void admit_refused(struct admit *ad, struct admit_conn *c, const struct admit_req *r, int status, const char *why,
		   struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	struct image none = { .visibility = VIS_PRIVATE };
	struct decision d = { .mode = c->policy->mode, .action = ACTION_DENY };
	struct caller who = { 0 };
	char id[37];

	memset(v, 0, sizeof(*v));
	uuid_v4(id);
	admit_verdict_record(ad, c, r, &who, &none, &d, id, why, mono_us(), v);
	admit_verdict_refuse(v, status, "%s [decision %s]", why, id);
	admit_policy_release(ad, c, h);
}

int admit(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	admit_quota_leave_gate(c);
	c->reserved = 0;
	int rc = admit_held(ad, c, r, v);
	admit_policy_release(ad, c, h);
	/* An upload's reservation is in Glance now; a create or import keeps
	 * the gate until Glance has answered (admit_end), as only then does
	 * the image, or its import lock, show in the list. */
	if (v->status || (r->route != ROUTE_CREATE && r->route != ROUTE_IMPORT))
		admit_quota_leave_gate(c);
	return rc;
}

void admit_end(struct admit *ad, struct admit_conn *c)
{
	admit_answered(ad, c, 0);
	free(c->user_agent);
	c->user_agent = NULL;
	admit_quota_leave_gate(c);
	c->reserved = 0;
	admit_origin_forget(c);
}
