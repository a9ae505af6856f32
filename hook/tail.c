/* tail: see tail.h. The digest runs in a thread of its own, a copy of
 * one chunk behind the forwarding: hashing costs about as much CPU as
 * forwarding, and in line it would halve an upload's speed. */
#include "tail.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void *hasher(void *arg)
{
	struct tail *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->full[t->hash_at] && !t->stop)
			pthread_cond_wait(&t->cond, &t->lock);
		if (!t->full[t->hash_at])
			break;          /* stopped, and nothing left to hash */
		pthread_mutex_unlock(&t->lock);
		digest_update(t->md, t->slot[t->hash_at], t->len[t->hash_at]);
		pthread_mutex_lock(&t->lock);
		t->full[t->hash_at] = 0;
		t->hash_at = (t->hash_at + 1) % TAIL_SLOTS;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

void tail_begin(struct tail *t, enum sums_algo algo)
{
	memset(t->full, 0, sizeof(t->full));
	t->md = digest_new(algo);
	t->held = xcalloc(1, TAIL_HOLD + TAIL_SLOT);   /* only for a verified upload, not in every exchange */
	t->held_len = 0;
	t->seen = 0;
	t->fill_at = t->hash_at = 0;
	t->stop = 0;
	for (int i = 0; i < TAIL_SLOTS; i++)
		t->slot[i] = xcalloc(1, TAIL_SLOT);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	/* without a thread the digest is taken in line (same result, slower) */
	t->threaded = pthread_create(&t->thread, NULL, hasher, t) == 0;
}

/* Hand a copy of data to the hasher (or hash it here). */
static void hash(struct tail *t, const char *data, size_t len)
{
	if (!t->threaded) {
		digest_update(t->md, data, len);
		return;
	}
	while (len) {
		size_t k = len < TAIL_SLOT ? len : TAIL_SLOT;
		pthread_mutex_lock(&t->lock);
		while (t->full[t->fill_at])
			pthread_cond_wait(&t->cond, &t->lock);
		pthread_mutex_unlock(&t->lock);
		memcpy(t->slot[t->fill_at], data, k);
		pthread_mutex_lock(&t->lock);
		t->len[t->fill_at] = k;
		t->full[t->fill_at] = 1;
		t->fill_at = (t->fill_at + 1) % TAIL_SLOTS;
		pthread_cond_broadcast(&t->cond);
		pthread_mutex_unlock(&t->lock);
		data += k;
		len -= k;
	}
}

int tail_feed(struct tail *t, const char *data, size_t len, tail_push_fn push, void *ctx)
{
	hash(t, data, len);
	t->seen += len;
	while (len) {
		/* held bytes, then data behind them; all but the last TAIL_HOLD go
		 * on in one push (one write to Glance per chunk, as without a tail) */
		size_t k = len < TAIL_SLOT ? len : TAIL_SLOT;
		memcpy(t->held + t->held_len, data, k);
		t->held_len += k;
		data += k;
		len -= k;
		if (t->held_len <= TAIL_HOLD)
			continue;
		size_t out = t->held_len - TAIL_HOLD;
		int rc = push(ctx, t->held, out);
		if (rc)
			return rc;
		memmove(t->held, t->held + out, TAIL_HOLD);
		t->held_len = TAIL_HOLD;
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
	pthread_cond_broadcast(&t->cond);
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
	size_t n = t->held_len;
	t->held_len = 0;
	return n ? push(ctx, t->held, n) : 0;
}

void tail_end(struct tail *t)
{
	if (!t->md)
		return;
	join(t);
	digest_free(t->md);
	t->md = NULL;
	for (int i = 0; i < TAIL_SLOTS; i++)
		free(t->slot[i]);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t->held);
	t->held = NULL;
	t->held_len = 0;
}
