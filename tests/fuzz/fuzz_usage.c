/* Fuzz target: a page of Glance's image list, as the proxy reads it for a
 * quota decision, fed in two pieces cut where the first byte says (the
 * network cuts answers anywhere): the same images and the same failure
 * either way, and every image counts without overflow or a reach past it. */
#include "fuzz.h"
#include "core/usage.h"

struct fusage_seen {
	struct quota_usage u;
	size_t n;
};

static int fusage_count(const struct quota_image *im, void *ctx)
{
	struct fusage_seen *s = ctx;
	FUZZ_CHECK(memchr(im->id, '\0', sizeof(im->id)) && memchr(im->status, '\0', sizeof(im->status)),
		   "an image field without its NUL");
	quota_count(&s->u, im, 2000000000LL, 1900000000LL, "self");
	s->n++;
	return 0;
}

static int fusage_read(const uint8_t *data, size_t size, size_t cut, struct fusage_seen *s, char *next)
{
	char err[256] = "";
	struct usage_reader *r = usage_reader_new(fusage_count, s);
	int rc = usage_reader_feed(r, (const char *)data, cut, err, sizeof(err));
	if (rc == 0)
		rc = usage_reader_feed(r, (const char *)data + cut, size - cut, err, sizeof(err));
	if (rc == 0)
		rc = usage_reader_end(r, err, sizeof(err));
	if (rc < 0)
		FUZZ_CHECK_ERR(err);
	const char *nx = usage_reader_next(r);
	FUZZ_CHECK(!nx || strlen(nx) < USAGE_MAX_NEXT, "a next link past its bound");
	snprintf(next, USAGE_MAX_NEXT, "%s", nx ? nx : "");
	FUZZ_CHECK(usage_reader_count(r) == s->n, "images counted twice or not at all");
	usage_reader_free(r);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char next_a[USAGE_MAX_NEXT], next_b[USAGE_MAX_NEXT];
	struct fusage_seen a = { 0 }, b = { 0 };

	if (size < 1)
		return 0;
	size_t cut = data[0] % size;
	int ra = fusage_read(data + 1, size - 1, 0, &a, next_a);
	int rb = fusage_read(data + 1, size - 1, cut, &b, next_b);
	FUZZ_CHECK(ra == rb, "the outcome depends on where the answer was cut");
	if (ra == 0) {
		FUZZ_CHECK(a.n == b.n && !memcmp(&a.u, &b.u, sizeof(a.u)) && !strcmp(next_a, next_b),
			   "the images depend on where the answer was cut");
		FUZZ_CHECK(a.u.images == a.n && a.u.reserved <= a.u.bytes, "usage does not add up");
	}
	return 0;
}
