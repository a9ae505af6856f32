/* upstream: see upstream.h. One multi handle and one easy handle per
 * client connection, so each connection thread keeps its own keep-alive
 * connection to Glance and no lock is ever taken on the data path. */
#include "io/upstream.h"
#include "io/http.h"
#include "core/util.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OUT_WINDOW (256u << 10)     /* answer bytes held before Glance is paused */
#define MAX_HEADERS 128

struct upstream {
	CURLM *multi;
	CURL *easy;
	int attached;
	struct curl_slist *req_headers;

	/* request body being pushed */
	const char *in;
	size_t in_len;
	int in_eof;
	long long declared, pushed;     /* the length Glance was told (-1 chunked), and bytes given */
	int send_paused, recv_paused;

	/* the answer */
	long status;
	int headers_done;
	char *hdr[MAX_HEADERS + 1];
	size_t n_hdr;
	long long length;
	char *out;
	size_t out_off, out_len, out_cap;

	int progress;               /* some byte moved since the last look */
	int done;
	CURLcode result;
	int timed_out;
	long idle_timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
	char error[CURL_ERROR_SIZE + 64];
};

struct upstream *upstream_new(void)
{
	static int global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = 1;
	}
	struct upstream *u = xcalloc(1, sizeof(*u));
	u->multi = curl_multi_init();
	u->easy = curl_easy_init();
	if (!u->multi || !u->easy) {
		upstream_free(u);
		return NULL;
	}
	return u;
}

static void clear_headers(struct upstream *u)
{
	for (size_t i = 0; i < u->n_hdr; i++)
		free(u->hdr[i]);
	u->n_hdr = 0;
	u->hdr[0] = NULL;
}

void upstream_finish(struct upstream *u)
{
	if (u->attached)
		curl_multi_remove_handle(u->multi, u->easy);
	u->attached = 0;
	curl_slist_free_all(u->req_headers);
	u->req_headers = NULL;
	clear_headers(u);
}

void upstream_free(struct upstream *u)
{
	if (!u)
		return;
	upstream_finish(u);
	if (u->easy)
		curl_easy_cleanup(u->easy);
	if (u->multi)
		curl_multi_cleanup(u->multi);
	free(u->out);
	free(u);
}

static void set_pause(struct upstream *u)
{
	curl_easy_pause(u->easy, (u->send_paused ? CURLPAUSE_SEND : 0) | (u->recv_paused ? CURLPAUSE_RECV : 0));
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct upstream *u = ctx;
	size_t n = size * nitems;

	if (!u->in_len) {
		if (u->in_eof)
			return 0;
		u->send_paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	if (n > u->in_len)
		n = u->in_len;
	memcpy(buf, u->in, n);
	u->in += n;
	u->in_len -= n;
	u->progress = 1;
	return n;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct upstream *u = ctx;
	size_t n = size * nmemb, held = u->out_len - u->out_off;

	if (held && held + n > OUT_WINDOW) {
		u->recv_paused = 1;
		return CURL_WRITEFUNC_PAUSE;        /* curl keeps these bytes for later */
	}
	if (u->out_off) {
		memmove(u->out, u->out + u->out_off, held);
		u->out_off = 0;
		u->out_len = held;
	}
	if (u->out_len + n > u->out_cap) {
		/* grow as needed: most answers are a few KiB of JSON */
		size_t cap = u->out_cap ? u->out_cap * 2 : 16384;
		while (cap < u->out_len + n)
			cap *= 2;
		char *p = realloc(u->out, cap);
		if (!p)
			return 0;
		u->out = p;
		u->out_cap = cap;
	}
	memcpy(u->out + u->out_len, data, n);
	u->out_len += n;
	u->progress = 1;
	return n;
}

/* Hop-by-hop headers belong to one connection, not to the message. */
static int hop_by_hop(const char *line, size_t n)
{
	static const char *const names[] = { "connection", "keep-alive", "proxy-connection", "transfer-encoding",
					     "te", "trailer", "upgrade", "content-length" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t k = strlen(names[i]);
		if (n > k && line[k] == ':' && !strncasecmp(line, names[i], k))
			return 1;
	}
	return 0;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ctx)
{
	struct upstream *u = ctx;
	size_t n = size * nitems, len = n;

	u->progress = 1;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		clear_headers(u);           /* a new answer (after a 100 Continue) */
		u->length = -1;
		const char *sp = memchr(line, ' ', len);
		u->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return n;
	}
	if (!len) {
		if (u->status >= 200)
			u->headers_done = 1;
		return n;
	}
	if (len > 15 && !strncasecmp(line, "content-length:", 15))
		u->length = strtoll(line + 15, NULL, 10);
	if (hop_by_hop(line, len) || u->n_hdr == MAX_HEADERS || line[0] == ' ' || line[0] == '\t')
		return n;
	u->hdr[u->n_hdr] = strndup(line, len);
	if (u->hdr[u->n_hdr])
		u->hdr[++u->n_hdr] = NULL;
	return n;
}

