/* Fuzz target: what sync reads from vendors and from Glance. The first
 * byte picks the reader, the rest is its input: a simplestreams index or
 * products file, a Debian per-build JSON, a sync marker or lock (read back
 * as written), the first bytes of a disk image. A build found lies under
 * the source's base as plain segments and has a digest of its
 * algorithm's form; a marker or lock that is read writes back as itself. */
#include "fuzz.h"
#include "core/builds.h"
#include "core/diskfmt.h"
#include "core/plan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct catalog_source fzb_streams = {
	.format = CATALOG_SIMPLESTREAMS, .base = "https://v.example/releases/", .product = "p:1",
	.rewrite_from = "server/releases/", .rewrite_to = "",
};
static const struct catalog_source fzb_debian = {
	.format = CATALOG_DEBIAN_JSON, .base = "https://v.example/cloud/", .release = "r", .vendor = "generic",
	.arch = "amd64",
};

static void fzb_check_build(const struct build *b, const char *base)
{
	const char *rest = b->image_source + strlen(base);
	FUZZ_CHECK(!strncmp(b->image_source, base, strlen(base)), "outside the base: %s", b->image_source);
	FUZZ_CHECK(!strstr(rest, "/../") && strncmp(rest, "../", 3) && !strstr(rest, "//") && !strpbrk(rest, "?#%\\"),
		   "not plain under the base: %s", b->image_source);
	FUZZ_CHECK(strlen(b->digest) == sums_hex_len(b->algo) && strspn(b->digest, "0123456789abcdef") == strlen(b->digest),
		   "digest '%s'", b->digest);
	FUZZ_CHECK(!b->build_date[0] || date_parse(b->build_date) >= 0, "build date '%s'", b->build_date);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "", out[512], *path = NULL, *text;
	struct build b;
	struct plan_marker m, m2;
	struct plan_lock l, l2;
	struct diskfmt f;

	if (size < 1)
		return 0;
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		if (builds_streams_index(text, size - 1, &fzb_streams, &path, err, sizeof(err)) == 0)
			FUZZ_CHECK(path && path[0] != '/' && !strstr(path, ".."), "index path '%s'", path);
		else
			FUZZ_CHECK_ERR(err);
		free(path);
		break;
	case 1:
		if (builds_streams_newest(text, size - 1, &fzb_streams, &b, err, sizeof(err)) == 0)
			fzb_check_build(&b, fzb_streams.base);
		else
			FUZZ_CHECK(err[0] && !b.image_source, "a refusal without a reason, or a half build");
		build_free(&b);
		break;
	case 2:
		if (builds_debian(text, size - 1, &fzb_debian, &b, err, sizeof(err)) == 0)
			fzb_check_build(&b, fzb_debian.base);
		else
			FUZZ_CHECK(err[0] && !b.image_source, "a refusal without a reason, or a half build");
		build_free(&b);
		break;
	case 3:
		if (plan_marker_parse(text, &m) == 0) {
			FUZZ_CHECK(plan_marker_format(&m, out, sizeof(out)) == 0, "a marker read cannot be written");
			FUZZ_CHECK(plan_marker_parse(out, &m2) == 0 && !memcmp(&m, &m2, sizeof(m)), "marker: %s", out);
		}
		break;
	case 4:
		if (plan_lock_parse(text, &l) == 0) {
			FUZZ_CHECK(plan_lock_format(&l, out, sizeof(out)) == 0, "a lock read cannot be written");
			FUZZ_CHECK(plan_lock_parse(out, &l2) == 0 && !memcmp(&l, &l2, sizeof(l)), "lock: %s", out);
		}
		break;
	default:
		if (diskfmt_sniff(data + 1, size - 1, &f) == 0)
			FUZZ_CHECK(!strcmp(f.format, "raw") || !strcmp(f.format, "qcow2"), "format %s", f.format);
		break;
	}
	free(text);
	return 0;
}
