#include "unit.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *upstream(const char *file)
{
	static char path[4][512];
	static int i;
	const char *dir = getenv("SCS_SPEC_DIR") ? getenv("SCS_SPEC_DIR") : "policy";
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, file);
	return path[i];
}

const char *ours(const char *file)
{
	static char path[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "policy/%s", file);
	return path[i];
}

struct policy *load_specs(const char *first, ...)
{
	struct policy *p = policy_new();
	char err[1024];
	va_list ap;

	va_start(ap, first);
	for (const char *f = first; f; f = va_arg(ap, const char *))
		ck_assert_msg(policy_load_spec(p, f, err, sizeof(err)) == 0, "%s", err);
	va_end(ap);
	ck_assert_msg(policy_finish(p, err, sizeof(err)) == 0, "%s", err);
	return p;
}

const char *tmp_file(const char *text)
{
	static char path[4][64];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "/tmp/scs-unit-XXXXXX");
	int fd = mkstemp(path[i]);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path[i];
}

char mirror[64];

void mirror_build(void)
{
	char cmd[256];
	snprintf(mirror, sizeof(mirror), "/tmp/scs-unit-mirror-XXXXXX");
	ck_assert(mkdtemp(mirror));
	snprintf(cmd, sizeof(cmd), "tests/origin/mkmirror %s 65536 >/dev/null", mirror);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

void mirror_remove(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", mirror);
	ck_assert_int_eq(system(cmd), 0);
}

char *mirror_file(const char *rel, size_t *len)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/%s", mirror, rel);
	char *s = file_read(path, 8u << 20, len, err, sizeof(err));
	ck_assert_msg(s, "%s", err);
	return s;
}

int load_text(const char *text, int is_config, char *err, size_t errlen)
{
	struct policy *p = policy_new();
	const char *path = tmp_file(text);
	int rc = is_config ? opconf_load(path, 0, p, NULL, err, errlen) : policy_load_spec(p, path, err, errlen);
	if (rc == 0)
		rc = policy_finish(p, err, errlen);
	unlink(path);
	policy_free(p);
	return rc;
}

struct decision decide_json(const struct policy *p, const char *json, struct image *img)
{
	struct decision d;
	struct caller who = { 0 };
	char err[256];

	ck_assert_msg(image_parse(img, json, strlen(json), err, sizeof(err)) == 0, "%s: %s", json, err);
	who.project_id = img->owner;
	decide(p, img, &who, date_parse("2026-11-21"), &d);
	return d;
}

int main(void)
{
	SRunner *sr = srunner_create(suite_policy());
	srunner_add_suite(sr, suite_decide());
	srunner_add_suite(sr, suite_image());
	srunner_add_suite(sr, suite_jsonw());
	srunner_add_suite(sr, suite_presence());
	srunner_add_suite(sr, suite_clouds());
	srunner_add_suite(sr, suite_route());
	srunner_add_suite(sr, suite_patch());
	srunner_add_suite(sr, suite_tokens());
	srunner_add_suite(sr, suite_accept());
	srunner_add_suite(sr, suite_cidr());
	srunner_add_suite(sr, suite_config());
	srunner_add_suite(sr, suite_quota());
	srunner_add_suite(sr, suite_usage());
	srunner_add_suite(sr, suite_uri());
	srunner_add_suite(sr, suite_import());
	srunner_add_suite(sr, suite_property());
	srunner_add_suite(sr, suite_sums());
	srunner_add_suite(sr, suite_origins());
	srunner_add_suite(sr, suite_pgp());
	srunner_add_suite(sr, suite_meta());
	srunner_add_suite(sr, suite_testcase());
	srunner_add_suite(sr, suite_tail());
	srunner_add_suite(sr, suite_vendor());
	srunner_add_suite(sr, suite_cleartext());
	srunner_add_suite(sr, suite_proof());
	srunner_add_suite(sr, suite_present());
	srunner_add_suite(sr, suite_logrec());
	srunner_add_suite(sr, suite_builds());
	/* last: the clouds target sets HOME and OS_* for the rest of a CK_FORK=no run */
	srunner_add_suite(sr, suite_fuzz());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
