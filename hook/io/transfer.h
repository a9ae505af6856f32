/* transfer: a vendor's file streamed straight into a Glance image, hashed
 * as it passes, its last 64 KiB held back until the digest is the
 * vendor's. A file that is not the vendor's never completes the upload
 * (Glance takes the broken-off body as a failed upload and puts the image
 * back to queued), and nothing is written to local disk: memory stays
 * bounded whatever the size, the download paced by Glance's upload. */
#ifndef SCS_TRANSFER_H
#define SCS_TRANSFER_H

#include <stddef.h>

#include "core/sums.h"
#include "io/http.h"

struct transfer_req {
	const char *from;               /* the vendor's file (after origin.fetch) */
	const char *glance;             /* Glance's endpoint, and the hook's token for it */
	const char *token;
	const char *image_id;
	enum sums_algo algo;
	const char *expected;           /* the vendor's digest, lowercase hex */
	long long size;                 /* the file's size when known, else -1 (progress only) */
	struct http_client *http;       /* for the vendor side; its TLS settings serve Glance too */
	/* called as bytes pass (about every 4 MiB) when set */
	void (*progress)(unsigned long long done, long long total, void *ctx);
	void *ctx;
};

struct transfer_result {
	char actual[SUMS_MAX_HEX + 1];  /* the digest of what came */
	unsigned long long bytes;
	int matched;                    /* the digest was the vendor's and Glance took the upload */
	long status;                    /* Glance's answer to the upload, 0 when none */
	char why[1024];                 /* not matched: in words */
};

/* 0 when the transfer ran to its verdict (out->matched says which), -1
 * when it could not (the vendor or Glance unreachable: out->why). */
int transfer_run(const struct transfer_req *r, struct transfer_result *out);

/* The first bytes of a file (what format it is): up to n into buf. 0 with
 * *got, or -1 with err. */
int transfer_head(struct http_client *h, const char *url, unsigned char *buf, size_t n, size_t *got, char *err,
		  size_t errlen);

#endif
