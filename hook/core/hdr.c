/* hdr: header hygiene and the allowlist, see hdr.h. */
#include "core/hdr.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The fields Glance 25.1 reads (webob, glance.api, oslo cors for
 * Horizon's preflights), with the Host its version documents link to,
 * the fields oslo's http_proxy_to_wsgi reads behind a load balancer, and
 * the User-Agent its log names. */
static const char *const names[HDR_COUNT] = {
	[HDR_HOST] = "Host",
	[HDR_CONTENT_TYPE] = "Content-Type",
	[HDR_CONTENT_LENGTH] = "Content-Length",
	[HDR_TRANSFER_ENCODING] = "Transfer-Encoding",
	[HDR_ACCEPT] = "Accept",
	[HDR_ACCEPT_ENCODING] = "Accept-Encoding",
	[HDR_RANGE] = "Range",
	[HDR_CONTENT_RANGE] = "Content-Range",
	[HDR_AUTH_TOKEN] = "X-Auth-Token",
	[HDR_SERVICE_TOKEN] = "X-Service-Token",
	[HDR_REQUEST_ID] = "X-OpenStack-Request-ID",
	[HDR_IMAGE_META_STORE] = "x-image-meta-store",
	[HDR_CACHE_CLEAR_TARGET] = "x-image-cache-clear-target",
	[HDR_ORIGIN] = "Origin",
	[HDR_ACR_METHOD] = "Access-Control-Request-Method",
	[HDR_ACR_HEADERS] = "Access-Control-Request-Headers",
	[HDR_USER_AGENT] = "User-Agent",
	[HDR_X_FORWARDED_FOR] = "X-Forwarded-For",
	[HDR_X_FORWARDED_PROTO] = "X-Forwarded-Proto",
	[HDR_X_FORWARDED_HOST] = "X-Forwarded-Host",
	[HDR_X_FORWARDED_PREFIX] = "X-Forwarded-Prefix",
	[HDR_FORWARDED] = "Forwarded",
};

const char *hdr_name(enum hdr_id id)
{
	return names[id];
}

int hdr_forwarding(enum hdr_id id)
{
	return id >= HDR_X_FORWARDED_FOR && id <= HDR_FORWARDED;
}

void hdr_init(struct hdr_set *s)
{
	memset(s, 0, sizeof(*s));
	s->content_length = -1;
}

static int fail(struct hdr_set *s, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct hdr_set *s, int status, const char *fmt, ...)
{
	va_list ap;
	s->status = status;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* RFC 9110 tchar, without '_': eventlet's WSGI environ spells '-' as '_',
 * so "Transfer_Encoding" would be Transfer-Encoding to Glance. */
static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^`|~", c));
}

static int all(const char *s, size_t n, int (*ok)(unsigned char))
{
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Visible ASCII and spaces; no CR, LF, NUL or other controls (a bare CR
 * ends a field in Python's parser but not in libmicrohttpd's). */
static int value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) || (c && strchr("-.:[]", c));
}

static int token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static int known(const char *name, size_t n)
{
	for (int i = 0; i < HDR_COUNT; i++)
		if (strlen(names[i]) == n && !strncasecmp(name, names[i], n))
			return i;
	return -1;
}

static int is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(v, word, n);
}

static int contains(const char *v, size_t n, const char *word)
{
	size_t k = strlen(word);
	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, word, k))
			return 1;
	return 0;
}

/* The checks of one kept field's value. */
static int check_value(struct hdr_set *s, int id, const char *v, size_t n)
{
	switch (id) {
	case HDR_CONTENT_LENGTH:
		if (!n || n > 18 || !all(v, n, digit))
			return fail(s, 400, "Content-Length must be a decimal number");
		s->content_length = 0;
		for (size_t i = 0; i < n; i++)
			s->content_length = s->content_length * 10 + (v[i] - '0');
		return 0;
	case HDR_TRANSFER_ENCODING:
		if (!is(v, n, "chunked"))
			return fail(s, 400, "Transfer-Encoding must be \"chunked\" alone");
		s->chunked = 1;
		return 0;
	case HDR_HOST:
	case HDR_X_FORWARDED_HOST:
		return n && all(v, n, host_char) ? 0 : fail(s, 400, "%s is not a host name or address", names[id]);
	case HDR_X_FORWARDED_PROTO:
		/* Glance builds its links' scheme from it */
		return is(v, n, "http") || is(v, n, "https") ? 0 : fail(s, 400, "X-Forwarded-Proto must be http or https");
	case HDR_AUTH_TOKEN:
	case HDR_SERVICE_TOKEN:
		return all(v, n, token_char) ? 0 : fail(s, 400, "%s is not a token", names[id]);
	case HDR_CONTENT_TYPE:
		/* Routes reads _method from a form body as the method */
		if (contains(v, n, "form-urlencoded") || contains(v, n, "multipart/"))
			return fail(s, 415, "form bodies are not accepted: Glance's router reads a method from them");
		return 0;
	case HDR_ACCEPT:
		/* Glance's version filter takes the version from such an Accept
		 * before the path: the version is the path's, here */
		if (contains(v, n, "vnd.openstack.images"))
			return fail(s, 400, "media-type API versioning is not accepted through the proxy; "
				    "put the version in the path (/v2/...)");
		return 0;
	default:
		return 0;
	}
}

int hdr_add(struct hdr_set *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (!nlen || !all(name, nlen, name_char))
		return fail(s, 400, "a header name has characters outside RFC 9110 tokens, or '_'");
	if (!all(value, vlen, value_char))
		return fail(s, 400, "the value of %.*s has a CR, LF, NUL or other control character",
			    (int)(nlen > 64 ? 64 : nlen), name);
	while (vlen && (*value == ' ' || *value == '\t'))
		value++, vlen--;
	while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	if (is(name, nlen, "Content-Encoding") && !is(value, vlen, "identity"))
		return fail(s, 415, "Glance takes no Content-Encoding of request bodies");
	int id = known(name, nlen);
	if (id < 0)
		return 0;               /* checked, and not sent: Glance does not read it */
	if (s->v[id] && !hdr_forwarding((enum hdr_id)id))
		return fail(s, 400, "%s is sent more than once", names[id]);
	s->v[id] = value;
	s->len[id] = vlen;
	return check_value(s, id, value, vlen);
}

int hdr_has_body(const struct hdr_set *s)
{
	return s->chunked || s->content_length > 0;
}

int hdr_finish(struct hdr_set *s, const char *method)
{
	static const char *const bodiless[] = { "GET", "HEAD", "DELETE", "OPTIONS" };

	if (s->v[HDR_CONTENT_LENGTH] && s->chunked)
		return fail(s, 400, "Content-Length and Transfer-Encoding together: the framing is ambiguous");
	for (size_t i = 0; i < ARRAY_SIZE(bodiless); i++)
		if (!strcmp(method, bodiless[i]) && hdr_has_body(s))
			return fail(s, 400, "a %s request carries no body", method);
	if (s->v[HDR_ACCEPT] && !s->len[HDR_ACCEPT])
		s->v[HDR_ACCEPT] = NULL;        /* an empty Accept says nothing: as if absent */
	return 0;
}
