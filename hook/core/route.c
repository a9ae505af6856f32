/* route: the closed grammar of Glance v2, see route.h. */
#include "core/route.h"
#include "core/jsonw.h"
#include "core/util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define MAX_SEGS 8

/* A table entry: a method (HEAD and OPTIONS are derived, below), the path
 * as segments after "/v2" ("" is "/v2" itself, which Glance does not
 * serve; root entries start with '/'), and what the proxy does there.
 * {image} is an image id; {x} any one segment, re-encoded. */
struct route_entry {
	const char *method;
	const char *pattern;
	enum route_kind kind;
	int status;             /* ROUTE_REFUSE */
	const char *why;
};

#define READ(p) { "GET", p, ROUTE_PASS, 0, NULL }
#define PASS(m, p) { m, p, ROUTE_PASS, 0, NULL }
/* A metadefs collection of a namespace and its items, as Glance's router
 * declares properties and objects alike. */
#define NS "/metadefs/namespaces/{x}/"
#define METADEF_ITEMS(c) \
	READ(NS c), PASS("POST", NS c), PASS("DELETE", NS c), \
	READ(NS c "/{x}"), PASS("PUT", NS c "/{x}"), PASS("DELETE", NS c "/{x}")

/* Every route of glance/api/v2/router.py (Glance 25.1), plus the version
 * documents. Decided: every route that can create an image or change its
 * name, visibility, os_hidden, properties, data or status towards
 * "usable". Passed: reads; deletes (they cannot leave a violating image
 * behind); tags, and a member's own answer or removal (no policy reads
 * them, and a pending member can already use the image); metadefs, caches and stores (no image
 * property changes there: delete_from_store removes one copy of the data,
 * Glance refuses to remove the last). Reactivate is decided on the image
 * as it is, because it puts an image back into use. Deactivate changes a
 * status too, so it is decided and logged like every such change, but
 * always allowed: taking a violating image's data out of use is what an
 * operator may want most. Adding a member is decided: a member can use a
 * shared image by its id at once, so it can make an image present.
 * Locations are changed through PATCH, which is decided. */
static const struct route_entry table[] = {
	READ("/"),
	READ("/versions"),
	READ("/healthcheck"),   /* oslo's healthcheck middleware, before Glance's auth */
	READ("/schemas/image"), READ("/schemas/images"), READ("/schemas/member"), READ("/schemas/members"),
	READ("/schemas/task"), READ("/schemas/tasks"),
	READ("/schemas/metadefs/namespace"), READ("/schemas/metadefs/namespaces"),
	READ("/schemas/metadefs/resource_type"), READ("/schemas/metadefs/resource_types"),
	READ("/schemas/metadefs/property"), READ("/schemas/metadefs/properties"),
	READ("/schemas/metadefs/object"), READ("/schemas/metadefs/objects"),
	READ("/schemas/metadefs/tag"), READ("/schemas/metadefs/tags"),

	READ("/metadefs/resource_types"),
	READ("/metadefs/namespaces/{x}/resource_types"),
	PASS("POST", "/metadefs/namespaces/{x}/resource_types"),
	PASS("DELETE", "/metadefs/namespaces/{x}/resource_types/{x}"),
	READ("/metadefs/namespaces"), PASS("POST", "/metadefs/namespaces"),
	READ("/metadefs/namespaces/{x}"), PASS("PUT", "/metadefs/namespaces/{x}"),
	PASS("DELETE", "/metadefs/namespaces/{x}"),
	METADEF_ITEMS("properties"),
	METADEF_ITEMS("objects"),
	READ("/metadefs/namespaces/{x}/tags"), PASS("POST", "/metadefs/namespaces/{x}/tags"),
	PASS("DELETE", "/metadefs/namespaces/{x}/tags"),
	READ("/metadefs/namespaces/{x}/tags/{x}"), PASS("POST", "/metadefs/namespaces/{x}/tags/{x}"),
	PASS("PUT", "/metadefs/namespaces/{x}/tags/{x}"), PASS("DELETE", "/metadefs/namespaces/{x}/tags/{x}"),

	READ("/images"),
	{ "POST", "/images", ROUTE_CREATE, 0, NULL },
	READ("/images/{image}"),
	{ "PATCH", "/images/{image}", ROUTE_PATCH, 0, NULL },
	PASS("DELETE", "/images/{image}"),
	READ("/images/{image}/tasks"),
	{ "POST", "/images/{image}/import", ROUTE_IMPORT, 0, NULL },
	PASS("DELETE", "/stores/{x}/{image}"),
	{ "POST", "/images/{image}/actions/deactivate", ROUTE_DEACTIVATE, 0, NULL },
	{ "POST", "/images/{image}/actions/reactivate", ROUTE_REACTIVATE, 0, NULL },
	READ("/images/{image}/file"),
	{ "PUT", "/images/{image}/file", ROUTE_UPLOAD, 0, NULL },
	{ "PUT", "/images/{image}/stage", ROUTE_STAGE, 0, NULL },
	PASS("PUT", "/images/{image}/tags/{x}"), PASS("DELETE", "/images/{image}/tags/{x}"),
	READ("/images/{image}/members"), { "POST", "/images/{image}/members", ROUTE_MEMBERS, 0, NULL },
	READ("/images/{image}/members/{x}"), PASS("PUT", "/images/{image}/members/{x}"),
	PASS("DELETE", "/images/{image}/members/{x}"),

	/* A legacy import task creates an image from properties the proxy
	 * never sees as an image; interoperable import is the decided way. */
	{ "POST", "/tasks", ROUTE_REFUSE, 403, "the legacy tasks API is not admitted through the proxy; "
	  "use interoperable image import (POST /v2/images/{id}/import)" },
	READ("/tasks"), READ("/tasks/{x}"), PASS("DELETE", "/tasks/{x}"),

	READ("/info/import"), READ("/info/stores"), READ("/info/usage"), READ("/info/stores/detail"),
	READ("/cache"), PASS("DELETE", "/cache"), PASS("DELETE", "/cache/{image}"), PASS("PUT", "/cache/{image}"),
};

