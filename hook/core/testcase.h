/* testcase: the ids of the SCS-0104 testcases a policy defines, as the
 * official test and the SCS compliance runner name them (audit --format
 * scs prints one line per id). Pure. */
#ifndef SCS_TESTCASE_H
#define SCS_TESTCASE_H

#include <stddef.h>

#include "core/policy.h"

/* A v1 entry's id from its name, as upstream derives it ("Ubuntu 24.04"
 * is "ubuntu-2404"); allocated. */
char *testcase_from_name(const char *name);

/* The lines of a v1 entry: "scs-0104-source-ID" (its images' sources)
 * and "scs-0104-image-ID" (one is present). */
void testcase_source(const struct spec_entry *e, char *buf, size_t len);
void testcase_image(const struct spec_entry *e, char *buf, size_t len);

/* The line of a v2 rule's sources: "scs-0104-v2-source-RULE". */
void testcase_v2_source(const struct v2_rule *r, char *buf, size_t len);

/* A v2 presence expectation, as text and json name it: "v2-image-named-N"
 * for the rule at index k without a distro (rel NULL), else
 * "v2-image-DISTRO-VERSION" with the version's dots dropped (24.04: 2404). */
void testcase_presence(const struct presence_rule *r, size_t k, const struct release *rel, char *buf, size_t len);

/* Its line: "scs-0104-" and the expectation's id. */
void testcase_presence_line(const char *id, char *buf, size_t len);

#endif
