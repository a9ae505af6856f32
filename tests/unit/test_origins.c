/* origins: the shipped policy/scs-origins.yaml, every key checked, and
 * the lookup from image_source to the vendor's list, signature and file. */
#include "unit.h"
#include "core/origins.h"
#include "core/policy.h"
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

/* The origin of o whose prefix is prefix. */
static const struct origin *by_prefix(const struct origins *o, const char *prefix)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->o[i].prefix, prefix))
			return &o->o[i];
	ck_abort_msg("no origin %s", prefix);
	return NULL;
}

START_TEST(the_shipped_file_is_as_designed)
{
	struct origins o = shipped();
	const struct origin *g;
	ck_assert_int_eq(o.n, 16);
	g = by_prefix(&o, "https://cloud-images.ubuntu.com/");
	ck_assert_str_eq(g->checksums, "SHA256SUMS");
	ck_assert_int_eq(g->where, ORIGIN_AT_NAME);
	ck_assert_int_eq(g->format.algo, SUMS_SHA256);
	ck_assert_int_eq(g->format.lines, SUMS_GNU);
	ck_assert_int_eq(g->signed_as, ORIGIN_DETACHED);
	ck_assert_str_eq(g->signature, "SHA256SUMS.gpg");
	ck_assert_int_eq(g->n_keys, 1);
	ck_assert_str_eq(g->keys[0], "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81");
	ck_assert_int_eq(g->n_moving, 2);
	g = by_prefix(&o, "https://cloud.debian.org/images/cloud/");
	ck_assert_int_eq(g->format.algo, SUMS_SHA512);
	ck_assert_int_eq(g->signed_as, ORIGIN_UNSIGNED);
	ck_assert_ptr_null(g->signature);
	ck_assert_int_eq(g->n_keys, 0);
	by_prefix(&o, "https://cdimage.debian.org/cdimage/cloud/");
	/* a key per release, where the releases' keys differ */
	static const char *const fedora[][2] = {
		{ "42", "B0F4950458F69E1150C6C5EDC8AC4916105EF944" }, { "43", "C6E7F081CF80E13146676E88829B606631645531" },
		{ "44", "36F612DCF27F7D1A48A835E4DBFCF71C6D9F90A6" }, { "45", "4F50A6114CD5C6976A7F1179655A4B02F577861E" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fedora); i++) {
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "https://download.fedoraproject.org/pub/fedora/linux/releases/%s/Cloud/",
			 fedora[i][0]);
		g = by_prefix(&o, prefix);
		ck_assert_int_eq(g->where, ORIGIN_AT_PATTERN);
		ck_assert_str_eq(g->checksums, "*-CHECKSUM");
		ck_assert_int_eq(g->format.lines, SUMS_BSD);
		ck_assert(g->format.comments);
		ck_assert_int_eq(g->signed_as, ORIGIN_CLEARSIGNED);
		ck_assert_int_eq(g->n_keys, 1);
		ck_assert_str_eq(g->keys[0], fedora[i][1]);
	}
	g = by_prefix(&o, "https://repo.almalinux.org/almalinux/8/cloud/");
	ck_assert_str_eq(g->keys[0], "5E9B8F5617B5066CE92057C3488FCF7C3ABB34F8");
	ck_assert_str_eq(g->signature, "CHECKSUM.asc");
	ck_assert_int_eq(g->format.lines, SUMS_GNU);
	ck_assert_str_eq(by_prefix(&o, "https://repo.almalinux.org/almalinux/9/cloud/")->keys[0],
			 "BF18AC2876178908D6E71267D36CB86CB86B3716");
	ck_assert_str_eq(by_prefix(&o, "https://repo.almalinux.org/almalinux/10/cloud/")->keys[0],
			 "EE6DB7B98F5BF5EDD9DA0DE5DEE5C11CC2A1E572");
	ck_assert_str_eq(by_prefix(&o, "https://dl.rockylinux.org/pub/rocky/8/images/")->keys[0],
			 "7051C470A929F454CEBE37B715AF5DAC6D745A60");
	g = by_prefix(&o, "https://dl.rockylinux.org/pub/rocky/9/images/");
	ck_assert_int_eq(g->signed_as, ORIGIN_UNSIGNED);
	ck_assert_int_eq(g->format.lines, SUMS_BSD);
	ck_assert(g->format.comments);
	ck_assert_str_eq(by_prefix(&o, "https://dl.rockylinux.org/pub/rocky/10/images/")->keys[0],
			 "FC226859C0860BF0DDB95B085B106C736FEDFC85");
	ck_assert_int_eq(by_prefix(&o, "https://cloud.centos.org/centos/9-stream/")->signed_as, ORIGIN_UNSIGNED);
	ck_assert_int_eq(by_prefix(&o, "https://cloud.centos.org/centos/10-stream/")->signed_as, ORIGIN_UNSIGNED);
	g = by_prefix(&o, "https://download.opensuse.org/distribution/leap/15.6/appliances/");
	ck_assert_int_eq(g->where, ORIGIN_AT_FILE);
	ck_assert_str_eq(g->checksums, "{file}.sha256");
	ck_assert_str_eq(g->signature, "{list}.asc");
	ck_assert_str_eq(g->keys[0], "AD485664E901B867051AB15F35A2F86E29B700A4");
	origins_free(&o);
}
END_TEST

