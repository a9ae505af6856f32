/* proxy: the HTTP side of the admission proxy. libmicrohttpd runs a
 * thread per client connection; each request's headers are checked and
 * reduced to the allowlist (hdr.c), its method and target found in the
 * table of Glance's routes (route.c), decided when it creates or changes
 * an image (admit.c), and the request Glance gets is the one built from
 * that parse (upstream.c): nothing the proxy did not read passes. */
#include "io/proxy.h"
#include "core/hdr.h"
#include "core/jsonw.h"
#include "io/log.h"
#include "core/record.h"
#include "core/tail.h"
#include "core/tokens.h"
#include "io/upstream.h"
#include "core/util.h"

#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REPLY_BLOCK (64u << 10)
#define PROXY_MAX_ANSWER (4u << 20)  /* Glance's answer to a create or patch: one image */
#define CUT_DRAIN_MAX (64u << 20)  /* bytes read past a quota cut before closing */
#define CONN_MEMORY (256u << 10)    /* MHD's read buffer: the size of upload chunks */
#define STOP_GRACE_MS 10000         /* SIGTERM: how long requests in flight may finish */

/* BODY_DRAIN: an answer is decided but the client is still sending; the
 * rest of the body is read and dropped, and the answer queued at its end
 * (libmicrohttpd 0.9.75 cannot answer in the middle of an upload). */
enum body_state { BODY_IGNORED, BODY_BUFFER, BODY_FORWARD, BODY_DRAIN };

static const char body_too_large[] = "The request body is larger than the 64 KiB the image API needs.";

/* One request, from its first line to the last byte of its answer. */
struct exchange {
	struct proxy *px;
	struct conn *c;
	char *target;               /* the request target exactly as received */
	struct hdr_set hdrs;        /* its header fields, checked */
	char *token, *content_type; /* the kept fields the proxy reads itself, as strings */
	struct route route;         /* its route, and the canonical path and query sent */
	char request_id[64];
	int started, answered, transfer;
	enum body_state body_state;
	char *body;
	size_t body_len;
	char *url;
	char **headers;             /* to Glance */
	size_t n_headers;
	char warning[700];          /* Warning: 299 for warn mode, or "" */
	long long t0;               /* when the request arrived, in microseconds */
	int pending;                /* BODY_DRAIN: answer with this status, or 0: Glance's answer */
	char pending_message[sizeof(((struct verdict *)0)->message)];
	struct verdict *cut;        /* the quota decision that cut the upload, for its answer */
	long long cap, sent;        /* uploads: the byte cap (-1 none), and bytes forwarded */
	int verify;                 /* an upload checked against its vendor's digest (admit.h) */
	struct tail tail;           /* ... hashed, its end held back until compared */
};


/* ---- per connection ----------------------------------------------------- */

/* What one client connection owns: its decisions' state (admit.h) and its
 * exchange with Glance, so the data path takes no lock. */
struct conn {
	struct admit_conn a;
	struct upstream *up;                /* the streamed exchange */
};

static struct conn *conn_new(struct proxy *px)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	char err[256];

	if (http_init(&c->a.http, px->cfg.auth.verify || !px->cfg.has_keystone, px->cfg.auth.cacert, err,
		      sizeof(err)) < 0 || !(c->up = upstream_new()) || !(c->a.rec = recorder_new())) {
		http_cleanup(&c->a.http);
		upstream_free(c->up);
		free(c);
		return NULL;
	}
	c->a.http.timeout_ms = px->cfg.decision_timeout_ms;
	c->a.http.connect_timeout_ms = px->cfg.connect_timeout_ms;
	return c;
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	http_cleanup(&c->a.http);
	upstream_free(c->up);
	recorder_free(c->a.rec);
	free(c);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct proxy *px = cls;
	(void)mc;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_ctx = conn_new(px);
		atomic_fetch_add(&px->metrics.connections, 1);
	} else {
		conn_free(*socket_ctx);
		*socket_ctx = NULL;
		/* the last connection gone: give the per-thread malloc arenas back */
		if (atomic_fetch_sub(&px->metrics.connections, 1) == 1)
			malloc_trim(0);
	}
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* ---- answers -------------------------------------------------------------- */

