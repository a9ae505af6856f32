/* route: requests are decided as Glance would route them, and spellings
 * the model cannot be sure of are refused, never passed. */
#include "unit.h"
#include "route.h"

static enum route_kind kind(const char *method, const char *target, const char *accept)
{
	struct route r;
	route_classify(method, target, accept, &r);
	return r.kind;
}

START_TEST(canonical_routes)
{
	struct route r;
	ck_assert_int_eq(kind("POST", "/v2/images", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("POST", "/v2/images?x=1", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("PATCH", "/v2/images/0b5d-aa", NULL), ROUTE_PATCH);
	ck_assert_int_eq(kind("PUT", "/v2/images/abc/file", NULL), ROUTE_UPLOAD);
	ck_assert_int_eq(kind("PUT", "/v2/images/abc/stage", NULL), ROUTE_STAGE);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/import", NULL), ROUTE_IMPORT);
	route_classify("PATCH", "/v2/images/6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16", NULL, &r);
	ck_assert_str_eq(r.image_id, "6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16");
}
END_TEST

START_TEST(reads_and_other_routes_pass)
{
	ck_assert_int_eq(kind("GET", "/v2/images", NULL), ROUTE_PASS);
	ck_assert_int_eq(kind("GET", "//V2/./images/", NULL), ROUTE_PASS);   /* reads change nothing */
	ck_assert_int_eq(kind("PUT", "/v2/images/abc/tags/t1", NULL), ROUTE_PASS);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/members", NULL), ROUTE_PASS);
	ck_assert_int_eq(kind("DELETE", "/v2/images/abc", NULL), ROUTE_PASS);
	ck_assert_int_eq(kind("POST", "/v3/images", NULL), ROUTE_PASS);      /* Glance: version list */
	ck_assert_int_eq(kind("POST", "/", NULL), ROUTE_PASS);
	ck_assert_int_eq(kind("GET", "/v2/tasks", NULL), ROUTE_PASS);
}
END_TEST

/* What Glance's version filter and eventlet do, we do. */
START_TEST(legacy_tasks_are_refused)
{
	struct route r;
	route_classify("POST", "/v2/tasks", NULL, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	ck_assert_int_eq(r.status, 403);
	ck_assert_int_eq(kind("POST", "//v2.1/tasks?x", NULL), ROUTE_REFUSE);
	ck_assert_int_eq(kind("POST", "/v2/Tasks", NULL), ROUTE_REFUSE);
}
END_TEST

START_TEST(glance_normalisations_are_decided)
{
	ck_assert_int_eq(kind("POST", "//v2/images", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("POST", "/v2.1/images", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("POST", "/v2.15/images", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("POST", "/v2/%69mages", NULL), ROUTE_CREATE);
	ck_assert_int_eq(kind("PUT", "/v2/images/abc%2Ffile", NULL), ROUTE_UPLOAD);
	ck_assert_int_eq(kind("PATCH", "/%76%32/images/abc", NULL), ROUTE_PATCH);
}
END_TEST

START_TEST(unsure_spellings_are_refused)
{
	const char *bad[] = { "/v2/./images", "/v2/images/", "/v2//images", "/v2/x/../images", "/V2/images",
			      "/v2/Images", "/v2/IMAGES/abc/file", "/v2/images/abc/File", "http://h/v2/images",
			      "*", "/v2/images%00", "/v2/images/abc/./file", "/v2.x/images", "/v2./images" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct route r;
		route_classify(strstr(bad[i], "file") ? "PUT" : "POST", bad[i], NULL, &r);
		ck_assert_msg(r.kind == ROUTE_REFUSE, "%s was not refused (%s)", bad[i], route_name(r.kind));
		ck_assert_int_ge(r.status, 400);
	}
	ck_assert_int_eq(kind("post", "/v2/images", NULL), ROUTE_REFUSE);
	ck_assert_int_eq(kind("Patch", "/v2/images/abc", NULL), ROUTE_REFUSE);
	ck_assert_int_eq(kind("POST", "/images", "application/vnd.openstack.images-v2"), ROUTE_REFUSE);
	ck_assert_int_eq(kind("PATCH", "/v2/images/a;b", NULL), ROUTE_REFUSE);   /* not an image id */
}
END_TEST

Suite *suite_route(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("glance");
	tcase_add_test(tc, canonical_routes);
	tcase_add_test(tc, reads_and_other_routes_pass);
	tcase_add_test(tc, glance_normalisations_are_decided);
	tcase_add_test(tc, unsure_spellings_are_refused);
	tcase_add_test(tc, legacy_tasks_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
