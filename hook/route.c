/* route: Glance's routing, mirrored; see route.h. */
#include "route.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ROUTE_PATH_MAX 8192

const char *route_name(enum route_kind k)
{
	static const char *const names[] = { "pass", "create", "patch", "upload", "stage", "import", "refuse" };
	return names[k];
}

int route_buffers_body(enum route_kind k)
{
	return k == ROUTE_CREATE || k == ROUTE_PATCH || k == ROUTE_IMPORT;
}

static void refuse(struct route *r, int status, const char *why)
{
	r->kind = ROUTE_REFUSE;
	r->status = status;
	r->why = why;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* urllib.parse.unquote: every valid %XX once, anything else kept as is. */
static size_t unquote(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
}

/* "v2" or "v2.N": what the version negotiation filter accepts (a superset:
 * deciding a request Glance then refuses costs nothing). */
static int is_version(const char *seg, size_t n)
{
	if (n < 2 || seg[0] != 'v' || seg[1] != '2')
		return 0;
	if (n == 2)
		return 1;
	if (seg[2] != '.' || n == 3)
		return 0;
	for (size_t i = 3; i < n; i++)
		if (seg[i] < '0' || seg[i] > '9')
			return 0;
	return 1;
}

static int seg_is(const char *seg, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(seg, word, n);
}

static int seg_like(const char *seg, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(seg, word, n);
}

/* Image ids are UUIDs; anything else could not name an image anyway. */
static int valid_id(const char *seg, size_t n)
{
	if (n == 0 || n > ROUTE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((seg[i] >= '0' && seg[i] <= '9') || ((seg[i] | 0x20) >= 'a' && (seg[i] | 0x20) <= 'z') ||
		      seg[i] == '-'))
			return 0;
	return 1;
}

struct segs {
	const char *s[8];
	size_t n[8];
	size_t count;
	int odd;            /* empty or dot segment, trailing slash, too many */
};

/* Split "/a/b/c" (after the version) into segments. */
static void split(const char *p, struct segs *sg)
{
	memset(sg, 0, sizeof(*sg));
	if (!*p)
		return;
	if (*p != '/') {
		sg->odd = 1;
		return;
	}
	while (*p == '/') {
		const char *start = ++p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (sg->count == 8 || n == 0 || (n == 1 && start[0] == '.') || (n == 2 && !memcmp(start, "..", 2))) {
			sg->odd = 1;
			return;
		}
		sg->s[sg->count] = start;
		sg->n[sg->count++] = n;
	}
}

/* The image routes we decide, given segments after the version. */
static enum route_kind match(const char *method, const struct segs *sg)
{
	if (sg->count == 0 || !seg_is(sg->s[0], sg->n[0], "images"))
		return ROUTE_PASS;
	if (sg->count == 1)
		return !strcmp(method, "POST") ? ROUTE_CREATE : ROUTE_PASS;
	if (sg->count == 2)
		return !strcmp(method, "PATCH") ? ROUTE_PATCH : ROUTE_PASS;
	if (sg->count != 3)
		return ROUTE_PASS;
	if (!strcmp(method, "PUT") && seg_is(sg->s[2], sg->n[2], "file"))
		return ROUTE_UPLOAD;
	if (!strcmp(method, "PUT") && seg_is(sg->s[2], sg->n[2], "stage"))
		return ROUTE_STAGE;
	if (!strcmp(method, "POST") && seg_is(sg->s[2], sg->n[2], "import"))
		return ROUTE_IMPORT;
	return ROUTE_PASS;
}

/* A fixed word of an image route spelled in another case: Glance would
 * not route it, but a model that guessed wrong would let it through. */
static int looks_like_images(const struct segs *sg)
{
	static const char *const words[] = { "images", "file", "stage", "import", "tasks" };
	for (size_t i = 0; i < sg->count; i++)
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (seg_like(sg->s[i], sg->n[i], words[k]) && !seg_is(sg->s[i], sg->n[i], words[k]))
				return 1;
	return 0;
}

static int mutating(const char *method, struct route *r)
{
	static const char *const verbs[] = { "POST", "PUT", "PATCH", "DELETE" };
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!strcmp(method, verbs[i]))
			return 1;
		if (!strcasecmp(method, verbs[i])) {
			refuse(r, 400, "the method must be spelled in capitals");
			return -1;
		}
	}
	return 0;
}

static int has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

void route_classify(const char *method, const char *target, const char *accept, struct route *r)
{
	char path[ROUTE_PATH_MAX + 1];
	struct segs sg;

	memset(r, 0, sizeof(*r));
	int m = mutating(method, r);
	if (m <= 0)
		return;             /* reads and unknown methods pass; a miscapitalised verb is refused */
	if (target[0] != '/') {
		refuse(r, 400, "the request target must be a path (origin form)");
		return;
	}
	size_t n = strcspn(target, "?");
	if (n > ROUTE_PATH_MAX) {
		refuse(r, 414, "the request path is too long");
		return;
	}
	n = unquote(target, n, path);
	if (has_control(path, n)) {
		refuse(r, 400, "the request path contains control characters");
		return;
	}
	if (accept && strcasestr(accept, "application/vnd.openstack.images-")) {
		refuse(r, 400, "media-type API versioning is not accepted through the proxy; "
		       "put the version in the path (/v2/...)");
		return;
	}
	/* The version filter: skip any run of slashes, pop one segment. */
	const char *p = path;
	while (*p == '/')
		p++;
	size_t vlen = strcspn(p, "/");
	if (!is_version(p, vlen)) {
		if (vlen >= 2 && (p[0] | 0x20) == 'v' && p[1] == '2')
			refuse(r, 400, "the API version in the path is not spelled as Glance spells it");
		return;             /* Glance answers with its version list */
	}
	split(p + vlen, &sg);
	if (sg.odd) {
		refuse(r, 400, "the path has empty or dot segments or a trailing slash; "
		       "send the canonical /v2/... path");
		return;
	}
	if (looks_like_images(&sg)) {
		refuse(r, 400, "the path is not spelled as Glance spells it (case)");
		return;
	}
	/* A legacy import task creates an image from properties we never see
	 * as an image body; interoperable import is the decided way in. */
	if (sg.count == 1 && seg_is(sg.s[0], sg.n[0], "tasks") && !strcmp(method, "POST")) {
		refuse(r, 403, "the legacy tasks API is not admitted through the proxy; "
		       "use interoperable image import (POST /v2/images/{id}/import)");
		return;
	}
	r->kind = match(method, &sg);
	if (r->kind != ROUTE_PASS && r->kind != ROUTE_CREATE) {
		if (!valid_id(sg.s[1], sg.n[1])) {
			refuse(r, 404, "no image has that id");
			return;
		}
		memcpy(r->image_id, sg.s[1], sg.n[1]);
		r->image_id[sg.n[1]] = '\0';
	}
}