static int wants_json(struct MHD_Connection *mc)
{
	const char *accept = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return !accept || !accept[strspn(accept, " \t")] || strstr(accept, "json") || strstr(accept, "*/*") || strstr(accept, "application/*");
}

/* Glance's error shape, {"message","code","title"}, with the decision
 * record beside them when there is one. */
static enum MHD_Result reply(struct exchange *ex, struct MHD_Connection *mc, int status, const char *message,
			     const struct verdict *v)
{
	const char *title = MHD_get_reason_phrase_for((unsigned)status);
	struct jsonw w = { 0 };
	char code[128];
	int json = wants_json(mc);

	snprintf(code, sizeof(code), "%d %s", status, title);
	if (json) {
		jw_lit(&w, "{\"message\":");
		jw_cstr(&w, message);
		jw_lit(&w, ",\"code\":");
		jw_cstr(&w, code);
		jw_lit(&w, ",\"title\":");
		jw_cstr(&w, title);
		if (v && v->record && v->record_len > 1) {
			jw_lit(&w, ",\"decision\":");
			jw_raw(&w, v->record, v->record_len - 1);   /* without its newline */
		}
		jw_lit(&w, "}");
	} else {
		jw_text(&w, code);
		jw_lit(&w, "\n\n");
		jw_text(&w, message);
		jw_lit(&w, "\n");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(w.len, w.buf, MHD_RESPMEM_MUST_COPY);
	jw_free(&w);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				json ? "application/json" : "text/plain; charset=UTF-8");
	MHD_add_response_header(r, "x-openstack-request-id", ex->request_id);
	if (v && v->accept_patch)
		MHD_add_response_header(r, "Accept-Patch", v->accept_patch);
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)status, r);
	MHD_destroy_response(r);
	ex->answered = 1;
	metrics_request(&ex->px->metrics, mono_us() - ex->t0);
	return rc;
}

static ssize_t read_answer(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct exchange *ex = cls;
	(void)pos;
	ssize_t n = upstream_read(ex->c->up, buf, max);
	if (n > 0)
		return n;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Queue r with Glance's status and headers (and our Warning). */
static enum MHD_Result pass_answer(struct exchange *ex, struct MHD_Connection *mc, struct MHD_Response *r)
{
	struct upstream *up = ex->c->up;

	if (!r)
		return MHD_NO;
	for (const char *const *h = upstream_headers(up); *h; h++) {
		const char *colon = strchr(*h, ':');
		if (!colon)
			continue;
		char *name = strndup(*h, (size_t)(colon - *h));
		const char *value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		if (name)
			MHD_add_response_header(r, name, value);
		free(name);
	}
	if (ex->warning[0])
		MHD_add_response_header(r, "Warning", ex->warning);
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)upstream_status(up), r);
	MHD_destroy_response(r);
	ex->answered = 1;
	metrics_request(&ex->px->metrics, mono_us() - ex->t0);
	return rc;
}

/* Glance's answer, streamed to the client as it reads. */
static enum MHD_Result relay(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	struct upstream *up = ex->c->up;
	long status = upstream_status(up);
	long long len = upstream_length(up);

	if (status == 204 || status == 304 || (len == 0 && strcmp(method, "HEAD")))
		return pass_answer(ex, mc, MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT));
	return pass_answer(ex, mc, MHD_create_response_from_callback(len >= 0 ? (uint64_t)len : MHD_SIZE_UNKNOWN,
								     REPLY_BLOCK, read_answer, ex, NULL));
}

static enum MHD_Result upstream_failed(struct exchange *ex, struct MHD_Connection *mc)
{
	char msg[512];
	int timeout = upstream_timed_out(ex->c->up);

	atomic_fetch_add(&ex->px->metrics.upstream_errors, 1);

