/* forward: the request Glance gets, for exchange.c. It is built from the
 * proxy's parse of the client's request, never copied from its bytes: the
 * canonical path and query, the kept header fields in canonical spelling,
 * the proxy's own framing and request id, and the forwarding fields only
 * from a trusted front (anyone else could name any client, scheme or
 * host for Glance's links and log); then started on the
 * connection's streamed exchange with Glance (upstream.c). Apart so that
 * what reaches Glance is written in one place. */
#include "io/forward.h"
#include "io/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_header(struct exchange *ex, const char *key, const char *value, size_t vlen)
{
	char **h = realloc(ex->headers, (ex->n_headers + 2) * sizeof(*h));
	if (!h)
		return;
	ex->headers = h;
	size_t n = strlen(key) + vlen + 3;
	h[ex->n_headers] = malloc(n);
	if (h[ex->n_headers]) {
		/* "Name:" alone tells curl to send nothing of its own for it */
		snprintf(h[ex->n_headers], n, vlen ? "%s: %.*s" : "%s:", key, (int)vlen, value);
		ex->n_headers++;
	}
	h[ex->n_headers] = NULL;
}

/* The request Glance gets, built from what was parsed: the canonical path
 * and query, the kept fields in canonical spelling, and our own framing
 * (curl's Content-Length or chunked) and request id. Answers the proxy
 * reads to recheck are asked for uncompressed. */
void forward_build(struct exchange *ex)
{
	const struct hdr_set *h = &ex->hdrs;
	const char *q = ex->route.query;
	size_t n = strlen(ex->px->cfg.upstream) + strlen(ex->route.path) + strlen(q) + 2;

	ex->url = malloc(n);
	if (ex->url)
		snprintf(ex->url, n, "%s%s%s%s", ex->px->cfg.upstream, ex->route.path, q[0] ? "?" : "", q);
	for (int id = 0; id < HDR_COUNT; id++)
		if (h->v[id] && h->len[id] && id != HDR_CONTENT_LENGTH && id != HDR_TRANSFER_ENCODING &&
		    id != HDR_REQUEST_ID && !(id == HDR_ACCEPT_ENCODING && route_buffers_body(ex->route.kind)) &&
		    (ex->trusted || !hdr_forwarding((enum hdr_id)id)))
			add_header(ex, hdr_name(id), h->v[id], h->len[id]);
	add_header(ex, hdr_name(HDR_REQUEST_ID), ex->request_id, strlen(ex->request_id));
	if (!h->v[HDR_ACCEPT] || !h->len[HDR_ACCEPT])
		add_header(ex, "Accept", "", 0);
	if (!h->v[HDR_CONTENT_TYPE] || !h->len[HDR_CONTENT_TYPE])
		add_header(ex, "Content-Type", "", 0);
	add_header(ex, "Expect", "", 0);        /* no 100-continue round trip */
}

enum MHD_Result forward_start(struct exchange *ex, struct MHD_Connection *mc, const char *method, enum body_mode mode)
{
	struct upstream_req r = { .method = method, .url = ex->url, .headers = (const char *const *)ex->headers,
				  .body_mode = mode, .body = ex->body, .body_len = ex->body_len,
				  .stream_len = ex->verify ? -1 : ex->hdrs.content_length, .tls = &ex->c->a.http,
				  .connect_timeout_ms = ex->px->cfg.connect_timeout_ms,
				  .idle_timeout_ms = ex->px->cfg.upstream_timeout_ms };
	if (!ex->url || upstream_start(ex->c->up, &r) < 0)
		return reply_upstream_failed(ex, mc);
	ex->transfer = 1;
	if (mode == BODY_STREAM && ex->route.kind != ROUTE_PASS && upstream_open(ex->c->up) < 0)
		return reply_upstream_failed(ex, mc);
	return MHD_YES;
}
