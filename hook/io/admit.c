/* admit: the proxy's decisions. For each request that creates or changes
 * an image: who is calling (Keystone, cached), what the image will be
 * (the body, or Glance's current image with the patch applied), then the
 * one decision path (decide), one record in the decision log, and a
 * verdict for proxy.c to carry out. */
#include "io/admit.h"
#include "core/decide.h"
#include "io/gate.h"
#include "io/glance.h"
#include "core/image.h"
#include "io/keystone.h"
#include "io/log.h"
#include "core/patch.h"
#include "core/quota.h"
#include "core/record.h"
#include "core/tokens.h"
#include "core/util.h"
#include "io/vendor.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SERVICE_TOKEN_MARGIN 120    /* re-authenticate this long before expiry */

static long long now_s(void)
{
	return (long long)time(NULL);
}


static int refuse(struct verdict *v, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct verdict *v, int status, const char *fmt, ...)
{
	va_list ap;
	v->status = status;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	return 0;
}

/* The hook's own token, authenticating again when it is near expiry or
 * when Keystone refused it (stale). Copied out under the lock. */
static int service_token(struct admit *ad, struct admit_conn *c, int stale, char *out, size_t len, char *err,
			 size_t errlen)
{
	struct keystone_session s;
	int rc = 0;

	pthread_mutex_lock(&ad->service_lock);
	if (stale || !ad->service_token || ad->service_expires - SERVICE_TOKEN_MARGIN < now_s()) {
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
	return rc;
}

/* 0 identified, 1 the token is not valid, -1 Keystone could not say. */
static int identify(struct admit *ad, struct admit_conn *c, const char *token, struct token_info *who, char *err,
		    size_t errlen)
{
	char service[4096];

	if (token_cache_get(ad->tokens, token, now_s(), who))
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (service_token(ad, c, attempt, service, sizeof(service), err, errlen) < 0)
			return -1;
		int rc = keystone_validate(&c->http, ad->cfg->auth.auth_url, service, token, who, err, errlen);
		if (rc == 0)
			token_cache_put(ad->tokens, token, who, now_s(), ad->cfg->token_cache_ms / 1000);
		if (rc != 2)
			return rc;
	}
	return -1;
}

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
		refuse(v, (int)resp.status, "%s", why);
		rc = 1;
	}
	http_resp_free(&resp);
	return rc;
}

/* The web-download URI of an import body, or NULL for other methods. */
static int import_uri(const struct admit_req *r, char **uri, char **sent, struct verdict *v)
{
	json_error_t jerr;
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *method = json_object_get(doc, "method");
	const char *name = json_string_value(json_object_get(method, "name"));

	*uri = NULL;
	if (!json_is_object(method) || !name) {
		json_decref(doc);
		return refuse(v, 400, "the import body must be a JSON object with a \"method\" {\"name\": ...}%s%s",
			      doc ? "" : ": ", doc ? "" : jerr.text), -1;
	}
	if (!strcmp(name, "web-download")) {
		const char *u = json_string_value(json_object_get(method, "uri"));
		if (!u) {
			json_decref(doc);
			return refuse(v, 400, "web-download needs a \"uri\" string"), -1;
		}
		*uri = xstrdup(u);
	}
	*sent = json_dumps(doc, PATCH_SENT_JSON);
	json_decref(doc);
	if (!*sent)
		oom();
	return 0;
}

/* A property of the namespace the hook keeps its reservations in that
 * differs between before (NULL: a create) and after, or NULL. */
static const char *reserved_changed(json_t *before, json_t *after)
{
	const char *key;
	json_t *val;

	json_object_foreach(after, key, val)
		if (quota_reserved_key(key) && !json_equal(val, json_object_get(before, key)))
			return key;
	json_object_foreach(before, key, val)
		if (quota_reserved_key(key) && !json_object_get(after, key))
			return key;
	return NULL;
}

static int refuse_reserved(struct verdict *v, const char *key)
{
	return refuse(v, 403, "Attribute '%s' is reserved: scs-image-hook keeps upload reservations under "
		      "'" QUOTA_MARKER_NS "'", key);
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
	const char *key;

	if (r->route == ROUTE_CREATE) {
		doc = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(doc)) {
			json_decref(doc);
			return refuse(v, 400, "The image is not a JSON object: %s", doc ? "not an object" : jerr.text), 1;
		}
		if ((key = reserved_changed(NULL, doc))) {
			refuse_reserved(v, key);
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
		return refuse(v, 415, "the request media type %s is not supported: use a Glance JSON-patch type",
			      r->content_type ? r->content_type : "(none)"), 1;
	}
	int rc = current_image(ad, c, r, &doc, v, err, errlen);
	if (rc)
		return rc;
	if (r->route == ROUTE_PATCH) {
		json_t *before = json_deep_copy(doc);
		int located = patch_apply(doc, r->body ? r->body : "", r->body_len, (enum patch_format)format, sent,
					  why, sizeof(why));
		if (located < 0)
			rc = refuse(v, 400, "%s", why) + 1;
		else if ((key = reserved_changed(before, doc)))
			rc = refuse_reserved(v, key) + 1;
		if (rc) {
			json_decref(before);
			json_decref(doc);
			return rc;
		}
		*current = before;
		*relocated = located;
	}
	*text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return *text ? 0 : (refuse(v, 500, "out of memory"), 1);
}

