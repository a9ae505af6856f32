/* patch: the image a Glance JSON-patch leaves behind, in both formats. */
#include "unit.h"
#include "core/patch.h"

static json_t *patched(const char *image, const char *body, enum patch_format f, int want_rc)
{
	char err[256] = "";
	json_t *img = json_loads(image, 0, NULL);
	int rc = patch_apply(img, body, strlen(body), f, NULL, err, sizeof(err));
	ck_assert_msg(rc == want_rc, "%s: rc %d (%s)", body, rc, err);
	return img;
}

static const char *str(json_t *img, const char *key)
{
	return json_string_value(json_object_get(img, key));
}

START_TEST(media_types)
{
	ck_assert_int_eq(patch_format_of("application/openstack-images-v2.1-json-patch"), PATCH_V21);
	ck_assert_int_eq(patch_format_of("application/openstack-images-v2.0-json-patch; charset=UTF-8"), PATCH_V20);
	ck_assert_int_eq(patch_format_of("application/json"), -1);
	ck_assert_int_eq(patch_format_of("application/json-patch+json"), -1);
	ck_assert_int_eq(patch_format_of(NULL), -1);
}
END_TEST

START_TEST(v21_ops)
{
	json_t *img = patched("{\"name\":\"a\",\"image_source\":\"s\",\"x\":\"1\"}",
			      "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"Ubuntu 24.04\"},"
			      "{\"op\":\"add\",\"path\":\"/visibility\",\"value\":\"public\"},"
			      "{\"op\":\"remove\",\"path\":\"/image_source\"}]", PATCH_V21, 0);
	ck_assert_str_eq(str(img, "name"), "Ubuntu 24.04");
	ck_assert_str_eq(str(img, "visibility"), "public");
	ck_assert_ptr_null(json_object_get(img, "image_source"));
	ck_assert_str_eq(str(img, "x"), "1");
	json_decref(img);
}
END_TEST

START_TEST(v20_ops)
{
	json_t *img = patched("{\"name\":\"a\"}", "[{\"replace\":\"/name\",\"value\":\"b\"},{\"add\":\"/os_distro\",\"value\":\"ubuntu\"}]",
			      PATCH_V20, 0);
	ck_assert_str_eq(str(img, "name"), "b");
	ck_assert_str_eq(str(img, "os_distro"), "ubuntu");
	json_decref(img);
	json_decref(patched("{}", "[{\"replace\":\"/name\",\"add\":\"/x\",\"value\":\"b\"}]", PATCH_V20, -1));
}
END_TEST

/* Glance decodes pointers with lstrip('/'), ~1 and ~0, then str.strip(). */
START_TEST(pointers_as_glance_reads_them)
{
	json_t *img = patched("{}", "[{\"op\":\"add\",\"path\":\"/image_source\\u3000\",\"value\":\"u\"},"
			      "{\"op\":\"add\",\"path\":\"// name \",\"value\":\"n\"},"
			      "{\"op\":\"add\",\"path\":\"/a~1b~01\",\"value\":\"v\"},"
			      "{\"op\":\"add\",\"path\":\"/\\u00a0os_distro\\t\",\"value\":\"d\"}]", PATCH_V21, 0);
	ck_assert_str_eq(str(img, "image_source"), "u");
	ck_assert_str_eq(str(img, "name"), "n");
	ck_assert_str_eq(str(img, "a/b~1"), "v");
	ck_assert_str_eq(str(img, "os_distro"), "d");
	json_decref(img);
}
END_TEST

/* Locations are left as they are, and told: the origin check refuses
 * them under an origin (data the proxy never sees). */
START_TEST(locations_are_told)
{
	json_t *img = patched("{\"name\":\"x\"}", "[{\"op\":\"add\",\"path\":\"/locations/-\",\"value\":{\"url\":\"http://h/f\",\"metadata\":{}}},"
			      "{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"y\"}]", PATCH_V21, 1);
	ck_assert_str_eq(str(img, "name"), "y");
	ck_assert_ptr_null(json_object_get(img, "locations"));
	json_decref(img);
	json_decref(patched("{}", "[{\"op\":\"replace\",\"path\":\"/locations\",\"value\":[]}]", PATCH_V21, 1));
	json_decref(patched("{}", "[{\"replace\":\"/locations\",\"value\":[]}]", PATCH_V20, 1));
	json_decref(patched("{}", "[{\"op\":\"add\",\"path\":\"/name\",\"value\":\"n\"}]", PATCH_V21, 0));
}
END_TEST