const char *route_name(enum route_kind k)
{
	static const char *const names[] = { "pass", "create", "patch", "upload", "stage", "import", "reactivate",
					     "deactivate", "members", "refuse" };
	return names[k];
}

int route_buffers_body(enum route_kind k)
{
	return k == ROUTE_CREATE || k == ROUTE_PATCH || k == ROUTE_IMPORT || k == ROUTE_MEMBERS;
}

/* RFC 3986 pchar plus '/' and '?' (path and query), '%' checked apart. */
static int target_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?%", c));
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The target's bytes: origin form, no fragment, valid percent-escapes. */
static const char *bad_target(const char *t)
{
	if (t[0] != '/')
		return "the request target must be a path (origin form: no absolute URL, authority or '*')";
	for (const char *p = t; *p; p++) {
		if (*p == '#')
			return "the request target must not carry a fragment ('#')";
		if (!target_char((unsigned char)*p))
			return "the request target has characters that must be percent-encoded";
		if (*p == '%' && !(is_hex(p[1]) && is_hex(p[2])))
			return "the request target has a '%' that is not a percent-escape";
	}
	return NULL;
}

struct segs {
	const char *s[MAX_SEGS];
	size_t n[MAX_SEGS];
	size_t count;
};

/* Split "/a/b" (the path without its query); "/" has no segments. Empty
 * segments (a trailing slash, "//") are refused: Glance's version filter
 * and router read them in ways the proxy will not guess about. */
static const char *split(const char *p, size_t len, struct segs *sg)
{
	memset(sg, 0, sizeof(*sg));
	if (len == 1)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t start = ++i;
		while (i < len && p[i] != '/')
			i++;
		if (i == start)
			return "the path has an empty segment (\"//\" or a trailing slash)";
		if (sg->count == MAX_SEGS)
			return "the path has more segments than any Glance route";
		sg->s[sg->count] = p + start;
		sg->n[sg->count++] = i - start;
	}
	return NULL;
}

/* The next segment of a pattern, advancing *pat; 0 at its end. */
static size_t next_word(const char **pat, const char **word)
{
	if (**pat != '/')
		return 0;
	*word = ++*pat;
	while (**pat && **pat != '/')
		(*pat)++;
	return (size_t)(*pat - *word);
}

/* The patterns that lie at the root, not under /v2. */
static int at_root(const char *pattern)
{
	return !strcmp(pattern, "/") || !strcmp(pattern, "/versions") || !strcmp(pattern, "/healthcheck");
}

