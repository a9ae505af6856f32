/* vendor: the adapter that asks vendors for their checksum lists. It
 * fetches a list and its signature (http.c, through origin.fetch's prefix
 * map), verifies the signature (pgp.c) against the origin's keys, parses
 * the list (sums.c), and keeps a verified list origin.cache long (default
 * 1h). The same fetch and verification serve a directory's whole list and
 * other clearsigned vendor files (a signed simplestreams stream). Thread-safe: one vendor serves every proxy connection thread, and
 * concurrent misses for the same list fetch it once. */
#ifndef SCS_VENDOR_H
#define SCS_VENDOR_H

#include <stddef.h>

#include "core/origins.h"
#include "io/pgp.h"

#define VENDOR_CACHE_MS (3600L * 1000)     /* origin.cache not set */
#define VENDOR_MAX_LISTS 64                /* lists kept at once; the oldest goes first */
#define VENDOR_MAX_SIG (64u << 10)         /* a detached signature is a few hundred bytes */

struct vendor;

/* Loads origin.keyring when set (NULL with err naming it when it holds no
 * key); c is copied. */
struct vendor *vendor_new(const struct origin_config *c, char *err, size_t errlen);
void vendor_free(struct vendor *v);

/* Look up the vendor's digest for a ref from origins_match. Never fails
 * silently: always fills out->status (and out->why when not LISTED). */
void vendor_expect(struct vendor *v, const struct origin_ref *ref, struct origin_expect *out);

/* The same for an image's image_source (len bytes; NULL: none): 0 when it
 * lies under no origin (nothing to verify), 1 with out filled. One under
 * an origin that no list could vouch for (origins_match refuses it, or it
 * holds a NUL) is ORIGIN_UNLISTED with the reason: it must not pass as
 * unverified. */
int vendor_expect_source(struct vendor *v, const struct origins *o, const char *image_source, size_t len,
			 struct origin_expect *out);

/* The whole verified list of the origin that covers dir (a directory
 * URL, ending in '/'), for a caller that picks a file from it (sync's
 * checksum-list): fetched, verified and cached as vendor_expect's lists
 * are. 1 with out->status ORIGIN_LISTED and *list a copy the caller
 * sums_frees (out: the list's URL and signer), 1 with out's status and
 * why otherwise (a per-image origin lists no directory: ORIGIN_INVALID),
 * 0 when dir lies under no origin. */
int vendor_dir_list(struct vendor *v, const struct origins *o, const char *dir, struct sums *list,
		    struct origin_expect *out);

/* A vendor file that is one cleartext-signed message (a simplestreams
 * .sjson), fetched through origin.fetch and verified by one of keys as a
 * clearsigned list is: 0 with *text (the signed text librnp hands back,
 * at most max bytes; the caller frees it) and out->signer, or -1 with
 * out's status (ORIGIN_SIGNATURE, ORIGIN_INVALID, ORIGIN_UNAVAILABLE) and
 * why. */
int vendor_read_signed(struct vendor *v, const char *url, size_t max, const char (*keys)[ORIGIN_FPR_LEN + 1],
		       size_t n_keys, char **text, size_t *len, struct origin_expect *out);

/* How many lists were fetched (a cache miss each): for tests. */
unsigned long vendor_fetches(const struct vendor *v);

#endif
