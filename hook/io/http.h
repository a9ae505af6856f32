/* http: the one libcurl wrapper. Timeouts, TLS verification on by default,
 * x-openstack-request-id sent and read back, bounded response bodies. */
#ifndef SCS_HTTP_H
#define SCS_HTTP_H

#include <stddef.h>

struct http_client {
	void *curl;                 /* CURL *, reused so connections are kept alive */
	long timeout_ms, connect_timeout_ms;   /* timeout_ms 0: none (then set idle_ms) */
	long idle_ms;               /* abort a transfer that moves no byte this long; 0: not set */
	int verify;                 /* TLS peer and host verification */
	const char *cacert;         /* CA bundle, or NULL for the system's */
	size_t max_body;
	long max_redirects;         /* redirects followed, never from https to http; 0: none (the default) */
};

struct http_req {
	const char *method;         /* GET when NULL */
	const char *url;
	const char *token;          /* X-Auth-Token */
	const char *subject_token;  /* X-Subject-Token (Keystone token validation) */
	const char *content_type;
	const char *body;
	size_t body_len;
	const char *request_id;     /* x-openstack-request-id to send, or NULL */
	/* When set, the body of a 2xx answer goes to sink as it arrives and
	 * nothing of it is kept; sink returning < 0 aborts the transfer (then
	 * http_do fails; the sink says why). Other answers are kept as usual. */
	int (*sink)(const char *data, size_t len, void *ctx);
	void *sink_ctx;
};

struct http_resp {
	long status;
	char *body;                 /* NUL-terminated */
	size_t len;
	char subject_token[1024];   /* X-Subject-Token of the answer */
	char request_id[128];       /* x-openstack-request-id of the answer */
	char url[1024];             /* where the answer came from after redirects; for a 3xx not followed,
				     * where it points */
};

int http_init(struct http_client *c, int verify, const char *cacert, char *err, size_t errlen);
/* 0 with any HTTP status in out->status, or -1 when there was no answer
 * (refused, timed out, TLS failure...) with the reason and URL in err. */
int http_do(struct http_client *c, const struct http_req *r, struct http_resp *out, char *err, size_t errlen);
void http_resp_free(struct http_resp *r);
void http_cleanup(struct http_client *c);
/* c's TLS settings (verification, CA bundle, protocols) on a CURL handle
 * of another transfer, so every call to a service is secured alike. */
void http_tls(void *curl, const struct http_client *c);

/* The first message an OpenStack error body carries, or the body itself. */
void http_error_text(const struct http_resp *r, char *out, size_t len);

#endif
