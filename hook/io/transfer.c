/* transfer: vendor to Glance, verified as it passes; see transfer.h. The
 * download's sink hashes each chunk and pushes it to the upload, keeping
 * the last HOLD bytes back; upstream_push blocks while Glance is busy,
 * which stalls the download (back-pressure through both). */
#include "io/transfer.h"
#include "core/digest.h"
#include "core/util.h"
#include "io/upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD (64u << 10)
#define PROGRESS_STEP (4ull << 20)

struct pass {
	const struct transfer_req *r;
	struct upstream *up;
	struct digest *dg;
	unsigned char held[HOLD];       /* a ring: the last bytes read, not yet sent */
	size_t start, n_held;
	unsigned long long bytes, reported;
	int failed;                     /* Glance refused or broke: stop */
};

static int push(struct pass *p, const void *data, size_t n)
{
	if (!n)
		return 0;
	int rc = upstream_push(p->up, data, n);
	if (rc != 0)
		p->failed = 1;
	return rc == 0 ? 0 : -1;
}

/* The ring's oldest n bytes go on (in at most two pieces). */
static int push_held(struct pass *p, size_t n)
{
	size_t first = HOLD - p->start < n ? HOLD - p->start : n;

	if (push(p, p->held + p->start, first) < 0 || push(p, p->held, n - first) < 0)
		return -1;
	p->start = (p->start + n) % HOLD;
	p->n_held -= n;
	return 0;
}

/* data's last n bytes into the ring behind what it holds (room is there). */
static void hold(struct pass *p, const char *data, size_t n)
{
	size_t at = (p->start + p->n_held) % HOLD, first = HOLD - at < n ? HOLD - at : n;

	memcpy(p->held + at, data, first);
	memcpy(p->held, data + first, n - first);
	p->n_held += n;
}

static void report(struct pass *p)
{
	if (p->r->progress && p->bytes - p->reported >= PROGRESS_STEP) {
		p->r->progress(p->bytes, p->r->size, p->r->ctx);
		p->reported = p->bytes;
	}
}

/* Everything but the last HOLD bytes goes on; those wait for the digest. */
static int sink(const char *data, size_t n, void *ctx)
{
	struct pass *p = ctx;

	digest_update(p->dg, data, n);
	p->bytes += n;
	report(p);
	if (p->n_held + n <= HOLD) {
		hold(p, data, n);
		return 0;
	}
	size_t out = p->n_held + n - HOLD;          /* bytes that leave now, oldest first */
	size_t from_held = out < p->n_held ? out : p->n_held, from_data = out - from_held;
	if (push_held(p, from_held) < 0 || push(p, data, from_data) < 0)
		return -1;
	hold(p, data + from_data, n - from_data);
	return 0;
}

static int upload_open(const struct transfer_req *r, struct upstream *up, char *err, size_t errlen)
{
	char url[2048], auth[4200];
	const char *headers[] = { auth, "Content-Type: application/octet-stream", NULL };

	snprintf(url, sizeof(url), "%s/v2/images/%s/file", r->glance, r->image_id);
	snprintf(auth, sizeof(auth), "X-Auth-Token: %s", r->token);
	struct upstream_req req = { .method = "PUT", .url = url, .headers = headers, .body_mode = BODY_STREAM,
				    .stream_len = -1, .connect_timeout_ms = 10000, .idle_timeout_ms = 120000,
				    .tls = r->http };
	if (upstream_start(up, &req) == 0 && upstream_open(up) == 0)
		return 0;
	snprintf(err, errlen, "cannot start the upload to Glance: %s", upstream_error(up));
	return -1;
}

int transfer_run(const struct transfer_req *r, struct transfer_result *out)
{
	struct pass *p = xcalloc(1, sizeof(*p));
	struct http_resp resp = { 0 };
	char err[1024] = "";
	int rc = -1;
	long idle = r->http->idle_ms, timeout = r->http->timeout_ms;

	memset(out, 0, sizeof(*out));
	p->r = r;
	p->dg = digest_new(r->algo);
	p->up = upstream_new();
	if (!p->up || upload_open(r, p->up, out->why, sizeof(out->why)) < 0)
		goto done;
	struct http_req get = { .url = r->from, .sink = sink, .sink_ctx = p };
	r->http->timeout_ms = 0;        /* GiBs: no overall limit, none of a minute without a byte */
	r->http->idle_ms = 60000;
	int got = http_do(r->http, &get, &resp, err, sizeof(err));
	r->http->timeout_ms = timeout;
	r->http->idle_ms = idle;
	out->bytes = p->bytes;
	digest_hex(p->dg, out->actual);
	if (got < 0 || resp.status != 200) {
		if (p->failed)  /* %.900s: the reason is cut, never the sentence around it */
			snprintf(out->why, sizeof(out->why), "Glance broke the upload off: %.900s", upstream_error(p->up));
		else if (got < 0)
			snprintf(out->why, sizeof(out->why), "%s", err);
		else
			snprintf(out->why, sizeof(out->why), "%.900s answered HTTP %ld", r->from, resp.status);
		goto done;
	}
	rc = 0;
	if (strcmp(out->actual, r->expected)) {
		snprintf(out->why, sizeof(out->why), "the bytes fetched from %s are not the vendor's file: their %s is %s, "
			 "the vendor's %s", r->from, sums_algo_name(r->algo), out->actual, r->expected);
		goto done;              /* the held end never goes: Glance gets a broken body */
	}
	if (push_held(p, p->n_held) < 0 || upstream_wait_answer(p->up) < 0) {
		snprintf(out->why, sizeof(out->why), "Glance did not take the upload: %s", upstream_error(p->up));
		rc = -1;
		goto done;
	}
	out->status = upstream_status(p->up);
	out->matched = out->status == 204;
	if (!out->matched)
		snprintf(out->why, sizeof(out->why), "Glance answered HTTP %ld to the upload", out->status);
	if (r->progress)
		r->progress(p->bytes, r->size, r->ctx);
done:
	if (p->up) {
		upstream_finish(p->up);
		upstream_free(p->up);
	}
	digest_free(p->dg);
	http_resp_free(&resp);
	free(p);
	return rc;
}

struct head {
	unsigned char *buf;
	size_t n, got;
};

static int head_sink(const char *data, size_t n, void *ctx)
{
	struct head *h = ctx;
	size_t take = n < h->n - h->got ? n : h->n - h->got;

	memcpy(h->buf + h->got, data, take);
	h->got += take;
	return h->got < h->n ? 0 : -1;  /* enough: stop the transfer */
}

int transfer_head(struct http_client *h, const char *url, unsigned char *buf, size_t n, size_t *got, char *err,
		  size_t errlen)
{
	struct head hd = { buf, n, 0 };
	struct http_req req = { .url = url, .sink = head_sink, .sink_ctx = &hd };
	struct http_resp resp = { 0 };
	int rc = http_do(h, &req, &resp, err, errlen);

	*got = hd.got;
	if (rc < 0 && hd.got == n)
		rc = 0;                 /* stopped by us, with what we wanted */
	else if (rc == 0 && resp.status != 200)
		rc = -1, snprintf(err, errlen, "%s answered HTTP %ld", url, resp.status);
	http_resp_free(&resp);
	return rc;
}
