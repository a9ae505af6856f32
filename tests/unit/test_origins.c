/* origins: the shipped policy/scs-origins.yaml, every key checked, and
 * the lookup from image_source to the vendor's list, signature and file. */
#include "unit.h"
#include "core/origins.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Load an origins file (or, when config, an `origin:` value). */
static int load(const char *path, const char *text, size_t len, int config, struct origins *o,
		struct origin_config *c, char *err, size_t errlen)
{
	struct ydoc doc;
	struct yconf y = { .path = path, .err = err, .errlen = errlen };
	if (ydoc_load(&doc, path, text, len, YDOC_STRICT, err, errlen) < 0)
		return -1;
	int rc = config ? origin_config_load(&y, doc.root, c) : origins_load(&y, doc.root, o);
	ydoc_free(&doc);
	return rc;
}

static struct origins shipped(void)
{
	struct origins o = { 0 };
	char err[512];
	size_t len;
	char *text = file_read(ours("scs-origins.yaml"), 1 << 20, &len, err, sizeof(err));
	ck_assert_msg(text, "%s", err);
	ck_assert_msg(load(ours("scs-origins.yaml"), text, len, 0, &o, NULL, err, sizeof(err)) == 0, "%s", err);
	free(text);
	return o;
}

/* The text must be refused, and the message must have want in it. */
static void refused(const char *text, const char *want)
{
	struct origins o = { 0 };
	char err[512] = "";
	ck_assert_msg(load("o.yaml", text, strlen(text), 0, &o, NULL, err, sizeof(err)) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	origins_free(&o);
}

static void config_refused(const char *text, const char *want)
{
	struct origin_config c = { 0 };
	char err[512] = "";
	ck_assert_msg(load("c.yaml", text, strlen(text), 1, NULL, &c, err, sizeof(err)) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	origin_config_free(&c);
}

START_TEST(the_shipped_file_is_as_designed)
{
	struct origins o = shipped();
	ck_assert_int_eq(o.n, 3);
	ck_assert_str_eq(o.o[0].prefix, "https://cloud-images.ubuntu.com/");
	ck_assert_str_eq(o.o[0].checksums, "SHA256SUMS");
	ck_assert_int_eq(o.o[0].algo, SUMS_SHA256);
	ck_assert_str_eq(o.o[0].signature, "SHA256SUMS.gpg");
	ck_assert_int_eq(o.o[0].n_keys, 1);
	ck_assert_str_eq(o.o[0].keys[0], "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81");
	ck_assert_str_eq(o.o[1].prefix, "https://cloud.debian.org/images/cloud/");
	ck_assert_int_eq(o.o[1].algo, SUMS_SHA512);
	ck_assert_ptr_null(o.o[1].signature);
	ck_assert_int_eq(o.o[1].n_keys, 0);
	ck_assert_str_eq(o.o[2].prefix, "https://cdimage.debian.org/cdimage/cloud/");
	origins_free(&o);
}
END_TEST

START_TEST(fingerprints_are_normalised)
{
	static const char text[] = "origins:\n"
		"  - prefix: https://v.example/\n"
		"    checksums: SHA256SUMS\n"
		"    signature: SHA256SUMS.gpg\n"
		"    keys: [\"D2EB 4462 6FDD C30B 513D  5BB7 1A5D 6C4C 7DB8 7C81\",\n"
		"           d2eb44626fddc30b513d5bb71a5d6c4c7db87c82]\n";
	struct origins o = { 0 };
	char err[512];
	ck_assert_msg(load("o.yaml", text, strlen(text), 0, &o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(o.o[0].keys[0], "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81");
	ck_assert_str_eq(o.o[0].keys[1], "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C82");
	origins_free(&o);
}
END_TEST

#define ENTRY(rest) "origins:\n  - prefix: https://v.example/\n    checksums: SHA256SUMS\n" rest

START_TEST(every_key_is_checked)
{
	refused(ENTRY("    checksum: SHA512SUMS\n"),
		"o.yaml:4:5: unknown key 'checksum' in an origin (expected one of: prefix, checksums, signature, keys)");
	refused("origins: []\nextra: 1\n", "o.yaml:2:1: unknown key 'extra' in an origins file (expected one of: origins)");
	refused("origins: []\n", "o.yaml:1:10: origins must list at least one origin");
	refused("origins: {prefix: x}\n", "o.yaml:1:10: origins must be a list, not a mapping");
	refused("origins:\n  - checksums: SHA256SUMS\n", "o.yaml:2:5: an origin needs a 'prefix' key");
	refused("origins:\n  - prefix: https://v.example/\n", "o.yaml:2:5: an origin needs a 'checksums' key");
	refused(ENTRY("  - prefix: https://v.example/\n    checksums: SHA512SUMS\n"),
		"o.yaml:4:5: prefix 'https://v.example/' is already an origin (line 2)");
}
END_TEST

START_TEST(prefixes_are_https_directories)
{
	refused("origins:\n  - {prefix: http://v.example/, checksums: SHA256SUMS}\n",
		"o.yaml:2:14: prefix 'http://v.example/' must be an https URL with a lowercase host");
	refused("origins:\n  - {prefix: ftp://v.example/, checksums: SHA256SUMS}\n", "must be an https URL");
	refused("origins:\n  - {prefix: https://V.example/, checksums: SHA256SUMS}\n", "with a lowercase host");
	refused("origins:\n  - {prefix: https://v.example/images, checksums: SHA256SUMS}\n", "must end in '/'");
	refused("origins:\n  - {prefix: https://v.example/a%2Fb/, checksums: SHA256SUMS}\n", "no percent-encoding");
	refused("origins:\n  - {prefix: 'https://v.example/?x=/', checksums: SHA256SUMS}\n",
		"has credentials, a query or a fragment");
	refused("origins:\n  - {prefix: 'https://u:p@v.example/', checksums: SHA256SUMS}\n", "credentials");
	refused("origins:\n  - {prefix: https://v.example/a/../b/, checksums: SHA256SUMS}\n",
		"is not written as curl writes it");
	refused("origins:\n  - {prefix: HTTPS://v.example/, checksums: SHA256SUMS}\n", "is not written as curl writes it");
	refused("origins:\n  - {prefix: cloud-images.ubuntu.com/, checksums: SHA256SUMS}\n", "is not a URL");
}
END_TEST

START_TEST(files_and_keys_are_checked)
{
	refused("origins:\n  - {prefix: https://v.example/, checksums: MD5SUMS}\n",
		"o.yaml:2:45: checksums 'MD5SUMS': the list's name tells its algorithm: SHA256SUMS or SHA512SUMS");
	refused("origins:\n  - {prefix: https://v.example/, checksums: ../SHA256SUMS}\n",
		"checksums '../SHA256SUMS' must be a file name in the image file's directory");
	refused(ENTRY("    signature: sigs/SHA256SUMS.gpg\n    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81]\n"),
		"signature 'sigs/SHA256SUMS.gpg' must be a file name");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n"),
		"o.yaml:2:5: an origin with a signature needs 'keys': the fingerprints of its signers");
	refused(ENTRY("    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81]\n"),
		"an origin with 'keys' needs the 'signature' file they sign");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C8]\n"),
		"o.yaml:5:12: a key fingerprint must be 40 hex digits (spaces allowed), not "
		"'D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C8'");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C811]\n"),
		"must be 40 hex digits");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: [0xD2EB44626FDDC30B513D5BB71A5D6C4C7DB87C]\n"),
		"must be 40 hex digits");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: [7DB87C81]\n"), "must be 40 hex digits");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: []\n"), "keys must list at least one fingerprint");
	refused(ENTRY("    signature: SHA256SUMS.gpg\n    keys: D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81\n"),
		"keys must be a list, not a scalar");
}
END_TEST

