/* upstream: one streamed exchange with Glance, driven from the client's
 * connection thread through libcurl's multi interface. The request body
 * is pushed as it arrives and the answer pulled as the client reads it;
 * each side pauses the other, so memory stays bounded (a few hundred KiB)
 * whatever the size of an upload or download. */
#ifndef SCS_UPSTREAM_H
#define SCS_UPSTREAM_H

#include <stddef.h>
#include <sys/types.h>

struct http_client;

enum body_mode {
	BODY_NONE,              /* no request body */
	BODY_FIXED,             /* a buffered body, sent as one */
	BODY_STREAM,            /* pushed with upstream_push as it arrives */
};

struct upstream_req {
	const char *method;
	const char *url;
	const char *const *headers;     /* "Name: value" lines, NULL-terminated */
	enum body_mode body_mode;
	const char *body;               /* BODY_FIXED */
	size_t body_len;
	long long stream_len;           /* BODY_STREAM: Content-Length, or -1 (chunked) */
	long connect_timeout_ms;
	long idle_timeout_ms;           /* no progress from Glance this long: timeout */
	const struct http_client *tls;  /* TLS verification and CA bundle, as for every call */
};

struct upstream;

struct upstream *upstream_new(void);
void upstream_free(struct upstream *u);

/* Begin an exchange; the connection to Glance is reused when it can be. */
int upstream_start(struct upstream *u, const struct upstream_req *r);
/* A streamed body: send the request head now, before any body byte, so
 * Glance starts the upload (and loads the image it writes back at its
 * end) right after the decision, not when the client chooses to send its
 * first byte. 0, or -1 when Glance cannot be reached. */
int upstream_open(struct upstream *u);
/* Hand over body bytes: 0 when Glance took them, 1 when Glance answered
 * before the body ended (queue that answer), -1 on failure (also when the
 * bytes would go past the stream_len declared to Glance). */
int upstream_push(struct upstream *u, const char *data, size_t len);
/* The body is complete; wait for the answer's status and headers.
 * 0, or -1 with the reason in upstream_error (Glance unreachable...). */
int upstream_wait_answer(struct upstream *u);
long upstream_status(const struct upstream *u);
/* The answer's headers for the client: hop-by-hop headers and
 * Content-Length removed; NULL-terminated "Name: value" lines. */
const char *const *upstream_headers(const struct upstream *u);
/* Content-Length of the answer, or -1 when not given. */
long long upstream_length(const struct upstream *u);
/* Body bytes into buf: > 0 bytes, 0 at the end, -1 when the transfer broke. */
ssize_t upstream_read(struct upstream *u, char *buf, size_t max);
/* The whole answer into a malloc'd *buf (a small JSON answer, read to
 * decide on it): 0, 1 when it is larger than max, -1 when it broke. */
int upstream_read_all(struct upstream *u, size_t max, char **buf, size_t *len);
/* End the exchange; an unfinished transfer is aborted (the connection dropped). */
void upstream_finish(struct upstream *u);

/* Shutting down: every transfer still running ends now, as failed. */
void upstream_shutdown(void);

/* Why it failed, and whether it was a timeout (504) rather than no answer (502). */
const char *upstream_error(const struct upstream *u);
int upstream_timed_out(const struct upstream *u);

#endif
