/* vendor and decide_origin: a mirror built by tests/origin/mkmirror
 * (real gpg signatures), served by a loopback HTTP server in the test
 * process (libmicrohttpd) that counts the requests, reached through
 * origin.fetch as an operator would configure it. */
#include "unit.h"
#include "core/digest.h"
#include "core/record.h"
#include "core/util.h"
#include "io/vendor.h"

#include "core/buf.h"

#include <dirent.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Daemon *server;
static unsigned port;
static atomic_uint requests;

/* A directory's index as web servers write one: a link per entry. */
static char *listing(const char *path, size_t *len)
{
	DIR *d = opendir(path);
	struct buf b = { 0 };
	struct dirent *e;

	if (!d)
		return NULL;
	static const char head[] = "<html><body><a href=\"../\">../</a>\n";
	buf_add(&b, head, sizeof(head) - 1);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			char line[600];
			int n = snprintf(line, sizeof(line), "<a href=\"%s\">%s</a> 2026-11-01 12:00 4K\n", e->d_name,
					 e->d_name);
			buf_add(&b, line, (size_t)n);
		}
	closedir(d);
	return buf_detach(&b, len);
}

/* GET /PATH: the mirror's file, a directory's index, or 404; GET
 * /redirect/PATH: 302 to /PATH on another host name (localhost). */
static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			     const char *version, const char *data, size_t *data_len, void **state)
{
	char path[512], err[256];
	size_t len = 0;
	struct stat st;
	(void)cls, (void)method, (void)version, (void)data, (void)data_len, (void)state;

	atomic_fetch_add(&requests, 1);
	if (!strncmp(url, "/redirect/", 10)) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		snprintf(path, sizeof(path), "http://localhost:%u%s", port, url + 9);
		MHD_add_response_header(r, "Location", path);
		enum MHD_Result rc = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return rc;
	}
	snprintf(path, sizeof(path), "%s%s", mirror, url);
	char *body = strstr(url, "..") ? NULL
		     : stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? listing(path, &len)
								     : file_read(path, 8u << 20, &len, err, sizeof(err));
	struct MHD_Response *r = body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
				      : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, body ? 200 : 404, r);
	MHD_destroy_response(r);
	return rc;
}

static void server_start(void)
{
	atomic_store(&requests, 0);
	server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
				  serve, NULL, MHD_OPTION_END);
	ck_assert(server);
	port = MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void server_stop(void)
{
	MHD_stop_daemon(server);
}

/* Every vendor host of the shipped origins, and where the mirror has it. */
static const char *const hosts[][2] = {
	{ "https://cloud-images.ubuntu.com/", "ubuntu/" },
	{ "https://cloud.debian.org/images/cloud/", "debian/images/cloud/" },
	{ "https://download.fedoraproject.org/", "fedora/" },
	{ "https://repo.almalinux.org/", "almalinux/" },
	{ "https://dl.rockylinux.org/", "rocky/" },
	{ "https://cloud.centos.org/", "centos/" },
	{ "https://download.opensuse.org/", "opensuse/" },
};

/* A policy with the shipped origins (the mirror's copy: its keys for the
 * vendors', tests/origin/mkmirror) and the test mirror's fetch map. */
static struct policy *policy_for(const char *fetch_to, long cache_ms, int fail_open)
{
	char text[1024], err[1024];

