/* catalog and builds: the operator's sync catalog read with file:line
 * errors, and the newest build found in each vendor format's metadata
 * (shapes as the vendors publish them), never outside the source's base. */
#include "unit.h"
#include "core/builds.h"
#include "core/catalog.h"
#include "core/date.h"
#include "core/plan.h"
#include "core/ydoc.h"
#include "core/sums.h"
#include "core/util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D256 "0b3c5a1e6f4d2c9b8a7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2910"

static const char catalog_text[] =
	"policy: [scs-0104-v1-images-v5.yaml]\n"
	"sync:\n"
	"  previous: rename-and-hide\n"
	"  sources:\n"
	"    simplestreams-v1: {index: \"https://cloud-images.ubuntu.com/releases/streams/v1/index.json\",\n"
	"                       base: \"https://cloud-images.ubuntu.com/releases/\",\n"
	"                       rewrite: {from: \"server/releases/\", to: \"\"}}\n"
	"    debian-build-json: {base: \"https://cloud.debian.org/images/cloud/\"}\n"
	"  images:\n"
	"    - name: \"Ubuntu 24.04\"\n"
	"      source: {format: simplestreams-v1, product: \"com.ubuntu.cloud:server:24.04:amd64\"}\n"
	"      visibility: public\n"
	"      properties: {os_distro: ubuntu, os_version: \"24.04\", min_ram: 512}\n"
	"    - name: \"Debian 12\"\n"
	"      source: {format: debian-build-json, release: bookworm, vendor: generic, arch: amd64}\n"
	"      properties: {os_distro: debian, os_version: \"12\"}\n"
	"    - name: \"AlmaLinux 9\"\n"
	"      source: {format: checksum-list, dir: \"https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/\",\n"
	"               match: 'AlmaLinux-9-GenericCloud-9\\.(\\d+)-(\\d+)\\.x86_64\\.qcow2'}\n"
	"      visibility: community\n";

static struct policy *load_catalog(const char *text, char *err, size_t errlen)
{
	char dir[] = "/tmp/scs-unit-cat-XXXXXX", path[128];
	struct policy *p = policy_new();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/scs-0104-v1-images-v5.yaml", dir);
	char *spec = realpath(ours("scs-0104-v1-images-v5.yaml"), NULL);
	ck_assert_ptr_nonnull(spec);
	ck_assert_int_eq(symlink(spec, path), 0);
	free(spec);
	snprintf(path, sizeof(path), "%s/hook.yaml", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	int rc = opconf_load(path, 0, p, NULL, err, errlen);
	unlink(path);
	snprintf(path, sizeof(path), "%s/scs-0104-v1-images-v5.yaml", dir);
	unlink(path);
	rmdir(dir);
	if (rc < 0) {
		policy_free(p);
		p = NULL;
	}
	return p;
}

START_TEST(catalog_as_written)
{
	char err[1024];
	struct policy *p = load_catalog(catalog_text, err, sizeof(err));

	ck_assert_msg(p, "%s", err);
	const struct catalog *c = p->catalog;
	ck_assert_int_eq(c->n, 3);
	ck_assert_int_eq(c->previous, PREVIOUS_RENAME_AND_HIDE);
	const struct catalog_entry *u = catalog_find(c, "Ubuntu 24.04");
	ck_assert_int_eq(u->source.format, CATALOG_SIMPLESTREAMS);
	ck_assert_str_eq(u->source.base, "https://cloud-images.ubuntu.com/releases/");      /* the format's default */
	ck_assert_str_eq(u->source.product, "com.ubuntu.cloud:server:24.04:amd64");
	ck_assert_str_eq(u->source.rewrite_from, "server/releases/");
	ck_assert_int_eq(u->visibility, VIS_PUBLIC);
	ck_assert_int_eq(u->n_props, 3);
	ck_assert_str_eq(u->values[2], "512");
	ck_assert_int_eq(catalog_find(c, "Debian 12")->visibility, VIS_PUBLIC);            /* the default */
	const struct catalog_entry *a = catalog_find(c, "AlmaLinux 9");
	ck_assert_int_eq(a->visibility, VIS_COMMUNITY);
	ck_assert_ptr_nonnull(a->source.match.code);
	ck_assert_ptr_null(catalog_find(c, "Fedora 41"));
	policy_free(p);
}
END_TEST

START_TEST(catalog_refusals_name_the_place)
{
	static const struct { const char *from, *to, *why; } cases[] = {
		{ "previous: rename-and-hide", "previous: delete", "sync.previous" },
		{ "format: simplestreams-v1, product", "format: simplestreams-v2, product", "source.format" },
		{ "vendor: generic, arch: amd64}", "vendor: generic}", "a debian-build-json source needs 'arch'" },
		{ "min_ram: 512}", "image_source: x}", "property 'image_source' is not the catalog's to set" },
		{ "min_ram: 512}", "scs_image_hook_verified: x}", "not the catalog's to set" },
		{ "visibility: community", "visibility: everyone", "visibility" },
		{ "\\.qcow2'}", "(\\.qcow2'}", "not a valid regex" },
		{ "images/\",\n", "images\",\n", "must end in '/'" },
		{ "\"https://cloud.debian.org/images/cloud/\"}", "\"http://cloud.debian.org/images/cloud/\"}", "https URL" },
		{ "- name: \"Debian 12\"", "- name: \"Ubuntu 24.04\"", "listed twice" },
		{ "    debian-build-json: {base:", "    debian-build-json: {match: x, base:", "not in sync.sources" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[4096], err[1024];
		const char *at = strstr(catalog_text, cases[i].from);
		ck_assert_msg(at, "%s", cases[i].from);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - catalog_text), catalog_text, cases[i].to,
			 at + strlen(cases[i].from));
		struct policy *p = load_catalog(text, err, sizeof(err));
		ck_assert_msg(!p, "accepted: %s", cases[i].to);
		ck_assert_msg(strstr(err, cases[i].why) && strstr(err, "hook.yaml:"), "%s: %s", cases[i].to, err);
	}
}
END_TEST

