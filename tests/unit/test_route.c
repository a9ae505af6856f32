/* route: the closed table of Glance v2 routes. What is in it is decided
 * or passed with a canonical path and query; everything else is refused
 * before Glance is asked. hdr: header hygiene and the allowlist. */
#include "unit.h"
#include "core/hdr.h"
#include "core/route.h"

static enum route_kind kind(const char *method, const char *target)
{
	struct route r;
	route_classify(method, target, &r);
	return r.kind;
}

static int refused_with(const char *method, const char *target)
{
	struct route r;
	route_classify(method, target, &r);
	ck_assert_msg(r.kind == ROUTE_REFUSE, "%s %s was not refused (%s)", method, target, route_name(r.kind));
	ck_assert_msg(r.why && r.why[0], "%s %s refused without a reason", method, target);
	ck_assert_str_eq(r.path, "");
	return r.status;
}

START_TEST(decided_routes)
{
	struct route r;
	ck_assert_int_eq(kind("POST", "/v2/images"), ROUTE_CREATE);
	ck_assert_int_eq(kind("PATCH", "/v2/images/0b5d-aa"), ROUTE_PATCH);
	ck_assert_int_eq(kind("PUT", "/v2/images/abc/file"), ROUTE_UPLOAD);
	ck_assert_int_eq(kind("PUT", "/v2/images/abc/stage"), ROUTE_STAGE);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/import"), ROUTE_IMPORT);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/actions/reactivate"), ROUTE_REACTIVATE);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/actions/deactivate"), ROUTE_DEACTIVATE);
	ck_assert_int_eq(kind("POST", "/v2/images/abc/members"), ROUTE_MEMBERS);     /* a member can use it */
	route_classify("PATCH", "/v2/images/6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16", &r);
	ck_assert_str_eq(r.image_id, "6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16");
	ck_assert_str_eq(r.path, "/v2/images/6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16");
	ck_assert_str_eq(r.pattern, "/images/{image}");
}
END_TEST

START_TEST(passed_routes)
{
	const char *pass[][2] = { { "GET", "/" }, { "GET", "/versions" }, { "GET", "/healthcheck" },
		{ "HEAD", "/healthcheck" }, { "GET", "/v2/images" },
		{ "HEAD", "/v2/images/abc" }, { "GET", "/v2/images/abc/file" }, { "DELETE", "/v2/images/abc" },
		{ "PUT", "/v2/images/abc/tags/t1" },
		{ "PUT", "/v2/images/abc/members/p1" },
		{ "GET", "/v2/schemas/image" }, { "GET", "/v2/tasks" }, { "GET", "/v2/info/import" },
		{ "GET", "/v2/metadefs/namespaces/OS%3A%3ACompute/objects" }, { "DELETE", "/v2/stores/s1/abc" },
		{ "OPTIONS", "/v2/images" }, { "HEAD", "/v2/images/abc/file" }, { "OPTIONS", "/v2/tasks" },
		{ "GET", "/v2/images/abc/members/p1" }, { "PUT", "/v2/cache/abc" } };
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		ck_assert_msg(kind(pass[i][0], pass[i][1]) == ROUTE_PASS, "%s %s", pass[i][0], pass[i][1]);
	/* a preflight or HEAD on a decided route changes nothing */
	ck_assert_int_eq(kind("OPTIONS", "/v2/images/abc/file"), ROUTE_PASS);
}
END_TEST

START_TEST(canonical_path_and_query)
{
	struct route r;
	route_classify("PUT", "/v2/images/abc/tags/a%20b%2e", &r);
	ck_assert_str_eq(r.path, "/v2/images/abc/tags/a%20b.");
	route_classify("GET", "/v2/images?limit=5&name=a+b&x&&sort_key=name%2Cid", &r);
	ck_assert_int_eq(r.kind, ROUTE_PASS);
	ck_assert_str_eq(r.path, "/v2/images");
	ck_assert_str_eq(r.query, "limit=5&name=a%20b&x=&sort_key=name%2Cid");
	route_classify("GET", "/v2/images?name=%C3%A9;x=y", &r);
	ck_assert_str_eq(r.query, "name=%C3%A9%3Bx%3Dy");
	route_classify("GET", "/", &r);
	ck_assert_str_eq(r.path, "/");
	route_classify("GET", "/healthcheck", &r);
	ck_assert_str_eq(r.path, "/healthcheck");   /* Glance's own, at its root */
	route_classify("POST", "/v2/images?", &r);
	ck_assert_int_eq(r.kind, ROUTE_CREATE);
	ck_assert_str_eq(r.query, "");
}
END_TEST

