/* Reading images: shapes, streams and hostile input. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_bad(const char *json, const char *what)
{
	struct image img = { 0 };
	char err[512] = "";
	ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) < 0, "accepted: %s", json);
	ck_assert_msg(strstr(err, what), "'%s' lacks '%s'", err, what);
	image_release(&img);
}

START_TEST(glance_shape)
{
	struct image img = { 0 };
	char err[256];
	const char *j = "{\"id\":\"i1\",\"name\":\"Debian 12\",\"visibility\":\"community\",\"os_hidden\":true,"
			"\"image_source\":\"https://x/\",\"os_distro\":\"debian\",\"tags\":[\"a\",{\"b\":1}],"
			"\"locations\":[],\"size\":123,\"min_disk\":0,\"checksum\":null}";
	ck_assert_msg(image_parse(&img, j, strlen(j), err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(img.id, "i1");
	ck_assert_str_eq(img.name, "Debian 12");
	ck_assert_int_eq(img.visibility, VIS_COMMUNITY);
	ck_assert_int_eq(img.os_hidden, 1);
	ck_assert_str_eq(img.image_source, "https://x/");
	ck_assert_str_eq(image_prop(&img, "os_distro"), "debian");
	ck_assert_ptr_null(image_prop(&img, "size"));
	ck_assert_ptr_null(image_prop(&img, "b"));     /* nested values are not properties */
	image_release(&img);
}
END_TEST