	struct policy *p = policy_new();
	snprintf(text, sizeof(text), "%s/origins.yaml", mirror);
	ck_assert_msg(policy_load_spec(p, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(policy_load_spec(p, ours("scs-0104-v2-images.yaml"), err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(policy_finish(p, err, sizeof(err)) == 0, "%s", err);
	snprintf(text, sizeof(text), "%s/keys/vendors.asc", mirror);
	p->origin.keyring = xstrdup(text);
	p->origin.fetch = xcalloc(ARRAY_SIZE(hosts), sizeof(*p->origin.fetch));
	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		p->origin.fetch[p->origin.n_fetch].from = xstrdup(hosts[i][0]);
		snprintf(text, sizeof(text), "%s/%s", fetch_to, hosts[i][1]);
		p->origin.fetch[p->origin.n_fetch++].to = xstrdup(text);
	}
	p->origin.cache_ms = cache_ms;
	p->origin.fail_open = fail_open;
	return p;
}

static const char *here(void)
{
	static char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	return url;
}

#define UBUNTU "https://cloud-images.ubuntu.com/releases/noble/release-"
#define IMG "ubuntu-24.04-server-cloudimg-amd64.img"

/* What the vendor says about image_source. */
static void expect(const struct policy *p, struct vendor *v, const char *source, struct origin_expect *e)
{
	struct origin_ref ref;
	char err[512];
	ck_assert_msg(origins_match(&p->origins, source, &ref, err, sizeof(err)) == 1, "%s", source);
	vendor_expect(v, &ref, e);
	origin_ref_free(&ref);
}

static struct vendor *vendor_of(const struct policy *p)
{
	char err[512];
	struct vendor *v = vendor_new(&p->origin, err, sizeof(err));
	ck_assert_msg(v, "%s", err);
	return v;
}

/* The digest of a mirror file, as hex. */
static void sha_of(const char *rel, enum sums_algo algo, char hex[SUMS_MAX_HEX + 1])
{
	size_t len;
	char *s = mirror_file(rel, &len);
	struct digest *d = digest_new(algo);
	digest_update(d, s, len);
	digest_hex(d, hex);
	digest_free(d);
	free(s);
}

START_TEST(a_signed_list_is_fetched_verified_and_cached)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;
	char hex[SUMS_MAX_HEX + 1];
	size_t len;

	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	sha_of("ubuntu/releases/noble/release-20261101/" IMG, SUMS_SHA256, hex);
	ck_assert_str_eq(e.expected, hex);
	char *f = mirror_file("keys/vendor.fpr", &len);
	ck_assert(!strncmp(e.signer, f, 40));
	free(f);
	ck_assert_str_eq(e.list_url, UBUNTU "20261101/SHA256SUMS");
	ck_assert_str_eq(e.file, IMG);
	ck_assert_uint_eq(atomic_load(&requests), 2);     /* the list and its signature */
	/* the same directory again, another file of it: from the cache */
	expect(p, v, UBUNTU "20261101/ubuntu-24.04-server-cloudimg-amd64.manifest", &e);
	ck_assert_int_eq(e.status, ORIGIN_LISTED);
	ck_assert_uint_eq(atomic_load(&requests), 2);
	ck_assert_uint_eq(vendor_fetches(v), 1);
	vendor_free(v);
	policy_free(p);
}
END_TEST

START_TEST(an_expired_list_is_fetched_again)
{
	struct policy *p = policy_for(here(), 1, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_LISTED);
	usleep(20000);          /* beyond the 1 ms cache: not a speed test */
	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_LISTED);
	ck_assert_uint_eq(vendor_fetches(v), 2);
	vendor_free(v);
	policy_free(p);
}
END_TEST

START_TEST(signature_failures_are_origin_signature)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	expect(p, v, UBUNTU "20261102-otherkey/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_msg(strstr(e.why, "SHA256SUMS.gpg"), "%s", e.why);
	expect(p, v, UBUNTU "20261103-tampered/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	expect(p, v, UBUNTU "20261104-unsigned/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_msg(strstr(e.why, "has no signature"), "%s", e.why);
	ck_assert_str_eq(e.expected, "");
	expect(p, v, UBUNTU "20261105-binary/" IMG, &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	/* failures are not kept: asked again, fetched again */
	unsigned long before = vendor_fetches(v);
	expect(p, v, UBUNTU "20261102-otherkey/" IMG, &e);
	ck_assert_uint_eq(vendor_fetches(v), before + 1);
	vendor_free(v);
	policy_free(p);
}
END_TEST

START_TEST(no_keyring_no_signed_list)
{
	struct policy *p = policy_for(here(), 0, 0);
	free(p->origin.keyring);
	p->origin.keyring = NULL;
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_msg(strstr(e.why, "origin.keyring"), "%s", e.why);
	vendor_free(v);
	policy_free(p);
}
END_TEST

START_TEST(unlisted_and_unsigned)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;
	char hex[SUMS_MAX_HEX + 1];

	expect(p, v, UBUNTU "20261101/ubuntu-24.04-server-cloudimg-arm64.img", &e);
	ck_assert_int_eq(e.status, ORIGIN_UNLISTED);
	ck_assert_msg(strstr(e.why, "no entry for 'ubuntu-24.04-server-cloudimg-arm64.img'"), "%s", e.why);
	expect(p, v, "https://cloud.debian.org/images/cloud/trixie/20261101-1234/debian-13-generic-amd64-20261101-1234.qcow2",
	       &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert_str_eq(e.signer, "unsigned");
	ck_assert_int_eq(e.algo, SUMS_SHA512);
	sha_of("debian/images/cloud/trixie/20261101-1234/debian-13-generic-amd64-20261101-1234.qcow2", SUMS_SHA512,
	       hex);
	ck_assert_str_eq(e.expected, hex);
	vendor_free(v);
	policy_free(p);
}
END_TEST

#define FED "https://download.fedoraproject.org/pub/fedora/linux/releases/"
#define FED42 "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2"
#define ALMA "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/"
#define SUSE "https://download.opensuse.org/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud"

/* What the vendor says, and that it is LISTED with the mirror file's digest. */
static void listed(const struct policy *p, struct vendor *v, const char *source, const char *rel, const char *signer,
		   struct origin_expect *e)
{
	char hex[SUMS_MAX_HEX + 1], fpr[64];
	size_t len;
	expect(p, v, source, e);
	ck_assert_msg(e->status == ORIGIN_LISTED, "%s: %s", source, e->why);
	sha_of(rel, SUMS_SHA256, hex);
	ck_assert_str_eq(e->expected, hex);
	char *f = mirror_file(signer, &len);
	snprintf(fpr, sizeof(fpr), "%.40s", f);
	free(f);
	ck_assert_str_eq(e->signer, fpr);
}

/* Each vendor's real format through the shipped origins: the list found
 * (by name, by the directory's index, from the file's name), its
 * signature (detached armored or binary, clearsigned, a v3 packet, none),
 * its lines (GNU, BSD, '#' comments, CRLF). */
START_TEST(every_vendor_format_is_verified)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	listed(p, v, FED "42/Cloud/x86_64/images/" FED42, "fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/" FED42,
	       "keys/vendor.fpr", &e);
	ck_assert_str_eq(e.list_url, FED "42/Cloud/x86_64/images/Fedora-Cloud-42-1.1-x86_64-CHECKSUM");
	ck_assert_uint_eq(atomic_load(&requests), 2);     /* the index, the list: the signature is in it */
	listed(p, v, FED "43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2",
	       "fedora/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2",
	       "keys/other.fpr", &e);
	listed(p, v, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2",
	       "almalinux/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2",
	       "keys/vendor.fpr", &e);
	ck_assert_str_eq(e.moving, "");
	listed(p, v, "https://dl.rockylinux.org/pub/rocky/8/images/x86_64/Rocky-8-GenericCloud-Base-8.10-20240528.0.x86_64.qcow2",
	       "rocky/pub/rocky/8/images/x86_64/Rocky-8-GenericCloud-Base-8.10-20240528.0.x86_64.qcow2", "keys/vendor.fpr",
	       &e);
	expect(p, v, "https://dl.rockylinux.org/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2",
	       &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert_str_eq(e.signer, "unsigned");
	ck_assert_str_eq(e.moving, "*.latest.*");
	expect(p, v, "https://cloud.centos.org/centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-20241118.0.x86_64.qcow2",
	       &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "CRLF: %s", e.why);
	listed(p, v, SUSE "-Build1.1.qcow2",
	       "opensuse/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build1.1.qcow2",
	       "keys/vendor.fpr", &e);
	ck_assert_str_eq(e.list_url, SUSE "-Build1.1.qcow2.sha256");
	/* the unversioned name's list names the build it stands for */
	expect(p, v, SUSE ".qcow2", &e);
	ck_assert_int_eq(e.status, ORIGIN_UNLISTED);
	ck_assert_msg(strstr(e.why, "is for 'openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build1.1.qcow2' only"), "%s", e.why);
	expect(p, v, UBUNTU "/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_UNAVAILABLE);          /* release-/ is no directory */
	expect(p, v, "https://cloud-images.ubuntu.com/releases/noble/release/" IMG, &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert_str_eq(e.moving, "release");
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* A list that was fetched but is not one in its origin's format is
 * origin/list-invalid; a signature that does not cover it stays
 * origin/signature. */
START_TEST(an_unreadable_list_is_a_verdict)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;
	static const struct { const char *source; enum origin_status st; const char *why; } cases[] = {
		{ FED "42/Cloud/s390x/images/" FED42, ORIGIN_INVALID, "text after the signature block (line 2" },
		{ FED "42/Cloud/ppc64le/images/" FED42, ORIGIN_INVALID, "text before the signed part" },
		{ FED "42/Cloud/aarch64/images/" FED42, ORIGIN_SIGNATURE, "which is not one of the accepted keys" },
		{ FED "42/Cloud/armhfp/images/" FED42, ORIGIN_SIGNATURE, "no signature covers it" },
		{ FED "42/Cloud/i686/images/" FED42, ORIGIN_INVALID, "names more than one file matching '*-CHECKSUM'" },
		{ FED "41/Cloud/x86_64/images/" FED42, -1, NULL },      /* no origin: Fedora 41 is not shipped */
		{ FED "42/Cloud/x86_64/nothing/" FED42, ORIGIN_UNAVAILABLE, "HTTP 404" },
		{ "https://dl.rockylinux.org/pub/rocky/9/images/aarch64/Rocky-9-GenericCloud-Base-9.5-20241118.0.x86_64.qcow2",
		  ORIGIN_INVALID, "CHECKSUM:3: a comment line carrying a digest" },
		{ "https://repo.almalinux.org/almalinux/9/cloud/aarch64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2",
		  ORIGIN_INVALID, "not a GNU-style line" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct origin_ref ref;
		char err[512];
		int m = origins_match(&p->origins, cases[i].source, &ref, err, sizeof(err));
		if ((int)cases[i].st < 0) {
			ck_assert_int_eq(m, 0);
			continue;
		}
		ck_assert_int_eq(m, 1);
		vendor_expect(v, &ref, &e);
		origin_ref_free(&ref);
		ck_assert_msg(e.status == cases[i].st, "%s: %d %s", cases[i].source, e.status, e.why);
		ck_assert_msg(strstr(e.why, cases[i].why), "%s: %s", cases[i].source, e.why);
		ck_assert_str_eq(e.expected, "");
	}
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* A directory's list as a whole (sync's checksum-list): verified and
 * cached as a file's is, so the file picked from it is answered from the
 * cache; a per-image origin has no list of a directory. */
START_TEST(a_directory_list_is_handed_over_whole)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;
	struct sums list;
	size_t len;
	char *fpr = mirror_file("keys/vendor.fpr", &len);

	ck_assert_int_eq(vendor_dir_list(v, &p->origins, ALMA, &list, &e), 1);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert_str_eq(e.list_url, ALMA "CHECKSUM");
	ck_assert(!strncmp(e.signer, fpr, 40));
	ck_assert_uint_eq(list.n, 3);
	ck_assert(sums_find(&list, "AlmaLinux-9-GenericCloud-latest.x86_64.qcow2"));
	ck_assert_uint_eq(vendor_fetches(v), 1);
	expect(p, v, ALMA "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2", &e);
	ck_assert_int_eq(e.status, ORIGIN_LISTED);
	ck_assert_str_eq(e.expected, sums_find(&list, "AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2")->hex);
	ck_assert_uint_eq(vendor_fetches(v), 1);        /* the same list, from the cache */
	sums_free(&list);
	/* a list found by the directory's index */
	ck_assert_int_eq(vendor_dir_list(v, &p->origins, FED "42/Cloud/x86_64/images/", &list, &e), 1);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert(sums_find(&list, FED42));
	sums_free(&list);
	/* a tampered list, a per-image origin, no origin */
	ck_assert_int_eq(vendor_dir_list(v, &p->origins, FED "42/Cloud/aarch64/images/", &list, &e), 1);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_uint_eq(list.n, 0);
	ck_assert_int_eq(vendor_dir_list(v, &p->origins, "https://download.opensuse.org/distribution/leap/15.6/appliances/",
					 &list, &e), 1);
	ck_assert_int_eq(e.status, ORIGIN_INVALID);
	ck_assert_msg(strstr(e.why, "lists are per image"), "%s", e.why);
	ck_assert_int_eq(vendor_dir_list(v, &p->origins, "https://example.org/images/", &list, &e), 0);
	free(fpr);
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* A clearsigned vendor file (a simplestreams .sjson) through the same
 * frame check and verification as a clearsigned list. */
START_TEST(a_clearsigned_file_is_read_only_as_signed)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;
	char keys[1][ORIGIN_FPR_LEN + 1], *text, *plain;
	size_t len, plain_len;
	char *fpr = mirror_file("keys/vendor.fpr", &len);

	snprintf(keys[0], sizeof(keys[0]), "%.40s", fpr);
	free(fpr);
	ck_assert_int_eq(vendor_read_signed(v, FED "42/Cloud/x86_64/images/Fedora-Cloud-42-1.1-x86_64-CHECKSUM",
					    SUMS_MAX_BYTES, (const char (*)[ORIGIN_FPR_LEN + 1])keys, 1, &text, &len, &e), 0);
	plain = mirror_file("fedora/pub/fedora/linux/releases/42/Cloud/armhfp/images/Fedora-Cloud-42-1.1-x86_64-CHECKSUM",
			    &plain_len);
	ck_assert_uint_eq(len, plain_len);
	ck_assert(!memcmp(text, plain, len));           /* the signed text, nothing of the frame */
	ck_assert_str_eq(e.signer, keys[0]);
	free(text);
	free(plain);
	static const struct { const char *arch; enum origin_status st; } bad[] = {
		{ "s390x", ORIGIN_INVALID }, { "aarch64", ORIGIN_SIGNATURE }, { "armhfp", ORIGIN_SIGNATURE },
		{ "nothing", ORIGIN_UNAVAILABLE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char url[512];
		snprintf(url, sizeof(url), FED "42/Cloud/%s/images/Fedora-Cloud-42-1.1-x86_64-CHECKSUM", bad[i].arch);
		ck_assert_int_eq(vendor_read_signed(v, url, SUMS_MAX_BYTES, (const char (*)[ORIGIN_FPR_LEN + 1])keys, 1,
						    &text, &len, &e), -1);
		ck_assert_msg(e.status == bad[i].st, "%s: %d %s", bad[i].arch, e.status, e.why);
		ck_assert_ptr_null(text);
	}
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* origin.signed_only: an origin whose vendor signs nothing is refused
 * before anything is fetched; signed ones verify as before. */
START_TEST(signed_only_refuses_the_unsigned)
{
	struct policy *p = policy_for(here(), 0, 0);
	p->origin.signed_only = 1;
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	expect(p, v, "https://cloud.debian.org/images/cloud/trixie/20261101-1234/debian-13-generic-amd64-20261101-1234.qcow2",
	       &e);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_msg(strstr(e.why, "origin.signed_only"), "%s", e.why);
	ck_assert(e.signed_only);
	ck_assert_str_eq(e.signer, "unsigned");
	ck_assert_uint_eq(atomic_load(&requests), 0);
	struct sums list;
	ck_assert_int_eq(vendor_dir_list(v, &p->origins, "https://cloud.debian.org/images/cloud/trixie/20261101-1234/",
					 &list, &e), 1);
	ck_assert_int_eq(e.status, ORIGIN_SIGNATURE);
	ck_assert_uint_eq(atomic_load(&requests), 0);
	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_msg(e.status == ORIGIN_LISTED, "%s", e.why);
	ck_assert(e.signed_only);
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* A redirect to another host is followed for a signed list (its
 * signature vouches for it), never for an unsigned one. */
START_TEST(redirects_only_for_signed_lists)
{
	char to[128];
	snprintf(to, sizeof(to), "%s/redirect", here());
	struct policy *p = policy_for(to, 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	listed(p, v, FED "42/Cloud/x86_64/images/" FED42, "fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/" FED42,
	       "keys/vendor.fpr", &e);
	ck_assert_uint_eq(atomic_load(&requests), 4);     /* index and list, each redirected */
	listed(p, v, "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2",
	       "almalinux/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2",
	       "keys/vendor.fpr", &e);
	expect(p, v, "https://dl.rockylinux.org/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud-Base-9.5-20241118.0.x86_64.qcow2",
	       &e);
	ck_assert_int_eq(e.status, ORIGIN_UNAVAILABLE);
	ck_assert_msg(strstr(e.why, "HTTP 302, a redirect to http://localhost:") && strstr(e.why, "not followed: the list "
										   "is unsigned"), "%s", e.why);
	vendor_free(v);
	policy_free(p);
}
END_TEST

START_TEST(an_unreachable_mirror_is_unavailable_and_not_cached)
{
	struct policy *p = policy_for("http://127.0.0.1:1", 0, 0);
	struct vendor *v = vendor_of(p);
	struct origin_expect e;

	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_UNAVAILABLE);
	/* the vendor's URL and where it was fetched from */
	ck_assert_msg(strstr(e.why, UBUNTU "20261101/SHA256SUMS (fetched from http://127.0.0.1:1/ubuntu/"), "%s", e.why);
	expect(p, v, UBUNTU "20261101/" IMG, &e);
	ck_assert_uint_eq(vendor_fetches(v), 2);
	/* a directory that does not exist: unavailable, HTTP 404 named */
	policy_free(p);
	vendor_free(v);
	p = policy_for(here(), 0, 0);
	v = vendor_of(p);
	expect(p, v, UBUNTU "20991231/" IMG, &e);
	ck_assert_int_eq(e.status, ORIGIN_UNAVAILABLE);
	ck_assert_msg(strstr(e.why, "HTTP 404"), "%s", e.why);
	vendor_free(v);
	policy_free(p);
}
END_TEST

struct racer {
	const struct policy *p;
	struct vendor *v;
	struct origin_expect e;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	expect(r->p, r->v, UBUNTU "20261101/" IMG, &r->e);
	return NULL;
}

START_TEST(concurrent_misses_fetch_once)
{
	struct policy *p = policy_for(here(), 0, 0);
	struct vendor *v = vendor_of(p);
	struct racer r[8];
	pthread_t t[8];

	for (int i = 0; i < 8; i++) {
		r[i] = (struct racer){ .p = p, .v = v };
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(r[i].e.status == ORIGIN_LISTED, "%s", r[i].e.why);
	}
	ck_assert_uint_eq(vendor_fetches(v), 1);
	ck_assert_uint_eq(atomic_load(&requests), 2);
	vendor_free(v);
	policy_free(p);
}
END_TEST

/* ---- decide_origin (pure: an origin_expect made by hand) ---------------- */

static const char *const H1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *const H2 = "2222222222222222222222222222222222222222222222222222222222222222";

static struct origin_expect made(enum origin_status st)
{
	struct origin_expect e = { .status = st, .algo = SUMS_SHA256 };
	snprintf(e.list_url, sizeof(e.list_url), UBUNTU "20261101/SHA256SUMS");
	snprintf(e.file, sizeof(e.file), IMG);
	if (st == ORIGIN_LISTED)
		snprintf(e.expected, sizeof(e.expected), "%s", H1);
	else
		snprintf(e.why, sizeof(e.why), "the vendor said no");
	return e;
}

#define PUBLIC_IMG "{\"id\":\"i1\",\"name\":\"x\",\"visibility\":\"public\",\"owner\":\"p1\"," \
		   "\"image_source\":\"" UBUNTU "20261101/" IMG "\"}"

/* Decide PUBLIC_IMG (or json), with source_sha256sum declared when not
 * NULL, then add the origin judgement. */
static struct decision judge(const struct policy *p, const char *json, const struct origin_expect *e,
			     const char *actual, const char *declared)
{
	struct image img = { 0 };
	char with[1024];
	const char *base = json ? json : PUBLIC_IMG;

	if (declared)
		snprintf(with, sizeof(with), "%.*s,\"source_sha256sum\":\"%s\"}", (int)strlen(base) - 1, base,
			 declared);
	struct decision d = decide_json(p, declared ? with : base, &img);
	struct caller who = { .project_id = "p1" };
	decide_origin(p, &img, &who, date_parse("2026-11-21"), e, actual, &d);
	image_release(&img);
	return d;
}

static const struct violation *find_rule(const struct decision *d, const char *rule)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].rule, rule))
			return &d->v[i];
	return NULL;
}

START_TEST(decide_origin_rules)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	struct origin_expect e = made(ORIGIN_LISTED);
	char msg[1024];

	struct decision d = judge(p, NULL, &e, H1, H1);
	ck_assert_int_eq(d.action, ACTION_ALLOW);
	ck_assert_uint_eq(d.n, 0);
	d = judge(p, NULL, &e, NULL, NULL);       /* digest not known yet: nothing to judge */
	ck_assert_int_eq(d.action, ACTION_ALLOW);

	d = judge(p, NULL, &e, H2, NULL);
	ck_assert_int_eq(d.action, ACTION_DENY);
	const struct violation *v = find_rule(&d, "origin/checksum");
	ck_assert(v);
	violation_message(v, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, IMG) && strstr(msg, H1) && strstr(msg, H2) && strstr(msg, e.list_url), "%s", msg);

	d = judge(p, NULL, &e, H1, H2);
	ck_assert_int_eq(d.action, ACTION_DENY);
	ck_assert(find_rule(&d, "origin/declared"));
	d = judge(p, NULL, &e, H1, "1111111111111111111111111111111111111111111111111111111111111111");
	ck_assert_int_eq(d.action, ACTION_ALLOW);

	static const struct { enum origin_status st; const char *rule; } fail[] = {
		{ ORIGIN_UNLISTED, "origin/unlisted" },
		{ ORIGIN_SIGNATURE, "origin/signature" },
		{ ORIGIN_UNAVAILABLE, "origin/unavailable" },
		{ ORIGIN_INVALID, "origin/list-invalid" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fail); i++) {
		struct origin_expect f = made(fail[i].st);
		d = judge(p, NULL, &f, H1, NULL);
		ck_assert_int_eq(d.action, ACTION_DENY);
		v = find_rule(&d, fail[i].rule);
		ck_assert_msg(v, "%s", fail[i].rule);
		violation_message(v, msg, sizeof(msg));
		ck_assert_msg(strstr(msg, "the vendor said no"), "%s", msg);
	}
	policy_free(p);
}
END_TEST

START_TEST(decide_origin_follows_failure_policy_mode_and_scope)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	struct origin_expect u = made(ORIGIN_UNAVAILABLE), e = made(ORIGIN_LISTED);

	p->origin.fail_open = 1;
	struct decision d = judge(p, NULL, &u, NULL, NULL);
	ck_assert_int_eq(d.action, ACTION_WARN);        /* admitted and logged */
	ck_assert(find_rule(&d, "origin/unavailable"));
	/* failure_policy covers reachability only: what was fetched binds */
	static const enum origin_status facts[] = { ORIGIN_INVALID, ORIGIN_SIGNATURE, ORIGIN_UNLISTED };
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++) {
		struct origin_expect f = made(facts[i]);
		d = judge(p, NULL, &f, NULL, NULL);
		ck_assert_int_eq(d.action, ACTION_DENY);
	}
	p->origin.fail_open = 0;
	/* a private image: warn by default scope */
	d = judge(p, "{\"id\":\"i1\",\"name\":\"x\",\"visibility\":\"private\",\"owner\":\"p1\"}", &e, H2, NULL);
	ck_assert_int_eq(d.action, ACTION_WARN);
	p->mode = MODE_DRY_RUN;
	d = judge(p, NULL, &e, H2, NULL);
	ck_assert_int_eq(d.action, ACTION_ALLOW);
	ck_assert(find_rule(&d, "origin/checksum"));
	policy_free(p);
}
END_TEST

