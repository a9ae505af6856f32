/* decide: (policy, image, caller, day) -> decision. Pure: no I/O, no
 * clock, no globals; everything it needs is passed in. */
#ifndef SCS_DECIDE_H
#define SCS_DECIDE_H

#include <stddef.h>

#include "core/image.h"
#include "core/policy.h"
#include "core/uri.h"
#include "core/violation.h"

struct caller {
	const char *project_id, *project_name, *user_id;
};

/* today: days since 1970-01-01 (for exemption expiry). */
void decide(const struct policy *p, const struct image *img, const struct caller *who,
	    int today, struct decision *d);

/* decide, and for an import by web-download, also the URI the data would
 * come from: it must be under a source allowed for the image, and with
 * import.download_uri equal also be the image's image_source (when the
 * image has one or a source rule selects it); off checks no URI. */
void decide_import(const struct policy *p, const struct image *img, const char *uri,
		   const struct caller *who, int today, struct decision *d);

/* Origin verification's addition to a decision that decide made (same p,
 * img, who, today): the violations of what the vendor said (e, from
 * vendor.c), then the action again. actual: lowercase hex digest of the
 * bytes, or NULL when not (yet) known (then only unlisted, signature and
 * unavailable are judged). The image's own source_sha256sum or
 * source_sha512sum (the one of e->algo) is compared too. origin/unavailable
 * refuses under failure_policy closed and only warns under open. The
 * violations point into e: keep it while d is used. */
void decide_origin(const struct policy *p, const struct image *img, const struct caller *who, int today,
		   const struct origin_expect *e, const char *actual, struct decision *d);

/* Audit's addition to a decision: metadata dates later than now (seconds),
 * which decide leaves out as it has no clock. */
void decide_meta_now(const struct policy *p, const struct image *img, long long now, struct decision *d);

/* Does the image's name select a spec entry (exact name, or name_scheme
 * from the start)? 1, 0, or -1 when the regex hit its match limit. */
int name_matches(const struct policy *p, const struct image *img, const struct regex *scheme, const char *exact);

#endif