START_TEST(legacy_tasks_are_refused)
{
	ck_assert_int_eq(refused_with("POST", "/v2/tasks"), 403);
	ck_assert_int_ge(refused_with("POST", "//v2.1/tasks?x"), 400);
	ck_assert_int_eq(refused_with("POST", "/v2/Tasks"), 404);
}
END_TEST

START_TEST(spellings_are_refused)
{
	const char *bad[] = { "/v2/./images", "/v2/images/", "/v2//images", "/v2/x/../images", "/V2/images",
			      "/v2/Images", "/v2/IMAGES/abc/file", "/v2/images/abc/File", "http://h/v2/images", "*",
			      "/v2/images%00", "/v2/images/abc/./file", "/v2.x/images", "/v2./images", "//v2/images",
			      "/v2.1/images", "/v2/%69mages", "/%76%32/images", "/v2/images/abc%2Ffile",
			      "@127.0.0.1:9/x", "/v2/images#frag", "/v2/images?x#y", "/v2/images?_method=PATCH",
			      "/v2/images?%5Fmethod=PATCH", "/v2/images?a=1&_method=DELETE", "/v2/images;x",
			      "/v2/images?x=%ff", "/v2/images?x=%0a", "/v2/images%", "/v2/images?x=%g1",
			      "/v2/images/ab%2Fc/file", "/v2/images/a;b", "/v2/images/%2e%2e/file", "/v2/images x",
			      "/v2", "/v2/", "/v3/images", "/images", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m = strstr(bad[i], "file") ? "PUT" : "POST";
		int status = refused_with(m, bad[i]);
		ck_assert_msg(status >= 400 && status <= 414, "%s: status %d", bad[i], status);
	}
	/* reads are held to the same grammar */
	ck_assert_int_eq(refused_with("GET", "@127.0.0.1:9/x"), 400);
	ck_assert_int_eq(refused_with("GET", "/v2/images?_method=POST"), 400);
	ck_assert_int_eq(refused_with("GET", "/v2/images#x"), 400);
	ck_assert_int_eq(refused_with("GET", "/v2/nothing"), 404);
}
END_TEST

START_TEST(methods_outside_the_table)
{
	ck_assert_int_eq(refused_with("post", "/v2/images"), 405);
	ck_assert_int_eq(refused_with("Patch", "/v2/images/abc"), 405);
	ck_assert_int_eq(refused_with("PUT", "/v2/images"), 405);
	ck_assert_int_eq(refused_with("POST", "/v2/images/abc"), 405);
	ck_assert_int_eq(refused_with("GET", "/v2/images/abc/stage"), 405);
	ck_assert_int_eq(refused_with("HEAD", "/v2/images/abc/import"), 405);
	ck_assert_int_eq(refused_with("TRACE", "/v2/images"), 405);
	ck_assert_int_eq(refused_with("PATCH", "/v2/images/abc/file"), 405);
	ck_assert_int_eq(refused_with("PUT", "/v2/images/abc/import"), 405);
}
END_TEST

START_TEST(image_ids)
{
	ck_assert_int_eq(refused_with("PATCH", "/v2/images/a%3Bb"), 404);
	ck_assert_int_eq(refused_with("PATCH", "/v2/images/a%20b"), 404);
	ck_assert_int_eq(kind("PATCH", "/v2/images/%61bc"), ROUTE_PATCH);   /* a variable decodes once */
}
END_TEST