START_TEST(the_record_says_what_the_vendor_said)
{
	struct policy *p = load_specs(ours("scs-0104-v2-images.yaml"), NULL);
	struct origin_expect e = made(ORIGIN_LISTED), s = made(ORIGIN_SIGNATURE);
	struct recorder *rec = recorder_new();
	struct image img = { 0 };
	struct decision d = decide_json(p, PUBLIC_IMG, &img);
	const char *line;
	size_t len;

	snprintf(e.signer, sizeof(e.signer), "unsigned");
	struct record_ctx c = { .source = "check", .policy = p, .origin = &e, .origin_actual = H1 };
	ck_assert_int_eq(recorder_render(rec, &c, &img, &d, &line, &len), 0);
	ck_assert_msg(strstr(line, "\"origin\":{\"list\":\"" UBUNTU "20261101/SHA256SUMS\",\"algorithm\":\"sha256\","
				   "\"expected\":\"1111"), "%s", line);
	ck_assert_msg(strstr(line, "\"signer\":\"unsigned\",\"stable\":true,\"signed_only\":false,\"verified\":true}"),
		      "%s", line);
	c.origin_actual = H2;
	ck_assert_int_eq(recorder_render(rec, &c, &img, &d, &line, &len), 0);
	ck_assert_msg(strstr(line, "\"verified\":false,\"reason\":\"the data's digest differs"), "%s", line);
	c.origin = &s;
	ck_assert_int_eq(recorder_render(rec, &c, &img, &d, &line, &len), 0);
	ck_assert_msg(strstr(line, "\"expected\":null,\"actual\":\"2222"), "%s", line);
	ck_assert_msg(strstr(line, "\"signer\":null,\"stable\":true,\"signed_only\":false,\"verified\":false,"
				   "\"reason\":\"the vendor said no\""), "%s", line);
	/* a moving directory, origin.signed_only */
	snprintf(s.moving, sizeof(s.moving), "release");
	s.signed_only = 1;
	ck_assert_int_eq(recorder_render(rec, &c, &img, &d, &line, &len), 0);
	ck_assert_msg(strstr(line, "\"stable\":false,\"signed_only\":true,"), "%s", line);
	image_release(&img);
	recorder_free(rec);
	policy_free(p);
}
END_TEST