static void reset(struct upstream *u)
{
	upstream_finish(u);
	u->in = NULL;
	u->in_len = 0;
	u->in_eof = 0;
	u->declared = -1;
	u->pushed = 0;
	u->send_paused = u->recv_paused = 0;
	u->status = 0;
	u->headers_done = 0;
	u->length = -1;
	u->out_off = u->out_len = 0;
	u->progress = u->done = u->timed_out = 0;
	u->result = CURLE_OK;
	u->errbuf[0] = u->error[0] = '\0';
}

/* The method is always the client's own: curl would turn a GET with an
 * upload into a PUT. A body is only sent where a method takes one. */
static int set_body(struct upstream *u, const struct upstream_req *r)
{
	CURL *e = u->easy;

	if (r->body_mode != BODY_NONE && (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")))
		return -1;
	if (r->body_mode == BODY_FIXED) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	} else if (r->body_mode == BODY_STREAM) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, u);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
		if (r->stream_len >= 0)
			curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->stream_len);
		u->declared = r->stream_len;
	}
	if (!strcmp(r->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	return 0;
}

int upstream_start(struct upstream *u, const struct upstream_req *r)
{
	CURL *e = u->easy;

	reset(u);
	curl_easy_reset(e);
	for (size_t i = 0; r->headers && r->headers[i]; i++)
		u->req_headers = curl_slist_append(u->req_headers, r->headers[i]);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);        /* Glance must see the path we routed */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, u->req_headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, u->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, u);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	http_tls(e, r->tls);        /* verification, CA bundle, http/https only: as every call */
	u->idle_timeout_ms = r->idle_timeout_ms;
	if (set_body(u, r) < 0) {
		snprintf(u->error, sizeof(u->error), "a %s request carries no body", r->method);
		return -1;
	}
	if (curl_multi_add_handle(u->multi, e) != CURLM_OK) {
		snprintf(u->error, sizeof(u->error), "cannot start the transfer to Glance");
		return -1;
	}
	u->attached = 1;
	return 0;
}

static void collect(struct upstream *u)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(u->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == u->easy) {
			u->done = 1;
			u->result = m->data.result;
			if (u->result != CURLE_OK)
				snprintf(u->error, sizeof(u->error), "%s", u->errbuf[0] ? u->errbuf :
					 curl_easy_strerror(u->result));
		}
}

/* Run the transfer until ready(u) or the end; a Glance that makes no
 * progress for idle_timeout_ms is given up on. */
static atomic_int shutting_down;

void upstream_shutdown(void)
{
	atomic_store(&shutting_down, 1);
}