/* Does the path match the pattern (root patterns, or "/v2" + pattern)?
 * Literal words must be spelled exactly: Glance's router matches them
 * after percent-decoding, so an encoded word is a spelling we refuse. */
static int path_matches(const struct route_entry *e, const struct segs *sg)
{
	const char *pat = e->pattern, *word;
	size_t i = 0, wn;
	int root = at_root(e->pattern);

	if (!root && (sg->count == 0 || sg->n[0] != 2 || memcmp(sg->s[0], "v2", 2)))
		return 0;
	if (!root)
		i = 1;
	while ((wn = next_word(&pat, &word)) > 0) {
		if (i == sg->count)
			return 0;
		if (word[0] != '{' && (wn != sg->n[i] || memcmp(word, sg->s[i], wn)))
			return 0;
		i++;
	}
	return i == sg->count;
}

static int has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Append s (n bytes) percent-encoded (all but RFC 3986 unreserved). */
static int append_escaped(char *out, size_t *o, size_t max, const char *s, size_t n)
{
	if (!n)
		return 0;           /* curl reads a length of 0 as "up to the NUL" */
	char *e = curl_easy_escape(NULL, s, (int)n);
	if (!e)
		return -1;
	size_t k = strlen(e);
	int rc = *o + k <= max ? 0 : -1;
	if (rc == 0) {
		memcpy(out + *o, e, k);
		*o += k;
		out[*o] = '\0';
	}
	curl_free(e);
	return rc;
}

