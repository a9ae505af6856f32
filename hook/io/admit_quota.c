/* admit_quota: fair use in the proxy. The project a request is charged
 * to, its usage read from Glance with the hook's own token (so every proxy
 * node sees the same numbers) under the project's gate on this node, the
 * reservation an upload leaves in Glance (the marker) before its first
 * byte moves, the count taken again after a create, and the cut of an
 * upload at its byte cap. The quota decisions themselves are the core's
 * (core/quota.c); this file is what they need from Glance and the gate. */
#include "io/admit_int.h"
#include "io/gate.h"
#include "io/glance.h"
#include "core/quota.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int admit_quota_reserved(json_t *before, json_t *after, struct verdict *v)
{
	const char *key = reserved_changed(before, after);

	if (!key)
		return 0;
	return admit_verdict_refuse(v, 403, "Attribute '%s' is reserved: scs-image-hook keeps upload reservations under "
				    "'" QUOTA_MARKER_NS "'", key) + 1;
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
	struct quota_marker m = { .start = admit_now(), .bytes = bytes };
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

	if (glance_usage(g, charged->project_id, admit_now(), c->cap_limits.v[QL_WINDOW], r->image_id, &c->cap_usage,
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
int admit_quota_fair_use(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct caller *who,
			 const struct image *img, const char *uri, int today, struct decision *d, struct verdict *v,
			 char *err, size_t errlen)
{
	const struct quota *q = c->policy->quota;
	struct caller charged;
	struct glance g;
	char token[4096];

	if (!q || r->route == ROUTE_PATCH || r->route == ROUTE_REACTIVATE || r->route == ROUTE_DEACTIVATE ||
	    r->route == ROUTE_MEMBERS)
		return 0;
	if (!ad->cfg->has_keystone)
		return snprintf(err, errlen, "quotas need the hook's keystone credentials to read usage"), -1;
	charged_project(who, img->owner, &charged);
	quota_limits_for(q, &charged, &c->cap_limits);
	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, errlen) < 0)
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

/* A create Glance has made, counted again on a fresh read: the gate makes
 * creates atomic on this node, not across nodes. A node that now sees the
 * project over its limit takes its image back (two racing nodes may both
 * do so; they never both keep one over the limit) and answers 413. */
void admit_quota_count_again(struct admit *ad, struct admit_conn *c, const struct admit_req *r,
			     const struct caller *who, const struct image *img, long long t0, struct verdict *v)
{
	struct decision d = { .mode = c->policy->mode, .action = ACTION_ALLOW };
	struct quota_ask ask = { .op = QUOTA_CREATE, .size = -1 };
	struct caller charged;
	struct glance g;
	char token[4096], err[512], why[700], id[37];
	int today = (int)(admit_now() / 86400);

	charged_project(who, img->owner, &charged);
	token[0] = '\0';
	glance_init(&g, &c->http, ad->cfg->upstream, token);
	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0)
		goto failed;
	if (glance_usage(&g, charged.project_id, admit_now(), c->cap_limits.v[QL_WINDOW], img->id, &c->cap_usage, err,
			 sizeof(err)) < 0)
		goto failed;
	c->cap_usage.images--;      /* the others: as the create was decided */
	quota_decide(c->policy->quota, c->policy->mode, &charged, today, &c->cap_limits, &c->cap_usage, &ask, &d);
	if (d.action != ACTION_DENY)
		return;
	if (glance_delete(&g, img->id, err, sizeof(err)) < 0)
		goto failed;
	admit_verdict_conclude(ad, c, r, who, img, &d, ACTION_ALLOW, t0, v);
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
	admit_verdict_record(ad, c, r, who, img, &d, id, why, t0, v);
	admit_verdict_refuse(v, 503, "The image policy could not be checked (%s); try again later [decision %s]", why,
			     id);
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
	admit_identity_caller(&c->caller, &who);
	charged_project(&who, c->cap_project, &charged);
	quota_decide(c->policy->quota, c->policy->mode, &charged, (int)(admit_now() / 86400), &c->cap_limits,
		     &c->cap_usage, &ask, &d);
	admit_verdict_conclude(ad, c, r, &who, &img, &d, ACTION_ALLOW, t0, v);
	return 0;
}

/* Public as admit_cut (admit.h), the name proxy.c calls it by. */
int admit_cut(struct admit *ad, struct admit_conn *c, const struct admit_req *r, long long received, struct verdict *v)
{
	struct policy_hold *h = admit_policy_hold(ad, c);
	int rc = cut_held(ad, c, r, received, v);
	admit_policy_release(ad, c, h);
	return rc;
}

void admit_quota_leave_gate(struct admit_conn *c)
{
	if (c->gate)
		gate_leave(c->gate - 1);
	c->gate = 0;
}
