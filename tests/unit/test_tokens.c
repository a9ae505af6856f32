/* tokens: the cache never answers past a token's expiry or its ttl, and
 * never confuses two tokens. */
#include "unit.h"
#include "core/tokens.h"

START_TEST(hit_until_ttl_or_expiry)
{
	struct token_cache *c = token_cache_new(16);
	struct token_info in = { .user_id = "u1", .project_id = "p1", .expires = 1000 }, out;

	ck_assert_int_eq(token_cache_get(c, "tok-a", 100, &out), 0);
	token_cache_put(c, "tok-a", &in, 100, 300);
	ck_assert_int_eq(token_cache_get(c, "tok-a", 399, &out), 1);
	ck_assert_str_eq(out.user_id, "u1");
	ck_assert_int_eq(token_cache_get(c, "tok-a", 400, &out), 0);     /* ttl */
	token_cache_put(c, "tok-a", &in, 900, 300);
	ck_assert_int_eq(token_cache_get(c, "tok-a", 999, &out), 1);
	ck_assert_int_eq(token_cache_get(c, "tok-a", 1000, &out), 0);    /* the token's own expiry */
	token_cache_put(c, "tok-b", &in, 1000, 300);                     /* already expired: not kept */
	ck_assert_int_eq(token_cache_get(c, "tok-b", 1000, &out), 0);
	unsigned long long hits, misses;
	token_cache_stats(c, &hits, &misses);
	ck_assert_int_eq(hits, 2);
	ck_assert_int_eq(misses, 4);
	token_cache_free(c);
}
END_TEST

START_TEST(tokens_never_confused)
{
	struct token_cache *c = token_cache_new(1);      /* every token in one slot */
	struct token_info a = { .user_id = "alice", .expires = 1000 }, b = { .user_id = "bob", .expires = 1000 }, out;

	token_cache_put(c, "token-of-alice", &a, 0, 300);
	token_cache_put(c, "token-of-bob", &b, 0, 300);
	ck_assert_int_eq(token_cache_get(c, "token-of-alice", 1, &out), 0);
	ck_assert_int_eq(token_cache_get(c, "token-of-bob", 1, &out), 1);
	ck_assert_str_eq(out.user_id, "bob");
	token_cache_free(c);
}
END_TEST

Suite *suite_tokens(void)
{
	Suite *s = suite_create("tokens");
	TCase *tc = tcase_create("cache");
	tcase_add_test(tc, hit_until_ttl_or_expiry);
	tcase_add_test(tc, tokens_never_confused);
	suite_add_tcase(s, tc);
	return s;
}
