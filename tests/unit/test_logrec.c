/* logrec and chain: a decision log's lines read back, filtered and
 * followed; a deletion, a change and a move each break the chain where
 * they happened. */
#include "unit.h"
#include "core/chain.h"
#include "core/logrec.h"

#include <stdio.h>
#include <string.h>

#define REC(time, decision, mode, rules) \
	"{\"time\":\"" time "\",\"decision_id\":\"d\",\"source\":\"proxy\",\"project_id\":\"p1\"," \
	"\"image\":{\"id\":\"i1\",\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\"},\"mode\":\"" mode "\"," \
	"\"decision\":\"" decision "\",\"violations\":[" rules "],\"latency_us\":3}"

static int parse(struct logrec_parser *p, const char *line, struct logrec *r, char *why)
{
	return logrec_parse(p, line, strlen(line), r, why, 256);
}

START_TEST(reads_fields)
{
	struct logrec_parser *p = logrec_parser_new();
	struct logrec r;
	char why[256];
	const char *line = REC("2026-11-30T12:00:15.268145Z", "warn", "warn",
			       "{\"rule\":\"scs-0104/source\",\"expected\":[]},{\"rule\":\"quota/images\",\"exempted\":true}");

	ck_assert_msg(parse(p, line, &r, why) == 0, "%s", why);
	ck_assert_str_eq(r.time, "2026-11-30T12:00:15.268145Z");
	ck_assert_str_eq(r.image_name, "Ubuntu 24.04");
	ck_assert_str_eq(r.project_id, "p1");
	ck_assert_uint_eq(r.n_rules, 2);
	ck_assert_uint_eq(r.n_open, 1);
	ck_assert_str_eq(r.rules[1], "quota/images");
	ck_assert_int_eq(r.rule_exempted[1], 1);
	ck_assert_int_eq(r.has_seq, 0);
	ck_assert_int_eq(logrec_would_refuse(&r), 1);
	logrec_parser_free(p);
}
END_TEST

START_TEST(refuses_what_is_no_record)
{
	static const char *const bad[] = {
		"", "[]", "42", "{\"time\":\"t\"}", "{\"time\":\"t\",\"decision\":\"allow\"", "{\"time\":\"t\",\"decision\":1}",
		"{\"time\":\"t\",\"decision\":\"allow\"}{}", "{\"time\":\"t\",\"decision\":\"allow\",\"seq\":-1}",
		"{\"time\":\"t\",\"decision\":\"allow\",\"violations\":[{\"spec\":\"x\"}]}", "not json",
	};
	struct logrec_parser *p = logrec_parser_new();
	struct logrec r;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(parse(p, bad[i], &r, why) < 0, "accepted: %s", bad[i]);
		ck_assert_msg(why[0], "no reason for: %s", bad[i]);
	}
	/* and a good line after bad ones */
	ck_assert_msg(parse(p, REC("2026-11-30T12:00:15.268145Z", "allow", "enforce", ""), &r, why) == 0, "%s", why);
	logrec_parser_free(p);
}
END_TEST

START_TEST(filters)
{
	struct logrec_parser *p = logrec_parser_new();
	struct logrec r;
	struct logrec_filter f = { 0 };
	char why[256];

	ck_assert(parse(p, REC("2026-11-30T12:00:15.268145Z", "deny", "enforce", "{\"rule\":\"scs-0104/source\"}"), &r,
			why) == 0);
	ck_assert(logrec_match(&f, &r));
	f.rule = "scs-0104/*";
	ck_assert(logrec_match(&f, &r));
	f.rule = "quota/*";
	ck_assert(!logrec_match(&f, &r));
	f.rule = NULL;
	f.image = "Ubuntu*";
	ck_assert(logrec_match(&f, &r));
	f.image = "i1";
	ck_assert(logrec_match(&f, &r));
	ck_assert_int_eq(logrec_time_bound("2026-11-30", 1, f.until), 0);
	ck_assert_str_eq(f.until, "2026-11-30T23:59:59.999999Z");
	ck_assert(logrec_match(&f, &r));
	ck_assert_int_eq(logrec_time_bound("2026-11-30T12:00Z", 0, f.since), 0);
	ck_assert_str_eq(f.since, "2026-11-30T12:00:00.000000Z");
	ck_assert(logrec_match(&f, &r));
	ck_assert_int_eq(logrec_time_bound("2026-11-30T12:01", 0, f.since), 0);
	ck_assert(!logrec_match(&f, &r));
	ck_assert_int_eq(logrec_time_bound("yesterday", 0, f.since), -1);
	ck_assert_int_eq(logrec_time_bound("2026-11-30T1", 0, f.since), -1);
	f.since[0] = '\0';
	f.decision = "allow";
	ck_assert(!logrec_match(&f, &r));
	logrec_parser_free(p);
}
END_TEST

/* A log of n chained lines, as log.c writes them. */
static size_t make_log(char lines[][512], size_t n)
{
	char prev[CHAIN_HEX], suffix[CHAIN_SUFFIX_MAX];
	const char *body = REC("2026-11-30T12:00:15.268145Z", "allow", "enforce", "");

	for (size_t i = 0; i < n; i++) {
		chain_suffix(i + 1, i ? prev : NULL, suffix);
		snprintf(lines[i], 512, "%.*s%.*s", (int)strlen(body) - 1, body, (int)strlen(suffix) - 1, suffix);
		chain_hash(lines[i], strlen(lines[i]), prev);
	}
	return n;
}

/* Follow lines in the order given; the index of the first break, or -1. */
static int first_break(char lines[][512], const int *order, size_t n)
{
	struct logrec_parser *p = logrec_parser_new();
	struct chain_follow c = { 0 };
	struct logrec r;
	char why[256];
	int at = -1;

	for (size_t i = 0; i < n && at < 0; i++) {
		const char *l = lines[order[i]];
		int ok = logrec_parse(p, l, strlen(l), &r, why, sizeof(why)) == 0;
		if (chain_step(&c, ok ? &r : NULL, l, strlen(l), why, sizeof(why)) == CHAIN_BROKEN)
			at = (int)i;
	}
	logrec_parser_free(p);
	return at;
}

START_TEST(chain_breaks_where_tampered)
{
	char lines[5][512];
	make_log(lines, 5);

	ck_assert_int_eq(first_break(lines, (int[]){ 0, 1, 2, 3, 4 }, 5), -1);
	ck_assert_int_eq(first_break(lines, (int[]){ 1, 2, 3, 4 }, 4), -1);        /* older files not given */
	ck_assert_int_eq(first_break(lines, (int[]){ 0, 1, 3, 4 }, 4), 2);         /* deleted */
	ck_assert_int_eq(first_break(lines, (int[]){ 0, 2, 1, 3, 4 }, 5), 1);      /* moved */
	lines[2][20] ^= 1;                                                      /* changed */
	ck_assert_int_eq(first_break(lines, (int[]){ 0, 1, 2, 3, 4 }, 5), 3);
}
END_TEST

Suite *suite_logrec(void)
{
	Suite *s = suite_create("logrec");
	TCase *tc = tcase_create("logrec");
	tcase_add_test(tc, reads_fields);
	tcase_add_test(tc, refuses_what_is_no_record);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, chain_breaks_where_tampered);
	suite_add_tcase(s, tc);
	return s;
}