static void summarize(const struct decision *d, const char *id, struct verdict *v)
{
	char msg[1024];
	size_t off = 0, shown = 0;

	off += (size_t)snprintf(v->message, sizeof(v->message), "%s by the image policy: ",
				d->action == ACTION_DENY ? "Refused" : "Admitted with a warning");
	for (size_t i = 0; i < d->n && off < sizeof(v->message); i++) {
		if (d->v[i].exempted)
			continue;
		violation_message(&d->v[i], msg, sizeof(msg));
		off += (size_t)snprintf(v->message + off, sizeof(v->message) - off, "%s%s (%s)",
					shown++ ? "; " : "", msg, d->v[i].rule);
	}
	if (off < sizeof(v->message))
		snprintf(v->message + off, sizeof(v->message) - off, " [decision %s]", id);
}

_Static_assert(V_COUNT <= 32, "decided_kinds holds a bit per kind of violation");

static unsigned kinds_of(const struct decision *d)
{
	unsigned k = 0;
	for (size_t i = 0; i < d->n; i++)
		k |= 1u << d->v[i].kind;
	return k;
}

static void log_record(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
		       const struct image *img, const struct decision *d, const char *id, const char *error,
		       long long t0, struct verdict *v)
{
	struct record_ctx rc = { .source = "proxy", .request_id = r->request_id, .method = r->method,
				 .path = r->target, .who = who, .policy = c->policy,
				 .latency_us = (long)(mono_us() - t0), .decision_id = id, .error = error,
				 .origin = c->rec_origin, .origin_actual = c->rec_actual };
	const char *line;
	size_t len;

	c->decided_kinds |= kinds_of(d);
	if (recorder_render(c->rec, &rc, img, d, &line, &len) == 0) {
		dlog_write(ad->log, line, len);
		v->record = line;
		v->record_len = len;
	}
}

/* Keystone or Glance could not answer: the failure policy decides. */
static int cannot_decide(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			 const char *why, long long t0, struct verdict *v)
{
	struct image none = { .visibility = VIS_PRIVATE };
	struct decision d = { .mode = c->policy->mode };
	char id[37];

	uuid_v4(id);
	atomic_fetch_add(&ad->metrics->keystone_errors, 1);
	d.action = ad->cfg->failure == FAIL_OPEN ? ACTION_ALLOW : ACTION_DENY;
	log_record(ad, c, r, who, &none, &d, id, why, t0, v);
	if (ad->cfg->failure == FAIL_OPEN)
		return 0;
	return refuse(v, 503, "The image policy could not be checked (%s); try again later [decision %s]", why, id);
}

/* The project a request is charged to: the image's owner (an admin may
 * upload into another project's image), else the caller's project. Its
 * name is known only when it is the caller's. */
static void charged_project(const struct caller *who, const char *owner, struct caller *out)
{
	*out = *who;
	if (owner && *owner && !(who->project_id && !strcmp(owner, who->project_id))) {
		out->project_id = owner;
		out->project_name = NULL;
	}
}

static enum quota_op quota_op_of(enum route_kind k)
{
	return k == ROUTE_CREATE ? QUOTA_CREATE : k == ROUTE_IMPORT ? QUOTA_IMPORT : QUOTA_UPLOAD;
}

/* Make the upload's reservation visible to every node before its first
 * byte moves: the marker on the image, written with the hook's own token
 * while the project's gate is held. */
static int reserve(struct admit_conn *c, struct glance *g, const struct admit_req *r, unsigned long long bytes,
		   char *err, size_t errlen)
{
	struct quota_marker m = { .start = now_s(), .bytes = bytes };
	char node[64] = "", value[256];

	m.until = m.start + QUOTA_MARKER_TTL;
	gethostname(node, sizeof(node) - 1);
	quota_marker_format(&m, node, r->request_id, value, sizeof(value));
	if (glance_set_property(g, r->image_id, QUOTA_MARKER, value, err, errlen) < 0)
		return -1;
	c->reserved = bytes;
	return 0;
}

/* Read the charged project's usage and decide the quotas on it. */
static int quota_round(struct admit_conn *c, struct glance *g, const struct admit_req *r, const struct caller *charged,
		       int today, struct decision *d, char *err, size_t errlen)
{
	const struct quota *q = c->policy->quota;

	if (glance_usage(g, charged->project_id, now_s(), c->cap_limits.v[QL_WINDOW], r->image_id, &c->cap_usage,
			 err, errlen) < 0)
		return -1;
	enum quota_op op = quota_op_of(r->route);
	struct quota_ask ask = { .op = op, .size = op == QUOTA_UPLOAD ? r->content_length : -1 };
	quota_decide(q, c->policy->mode, charged, today, &c->cap_limits, &c->cap_usage, &ask, d);
	return 0;
}

/* The fair-use quotas, on the project's usage read from Glance with the
 * hook's own token (so every proxy node sees the same numbers), under the
 * project's gate. An upload (or web-download) reserves in Glance, then is
 * decided again on a fresh read: another node may have reserved between
 * our read and our write. Of two such nodes at least one sees the other's
 * marker (each reads after its own write is committed), so both may
 * refuse, never both pass; a refusal takes the marker back. Sets the byte
 * cap of an upload. 0, or -1 when Glance could not be read or written. */