	snprintf(msg, sizeof(msg), "Glance %s: %s", timeout ? "did not answer in time" : "could not be reached",
		 upstream_error(ex->c->up));
	return reply(ex, mc, timeout ? 504 : 502, msg, NULL);
}

/* ---- the request to Glance ----------------------------------------------- */

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
static void build_request(struct exchange *ex)
{
	const struct hdr_set *h = &ex->hdrs;
	const char *q = ex->route.query;
	size_t n = strlen(ex->px->cfg.upstream) + strlen(ex->route.path) + strlen(q) + 2;

	ex->url = malloc(n);
	if (ex->url)
		snprintf(ex->url, n, "%s%s%s%s", ex->px->cfg.upstream, ex->route.path, q[0] ? "?" : "", q);
	for (int id = 0; id < HDR_COUNT; id++)
		if (h->v[id] && h->len[id] && id != HDR_CONTENT_LENGTH && id != HDR_TRANSFER_ENCODING &&
		    id != HDR_REQUEST_ID && !(id == HDR_ACCEPT_ENCODING && route_buffers_body(ex->route.kind)))
			add_header(ex, hdr_name(id), h->v[id], h->len[id]);
	add_header(ex, hdr_name(HDR_REQUEST_ID), ex->request_id, strlen(ex->request_id));
	if (!h->v[HDR_ACCEPT] || !h->len[HDR_ACCEPT])
		add_header(ex, "Accept", "", 0);
	if (!h->v[HDR_CONTENT_TYPE] || !h->len[HDR_CONTENT_TYPE])
		add_header(ex, "Content-Type", "", 0);
	add_header(ex, "Expect", "", 0);        /* no 100-continue round trip */
}

static enum MHD_Result start_transfer(struct exchange *ex, struct MHD_Connection *mc, const char *method,
				      enum body_mode mode)
{
	struct upstream_req r = { .method = method, .url = ex->url, .headers = (const char *const *)ex->headers,
				  .body_mode = mode, .body = ex->body, .body_len = ex->body_len,
				  .stream_len = ex->verify ? -1 : ex->hdrs.content_length, .tls = &ex->c->a.http,
				  .connect_timeout_ms = ex->px->cfg.connect_timeout_ms,
				  .idle_timeout_ms = ex->px->cfg.upstream_timeout_ms };
	if (!ex->url || upstream_start(ex->c->up, &r) < 0)
		return upstream_failed(ex, mc);
	ex->transfer = 1;
	if (mode == BODY_STREAM && ex->route.kind != ROUTE_PASS && upstream_open(ex->c->up) < 0)
		return upstream_failed(ex, mc);
	return MHD_YES;
}

/* ---- decisions ---------------------------------------------------------- */

static void set_request_id(struct exchange *ex)
{
	const char *given = ex->hdrs.v[HDR_REQUEST_ID];
	char id[37];
	size_t n = given ? ex->hdrs.len[HDR_REQUEST_ID] : 0;

	/* oslo's form, req-<uuid>; anything else is replaced, not forwarded */
	if (n == 40 && !strncmp(given, "req-", 4) && strspn(given + 4, "0123456789abcdef-") == 36) {
		memcpy(ex->request_id, given, n);
		ex->request_id[n] = '\0';
		return;
	}
	uuid_v4(id);
	snprintf(ex->request_id, sizeof(ex->request_id), "req-%s", id);
}

