/* vendor: the adapter that asks vendors for their checksum lists. It
 * fetches a list and its signature (http.c, through origin.fetch's prefix
 * map), verifies the signature (pgp.c) against the origin's keys, parses
 * the list (sums.c), and keeps a verified list origin.cache long (default
 * 1h). Thread-safe: one vendor serves every proxy connection thread, and
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

/* How many lists were fetched (a cache miss each): for tests. */
unsigned long vendor_fetches(const struct vendor *v);

#endif