static int fair_use(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
		    const struct image *img, const char *uri, int today, struct decision *d, struct verdict *v,
		    char *err, size_t errlen)
{
	const struct quota *q = c->policy->quota;
	struct caller charged;
	struct glance g;
	char token[4096];

	if (!q || r->route == ROUTE_PATCH || r->route == ROUTE_REACTIVATE || r->route == ROUTE_DEACTIVATE)
		return 0;
	if (!ad->cfg->has_keystone)
		return snprintf(err, errlen, "quotas need the hook's keystone credentials to read usage"), -1;
	charged_project(who, img->owner, &charged);
	quota_limits_for(q, &charged, &c->cap_limits);
	if (service_token(ad, c, 0, token, sizeof(token), err, errlen) < 0)
		return -1;
	int gate = gate_enter(charged.project_id, ad->cfg->decision_timeout_ms);
	if (gate < 0)
		return snprintf(err, errlen, "other decisions of project %s did not finish in time",
				charged.project_id ? charged.project_id : "(none)"), -1;
	c->gate = gate + 1;
	glance_init(&g, &c->http, ad->cfg->upstream, token);
	struct decision before = *d;
	if (quota_round(c, &g, r, &charged, today, d, err, errlen) < 0)
		return -1;
	enum quota_op op = quota_op_of(r->route);
	if (d->action == ACTION_DENY || !(op == QUOTA_UPLOAD || (op == QUOTA_IMPORT && uri)))
		return 0;
	if (reserve(c, &g, r, op == QUOTA_UPLOAD ? quota_reserve(&c->cap_limits, &c->cap_usage, r->content_length)
						 : 0, err, errlen) < 0)
		return -1;
	*d = before;
	if (quota_round(c, &g, r, &charged, today, d, err, errlen) < 0)
		return -1;
	if (d->action == ACTION_DENY)
		return glance_remove_property(&g, r->image_id, QUOTA_MARKER, err, errlen);
	if (op == QUOTA_UPLOAD) {
		enum quota_limit which;
		v->cap = quota_byte_cap(&c->cap_limits, &c->cap_usage, &which);
		snprintf(c->cap_project, sizeof(c->cap_project), "%s", charged.project_id);
		c->cap_visibility = img->visibility;
	}
	return 0;
}

/* Log d, count it, and turn it into the verdict: 403 for the image
 * policy, 413 when only fair use refuses (Glance's status for quotas). */
static void conclude(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
		     const struct image *img, const struct decision *d, enum action policy_action, long long t0,
		     struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	log_record(ad, c, r, who, img, d, id, NULL, t0, v);
	metrics_decision(ad->metrics, d);
	if (d->action == ACTION_ALLOW)
		return;
	summarize(d, id, v);
	if (d->action == ACTION_DENY)
		v->status = policy_action == ACTION_DENY ? 403 : 413;
	else
		v->warn = 1;
}

/* ---- origin verification: an image_source under a vendor's prefix ------ */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* What the vendor says about img's image_source: 1 with e, 0 when it lies
 * under no origin. One under an origin that names no file a list could
 * vouch for is unlisted: it must not pass as unverified. */
static int origin_expect_for(struct admit_conn *c, const struct image *img, struct origin_expect *e)
{
	struct origin_ref ref;
	char err[512];

	if (!img->image_source || !c->policy->origins.n)
		return 0;
	int m = origins_match(&c->policy->origins, img->image_source, &ref, err, sizeof(err));
	if (m == 0)
		return 0;
	if (m < 0) {
		memset(e, 0, sizeof(*e));
		e->status = ORIGIN_UNLISTED;
		snprintf(e->file, sizeof(e->file), "%s", img->image_source);
		snprintf(e->why, sizeof(e->why), "%s", err);
		return 1;
	}
	vendor_expect(c->vendor, &ref, e);
	origin_ref_free(&ref);
	return 1;
}

/* Glance's digest of an image's data where it is of the list's algorithm;
 * else NULL, and why says the data cannot be verified and what Glance holds. */
static const char *glance_digest(const char *algo, const char *hash, const char *status,
				 const struct origin_expect *e, const char *lead, const char *what, const char *tail,
				 char *why, size_t len)
{
	if (algo && hash && !strcmp(algo, sums_algo_name(e->algo)))
		return hash;
	snprintf(why, len, "%s the vendor's '%s', but %s cannot be verified: Glance holds %s%s%s (status %s) and the "
		 "vendor's list %s gives %s%s", lead, e->file, what, hash ? "its " : "no digest of it",
		 hash && algo ? algo : "", hash ? " digest" : "", status ? status : "unknown", e->list_url,
		 sums_algo_name(e->algo), tail);
	return NULL;
}

/* The origin part of a decision on an upload, a stage or a patch (before:
 * Glance's image before the patch). An upload is judged on what the vendor
 * says now, its bytes at their end (admit_origin_end). A patch that moves
 * an image with data under an origin, or to another of its files, is
 * judged on Glance's os_hash_value where Glance hashed with the list's
 * algorithm; otherwise the data cannot be verified and unverifiable says
 * why, as for a patch of the locations (data the proxy never sees). A
 * patch of source_sha256sum/source_sha512sum is held to the list.
 * 1 when the decision has the origin part (e, and the record's field). */
