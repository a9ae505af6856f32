/* bench/pgp: what verifying a vendor's detached signature costs with
 * librnp (through hook/io/pgp.c, in-process) and with GPGME (which runs gpg
 * for every operation), over a mirror from tests/origin/mkmirror: time to
 * load a keyring of one key (binary and armored), time per verification,
 * peak RSS. Usage: pgp MIRROR N */
#include "io/pgp.h"
#include "core/util.h"

#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define REL "/ubuntu/releases/noble/release-20261101/"

static char *slurp(const char *dir, const char *rel, size_t *len)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s%s", dir, rel);
	char *s = file_read(path, 8u << 20, len, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return s;
}

static long rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void bench_rnp(const char *dir, int n, const char *list, size_t len, const char *sig, size_t slen,
		      const char fpr[PGP_FPR_LEN + 1])
{
	static const char *const rings[] = { "/keys/vendor.gpg", "/keys/vendor.asc" };
	char got[PGP_FPR_LEN + 1], err[256], path[512];

	for (size_t r = 0; r < 2; r++) {
		snprintf(path, sizeof(path), "%s%s", dir, rings[r]);
		long long t0 = mono_us();
		struct pgp *k = pgp_load(path, err, sizeof(err));
		long long t1 = mono_us();
		if (!k) {
			fprintf(stderr, "%s\n", err);
			exit(2);
		}
		for (int i = 0; i < n; i++)
			if (pgp_verify(k, list, len, sig, slen, (const char(*)[PGP_FPR_LEN + 1])fpr, 1, got, err,
				       sizeof(err)) != PGP_OK || strcmp(got, fpr)) {
				fprintf(stderr, "rnp: %s\n", err);
				exit(1);
			}
		long long t2 = mono_us();
		printf("librnp %-8s keyring load %6lld us, verify %7.0f us each (%d runs, in-process), peak RSS %ld KiB\n",
		       r ? "armored" : "binary", t1 - t0, (double)(t2 - t1) / n, n, rss_kib());
		pgp_free(k);
	}
}

static void die_gpgme(const char *what, gpgme_error_t e)
{
	fprintf(stderr, "gpgme: %s: %s\n", what, gpgme_strerror(e));
	exit(1);
}

static void bench_gpgme(const char *dir, int n, const char *list, size_t len, const char *sig, size_t slen,
			const char fpr[PGP_FPR_LEN + 1])
{
	static const char *const rings[] = { "/keys/vendor.gpg", "/keys/vendor.asc" };
	gpgme_error_t e;

	gpgme_check_version(NULL);
	for (size_t r = 0; r < 2; r++) {
		char home[] = "/tmp/bench-gpgme-XXXXXX", path[512];
		size_t klen;
		gpgme_ctx_t ctx;
		gpgme_data_t keys;
		if (!mkdtemp(home))
			exit(2);
		snprintf(path, sizeof(path), "%s%s", dir, rings[r]);
		char *k = slurp(dir, rings[r], &klen);
		long long t0 = mono_us();
		if ((e = gpgme_new(&ctx)) || (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home)) ||
		    (e = gpgme_data_new_from_mem(&keys, k, klen, 0)) || (e = gpgme_op_import(ctx, keys)))
			die_gpgme("import", e);
		gpgme_data_release(keys);
		long long t1 = mono_us(), lookup = 0;
		for (int i = 0; i < n; i++) {
			gpgme_data_t d, s;
			if ((e = gpgme_data_new_from_mem(&d, list, len, 0)) || (e = gpgme_data_new_from_mem(&s, sig, slen, 0)) ||
			    (e = gpgme_op_verify(ctx, s, d, NULL)))
				die_gpgme("verify", e);
			gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
			/* sig->fpr is the signing subkey's; the primary key needs a key listing */
			gpgme_key_t key = NULL;
			long long l0 = mono_us();
			if (!vr->signatures || gpgme_err_code(vr->signatures->status) != GPG_ERR_NO_ERROR ||
			    (e = gpgme_get_key(ctx, vr->signatures->fpr, &key, 0)) || strcmp(key->fpr, fpr))
				die_gpgme("signature", vr->signatures ? vr->signatures->status : e);
			lookup += mono_us() - l0;
			gpgme_key_unref(key);
			gpgme_data_release(d);
			gpgme_data_release(s);
		}
		long long t2 = mono_us();
		printf("GPGME  %-8s keyring load %6lld us, verify %7.0f us each + %6.0f us for the primary key (%d runs, gpg "
		       "per call), peak RSS %ld KiB (this process; gpg's own not counted)\n", r ? "armored" : "binary",
		       t1 - t0, (double)(t2 - t1 - lookup) / n, (double)lookup / n, n, rss_kib());
		gpgme_release(ctx);
		free(k);
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "gpgconf --homedir %s --kill all 2>/dev/null; rm -rf %s", home, home);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", home);
	}
}

int main(int argc, char **argv)
{
	size_t len, slen, flen;
	if (argc != 4) {
		fprintf(stderr, "usage: pgp MIRROR N rnp|gpgme\n");
		return 2;
	}
	int n = atoi(argv[2]);
	char *list = slurp(argv[1], REL "SHA256SUMS", &len), *sig = slurp(argv[1], REL "SHA256SUMS.gpg", &slen);
	char *f = slurp(argv[1], "/keys/vendor.fpr", &flen), fpr[PGP_FPR_LEN + 1];
	memcpy(fpr, f, PGP_FPR_LEN);
	fpr[PGP_FPR_LEN] = '\0';
	if (!strcmp(argv[3], "rnp"))
		bench_rnp(argv[1], n, list, len, sig, slen, fpr);
	else
		bench_gpgme(argv[1], n, list, len, sig, slen, fpr);
	free(list);
	free(sig);
	free(f);
	return 0;
}
