/* admit_present: the presence invariant (core/present.h) held at every
 * step. Before a request is forwarded, the image it would leave is asked
 * present_judge; one that would be present under an origin without a
 * record that holds is verified now (verify.c: Glance's own digest, or the
 * data read back within origin.readback), recorded on a match and refused
 * otherwise. Imports, whose data the proxy never sees, may not make an
 * image present. After Glance has answered, the image as Glance holds it
 * is asked again (a concurrent change, a second node): a violation found
 * then takes the image out of use, hidden and, when active, deactivated
 * (a hidden image can still be booted by its id). */
#include "io/admit_int.h"
#include "core/present.h"
#include "io/glance.h"
#include "io/verify.h"
#include "io/vendor.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A Glance client with the hook's own token (in token). 0, or -1 with err. */
static int service_glance(struct admit *ad, struct admit_conn *c, struct glance *g, char *token, size_t len,
			  char *err, size_t errlen)
{
	if (!ad->cfg->has_keystone)
		return snprintf(err, errlen, "the hook has no keystone credentials to act on Glance with"), -1;
	if (admit_identity_service_token(ad, c, 0, token, len, err, errlen) < 0)
		return -1;
	glance_init(g, &c->http, ad->cfg->upstream, token);
	return 0;
}

/* Does a shared image count as present through its members? Only where
 * the scope enforces shared images, and only once it has data; then a
 * member added by this request (members route) or already there (read
 * from Glance) makes it so. */
static int members_of(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct image *img,
		      int *members, char *why, size_t len)
{
	static const char *const data[] = { "active", "saving", "uploading", "importing", NULL };
	const char *st = image_prop(img, "status");
	struct glance g;
	char token[4096];
	size_t n = 0;
	size_t i;

	*members = 0;
	for (i = 0; st && data[i] && strcmp(st, data[i]); i++)
		;
	if (!st || !data[i] || !img->id || present_visible(c->policy, img, 0) || !present_visible(c->policy, img, 1))
		return 0;
	if (r->route == ROUTE_MEMBERS)
		return *members = 1, 0;
	if (service_glance(ad, c, &g, token, sizeof(token), why, len) < 0 ||
	    glance_member_count(&g, img->id, &n, why, len) < 0)
		return -1;
	*members = n > 0;
	return 0;
}

/* An import's data never passes the proxy: it may not make an image
 * present (Glance's import flow saves the whole image at its end, so
 * nothing the hook does meanwhile sticks), unless the operator says the
 * Glance import plugin verifies it first. An image already present and
 * verified by its record may be copied to another store. 1 with why when
 * refused, 0 when allowed. */
static int import_refused(struct admit_conn *c, const struct image *img, int members, char *why, size_t len)
{
	struct origin_ref ref;
	char err[1024];
	const char *st = image_prop(img, "status");

	if (!present_visible(c->policy, img, members) || c->policy->origin.import_plugin)
		return 0;
	enum present_need need = present_judge(c->policy, img, members, &ref, err, sizeof(err));
	origin_ref_free(&ref);
	int under = origins_match(&c->policy->origins, img->image_source, &ref, err, sizeof(err));
	origin_ref_free(&ref);
	if (!under || need == PRESENT_VERIFIED)
		return 0;
	snprintf(why, len, "an import into an image under the vendor's origin that is, or would become, seen by others "
		 "(status %s, visibility %s): its data would be present before it could be verified. Import into a "
		 "private or hidden image, then publish it (its data is verified then), or set origin.import_plugin "
		 "where the Glance import plugin verifies imports", st ? st : "unknown", visibility_name(img->visibility));
	return 1;
}

/* PRESENT_VERIFY: what Glance holds, verified now; a match is recorded. */
static int verify_now(struct admit *ad, struct admit_conn *c, const struct image *img, struct glance *g,
		      struct origin_ref *ref, struct origin_expect *e, char *actual, char *why, size_t len,
		      int *status)
{
	struct verify_bound bound;
	struct verify res;
	char err[1024];

	vendor_expect(c->vendor, ref, e);
	if (e->status != ORIGIN_LISTED) {
		metrics_origin(ad->metrics, e->status, VERIFY_CANNOT);
		return 0;
	}
	verify_bound_of(&c->policy->origin, &bound);
	verify_held(g, img, e, &bound, &res);
	metrics_origin(ad->metrics, e->status, res.outcome);
	atomic_fetch_add(&ad->metrics->origin_readbacks, res.read_back);
	if (res.outcome == VERIFY_MATCH || res.outcome == VERIFY_MISMATCH)
		snprintf(actual, SUMS_MAX_HEX + 1, "%s", res.actual);
	if (res.outcome == VERIFY_MATCH && verify_record(g, img, e, admit_now(), err, sizeof(err)) < 0)
		return snprintf(why, len, "its data is the vendor's, but the verification record could not be written: "
				"%s", err), -1;
	if (res.outcome == VERIFY_OVER_BOUND || res.outcome == VERIFY_CANNOT) {
		snprintf(why, len, "%s", res.why);
		*status = res.outcome == VERIFY_OVER_BOUND ? 409 : 403;
	}
	return 0;
}