static int append(char *out, size_t *o, size_t max, const char *s, size_t n)
{
	if (*o + n > max)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/* Image ids are UUIDs; anything else could not name an image anyway. */
static int valid_id(const char *s, size_t n)
{
	if (n == 0 || n > ROUTE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* One variable segment, decoded once (as eventlet does) and checked, into
 * the canonical path. */
static const char *variable(struct route *r, const char *word, const char *seg, size_t n, size_t *o)
{
	int len;
	char *d = curl_easy_unescape(NULL, seg, (int)n, &len);
	const char *why = NULL;

	if (!d)
		return "out of memory";
	if (len == 0 || memchr(d, '/', (size_t)len) || has_control(d, (size_t)len) || !strcmp(d, ".") ||
	    !strcmp(d, ".."))
		why = "a path segment decodes to something that is not one segment";
	else if (!strncmp(word, "{image}", 7) && !valid_id(d, (size_t)len))
		why = "no image has that id";
	else if (append_escaped(r->path, o, ROUTE_PATH_MAX, d, (size_t)len) < 0)
		why = "the request path is too long";
	if (!why && !strncmp(word, "{image}", 7))
		memcpy(r->image_id, d, (size_t)len + 1);
	curl_free(d);
	return why;
}

/* The canonical path of a matched entry: fixed words as they are, each
 * variable decoded once and re-encoded. */
static const char *canonical_path(struct route *r, const struct route_entry *e, const struct segs *sg)
{
	const char *pat = e->pattern, *word, *why;
	size_t o = 0, i = 0, wn;

	if (!at_root(e->pattern)) {
		append(r->path, &o, ROUTE_PATH_MAX, "/v2", 3);
		i = 1;
	}
	while ((wn = next_word(&pat, &word)) > 0) {
		append(r->path, &o, ROUTE_PATH_MAX, "/", 1);
		if (word[0] != '{')
			append(r->path, &o, ROUTE_PATH_MAX, word, wn);
		else if ((why = variable(r, word, sg->s[i], sg->n[i], &o)))
			return why;
		i++;
	}
	if (!o)
		append(r->path, &o, ROUTE_PATH_MAX, "/", 1);
	return NULL;
}

/* One query key or value as webob reads it: '+' is a space, then every
 * %XX decoded; it must be UTF-8 without control characters. Re-encoded. */
static const char *query_part(struct route *r, const char *s, size_t n, size_t *o, int key)
{
	char plus[ROUTE_QUERY_MAX + 1];
	int len;
	const char *why = NULL;

	if (!n)
		return key ? "the query has a parameter without a name" : NULL;
	memcpy(plus, s, n);
	for (size_t i = 0; i < n; i++)
		if (plus[i] == '+')
			plus[i] = ' ';
	char *d = curl_easy_unescape(NULL, plus, (int)n, &len);
	if (!d)
		return "out of memory";
	if (has_control(d, (size_t)len) || !jw_utf8_valid(d, (size_t)len))
		why = "the query has a parameter that is not UTF-8 text";
	else if (key && d[0] == '_')
		why = "the query carries routing input Glance's router reads (_method or another '_' parameter)";
	else if (append_escaped(r->query, o, ROUTE_QUERY_MAX, d, (size_t)len) < 0)
		why = "the request query is too long";
	curl_free(d);
	return why;
}

/* The query, parsed as webob parses it (pairs split on '&', the key up to
 * the first '=', blank values kept) and re-encoded from those pairs. */
static const char *canonical_query(struct route *r, const char *q, size_t n)
{
	size_t o = 0;
	const char *why;

	if (n > ROUTE_QUERY_MAX)
		return "the request query is too long";
	for (size_t i = 0; i < n;) {
		size_t end = i;
		while (end < n && q[end] != '&')
			end++;
		if (end > i) {
			const char *eq = memchr(q + i, '=', end - i);
			size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
			if (o && append(r->query, &o, ROUTE_QUERY_MAX, "&", 1) < 0)
				return "the request query is too long";
			if ((why = query_part(r, q + i, klen, &o, 1)))
				return why;
			if (append(r->query, &o, ROUTE_QUERY_MAX, "=", 1) < 0)
				return "the request query is too long";
			if (eq && (why = query_part(r, eq + 1, (size_t)(q + end - eq - 1), &o, 0)))
				return why;
		}
		i = end + 1;
	}
	return NULL;
}

/* HEAD is served where GET is; OPTIONS (CORS preflight) on every path. */
static int method_fits(const char *method, const struct route_entry *e)
{
	if (!strcmp(method, e->method))
		return 1;
	if (!strcmp(e->method, "GET") && !strcmp(method, "HEAD"))
		return 1;
	return !strcmp(method, "OPTIONS");
}

static const struct route_entry *lookup(const char *method, const struct segs *sg, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (!path_matches(&table[i], sg))
			continue;
		*path_known = 1;
		if (method_fits(method, &table[i]))
			return &table[i];
	}
	return NULL;
}

/* 0 with r filled in, or the status of a refusal with r->why set. */
static int classify(const char *method, const char *target, struct route *r)
{
	struct segs sg;
	int known;

	if ((r->why = bad_target(target)))
		return 400;
	size_t plen = strcspn(target, "?");
	if (plen > ROUTE_PATH_MAX)
		return r->why = "the request path is too long", 414;
	if ((r->why = split(target, plen, &sg)))
		return 400;
	/* the query first: a _method there says the method is not the one given */
	if (target[plen] && (r->why = canonical_query(r, target + plen + 1, strlen(target + plen + 1))))
		return strstr(r->why, "too long") ? 414 : 400;
	const struct route_entry *e = lookup(method, &sg, &known);
	if (!e && known)
		return r->why = "the method is not allowed on this Glance route", 405;
	if (!e && sg.count && !strchr("vV%", sg.s[0][0]))
		return r->why = "not a Glance v2 route: the path must begin with /v2/", 404;
	if (!e && sg.count && !(sg.n[0] == 2 && !memcmp(sg.s[0], "v2", 2)))
		return r->why = "the API version must be spelled /v2 (no other version or spelling is served)", 404;
	if (!e)
		return r->why = "not a route of the Glance v2 API", 404;
	r->pattern = e->pattern;
	if ((r->why = canonical_path(r, e, &sg)))
		return !strcmp(r->why, "no image has that id") ? 404 : strstr(r->why, "too long") ? 414 : 400;
	/* Preflights and reads change nothing, wherever they are sent. */
	r->kind = strcmp(method, "OPTIONS") && strcmp(method, "HEAD") ? e->kind : ROUTE_PASS;
	r->why = r->kind == ROUTE_REFUSE ? e->why : NULL;
	return r->kind == ROUTE_REFUSE ? e->status : 0;
}

void route_classify(const char *method, const char *target, struct route *r)
{
	memset(r, 0, sizeof(*r));
	int status = classify(method, target, r);
	if (status) {
		r->kind = ROUTE_REFUSE;
		r->status = status;
		r->path[0] = r->query[0] = '\0';
		r->image_id[0] = '\0';
	}
}
