/* reply: how the proxy answers its client. Its own refusals take the
 * shapes Glance's webob gives its errors, chosen from the Accept field as
 * webob chooses (accept.c): text/html, {"message","code","title"} JSON or
 * text/plain, so every client written for Glance shows them as it shows
 * Glance's own; Glance's answers pass through with Glance's status and
 * headers, read whole or streamed, plus the Warning a warn mode adds.
 * Apart from the exchange (exchange.c) so that every way of answering is
 * in one place, and each answer marks the request answered and counts
 * its duration once. */
#include "io/reply.h"
#include "core/accept.h"
#include "core/jsonw.h"
#include "io/upstream.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_BLOCK (64u << 10)

/* Text as HTML element content: <, > and & escaped. Quotes stay (they
 * mean nothing there), as glanceclient prints the text unescaped. */
static void html_text(struct jsonw *w, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': jw_lit(w, "&lt;"); break;
		case '>': jw_lit(w, "&gt;"); break;
		case '&': jw_lit(w, "&amp;"); break;
		default: jw_raw(w, s, 1);
		}
	}
}

/* The error body in the shape webob gives for this Accept; its media type. */
static const char *error_body(struct jsonw *w, enum accept_shape shape, const char *code, const char *title,
			      const char *message, const struct verdict *v)
{
	switch (shape) {
	case ACCEPT_JSON:
		jw_lit(w, "{\"message\":");
		jw_cstr(w, message);
		jw_lit(w, ",\"code\":");
		jw_cstr(w, code);
		jw_lit(w, ",\"title\":");
		jw_cstr(w, title);
		if (v && v->record && v->record_len > 1) {
			jw_lit(w, ",\"decision\":");
			jw_raw(w, v->record, v->record_len - 1);   /* without its newline */
		}
		jw_lit(w, "}");
		return "application/json";
	case ACCEPT_HTML:
		/* webob's page: the reason alone on its line, which is what
		 * glanceclient keeps of it ("403 Forbidden: reason") */
		jw_lit(w, "<html>\n <head>\n  <title>");
		jw_text(w, code);
		jw_lit(w, "</title>\n </head>\n <body>\n  <h1>");
		jw_text(w, code);
		jw_lit(w, "</h1>\n  ");
		html_text(w, message);
		jw_lit(w, "<br /><br />\n\n\n\n </body>\n</html>");
		return "text/html; charset=UTF-8";
	default:
		jw_text(w, code);
		jw_lit(w, "\n\n");
		jw_text(w, message);
		jw_lit(w, "\n\n\n");
		return "text/plain; charset=UTF-8";
	}
}

/* An error in Glance's shapes, with the decision record beside the JSON
 * one's fields when there is one. */
enum MHD_Result reply_error(struct exchange *ex, struct MHD_Connection *mc, int status, const char *message,
			    const struct verdict *v)
{
	const char *title = MHD_get_reason_phrase_for((unsigned)status);
	struct jsonw w = { 0 };
	char code[128];

	snprintf(code, sizeof(code), "%d %s", status, title);
	const char *type = error_body(&w, accept_shape(ex->hdrs.v[HDR_ACCEPT], ex->hdrs.len[HDR_ACCEPT]), code, title,
				      message, v);
	struct MHD_Response *r = MHD_create_response_from_buffer(w.len, w.buf, MHD_RESPMEM_MUST_COPY);
	jw_free(&w);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "x-openstack-request-id", ex->request_id);
	if (v && v->accept_patch)
		MHD_add_response_header(r, "Accept-Patch", v->accept_patch);
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	admit_answered(&ex->px->admit, &ex->c->a, status);
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)status, r);
	MHD_destroy_response(r);
	ex->answered = 1;
	metrics_request(&ex->px->metrics, mono_us() - ex->t0);
	metrics_response(&ex->px->metrics, status);
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
enum MHD_Result reply_pass(struct exchange *ex, struct MHD_Connection *mc, struct MHD_Response *r)
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
	admit_answered(&ex->px->admit, &ex->c->a, (int)upstream_status(up));
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)upstream_status(up), r);
	MHD_destroy_response(r);
	ex->answered = 1;
	metrics_request(&ex->px->metrics, mono_us() - ex->t0);
	metrics_response(&ex->px->metrics, (int)upstream_status(up));
	return rc;
}

/* Glance's answer, streamed to the client as it reads. */
enum MHD_Result reply_relay(struct exchange *ex, struct MHD_Connection *mc, const char *method)
{
	struct upstream *up = ex->c->up;
	long status = upstream_status(up);
	long long len = upstream_length(up);

	if (status == 204 || status == 304 || (len == 0 && strcmp(method, "HEAD")))
		return reply_pass(ex, mc, MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT));
	return reply_pass(ex, mc, MHD_create_response_from_callback(len >= 0 ? (uint64_t)len : MHD_SIZE_UNKNOWN,
								    REPLY_BLOCK, read_answer, ex, NULL));
}

enum MHD_Result reply_upstream_failed(struct exchange *ex, struct MHD_Connection *mc)
{
	char msg[512];
	int timeout = upstream_timed_out(ex->c->up);

	atomic_fetch_add(&ex->px->metrics.upstream_errors, 1);

	snprintf(msg, sizeof(msg), "Glance %s: %s", timeout ? "did not answer in time" : "could not be reached",
		 upstream_error(ex->c->up));
	return reply_error(ex, mc, timeout ? 504 : 502, msg, NULL);
}

/* Warning: 299 text: a quoted-string of printable ASCII. */
void reply_warning(struct exchange *ex, const char *message)
{
	size_t o = (size_t)snprintf(ex->warning, sizeof(ex->warning), "299 scs-image-hook \"");
	for (const char *p = message; *p && o < sizeof(ex->warning) - 2; p++)
		ex->warning[o++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '?';
	ex->warning[o++] = '"';
	ex->warning[o] = '\0';
}
