/* Shared helpers of the unit tests (Check). */
#ifndef SCS_UNIT_H
#define SCS_UNIT_H

#include <check.h>

#include "core/decide.h"
#include "core/image.h"
#include "io/opconf.h"
#include "core/policy.h"

Suite *suite_policy(void);
Suite *suite_decide(void);
Suite *suite_image(void);
Suite *suite_jsonw(void);
Suite *suite_presence(void);
Suite *suite_clouds(void);
Suite *suite_route(void);
Suite *suite_patch(void);
Suite *suite_tokens(void);
Suite *suite_accept(void);
Suite *suite_cidr(void);
Suite *suite_config(void);
Suite *suite_quota(void);
Suite *suite_usage(void);
Suite *suite_uri(void);
Suite *suite_import(void);
Suite *suite_fuzz(void);
Suite *suite_cleartext(void);
Suite *suite_property(void);
Suite *suite_sums(void);
Suite *suite_origins(void);
Suite *suite_pgp(void);
Suite *suite_meta(void);
Suite *suite_testcase(void);
Suite *suite_tail(void);
Suite *suite_vendor(void);
Suite *suite_proof(void);
Suite *suite_present(void);
Suite *suite_logrec(void);
Suite *suite_builds(void);

/* Upstream SCS files (their byte-identical copies in policy/) and our own policy files. */
const char *upstream(const char *file);
const char *ours(const char *file);

/* Load spec files into a finished policy; fails the test on error. */
struct policy *load_specs(const char *first, ...);
/* Write text to a temporary file and return its path (static buffer). */
const char *tmp_file(const char *text);
/* Load text as a spec (or config when is_config): 0 or -1 with err. */
int load_text(const char *text, int is_config, char *err, size_t errlen);

/* A vendor mirror (tests/origin/mkmirror, 64 KiB images) in mirror[]:
 * built by a suite's unchecked fixture, removed after it. */
extern char mirror[64];
void mirror_build(void);
void mirror_remove(void);
/* A file of the mirror, whole (fails the test when it cannot be read). */
char *mirror_file(const char *rel, size_t *len);

/* Decide one image given as JSON; the image is kept for inspection. */
struct decision decide_json(const struct policy *p, const char *json, struct image *img);

#endif
