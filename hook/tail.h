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

#include "digest.h"
#include "sums.h"

#define TAIL_HOLD (64u << 10)
#define TAIL_SLOT (256u << 10)          /* one of the hasher's copies */
#define TAIL_SLOTS 2                    /* how far the hasher may fall behind (8 measured no better, within noise) */

/* Hands bytes on (to Glance); returns what upstream_push returns: 0 taken,
 * non-zero stops the feed and is passed back. */
typedef int (*tail_push_fn)(void *ctx, const char *data, size_t len);

struct tail {
	struct digest *md;
	char *held;                     /* the end held back, and room for a chunk behind it */
	size_t held_len;
	unsigned long long seen;
	/* the hasher thread and the copies it works through in turn */
	pthread_t thread;
	int threaded, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *slot[TAIL_SLOTS];
	size_t len[TAIL_SLOTS];
	int full[TAIL_SLOTS], fill_at, hash_at;
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
