/* Which releases the v2 presence rules ask for, by date. */
#include "unit.h"
#include "core/presence.h"

static void expect(const struct policy *p, size_t rule, const char *day, const char *latest, const char *previous)
{
	const struct release *l, *pr;
	presence_expected(&p->presence[rule], date_parse(day), &l, &pr);
	ck_assert_msg(latest ? l && !strcmp(l->version, latest) : !l, "%s latest: %s", day, l ? l->version : "none");
	ck_assert_msg(previous ? pr && !strcmp(pr->version, previous) : !pr, "%s previous: %s", day,
		      pr ? pr->version : "none");
}

START_TEST(ubuntu_lts_from_april_30)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	expect(p, 0, "2026-04-29", "24.04", "22.04");
	expect(p, 0, "2026-04-30", "26.04", "24.04");
	expect(p, 0, "2026-11-21", "26.04", "24.04");
	expect(p, 0, "2020-04-29", NULL, NULL);
	policy_free(p);
}
END_TEST

START_TEST(debian_one_month_after_release)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	expect(p, 1, "2025-09-08", "12", "11");     /* trixie 2025-08-09 + 1 month = 09-09 */
	expect(p, 1, "2025-09-09", "13", "12");
	ck_assert_int_eq(presence_effective(&p->presence[1], &p->distros[1].releases[3]), date_parse("2025-09-09"));
	policy_free(p);
}
END_TEST

Suite *suite_presence(void)
{
	Suite *s = suite_create("presence");
	TCase *tc = tcase_create("dates");
	tcase_add_test(tc, ubuntu_lts_from_april_30);
	tcase_add_test(tc, debian_one_month_after_release);
	suite_add_tcase(s, tc);
	return s;
}
