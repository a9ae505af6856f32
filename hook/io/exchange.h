/* exchange: one client request through the proxy, from its first line to
 * the last byte of its answer. Internal to the proxy: proxy.c (the
 * server) owns the connections and hands each request to exchange.c,
 * which decides and forwards it and answers through reply.c. The structs
 * live here because all three read them; cmd_proxy.c sees only proxy.h. */
#ifndef SCS_EXCHANGE_H
#define SCS_EXCHANGE_H

#include <microhttpd.h>
#include <stddef.h>

#include "io/admit.h"
#include "io/proxy.h"
#include "core/hdr.h"
#include "core/route.h"
#include "core/tail.h"
#include "io/upstream.h"

/* What one client connection owns: its decisions' state (admit.h) and its
 * exchange with Glance, so the data path takes no lock. */
struct conn {
	struct admit_conn a;
	struct upstream *up;                /* the streamed exchange */
};

/* BODY_DRAIN: an answer is decided but the client is still sending; the
 * rest of the body is read and dropped, and the answer queued at its end
 * (libmicrohttpd 0.9.75 cannot answer in the middle of an upload). */
enum body_state { BODY_IGNORED, BODY_BUFFER, BODY_FORWARD, BODY_DRAIN };

/* One request, from its first line to the last byte of its answer. */
struct exchange {
	struct proxy *px;
	struct conn *c;
	char *target;               /* the request target exactly as received */
	struct hdr_set hdrs;        /* its header fields, checked */
	char *token, *content_type; /* the kept fields the proxy reads itself, as strings */
	struct route route;         /* its route, and the canonical path and query sent */
	char request_id[64];
	int trusted;                /* the peer is a trusted front: its forwarding fields are kept */
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

/* A request whose target is uri has arrived on px; NULL when out of memory. */
struct exchange *exchange_new(struct proxy *px, const char *uri);
/* Its headers are in: check them, find its route, decide what can be
 * decided now and start the request to Glance. c is the connection it
 * came on (NULL: refuse it). */
enum MHD_Result exchange_begin(struct exchange *ex, struct conn *c, struct MHD_Connection *mc, const char *method);
/* The next n bytes of its body. */
enum MHD_Result exchange_body(struct exchange *ex, const char *data, size_t n);
/* Its body has ended: decide what waited for it, and answer. */
enum MHD_Result exchange_finish(struct exchange *ex, struct MHD_Connection *mc, const char *method);
/* The request is over, answered or not: an unfinished upload is aborted. */
void exchange_free(struct exchange *ex);

#endif
