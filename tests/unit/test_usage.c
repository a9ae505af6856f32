/* usage: Glance's image list read as a stream into what a quota decision
 * needs; the reservation marker; how each image counts. */
#include "unit.h"
#include "core/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	struct quota_image im[8];
	size_t n;
};

static int keep(const struct quota_image *im, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 8)
		s->im[s->n] = *im;
	s->n++;
	return 0;
}

/* Feed text in pieces of `step` bytes: the result may not depend on where
 * the network cuts the answer. */
static int read_page(const char *text, size_t step, struct seen *s, char *next, size_t nextlen, char *err,
		     size_t errlen)
{
	struct usage_reader *r = usage_reader_new(keep, s);
	size_t len = strlen(text);
	int rc = 0;

	memset(s, 0, sizeof(*s));
	for (size_t off = 0; off < len && rc == 0; off += step)
		rc = usage_reader_feed(r, text + off, len - off < step ? len - off : step, err, errlen);
	if (rc == 0)
		rc = usage_reader_end(r, err, errlen);
	const char *nx = usage_reader_next(r);
	snprintf(next, nextlen, "%s", nx ? nx : "");
	usage_reader_free(r);
	return rc;
}

static const char page[] =
	"{\"images\": [{\"id\": \"a1\", \"status\": \"active\", \"size\": 1048576, \"created_at\": \"2026-11-01T10:00:00Z\","
	" \"tags\": [\"id\", \"size\"], \"locations\": [{\"url\": \"x\", \"metadata\": {\"size\": 99}}],"
	" \"pad\": \"" "0123456789012345678901234567890123456789" "\","
	" \"scs_image_hook_upload\": \"v1 start=1700000000 bytes=5 until=1700086400 node=n req=r\"},"
	" {\"id\": \"b2\", \"status\": \"importing\", \"size\": null, \"os_glance_import_task\": \"t\"}],"
	" \"first\": \"/v2/images\", \"next\": \"/v2/images?marker=b2&limit=100\", \"schema\": \"/v2/schemas/images\"}";

START_TEST(reads_only_what_decisions_need)
{
	struct seen s;
	char next[256], err[256];
	size_t steps[] = { 1, 7, 64, 100000 };

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		ck_assert_msg(read_page(page, steps[k], &s, next, sizeof(next), err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(s.n, 2);
		ck_assert_str_eq(s.im[0].id, "a1");
		ck_assert_str_eq(s.im[0].status, "active");
		ck_assert_int_eq(s.im[0].size, 1048576);   /* not the location's nested size */
		ck_assert_int_eq(s.im[0].created_at, 1793527200);
		ck_assert(s.im[0].has_marker);
		ck_assert_int_eq(s.im[0].marker.start, 1700000000);
		ck_assert_uint_eq(s.im[0].marker.bytes, 5);
		ck_assert_int_eq(s.im[0].marker.until, 1700086400);
		ck_assert(!s.im[0].import_lock);
		ck_assert_str_eq(s.im[1].id, "b2");
		ck_assert_int_eq(s.im[1].size, -1);
		ck_assert(s.im[1].import_lock);
		ck_assert(!s.im[1].has_marker);
		ck_assert_str_eq(next, "/v2/images?marker=b2&limit=100");
	}
}
END_TEST

START_TEST(refuses_what_is_not_a_list)
{
	static const char *const bad[] = {
		"[]", "{\"images\": {}}", "{\"images\": [1]}", "{\"images\": [{\"size\": -3}]}",
		"{\"images\": [{\"size\": 1.5}]}", "{\"x\": 1}", "{\"images\": [{}]", "{\"images\": [], \"images\": []}",
		"{\"images\": [{\"id\": \"0123456789012345678901234567890123456789012345678901234567890123456789\"}]}",
	};
	struct seen s;
	char next[256], err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(read_page(bad[i], 3, &s, next, sizeof(next), err, sizeof(err)) < 0, "%s accepted", bad[i]);
		ck_assert_msg(err[0], "%s: no reason", bad[i]);
	}
	ck_assert_int_eq(read_page("{\"images\": []}", 3, &s, next, sizeof(next), err, sizeof(err)), 0);
	ck_assert_str_eq(next, "");
}
END_TEST