static int origin_judge(struct admit_conn *c, const struct admit_req *r, const struct image *img, json_t *before,
			int relocated,
			const struct caller *who, int today, struct origin_expect *e, char *unverifiable, size_t len,
			struct decision *d)
{
	const char *actual = NULL;

	if (r->route == ROUTE_PATCH) {
		const char *status = jstr(before, "status");
		int moved = str_differs(jstr(before, "image_source"), img->image_source);
		int had_data = !status || strcmp(status, "queued");
		int declares = str_differs(jstr(before, "source_sha256sum"), image_prop(img, "source_sha256sum")) ||
			       str_differs(jstr(before, "source_sha512sum"), image_prop(img, "source_sha512sum"));
		if (!(moved && had_data) && !relocated && !declares)
			return 0;       /* no data yet: verified when it is uploaded */
		if (!origin_expect_for(c, img, e))
			return 0;
		if (relocated) {
			snprintf(unverifiable, len, "the patch changes the locations of an image whose image_source names "
				 "the vendor's '%s': the proxy cannot verify data Glance reads from a location", e->file);
		} else if (moved && had_data && e->status == ORIGIN_LISTED) {
			const char *algo = jstr(before, "os_hash_algo"), *hash = jstr(before, "os_hash_value");
			actual = glance_digest(algo, hash, status, e, "image_source would name", "the image's data",
					       "; upload the data through the proxy instead", unverifiable, len);
		}
	} else if (r->route != ROUTE_UPLOAD && r->route != ROUTE_STAGE) {
		return 0;
	} else if (!origin_expect_for(c, img, e)) {
		return 0;
	}
	decide_origin(c->policy, img, who, today, e, actual, d);
	c->rec_origin = e;
	c->rec_actual = actual;
	return 1;
}

/* Data under an origin that cannot be checked: refused (under enforce),
 * logged with the reason. */
static int origin_unverifiable(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			       const struct caller *who, const struct image *img, struct decision *d, const char *why,
			       long long t0, struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	if (d->mode == MODE_ENFORCE)
		d->action = ACTION_DENY;
	log_record(ad, c, r, who, img, d, id, why, t0, v);
	metrics_decision(ad->metrics, d);
	if (d->action == ACTION_DENY)
		return refuse(v, 403, "Refused by the image policy: %s [decision %s]", why, id);
	snprintf(v->message, sizeof(v->message), "Admitted with a warning: %.1900s [decision %s]", why, id);
	v->warn = d->mode != MODE_DRY_RUN;
	return 0;
}

/* An admitted upload whose file the vendor lists: the proxy hashes it. */
static void verify_upload(struct admit_conn *c, const struct admit_req *r, const struct origin_expect *e,
			  const char *text, struct verdict *v)
{
	if ((r->route != ROUTE_UPLOAD && r->route != ROUTE_STAGE) || e->status != ORIGIN_LISTED)
		return;
	c->origin = *e;
	free(c->origin_image);
	c->origin_image = xstrdup(text);
	v->verify = 1;
	v->verify_algo = e->algo;
}

static void patch_forget(struct admit_conn *c)
{
	free(c->patch_source);
	c->patch_source = NULL;
	c->patched = 0;
}

/* The answer to a patch is judged against what it was decided on. */
static void patch_remember(struct admit_conn *c, const char *source)
{
	patch_forget(c);
	c->patched = 1;
	c->patch_source = source ? xstrdup(source) : NULL;
}

/* The vendor's digest added to the patch Glance gets (sent), as after a
 * verified upload. */
static void mark_patch(const struct admit_req *r, const struct origin_expect *e, char **sent)
{
	char *with = patch_sent_with(*sent, (enum patch_format)patch_format_of(r->content_type),
				     sums_source_key(e->algo), e->expected);
	if (!with)
		oom();
	free(*sent);
	*sent = with;
}

/* sent: the body Glance gets; a forwarded patch that moved data the
 * vendor's list vouches for, by Glance's digest, also puts that digest on
 * the image. */
static int decide_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			const char *text, json_t *before, int relocated, const char *uri, long long t0, struct verdict *v,
			char **sent)
{
	struct image img = { 0 };
	struct decision d;
	struct origin_expect e;
	char err[512], unverifiable[2048] = "";
	int today = (int)(now_s() / 86400);

	if (image_parse(&img, text, strlen(text), err, sizeof(err)) < 0) {
		image_release(&img);
		return refuse(v, 400, "The image is not valid JSON for the image policy: %s", err);
	}
	decide_import(c->policy, &img, uri, who, today, &d);
	if (r->route == ROUTE_DEACTIVATE)
		d.action = ACTION_ALLOW;    /* logged with what the image violates, never refused */
	int origin = origin_judge(c, r, &img, before, relocated, who, today, &e, unverifiable, sizeof(unverifiable), &d);
	if (r->route == ROUTE_PATCH)
		patch_remember(c, jstr(before, "image_source"));
	enum action policy_action = d.action;
	int rc = fair_use(ad, c, r, who, &img, uri, today, &d, v, err, sizeof(err));
	if (rc < 0) {
		rc = cannot_decide(ad, c, r, who, err, t0, v);
	} else if (unverifiable[0]) {
		rc = origin_unverifiable(ad, c, r, who, &img, &d, unverifiable, t0, v);
	} else {
		conclude(ad, c, r, who, &img, &d, policy_action, t0, v);
		if (origin && !v->status)
			verify_upload(c, r, &e, text, v);
		if (origin && !v->status && r->route == ROUTE_PATCH && *sent && e.status == ORIGIN_LISTED &&
		    c->rec_actual && !strcmp(c->rec_actual, e.expected) && !image_prop(&img, sums_source_key(e.algo)))
			mark_patch(r, &e, sent);
	}
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return rc;
}

