/* Fuzz target: a decision log's line read back (logrec) and followed as
 * a chain. Whatever the line, the parser answers a record or says why;
 * a record's strings hold no NUL before their end and its rules are the
 * ones it counted; the filters and the chain step take any record. The
 * input is split at newlines, so one input is a small log. */
#include "fuzz.h"
#include "core/chain.h"
#include "core/logrec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void one_line(struct logrec_parser *p, struct chain_follow *c, const char *line, size_t len)
{
	struct logrec r;
	char why[256] = "", whyc[256];
	struct logrec_filter f = { .rule = "scs-0104/*", .image = "*", .project = "?*" };

	if (logrec_parse(p, line, len, &r, why, sizeof(why)) < 0) {
		FUZZ_CHECK_ERR(why);
		chain_step(c, NULL, line, len, whyc, sizeof(whyc));
		return;
	}
	FUZZ_CHECK(r.time && r.decision, "a record without time or decision was accepted");
	FUZZ_CHECK(r.n_open <= r.n_rules, "more open violations than violations");
	for (size_t i = 0; i < r.n_rules && i < LOGREC_MAX_RULES; i++)
		FUZZ_CHECK(r.rules[i], "rule %zu missing", i);
	logrec_match(&f, &r);
	logrec_would_refuse(&r);
	if (chain_step(c, &r, line, len, whyc, sizeof(whyc)) == CHAIN_BROKEN)
		FUZZ_CHECK_ERR(whyc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logrec_parser *p = logrec_parser_new();
	struct chain_follow c = { 0 };
	const char *s = (const char *)data, *end = s + size;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		/* an exact copy: a read past the line is a read past an allocation */
		char *line = malloc(len ? len : 1);
		memcpy(line, s, len);
		one_line(p, &c, line, len);
		free(line);
		s += len + 1;
	}
	logrec_parser_free(p);
	return 0;
}
