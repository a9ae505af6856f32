/* bench/sums: what verifying and parsing a vendor's checksum list costs,
 * per format, at the lists' real sizes and at 10,000 lines, through the
 * hook's own code: the signature (pgp.c: detached, clearsigned with the
 * frame check of cleartext.c, a version 3 packet, or none), then the
 * parse in the origin's format (sums.c) and one lookup. Usage:
 *   sums DIR N   (DIR from bench/sums: one subdirectory per case, each
 *   with a list, its signature when signed, and a file "case" saying
 *   "ALGO LINES COMMENTS SIGNED FILE NAME...") */
#include "core/cleartext.h"
#include "core/sums.h"
#include "core/util.h"
#include "io/pgp.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bcase {
	struct sums_format f;
	char signed_as[16], name[64], file[256];
	char *list, *sig;
	size_t len, sig_len;
};

static char *slurp(const char *dir, const char *rel, size_t *len)
{
	char path[768], err[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	char *s = file_read(path, 8u << 20, len, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return s;
}

static void load(const char *dir, struct bcase *c)
{
	size_t n;
	char algo[16], lines[16];
	char *desc = slurp(dir, "case", &n);
	int comments;
	if (sscanf(desc, "%15s %15s %d %15s %255s %63[^\n]", algo, lines, &comments, c->signed_as, c->file, c->name) != 6 ||
	    sums_algo_parse(algo, strlen(algo), &c->f.algo) < 0) {
		fprintf(stderr, "%s/case: not a case\n", dir);
		exit(2);
	}
	free(desc);
	c->f.lines = strcmp(lines, "bsd") ? SUMS_GNU : SUMS_BSD;
	c->f.comments = comments;
	c->list = slurp(dir, "list", &c->len);
	if (strcmp(c->signed_as, "none") && strcmp(c->signed_as, "clearsigned"))
		c->sig = slurp(dir, "list.sig", &c->sig_len);
}

/* One verification and parse, as vendor.c does them; the microseconds of each. */
static void once(struct pgp *k, const char (*fpr)[PGP_FPR_LEN + 1], const struct bcase *c, long long *verify_us,
		 long long *parse_us, size_t *entries)
{
	char got[PGP_FPR_LEN + 1], err[512];
	const char *text = c->list;
	char *owned = NULL;
	size_t len = c->len;
	struct sums s;
	long long t0 = mono_us();

	if (!strcmp(c->signed_as, "clearsigned")) {
		if (cleartext_frame(c->list, c->len, err, sizeof(err)) != CLEARTEXT_ONE ||
		    pgp_verify_clearsigned(k, c->list, c->len, SUMS_MAX_BYTES, fpr, 1, got, &owned, &len, err,
					   sizeof(err)) != PGP_OK)
			goto fail;
		text = owned;
	} else if (c->sig && pgp_verify(k, c->list, c->len, c->sig, c->sig_len, fpr, 1, got, err, sizeof(err)) != PGP_OK) {
		goto fail;
	}
	long long t1 = mono_us();
	if (sums_parse(&s, &c->f, c->name, text, len, err, sizeof(err)) < 0 || !sums_find(&s, c->file))
		goto fail;
	*verify_us = t1 - t0;
	*parse_us = mono_us() - t1;
	*entries = s.n;
	sums_free(&s);
	free(owned);
	return;
fail:
	fprintf(stderr, "%s: %s\n", c->name, err);
	exit(1);
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char err[256], path[1024], fpr[1][PGP_FPR_LEN + 1];
	size_t flen;

	if (argc != 3) {
		fprintf(stderr, "usage: sums DIR N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	snprintf(path, sizeof(path), "%s/keys.asc", argv[1]);
	struct pgp *k = pgp_load(path, err, sizeof(err));
	char *f = slurp(argv[1], "vendor.fpr", &flen);
	if (!k || flen < PGP_FPR_LEN) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	memcpy(fpr[0], f, PGP_FPR_LEN);
	fpr[0][PGP_FPR_LEN] = '\0';
	free(f);
	printf("%-28s %6s %8s %8s %10s %10s %10s\n", "case (median of runs)", "lines", "bytes", "entries", "verify us",
	       "parse us", "total us");
	for (int i = 0; i < 64; i++) {
		char dir[512];
		struct bcase c = { 0 };
		snprintf(dir, sizeof(dir), "%s/%02d", argv[1], i);
		snprintf(path, sizeof(path), "%s/case", dir);
		FILE *probe = fopen(path, "r");
		if (!probe)
			break;
		fclose(probe);
		load(dir, &c);
		long long *v = xcalloc((size_t)n, sizeof(*v)), *p = xcalloc((size_t)n, sizeof(*p)), *t = xcalloc((size_t)n, sizeof(*t));
		size_t entries = 0, lines = 0;
		for (size_t b = 0; b < c.len; b++)
			lines += c.list[b] == '\n';
		for (int r = 0; r < n; r++) {
			once(k, (const char (*)[PGP_FPR_LEN + 1])fpr, &c, &v[r], &p[r], &entries);
			t[r] = v[r] + p[r];
		}
		qsort(v, (size_t)n, sizeof(*v), by_value);
		qsort(p, (size_t)n, sizeof(*p), by_value);
		qsort(t, (size_t)n, sizeof(*t), by_value);
		printf("%-28s %6zu %8zu %8zu %10lld %10lld %10lld\n", c.name, lines, c.len, entries, v[n / 2], p[n / 2],
		       t[n / 2]);
		free(v);
		free(p);
		free(t);
		free(c.list);
		free(c.sig);
	}
	pgp_free(k);
	return 0;
}