static void caller_of(const struct token_info *ti, struct caller *who)
{
	who->user_id = ti->user_id[0] ? ti->user_id : NULL;
	who->project_id = ti->project_id[0] ? ti->project_id : NULL;
	who->project_name = ti->project_name[0] ? ti->project_name : NULL;
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
	memset(ti, 0, sizeof(*ti));
	if (!r->token || !r->token[0])
		return refuse(v, 401, "This server could not verify that you are authorized to access the "
			      "document you requested (no X-Auth-Token).");
	if (ad->cfg->has_keystone) {
		int rc = identify(ad, c, r->token, ti, err, sizeof(err));
		if (rc == 1)
			return refuse(v, 401, "The request you have made requires authentication (token not valid).");
		if (rc < 0)
			return cannot_decide(ad, c, r, &who, err, t0, v);
		caller_of(ti, &who);
	}
	if (r->route == ROUTE_IMPORT && import_uri(r, &uri, &sent, v) < 0)
		return 0;
	json_t *current = NULL;
	int relocated = 0;
	int rc = future_image(ad, c, r, &text, &sent, &current, &relocated, v, err, sizeof(err));
	if (rc < 0)
		rc = cannot_decide(ad, c, r, &who, err, t0, v);
	else if (rc == 0)
		rc = decide_image(ad, c, r, &who, text, current, relocated, uri, t0, v, &sent);
	else
		rc = 0;
	if (!v->status && sent) {
		v->body = sent;         /* the proxy forwards it, and frees it */
		v->body_len = strlen(sent);
		sent = NULL;
	}
	json_decref(current);
	free(text);
	free(uri);
	free(sent);
	return rc;
}

/* Hide an image with the hook's own credentials: the one change that
 * takes a public image out of sight without destroying anything. */
static int hide(struct admit *ad, struct admit_conn *c, const char *id, char *err, size_t errlen)
{
	static const char body[] = "[{\"op\": \"replace\", \"path\": \"/os_hidden\", \"value\": true}]";
	char token[4096], url[1024];
	struct http_resp resp;

	if (!ad->cfg->has_keystone) {
		snprintf(err, errlen, "no keystone credentials to hide it with");
		return -1;
	}
	if (service_token(ad, c, 0, token, sizeof(token), err, errlen) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s/v2/images/%s", ad->cfg->upstream, id);
	struct http_req req = { .method = "PATCH", .url = url, .token = token, .body = body,
				.body_len = sizeof(body) - 1, .content_type = "application/openstack-images-v2.1-json-patch" };
	if (http_do(&c->http, &req, &resp, err, errlen) < 0)
		return -1;
	int rc = resp.status == 200 ? 0 : -1;
	if (rc < 0)
		snprintf(err, errlen, "Glance answered HTTP %ld to hiding it", resp.status);
	http_resp_free(&resp);
	return rc;
}

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
	caller_of(&c->caller, &who);
	int hidden = img.id && hide(ad, c, img.id, err, sizeof(err)) == 0;
	snprintf(why, sizeof(why), "%s, so it could not be checked against the policy; %s%s", unchecked,
		 hidden ? "the image was hidden" : img.id ? "hiding it failed: " : "no image id to hide",
		 hidden || !img.id ? "" : err);
	log_record(ad, c, r, &who, &img, &d, id, why, t0, v);
	metrics_decision(ad->metrics, &d);
	return refuse(v, 502, "%s [decision %s]", why, id);
}

/* A create Glance has made, counted again on a fresh read: the gate makes
 * creates atomic on this node, not across nodes. A node that now sees the
 * project over its limit takes its image back (two racing nodes may both
 * do so; they never both keep one over the limit) and answers 413. */
