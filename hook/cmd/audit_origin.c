/* audit_origin: audit --verify-origin. An image whose image_source lies
 * under an origin (policy origins:) must be the vendor's file: the digest
 * of the bytes Glance holds is compared with the vendor's checksum list.
 * Apart from the listing because it is the one part of an audit that
 * reads image data (--download) and fetches the vendors' lists. */
#include "cmd/audit.h"
#include "cmd/cli.h"
#include "core/digest.h"
#include "io/glance.h"
#include "io/vendor.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct download {
	struct audit *a;
	struct digest *dg;
	const char *id;
	unsigned long long bytes;
};

static int hash_chunk(const char *data, size_t len, void *ctx)
{
	struct download *dl = ctx;
	digest_update(dl->dg, data, len);
	if (dl->a->progress && (dl->bytes >> 26) != ((dl->bytes + len) >> 26))
		fprintf(stderr, "\raudit: reading image %s: %llu MiB", dl->id, (dl->bytes + len) >> 20);
	dl->bytes += len;
	return 0;
}

/* The digest of an image's data as Glance serves it. 0, or -1 with why. */
static int download_digest(struct audit *a, const char *id, enum sums_algo algo, char hex[SUMS_MAX_HEX + 1],
			   char *why, size_t whylen)
{
	struct download dl = { a, digest_new(algo), id, 0 };
	int rc = -1;

	if (strspn(id, "0123456789abcdefABCDEF-") != strlen(id))
		snprintf(why, whylen, "Glance gave the image id '%.64s', which is no UUID", id);
	else if ((rc = glance_download(a->glance, id, hash_chunk, &dl, why, whylen)) > 0)
		snprintf(why, whylen, "Glance holds no data for it");
	if (a->progress && dl.bytes >= (1u << 26))
		fputc('\n', stderr);
	digest_hex(dl.dg, hex);
	digest_free(dl.dg);
	return rc == 0 ? 0 : -1;
}

static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void not_verified(struct audit *a, const struct image *img, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (grow(&a->unverified, &a->cap_unverified, a->n_unverified, sizeof(*a->unverified)) < 0)
		return;
	a->unverified[a->n_unverified++] = (struct unverified){ audit_dup(img->id), audit_dup(img->name), xstrdup(why) };
}

/* The bytes Glance holds, as far as they can be known: its own digest
 * when it is the vendor's algorithm, else (--download) the data read
 * back. NULL when not known (then it says why). */
static const char *stored_digest(struct audit *a, const struct image *img, const struct origin_expect *e,
				 char hex[SUMS_MAX_HEX + 1])
{
	const char *algo = image_prop(img, "os_hash_algo"), *value = image_prop(img, "os_hash_value");
	const char *status = image_prop(img, "status"), *want = sums_algo_name(e->algo);
	char why[512];

	if (status && strcmp(status, "active")) {
		not_verified(a, img, "the image is %s: Glance holds no data to compare", status);
		return NULL;
	}
	if (algo && value && !strcmp(algo, want) && strlen(value) == sums_hex_len(e->algo)) {
		size_t i;
		for (i = 0; value[i]; i++)
			hex[i] = (char)tolower((unsigned char)value[i]);
		hex[i] = '\0';
		return hex;
	}
	if (!a->download) {
		not_verified(a, img, "Glance's os_hash_algo is %s, the vendor's list %s: --download reads the data "
			     "to compare", algo ? algo : "not set", want);
		return NULL;
	}
	if (download_digest(a, img->id ? img->id : "", e->algo, hex, why, sizeof(why)) < 0) {
		not_verified(a, img, "cannot read its data: %s", why);
		return NULL;
	}
	return hex;
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
	if (e->status == ORIGIN_LISTED)
		actual = stored_digest(a, img, e, seen->hex);
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
