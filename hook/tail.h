/* tail: an upload body on its way to Glance, hashed as it streams, with
 * its end held back. Glance completes an upload only when it has the last
 * byte; the last TAIL_HOLD bytes seen so far stay here until the digest of
 * the whole body has been compared, so a body that is not the vendor's
 * file can be broken off before Glance could make anything of it. Pure
 * (no I/O): the caller's push function moves the bytes; digest.c hashes. */
#ifndef SCS_TAIL_H
#define SCS_TAIL_H

#include <stddef.h>

#include "digest.h"
#include "sums.h"

#define TAIL_HOLD (64u << 10)

/* Hands bytes on (to Glance); returns what upstream_push returns: 0 taken,
 * non-zero stops the feed and is passed back. */
typedef int (*tail_push_fn)(void *ctx, const char *data, size_t len);

struct tail {
	struct digest *md;
	char held[TAIL_HOLD];
	size_t held_len;
	unsigned long long seen;
};

void tail_begin(struct tail *t, enum sums_algo algo);
/* Hash data and push all of the body so far but its last TAIL_HOLD bytes. */
int tail_feed(struct tail *t, const char *data, size_t len, tail_push_fn push, void *ctx);
/* The digest of every byte fed, lowercase hex (SUMS_MAX_HEX + 1 bytes); once. */
void tail_digest(struct tail *t, char *hex);
/* The digest compared and found good: push what was held. */
int tail_release(struct tail *t, tail_push_fn push, void *ctx);
void tail_end(struct tail *t);

#endif
