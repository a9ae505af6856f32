/* accept: the shape of an error answer is the one webob 1.8 (Glance's)
 * gives for the same Accept (the table was read off webob's
 * acceptable_offers on Debian's python3-webob). */
#include "unit.h"
#include "core/accept.h"

#include <string.h>

START_TEST(as_webob_chooses)
{
	static const struct {
		const char *accept;
		enum accept_shape want;
	} cases[] = {
		{ NULL, ACCEPT_HTML },
		{ "", ACCEPT_PLAIN },
		{ "*/*", ACCEPT_HTML },                        /* glanceclient, curl */
		{ "application/json", ACCEPT_JSON },           /* openstacksdk, gophercloud */
		{ "text/plain", ACCEPT_PLAIN },
		{ "text/html", ACCEPT_HTML },
		{ "application/json, text/plain;q=0.5", ACCEPT_JSON },
		{ "text/*", ACCEPT_HTML },
		{ "application/*", ACCEPT_JSON },
		{ "garbage;;;", ACCEPT_HTML },                 /* invalid: as none */
		{ "application/json;q=0", ACCEPT_PLAIN },
		{ "text/html;q=0.5, application/json", ACCEPT_JSON },
		{ "*/*;q=0.1, application/json", ACCEPT_JSON },
		{ "image/png", ACCEPT_PLAIN },
		{ "*/*;q=0.5, text/html;q=0", ACCEPT_JSON },
		{ "APPLICATION/JSON ; charset=\"utf-8\"", ACCEPT_PLAIN },
		{ "application/json;q=1;foo=bar", ACCEPT_JSON },
		{ "application/json ;q=0.5", ACCEPT_JSON },
		{ "application/json;q=1.5", ACCEPT_HTML },     /* not a qvalue: invalid */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a = cases[i].accept;
		ck_assert_msg(accept_shape(a, a ? strlen(a) : 0) == cases[i].want, "Accept: %s", a ? a : "(none)");
	}
}
END_TEST

Suite *suite_accept(void)
{
	Suite *s = suite_create("accept");
	TCase *tc = tcase_create("webob");
	tcase_add_test(tc, as_webob_chooses);
	suite_add_tcase(s, tc);
	return s;
}
