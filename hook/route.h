/* route: which Glance API call a request is, as Glance itself would route
 * it, so that no spelling of a path reaches Glance undecided.
 *
 * Glance's pipeline is mirrored step by step: eventlet percent-decodes the
 * path (once, latin-1), the version negotiation filter pops the first
 * segment after any run of slashes ("//v2/images" is "/v2/images") and
 * accepts v2 or v2.N, then Routes matches the rest exactly. Spellings the
 * model cannot be sure of (empty or dot segments, case variants, trailing
 * slashes, absolute-form targets, media-type versioning) are refused for
 * the methods that change images. Pure: no I/O. */
#ifndef SCS_ROUTE_H
#define SCS_ROUTE_H

#include <stddef.h>

enum route_kind {
	ROUTE_PASS,         /* not decided: streamed through untouched */
	ROUTE_CREATE,       /* POST /v2/images */
	ROUTE_PATCH,        /* PATCH /v2/images/{id} */
	ROUTE_UPLOAD,       /* PUT /v2/images/{id}/file */
	ROUTE_STAGE,        /* PUT /v2/images/{id}/stage */
	ROUTE_IMPORT,       /* POST /v2/images/{id}/import */
	ROUTE_REFUSE,       /* a spelling we will not guess about: 400 */
};

#define ROUTE_ID_MAX 64

struct route {
	enum route_kind kind;
	char image_id[ROUTE_ID_MAX + 1];
	const char *why;    /* ROUTE_REFUSE: the reason, for the client */
	int status;         /* ROUTE_REFUSE: 400, 404 or 405 */
};

/* method and target exactly as received; accept is the Accept header or NULL. */
void route_classify(const char *method, const char *target, const char *accept, struct route *out);

const char *route_name(enum route_kind k);
/* Does this route carry a JSON body the proxy must read before deciding? */
int route_buffers_body(enum route_kind k);

#endif
