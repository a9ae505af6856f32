/* route: the closed grammar of the Glance v2 API the proxy lets through.
 *
 * One table (route.c) lists every method and path Glance's v2 router
 * (glance/api/v2/router.py) serves, with what the proxy does there. A
 * request whose method and target are not in it is refused without
 * contacting Glance. The target is parsed once, strictly (origin form,
 * no fragment, fixed words spelled exactly, the version as "/v2"), and
 * the request sent to Glance is built from that parse: the canonical
 * path and the query re-encoded from its parameters. Pure: no I/O. */
#ifndef SCS_ROUTE_H
#define SCS_ROUTE_H

#include <stddef.h>

enum route_kind {
	ROUTE_PASS,         /* changes no image, or only in ways no policy reads: streamed */
	ROUTE_CREATE,       /* POST /v2/images */
	ROUTE_PATCH,        /* PATCH /v2/images/{id} */
	ROUTE_UPLOAD,       /* PUT /v2/images/{id}/file */
	ROUTE_STAGE,        /* PUT /v2/images/{id}/stage */
	ROUTE_IMPORT,       /* POST /v2/images/{id}/import */
	ROUTE_REACTIVATE,   /* POST /v2/images/{id}/actions/reactivate */
	ROUTE_DEACTIVATE,   /* POST /v2/images/{id}/actions/deactivate: decided, always allowed */
	ROUTE_MEMBERS,      /* POST /v2/images/{id}/members: a member can use a shared image */
	ROUTE_REFUSE,       /* not admitted: status and why say so */
};

#define ROUTE_ID_MAX 64
#define ROUTE_PATH_MAX 2048     /* the canonical path, encoded */
#define ROUTE_QUERY_MAX 8192    /* the canonical query, encoded */

struct route {
	enum route_kind kind;
	char image_id[ROUTE_ID_MAX + 1];
	const char *why;    /* ROUTE_REFUSE: the reason, for the client and the log */
	int status;         /* ROUTE_REFUSE: 400, 403, 404, 405 or 414 */
	const char *pattern;            /* the table's path pattern (for the log) */
	char path[ROUTE_PATH_MAX + 1];  /* what Glance is sent: the canonical path ... */
	char query[ROUTE_QUERY_MAX + 1];/* ... and query, without its '?' ("" when none) */
};

/* method and target exactly as received. */
void route_classify(const char *method, const char *target, struct route *out);

const char *route_name(enum route_kind k);
/* Does this route carry a JSON body the proxy must read before deciding? */
int route_buffers_body(enum route_kind k);

#endif
