/* exchange: one request's life in the proxy. Its headers are checked and
 * reduced to the allowlist (hdr.c), its method and target found in the
 * table of Glance's routes (route.c), and it is decided when it creates or
 * changes an image (admit.c): before Glance sees it, at an upload's byte
 * cap, at the end of a body checked against its vendor's digest, and
 * again on the image Glance's answer leaves behind. The request Glance
 * gets is the one built from that parse (forward.c, upstream.c): nothing
 * the proxy did not read passes. proxy.c drives it from libmicrohttpd's
 * callbacks; the answers go out through reply.c. */
#include "io/exchange.h"
#include "io/forward.h"
#include "io/reply.h"
#include "io/tls.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROXY_MAX_ANSWER (4u << 20)  /* Glance's answer to a create or patch: one image */
#define CUT_DRAIN_MAX (64u << 20)  /* bytes read past a quota cut before closing */

static const char body_too_large[] = "The request body is larger than the 64 KiB the image API needs.";

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
		return reply_error(ex, mc, v.status, v.message, &v);
	if (v.body) {
		/* send the parse that was decided, not the client's bytes */
		free(ex->body);
		ex->body = v.body;
		ex->body_len = v.body_len;
	}
	if (v.warn)
		reply_warning(ex, v.message);
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
			reply_warning(ex, v->message);
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


/* ---- the request's life ---------------------------------------------------- */

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

/* Who sent the request: the peer's address, or behind a trusted front the
 * client's it names; and the User-Agent. Both for the records. */
static void whence(struct exchange *ex, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct config *cfg = &ex->px->cfg;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	char peer[INET6_ADDRSTRLEN] = "unknown";

	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof(peer));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof(peer));
	ex->trusted = cidr_any(cfg->fronts, cfg->n_fronts, peer);
	cidr_client(cfg->fronts, cfg->n_fronts, peer, ex->hdrs.v[HDR_X_FORWARDED_FOR], ex->hdrs.len[HDR_X_FORWARDED_FOR],
		    ex->c->a.client, sizeof(ex->c->a.client));
	free(ex->c->a.user_agent);
	ex->c->a.user_agent = kept(&ex->hdrs, HDR_USER_AGENT);
}

static int client_certified(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci && tls_client_verified(ci->tls_session);
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
	return reply_error(ex, mc, v.status, v.message, &v);
}

enum MHD_Result exchange_begin(struct exchange *ex, struct conn *c, struct MHD_Connection *mc, const char *method)
{
	ex->t0 = mono_us();
	if (!(ex->c = c))
		return MHD_NO;
	hdr_init(&ex->hdrs);
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, collect_header, &ex->hdrs);
	if (!ex->hdrs.status)
		hdr_finish(&ex->hdrs, method);
	set_request_id(ex);
	whence(ex, mc);
	if (ex->px->metrics.connections > ex->px->cfg.max_connections) {
		atomic_fetch_add(&ex->px->metrics.shed, 1);
		return reply_error(ex, mc, 503, "Too many connections to the image API; try again shortly.", NULL);
	}
	if (ex->px->cfg.tls_client_ca && !client_certified(mc))
		return refused(ex, mc, method, 403, "this listener takes only clients with a certificate its client CA "
			       "(tls.client_ca) signed");
	if (ex->hdrs.status)
		return refused(ex, mc, method, ex->hdrs.status, ex->hdrs.why);
	route_classify(method, ex->target, &ex->route);
	if (ex->route.kind == ROUTE_REFUSE)
		return refused(ex, mc, method, ex->route.status, ex->route.why);
	ex->token = kept(&ex->hdrs, HDR_AUTH_TOKEN);
	ex->content_type = kept(&ex->hdrs, HDR_CONTENT_TYPE);
	forward_build(ex);
	if (route_buffers_body(ex->route.kind)) {
		if (ex->hdrs.content_length > (long long)PROXY_MAX_JSON_BODY)
			return reply_error(ex, mc, 413, body_too_large, NULL);
		ex->body_state = BODY_BUFFER;
		return MHD_YES;
	}
	if (ex->route.kind != ROUTE_PASS) {
		enum MHD_Result rc = judge(ex, mc, method);
		if (ex->answered || rc != MHD_YES)
			return rc;
	}
	ex->body_state = hdr_has_body(&ex->hdrs) ? BODY_FORWARD : BODY_IGNORED;
	return forward_start(ex, mc, method, ex->body_state == BODY_FORWARD ? BODY_STREAM : BODY_NONE);
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