/* What one image_source leads to under the shipped origins. */
static int match(const char *url, struct origin_ref *ref, char *err, size_t errlen)
{
	struct origins o = shipped();
	int rc = origins_match(&o, url, ref, err, errlen);
	if (rc == 1)
		ck_assert_ptr_nonnull(ref->origin);
	/* ref->origin points into o; keep only what the tests look at */
	ref->origin = NULL;
	origins_free(&o);
	return rc;
}

START_TEST(ubuntu_and_debian_files_lead_to_their_lists)
{
	struct origin_ref r;
	char err[512];
	ck_assert_int_eq(match("https://cloud-images.ubuntu.com/releases/noble/release-20261101/"
			       "ubuntu-24.04-server-cloudimg-amd64.img", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://cloud-images.ubuntu.com/releases/noble/release-20261101/SHA256SUMS");
	ck_assert_str_eq(r.sig_url, "https://cloud-images.ubuntu.com/releases/noble/release-20261101/SHA256SUMS.gpg");
	ck_assert_str_eq(r.file, "ubuntu-24.04-server-cloudimg-amd64.img");
	origin_ref_free(&r);

	ck_assert_int_eq(match("https://cloud.debian.org/images/cloud/trixie/20261101-1234/"
			       "debian-13-generic-amd64-20261101-1234.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://cloud.debian.org/images/cloud/trixie/20261101-1234/SHA512SUMS");
	ck_assert_ptr_null(r.sig_url);
	ck_assert_str_eq(r.file, "debian-13-generic-amd64-20261101-1234.qcow2");
	origin_ref_free(&r);

}
END_TEST

START_TEST(other_sources_lie_under_no_origin)
{
	struct origin_ref r;
	char err[512];
	ck_assert_int_eq(match("https://mirror.example.org/noble.img", &r, err, sizeof(err)), 0);
	/* another host, whatever it resolves to or looks like */
	ck_assert_int_eq(match("https://xn--cloud-imges-x8a.ubuntu.com/noble/current/x.img", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(match("https://91.189.91.124/noble/current/x.img", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(match("https://[2620:2d:4000:1::17]/noble/current/x.img", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(match("https://cloud-images.ubuntu.com.evil.example/x.img", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(match("https://cloud.debian.org/images/cloudy/x.img", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(match("", &r, err, sizeof(err)), 0);
	ck_assert_ptr_null(r.list_url);
}
END_TEST

/* Under an origin but naming nothing a list can vouch for: an error, never "no origin". */
START_TEST(unverifiable_spellings_are_errors)
{
	static const struct { const char *url, *why; } cases[] = {
		{ "https://cloud-images.ubuntu.com/noble/current/", "names a directory, not a file" },
		{ "https://cloud-images.ubuntu.com/noble/current/a%2F..%2Fx.img", "has percent-encoding" },
		{ "https://cloud-images.ubuntu.com/noble//current/x.img", "has an empty path segment" },
		{ "https://cloud-images.ubuntu.com/noble/current/x img", "is not a URL" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct origin_ref r;
		char err[512] = "";
		ck_assert_msg(match(cases[i].url, &r, err, sizeof(err)) == -1, "%s", cases[i].url);
		ck_assert_msg(strstr(err, cases[i].why) && strstr(err, "lies under the origin "
								    "'https://cloud-images.ubuntu.com/'"),
			      "%s: %s", cases[i].url, err);
		ck_assert_ptr_null(r.list_url);
	}
}
END_TEST

/* A vendor's file spelled another way lies under the vendor's origin, and
 * is refused until it is written as the vendor names it: no spelling is
 * "under no origin". */
START_TEST(other_spellings_of_a_vendor_file)
{
	static const char canon[] = "https://cloud-images.ubuntu.com/noble/current/x.img";
	static const char *const spellings[] = {
		"https://cloud-images.ubuntu.com:443/noble/current/x.img",          /* the default port */
		"https://cloud-images.ubuntu.com:8443/noble/current/x.img",         /* any port */
		"https://mirror@cloud-images.ubuntu.com/noble/current/x.img",       /* userinfo */
		"https://u:p@cloud-images.ubuntu.com/noble/current/x.img",
		"https://cloud-images.ubuntu.com./noble/current/x.img",             /* a trailing dot */
		"https://cloud-images.ubuntu%2Ecom/noble/current/x.img",            /* escapes in the host */
		"https://Cloud-Images.Ubuntu.COM/noble/current/x.img",              /* the host's case */
		"HTTPS://cloud-images.ubuntu.com/noble/current/x.img",              /* the scheme's case */
		"http://cloud-images.ubuntu.com/noble/current/x.img",               /* http */
		"http://cloud-images.ubuntu.com:80/noble/current/x.img",
		"https://cloud-images.ubuntu.com/n%6Fble/current/x.img",            /* escapes in the path */
		"https://cloud-images.ubuntu.com/noble/current/x%2Eimg",
		"https://cloud-images.ubuntu.com/noble/../noble/current/x.img",     /* dot segments */
		"https://cloud-images.ubuntu.com/noble/./current/x.img",
		"https://cloud-images.ubuntu.com/noble/%2E%2E/noble/current/x.img",
		"https://cloud-images.ubuntu.com/noble/current/x.img?y=1",          /* a query */
		"https://cloud-images.ubuntu.com/noble/current/x.img#frag",         /* a fragment */
		"https://cloud-images.ubuntu.com/noble/current/x.img?",
	};
	for (size_t i = 0; i < ARRAY_SIZE(spellings); i++) {
		struct origin_ref r;
		char err[1024] = "", want[256];
		snprintf(want, sizeof(want), "write it '%s'", canon);
		ck_assert_msg(match(spellings[i], &r, err, sizeof(err)) == -1, "%s", spellings[i]);
		ck_assert_msg(strstr(err, "lies under the origin 'https://cloud-images.ubuntu.com/'") && strstr(err, want),
			      "%s: %s", spellings[i], err);
		ck_assert_ptr_null(r.list_url);
	}
	struct origin_ref r;
	char err[512];
	ck_assert_int_eq(match(canon, &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS");
	origin_ref_free(&r);
}
END_TEST

START_TEST(the_longest_prefix_wins)
{
	static const char text[] = "origins:\n"
		"  - {prefix: https://v.example/, checksums: SHA256SUMS}\n"
		"  - {prefix: https://v.example/debian/, checksums: SHA512SUMS}\n";
	struct origins o = { 0 };
	struct origin_ref r;
	char err[512];
	ck_assert_msg(load("o.yaml", text, strlen(text), 0, &o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(origins_match(&o, "https://v.example/debian/x/y.raw", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://v.example/debian/x/SHA512SUMS");
	ck_assert_ptr_eq(r.origin, &o.o[1]);
	origin_ref_free(&r);
	ck_assert_int_eq(origins_match(&o, "https://v.example/ubuntu/y.img", &r, err, sizeof(err)), 1);
	ck_assert_ptr_eq(r.origin, &o.o[0]);
	origin_ref_free(&r);
	origins_free(&o);
}
END_TEST

START_TEST(the_operator_config)
{
	static const char text[] =
		"keyring: /etc/scs-image-hook/vendor-keys.gpg\n"
		"fetch: {\"https://cloud-images.ubuntu.com/\": \"http://mirror.internal/ubuntu/\",\n"
		"        \"https://cloud-images.ubuntu.com/releases/\": \"https://other.internal/r/\"}\n"
		"cache: 1h\n";
	struct origin_config c = { 0 };
	char err[512];
	ck_assert_msg(load("c.yaml", text, strlen(text), 1, NULL, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.keyring, "/etc/scs-image-hook/vendor-keys.gpg");
	ck_assert_int_eq(c.n_fetch, 2);
	ck_assert_int_eq(c.cache_ms, 3600000);
	char *u = origin_fetch_url(&c, "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS");
	ck_assert_str_eq(u, "http://mirror.internal/ubuntu/noble/current/SHA256SUMS");
	free(u);
	u = origin_fetch_url(&c, "https://cloud-images.ubuntu.com/releases/noble/release-20261101/SHA256SUMS");
	ck_assert_str_eq(u, "https://other.internal/r/noble/release-20261101/SHA256SUMS");
	free(u);
	u = origin_fetch_url(&c, "https://cloud.debian.org/images/cloud/trixie/SHA512SUMS");
	ck_assert_str_eq(u, "https://cloud.debian.org/images/cloud/trixie/SHA512SUMS");
	free(u);
	origin_config_free(&c);

	config_refused("keyring: k\nkeys: x\n",
		       "c.yaml:2:1: unknown key 'keys' in origin (expected one of: keyring, fetch, cache, readback, import_plugin, trust_records)");
	config_refused("keyring: ''\n", "origin.keyring must not be empty");
	config_refused("fetch: {\"https://v.example/\": \"ftp://m/\"}\n",
		       "origin.fetch target 'ftp://m/' must be an http or https URL");
	config_refused("fetch: {\"http://v.example/\": \"http://m/\"}\n",
		       "origin.fetch prefix 'http://v.example/' must be an https URL");
	config_refused("fetch: {\"https://v.example/\": \"http://m/u\"}\n", "must end in '/'");
	config_refused("fetch: [\"https://v.example/\"]\n", "origin.fetch must be a mapping, not a list");
	config_refused("cache: soon\n", "origin.cache must be a duration");
	config_refused("[keyring]\n", "origin must be a mapping, not a list");
}
END_TEST

Suite *suite_origins(void)
{
	Suite *s = suite_create("origins");
	TCase *tc = tcase_create("origins");
	tcase_add_test(tc, the_shipped_file_is_as_designed);
	tcase_add_test(tc, fingerprints_are_normalised);
	tcase_add_test(tc, every_key_is_checked);
	tcase_add_test(tc, prefixes_are_https_directories);
	tcase_add_test(tc, files_and_keys_are_checked);
	tcase_add_test(tc, ubuntu_and_debian_files_lead_to_their_lists);
	tcase_add_test(tc, other_sources_lie_under_no_origin);
	tcase_add_test(tc, unverifiable_spellings_are_errors);
	tcase_add_test(tc, other_spellings_of_a_vendor_file);
	tcase_add_test(tc, the_longest_prefix_wins);
	tcase_add_test(tc, the_operator_config);
	suite_add_tcase(s, tc);
	return s;
}
