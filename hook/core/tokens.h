/* tokens: a bounded cache of validated Keystone tokens, keyed by the
 * SHA-256 of the token (the token itself is never stored), shared by all
 * connection threads. An entry never outlives the token's own expiry. */
#ifndef SCS_TOKENS_H
#define SCS_TOKENS_H

#include <stddef.h>

struct token_info {
	char user_id[65];
	char project_id[65];
	char project_name[129];
	long long expires;          /* the token's expiry, seconds since the epoch */
};

struct token_cache;

struct token_cache *token_cache_new(size_t slots);
/* 1 and *out on a live entry, 0 otherwise. now: seconds since the epoch. */
int token_cache_get(struct token_cache *c, const char *token, long long now, struct token_info *out);
/* Keep info until min(now + ttl, info->expires). */
void token_cache_put(struct token_cache *c, const char *token, const struct token_info *info, long long now,
		     long long ttl);
void token_cache_stats(struct token_cache *c, unsigned long long *hits, unsigned long long *misses);
void token_cache_free(struct token_cache *c);

#endif