Suite *suite_vendor(void)
{
	Suite *s = suite_create("vendor");
	TCase *tc = tcase_create("vendor");

	tcase_add_unchecked_fixture(tc, mirror_build, mirror_remove);
	tcase_add_checked_fixture(tc, server_start, server_stop);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_signed_list_is_fetched_verified_and_cached);
	tcase_add_test(tc, an_expired_list_is_fetched_again);
	tcase_add_test(tc, signature_failures_are_origin_signature);
	tcase_add_test(tc, no_keyring_no_signed_list);
	tcase_add_test(tc, unlisted_and_unsigned);
	tcase_add_test(tc, every_vendor_format_is_verified);
	tcase_add_test(tc, an_unreadable_list_is_a_verdict);
	tcase_add_test(tc, a_directory_list_is_handed_over_whole);
	tcase_add_test(tc, a_clearsigned_file_is_read_only_as_signed);
	tcase_add_test(tc, signed_only_refuses_the_unsigned);
	tcase_add_test(tc, redirects_only_for_signed_lists);
	tcase_add_test(tc, an_unreachable_mirror_is_unavailable_and_not_cached);
	tcase_add_test(tc, concurrent_misses_fetch_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("decide_origin");
	tcase_add_test(tc, decide_origin_rules);
	tcase_add_test(tc, decide_origin_follows_failure_policy_mode_and_scope);
	tcase_add_test(tc, the_record_says_what_the_vendor_said);
	suite_add_tcase(s, tc);
	return s;
}
