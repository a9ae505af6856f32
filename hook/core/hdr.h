/* hdr: a request's header fields, checked before anything else and
 * reduced to the few Glance reads. Every field is checked (RFC 9110
 * token names without '_', which eventlet reads as '-'; values without
 * CR, LF, NUL or other controls); the fields on the allowlist are kept,
 * at most once each, in canonical spelling, and only they are sent to
 * Glance. Framing is the proxy's own: Content-Length or chunked, never
 * both, and no body where Glance's method takes none. A forwarding field
 * a chain of fronts may have repeated keeps its last line (the one the
 * nearest front wrote). Pure: no I/O. */
#ifndef SCS_HDR_H
#define SCS_HDR_H

#include <stddef.h>

enum hdr_id {
	HDR_HOST,
	HDR_CONTENT_TYPE,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_ACCEPT,
	HDR_ACCEPT_ENCODING,
	HDR_RANGE,
	HDR_CONTENT_RANGE,
	HDR_AUTH_TOKEN,
	HDR_SERVICE_TOKEN,
	HDR_REQUEST_ID,
	HDR_IMAGE_META_STORE,
	HDR_CACHE_CLEAR_TARGET,
	HDR_ORIGIN,
	HDR_ACR_METHOD,
	HDR_ACR_HEADERS,
	HDR_USER_AGENT,
	/* the forwarding fields: sent on only from a trusted front (forward.c) */
	HDR_X_FORWARDED_FOR,
	HDR_X_FORWARDED_PROTO,
	HDR_X_FORWARDED_HOST,
	HDR_X_FORWARDED_PREFIX,
	HDR_FORWARDED,
	HDR_COUNT
};

struct hdr_set {
	const char *v[HDR_COUNT];   /* each kept field's value, trimmed; NULL when absent */
	size_t len[HDR_COUNT];
	long long content_length;   /* -1 when absent */
	int chunked;
	int status;                 /* 0, or the refusal's status (400, 415) ... */
	char why[256];              /* ... and its reason */
};

void hdr_init(struct hdr_set *s);
/* One field as received (value not NUL-terminated: its length counts);
 * the set keeps pointers into it. 0, or -1 with status and why set. */
int hdr_add(struct hdr_set *s, const char *name, size_t nlen, const char *value, size_t vlen);
/* After the last field: the checks across fields. 0 or -1. */
int hdr_finish(struct hdr_set *s, const char *method);
/* Whether the request carries a body (framed by the fields above). */
int hdr_has_body(const struct hdr_set *s);
/* The canonical name of a kept field, e.g. "X-Auth-Token". */
const char *hdr_name(enum hdr_id id);
/* Whether id is a forwarding field (X-Forwarded-*, Forwarded). */
int hdr_forwarding(enum hdr_id id);

#endif
