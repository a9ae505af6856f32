/* regex: the name patterns of the policy files (PCRE2), compiled once and
 * matched under limits, as Python's re.match would match them. */
#ifndef SCS_REGEX_H
#define SCS_REGEX_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct policy;
struct yconf;
struct ynode;

struct regex {
	char *pattern;
	pcre2_code *code;               /* compiled anchored (and end-anchored for full) */
};

/* The match context with the limits every match runs under; NULL when out of memory. */
pcre2_match_context *regex_context_new(void);
/* Compile the string node n (named what in errors) into re; full also
 * anchors the end. -1 with the error in y. */
int regex_compile(struct yconf *y, const struct ynode *n, const char *what, struct regex *re, int full);
void regex_free(struct regex *re);
/* Regex matching as Python's re.match: anchored at the start only.
 * Returns 1 match, 0 no match, -1 when the match limit was hit. */
int regex_match(const struct policy *p, const struct regex *re, const char *s, size_t len);
/* A match of s, and its capturing groups: span[i] = {start, end} (an
 * unset group is PCRE2_UNSET twice). The number of groups (at most max),
 * or -1 when s does not match or the limit was hit. */
int regex_groups(pcre2_match_context *ctx, const struct regex *re, const char *s, size_t len, size_t (*span)[2],
		 size_t max);

#endif
