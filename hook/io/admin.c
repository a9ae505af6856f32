/* admin: the proxy's admin listener, GET /healthz, /readyz and /metrics.
 * It listens on an address of its own (`admin_listen`), apart from the
 * image API, for load balancers' health checks and Prometheus; none of
 * its requests is decided. /healthz is liveness: the proxy serves.
 * /readyz is readiness: this node's Glance answers its /healthcheck
 * (asked at most every READY_CACHE_MS, so a load balancer's checks do not
 * load it). Keystone is not part of readiness: every node shares it, and
 * an outage of it would take every node, and every download, out of the
 * pool; its state is a metric and a log line (admit_identity.c). */
#include "io/admin.h"
#include "io/http.h"
#include "io/proxy.h"
#include "core/tokens.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define READY_CACHE_MS 2000
#define READY_TIMEOUT_MS 2000

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;

/* Glance's /healthcheck, asked again when the last answer is older than
 * READY_CACHE_MS: 1 ready, 0 not (why says what Glance did). */
static int glance_ready(struct proxy *px, char *why, size_t len)
{
	static long long asked_us = -1;
	static int ready;
	static char last[640];
	long long now = mono_us();

	pthread_mutex_lock(&ready_lock);
	if (asked_us < 0 || now - asked_us >= READY_CACHE_MS * 1000LL) {
		struct http_client h;
		struct http_resp resp;
		char url[2048], err[512];

		asked_us = now;
		ready = 0;
		snprintf(url, sizeof(url), "%s/healthcheck", px->cfg.upstream);
		if (http_init(&h, px->cfg.auth.verify || !px->cfg.has_keystone, px->cfg.auth.cacert, err, sizeof(err)) < 0) {
			snprintf(last, sizeof(last), "%s", err);
		} else {
			h.timeout_ms = READY_TIMEOUT_MS;
			h.connect_timeout_ms = READY_TIMEOUT_MS;
			struct http_req req = { .url = url };
			if (http_do(&h, &req, &resp, err, sizeof(err)) < 0) {
				snprintf(last, sizeof(last), "Glance does not answer: %s", err);
			} else {
				ready = resp.status == 200;
				snprintf(last, sizeof(last), "Glance's /healthcheck answered HTTP %ld", resp.status);
				http_resp_free(&resp);
			}
			http_cleanup(&h);
		}
		atomic_store(&px->metrics.glance_up, (unsigned)ready);
	}
	int rc = ready;
	snprintf(why, len, "%s", last);
	pthread_mutex_unlock(&ready_lock);
	return rc;
}

enum MHD_Result admin_answer(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
			     const char *version, const char *upload_data, size_t *upload_size, void **req_ctx)
{
	struct proxy *px = cls;
	char text[32768], why[640];
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
	} else if (!strcmp(url, "/readyz")) {
		int ready = glance_ready(px, why, sizeof(why));
		status = ready ? 200 : 503;
		snprintf(text, sizeof(text), "%s: %s\n", ready ? "ready" : "not ready", why);
	} else if (!strcmp(url, "/metrics")) {
		glance_ready(px, why, sizeof(why));     /* glance_up is current, not as /readyz last left it */
		token_cache_stats(px->admit.tokens, &hits, &misses);
		metrics_render(&px->metrics, hits, misses, text, sizeof(text));
	} else {
		status = 404;
		snprintf(text, sizeof(text), "not found: /healthz, /readyz, /metrics\n");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	enum MHD_Result rc = MHD_queue_response(mc, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}
