/* The fuzz targets' seed corpus and every input a fuzzer once crashed on
 * (tests/fuzz/regressions), replayed through the targets' own entry
 * points: `make check` covers them without clang, and a fix that is
 * undone fails here. The targets abort on a broken invariant. */
#include "unit.h"
#include "core/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerInitialize fuzz_policy_init
#define LLVMFuzzerTestOneInput fuzz_policy_one
#include "../fuzz/fuzz_policy.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_image_init
#define LLVMFuzzerTestOneInput fuzz_image_one
#include "../fuzz/fuzz_image.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_patch_init
#define LLVMFuzzerTestOneInput fuzz_patch_one
#include "../fuzz/fuzz_patch.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_clouds_init
#define LLVMFuzzerTestOneInput fuzz_clouds_one
#include "../fuzz/fuzz_clouds.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_route_init
#define LLVMFuzzerTestOneInput fuzz_route_one
#include "../fuzz/fuzz_route.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_usage_init
#define LLVMFuzzerTestOneInput fuzz_usage_one
#include "../fuzz/fuzz_usage.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_uri_init
#define LLVMFuzzerTestOneInput fuzz_uri_one
#include "../fuzz/fuzz_uri.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_sums_init
#define LLVMFuzzerTestOneInput fuzz_sums_one
#include "../fuzz/fuzz_sums.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_origins_init
#define LLVMFuzzerTestOneInput fuzz_origins_one
#include "../fuzz/fuzz_origins.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_proof_init
#define LLVMFuzzerTestOneInput fuzz_proof_one
#include "../fuzz/fuzz_proof.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_logrec_init
#define LLVMFuzzerTestOneInput fuzz_logrec_one
#include "../fuzz/fuzz_logrec.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_builds_init
#define LLVMFuzzerTestOneInput fuzz_builds_one
#include "../fuzz/fuzz_builds.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_cleartext_init
#define LLVMFuzzerTestOneInput fuzz_cleartext_one
#include "../fuzz/fuzz_cleartext.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_dirindex_init
#define LLVMFuzzerTestOneInput fuzz_dirindex_one
#include "../fuzz/fuzz_dirindex.c"
#undef LLVMFuzzerInitialize
#undef LLVMFuzzerTestOneInput

struct target {
	const char *name;
	int (*init)(int *, char ***);
	int (*one)(const uint8_t *, size_t);
};

static const struct target targets[] = {
	{ "policy", fuzz_policy_init, fuzz_policy_one },
	{ "image", fuzz_image_init, fuzz_image_one },
	{ "patch", fuzz_patch_init, fuzz_patch_one },
	{ "clouds", fuzz_clouds_init, fuzz_clouds_one },
	{ "usage", fuzz_usage_init, fuzz_usage_one },
	{ "uri", fuzz_uri_init, fuzz_uri_one },
	{ "route", fuzz_route_init, fuzz_route_one },
	{ "sums", fuzz_sums_init, fuzz_sums_one },
	{ "origins", fuzz_origins_init, fuzz_origins_one },
	{ "proof", fuzz_proof_init, fuzz_proof_one },
	{ "logrec", fuzz_logrec_init, fuzz_logrec_one },
	{ "builds", fuzz_builds_init, fuzz_builds_one },
	{ "cleartext", fuzz_cleartext_init, fuzz_cleartext_one },
	{ "dirindex", fuzz_dirindex_init, fuzz_dirindex_one },
};

/* Run every file of dir through t; the number run (0 when dir is absent). */
static size_t replay_dir(const struct target *t, const char *dir)
{
	char path[512], err[256];
	size_t count = 0, len;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *data = file_read(path, 1 << 20, &len, err, sizeof(err));
		ck_assert_msg(data, "%s", err);
		/* an exact copy, so a read past the input is a read past an allocation */
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, data, len);
		free(data);
		t->one(exact, len);
		free(exact);
		count++;
	}
	closedir(d);
	return count;
}

START_TEST(corpus_and_regressions_replay)
{
	const struct target *t = &targets[_i];
	char dir[128];
	int argc = 0;
	char **argv = NULL;

	t->init(&argc, &argv);
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", t->name);
	ck_assert_msg(replay_dir(t, dir) > 0, "no seed corpus in %s", dir);
	snprintf(dir, sizeof(dir), "tests/fuzz/regressions/%s", t->name);
	replay_dir(t, dir);
}
END_TEST

Suite *suite_fuzz(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, corpus_and_regressions_replay, 0, (int)(sizeof(targets) / sizeof(targets[0])));
	suite_add_tcase(s, tc);
	return s;
}