enum MHD_Result exchange_body(struct exchange *ex, const char *data, size_t n)
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

/* ---- after Glance's answer ------------------------------------------------- */

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
		reply_warning(ex, v.message);
	enum MHD_Result rc = v.status ? reply_error(ex, mc, v.status, v.message, &v)
				      : reply_pass(ex, mc, MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY));
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
		return reply_error(ex, mc, v.status, v.message, &v);
	}
	if (v.warn)
		reply_warning(ex, v.message);
	return reply_relay(ex, mc, method);
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

static enum MHD_Result send_decided(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	enum MHD_Result rc = judge(ex, mc, method);
	if (ex->answered || rc != MHD_YES)
		return rc;
	rc = forward_start(ex, mc, method, BODY_FIXED);
	if (ex->answered || rc != MHD_YES)
		return rc;
	if (upstream_wait_answer(ex->c->up) < 0) {
		if (ex->route.kind == ROUTE_PATCH)
			after_lost_answer(ex, method);
		return reply_upstream_failed(ex, mc);
	}
	long status = upstream_status(ex->c->up);
	if (status >= 200 && status < 300 && (ex->route.kind == ROUTE_CREATE || ex->route.kind == ROUTE_PATCH))
		return recheck(ex, mc, method);
	return reply_relay(ex, mc, method);
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
			reply_warning(ex, v.message);
		int rc = tail_release(&ex->tail, push, ex->c->up);
		if (rc == 0 || rc == 1)
			return 0;       /* the answer (early or not) comes next */
		return reply_error(ex, mc, upstream_timed_out(ex->c->up) ? 504 : 502, upstream_error(ex->c->up), NULL) ==
		       MHD_YES ? 1 : -1;
	}
	upstream_finish(ex->c->up);
	ex->transfer = 0;
	admit_origin_aborted(&ex->px->admit, &ex->c->a, &r, &v);
	return reply_error(ex, mc, v.status, v.message, &v) == MHD_YES ? 1 : -1;
}

enum MHD_Result exchange_finish(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	if (ex->body_state == BODY_DRAIN && ex->pending == 0)
		return reply_relay(ex, mc, method);
	if (ex->body_state == BODY_DRAIN && ex->pending_message[0])
		return reply_error(ex, mc, ex->pending, ex->pending_message, ex->cut);
	if (ex->body_state == BODY_DRAIN)
		return reply_upstream_failed(ex, mc);
	if (ex->body_state == BODY_BUFFER) {
		pthread_mutex_t *lock = ex->route.kind == ROUTE_PATCH ? image_lock(ex->route.image_id) : NULL;
		if (lock)
			pthread_mutex_lock(lock);
		enum MHD_Result rc = send_decided(ex, mc, method);
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
		return reply_upstream_failed(ex, mc);
	long status = upstream_status(ex->c->up);
	if (status >= 200 && status < 300 && (ex->route.kind == ROUTE_UPLOAD || ex->route.kind == ROUTE_STAGE))
		return recheck_data(ex, mc, method);
	return reply_relay(ex, mc, method);
}

struct exchange *exchange_new(struct proxy *px, const char *uri)
{
	struct exchange *ex = calloc(1, sizeof(*ex));
	if (ex) {
		ex->px = px;
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

void exchange_free(struct exchange *ex)
{
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
}