/* Warning: 299 text: a quoted-string of printable ASCII. */
static void set_warning(struct exchange *ex, const char *message)
{
	size_t o = (size_t)snprintf(ex->warning, sizeof(ex->warning), "299 scs-image-hook \"");
	for (const char *p = message; *p && o < sizeof(ex->warning) - 2; p++)
		ex->warning[o++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '?';
	ex->warning[o++] = '"';
	ex->warning[o] = '\0';
}

static enum MHD_Result judge(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	struct admit_req r = {
		.route = ex->route.kind, .image_id = ex->route.image_id, .method = method, .target = ex->route.path,
		.request_id = ex->request_id, .body = ex->body, .body_len = ex->body_len,
		.token = ex->token, .content_type = ex->content_type, .content_length = ex->hdrs.content_length,
	};
	struct verdict v;

	admit(&ex->px->admit, &ex->c->a, &r, &v);
	if (v.status)
		return reply(ex, mc, v.status, v.message, &v);
	if (v.body) {
		/* send the parse that was decided, not the client's bytes */
		free(ex->body);
		ex->body = v.body;
		ex->body_len = v.body_len;
	}
	if (v.warn)
		set_warning(ex, v.message);
	ex->cap = v.cap;
	if (v.verify) {
		tail_begin(&ex->tail, v.verify_algo);
		ex->verify = 1;
	}
	return MHD_YES;
}

/* The upload would cross its byte cap with the next chunk: decided before
 * any of that chunk reaches Glance, so Glance never holds a complete body
 * over the limit. Cut, the upload to Glance is dropped mid-body and Glance
 * leaves the image without data; the client's 413 waits for its body end.
 * Returns 1 when cut, 0 when the upload goes on. */
static int cap_crossed(struct exchange *ex, size_t n)
{
	struct admit_req r = { .route = ex->route.kind, .image_id = ex->route.image_id, .method = "PUT",
			       .target = ex->route.path, .request_id = ex->request_id };
	struct verdict *v = xcalloc(1, sizeof(*v));

	admit_cut(&ex->px->admit, &ex->c->a, &r, ex->sent + (long long)n, v);
	if (v->status != 413) {
		ex->cap = -1;        /* exempt, warn or dry-run: it goes on, logged */
		if (v->warn)
			set_warning(ex, v->message);
		free(v);
		return 0;
	}
	upstream_finish(ex->c->up);
	ex->cut = v;
	ex->body_state = BODY_DRAIN;
	ex->pending = 413;
	snprintf(ex->pending_message, sizeof(ex->pending_message), "%s", v->message);
	return 1;
}

/* ---- the access handler --------------------------------------------------- */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				     const char *value, size_t value_size)
{
	struct hdr_set *h = cls;
	(void)kind;
	return hdr_add(h, key, key_size, value ? value : "", value ? value_size : 0) == 0 ? MHD_YES : MHD_NO;
}

static char *kept(const struct hdr_set *h, enum hdr_id id)
{
	return h->v[id] ? strndup(h->v[id], h->len[id]) : NULL;
}

/* A request refused before any decision (its headers, spelling or route)
 * is logged like a decision, so the operator can audit every refusal. */
static enum MHD_Result refused(struct exchange *ex, struct MHD_Connection *mc, const char *method, int status,
			       const char *why)
{
	struct admit_req r = { .route = ROUTE_REFUSE, .method = method, .target = ex->target,
			       .request_id = ex->request_id };
	struct verdict v;

	admit_refused(&ex->px->admit, &ex->c->a, &r, status, why, &v);
	return reply(ex, mc, v.status, v.message, &v);
}

static enum MHD_Result begin(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	ex->t0 = mono_us();
	if (!(ex->c = conn_of(mc)))
		return MHD_NO;
	hdr_init(&ex->hdrs);
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, collect_header, &ex->hdrs);
	if (!ex->hdrs.status)
		hdr_finish(&ex->hdrs, method);
	set_request_id(ex);
	if (ex->px->metrics.connections > ex->px->cfg.max_connections) {
		atomic_fetch_add(&ex->px->metrics.shed, 1);
		return reply(ex, mc, 503, "Too many connections to the image API; try again shortly.", NULL);
	}
	if (ex->hdrs.status)
		return refused(ex, mc, method, ex->hdrs.status, ex->hdrs.why);
	route_classify(method, ex->target, &ex->route);
	if (ex->route.kind == ROUTE_REFUSE)
		return refused(ex, mc, method, ex->route.status, ex->route.why);
	ex->token = kept(&ex->hdrs, HDR_AUTH_TOKEN);
	ex->content_type = kept(&ex->hdrs, HDR_CONTENT_TYPE);
	build_request(ex);
	if (route_buffers_body(ex->route.kind)) {
		if (ex->hdrs.content_length > (long long)PROXY_MAX_JSON_BODY)
			return reply(ex, mc, 413, body_too_large, NULL);
		ex->body_state = BODY_BUFFER;
		return MHD_YES;
	}
	if (ex->route.kind != ROUTE_PASS) {
		enum MHD_Result rc = judge(ex, mc, method);
		if (ex->answered || rc != MHD_YES)
			return rc;
	}
	ex->body_state = hdr_has_body(&ex->hdrs) ? BODY_FORWARD : BODY_IGNORED;
	return start_transfer(ex, mc, method, ex->body_state == BODY_FORWARD ? BODY_STREAM : BODY_NONE);
}

