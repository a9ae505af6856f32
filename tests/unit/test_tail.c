/* tail: an upload hashed as it streams with its end held back. Whatever
 * the chunking, what is pushed before the release is the body minus its
 * last TAIL_HOLD bytes, the release pushes exactly those, and the digest
 * is that of the whole body (compared with OpenSSL's one-shot digest). */
#include "unit.h"
#include "core/tail.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct sink {
	char *buf;
	size_t len, cap;
	int calls, fail_at;
};

static int push(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;
	ck_assert_uint_gt(len, 0);
	if (++s->calls == s->fail_at)
		return -1;
	ck_assert_uint_le(s->len + len, s->cap);
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void one_shot(const EVP_MD *md, const char *data, size_t len, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n;
	EVP_Digest(data, len, d, &n, md, NULL);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* total bytes in random chunks of 1 .. max_chunk */
static void stream_chunked(enum sums_algo algo, size_t total, size_t max_chunk, unsigned seed)
{
	char *body = malloc(total + 1), hex[SUMS_MAX_HEX + 1], want[SUMS_MAX_HEX + 1];
	struct sink s = { .buf = malloc(total + 1), .cap = total };
	struct tail t;

	srand(seed);
	for (size_t i = 0; i < total; i++)
		body[i] = (char)rand();
	tail_begin(&t, algo);
	for (size_t off = 0, checked = 0; off < total;) {
		size_t n = (size_t)rand() % max_chunk + 1;
		if (n > total - off)
			n = total - off;
		ck_assert_int_eq(tail_feed(&t, body + off, n, push, &s), 0);
		off += n;
		/* never more than all but the last TAIL_HOLD bytes so far */
		ck_assert_uint_eq(s.len, off > TAIL_HOLD ? off - TAIL_HOLD : 0);
		ck_assert_int_eq(memcmp(s.buf + checked, body + checked, s.len - checked), 0);
		checked = s.len;
	}
	tail_digest(&t, hex);
	one_shot(algo == SUMS_SHA512 ? EVP_sha512() : EVP_sha256(), body, total, want);
	ck_assert_str_eq(hex, want);
	ck_assert_uint_eq(strlen(hex), sums_hex_len(algo));
	ck_assert_int_eq(tail_release(&t, push, &s), 0);
	ck_assert_uint_eq(s.len, total);
	ck_assert_int_eq(memcmp(s.buf, body, total), 0);
	tail_end(&t);
	free(body);
	free(s.buf);
}

static void stream(enum sums_algo algo, size_t total, unsigned seed)
{
	stream_chunked(algo, total, 3 * TAIL_HOLD / 2, seed);
}

START_TEST(any_chunking_holds_back_the_end)
{
	for (unsigned seed = 1; seed <= 20; seed++)
		stream(seed % 2 ? SUMS_SHA256 : SUMS_SHA512, (size_t)(seed * 37813u) % (5 * TAIL_HOLD) + 1, seed);
	stream(SUMS_SHA256, 1, 99);
	stream(SUMS_SHA256, TAIL_HOLD, 98);
	stream(SUMS_SHA256, TAIL_HOLD + 1, 97);
}
END_TEST

/* Several rings' worth: bytes wrap around the ring, and a feed faster
 * than the hasher waits for room; chunks small (as uploads arrive) and
 * larger than the ring. */
START_TEST(bodies_longer_than_the_ring)
{
	stream_chunked(SUMS_SHA512, 5 * TAIL_RING + 12345, 32 << 10, 7);
	stream_chunked(SUMS_SHA256, 3 * TAIL_RING + 1, 3 * TAIL_RING / 2, 8);
	stream_chunked(SUMS_SHA256, TAIL_RING + TAIL_HOLD + 1, 64, 9);
}
END_TEST

START_TEST(empty_body)
{
	struct tail t;
	char hex[SUMS_MAX_HEX + 1];
	struct sink s = { 0 };
	tail_begin(&t, SUMS_SHA256);
	tail_digest(&t, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(tail_release(&t, push, &s), 0);
	ck_assert_int_eq(s.calls, 0);
	tail_end(&t);
}
END_TEST

START_TEST(a_failed_push_stops_the_feed)
{
	static char body[3 * TAIL_HOLD];
	struct sink s = { .buf = malloc(sizeof(body)), .cap = sizeof(body), .fail_at = 1 };
	struct tail t;
	tail_begin(&t, SUMS_SHA256);
	ck_assert_int_eq(tail_feed(&t, body, sizeof(body), push, &s), -1);
	ck_assert_uint_eq(s.len, 0);
	tail_end(&t);
	free(s.buf);
}
END_TEST

Suite *suite_tail(void)
{
	Suite *s = suite_create("tail");
	TCase *tc = tcase_create("tail");
	tcase_set_timeout(tc, 60);      /* several MiB fed in small chunks, with a check after each: slow under ASan */
	tcase_add_test(tc, any_chunking_holds_back_the_end);
	tcase_add_test(tc, bodies_longer_than_the_ring);
	tcase_add_test(tc, empty_body);
	tcase_add_test(tc, a_failed_push_stops_the_feed);
	suite_add_tcase(s, tc);
	return s;
}
