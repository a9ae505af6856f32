/* tail: see tail.h. */
#include "tail.h"

#include <string.h>

void tail_begin(struct tail *t, enum sums_algo algo)
{
	t->md = digest_new(algo);
	t->held_len = 0;
	t->seen = 0;
}

int tail_feed(struct tail *t, const char *data, size_t len, tail_push_fn push, void *ctx)
{
	int rc;

	digest_update(t->md, data, len);
	t->seen += len;
	if (t->held_len + len <= TAIL_HOLD) {
		memcpy(t->held + t->held_len, data, len);
		t->held_len += len;
		return 0;
	}
	/* what goes on: the oldest held bytes first, then the front of data */
	size_t out = t->held_len + len - TAIL_HOLD;
	size_t from_held = out < t->held_len ? out : t->held_len;
	if (from_held && (rc = push(ctx, t->held, from_held)))
		return rc;
	memmove(t->held, t->held + from_held, t->held_len - from_held);
	t->held_len -= from_held;
	size_t from_data = out - from_held;
	if (from_data && (rc = push(ctx, data, from_data)))
		return rc;
	memcpy(t->held + t->held_len, data + from_data, len - from_data);
	t->held_len += len - from_data;
	return 0;
}

void tail_digest(struct tail *t, char *hex)
{
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
	digest_free(t->md);
	t->md = NULL;
	t->held_len = 0;
}
