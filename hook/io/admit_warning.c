/* admit_warning: warnings where users look. No OpenStack client prints
 * the Warning header without --debug, so after Glance has answered a
 * create or PATCH that warn mode admitted with violations, the hook
 * writes them, and what would be right, into one property of its own
 * namespace on the image (ADMIT_WARNING_KEY), which `openstack image
 * show`, Horizon and every SDK show. The next create or PATCH decision
 * that finds the image compliant removes it. Never while Glance receives
 * data or runs an import: a write then would race Glance's own. Written
 * with the hook's token (clients may not write this namespace:
 * admit_quota_reserved). A failure is a line on stderr, not a refusal:
 * the client's request has succeeded. */
#include "io/admit_int.h"
#include "io/glance.h"

#include <stdio.h>
#include <string.h>

#define WARNING_MAX 1000       /* bytes of the property's value */

/* Violations that bind (not waived by an exemption). */
static size_t binding(const struct decision *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += !d->v[i].exempted;
	return n;
}

/* Cut s to at most max bytes at a UTF-8 character boundary. */
static void cut(char *s, size_t max)
{
	if (strlen(s) <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

void admit_warning_note(struct admit *ad, struct admit_conn *c, const struct admit_req *r, const struct image *img,
			const struct decision *d)
{
	struct glance g;
	struct verdict v;
	char token[4096], err[512];
	int had = image_prop(img, ADMIT_WARNING_KEY) != NULL, rc = 0;

	if (!img->id || !ad->cfg->has_keystone || (r->route != ROUTE_CREATE && r->route != ROUTE_PATCH))
		return;
	int warned = d->action == ACTION_WARN && binding(d);
	if (!warned && (binding(d) || !had))
		return;     /* nothing to say, or not compliant yet: the note stays */
	if (admit_identity_service_token(ad, c, 0, token, sizeof(token), err, sizeof(err)) < 0) {
		rc = -1;
	} else {
		glance_init(&g, &c->http, ad->cfg->upstream, token);
		if (warned) {
			memset(&v, 0, sizeof(v));
			admit_verdict_summarize(d, "", &v);
			char *tail = strstr(v.message, " [decision ]");   /* no record bears this note's id */
			if (tail)
				*tail = '\0';
			cut(v.message, WARNING_MAX);
			rc = glance_set_property(&g, img->id, ADMIT_WARNING_KEY, v.message, err, sizeof(err));
		} else {
			rc = glance_remove_property(&g, img->id, ADMIT_WARNING_KEY, err, sizeof(err));
		}
	}
	if (rc < 0)
		fprintf(stderr, "scs-image-hook proxy: image %s: the %s could not be %s: %s\n", img->id,
			ADMIT_WARNING_KEY, warned ? "written" : "removed", err);
}
