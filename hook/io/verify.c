/* verify: Glance's bytes against the vendor's entry, and the record of a
 * match; see verify.h. */
#include "io/verify.h"
#include "core/digest.h"
#include "core/proof.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct readback {
	struct digest *dg;
	unsigned long long bytes, max_bytes;
	long long until_us;             /* 0: no time bound */
	int over;
	const struct verify_bound *bound;
	const char *id;
};

static int hash_chunk(const char *data, size_t len, void *ctx)
{
	struct readback *rb = ctx;

	if (rb->bound->progress && (rb->bytes >> 26) != ((rb->bytes + len) >> 26))
		rb->bound->progress(rb->id, rb->bytes + len, rb->bound->progress_ctx);
	rb->bytes += len;
	if ((rb->max_bytes && rb->bytes > rb->max_bytes) || (rb->until_us && mono_us() > rb->until_us)) {
		rb->over = 1;
		return -1;
	}
	digest_update(rb->dg, data, len);
	return 0;
}

void verify_bound_of(const struct origin_config *c, struct verify_bound *out)
{
	*out = (struct verify_bound){ .max_ms = c->readback_ms ? c->readback_ms : ORIGIN_READBACK_MS,
				      .max_bytes = c->readback_bytes ? c->readback_bytes : ORIGIN_READBACK_BYTES };
}

static void over_bound(const struct image *img, const struct verify_bound *b, const char *what,
		       struct verify *out)
{
	out->outcome = VERIFY_OVER_BOUND;
	snprintf(out->why, sizeof(out->why), "Glance's digest of image %s is not of the vendor's algorithm, and reading "
		 "its data back to verify it %s (origin.readback: %lld s, %llu bytes): verify it first with "
		 "'scs-image-hook audit --verify-origin --image %s', which has no bound and records the result",
		 img->id ? img->id : "", what, (long long)b->max_ms / 1000, b->max_bytes, img->id ? img->id : "ID");
}

/* The data read back and hashed in e's algorithm, within the bound. */
static void read_back(struct glance *g, const struct image *img, const struct origin_expect *e,
		      const struct verify_bound *b, struct verify *out)
{
	enum prop_type t;
	const char *size = image_scalar(img, "size", &t);
	struct readback rb = { .dg = digest_new(e->algo), .max_bytes = b->max_bytes, .bound = b, .id = img->id };
	char err[512];
	long long t0 = mono_us();

	if (b->max_bytes && size && t == PROP_OTHER && strtoull(size, NULL, 10) > b->max_bytes) {
		digest_free(rb.dg);
		return over_bound(img, b, "would read more bytes than allowed", out);
	}
	out->read_back = 1;
	rb.until_us = b->max_ms ? t0 + b->max_ms * 1000LL : 0;
	int rc = glance_download(g, img->id, hash_chunk, &rb, err, sizeof(err));
	out->bytes = rb.bytes;
	out->ms = (long)((mono_us() - t0) / 1000);
	if (rb.over) {
		over_bound(img, b, "took longer or read more than allowed", out);
	} else if (rc != 0) {
		out->outcome = VERIFY_CANNOT;
		snprintf(out->why, sizeof(out->why), "the data of image %s could not be read back from Glance to verify "
			 "it: %s", img->id, rc > 0 ? "Glance holds no data for it" : err);
	} else {
		digest_hex(rb.dg, out->actual);
		out->outcome = strcmp(out->actual, e->expected) ? VERIFY_MISMATCH : VERIFY_MATCH;
	}
	digest_free(rb.dg);
}

void verify_held(struct glance *g, const struct image *img, const struct origin_expect *e,
		 const struct verify_bound *bound, struct verify *out)
{
	const char *algo = image_prop(img, "os_hash_algo"), *hash = image_prop(img, "os_hash_value");
	const char *status = image_prop(img, "status");

	memset(out, 0, sizeof(*out));
	if (!img->id || strspn(img->id, "0123456789abcdefABCDEF-") != strlen(img->id) || !*img->id) {
		out->outcome = VERIFY_CANNOT;
		snprintf(out->why, sizeof(out->why), "the image id '%.64s' is no UUID", img->id ? img->id : "");
		return;
	}
	if (!status || (strcmp(status, "active") && strcmp(status, "deactivated"))) {
		out->outcome = VERIFY_CANNOT;
		snprintf(out->why, sizeof(out->why), "image %s is %s: Glance holds no data of it to verify", img->id,
			 status ? status : "of no status");
		return;
	}
	if (algo && hash && !strcmp(algo, sums_algo_name(e->algo)) && strlen(hash) == sums_hex_len(e->algo)) {
		size_t i;
		for (i = 0; hash[i]; i++)
			out->actual[i] = (char)tolower((unsigned char)hash[i]);
		out->actual[i] = '\0';
		out->outcome = strcmp(out->actual, e->expected) ? VERIFY_MISMATCH : VERIFY_MATCH;
	} else {
		read_back(g, img, e, bound, out);
	}
	if (out->outcome == VERIFY_MISMATCH)
		snprintf(out->why, sizeof(out->why), "the data of image %s is not the vendor's '%s': its %s is %s, the "
			 "vendor's list %s gives %s", img->id, e->file, sums_algo_name(e->algo), out->actual, e->list_url,
			 e->expected);
}

int verify_record(struct glance *g, const struct image *img, const struct origin_expect *e, long long now,
		  char *err, size_t errlen)
{
	struct proof p = { .algo = e->algo, .time = now };
	enum prop_type t;
	const char *size = image_scalar(img, "size", &t);
	const char *algo = image_prop(img, "os_hash_algo"), *hash = image_prop(img, "os_hash_value");
	char line[PROOF_MAX];

	if (!img->id || !img->image_source || !algo || !hash || !size || t != PROP_OTHER) {
		snprintf(err, errlen, "the image lacks what a verification record binds (id, image_source, os_hash_algo, "
			 "os_hash_value, size)");
		return -1;
	}
	snprintf(p.image, sizeof(p.image), "%s", img->id);
	snprintf(p.digest, sizeof(p.digest), "%s", e->expected);
	snprintf(p.glance_algo, sizeof(p.glance_algo), "%s", algo);
	snprintf(p.glance_hash, sizeof(p.glance_hash), "%s", hash);
	p.size = strtoll(size, NULL, 10);
	snprintf(p.source, sizeof(p.source), "%s", img->image_source);
	snprintf(p.list, sizeof(p.list), "%s", e->list_url);
	snprintf(p.signer, sizeof(p.signer), "%s", e->signer[0] ? e->signer : "unsigned");
	if (proof_format(&p, line, sizeof(line)) < 0) {
		snprintf(err, errlen, "the verification record of image %s cannot be written (a field is not of its form)",
			 img->id);
		return -1;
	}
	json_t *record = json_string(line), *digest = json_string(e->expected);
	struct glance_op ops[] = { { "add", PROOF_KEY, record }, { "add", sums_source_key(e->algo), digest } };
	int rc = glance_patch(g, img->id, ops, 2, err, errlen);
	json_decref(record);
	json_decref(digest);
	return rc;
}
