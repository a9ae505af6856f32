/* verify: the bytes Glance holds, verified against the vendor's entry,
 * and the verification record written when, and only when, they are the
 * vendor's file. The one engine of the proxy (a step into presence),
 * audit --verify-origin and check:
 *  - where Glance hashed the data with the list's algorithm, its
 *    os_hash_value is compared (no byte is read);
 *  - else the data is read back from Glance (the hook's credentials:
 *    Glance lets admin read any project's data) and hashed as it streams,
 *    within a bound of time and bytes; past it the image is not verified
 *    and the caller says what to do.
 * The record binds the vendor's digest to the image as Glance holds it
 * (id, os_hash_algo/os_hash_value, size, the canonical image_source), so a
 * later change of any of them leaves the image unverified. */
#ifndef SCS_VERIFY_H
#define SCS_VERIFY_H

#include <stddef.h>

#include "core/image.h"
#include "core/origins.h"
#include "core/sums.h"
#include "io/glance.h"

enum verify_outcome {
	VERIFY_MATCH,           /* the bytes are the vendor's file */
	VERIFY_MISMATCH,        /* they are not: origin/checksum */
	VERIFY_OVER_BOUND,      /* reading them back would take more than the bound allows */
	VERIFY_CANNOT,          /* they could not be read (no data, Glance refused or failed) */
};

struct verify_bound {
	long max_ms;                    /* 0: no bound (audit --verify-origin --image) */
	unsigned long long max_bytes;   /* 0: no bound */
	/* called as data is read back, when set (a progress line) */
	void (*progress)(const char *id, unsigned long long bytes, void *ctx);
	void *progress_ctx;
};

struct verify {
	enum verify_outcome outcome;
	char actual[SUMS_MAX_HEX + 1];  /* the data's digest in the list's algorithm, when known */
	int read_back;                  /* it was read back from Glance (else Glance's own digest) */
	unsigned long long bytes;       /* read back */
	long ms;                        /* how long reading back took */
	char why[2048];                 /* not a match: in words, with what to do */
};

/* What Glance holds of img (as Glance showed it, with the hook's token on
 * g) against e, a listed entry (e->status ORIGIN_LISTED). Always fills out. */
void verify_held(struct glance *g, const struct image *img, const struct origin_expect *e,
		 const struct verify_bound *bound, struct verify *out);

/* The verification record of img (verified against e) and the vendor's
 * digest (source_sha256sum/source_sha512sum) written onto the image in one
 * patch, with g's token (the hook's). now: the time to record. 0, or -1
 * with err. */
int verify_record(struct glance *g, const struct image *img, const struct origin_expect *e, long long now,
		  char *err, size_t errlen);

/* The bound the operator config gives for reading back within a request. */
void verify_bound_of(const struct origin_config *c, struct verify_bound *out);

#endif