static void count_again(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			const struct image *img, long long t0, struct verdict *v)
{
	struct decision d = { .mode = c->policy->mode, .action = ACTION_ALLOW };
	struct quota_ask ask = { .op = QUOTA_CREATE, .size = -1 };
	struct caller charged;
	struct glance g;
	char token[4096], err[512], why[700], id[37];
	int today = (int)(now_s() / 86400);

	charged_project(who, img->owner, &charged);
	token[0] = '\0';
	glance_init(&g, &c->http, ad->cfg->upstream, token);
	if (service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0)
		goto failed;
	if (glance_usage(&g, charged.project_id, now_s(), c->cap_limits.v[QL_WINDOW], img->id, &c->cap_usage, err,
			 sizeof(err)) < 0)
		goto failed;
	c->cap_usage.images--;      /* the others: as the create was decided */
	quota_decide(c->policy->quota, c->policy->mode, &charged, today, &c->cap_limits, &c->cap_usage, &ask, &d);
	if (d.action != ACTION_DENY)
		return;
	if (glance_delete(&g, img->id, err, sizeof(err)) < 0)
		goto failed;
	conclude(ad, c, r, who, img, &d, ACTION_ALLOW, t0, v);
	snprintf(v->message + strlen(v->message), sizeof(v->message) - strlen(v->message),
		 "; a create through another node came first, the image was deleted again");
	return;
failed:
	/* cannot count: the failure policy decides, as before a create */
	snprintf(why, sizeof(why), "cannot count the project's images again after the create: %s", err);
	if (ad->cfg->failure == FAIL_OPEN)
		return;
	uuid_v4(id);
	if (!token[0] || glance_delete(&g, img->id, err, sizeof(err)) < 0)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "; deleting it failed: %s", err);
	log_record(ad, c, r, who, img, &d, id, why, t0, v);
	refuse(v, 503, "The image policy could not be checked (%s); try again later [decision %s]", why, id);
}

/* This connection verified the upload against img's image_source (no
 * need to ask the vendor again, which might now be unreachable). */
static int verified_here(struct admit_conn *c, const struct image *img)
{
	struct image was = { 0 };
	char err[512];
	int same = c->origin_image &&
		   image_parse(&was, c->origin_image, strlen(c->origin_image), err, sizeof(err)) == 0 &&
		   !str_differs(was.image_source, img->image_source);

	image_release(&was);
	return same;
}

/* Data in Glance under an origin that no decision verified: an upload or
 * stage this connection did not verify for the image_source Glance holds
 * now (nor against the same vendor's entry: verified), or a patch whose
 * answer shows image_source moved from where it was decided while the
 * image has data. Both are races with a patch decided while the image was queued
 * (the patch is judged as having no data, the upload as under no origin). */
static int data_moved(struct admit_conn *c, const struct admit_req *r, const struct image *img)
{
	const char *status = image_prop(img, "status");

	if (r->route == ROUTE_UPLOAD || r->route == ROUTE_STAGE)
		return !verified_here(c, img);
	return r->route == ROUTE_PATCH && c->patched && str_differs(c->patch_source, img->image_source) &&
	       (!status || strcmp(status, "queued"));
}

static int verified(struct admit_conn *c, const struct admit_req *r, const struct origin_expect *e)
{
	return (r->route == ROUTE_UPLOAD || r->route == ROUTE_STAGE) && c->origin_image &&
	       e->status == ORIGIN_LISTED && c->origin.algo == e->algo && !strcmp(c->origin.expected, e->expected);
}

/* The origin part of a recheck: unchecked data is judged on Glance's
 * digest of it; one that cannot be compared leaves why (refused under
 * enforce, as origin_unverifiable does). e holds the record's field. */
static void origin_recheck(struct admit_conn *c, const struct admit_req *r, const struct image *img,
			  const struct caller *who, int today, struct origin_expect *e, char *why, size_t len,
			  struct decision *d)
{
	const char *algo = image_prop(img, "os_hash_algo"), *hash = image_prop(img, "os_hash_value");
	const char *actual = NULL, *status = image_prop(img, "status");

	if (!data_moved(c, r, img) || !origin_expect_for(c, img, e) || verified(c, r, e))
		return;
	if (e->status == ORIGIN_LISTED)
		actual = glance_digest(algo, hash, status, e, "image_source names", "data that reached Glance "
				       "unverified (a concurrent change moved image_source)", "", why, len);
	decide_origin(c->policy, img, who, today, e, actual, d);
	if (e->status == ORIGIN_LISTED && !actual && d->mode == MODE_ENFORCE)
		d->action = ACTION_DENY;
	c->rec_origin = e;
	c->rec_actual = actual;
}

/* A recheck's finding: logged and counted, and named in the message the
 * client gets (if it gets one), with why. */
static void recheck_record(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			   const struct image *img, const struct decision *d, const char *why, long long t0,
			   struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	log_record(ad, c, r, who, img, d, id, why, t0, v);
	metrics_decision(ad->metrics, d);
	summarize(d, id, v);
	snprintf(v->message + strlen(v->message), sizeof(v->message) - strlen(v->message), "; %s", why);
}

/* Glance's answer violates (under enforce): the image is hidden at once
 * and the client gets 409. */
static void hide_answer(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			const struct image *img, const struct decision *d, const char *unverifiable, long long t0,
			struct verdict *v)
{
	char err[512], why[3400];

	int hidden = hide(ad, c, img->id, err, sizeof(err)) == 0;
	snprintf(why, sizeof(why), "Glance's answer violates the policy (changed by a concurrent request)%s%s; %s%s",
		 unverifiable[0] ? ": " : "", unverifiable, hidden ? "the image was hidden" : "hiding it failed: ",
		 hidden ? "" : err);
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
	char err[512], why[700], unverifiable[2048] = "";
	int today = (int)(now_s() / 86400);

