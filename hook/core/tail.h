/* tail: an upload body on its way to Glance, hashed as it streams, with
 * its end held back. Glance completes an upload only when it has the last
 * byte; the last TAIL_HOLD bytes seen so far stay here until the digest of
 * the whole body has been compared, so a body that is not the vendor's
 * file can be broken off before Glance could make anything of it. No I/O:
 * the caller's push function moves the bytes; digest.c hashes, in a
 * thread of the tail's own. */
#ifndef SCS_TAIL_H
#define SCS_TAIL_H

#include <pthread.h>
#include <stddef.h>

#include "core/digest.h"
#include "core/sums.h"

#define TAIL_HOLD (64u << 10)
#define TAIL_RING (1u << 20)            /* bytes between the forwarding and the hasher */
#define TAIL_BATCH (TAIL_RING / 4)      /* the hasher's step, and what wakes either side */
/* a feed waiting for room must be woken by the hasher alone */
_Static_assert(TAIL_HOLD + TAIL_BATCH <= TAIL_RING, "the held end and a step fit in the ring");

/* Hands bytes on (to Glance); returns what upstream_push returns: 0 taken,
 * non-zero stops the feed and is passed back. */
typedef int (*tail_push_fn)(void *ctx, const char *data, size_t len);

/* The body is copied once, into a ring: the feed pushes from it all but
 * the last TAIL_HOLD bytes, the hasher hashes from it behind the feed.
 * Positions count bytes from the start of the body; a byte's place in the
 * ring is its position modulo TAIL_RING, free again once pushed and
 * hashed. */
struct tail {
	struct digest *md;
	char *ring;
	unsigned long long seen, pushed;        /* the feed's; written under lock */
	unsigned long long hashed;              /* the hasher's, under lock */
	pthread_t thread;
	int threaded, stop, hasher_idle, feed_waits;
	pthread_mutex_t lock;
	pthread_cond_t more, room;              /* bytes for the hasher; room for the feed */
};

void tail_begin(struct tail *t, enum sums_algo algo);    /* tail_end must follow */
/* Hash data and push all of the body so far but its last TAIL_HOLD bytes. */
int tail_feed(struct tail *t, const char *data, size_t len, tail_push_fn push, void *ctx);
/* The digest of every byte fed, lowercase hex (SUMS_MAX_HEX + 1 bytes); once. */
void tail_digest(struct tail *t, char *hex);
/* The digest compared and found good: push what was held. */
int tail_release(struct tail *t, tail_push_fn push, void *ctx);
void tail_end(struct tail *t);      /* also after tail_digest; t->md NULL: nothing to end */

#endif
