/* present: the presence invariant; see present.h. */
#include "core/present.h"
#include "core/proof.h"

#include <stdio.h>
#include <string.h>

static int status_is(const struct image *img, const char *const *which)
{
	const char *st = image_prop(img, "status");

	for (; st && *which; which++)
		if (!strcmp(st, *which))
			return 1;
	return 0;
}

int present_visible(const struct policy *p, const struct image *img, int members)
{
	if (img->os_hidden)
		return 0;
	switch (img->visibility) {
	case VIS_PUBLIC:
	case VIS_COMMUNITY:
		return 1;
	case VIS_SHARED:
		return members && p->scope[VIS_SHARED] == MODE_ENFORCE;
	default:
		return 0;
	}
}

int present_is(const struct policy *p, const struct image *img, int members)
{
	static const char *const active[] = { "active", NULL };
	return status_is(img, active) && present_visible(p, img, members);
}

int present_soon(const struct policy *p, const struct image *img, int members)
{
	static const char *const arriving[] = { "saving", "uploading", "importing", NULL };
	return status_is(img, arriving) && present_visible(p, img, members);
}

enum present_need present_judge(const struct policy *p, const struct image *after, int members,
				struct origin_ref *ref, char *why, size_t len)
{
	struct proof proof;
	char err[512];

	memset(ref, 0, sizeof(*ref));
	why[0] = '\0';
	int now = present_is(p, after, members), soon = !now && present_soon(p, after, members);
	if ((!now && !soon) || !after->image_source || !p->origins.n)
		return PRESENT_NOTHING;
	int m = origins_match(&p->origins, after->image_source, ref, why, len);
	if (m == 0)
		return PRESENT_NOTHING;
	if (m < 0)
		return PRESENT_UNLISTED;
	if (soon) {
		snprintf(why, len, "its data is arriving (status %s) and the image would be seen by others once it has: "
			 "its bytes cannot be verified before then", image_prop(after, "status"));
		origin_ref_free(ref);
		return PRESENT_IN_FLIGHT;
	}
	int has = proof_of(after, &proof, err, sizeof(err));
	const char *differs = has == 1 ? proof_mismatch(&proof, after, after->image_source) : NULL;
	if (has == 1 && !differs)
		return origin_ref_free(ref), PRESENT_VERIFIED;
	if (has == 0)
		snprintf(why, len, "no verification record says its bytes are the vendor's '%s'", ref->file);
	else if (has < 0)
		snprintf(why, len, "its verification record cannot be read (%s)", err);
	else
		snprintf(why, len, "its verification record no longer holds: %s", differs);
	return PRESENT_VERIFY;
}