#define SUMS256 "{name: SHA256SUMS, algorithm: sha256, lines: gnu}"

START_TEST(fingerprints_are_normalised)
{
	static const char text[] = "origins:\n"
		"  - prefix: https://v.example/\n"
		"    checksums: " SUMS256 "\n"
		"    signature: {detached: SHA256SUMS.gpg}\n"
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

#define ENTRY(rest) "origins:\n  - prefix: https://v.example/\n    checksums: " SUMS256 "\n" rest

START_TEST(every_key_is_checked)
{
	refused(ENTRY("    checksum: SHA512SUMS\n"),
		"o.yaml:4:5: unknown key 'checksum' in an origin (expected one of: prefix, checksums, signature, keys, "
		"moving)");
	refused("origins: []\nextra: 1\n", "o.yaml:2:1: unknown key 'extra' in an origins file (expected one of: origins)");
	refused("origins: []\n", "o.yaml:1:10: origins must list at least one origin");
	refused("origins: {prefix: x}\n", "o.yaml:1:10: origins must be a list, not a mapping");
	refused("origins:\n  - checksums: " SUMS256 "\n", "o.yaml:2:5: an origin needs a 'prefix' key");
	refused("origins:\n  - prefix: https://v.example/\n", "o.yaml:2:5: an origin needs a 'checksums' key");
	refused(ENTRY(""), "o.yaml:2:5: an origin needs a 'signature' key");
	refused(ENTRY("    signature: none\n  - prefix: https://v.example/\n    checksums: " SUMS256 "\n"
		      "    signature: none\n"),
		"o.yaml:5:5: prefix 'https://v.example/' is already an origin (line 2)");
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

/* checksums: the list's name, pattern or template, its algorithm and
 * lines stated (never guessed from the name), comments. */
START_TEST(the_list_is_described_not_guessed)
{
#define LIST(c) "origins:\n  - prefix: https://v.example/\n    checksums: " c "\n    signature: none\n"
	refused(LIST("SHA256SUMS"), "o.yaml:3:16: checksums must be a mapping, not a scalar");
	refused(LIST("{name: SHA256SUMS, lines: gnu}"), "o.yaml:3:16: checksums needs a 'algorithm' key");
	refused(LIST("{name: SHA256SUMS, algorithm: sha256}"), "checksums needs a 'lines' key");
	refused(LIST("{algorithm: sha256, lines: gnu}"), "checksums needs a 'name' key");
	refused(LIST("{name: MD5SUMS, algorithm: md5, lines: gnu}"),
		"checksums.algorithm must be one of sha256|sha512, not 'md5'");
	refused(LIST("{name: CHECKSUM, algorithm: sha256, lines: tagged}"),
		"checksums.lines must be one of gnu|bsd, not 'tagged'");
	refused(LIST("{name: CHECKSUM, algorithm: sha256, lines: bsd, comments: maybe}"), "checksums.comments");
	refused(LIST("{name: CHECKSUM, algorithm: sha256, lines: bsd, format: x}"), "unknown key 'format' in checksums");
	refused(LIST("{name: ../SHA256SUMS, algorithm: sha256, lines: gnu}"),
		"checksums.name '../SHA256SUMS' must be a file name in the image file's directory");
	refused(LIST("{name: '{file}', algorithm: sha256, lines: gnu}"), "names the image itself");
	refused(LIST("{name: '{file}.{file}', algorithm: sha256, lines: gnu}"), "braces only in {file}, once");
	refused(LIST("{name: '{name}.sha256', algorithm: sha256, lines: gnu}"), "braces only in {file}, once");
	refused(LIST("{name: 'sums/*-CHECKSUM', algorithm: sha256, lines: bsd}"),
		"a pattern picks one file name of the image file's directory");
	refused(LIST("{name: '{file}*', algorithm: sha256, lines: bsd}"), "a pattern picks one file name");
	refused(LIST("{name: '.*SUMS', algorithm: sha256, lines: bsd}"), "no leading '.'");
#undef LIST
	static const char text[] = "origins:\n"
		"  - {prefix: https://a.example/, checksums: {name: CHECKSUM, algorithm: sha512, lines: bsd, "
		"comments: true}, signature: none}\n"
		"  - {prefix: https://b.example/, checksums: {name: '*-CHECKSUM', algorithm: sha256, lines: bsd}, "
		"signature: none}\n"
		"  - {prefix: https://c.example/, checksums: {name: '{file}.sha256', algorithm: sha256, lines: gnu}, "
		"signature: none}\n";
	struct origins o = { 0 };
	char err[512];
	ck_assert_msg(load("o.yaml", text, strlen(text), 0, &o, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(o.o[0].where, ORIGIN_AT_NAME);
	ck_assert_int_eq(o.o[0].format.algo, SUMS_SHA512);
	ck_assert_int_eq(o.o[0].format.lines, SUMS_BSD);
	ck_assert(o.o[0].format.comments);
	ck_assert_int_eq(o.o[1].where, ORIGIN_AT_PATTERN);
	ck_assert(!o.o[1].format.comments);
	ck_assert_int_eq(o.o[2].where, ORIGIN_AT_FILE);
	origins_free(&o);
}
END_TEST

/* signature: none, clearsigned or {detached: NAME}; keys exactly when signed. */
START_TEST(signatures_and_keys_are_checked)
{
#define KEY "    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81]\n"
	refused(ENTRY("    signature: SHA256SUMS.gpg\n" KEY),
		"o.yaml:4:16: signature must be none, clearsigned or {detached: NAME}");
	refused(ENTRY("    signature: {detached: sigs/SHA256SUMS.gpg}\n" KEY),
		"signature.detached 'sigs/SHA256SUMS.gpg' must be a file name");
	refused(ENTRY("    signature: {detached: '{file}.asc'}\n" KEY), "braces only in {list}, once");
	refused(ENTRY("    signature: {clearsigned: true}\n" KEY), "unknown key 'clearsigned' in signature");
	refused(ENTRY("    signature: {detached: SHA256SUMS.gpg}\n"),
		"o.yaml:2:5: a signed origin needs 'keys': the fingerprints of its signers");
	refused(ENTRY("    signature: clearsigned\n"), "a signed origin needs 'keys'");
	refused(ENTRY("    signature: none\n" KEY),
		"an origin with 'keys' needs a signature for them to make (signature: none)");
	refused(ENTRY("    signature: clearsigned\n    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C8]\n"),
		"o.yaml:5:12: a key fingerprint must be 40 hex digits (spaces allowed), not "
		"'D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C8'");
	refused(ENTRY("    signature: clearsigned\n    keys: [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C811]\n"),
		"must be 40 hex digits");
	refused(ENTRY("    signature: clearsigned\n    keys: [0xD2EB44626FDDC30B513D5BB71A5D6C4C7DB87C]\n"),
		"must be 40 hex digits");
	refused(ENTRY("    signature: clearsigned\n    keys: [7DB87C81]\n"), "must be 40 hex digits");
	refused(ENTRY("    signature: clearsigned\n    keys: []\n"), "keys must list at least one fingerprint");
	refused(ENTRY("    signature: clearsigned\n    keys: D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81\n"),
		"keys must be a list, not a scalar");
	refused(ENTRY("    signature: none\n    moving: [releases/current]\n"),
		"moving: 'releases/current' must be one path segment's name or pattern, without '/'");
	refused(ENTRY("    signature: none\n    moving: []\n"), "moving must list at least one value");
#undef KEY
}
END_TEST

/* What one image_source leads to under the shipped origins. */
static int match(const char *url, struct origin_ref *ref, char *err, size_t errlen)
{
	struct origins o = shipped();
	int rc = origins_match(&o, url, ref, err, errlen);
	if (rc == 1)
		ck_assert_ptr_nonnull(ref->origin);
	/* ref->origin and ref->moving point into o; keep only what the tests look at */
	static char moving[64];
	if (rc == 1 && ref->moving) {
		snprintf(moving, sizeof(moving), "%s", ref->moving);
		ref->moving = moving;
	}
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

/* Each vendor's layout: the list beside the file (by name, found by the
 * directory's index for a pattern, or made from the file's name), the
 * signature's name, and whether the URL is one the vendor republishes. */
START_TEST(every_vendor_file_leads_to_its_list)
{
	struct origin_ref r;
	char err[512];
	static const char fed[] = "https://download.fedoraproject.org/pub/fedora/linux/releases/42/Cloud/x86_64/images/";
	ck_assert_int_eq(match("https://download.fedoraproject.org/pub/fedora/linux/releases/42/Cloud/x86_64/images/"
			       "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.dir, fed);
	ck_assert_ptr_null(r.list_url);         /* the index names it */
	ck_assert_ptr_null(r.sig_url);
	ck_assert_ptr_null(r.moving);
	origin_ref_free(&r);

	static const char suse[] = "https://download.opensuse.org/distribution/leap/15.6/appliances/"
				   "openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build18.7.qcow2";
	ck_assert_int_eq(match(suse, &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url + strlen(r.dir), "openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build18.7.qcow2.sha256");
	ck_assert_str_eq(r.sig_url + strlen(r.dir), "openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build18.7.qcow2.sha256.asc");
	origin_ref_free(&r);

	ck_assert_int_eq(match("https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/"
			       "AlmaLinux-9-GenericCloud-latest.x86_64.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM");
	ck_assert_str_eq(r.sig_url, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM.asc");
	ck_assert_str_eq(r.moving, "*-latest.*");
	origin_ref_free(&r);
	ck_assert_int_eq(match("https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/"
			       "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_ptr_null(r.moving);
	origin_ref_free(&r);

	ck_assert_int_eq(match("https://dl.rockylinux.org/pub/rocky/9/images/x86_64/"
			       "Rocky-9-GenericCloud-Base.latest.x86_64.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://dl.rockylinux.org/pub/rocky/9/images/x86_64/CHECKSUM");
	ck_assert_ptr_null(r.sig_url);
	ck_assert_str_eq(r.moving, "*.latest.*");
	origin_ref_free(&r);
	ck_assert_int_eq(match("https://dl.rockylinux.org/pub/rocky/8/images/x86_64/x.qcow2", &r, err, sizeof(err)), 1);
	ck_assert_str_eq(r.sig_url, "https://dl.rockylinux.org/pub/rocky/8/images/x86_64/CHECKSUM.sig");
	origin_ref_free(&r);

	static const char *const moving[][2] = {
		{ "https://cloud-images.ubuntu.com/releases/noble/release/x.img", "release" },
		{ "https://cloud-images.ubuntu.com/noble/current/x.img", "current" },
		{ "https://cloud.debian.org/images/cloud/trixie/latest/x.qcow2", "latest" },
		{ "https://cloud-images.ubuntu.com/releases/noble/release-20261101/x.img", NULL },
		{ "https://cloud.debian.org/images/cloud/trixie/20261101-1234/latest.qcow2", NULL },   /* a segment whole */
	};
	for (size_t i = 0; i < ARRAY_SIZE(moving); i++) {
		ck_assert_int_eq(match(moving[i][0], &r, err, sizeof(err)), 1);
		if (moving[i][1])
			ck_assert_str_eq(r.moving, moving[i][1]);
		else
			ck_assert_ptr_null(r.moving);
		origin_ref_free(&r);
	}
	/* the release is the prefix that matched: no origin for Fedora 41 */
	ck_assert_int_eq(match("https://download.fedoraproject.org/pub/fedora/linux/releases/41/Cloud/x86_64/images/"
			       "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2", &r, err, sizeof(err)), 0);
}
END_TEST

/* A directory's list (sync's checksum-list): the list any file of it is
 * looked up in; none for a per-image origin. */
START_TEST(a_directory_leads_to_its_list)
{
	struct origins o = shipped();
	struct origin_ref r;
	char err[512];

	ck_assert_int_eq(origins_match_dir(&o, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/", &r, err,
					   sizeof(err)), 1);
	ck_assert_str_eq(r.list_url, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM");
	ck_assert_str_eq(r.sig_url, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM.asc");
	ck_assert_str_eq(r.dir, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/");
	origin_ref_free(&r);
	ck_assert_int_eq(origins_match_dir(&o, "https://download.fedoraproject.org/pub/fedora/linux/releases/42/Cloud/"
					   "x86_64/images/", &r, err, sizeof(err)), 1);
	ck_assert_ptr_null(r.list_url);                 /* a pattern's: the directory's index names it */
	origin_ref_free(&r);
	ck_assert_int_eq(origins_match_dir(&o, "https://download.opensuse.org/distribution/leap/15.6/appliances/", &r,
					   err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "whose lists are per image ({file}.sha256)"), "%s", err);
	ck_assert_int_eq(origins_match_dir(&o, "https://example.org/images/", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(origins_match_dir(&o, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images", &r, err,
					   sizeof(err)), -1);
	ck_assert_msg(strstr(err, "must end in '/'"), "%s", err);
	ck_assert_int_eq(origins_match_dir(&o, "https://repo.almalinux.org/almalinux/9/../9/cloud/", &r, err,
					   sizeof(err)), -1);
	ck_assert_msg(strstr(err, "'https://repo.almalinux.org/almalinux/9/../9/cloud/' is no plain directory URL"), "%s",
		      err);
	origins_free(&o);
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
		"  - {prefix: https://v.example/, checksums: " SUMS256 ", signature: none}\n"
		"  - {prefix: https://v.example/debian/, checksums: {name: SHA512SUMS, algorithm: sha512, lines: gnu}, "
		"signature: none}\n";
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
		       "c.yaml:2:1: unknown key 'keys' in origin (expected one of: keyring, fetch, cache, readback, "
		       "import_plugin, trust_records, signed_only)");
	config_refused("signed_only: yes\n", "origin.signed_only");
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

/* Origins alone are a policy: verification before the SCS names. */
START_TEST(origins_alone_are_a_policy)
{
	struct policy *p = policy_new();
	char err[512];
	ck_assert_msg(policy_load_spec(p, ours("scs-origins.yaml"), err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(policy_finish(p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(p->origins.n, 16);
	ck_assert_int_eq(p->n_entries + p->n_rules + p->n_meta, 0);
	policy_free(p);
	p = policy_new();
	ck_assert_int_eq(policy_finish(p, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no 'image_metadata' rules, no 'origins'"), "%s", err);
	policy_free(p);
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
	tcase_add_test(tc, the_list_is_described_not_guessed);
	tcase_add_test(tc, signatures_and_keys_are_checked);
	tcase_add_test(tc, every_vendor_file_leads_to_its_list);
	tcase_add_test(tc, origins_alone_are_a_policy);
	tcase_add_test(tc, ubuntu_and_debian_files_lead_to_their_lists);
	tcase_add_test(tc, other_sources_lie_under_no_origin);
	tcase_add_test(tc, a_directory_leads_to_its_list);
	tcase_add_test(tc, unverifiable_spellings_are_errors);
	tcase_add_test(tc, other_spellings_of_a_vendor_file);
	tcase_add_test(tc, the_longest_prefix_wins);
	tcase_add_test(tc, the_operator_config);
	suite_add_tcase(s, tc);
	return s;
}
