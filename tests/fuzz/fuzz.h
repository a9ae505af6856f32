/* Shared by the fuzz targets (libFuzzer) and by tests/unit/test_fuzz.c,
 * which replays the seed corpus and every regression input through the
 * same entry points, so a plain `make check` covers them too. */
#ifndef SCS_FUZZ_H
#define SCS_FUZZ_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/decide.h"
#include "core/image.h"
#include "io/opconf.h"
#include "core/policy.h"
#include "core/record.h"

#ifndef FUZZ_POLICY_DIR
#define FUZZ_POLICY_DIR "policy"    /* the unit tests run from the repository root */
#endif

/* An invariant broke: abort, so libFuzzer keeps the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz invariant broken (%s:%d): ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* err buffers are filled by the core: a message must be there and end in NUL. */
#define FUZZ_CHECK_ERR(err) FUZZ_CHECK((err)[0] && memchr((err), '\0', sizeof(err)), "failure without a message")

/* A private directory for inputs the core only reads from files (policy,
 * clouds.yaml). A memfd's /proc/self/fd path would let a config's relative
 * `policy: 1` open the harness's own stdout. */
static inline const char *fuzz_dir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(dir, sizeof(dir), "%s/scs-fuzz-XXXXXX", tmp);
		FUZZ_CHECK(mkdtemp(dir), "mkdtemp %s", dir);
	}
	return dir;
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f, "cannot write %s", path);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "short write to %s", path);
}

/* A record must be one line of valid JSON whatever the image holds. */
static inline void fuzz_check_record(struct recorder *rec, const struct policy *p, const struct image *img,
			      const struct decision *d)
{
	struct caller who = { .project_id = img->owner };
	struct record_ctx ctx = { .source = "check", .who = &who, .policy = p, .decision_id = "fuzz",
				  .request_id = "req-fuzz", .method = "PATCH", .path = "/v2/images/x" };
	const char *line;
	size_t len;
	json_error_t jerr;

	FUZZ_CHECK(recorder_render(rec, &ctx, img, d, &line, &len) == 0, "record not rendered");
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n' && memchr(line, '\n', len) == line + len - 1,
		   "record is not exactly one line");
	FUZZ_CHECK(!memmem(line, len, "\xe2\x80\xa8", 3) && !memmem(line, len, "\xe2\x80\xa9", 3),
		   "raw U+2028/U+2029 in a record");
	json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	FUZZ_CHECK(json_is_object(j), "record is not a JSON object: %s: %.*s", jerr.text, (int)len, line);
	json_decref(j);
}

/* What any decision must look like, and every message of it rendered. */
static inline void fuzz_check_decision(const struct decision *d)
{
	char msg[1024];
	FUZZ_CHECK(d->action <= ACTION_DENY && d->mode <= MODE_ENFORCE, "decision out of range");
	FUZZ_CHECK(d->n <= DECIDE_MAX_VIOLATIONS, "too many violations kept");
	FUZZ_CHECK(d->action == ACTION_ALLOW || d->n > 0, "refused without a violation");
	for (size_t i = 0; i < d->n; i++) {
		violation_message(&d->v[i], msg, sizeof(msg));
		FUZZ_CHECK(msg[0], "empty violation message");
	}
}

/* The shipped operator config: the policy images are decided against. */
static inline struct policy *fuzz_shipped_policy(void)
{
	static struct policy *p;
	char err[1024];
	if (!p) {
		p = policy_new();
		FUZZ_CHECK(opconf_load(FUZZ_POLICY_DIR "/scs-image-hook.yaml", 0, p, NULL, err, sizeof(err)) == 0 &&
			   policy_finish(p, err, sizeof(err)) == 0, "%s", err);
	}
	return p;
}

#endif