static const struct catalog_source ubuntu = {
	.format = CATALOG_SIMPLESTREAMS, .base = "https://cloud-images.ubuntu.com/releases/",
	.product = "com.ubuntu.cloud:server:24.04:amd64", .rewrite_from = "server/releases/", .rewrite_to = "",
};

START_TEST(simplestreams_newest)
{
	static const char index[] =
		"{\"format\": \"index:1.0\", \"index\": {"
		"\"com.ubuntu.cloud:released:aws\": {\"datatype\": \"image-ids\", \"path\": \"streams/v1/aws.json\","
		"  \"products\": [\"com.ubuntu.cloud:server:24.04:amd64\"]},"
		"\"com.ubuntu.cloud:released:download\": {\"datatype\": \"image-downloads\", \"format\": \"products:1.0\","
		"  \"path\": \"streams/v1/com.ubuntu.cloud:released:download.json\","
		"  \"products\": [\"com.ubuntu.cloud:server:22.04:amd64\", \"com.ubuntu.cloud:server:24.04:amd64\"]}}}";
	static const char products[] =
		"{\"format\": \"products:1.0\", \"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {"
		"\"arch\": \"amd64\", \"release\": \"noble\", \"version\": \"24.04\", \"versions\": {"
		"\"20240821\": {\"items\": {\"disk1.img\": {\"ftype\": \"disk1.img\", \"size\": 600000000,"
		"  \"path\": \"server/releases/noble/release-20240821/ubuntu-24.04-server-cloudimg-amd64.img\","
		"  \"sha256\": \"" D256 "\", \"md5\": \"00\"}}},"
		"\"20240523.1\": {\"items\": {\"disk1.img\": {\"size\": 1, \"sha256\": \"" D256 "\","
		"  \"path\": \"server/releases/noble/release-20240523.1/x.img\"}}},"
		"\"20241004\": {\"items\": {\"lxd.tar.xz\": {\"size\": 1, \"sha256\": \"" D256 "\", \"path\": \"x\"}}}}}}}";
	char *path, err[512];
	struct build b;

	ck_assert_msg(builds_streams_index(index, strlen(index), &ubuntu, &path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(path, "streams/v1/com.ubuntu.cloud:released:download.json");
	free(path);
	ck_assert_msg(builds_streams_newest(products, strlen(products), &ubuntu, &b, err, sizeof(err)) == 0, "%s",
		      err);
	/* 20241004 lacks disk1.img; 20240821 beats 20240523.1 */
	ck_assert_str_eq(b.serial, "20240821");
	ck_assert_str_eq(b.image_source, "https://cloud-images.ubuntu.com/releases/noble/release-20240821/"
			 "ubuntu-24.04-server-cloudimg-amd64.img");
	ck_assert_str_eq(b.digest, D256);
	ck_assert_int_eq(b.algo, SUMS_SHA256);
	ck_assert_int_eq(b.size, 600000000);
	ck_assert_str_eq(b.build_date, "2024-08-21");
	ck_assert_str_eq(b.arch, "x86_64");
	build_free(&b);
}
END_TEST

START_TEST(simplestreams_refusals)
{
	static const char *const bad[] = {
		"[]", "{\"format\": \"products:1.0\"}",
		/* outside the base, however spelt */
		"{\"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {\"versions\": {\"1\": {\"items\": {\"disk1.img\":"
		"{\"size\": 1, \"sha256\": \"" D256 "\", \"path\": \"server/releases/../../evil.img\"}}}}}}}",
		"{\"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {\"versions\": {\"1\": {\"items\": {\"disk1.img\":"
		"{\"size\": 1, \"sha256\": \"" D256 "\", \"path\": \"https://evil.example/x.img\"}}}}}}}",
		"{\"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {\"versions\": {\"1\": {\"items\": {\"disk1.img\":"
		"{\"size\": 1, \"sha256\": \"" D256 "\", \"path\": \"/etc/passwd\"}}}}}}}",
		/* no digest of the right form, no size */
		"{\"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {\"versions\": {\"1\": {\"items\": {\"disk1.img\":"
		"{\"size\": 1, \"sha256\": \"ABC\", \"path\": \"a/b.img\"}}}}}}}",
		"{\"products\": {\"com.ubuntu.cloud:server:24.04:amd64\": {\"versions\": {\"1\": {\"items\": {\"disk1.img\":"
		"{\"sha256\": \"" D256 "\", \"path\": \"a/b.img\"}}}}}}}",
	};
	struct build b;
	char err[512];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(builds_streams_newest(bad[i], strlen(bad[i]), &ubuntu, &b, err, sizeof(err)) < 0, "#%zu",
			      i);
		ck_assert_msg(err[0], "#%zu: no reason", i);
		ck_assert_ptr_null(b.image_source);
	}
}
END_TEST

static const struct catalog_source debian = {
	.format = CATALOG_DEBIAN_JSON, .base = "https://cloud.debian.org/images/cloud/", .release = "bookworm",
	.vendor = "generic", .arch = "amd64",
};

/* A Debian List with a Build and qcow2 + raw Uploads of the given digest. */
static void debian_json(char *out, size_t len, const unsigned char digest[64], const char *type, const char *ref)
{
	unsigned char b64[100];
	EVP_EncodeBlock(b64, digest, 64);
	b64[86] = '\0';         /* unpadded, as Debian writes it */
	snprintf(out, len,
		 "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": ["
		 "{\"apiVersion\": \"cloud.debian.org/v1alpha1\", \"kind\": \"Build\", \"data\": {\"info\": {"
		 "  \"arch\": \"amd64\", \"release\": \"bookworm\", \"release_id\": \"12\", \"version\": \"20240717-1811\"}}},"
		 "{\"kind\": \"Upload\", \"data\": {\"provider\": \"cloud.debian.org\", \"ref\": \"%s\"},"
		 " \"metadata\": {\"labels\": {\"upload.cloud.debian.org/image-format\": \"qcow2\","
		 "  \"cloud.debian.org/version\": \"20240717-1811\", \"debian.org/release\": \"bookworm\","
		 "  \"debian.org/arch\": \"amd64\", \"cloud.debian.org/vendor\": \"generic\","
		 "  \"upload.cloud.debian.org/type\": \"%s\"},"
		 "  \"annotations\": {\"cloud.debian.org/digest\": \"sha512:%s\"}}},"
		 "{\"kind\": \"Upload\", \"data\": {\"ref\": \"bookworm/20240717-1811/x.raw\"},"
		 " \"metadata\": {\"labels\": {\"upload.cloud.debian.org/image-format\": \"raw\"}}}]}",
		 ref, type, b64);
}

START_TEST(debian_build_json)
{
	unsigned char digest[64];
	char json[4096], hex[129], err[512];
	struct build b;

	for (int i = 0; i < 64; i++) {
		digest[i] = (unsigned char)(i * 37 + 11);
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	}
	char *url = builds_debian_url(&debian, "12");
	ck_assert_str_eq(url, "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.json");
	free(url);
	debian_json(json, sizeof(json), digest, "release", "bookworm/20240717-1811/debian-12-generic-amd64-20240717-1811.qcow2");
	ck_assert_msg(builds_debian(json, strlen(json), &debian, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(b.image_source, "https://cloud.debian.org/images/cloud/bookworm/20240717-1811/"
			 "debian-12-generic-amd64-20240717-1811.qcow2");
	ck_assert_str_eq(b.digest, hex);
	ck_assert_int_eq(b.algo, SUMS_SHA512);
	ck_assert_str_eq(b.serial, "20240717-1811");
	ck_assert_str_eq(b.build_date, "2024-07-17");
	ck_assert_str_eq(b.arch, "x86_64");
	build_free(&b);

	debian_json(json, sizeof(json), digest, "daily", "bookworm/20240717-1811/x.qcow2");
	ck_assert_int_eq(builds_debian(json, strlen(json), &debian, &b, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "of type 'daily'"), "%s", err);
	debian_json(json, sizeof(json), digest, "release", "../../../etc/x.qcow2");
	ck_assert_int_eq(builds_debian(json, strlen(json), &debian, &b, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a plain path"), "%s", err);
	char *cut = strstr(json, "sha512:");
	memcpy(cut, "sha256:", 7);
	ck_assert_int_eq(builds_debian(json, strlen(json), &debian, &b, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cloud.debian.org/digest"), "%s", err);
}
END_TEST

START_TEST(listed_newest_by_groups)
{
	static const char list[] =
		D256 "  AlmaLinux-9-GenericCloud-9.3-20231113.x86_64.qcow2\n"
		D256 "  AlmaLinux-9-GenericCloud-9.10-20250101.x86_64.qcow2\n"
		D256 "  AlmaLinux-9-GenericCloud-9.4-20240507.x86_64.qcow2\n"
		D256 "  AlmaLinux-9-GenericCloud-latest.x86_64.qcow2\n"
		D256 "  AlmaLinux-9-GenericCloud-9.10-20240101.x86_64.qcow2\n";
	char err[1024];
	struct policy *p = load_catalog(catalog_text, err, sizeof(err));
	struct sums s;
	struct build b;

	ck_assert_msg(p, "%s", err);
	const struct catalog_entry *a = catalog_find(p->catalog, "AlmaLinux 9");
	ck_assert_int_eq(sums_parse(&s, &(struct sums_format){ SUMS_SHA256, SUMS_GNU, 0 }, "CHECKSUM", list, strlen(list), err, sizeof(err)), 0);
	ck_assert_msg(builds_listed(&s, &a->source, p->mctx, &b, err, sizeof(err)) == 0, "%s", err);
	/* 9.10 beats 9.4 as numbers, and of two 9.10 the later date */
	ck_assert_str_eq(b.image_source, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/"
			 "AlmaLinux-9-GenericCloud-9.10-20250101.x86_64.qcow2");
	ck_assert_str_eq(b.serial, "10-20250101");
	ck_assert_str_eq(b.build_date, "2025-01-01");
	build_free(&b);
	sums_free(&s);
	policy_free(p);
}
END_TEST

static void add_origins(struct policy *p);

/* A simplestreams source's keys are fingerprints as origins' are. */
START_TEST(stream_keys_are_fingerprints)
{
	char text[4096], err[1024];
	const char *at = strstr(catalog_text, "base: \"https://cloud-images");
	snprintf(text, sizeof(text), "%.*skeys: [\"4a3c e3cd 565d 7eb5 c810  e2b9 7ff3 f408 476c f100\"], %s",
		 (int)(at - catalog_text), catalog_text, at);
	struct policy *p = load_catalog(text, err, sizeof(err));
	ck_assert_msg(p, "%s", err);
	const struct catalog_entry *u = catalog_find(p->catalog, "Ubuntu 24.04");
	ck_assert_uint_eq(u->source.n_keys, 1);
	ck_assert_str_eq(u->source.keys[0], "4A3CE3CD565D7EB5C810E2B97FF3F408476CF100");    /* the format's default */
	ck_assert_uint_eq(catalog_find(p->catalog, "Debian 12")->source.n_keys, 0);
	/* --check: a stream read signed needs a keyring to verify it with */
	add_origins(p);
	ck_assert_int_eq(plan_check(p, date_parse("2026-12-07"), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "sync image 'Ubuntu 24.04': source.keys") && strstr(err, "origin.keyring is not set") &&
		      strstr(err, "4A3CE3CD565D7EB5C810E2B97FF3F408476CF100"), "%s", err);
	p->origin.keyring = xstrdup("/etc/scs-image-hook/vendor-keys.gpg");
	ck_assert_msg(plan_check(p, date_parse("2026-12-07"), err, sizeof(err)) == 0, "%s", err);
	policy_free(p);
	snprintf(text, sizeof(text), "%.*skeys: [4A3CE3CD], %s", (int)(at - catalog_text), catalog_text, at);
	ck_assert_ptr_null(load_catalog(text, err, sizeof(err)));
	ck_assert_msg(strstr(err, "hook.yaml:") && strstr(err, "40 hex digits"), "%s", err);
}
END_TEST

/* The shipped origins, as a policy's origins file would add them. */
static void add_origins(struct policy *p)
{
	struct ydoc doc;
	char err[512];
	size_t len;
	char *text = file_read(ours("scs-origins.yaml"), 1 << 20, &len, err, sizeof(err));
	struct yconf y = { .path = "scs-origins.yaml", .err = err, .errlen = sizeof(err) };

	ck_assert_msg(text && ydoc_load(&doc, y.path, text, len, YDOC_STRICT, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(origins_load(&y, doc.root, &p->origins) == 0, "%s", err);
	ydoc_free(&doc);
	free(text);
}

/* --check: a checksum-list directory needs an origin with a list of the
 * directory (not a per-image one); the error names the catalog's place. */
START_TEST(checksum_list_dirs_need_a_directory_list)
{
	static const char *const dirs[][2] = {
		{ "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/", NULL },
		{ "https://download.opensuse.org/distribution/leap/15.6/appliances/", "whose lists are per image" },
		{ "https://example.org/almalinux/9/", "lies under no origin" },
	};
	const char *at = strstr(catalog_text, "https://repo.almalinux.org/"), *end = strstr(at, "\",\n");
	int today = date_parse("2026-12-07");

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char text[4096], err[1024];
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - catalog_text), catalog_text, dirs[i][0], end);
		struct policy *p = load_catalog(text, err, sizeof(err));
		ck_assert_msg(p, "%s", err);
		add_origins(p);
		int rc = plan_check(p, today, err, sizeof(err));
		if (!dirs[i][1])
			ck_assert_msg(rc == 0, "%s", err);
		else
			ck_assert_msg(rc == -1 && strstr(err, "hook.yaml:18: sync image 'AlmaLinux 9'") &&
				      strstr(err, dirs[i][1]), "%s", err);
		policy_free(p);
	}
}
END_TEST

START_TEST(serials_as_builds)
{
	ck_assert_int_lt(builds_serial_cmp("20240523.1", "20240821"), 0);
	ck_assert_int_gt(builds_serial_cmp("20240821.1", "20240821"), 0);
	ck_assert_int_lt(builds_serial_cmp("9.4", "9.10"), 0);
	ck_assert_int_eq(builds_serial_cmp("20240717-1811", "20240717-1811"), 0);
	ck_assert_int_lt(builds_serial_cmp("20240717-1811", "20240717-1900"), 0);
	ck_assert_str_eq(builds_glance_arch("arm64"), "aarch64");
	ck_assert_str_eq(builds_glance_arch("s390x"), "s390x");
}
END_TEST

Suite *suite_builds(void)
{
	Suite *s = suite_create("builds");
	TCase *t = tcase_create("builds");

	tcase_add_test(t, catalog_as_written);
	tcase_add_test(t, catalog_refusals_name_the_place);
	tcase_add_test(t, simplestreams_newest);
	tcase_add_test(t, simplestreams_refusals);
	tcase_add_test(t, debian_build_json);
	tcase_add_test(t, listed_newest_by_groups);
	tcase_add_test(t, serials_as_builds);
	tcase_add_test(t, stream_keys_are_fingerprints);
	tcase_add_test(t, checksum_list_dirs_need_a_directory_list);
	suite_add_tcase(s, t);
	return s;
}