static enum MHD_Result drain(struct exchange *ex, int status, const char *message)
{
	ex->body_state = BODY_DRAIN;
	ex->pending = status;
	snprintf(ex->pending_message, sizeof(ex->pending_message), "%s", message ? message : "");
	return MHD_YES;
}

static int push(void *up, const char *data, size_t n)
{
	return upstream_push(up, data, n);
}

static enum MHD_Result body_chunk(struct exchange *ex, const char *data, size_t n)
{
	if (ex->body_state == BODY_BUFFER) {
		if (ex->body_len + n > PROXY_MAX_JSON_BODY)
			return drain(ex, 413, body_too_large);
		char *b = realloc(ex->body, ex->body_len + n + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + ex->body_len, data, n);
		ex->body = b;
		ex->body_len += n;
		ex->body[ex->body_len] = '\0';
		return MHD_YES;
	}
	long long after = ex->sent + (long long)n;
	if (ex->cut) {
		/* drained to answer 413, but not forever: past this the connection
		 * is closed without the answer (the record is logged) */
		ex->sent = after;
		return after - ex->cap > (long long)CUT_DRAIN_MAX ? MHD_NO : MHD_YES;
	}
	if (ex->body_state != BODY_FORWARD)
		return MHD_YES;
	if (ex->cap >= 0 && after > ex->cap && cap_crossed(ex, n))
		return MHD_YES;
	ex->sent = after;
	int rc = ex->verify ? tail_feed(&ex->tail, data, n, push, ex->c->up) : upstream_push(ex->c->up, data, n);
	if (rc == 1)
		return drain(ex, 0, NULL);          /* Glance answered before the end */
	if (rc < 0)
		return drain(ex, upstream_timed_out(ex->c->up) ? 504 : 502, NULL);
	return MHD_YES;
}

/* Mutating requests on one image are serialised here, so two PATCHes
 * harmless alone cannot both be decided on the same old image. */
static pthread_mutex_t image_locks[64] = { [0 ... 63] = PTHREAD_MUTEX_INITIALIZER };

static pthread_mutex_t *image_lock(const char *id)
{
	unsigned h = 5381;
	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return &image_locks[h % 64];
}

/* The id of the image Glance's answer to a create is about, from its
 * Location (".../v2/images/{id}"), or "" when there is none. */
static void created_id(const struct upstream *up, char *id, size_t len)
{
	id[0] = '\0';
	for (const char *const *h = upstream_headers(up); *h; h++) {
		const char *at = strncasecmp(*h, "Location:", 9) ? NULL : strstr(*h, "/images/");
		size_t n = at ? strspn(at + 8, "0123456789abcdefABCDEF-") : 0;
		if (n && n < len && !at[8 + n]) {
			memcpy(id, at + 8, n);
			id[n] = '\0';
		}
	}
}

static int encoded(const struct upstream *up)
{
	for (const char *const *h = upstream_headers(up); *h; h++)
		if (!strncasecmp(*h, "Content-Encoding:", 17) && strcasecmp(*h + 17 + strspn(*h + 17, " \t"), "identity"))
			return 1;
	return 0;
}

