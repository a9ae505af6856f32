/* tokens: see tokens.h. Direct-mapped: a colliding token evicts the
 * older one, which costs one more validation, never a wrong answer
 * (the full hash is compared). */
#include "core/tokens.h"
#include "core/util.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	unsigned char hash[32];
	long long until;            /* 0: empty */
	struct token_info info;
};

struct token_cache {
	pthread_mutex_t lock;
	struct slot *slots;
	size_t n;                   /* a power of two */
	unsigned long long hits, misses;
};

struct token_cache *token_cache_new(size_t slots)
{
	struct token_cache *c = xcalloc(1, sizeof(*c));
	c->n = 1;
	while (c->n < slots)
		c->n <<= 1;
	c->slots = xcalloc(c->n, sizeof(*c->slots));
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void digest(const char *token, unsigned char out[32])
{
	unsigned int len = 32;
	EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL);
}

static struct slot *slot_of(struct token_cache *c, const unsigned char hash[32])
{
	size_t i;
	memcpy(&i, hash, sizeof(i));
	return &c->slots[i & (c->n - 1)];
}

int token_cache_get(struct token_cache *c, const char *token, long long now, struct token_info *out)
{
	unsigned char h[32];
	int hit = 0;

	digest(token, h);
	pthread_mutex_lock(&c->lock);
	struct slot *s = slot_of(c, h);
	if (s->until > now && !memcmp(s->hash, h, 32)) {
		*out = s->info;
		hit = 1;
	}
	if (hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void token_cache_put(struct token_cache *c, const char *token, const struct token_info *info, long long now,
		     long long ttl)
{
	unsigned char h[32];
	long long until = now + ttl < info->expires ? now + ttl : info->expires;

	if (until <= now)
		return;
	digest(token, h);
	pthread_mutex_lock(&c->lock);
	struct slot *s = slot_of(c, h);
	memcpy(s->hash, h, 32);
	s->until = until;
	s->info = *info;
	pthread_mutex_unlock(&c->lock);
}

void token_cache_stats(struct token_cache *c, unsigned long long *hits, unsigned long long *misses)
{
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}

void token_cache_free(struct token_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}