	memset(v, 0, sizeof(*v));
	if (unchecked || !answer)
		return recheck_failed(ad, c, r, unchecked ? unchecked : "Glance's answer is empty", t0, v);
	if (image_parse(&img, answer, len, err, sizeof(err)) < 0) {
		image_release(&img);
		snprintf(why, sizeof(why), "Glance's answer is not an image (%s)", err);
		return recheck_failed(ad, c, r, why, t0, v);
	}
	caller_of(&c->caller, &who);
	decide(c->policy, &img, &who, today, &d);
	origin_recheck(c, r, &img, &who, today, &e, unverifiable, sizeof(unverifiable), &d);
	if (d.action == ACTION_DENY && img.id)
		hide_answer(ad, c, r, &who, &img, &d, unverifiable, t0, v);
	else if (img.id && r->route == ROUTE_CREATE && c->policy->quota)
		count_again(ad, c, r, &who, &img, t0, v);
	if (!v->status && d.action != ACTION_DENY && (kinds_of(&d) & ~c->decided_kinds))
		unseen_logged(ad, c, r, &who, &img, &d, t0, v);
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return 0;
}

/* ---- the policy in use (the hold) ---------------------------------------- */

static struct policy_hold *policy_acquire(struct admit *ad)
{
	pthread_mutex_lock(&ad->policy_lock);
	struct policy_hold *h = ad->hold;
	h->refs++;
	pthread_mutex_unlock(&ad->policy_lock);
	return h;
}

static void drop(struct policy_hold *h)
{
	vendor_free(h->vendor);
	policy_free(h->p);
	free(h);
}

static void policy_release(struct admit *ad, struct policy_hold *h)
{
	pthread_mutex_lock(&ad->policy_lock);
	int last = --h->refs == 0 && h != ad->hold;
	pthread_mutex_unlock(&ad->policy_lock);
	if (last)
		drop(h);
}

int admit_policy_install(struct admit *ad, struct policy *p, char *err, size_t errlen)
{
	struct vendor *vendor = NULL;

	if (p->origins.n && !(vendor = vendor_new(&p->origin, err, errlen)))
		return -1;
	struct policy_hold *h = xcalloc(1, sizeof(*h));
	h->p = p;
	h->vendor = vendor;
	pthread_mutex_lock(&ad->policy_lock);
	struct policy_hold *old = ad->hold;
	ad->hold = h;
	int unused = old && old->refs == 0;
	pthread_mutex_unlock(&ad->policy_lock);
	if (unused)
		drop(old);
	return 0;
}

/* A decision runs on the policy in force when it began; a reload swaps in
 * a new one for the next decision. */
static struct policy_hold *hold_policy(struct admit *ad, struct admit_conn *c)
{
	struct policy_hold *h = policy_acquire(ad);
	c->policy = h->p;
	c->vendor = h->vendor;
	return h;
}

static void release_policy(struct admit *ad, struct admit_conn *c, struct policy_hold *h)
{
	c->policy = NULL;
	c->vendor = NULL;
	policy_release(ad, h);
}

int admit_recheck(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *answer, size_t len,
		  const char *unchecked, struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	int rc = recheck_held(ad, c, r, answer, len, unchecked, v);
	release_policy(ad, c, h);
	return rc;
}