/* Glance's answer to a create or patch, read whole (it is one image) and
 * decided again before the client sees it. An answer that cannot be read
 * or checked (too large, compressed, broken off) is a possible violation:
 * admit_recheck hides the image and answers 502. */
static enum MHD_Result recheck(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	char id[ROUTE_ID_MAX + 1];
	struct admit_req r = { .route = ex->route.kind, .image_id = id, .method = method, .target = ex->route.path,
			       .request_id = ex->request_id };
	struct verdict v;
	const char *unchecked = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (ex->route.kind == ROUTE_CREATE)
		created_id(ex->c->up, id, sizeof(id));
	else
		snprintf(id, sizeof(id), "%s", ex->route.image_id);
	int got = encoded(ex->c->up) ? 2 : upstream_read_all(ex->c->up, PROXY_MAX_ANSWER, &buf, &len);
	if (got == 2)
		unchecked = "Glance's answer is compressed (Content-Encoding)";
	else if (got > 0)
		unchecked = "Glance's answer is larger than the proxy reads to check an image";
	else if (got < 0)
		unchecked = "Glance's answer broke off before its end";
	if (unchecked)
		atomic_fetch_add(&ex->px->metrics.upstream_errors, 1);
	admit_recheck(&ex->px->admit, &ex->c->a, &r, buf, len, unchecked, &v);
	if (v.warn)
		set_warning(ex, v.message);
	enum MHD_Result rc = v.status ? reply(ex, mc, v.status, v.message, &v)
				      : pass_answer(ex, mc, MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY));
	free(buf);
	return rc;
}

/* Glance took an upload's or stage's data: it wrote back the image as it
 * loaded it when the upload began, undoing whatever changed it meanwhile
 * (a hide included). The image is read again and decided; a violation is
 * hidden now, after Glance's last write, and answered 409. */
static enum MHD_Result recheck_data(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	struct admit_req r = { .route = ex->route.kind, .image_id = ex->route.image_id, .method = method,
			       .target = ex->route.path, .request_id = ex->request_id, .token = ex->token };
	struct verdict v;

	admit_recheck_image(&ex->px->admit, &ex->c->a, &r, &v);
	if (v.status) {
		upstream_finish(ex->c->up);
		return reply(ex, mc, v.status, v.message, &v);
	}
	if (v.warn)
		set_warning(ex, v.message);
	if (ex->verify && admit_origin_mark(&ex->px->admit, &ex->c->a, &r, v.message, sizeof(v.message)) < 0)
		set_warning(ex, v.message);
	return relay(ex, mc, method);
}

/* A PATCH whose answer never came may still have been applied: the image
 * is decided as Glance now holds it, and hidden if it violates. */
static void after_lost_answer(struct exchange *ex, const char *method)
{
	struct admit_req r = { .route = ex->route.kind, .image_id = ex->route.image_id, .method = method,
			       .target = ex->route.path, .request_id = ex->request_id, .token = ex->token };
	struct verdict v;

	admit_recheck_image(&ex->px->admit, &ex->c->a, &r, &v);
}

static enum MHD_Result forward_decided(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	enum MHD_Result rc = judge(ex, mc, method);
	if (ex->answered || rc != MHD_YES)
		return rc;
	rc = start_transfer(ex, mc, method, BODY_FIXED);
	if (ex->answered || rc != MHD_YES)
		return rc;
	if (upstream_wait_answer(ex->c->up) < 0) {
		if (ex->route.kind == ROUTE_PATCH)
			after_lost_answer(ex, method);
		return upstream_failed(ex, mc);
	}
	long status = upstream_status(ex->c->up);
	if (status >= 200 && status < 300 && (ex->route.kind == ROUTE_CREATE || ex->route.kind == ROUTE_PATCH))
		return recheck(ex, mc, method);
	return relay(ex, mc, method);
}

/* The whole body is in and hashed; Glance still lacks its end. The
 * digest decides: the end goes on (0), or the upload to Glance is broken
 * off, which Glance takes as a failed upload (chunked, so a cut body is
 * never a short complete one), and the client is answered (1, or -1 when
 * that failed). */
