/* Fuzz target: an origins policy file and an image_source looked up in
 * it. The input is "IMAGE_SOURCE\nYAML"; when the YAML is not an origins
 * file, the shipped policy/scs-origins.yaml is used. Besides not
 * crashing: a loaded origin is what the loader promises (https directory
 * prefix, 40-hex uppercase keys exactly where it is signed, a name for a
 * detached signature), and a match leads into the image_source's own
 * directory under the origin: the list there by name or made from the
 * file's (a pattern's is left to the directory's index). */
#include "fuzz.h"
#include "core/origins.h"
#include "core/util.h"

#include <strings.h>

static struct origins fo_shipped;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int fo_load(struct origins *o, const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	struct ydoc doc;
	struct yconf y = { .path = path, .err = err, .errlen = errlen };
	if (ydoc_load(&doc, path, text, len, YDOC_STRICT, err, errlen) < 0)
		return -1;
	int rc = doc.root && doc.root->kind == YNODE_MAP ? origins_load(&y, doc.root, o)
						       : yc_fail(&y, doc.root, "not a mapping");
	ydoc_free(&doc);
	return rc;
}

static const struct origins *fo_shipped_origins(void)
{
	char err[1024];
	size_t len;
	if (!fo_shipped.n) {
		char *text = file_read(FUZZ_POLICY_DIR "/scs-origins.yaml", 1 << 20, &len, err, sizeof(err));
		FUZZ_CHECK(text && fo_load(&fo_shipped, "scs-origins.yaml", text, len, err, sizeof(err)) == 0, "%s", err);
		free(text);
	}
	return &fo_shipped;
}

static void fo_check_origins(const struct origins *o)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct origin *g = &o->o[i];
		size_t n = strlen(g->prefix);
		FUZZ_CHECK(!strncmp(g->prefix, "https://", 8) && g->prefix[n - 1] == '/', "prefix '%s'", g->prefix);
		FUZZ_CHECK(!strchr(g->checksums, '/') && (!g->signature || !strchr(g->signature, '/')), "a path as a file");
		FUZZ_CHECK((g->signed_as != ORIGIN_UNSIGNED) == !!g->n_keys, "signature and keys apart");
		FUZZ_CHECK((g->signed_as == ORIGIN_DETACHED) == !!g->signature, "a detached signature without its name");
		FUZZ_CHECK((g->where == ORIGIN_AT_FILE) == !!strstr(g->checksums, "{file}"), "a template that is none");
		for (size_t k = 0; k < g->n_moving; k++)
			FUZZ_CHECK(g->moving[k][0] && !strchr(g->moving[k], '/'), "moving '%s'", g->moving[k]);
		for (size_t k = 0; k < g->n_keys; k++)
			FUZZ_CHECK(strlen(g->keys[k]) == 40 && strspn(g->keys[k], "0123456789ABCDEF") == 40, "key '%s'",
				   g->keys[k]);
	}
}

static void fo_check_match(const struct origins *o, const char *url)
{
	struct origin_ref r;
	char err[2048] = "";
	int rc = origins_match(o, url, &r, err, sizeof(err));
	if (rc == 1) {
		const char *prefix = r.origin->prefix;
		size_t dir = strlen(url) - strlen(r.file);
		FUZZ_CHECK(!strncasecmp(url, prefix, strlen(prefix)) && dir >= strlen(prefix), "'%s' is not under '%s'",
			   url, prefix);
		FUZZ_CHECK(r.file[0] && !strpbrk(r.file, "/%?#\\") && !strcmp(url + dir, r.file), "file '%s'", r.file);
		FUZZ_CHECK(strlen(r.dir) == dir && !strncmp(r.dir, url, dir), "dir '%s' of '%s'", r.dir, url);
		FUZZ_CHECK(!r.list_url == (r.origin->where == ORIGIN_AT_PATTERN), "a pattern's list named, or another not");
		FUZZ_CHECK(!r.list_url || (!strncmp(r.list_url, url, dir) && r.list_url[dir] && !strchr(r.list_url + dir, '/') &&
					   (r.origin->where != ORIGIN_AT_NAME || !strcmp(r.list_url + dir, r.origin->checksums))),
			   "list '%s' is not beside '%s'", r.list_url, url);
		FUZZ_CHECK(!r.sig_url == (!r.list_url || r.origin->signed_as != ORIGIN_DETACHED),
			   "signature URL without a detached signature, or the reverse");
		FUZZ_CHECK(!r.sig_url || (!strncmp(r.sig_url, url, dir) && !strchr(r.sig_url + dir, '/')),
			   "signature '%s' is not beside '%s'", r.sig_url, url);
		origin_ref_free(&r);
	} else if (rc == 0) {
		for (size_t i = 0; i < o->n; i++)
			FUZZ_CHECK(strncasecmp(url, o->o[i].prefix, strlen(o->o[i].prefix)) ||
				   strncmp(url + 8, o->o[i].prefix + 8, strlen(o->o[i].prefix) - 8),
				   "'%s' lies under '%s' but matched none", url, o->o[i].prefix);
		FUZZ_CHECK(!r.list_url && !r.file, "no match, yet a list");
	} else {
		FUZZ_CHECK(rc == -1 && strstr(err, "lies under the origin"), "%d: %s", rc, err);
		FUZZ_CHECK(!r.list_url && !r.file, "an error, yet a list");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ulen = nl ? (size_t)(nl - data) : size;
	char *url = strndup((const char *)data, ulen), err[2048] = "";
	struct origins o = { 0 };

	FUZZ_CHECK(url, "out of memory");
	size_t ylen = nl ? size - ulen - 1 : 0;
	char *yaml = malloc(ylen ? ylen : 1);
	FUZZ_CHECK(yaml, "out of memory");
	if (ylen)
		memcpy(yaml, nl + 1, ylen);
	const struct origins *use = fo_shipped_origins();
	if (ylen && fo_load(&o, "fuzz.yaml", yaml, ylen, err, sizeof(err)) == 0) {
		use = &o;
		fo_check_origins(&o);
	} else if (ylen) {
		FUZZ_CHECK_ERR(err);
	}
	fo_check_match(use, url);
	origins_free(&o);
	free(yaml);
	free(url);
	return 0;
}