START_TEST(marker_round_trip)
{
	struct quota_marker m = { .start = 1764490000, .bytes = 1ULL << 40, .until = 1764576400 }, back;
	char text[256], node[200];

	memset(node, 'n', sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	quota_marker_format(&m, node, "req-1", text, sizeof(text));
	ck_assert_uint_le(strlen(text), 255);      /* Glance's property limit */
	ck_assert_int_eq(quota_marker_parse(text, &back), 0);
	ck_assert_int_eq(back.start, m.start);
	ck_assert_uint_eq(back.bytes, m.bytes);
	ck_assert_int_eq(back.until, m.until);
	ck_assert_int_eq(quota_marker_parse("v1 start=5 bytes=1 until=4", &back), -1);   /* ends before it starts */
	ck_assert_int_eq(quota_marker_parse("v1 start=5 bytes=1 until=9x", &back), -1);
	ck_assert_int_eq(quota_marker_parse("v2 start=5 bytes=1 until=9", &back), -1);
	ck_assert_int_eq(quota_marker_parse("", &back), -1);
	ck_assert(quota_reserved_key("scs_image_hook_upload"));
	ck_assert(quota_reserved_key("SCS_Image_Hook_x"));
	ck_assert(!quota_reserved_key("scs_image_hoo"));
}
END_TEST

static struct quota_image img(const char *id, const char *status, long long size, long long created, long long start,
			      unsigned long long bytes)
{
	struct quota_image im = { .size = size, .created_at = created };
	snprintf(im.id, sizeof(im.id), "%s", id);
	snprintf(im.status, sizeof(im.status), "%s", status);
	if (start >= 0) {
		im.has_marker = 1;
		im.marker = (struct quota_marker){ .start = start, .bytes = bytes, .until = start + QUOTA_MARKER_TTL };
	}
	return im;
}

START_TEST(counts_reservations_and_starts)
{
	const long long now = 1000000, since = now - 3600;
	struct quota_usage u = { 0 };
	struct quota_image ims[] = {
		img("stored", "active", 100, now - 7200, now - 7200, 100),    /* uploaded long ago */
		img("old-created", "active", 10, now - 86400, now - 60, 10),  /* created long ago, uploaded now */
		img("legacy", "active", 1, now - 60, -1, 0),                  /* no marker: by creation */
		img("starting", "queued", -1, now - 10, now - 5, 1000),       /* marked, Glance not yet saving */
		img("saving", "saving", -1, now - 10, now - 100, 2000),       /* uploading now */
		img("failed", "queued", -1, now - 900, now - 600, 4000),      /* queued again past the grace */
		img("staged", "uploading", 50, now - 900, now - 600, 50),     /* staged: size known */
		img("lapsed", "saving", -1, now - 90000, now - 90000, 8000),  /* a glance-api died */
		img("self", "queued", -1, now, now - 1, 16000),               /* the request's own image */
	};
	for (size_t i = 0; i < sizeof(ims) / sizeof(ims[0]); i++)
		quota_count(&u, &ims[i], now, since, "self");
	ck_assert_uint_eq(u.images, 9);
	ck_assert_uint_eq(u.reserved, 3000);
	ck_assert_uint_eq(u.bytes, 100 + 10 + 1 + 50 + 3000);
	/* starting, saving, staged, lapsed (still saving in Glance) */
	ck_assert_uint_eq(u.active, 4);
	/* old-created, legacy, starting, saving, failed, staged */
	ck_assert_uint_eq(u.recent, 6);
}
END_TEST

Suite *suite_usage(void)
{
	Suite *s = suite_create("usage");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, reads_only_what_decisions_need);
	tcase_add_test(tc, refuses_what_is_not_a_list);
	tcase_add_test(tc, marker_round_trip);
	tcase_add_test(tc, counts_reservations_and_starts);
	suite_add_tcase(s, tc);
	return s;
}
