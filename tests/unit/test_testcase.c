/* The SCS testcase ids a policy defines (audit --format scs), pinned for
 * the upstream spec files and our v2 rules: the compliance runner matches
 * these names, so a change here breaks certificates. */
#include "unit.h"
#include "core/presence.h"
#include "core/testcase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[8192];
static size_t n_out;

static void put(const char *id)
{
	n_out += (size_t)snprintf(out + n_out, sizeof(out) - n_out, "%s%s", n_out ? " " : "", id);
}

/* Every id of p on day, space-separated, in audit's order: v1 source and
 * image lines, v2 source lines, v2 presence lines. */
static const char *ids(const struct policy *p, const char *day)
{
	char id[192], x[128];

	out[0] = '\0';
	n_out = 0;
	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_source(&p->entries[k], id, sizeof(id));
		put(id);
	}
	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_image(&p->entries[k], id, sizeof(id));
		put(id);
	}
	for (size_t k = 0; k < p->n_rules; k++) {
		testcase_v2_source(&p->rules[k], id, sizeof(id));
		put(id);
	}
	for (size_t k = 0; k < p->n_presence; k++) {
		const struct presence_rule *r = &p->presence[k];
		const struct release *rel[2] = { NULL, NULL };
		if (r->distro)
			presence_expected(r, date_parse(day), &rel[0], &rel[1]);
		for (int i = 0; i < (r->distro ? 2 : 1); i++) {
			if (r->distro && !rel[i])
				continue;
			testcase_presence(r, k, rel[i], x, sizeof(x));
			testcase_presence_line(x, id, sizeof(id));
			put(id);
		}
	}
	return out;
}

static void pin(const char *file, int is_upstream, const char *day, const char *want)
{
	struct policy *p = load_specs(is_upstream ? upstream(file) : ours(file), NULL);
	ck_assert_msg(!strcmp(ids(p, day), want), "%s on %s:\n%s", file, day, out);
	policy_free(p);
}

START_TEST(upstream_v1_files)
{
	pin("scs-0104-v1-images.yaml", 1, "2026-11-21",
	    "scs-0104-source-ubuntu-2204 scs-0104-source-ubuntu-capi-image "
	    "scs-0104-source-ubuntu-2004 scs-0104-source-debian-12 "
	    "scs-0104-source-debian-11 scs-0104-source-debian-10 "
	    "scs-0104-image-ubuntu-2204 scs-0104-image-ubuntu-capi-image "
	    "scs-0104-image-ubuntu-2004 scs-0104-image-debian-12 scs-0104-image-debian-11 "
	    "scs-0104-image-debian-10");
	pin("scs-0104-v1-images-v5.yaml", 1, "2026-11-21",
	    "scs-0104-source-ubuntu-2404 scs-0104-source-debian-12 "
	    "scs-0104-source-ubuntu-capi-image scs-0104-source-ubuntu-2204 "
	    "scs-0104-source-ubuntu-2004 scs-0104-source-debian-11 "
	    "scs-0104-source-debian-10 scs-0104-image-ubuntu-2404 scs-0104-image-debian-12 "
	    "scs-0104-image-ubuntu-capi-image scs-0104-image-ubuntu-2204 "
	    "scs-0104-image-ubuntu-2004 scs-0104-image-debian-11 scs-0104-image-debian-10");
}
END_TEST

START_TEST(official_testcases)
{
	pin("scs-0104-testcases.yaml", 0, "2026-11-21",
	    "scs-0104-source-capi-1 scs-0104-source-capi-2 scs-0104-source-ubuntu-2404 "
	    "scs-0104-source-ubuntu-2204 scs-0104-source-ubuntu-2004 "
	    "scs-0104-source-debian-13 scs-0104-source-debian-12 scs-0104-source-debian-11 "
	    "scs-0104-source-debian-10 scs-0104-image-capi-1 scs-0104-image-capi-2 "
	    "scs-0104-image-ubuntu-2404 scs-0104-image-ubuntu-2204 "
	    "scs-0104-image-ubuntu-2004 scs-0104-image-debian-13 scs-0104-image-debian-12 "
	    "scs-0104-image-debian-11 scs-0104-image-debian-10");
}
END_TEST

/* The day the latest Ubuntu LTS starts to count (April 30) changes the ids. */
START_TEST(v2_rules_by_day)
{
	pin("scs-0104-v2-images.yaml", 0, "2026-04-29",
	    "scs-0104-v2-source-ubuntu-generic scs-0104-v2-source-debian-generic "
	    "scs-0104-v2-source-ubuntu-capi-image scs-0104-v2-image-ubuntu-2404 "
	    "scs-0104-v2-image-ubuntu-2204 scs-0104-v2-image-debian-13 "
	    "scs-0104-v2-image-debian-12 scs-0104-v2-image-named-3");
	pin("scs-0104-v2-images.yaml", 0, "2026-11-21",
	    "scs-0104-v2-source-ubuntu-generic scs-0104-v2-source-debian-generic "
	    "scs-0104-v2-source-ubuntu-capi-image scs-0104-v2-image-ubuntu-2604 "
	    "scs-0104-v2-image-ubuntu-2404 scs-0104-v2-image-debian-13 "
	    "scs-0104-v2-image-debian-12 scs-0104-v2-image-named-3");
}
END_TEST

START_TEST(derived_from_name)
{
	static const char *const cases[][2] = {
		{ "Ubuntu 24.04", "ubuntu-2404" }, { "Debian 12", "debian-12" },
		{ "ubuntu-capi-image", "ubuntu-capi-image" }, { "openSUSE Leap 15.6", "opensuse-leap-156" },
		{ "A_b/c", "a-b-c" }, { "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *id = testcase_from_name(cases[i][0]);
		ck_assert_str_eq(id, cases[i][1]);
		free(id);
	}
}
END_TEST

Suite *suite_testcase(void)
{
	Suite *s = suite_create("testcase");
	TCase *tc = tcase_create("ids");
	tcase_add_test(tc, upstream_v1_files);
	tcase_add_test(tc, official_testcases);
	tcase_add_test(tc, v2_rules_by_day);
	tcase_add_test(tc, derived_from_name);
	suite_add_tcase(s, tc);
	return s;
}