START_TEST(openstack_cli_shape)
{
	struct image img = { 0 };
	char err[256];
	const char *j = "{\"id\":\"i1\",\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",\"properties\":"
			"{\"image_source\":\"https://cloud-images.ubuntu.com/noble/x\",\"os_hidden\":false,"
			"\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"os_purpose\":\"generic\","
			"\"stores\":\"file\",\"os_hash_algo\":\"sha512\"},\"tags\":[]}";
	ck_assert_msg(image_parse(&img, j, strlen(j), err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(img.image_source, "https://cloud-images.ubuntu.com/noble/x");
	ck_assert_str_eq(img.os_version, "24.04");
	ck_assert_str_eq(image_prop(&img, "os_purpose"), "generic");
	image_release(&img);
}
END_TEST

START_TEST(unicode_escaped_keys_are_keys)
{
	struct image img = { 0 };
	char err[256];
	const char *j = "{\"\\u006eame\":\"Ubuntu 24.04\",\"visibility\":\"public\"}";
	ck_assert_msg(image_parse(&img, j, strlen(j), err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(img.name, "Ubuntu 24.04");
	image_release(&img);
	/* and an escaped duplicate is still a duplicate */
	assert_bad("{\"name\":\"ok\",\"\\u006eame\":\"Ubuntu 24.04\"}", "duplicate key 'name'");
}
END_TEST

START_TEST(bad_input)
{
	assert_bad("{\"name\":\"ok\",\"name\":\"Ubuntu 24.04\"}", "duplicate key 'name'");
	assert_bad("{\"name\":42}", "field 'name' must be a string");
	assert_bad("{\"name\":[\"Ubuntu 24.04\"]}", "field 'name' must be a string");
	assert_bad("{\"image_source\":{\"a\":1}}", "field 'image_source' must be a string");
	assert_bad("{\"visibility\":\"everyone\"}", "field 'visibility' must be public");
	assert_bad("{\"os_hidden\":\"yes\"}", "field 'os_hidden' must be true or false");
	assert_bad("{\"name\":\"a\",\"properties\":{\"name\":\"b\"}}", "appears at the top and under 'properties'");
	assert_bad("{\"name\":\"Ubuntu\\u0000 24.04\"}", "NUL");
	assert_bad("{\"name\":\"\xff\xfe\"}", "invalid JSON");
	assert_bad("{\"name\":\"a\"", "unexpected end of input");
	assert_bad("{\"name\":\"a\",}", "invalid JSON");
	assert_bad("[1]", "expected an image");
	assert_bad("\"Ubuntu\"", "expected an image");
	assert_bad("{\"name\":\"a\"} {\"name\":\"b\"}", "exactly one image");
	assert_bad("", "exactly one image");
}
END_TEST

START_TEST(huge_values)
{
	size_t n = (1u << 20) + 100;
	char *j = malloc(n + 64);
	struct image img = { 0 };
	char err[256];
	/* a 1 MiB name is fine */
	strcpy(j, "{\"name\":\"");
	memset(j + 9, 'a', 1u << 20);
	strcpy(j + 9 + (1u << 20), "\"}");
	ck_assert_msg(image_parse(&img, j, strlen(j), err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(img.name_len, 1u << 20);
	image_release(&img);
	free(j);
	/* beyond the per-image bound it is an error, not an allocation */
	n = IMAGE_MAX_BYTES + 16;
	j = malloc(n + 64);
	strcpy(j, "{\"name\":\"");
	memset(j + 9, 'a', n);
	strcpy(j + 9 + n, "\"}");
	ck_assert_int_lt(image_parse(&img, j, strlen(j), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "larger than 16 MiB"), "%s", err);
	image_release(&img);
	free(j);
}
END_TEST

struct collected {
	char names[8][32];
	unsigned lines[8];
	size_t n;
	struct image_reader *r;
};

static int collect(struct image *img, void *ctx)
{
	struct collected *c = ctx;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", img->name ? img->name : "-");
	c->lines[c->n++] = image_reader_line(c->r);
	return 0;
}

static int stream(const char *text, struct collected *c, char *err, size_t errlen, size_t chunk)
{
	memset(c, 0, sizeof(*c));
	c->r = image_reader_new(collect, c, "t");
	int rc = 0;
	for (size_t off = 0; rc == 0 && off < strlen(text); off += chunk) {
		size_t n = strlen(text) - off < chunk ? strlen(text) - off : chunk;
		rc = image_reader_feed(c->r, text + off, n, err, errlen);
	}
	if (rc == 0)
		rc = image_reader_end(c->r, err, errlen);
	image_reader_free(c->r);
	return rc;
}

START_TEST(streams_in_every_shape)
{
	struct collected c;
	char err[256];
	const char *shapes[] = {
		"{\"name\":\"a\"}\n{\"name\":\"b\"}\n{\"name\":\"c\"}\n",
		"[{\"name\":\"a\"},\n {\"name\":\"b\"},\n {\"name\":\"c\"}]\n",
		"\xEF\xBB\xBF{\"name\":\"a\"}{\"name\":\"b\"}\n\n{\n \"name\": \"c\"\n}",
	};
	for (size_t s = 0; s < 3; s++)
		for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
			ck_assert_msg(stream(shapes[s], &c, err, sizeof(err), chunk) == 0, "shape %zu: %s", s, err);
			ck_assert_uint_eq(c.n, 3);
			ck_assert_str_eq(c.names[0], "a");
			ck_assert_str_eq(c.names[2], "c");
		}
	ck_assert_int_eq(stream("{\"name\":\"a\"}\n{\"name\":\"b\"}\n", &c, err, sizeof(err), 7), 0);
	ck_assert_uint_eq(c.lines[1], 2);
}
END_TEST

START_TEST(stream_errors_name_the_line)
{
	struct collected c;
	char err[256];
	ck_assert_int_lt(stream("{\"name\":\"a\"}\n{\"name\":\"b\"\n", &c, err, sizeof(err), 5), 0);
	ck_assert_msg(strstr(err, "t:3: unexpected end of input inside an image"), "%s", err);
	ck_assert_int_lt(stream("{\"name\":\"a\"}\n{\"name\":1}\n", &c, err, sizeof(err), 64), 0);
	ck_assert_msg(strstr(err, "t:2: image 2: field 'name' must be a string"), "%s", err);
	ck_assert_int_lt(stream("[{\"name\":\"a\"}] {\"name\":\"b\"}", &c, err, sizeof(err), 64), 0);
	ck_assert_msg(strstr(err, "after the closing ']'"), "%s", err);
	ck_assert_int_lt(stream("[{\"name\":\"a\"}", &c, err, sizeof(err), 64), 0);
	ck_assert_msg(strstr(err, "inside the array"), "%s", err);
	ck_assert_int_lt(stream("{\"name\":\"a\"}\n\n{nope}\n", &c, err, sizeof(err), 64), 0);
	ck_assert_msg(strstr(err, "t:3: invalid JSON"), "%s", err);
}
END_TEST

Suite *suite_image(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, glance_shape);
	tcase_add_test(tc, openstack_cli_shape);
	tcase_add_test(tc, unicode_escaped_keys_are_keys);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, huge_values);
	tcase_add_test(tc, streams_in_every_shape);
	tcase_add_test(tc, stream_errors_name_the_line);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