static int hdrs(const char *method, const char *const *fields, struct hdr_set *s)
{
	hdr_init(s);
	for (size_t i = 0; fields[i]; i += 2)
		if (hdr_add(s, fields[i], strlen(fields[i]), fields[i + 1], strlen(fields[i + 1])) < 0)
			return s->status;
	return hdr_finish(s, method) < 0 ? s->status : 0;
}

START_TEST(header_hygiene)
{
	struct hdr_set s;
	const char *ok[] = { "Host", "x:1", "x-auth-token", "tok", "content-type", " application/json ",
			     "Content-Length", "12", "X-Roles", "admin", "User-Agent", "u", NULL };
	ck_assert_int_eq(hdrs("POST", ok, &s), 0);
	ck_assert_int_eq(s.content_length, 12);
	ck_assert_int_eq((int)s.len[HDR_CONTENT_TYPE], 16);
	ck_assert(!strncmp(s.v[HDR_CONTENT_TYPE], "application/json", 16));
	ck_assert_ptr_nonnull(s.v[HDR_AUTH_TOKEN]);
	ck_assert_str_eq(hdr_name(HDR_AUTH_TOKEN), "X-Auth-Token");

	const char *const bad[][7] = {
		{ "Transfer_Encoding", "chunked", NULL },
		{ "X Y", "1", NULL },
		{ "Accept", "a\rContent-Type: x", NULL },
		{ "Accept", "a\nb", NULL },
		{ "Accept", "json", "accept", "", NULL },
		{ "Content-Type", "a", "Content-Type", "a", NULL },
		{ "X-Auth-Token", "a", "x-auth-token", "b", NULL },
		{ "Host", "a", "Host", "a", NULL },
		{ "Content-Length", "1", "Content-Length", "1", NULL },
		{ "Transfer-Encoding", "gzip, chunked", NULL },
		{ "Transfer-Encoding", "identity", NULL },
		{ "Content-Length", "4", "Transfer-Encoding", "chunked", NULL },
		{ "Content-Length", "-1", NULL },
		{ "Content-Length", "1 2", NULL },
		{ "Content-Encoding", "gzip", NULL },
		{ "Accept", "application/vnd.openstack.images-v2", NULL },
		{ "Host", "evil/x", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(hdrs("POST", bad[i], &s) >= 400, "case %zu (%s) passed", i, bad[i][0]);
	/* a NUL inside a value counts by length */
	hdr_init(&s);
	ck_assert_int_eq(hdr_add(&s, "Accept", 6, "a\0b", 3), -1);
}
END_TEST

START_TEST(bodies_and_methods)
{
	struct hdr_set s;
	const char *cl[] = { "Content-Length", "5", NULL };
	const char *cl0[] = { "Content-Length", "0", NULL };
	const char *te[] = { "Transfer-Encoding", "Chunked", NULL };
	const char *methods[] = { "GET", "HEAD", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(hdrs(methods[i], cl, &s), 400);
		ck_assert_int_eq(hdrs(methods[i], te, &s), 400);
		ck_assert_int_eq(hdrs(methods[i], cl0, &s), 0);     /* requests sends it on DELETE */
	}
	ck_assert_int_eq(hdrs("PUT", te, &s), 0);
	ck_assert(s.chunked && hdr_has_body(&s));
	const char *empty_accept[] = { "Accept", "", NULL };
	ck_assert_int_eq(hdrs("GET", empty_accept, &s), 0);
	ck_assert_ptr_null(s.v[HDR_ACCEPT]);
}
END_TEST

Suite *suite_route(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("glance");
	tcase_add_test(tc, decided_routes);
	tcase_add_test(tc, passed_routes);
	tcase_add_test(tc, canonical_path_and_query);
	tcase_add_test(tc, spellings_are_refused);
	tcase_add_test(tc, methods_outside_the_table);
	tcase_add_test(tc, image_ids);
	tcase_add_test(tc, legacy_tasks_are_refused);
	tcase_add_test(tc, header_hygiene);
	tcase_add_test(tc, bodies_and_methods);
	suite_add_tcase(s, tc);
	return s;
}
