/* present: the invariant the hook holds over what Glance holds. An image
 * is present when others can see and use it: active, public or community
 * (or shared with members, where the scope enforces shared images), and
 * not hidden. No image may be present whose image_source lies under a
 * vendor's origin while its bytes are not verified to be that vendor's
 * file, which a verification record (proof.h) that still holds says.
 *
 * present_judge is the one predicate every request is asked, over the
 * image as the request would leave it: "does this leave a present image
 * under an origin that is not verified?" A route nobody listed asks it
 * too, so the next route is not a new way in. Pure: no I/O. */
#ifndef SCS_PRESENT_H
#define SCS_PRESENT_H

#include <stddef.h>

#include "core/image.h"
#include "core/origins.h"
#include "core/policy.h"

enum present_need {
	PRESENT_NOTHING,        /* not present, or under no origin: nothing to hold */
	PRESENT_VERIFIED,       /* present under an origin, and its record holds */
	PRESENT_VERIFY,         /* present under an origin, no record holds: verify it now (ref) */
	PRESENT_UNLISTED,       /* under an origin, but image_source names nothing a list vouches for */
	PRESENT_IN_FLIGHT,      /* data is arriving and it would be present once it has: not verifiable yet */
};

/* Others could see img, whatever its data: public or community, or
 * shared with members (members) where the scope enforces shared; not
 * hidden. */
int present_visible(const struct policy *p, const struct image *img, int members);
/* Others can see and use img: visible, and active. */
int present_is(const struct policy *p, const struct image *img, int members);
/* img would be present once the data arriving now is in (saving,
 * uploading, importing). */
int present_soon(const struct policy *p, const struct image *img, int members);

/* The predicate, over the image as a request leaves it. ref is filled for
 * PRESENT_VERIFY (origin_ref_free it); why says, in words, why the record
 * does not hold or what is wrong (for VERIFY, UNLISTED, IN_FLIGHT). */
enum present_need present_judge(const struct policy *p, const struct image *after, int members,
				struct origin_ref *ref, char *why, size_t len);

#endif
