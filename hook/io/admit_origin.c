/* admit_origin: origin verification in the proxy. An image whose
 * image_source lies under a vendor's prefix must hold the bytes the
 * vendor's signed checksum list names: an upload or stage is hashed as it
 * streams and decided again on its digest at the body's end, a patch that
 * moves data under an origin is judged on Glance's own digest, and
 * Glance's answers are judged again for data that reached it unverified.
 * What the vendor says is vendor.c's; deciding on it is the core's
 * (decide_origin). Here: when each applies, and what the proxy does with
 * Glance about it (the digest recorded, a broken-off upload put away). */
#include "io/admit_int.h"
#include "io/glance.h"
#include "io/verify.h"
#include "io/metrics.h"
#include "core/patch.h"
#include "core/util.h"
#include "io/vendor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
int admit_origin_judge(struct admit_conn *c, const struct admit_req *r, const struct image *img, json_t *before,
		       int relocated, const struct caller *who, int today, struct origin_expect *e,
		       char *unverifiable, size_t len, struct decision *d)
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

/* Data under an origin that cannot be checked: refused (under enforce)
 * with status, logged with the reason. */
int admit_origin_unverifiable(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			      const struct caller *who, const struct image *img, struct decision *d, const char *why,
			      int status, long long t0, struct verdict *v)
{
	char id[37];

	uuid_v4(id);
	if (d->mode == MODE_ENFORCE)
		d->action = ACTION_DENY;
	admit_verdict_record(ad, c, r, who, img, d, id, why, t0, v);
	metrics_decision(ad->metrics, d);
	if (d->action == ACTION_DENY)
		return admit_verdict_refuse(v, status, "Refused by the image policy: %s [decision %s]", why, id);
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
	c->origin_matched = 0;
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

void admit_origin_patched(struct admit_conn *c, json_t *before)
{
	patch_remember(c, jstr(before, "image_source"));
}

void admit_origin_forget(struct admit_conn *c)
{
	free(c->origin_image);
	c->origin_image = NULL;
	c->origin_matched = 0;
	patch_forget(c);
}

/* The verification record of img, verified against e, written with the
 * hook's own token. 0, or -1 with err. */
static int record(struct admit *ad, struct admit_conn *c, const struct image *img, const struct origin_expect *e,
		  char *err, size_t errlen)
{
	char token[4096];
	struct glance g;

	if (!ad->cfg->has_keystone)
		return snprintf(err, errlen, "no keystone credentials to write the verification record with"), -1;
	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, errlen) < 0)
		return -1;
	glance_init(&g, &c->http, ad->cfg->upstream, token);
	return verify_record(&g, img, e, admit_now(), err, errlen);
}

/* A request admitted with the origin part e: an upload whose file the
 * vendor lists is hashed; a patch that moved data the list vouches for, by
 * Glance's digest, is recorded as verified (the record bound to the image
 * the patch leaves). A record that cannot be written leaves the image
 * unverified, which every step into presence then refuses or verifies. */
void admit_origin_admitted(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			   const struct image *img, const struct origin_expect *e, const char *text, struct verdict *v)
{
	char err[1024];

	verify_upload(c, r, e, text, v);
	if (r->route == ROUTE_PATCH && e->status == ORIGIN_LISTED && c->rec_actual &&
	    !strcmp(c->rec_actual, e->expected) && record(ad, c, img, e, err, sizeof(err)) < 0)
		fprintf(stderr, "scs-image-hook proxy: image %s: %s\n", img->id ? img->id : "", err);
}

/* This connection hashed the upload for img's image_source (whatever the
 * digest said: a mismatch is the decision's, not new data). */
static int hashed_here(struct admit_conn *c, const struct image *img)
{
	struct image was = { 0 };
	char err[512];
	int same = c->origin_image &&
		   image_parse(&was, c->origin_image, strlen(c->origin_image), err, sizeof(err)) == 0 &&
		   !str_differs(was.image_source, img->image_source);

	image_release(&was);
	return same;
}

int admit_origin_verified_here(struct admit_conn *c, const struct image *img)
{
	return c->origin_matched && hashed_here(c, img);
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
		return !hashed_here(c, img);
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
 * enforce, as admit_origin_unverifiable does). e holds the record's field. */
void admit_origin_recheck(struct admit_conn *c, const struct admit_req *r, const struct image *img,
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

/* ---- origin verification at the body's end ------------------------------ */

static int origin_end_held(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *actual,
			   struct verdict *v)
{
	long long t0 = mono_us();
	struct image img = { 0 };
	struct decision d;
	struct caller who = { 0 };
	char err[512];
	int today = (int)(admit_now() / 86400);

	admit_identity_caller(&c->caller, &who);
	if (!c->origin_image || image_parse(&img, c->origin_image, strlen(c->origin_image), err, sizeof(err)) < 0) {
		image_release(&img);
		return admit_verdict_refuse(v, 500, "the upload's image could not be decided again on its data");
	}
	decide(c->policy, &img, &who, today, &d);
	decide_origin(c->policy, &img, &who, today, &c->origin, actual, &d);
	c->origin_matched = actual && c->origin.status == ORIGIN_LISTED && !strcmp(actual, c->origin.expected);
	metrics_origin(ad->metrics, c->origin.status, c->origin_matched ? VERIFY_MATCH : VERIFY_MISMATCH);
	c->rec_origin = &c->origin;
	c->rec_actual = actual;
	admit_verdict_conclude(ad, c, r, &who, &img, &d, d.action, t0, v);
	c->rec_origin = NULL;
	c->rec_actual = NULL;
	image_release(&img);
	return 0;
}

int admit_origin_end(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const char *actual,
		     struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	memset(v, 0, sizeof(*v));
	v->cap = -1;
	int rc = origin_end_held(ad, c, r, actual, v);
	admit_policy_release(ad, c, h);
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

	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0) {
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

int admit_origin_record(struct admit *ad, struct admit_conn *c, const struct image *img, char *err, size_t errlen)
{
	if (!admit_origin_verified_here(c, img))
		return 0;
	if (record(ad, c, img, &c->origin, err, errlen) == 0)
		return 0;
	char why[1024];
	snprintf(why, sizeof(why), "%s", err);
	snprintf(err, errlen, "the data is the vendor's, but the verification record was not written: %s", why);
	return -1;
}