static void drive(struct upstream *u, int (*ready)(const struct upstream *))
{
	long long deadline = mono_us() / 1000 + u->idle_timeout_ms;
	int running;

	while (!u->done && !ready(u)) {
		u->progress = 0;
		if (curl_multi_perform(u->multi, &running) != CURLM_OK) {
			u->done = 1;
			u->result = CURLE_FAILED_INIT;
			snprintf(u->error, sizeof(u->error), "the transfer to Glance failed");
			return;
		}
		collect(u);
		if (u->done || ready(u))
			return;
		if (u->progress) {
			deadline = mono_us() / 1000 + u->idle_timeout_ms;
		} else if (mono_us() / 1000 > deadline) {
			u->done = 1;
			u->timed_out = 1;
			u->result = CURLE_OPERATION_TIMEDOUT;
			snprintf(u->error, sizeof(u->error), "Glance made no progress for %ld ms", u->idle_timeout_ms);
			return;
		}
		if (atomic_load(&shutting_down)) {
			u->done = 1;
			u->result = CURLE_ABORTED_BY_CALLBACK;
			snprintf(u->error, sizeof(u->error), "the proxy is shutting down");
			return;
		}
		curl_multi_poll(u->multi, NULL, 0, 100, NULL);
	}
}

static int input_taken(const struct upstream *u)
{
	return u->in_len == 0 || u->headers_done;
}

static int has_answer(const struct upstream *u)
{
	return u->headers_done;
}

static int has_output(const struct upstream *u)
{
	return u->out_len > u->out_off;
}

static int head_sent(const struct upstream *u)
{
	return u->send_paused || u->headers_done;
}

int upstream_open(struct upstream *u)
{
	drive(u, head_sent);
	if (u->done && !u->headers_done)
		return -1;
	return 0;
}

int upstream_push(struct upstream *u, const char *data, size_t len)
{
	if (u->declared >= 0 && u->pushed + (long long)len > u->declared) {
		snprintf(u->error, sizeof(u->error), "the body is longer than the %lld bytes declared to Glance",
			 u->declared);
		return -1;
	}
	u->pushed += (long long)len;
	u->in = data;
	u->in_len = len;
	if (u->send_paused) {
		u->send_paused = 0;
		set_pause(u);
	}
	drive(u, input_taken);
	u->in = NULL;
	u->in_len = 0;
	if (u->headers_done || u->done)
		return u->headers_done ? 1 : -1;
	return 0;
}

int upstream_wait_answer(struct upstream *u)
{
	u->in_eof = 1;
	if (u->send_paused) {
		u->send_paused = 0;
		set_pause(u);
	}
	drive(u, has_answer);
	if (u->headers_done)
		return 0;
	if (!u->error[0])
		snprintf(u->error, sizeof(u->error), "Glance closed the connection without an answer");
	return -1;
}

ssize_t upstream_read(struct upstream *u, char *buf, size_t max)
{
	if (!has_output(u)) {
		u->out_off = u->out_len = 0;
		if (u->recv_paused) {
			u->recv_paused = 0;
			set_pause(u);           /* may deliver held bytes right away */
		}
		drive(u, has_output);
	}
	size_t held = u->out_len - u->out_off;
	if (held) {
		size_t n = held < max ? held : max;
		memcpy(buf, u->out + u->out_off, n);
		u->out_off += n;
		return (ssize_t)n;
	}
	return u->done && u->result == CURLE_OK ? 0 : -1;
}

int upstream_read_all(struct upstream *u, size_t max, char **buf, size_t *len)
{
	size_t cap = 16384;
	ssize_t n;

	*len = 0;
	*buf = NULL;
	do {
		if (*len == cap || !*buf) {
			char *b = *len < max ? realloc(*buf, cap = *buf ? 2 * cap : cap) : NULL;
			if (!b) {
				free(*buf);
				*buf = NULL;
				return 1;
			}
			*buf = b;
		}
		n = upstream_read(u, *buf + *len, cap - *len);
		*len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	if (n < 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

long upstream_status(const struct upstream *u)
{
	return u->status;
}

const char *const *upstream_headers(const struct upstream *u)
{
	return (const char *const *)u->hdr;
}

long long upstream_length(const struct upstream *u)
{
	return u->length;
}

const char *upstream_error(const struct upstream *u)
{
	return u->error[0] ? u->error : "no error";
}

int upstream_timed_out(const struct upstream *u)
{
	return u->timed_out || u->result == CURLE_OPERATION_TIMEDOUT;
}
