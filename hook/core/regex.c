/* regex: the name patterns of the policy files (PCRE2), compiled once and
 * matched under limits, as Python's re.match would match them. */
#include "core/regex.h"
#include "core/policy.h"
#include "core/yconf.h"

#include <pthread.h>
#include <stdlib.h>

/* Bounds for a regex evaluated on untrusted names: a catastrophic pattern
 * costs at most this much, then the match reports "limit" and the caller
 * fails closed. */
#define REGEX_MATCH_LIMIT 200000
#define REGEX_DEPTH_LIMIT 5000

pcre2_match_context *regex_context_new(void)
{
	pcre2_match_context *mctx = pcre2_match_context_create(NULL);
	if (mctx) {
		pcre2_set_match_limit(mctx, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(mctx, REGEX_DEPTH_LIMIT);
	}
	return mctx;
}

/* Python's re module treats str patterns as Unicode (\d, \w match any
 * script): UTF + UCP makes PCRE2 match at least what re.match matches, so
 * every name the SCS test would check is checked here too. */
int regex_compile(struct yconf *y, const struct ynode *n, const char *what, struct regex *re, int full)
{
	int errcode;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | (full ? PCRE2_ENDANCHORED : 0);

	if (yc_string(y, n, what, &re->pattern) < 0)
		return -1;
	re->code = pcre2_compile((PCRE2_SPTR)re->pattern, PCRE2_ZERO_TERMINATED, opts, &errcode,
				 &off, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return yc_fail(y, n, "%s '%s' is not a valid regex: %s at offset %zu", what, re->pattern,
			     (const char *)msg, (size_t)off);
	}
	/* JIT is a speed-up only; without it the interpreter obeys the same limits. */
	pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	return 0;
}

void regex_free(struct regex *re)
{
	pcre2_code_free(re->code);
	free(re->pattern);
}

/* Match data per thread, freed when the thread ends (the proxy runs a
 * thread per connection). */
static pthread_key_t mdata_key;
static pthread_once_t mdata_once = PTHREAD_ONCE_INIT;

static void mdata_free(void *md)
{
	pcre2_match_data_free(md);
}

static void mdata_init(void)
{
	pthread_key_create(&mdata_key, mdata_free);
}

int regex_match(const struct policy *p, const struct regex *re, const char *s, size_t len)
{
	pthread_once(&mdata_once, mdata_init);
	pcre2_match_data *md = pthread_getspecific(mdata_key);
	if (!md) {
		md = pcre2_match_data_create(1, NULL);
		if (!md || pthread_setspecific(mdata_key, md)) {
			pcre2_match_data_free(md);
			return -1;
		}
	}
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, p->mctx);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int regex_groups(pcre2_match_context *ctx, const struct regex *re, const char *s, size_t len, size_t (*span)[2],
		 size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	int n = -1;

	if (!md)
		return -1;
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, ctx);
	if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		n = 0;
		for (int g = 1; g < rc && (size_t)n < max; g++, n++) {
			span[n][0] = ov[2 * g];
			span[n][1] = ov[2 * g + 1];
		}
	}
	pcre2_match_data_free(md);
	return n;
}