int admit_present_step(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
		       const struct image *after, int today, struct origin_expect *e, char *actual, char *why,
		       size_t len, int *status, struct decision *d)
{
	struct origin_ref ref;
	struct glance g;
	char token[4096], err[512];
	int members = 0;

	*status = 0;
	actual[0] = '\0';
	if (!c->policy->origins.n || !after->image_source || r->route == ROUTE_CREATE)
		return 0;       /* a new image has no data: not present */
	if (members_of(ad, c, r, after, &members, why, len) < 0)
		return -1;
	if (r->route == ROUTE_IMPORT)
		return import_refused(c, after, members, why, len);
	enum present_need need = present_judge(c->policy, after, members, &ref, why, len);
	memset(e, 0, sizeof(*e));
	switch (need) {
	case PRESENT_NOTHING:
		return 0;
	case PRESENT_VERIFIED:
		return 1;
	case PRESENT_IN_FLIGHT:
		return 1;               /* why says so: refused as unverifiable */
	case PRESENT_UNLISTED:
		e->status = ORIGIN_UNLISTED;
		snprintf(e->file, sizeof(e->file), "%s", after->image_source);
		snprintf(e->why, sizeof(e->why), "%s", why);
		why[0] = '\0';
		break;
	case PRESENT_VERIFY:
		if (service_glance(ad, c, &g, token, sizeof(token), err, sizeof(err)) < 0) {
			origin_ref_free(&ref);
			return snprintf(why, len, "%s", err), -1;
		}
		why[0] = '\0';
		int rc = verify_now(ad, c, after, &g, &ref, e, actual, why, len, status);
		origin_ref_free(&ref);
		if (rc < 0)
			return -1;
		break;
	}
	decide_origin(c->policy, after, who, today, e, actual[0] ? actual : NULL, d);
	c->rec_origin = e;
	c->rec_actual = actual[0] ? actual : NULL;
	return 1;
}

/* Glance saves a whole image on every PATCH (ImageRepo.save), so a write
 * that read the image before the hide and saves after it puts os_hidden
 * (and status) back: a client's PATCH, another node's warning note. Read
 * the image again after a moment and take it out once more while it is
 * back in use. */
#define REMOVE_CHECKS 4
#define REMOVE_PAUSE_US 150000

/* Whether image id is out of use now: hidden, and not active (*active
 * says whether it is). 1 yes, 0 no, -1 when Glance could not say. */
static int out_of_use(struct glance *g, const char *id, int *active, char *err, size_t errlen)
{
	struct http_resp resp;

	if (glance_get(g, id, &resp, err, errlen) < 0)
		return -1;
	json_t *doc = resp.status == 200 ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
	http_resp_free(&resp);
	if (!doc)
		return snprintf(err, errlen, "Glance's image could not be read back"), -1;
	const char *st = json_string_value(json_object_get(doc, "status"));
	*active = st && !strcmp(st, "active");
	int out = json_is_true(json_object_get(doc, "os_hidden")) && !*active;
	json_decref(doc);
	return out;
}

/* Hide id and deactivate it when active. 0, or -1 with err. */
static int take_out(struct glance *g, const char *id, int active, char *err, size_t errlen)
{
	json_t *yes = json_true();
	struct glance_op hide = { "replace", "os_hidden", yes };

	if (glance_patch(g, id, &hide, 1, err, errlen) < 0)
		return -1;
	return active ? glance_action(g, id, "deactivate", err, errlen) : 0;
}

int admit_present_remove(struct admit *ad, struct admit_conn *c, const struct image *img, char *note, size_t len)
{
	struct glance g;
	char token[4096], err[512];
	const char *st = image_prop(img, "status");
	int was_active = st && !strcmp(st, "active"), active = was_active, out = 0, again = 0;

	if (!img->id)
		return snprintf(note, len, "no image id to take out of use"), -1;
	if (service_glance(ad, c, &g, token, sizeof(token), err, sizeof(err)) < 0 ||
	    take_out(&g, img->id, active, err, sizeof(err)) < 0)
		return snprintf(note, len, "taking it out of use failed: %s", err), -1;
	for (int i = 0; i < REMOVE_CHECKS; i++) {
		usleep(REMOVE_PAUSE_US);
		if ((out = out_of_use(&g, img->id, &active, err, sizeof(err))) < 0)
			return snprintf(note, len, "the image was taken out of use, but could not be read back: %s", err), -1;
		if (out && i > 0)
			break;          /* still out after a second look: no save pending from before */
		if (out)
			continue;
		again++;
		if (take_out(&g, img->id, active, err, sizeof(err)) < 0)
			return snprintf(note, len, "a concurrent write put it back in use; again: %s", err), -1;
	}
	if (!out)
		return snprintf(note, len, "a concurrent write kept putting it back in use (%d times)", again), -1;
	if (was_active)
		atomic_fetch_add(&ad->metrics->images_deactivated, 1);
	return snprintf(note, len, "the image was hidden%s%s", was_active ? " and deactivated" :
			" (Glance deactivates only active images; every step that would make it present is refused)",
			again ? ", again after a concurrent write had put it back" : ""), 0;
}

int admit_present_recheck(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			  const struct image *img, int today, struct origin_expect *e, char *actual, char *why,
			  size_t len, struct decision *d)
{
	int status;

	if (admit_origin_verified_here(c, img))
		return 0;       /* this upload's own digest matched: recorded already */
	if (admit_present_step(ad, c, r, who, img, today, e, actual, why, len, &status, d) < 0)
		return -1;
	if (why[0] && d->mode == MODE_ENFORCE)
		d->action = ACTION_DENY;
	return 0;
}