int admit_recheck_image(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	struct http_resp resp = { 0 };
	struct glance g;
	char token[4096], err[512], why[700];
	const char *unchecked = NULL;

	token[0] = '\0';
	if (service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0) {
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
	release_policy(ad, c, h);
	return rc;
}

void admit_refused(struct admit *ad, struct admit_conn *c, const struct admit_req *r, int status, const char *why,
		   struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	struct image none = { .visibility = VIS_PRIVATE };
	struct decision d = { .mode = c->policy->mode, .action = ACTION_DENY };
	struct caller who = { 0 };
	char id[37];

	memset(v, 0, sizeof(*v));
	uuid_v4(id);
	log_record(ad, c, r, &who, &none, &d, id, why, mono_us(), v);
	refuse(v, status, "%s [decision %s]", why, id);
	release_policy(ad, c, h);
}

static int cut_held(struct admit *ad, struct admit_conn *c, const struct admit_req *r, long long received,
		    struct verdict *v)
{
	long long t0 = mono_us();
	struct caller who = { 0 }, charged;
	struct decision d = { .mode = c->policy->mode, .action = ACTION_ALLOW };
	struct quota_ask ask = { .op = QUOTA_UPLOAD, .size = received, .cut = 1 };
	struct image img = { .id = r->image_id, .owner = c->cap_project, .visibility = c->cap_visibility };

	memset(v, 0, sizeof(*v));
	v->cap = -1;
	if (!c->policy->quota)
		return 0;           /* reloaded without quotas: nothing to cut */
	caller_of(&c->caller, &who);
	charged_project(&who, c->cap_project, &charged);
	quota_decide(c->policy->quota, c->policy->mode, &charged, (int)(now_s() / 86400), &c->cap_limits,
		     &c->cap_usage, &ask, &d);
	conclude(ad, c, r, &who, &img, &d, ACTION_ALLOW, t0, v);
	return 0;
}

int admit_cut(struct admit *ad, struct admit_conn *c, const struct admit_req *r, long long received, struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	int rc = cut_held(ad, c, r, received, v);
	release_policy(ad, c, h);
	return rc;
}

static void leave_gate(struct admit_conn *c)
{
	if (c->gate)
		gate_leave(c->gate - 1);
	c->gate = 0;
}

int admit(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	leave_gate(c);
	c->reserved = 0;
	int rc = admit_held(ad, c, r, v);
	release_policy(ad, c, h);
	/* An upload's reservation is in Glance now; a create or import keeps
	 * the gate until Glance has answered (admit_end), as only then does
	 * the image, or its import lock, show in the list. */
	if (v->status || (r->route != ROUTE_CREATE && r->route != ROUTE_IMPORT))
		leave_gate(c);
	return rc;
}

void admit_end(struct admit *ad, struct admit_conn *c)
{
	(void)ad;
	leave_gate(c);
	c->reserved = 0;
	free(c->origin_image);
	c->origin_image = NULL;
	patch_forget(c);
}

/* ---- origin verification at the body's end ------------------------------ */

static int origin_end_held(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *actual,
			   struct verdict *v)
{
	long long t0 = mono_us();
	struct image img = { 0 };
	struct decision d;
	struct caller who = { 0 };
	char err[512];
	int today = (int)(now_s() / 86400);

	caller_of(&c->caller, &who);
	if (!c->origin_image || image_parse(&img, c->origin_image, strlen(c->origin_image), err, sizeof(err)) < 0) {
		image_release(&img);
		return refuse(v, 500, "the upload's image could not be decided again on its data");
	}
	decide(c->policy, &img, &who, today, &d);
	decide_origin(c->policy, &img, &who, today, &c->origin, actual, &d);
	c->rec_origin = &c->origin;
	c->rec_actual = actual;
	conclude(ad, c, r, &who, &img, &d, d.action, t0, v);
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return 0;
}

int admit_origin_end(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *actual,
		     struct verdict *v)
{
	struct policy_hold *h = hold_policy(ad, c);
	memset(v, 0, sizeof(*v));
	v->cap = -1;
	int rc = origin_end_held(ad, c, r, actual, v);
	release_policy(ad, c, h);
	return rc;
}

/* The image's status as Glance holds it now, into st ("" when unknown). */
static void image_status(struct admit_conn *c, struct glance *g, const char *id, char *st, size_t len, char *err,
			 size_t errlen)
{
	struct http_resp resp = { 0 };

	st[0] = '\0';
	if (glance_get(g, id, &resp, err, errlen) == 0 && resp.status == 200) {
		json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
		snprintf(st, len, "%s", jstr(doc, "status") ? jstr(doc, "status") : "");
		json_decref(doc);
	} else if (resp.status) {
		snprintf(err, errlen, "Glance answered HTTP %ld", resp.status);
	}
	(void)c;
	http_resp_free(&resp);
}

void admit_origin_aborted(struct admit *ad, struct admit_conn *c, const struct admit_req *r, struct verdict *v)
{
	char token[4096], err[512] = "", st[32] = "", note[700];
	long long until = mono_us() + ad->cfg->decision_timeout_ms * 1000;
	struct glance g;

	if (service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0) {
		snprintf(note, sizeof(note), "what Glance kept of it could not be checked: %s", err);
		goto out;
	}
	glance_init(&g, &c->http, ad->cfg->upstream, token);
	/* Glance puts a failed upload or stage back to queued and removes its
	 * partial data; it does so after it notices the broken connection */
	do {
		image_status(c, &g, r->image_id, st, sizeof(st), err, sizeof(err));
		if (!strcmp(st, "queued")) {
			snprintf(note, sizeof(note), "the upload to Glance was broken off: the image holds no data (queued)");
			goto out;
		}
		if (strcmp(st, "saving") && strcmp(st, "uploading"))
			break;
		usleep(50 * 1000);
	} while (mono_us() < until);
	if (glance_delete(&g, r->image_id, err, sizeof(err)) == 0)
		snprintf(note, sizeof(note), "the upload to Glance was broken off, and as Glance still held the image "
			 "as '%s' it was deleted", st[0] ? st : "unknown");
	else
		snprintf(note, sizeof(note), "the upload to Glance was broken off; Glance holds the image as '%s' and "
			 "deleting it failed: %s", st[0] ? st : "unknown", err);
out:
	snprintf(v->message + strlen(v->message), sizeof(v->message) - strlen(v->message), "; %s", note);
	fprintf(stderr, "scs-image-hook proxy: image %s: %s\n", r->image_id, note);
}

int admit_origin_mark(struct admit *ad, struct admit_conn *c, const struct admit_req *r, char *err, size_t errlen)
{
	const char *key = sums_source_key(c->origin.algo);
	char token[4096], why[512];
	struct glance g;

	if (!ad->cfg->has_keystone) {
		snprintf(err, errlen, "the data is the vendor's, but %s was not recorded: no keystone credentials", key);
		return -1;
	}
	if (service_token(ad, c, 0, token, sizeof(token), why, sizeof(why)) == 0) {
		glance_init(&g, &c->http, ad->cfg->upstream, token);
		if (glance_set_property(&g, r->image_id, key, c->origin.expected, why, sizeof(why)) == 0)
			return 0;
	}
	snprintf(err, errlen, "the data is the vendor's, but recording %s failed: %s", key, why);
	return -1;
}
