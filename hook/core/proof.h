/* proof: the record that an image's bytes are its vendor's file.
 *
 * Written by the hook, and only by the hook, on the image itself when and
 * only when it has established that the bytes Glance holds are the file
 * the vendor's list names: a digest that matched while the upload
 * streamed, Glance's own os_hash_value against a list of the same
 * algorithm, or the data read back from Glance and hashed. One property
 * in the hook's reserved namespace holds one versioned line, so the
 * proxy, the import plugin, audit and sync read one format:
 *
 *   scs_image_hook_verified: "v1 image=ID algo=sha256 digest=HEX
 *       glance=sha512:HEX size=N source=URL list=URL signer=FPR|unsigned
 *       time=YYYY-MM-DDTHH:MM:SSZ"
 *
 * The record is bound to the image as Glance held it when it was
 * written (its id, Glance's digest and size, the canonical image_source):
 * an image whose data, location or image_source changed since is not
 * vouched for by it. Pure: no I/O; the caller passes the time. */
#ifndef SCS_PROOF_H
#define SCS_PROOF_H

#include <stddef.h>

#include "core/image.h"
#include "core/origins.h"
#include "core/quota.h"
#include "core/sums.h"
#include "core/uri.h"

#define PROOF_KEY QUOTA_MARKER_NS "verified"
#define PROOF_MAX 4096                  /* the longest line the hook writes or reads */
#define PROOF_ALGO_MAX 16               /* Glance's os_hash_algo: "sha512", "sha3_512", ... */

struct proof {
	char image[65];                 /* Glance's image id */
	enum sums_algo algo;            /* the vendor's list's algorithm */
	char digest[SUMS_MAX_HEX + 1];  /* the vendor's digest, lowercase hex */
	char glance_algo[PROOF_ALGO_MAX + 1];   /* Glance's os_hash_algo then */
	char glance_hash[SUMS_MAX_HEX + 1];     /* Glance's os_hash_value then */
	long long size;                 /* Glance's size then, bytes */
	char source[URI_MAX];           /* the canonical image_source verified for */
	char list[sizeof(((struct origin_expect *)0)->list_url)];   /* the vendor's list */
	char signer[ORIGIN_FPR_LEN + 1];        /* the list's signer, or "unsigned" */
	long long time;                 /* when, seconds since the epoch (UTC) */
};

/* The record as its property's value. 0, or -1 when a field cannot be
 * written (empty, not of its form, or out longer than len). */
int proof_format(const struct proof *p, char *out, size_t len);
/* A property's value read back. 0, or -1 with why in err: anything that
 * is not exactly what proof_format writes is refused. */
int proof_parse(const char *text, struct proof *p, char *err, size_t errlen);
/* Does p vouch for img as Glance holds it now? NULL when it does (the
 * same image, Glance's digest and size unchanged, verified for
 * canonical_source); otherwise what differs, in words. */
const char *proof_mismatch(const struct proof *p, const struct image *img, const char *canonical_source);
/* The record of an image, parsed: 1 with p, 0 when the image has none,
 * -1 with err when it has one that cannot be read. */
int proof_of(const struct image *img, struct proof *p, char *err, size_t errlen);

#endif
