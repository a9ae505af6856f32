/* admin: the proxy's admin listener, GET /healthz and GET /metrics. It
 * listens on an address of its own (`admin_listen`), apart from the image
 * API, for load balancers' health checks and Prometheus; it only shows
 * the counters: none of its requests reaches Glance or is decided. */
#include "io/admin.h"
#include "io/proxy.h"
#include "core/tokens.h"

#include <stdio.h>
#include <string.h>

enum MHD_Result admin_answer(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
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