START_TEST(malformed_documents_are_refused)
{
	const char *bad[] = {
		"{\"op\":\"add\"}", "[1]", "not json", "[{\"op\":\"move\",\"path\":\"/name\",\"value\":1}]",
		"[{\"op\":\"add\",\"path\":\"name\",\"value\":1}]", "[{\"op\":\"add\",\"path\":\"/name\"}]",
		"[{\"op\":\"add\",\"path\":\"/name/x\",\"value\":1}]", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]",
		"[{\"op\":\"add\",\"path\":\"/name/\",\"value\":1}]",
		"[{\"op\":\"add\",\"op\":\"remove\",\"path\":\"/name\",\"value\":1}]",   /* duplicate keys */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_decref(patched("{}", bad[i], PATCH_V21, -1));
}
END_TEST

/* What the proxy sends is its own writing of the operations it applied:
 * compact, ASCII only, none of the client's spelling; applied again it
 * leaves the same image. */
START_TEST(sent_is_the_parse)
{
	static const char body[] = "[ {\"op\" : \"add\", \"path\": \"/n\\u0061me\", \"value\": \"Ubuntu \xc3\xa9\\u2028\"},\n"
				   "  {\"op\": \"replace\", \"path\": \"/min_ram\", \"value\": 1.50} ]";
	char err[256] = "", *sent = NULL;
	json_t *img = json_loads("{\"name\":\"a\"}", 0, NULL), *again = json_loads("{\"name\":\"a\"}", 0, NULL);

	ck_assert_int_eq(patch_apply(img, body, strlen(body), PATCH_V21, &sent, err, sizeof(err)), 0);
	ck_assert_str_eq(sent, "[{\"op\":\"add\",\"path\":\"/name\",\"value\":\"Ubuntu \\u00E9\\u2028\"},"
			       "{\"op\":\"replace\",\"path\":\"/min_ram\",\"value\":1.5}]");
	ck_assert_int_eq(patch_apply(again, sent, strlen(sent), PATCH_V21, NULL, err, sizeof(err)), 0);
	ck_assert(json_equal(img, again));
	free(sent);
	sent = NULL;
	ck_assert_int_eq(patch_apply(img, "[{\"op\":\"copy\"}]", 17, PATCH_V21, &sent, err, sizeof(err)), -1);
	ck_assert_ptr_null(sent);
	json_decref(img);
	json_decref(again);
}
END_TEST

/* The vendor's digest added to a verified patch, in the patch's format. */
START_TEST(sent_with_a_property)
{
	char err[256] = "", *with;
	json_t *img = json_loads("{}", 0, NULL);

	with = patch_sent_with("[{\"op\":\"add\",\"path\":\"/image_source\",\"value\":\"u\"}]", PATCH_V21,
			       "source_sha512sum", "ab");
	ck_assert_str_eq(with, "[{\"op\":\"add\",\"path\":\"/image_source\",\"value\":\"u\"},"
			       "{\"op\":\"add\",\"path\":\"/source_sha512sum\",\"value\":\"ab\"}]");
	ck_assert_int_eq(patch_apply(img, with, strlen(with), PATCH_V21, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(str(img, "source_sha512sum"), "ab");
	free(with);
	with = patch_sent_with("[]", PATCH_V20, "source_sha256sum", "cd");
	ck_assert_str_eq(with, "[{\"add\":\"/source_sha256sum\",\"value\":\"cd\"}]");
	free(with);
	ck_assert_ptr_null(patch_sent_with("{}", PATCH_V21, "k", "v"));
	ck_assert_ptr_null(patch_sent_with("[]", PATCH_V21, "a/b", "v"));
	json_decref(img);
}
END_TEST

Suite *suite_patch(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("glance");
	tcase_add_test(tc, media_types);
	tcase_add_test(tc, v21_ops);
	tcase_add_test(tc, v20_ops);
	tcase_add_test(tc, pointers_as_glance_reads_them);
	tcase_add_test(tc, locations_are_told);
	tcase_add_test(tc, malformed_documents_are_refused);
	tcase_add_test(tc, sent_is_the_parse);
	tcase_add_test(tc, sent_with_a_property);
	suite_add_tcase(s, tc);
	return s;
}