static int compare(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	struct admit_req r = { .route = ex->route.kind, .image_id = ex->route.image_id, .method = method,
			       .target = ex->route.path, .request_id = ex->request_id, .token = ex->token };
	char actual[SUMS_MAX_HEX + 1];
	struct verdict v;

	tail_digest(&ex->tail, actual);
	admit_origin_end(&ex->px->admit, &ex->c->a, &r, actual, &v);
	if (!v.status) {
		if (v.warn)
			set_warning(ex, v.message);
		int rc = tail_release(&ex->tail, push, ex->c->up);
		if (rc == 0 || rc == 1)
			return 0;       /* the answer (early or not) comes next */
		return reply(ex, mc, upstream_timed_out(ex->c->up) ? 504 : 502, upstream_error(ex->c->up), NULL) ==
		       MHD_YES ? 1 : -1;
	}
	upstream_finish(ex->c->up);
	ex->transfer = 0;
	admit_origin_aborted(&ex->px->admit, &ex->c->a, &r, &v);
	return reply(ex, mc, v.status, v.message, &v) == MHD_YES ? 1 : -1;
}

static enum MHD_Result finish(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	if (ex->body_state == BODY_DRAIN && ex->pending == 0)
		return relay(ex, mc, method);
	if (ex->body_state == BODY_DRAIN && ex->pending_message[0])
		return reply(ex, mc, ex->pending, ex->pending_message, ex->cut);
	if (ex->body_state == BODY_DRAIN)
		return upstream_failed(ex, mc);
	if (ex->body_state == BODY_BUFFER) {
		pthread_mutex_t *lock = ex->route.kind == ROUTE_PATCH ? image_lock(ex->route.image_id) : NULL;
		if (lock)
			pthread_mutex_lock(lock);
		enum MHD_Result rc = forward_decided(ex, mc, method);
		if (lock)
			pthread_mutex_unlock(lock);
		return rc;
	}
	if (ex->verify) {
		int rc = compare(ex, mc, method);
		if (rc != 0)
			return rc > 0 ? MHD_YES : MHD_NO;
	}
	if (upstream_wait_answer(ex->c->up) < 0)
		return upstream_failed(ex, mc);
	long status = upstream_status(ex->c->up);
	if (status >= 200 && status < 300 && (ex->route.kind == ROUTE_UPLOAD || ex->route.kind == ROUTE_STAGE))
		return recheck_data(ex, mc, method);
	return relay(ex, mc, method);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size,
				  void **req_ctx)
{
	struct exchange *ex = *req_ctx;
	(void)cls;
	(void)url;
	(void)version;

	if (!ex)
		return MHD_NO;
	if (!ex->started) {
		ex->started = 1;
		return begin(ex, mc, method);
	}
	if (ex->answered) {
		*upload_size = 0;           /* the answer is out: the rest of the body is dropped */
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		return body_chunk(ex, upload_data, n);
	}
	return finish(ex, mc, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct exchange *ex = calloc(1, sizeof(*ex));
	(void)mc;
	if (ex) {
		ex->px = cls;
		ex->cap = -1;
		atomic_fetch_add(&ex->px->metrics.in_flight, 1);
		ex->target = strdup(uri);
		if (!ex->target) {
			free(ex);
			ex = NULL;
		}
	}
	return ex;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_ctx,
			 enum MHD_RequestTerminationCode code)
{
	struct exchange *ex = *req_ctx;
	(void)cls;
	(void)mc;
	(void)code;
	if (!ex)
		return;
	if (ex->transfer && ex->c)
		upstream_finish(ex->c->up);     /* an unfinished upload is aborted here */
	if (ex->verify)
		tail_end(&ex->tail);
	if (ex->c)
		admit_end(&ex->px->admit, &ex->c->a);
	for (size_t i = 0; i < ex->n_headers; i++)
		free(ex->headers[i]);
	free(ex->headers);
	free(ex->body);
	free(ex->url);
	free(ex->cut);
	free(ex->target);
	free(ex->token);
	free(ex->content_type);
	atomic_fetch_sub(&ex->px->metrics.in_flight, 1);
	free(ex);
	*req_ctx = NULL;
}

/* ---- the admin listener ---------------------------------------------------- */

static enum MHD_Result on_admin(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				const char *version, const char *upload_data, size_t *upload_size, void **req_ctx)
{
	struct proxy *px = cls;
	char text[8192];
	unsigned long long hits, misses;
	int status = 200;
	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_ctx;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = 405;
		snprintf(text, sizeof(text), "only GET\n");
	} else if (!strcmp(url, "/healthz")) {
		snprintf(text, sizeof(text), "ok\n");
	} else if (!strcmp(url, "/metrics")) {
		token_cache_stats(px->admit.tokens, &hits, &misses);
		metrics_render(&px->metrics, hits, misses, text, sizeof(text));
	} else {
		status = 404;
		snprintf(text, sizeof(text), "not found: /healthz, /metrics\n");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

/* ---- start and stop -------------------------------------------------------- */

static int resolve(const struct listen_addr *a, struct sockaddr_storage *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char port[8];

	snprintf(port, sizeof(port), "%u", a->port);
	int rc = getaddrinfo(a->host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve listen address %s: %s", a->host ? a->host : "*", gai_strerror(rc));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static struct MHD_Daemon *listen_on(const struct listen_addr *a, unsigned flags, MHD_AccessHandlerCallback fn,
				    void *cls, struct MHD_OptionItem *opts, char *err, size_t errlen)
{
	struct sockaddr_storage sa;

	if (resolve(a, &sa, err, errlen) < 0)
		return NULL;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)a->port, NULL, NULL, fn, cls, MHD_OPTION_SOCK_ADDR,
						(struct sockaddr *)&sa, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot listen on %s:%u (in use, or not an address of this host?)",
			 a->host ? a->host : "*", a->port);
	return d;
}

int proxy_start(struct proxy *px, char *err, size_t errlen)
{
	const struct config *c = &px->cfg;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, px },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, px },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, px },
		/* headroom above the limit, to answer 503 rather than drop */
		{ MHD_OPTION_CONNECTION_LIMIT, c->max_connections + 64, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(c->client_timeout_ms / 1000), NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL },
		{ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem admin_opts[] = { { MHD_OPTION_END, 0, NULL } };

	/* A thread per connection would otherwise get up to 8 malloc arenas per
	 * core, whose fragments malloc_trim cannot return after a load peak. */
	mallopt(M_ARENA_MAX, 4);
	px->admit.cfg = &px->cfg;
	px->admit.metrics = &px->metrics;
	px->admit.tokens = token_cache_new(4096);
	px->daemon = listen_on(&c->listen, MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
				MHD_USE_ERROR_LOG, on_request, px, opts, err, errlen);
	if (!px->daemon)
		return -1;
	if (c->admin.port) {
		px->admin = listen_on(&c->admin, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, on_admin, px,
				      admin_opts, err, errlen);
		if (!px->admin) {
			proxy_stop(px);
			return -1;
		}
	}
	return 0;
}

/* Stop taking connections, let requests in flight finish for a grace
 * period, then end what is left: an unfinished upload to Glance is
 * aborted, so no image becomes active with part of its data. */
void proxy_stop(struct proxy *px)
{
	if (px->daemon) {
		MHD_socket s = MHD_quiesce_daemon(px->daemon);
		if (s != MHD_INVALID_SOCKET)
			close(s);
		for (long waited = 0; px->metrics.in_flight > 0 && waited < STOP_GRACE_MS; waited += 50)
			usleep(50 * 1000);
		upstream_shutdown();
		MHD_stop_daemon(px->daemon);
	}
	if (px->admin)
		MHD_stop_daemon(px->admin);
	px->daemon = px->admin = NULL;
	token_cache_free(px->admit.tokens);
	px->admit.tokens = NULL;
	free(px->admit.service_token);
	px->admit.service_token = NULL;
}
