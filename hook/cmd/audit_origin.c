/* audit_origin: audit --verify-origin. An image whose image_source lies
 * under an origin (policy origins:) must be the vendor's file: the digest
 * of the bytes Glance holds is compared with the vendor's checksum list.
 * Apart from the listing because it is the one part of an audit that
 * reads image data (--download) and fetches the vendors' lists. */
#include "cmd/audit.h"
#include "cmd/cli.h"
#include "core/proof.h"
#include "io/glance.h"
#include "io/vendor.h"
#include "io/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void progress(const char *id, unsigned long long bytes, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "\raudit: reading image %s: %llu MiB", id, bytes >> 20);
}

static void note(struct unverified **list, size_t *n, size_t *cap, const struct image *img, const char *fmt,
		 va_list ap) __attribute__((format(printf, 5, 0)));
static void note(struct unverified **list, size_t *n, size_t *cap, const struct image *img, const char *fmt,
		 va_list ap)
{
	char why[1024];

	vsnprintf(why, sizeof(why), fmt, ap);
	if (grow(list, cap, *n, sizeof(**list)) < 0)
		return;
	(*list)[(*n)++] = (struct unverified){ audit_dup(img->id), audit_dup(img->name), xstrdup(why), 0 };
}

static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	note(&a->unverified, &a->n_unverified, &a->cap_unverified, img, fmt, ap);
	va_end(ap);
}

/* Not verified because the check could not be made now (the vendor's
 * list unreachable, the data not read back): unverified, never a
 * violation, and the audit exits 2 (docs/origin.md, the one table). */
static void cannot_check(struct audit *a, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cannot_check(struct audit *a, const struct image *img, const char *fmt, ...)
{
	va_list ap;
	size_t before = a->n_unverified;
	va_start(ap, fmt);
	note(&a->unverified, &a->n_unverified, &a->cap_unverified, img, fmt, ap);
	va_end(ap);
	if (a->n_unverified > before)
		a->unverified[before].incomplete = 1;
	a->origin_incomplete++;
}

static void newer_build(struct audit *a, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void newer_build(struct audit *a, const struct image *img, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	note(&a->newer, &a->n_newer, &a->cap_newer, img, fmt, ap);
	va_end(ap);
}

/* Under a moving URL (the origin's moving: current/, latest/) the list
 * changes with each publication. Bytes that differ from it now are an
 * earlier build of the vendor's when a verification record that holds
 * says they matched the list then; with no such record they cannot be
 * told from bytes that are not the vendor's: not verified. 1 when so
 * judged, and then no origin rule is added. */
static int moved_on(struct audit *a, const struct image *img, const struct origin_expect *e, const char *actual)
{
	struct proof p;
	char err[256], when[32];

	if (!e->moving[0] || e->status != ORIGIN_LISTED || !actual || !strcmp(actual, e->expected))
		return 0;
	if (proof_of(img, &p, err, sizeof(err)) == 1 && !proof_mismatch(&p, img, img->image_source) &&
	    p.algo == e->algo && !strcmp(p.digest, actual)) {
		time_t t = (time_t)p.time;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		newer_build(a, img, "the vendor has published a newer build under '%s': these bytes were the vendor's "
			    "'%s' when verified at %s (list %s, signer %s); the list now gives %s", e->moving, e->file, when,
			    p.list, p.signer, e->expected);
		return 1;
	}
	not_verified(a, img, "its data is not what the vendor's list %s gives now, and image_source lies under '%s', "
		     "which the vendor republishes: with no verification record that holds, an earlier build of the "
		     "vendor's cannot be told from bytes that are not (the dated URL is the stable one)", e->list_url,
		     e->moving);
	return 1;
}

/* The bytes Glance holds, as far as they can be known: a verification
 * record that holds, where the operator says records are protected; else
 * Glance's own digest when it is the vendor's algorithm, or (--download,
 * --image) the data read back (verify.c, the proxy's engine). NULL when
 * not known (then it says why). A match is recorded under --image. */
static const char *stored_digest(struct audit *a, const struct image *img, const struct origin_expect *e,
				 char hex[SUMS_MAX_HEX + 1])
{
	const char *algo = image_prop(img, "os_hash_algo"), *status = image_prop(img, "status");
	const char *want = sums_algo_name(e->algo);
	struct verify_bound bound = { .progress = a->progress ? progress : NULL };
	struct verify res;
	struct proof p;
	char err[1024];

	if (status && strcmp(status, "active") && strcmp(status, "deactivated")) {
		not_verified(a, img, "the image is %s: Glance holds no data to compare", status);
		return NULL;
	}
	if (a->trust_records && proof_of(img, &p, err, sizeof(err)) == 1 && !proof_mismatch(&p, img, img->image_source) &&
	    p.algo == e->algo) {
		a->origin_by_record++;
		return strcpy(hex, p.digest);
	}
	if (!(algo && !strcmp(algo, want)) && !a->download) {
		not_verified(a, img, "Glance's os_hash_algo is %s, the vendor's list %s: --download reads the data "
			     "to compare", algo ? algo : "not set", want);
		return NULL;
	}
	verify_held(a->glance, img, e, &bound, &res);
	if (res.read_back && a->progress && res.bytes >= (1u << 26))
		fputc('\n', stderr);
	if (res.outcome != VERIFY_MATCH && res.outcome != VERIFY_MISMATCH) {
		cannot_check(a, img, "%s", res.why);
		return NULL;
	}
	if (res.outcome == VERIFY_MATCH && a->record) {
		if (verify_record(a->glance, img, e, (long long)time(NULL), err, sizeof(err)) < 0)
			not_verified(a, img, "its data is the vendor's, but the verification record was not written: %s",
				     err);
		else
			a->origin_recorded++;
	}
	return strcpy(hex, res.actual);
}

void audit_origin_verify(struct audit *a, const struct image *img, const struct caller *who, struct decision *d,
			 struct origin_seen *seen)
{
	struct origin_expect *e = &seen->e;
	const char *actual = NULL;
	size_t before = d->n;

	if (!vendor_expect_source(a->vendor, &a->policy->origins, img->image_source, img->source_len, e))
		return;
	a->origin_checked++;
	if (e->status == ORIGIN_UNAVAILABLE) {
		cannot_check(a, img, "the vendor's list could not be fetched: %s", e->why);
		return;
	}
	if (e->status == ORIGIN_LISTED)
		actual = stored_digest(a, img, e, seen->hex);
	if (moved_on(a, img, e, actual))
		return;
	decide_origin(a->policy, img, who, a->today, e, actual, d);
	int failed = 0;
	for (size_t i = before; i < d->n; i++)
		failed |= !d->v[i].exempted;
	a->origin_failed += failed;
	a->origin_verified += actual && !failed;
}

int audit_origin_start(struct audit *a)
{
	char err[512];

	if (!a->policy->origins.n) {
		cli_error("--verify-origin: the policy names no origins (add policy/scs-origins.yaml to the config's policy:)");
		return -1;
	}
	if (!(a->vendor = vendor_new(&a->policy->origin, err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}
