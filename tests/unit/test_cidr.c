/* cidr: trusted fronts as ranges, and the client address a trusted
 * front's X-Forwarded-For names (the rightmost that is not a front). */
#include "unit.h"
#include "core/cidr.h"

#include <string.h>

START_TEST(ranges)
{
	struct cidr r[3];
	ck_assert_int_eq(cidr_parse("10.0.0.0/8", &r[0]), 0);
	ck_assert_int_eq(cidr_parse("2001:db8::/32", &r[1]), 0);
	ck_assert_int_eq(cidr_parse("192.0.2.7", &r[2]), 0);
	ck_assert(cidr_any(r, 3, "10.200.3.4"));
	ck_assert(!cidr_any(r, 3, "11.0.0.1"));
	ck_assert(cidr_any(r, 3, "2001:db8:ffff::1"));
	ck_assert(!cidr_any(r, 3, "2001:db9::1"));
	ck_assert(cidr_any(r, 3, "192.0.2.7"));
	ck_assert(!cidr_any(r, 3, "192.0.2.8"));
	ck_assert(cidr_any(r, 3, "::ffff:10.1.2.3"));         /* IPv4-mapped: as IPv4 */
	ck_assert(!cidr_any(r, 3, "not-an-address"));
	ck_assert_int_eq(cidr_parse("10.0.0.0/33", &r[0]), -1);
	ck_assert_int_eq(cidr_parse("10.0.0.0/", &r[0]), -1);
	ck_assert_int_eq(cidr_parse("example.org", &r[0]), -1);
	ck_assert_int_eq(cidr_parse("10.0.0.0/+8", &r[0]), -1);
}
END_TEST

static const char *client(const struct cidr *f, size_t n, const char *peer, const char *xff)
{
	static char out[64];
	cidr_client(f, n, peer, xff, xff ? strlen(xff) : 0, out, sizeof(out));
	return out;
}

START_TEST(client_address)
{
	struct cidr f[2];
	cidr_parse("127.0.0.1", &f[0]);
	cidr_parse("192.0.2.0/24", &f[1]);
	ck_assert_str_eq(client(f, 2, "198.51.100.1", "203.0.113.7"), "198.51.100.1");  /* untrusted peer */
	ck_assert_str_eq(client(f, 2, "127.0.0.1", NULL), "127.0.0.1");
	ck_assert_str_eq(client(f, 2, "127.0.0.1", "198.51.100.9, 203.0.113.7"), "203.0.113.7");
	ck_assert_str_eq(client(f, 2, "127.0.0.1", "203.0.113.7, 192.0.2.44 "), "203.0.113.7");
	ck_assert_str_eq(client(f, 2, "127.0.0.1", "junk, 192.0.2.44"), "192.0.2.44");   /* walk ends at junk */
	ck_assert_str_eq(client(f, 2, "127.0.0.1", "2001:db8::5"), "2001:db8::5");
}
END_TEST

Suite *suite_cidr(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("fronts");
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, client_address);
	suite_add_tcase(s, tc);
	return s;
}
