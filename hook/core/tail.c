/* tail: see tail.h. The digest runs in a thread of its own: hashing costs
 * more CPU than forwarding, and in line it would stall the forwarding
 * while the bytes are hashed. The two meet only at the ring's ends, and
 * wake each other a TAIL_BATCH at a time rather than per chunk: uploads
 * arrive in chunks of a few tens of KiB, and a hand-off per chunk spent
 * more CPU on sleeping and waking than on the digest (bench/README.md). */
#include "core/tail.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static size_t min_size(unsigned long long a, size_t b)
{
	return a < b ? (size_t)a : b;
}

/* Bytes in the ring from pos on, up to n, without wrapping. */
static size_t contiguous(unsigned long long pos, unsigned long long n)
{
	return min_size(n, TAIL_RING - (size_t)(pos % TAIL_RING));
}

/* Free room in the ring; with the lock held. */
static size_t room(const struct tail *t)
{
	unsigned long long oldest = t->pushed < t->hashed ? t->pushed : t->hashed;
	return TAIL_RING - (size_t)(t->seen - oldest);
}

static void *hasher(void *arg)
{
	struct tail *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (t->hashed == t->seen && !t->stop) {
			t->hasher_idle = 1;
			pthread_cond_wait(&t->more, &t->lock);
			t->hasher_idle = 0;
		}
		if (t->hashed == t->seen)
			break;          /* stopped, and nothing left to hash */
		unsigned long long at = t->hashed;
		size_t n = contiguous(at, min_size(t->seen - at, TAIL_BATCH));
		pthread_mutex_unlock(&t->lock);
		digest_update(t->md, t->ring + at % TAIL_RING, n);
		pthread_mutex_lock(&t->lock);
		t->hashed += n;
		if (t->feed_waits && (room(t) >= TAIL_BATCH || t->hashed == t->seen))
			pthread_cond_signal(&t->room);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

void tail_begin(struct tail *t, enum sums_algo algo)
{
	t->md = digest_new(algo);
	t->ring = xcalloc(1, TAIL_RING);     /* only for a verified upload, not in every exchange */
	t->seen = t->pushed = t->hashed = 0;
	t->stop = t->hasher_idle = t->feed_waits = 0;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->more, NULL);
	pthread_cond_init(&t->room, NULL);
	/* without a thread the digest is taken in line (same result, slower) */
	t->threaded = pthread_create(&t->thread, NULL, hasher, t) == 0;
}

/* Copy up to len bytes into the ring, waiting for the hasher to free room
 * if it must; how many were taken. */
static size_t take(struct tail *t, const char *data, size_t len)
{
	size_t k;

	pthread_mutex_lock(&t->lock);
	while (!(k = room(t)) && t->threaded) {    /* in line, all but TAIL_HOLD is always free */
		t->feed_waits = 1;
		pthread_cond_wait(&t->room, &t->lock);
		t->feed_waits = 0;
	}
	pthread_mutex_unlock(&t->lock);
	k = contiguous(t->seen, min_size(len, k));
	memcpy(t->ring + t->seen % TAIL_RING, data, k);
	if (!t->threaded)
		digest_update(t->md, data, k);
	pthread_mutex_lock(&t->lock);
	t->seen += k;
	if (!t->threaded)
		t->hashed = t->seen;
	else if (t->hasher_idle && t->seen - t->hashed >= TAIL_BATCH)
		pthread_cond_signal(&t->more);          /* the rest by tail_digest */
	pthread_mutex_unlock(&t->lock);
	return k;
}

/* Push the ring's bytes from pushed up to end. */
static int push_to(struct tail *t, unsigned long long end, tail_push_fn push, void *ctx)
{
	while (t->pushed < end) {
		size_t n = contiguous(t->pushed, end - t->pushed);
		int rc = push(ctx, t->ring + t->pushed % TAIL_RING, n);
		if (rc)
			return rc;
		pthread_mutex_lock(&t->lock);   /* room() reads it */
		t->pushed += n;
		pthread_mutex_unlock(&t->lock);
	}
	return 0;
}

int tail_feed(struct tail *t, const char *data, size_t len, tail_push_fn push, void *ctx)
{
	while (len) {
		size_t k = take(t, data, len);
		data += k;
		len -= k;
		/* all but the last TAIL_HOLD bytes go on: in chunks as they came */
		if (t->seen > TAIL_HOLD) {
			int rc = push_to(t, t->seen - TAIL_HOLD, push, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Let the hasher finish what it was given, and end it. */
static void join(struct tail *t)
{
	if (!t->threaded)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->more);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->threaded = 0;
}

void tail_digest(struct tail *t, char *hex)
{
	join(t);
	digest_hex(t->md, hex);
}

int tail_release(struct tail *t, tail_push_fn push, void *ctx)
{
	return push_to(t, t->seen, push, ctx);
}

void tail_end(struct tail *t)
{
	if (!t->md)
		return;
	join(t);
	digest_free(t->md);
	t->md = NULL;
	pthread_cond_destroy(&t->more);
	pthread_cond_destroy(&t->room);
	pthread_mutex_destroy(&t->lock);
	free(t->ring);
	t->ring = NULL;
}
