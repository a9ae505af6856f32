#include "io/http.h"
#include "core/buf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_MAX_BODY (256u << 20)

int http_init(struct http_client *c, int verify, const char *cacert, char *err, size_t errlen)
{
	static int global_done;

	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = 1;
	}
	memset(c, 0, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	c->timeout_ms = 60000;
	c->connect_timeout_ms = 10000;
	c->verify = verify;
	c->cacert = cacert;
	c->max_body = HTTP_DEFAULT_MAX_BODY;
	return 0;
}

void http_cleanup(struct http_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

void http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

struct sink {
	struct buf body;
	size_t max;
	int too_big, refused;
	const struct http_req *req;
	CURL *curl;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;
	long status = 0;

	if (s->req->sink && curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status / 100 == 2) {
		if (s->req->sink(data, n, s->req->sink_ctx) < 0) {
			s->refused = 1;
			return 0;
		}
		return n;
	}

	if (s->body.len + n + 1 > s->max) {
		s->too_big = 1;
		return 0;           /* aborts the transfer */
	}
	return buf_add(&s->body, data, n) < 0 ? 0 : n;
}

/* Keep the headers we act on; values are trimmed of CR/LF. */
static void keep_header(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name);
	if (n <= k + 1 || strncasecmp(line, name, k) || line[k] != ':')
		return;
	const char *v = line + k + 1;
	const char *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t len = (size_t)(end - v) < outlen - 1 ? (size_t)(end - v) : outlen - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
	struct http_resp *r = ctx;
	size_t n = size * nmemb;
	keep_header(line, n, "X-Subject-Token", r->subject_token, sizeof(r->subject_token));
	keep_header(line, n, "x-openstack-request-id", r->request_id, sizeof(r->request_id));
	return n;
}

static struct curl_slist *build_headers(const struct http_req *r)
{
	struct curl_slist *h = NULL;
	char line[2048];

	h = curl_slist_append(h, "Accept: application/json");
	if (r->token && snprintf(line, sizeof(line), "X-Auth-Token: %s", r->token) < (int)sizeof(line))
		h = curl_slist_append(h, line);
	if (r->subject_token && snprintf(line, sizeof(line), "X-Subject-Token: %s", r->subject_token) < (int)sizeof(line))
		h = curl_slist_append(h, line);
	if (r->content_type && snprintf(line, sizeof(line), "Content-Type: %s", r->content_type) < (int)sizeof(line))
		h = curl_slist_append(h, line);
	if (r->request_id && snprintf(line, sizeof(line), "x-openstack-request-id: %s", r->request_id) < (int)sizeof(line))
		h = curl_slist_append(h, line);
	h = curl_slist_append(h, "User-Agent: scs-image-hook");
	h = curl_slist_append(h, "Expect:");   /* no 100-continue round trip */
	return h;
}

/* Say what went wrong in words an operator can act on. */
static void explain(CURLcode rc, const char *url, const char *detail, char *err, size_t errlen)
{
	const char *what;
	switch (rc) {
	case CURLE_COULDNT_CONNECT: what = "cannot connect (is the service running?)"; break;
	case CURLE_COULDNT_RESOLVE_HOST: what = "cannot resolve the host name"; break;
	case CURLE_OPERATION_TIMEDOUT: what = "timed out"; break;
	case CURLE_PEER_FAILED_VERIFICATION: what = "TLS verification failed (wrong CA or host name; see cacert/verify)"; break;
	case CURLE_SSL_CONNECT_ERROR: what = "TLS handshake failed"; break;
	case CURLE_SSL_CACERT_BADFILE: what = "cannot read the CA bundle"; break;
	default: what = curl_easy_strerror(rc); break;
	}
	snprintf(err, errlen, "%s: %s%s%s", url, what, detail[0] ? ": " : "", detail);
}

void http_tls(void *curl, const struct http_client *c)
{
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
}

int http_do(struct http_client *c, const struct http_req *r, struct http_resp *out, char *err, size_t errlen)
{
	CURL *curl = c->curl;
	struct sink sink = { .max = c->max_body, .req = r, .curl = c->curl };
	char detail[CURL_ERROR_SIZE] = "";
	const char *method = r->method ? r->method : "GET";

	memset(out, 0, sizeof(*out));
	curl_easy_reset(curl);
	struct curl_slist *headers = build_headers(r);
	curl_easy_setopt(curl, CURLOPT_URL, r->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	if (c->idle_ms > 0) {
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (c->idle_ms + 999) / 1000);
	}
	http_tls(curl, c);
	if (r->sink)            /* GiBs stream through: fewer, larger chunks */
		curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (c->max_redirects > 0) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, c->max_redirects);
		curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, strncmp(r->url, "https:", 6) ? "http,https" : "https");
	}
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
	if (strcmp(method, "GET"))
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (r->body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	CURLcode rc = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		if (sink.too_big)
			snprintf(err, errlen, "%s: answer larger than %zu MiB", r->url, c->max_body >> 20);
		else if (sink.refused)
			snprintf(err, errlen, "%s: the answer was refused by its reader", r->url);
		else
			explain(rc, r->url, detail, err, errlen);
		buf_release(&sink.body);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	char *at = NULL;
	if (curl_easy_getinfo(curl, out->status / 100 == 3 ? CURLINFO_REDIRECT_URL : CURLINFO_EFFECTIVE_URL, &at) ==
	    CURLE_OK && at)
		snprintf(out->url, sizeof(out->url), "%s", at);
	if (!(out->body = buf_detach(&sink.body, &out->len))) {
		buf_release(&sink.body);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void http_error_text(const struct http_resp *r, char *out, size_t len)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	const char *msg = NULL;

	if (json_is_object(doc)) {
		/* Keystone: {"error":{"message"}}; Glance: {"message"} or HTML-ish text */
		json_t *e = json_object_get(doc, "error");
		msg = json_string_value(json_object_get(json_is_object(e) ? e : doc, "message"));
	}
	if (msg)
		snprintf(out, len, "%s", msg);
	else
		snprintf(out, len, "%.*s", (int)(r->len > 200 ? 200 : r->len), r->body ? r->body : "");
	json_decref(doc);
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}
