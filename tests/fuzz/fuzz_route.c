/* Fuzz target: the proxy's request parse, the route table (route.c) and
 * the header hygiene (hdr.c). The input is "METHOD\nTARGET\n" followed by
 * header fields, one "name:value" per line (values may hold CR or NUL).
 * Besides not crashing: a refusal has a status and a reason; what is not
 * refused has a canonical path and query that the proxy routes the same
 * way again (parse once, send that parse), and that a simple reading of
 * Glance's router (decode once, version filter, exact Routes match,
 * _method override) sends to the action the proxy decided, never to a
 * mutating image action the proxy passed undecided. Kept header fields
 * are clean and unique, and framing is never ambiguous. */
#include "fuzz.h"
#include "core/hdr.h"
#include "core/route.h"

#include <strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The next '\n'-separated field as its own exactly sized string (so ASan
 * sees any read past it), or NULL when the input has run out. */
static char *frt_field(const uint8_t **data, size_t *size)
{
	if (!*size)
		return NULL;
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = malloc(n + 1);
	FUZZ_CHECK(s, "out of memory");
	memcpy(s, *data, n);
	s[n] = '\0';
	*data += nl ? n + 1 : n;
	*size -= nl ? n + 1 : n;
	return s;
}

static int frt_hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* Routes' override: _method in the query replaces the method. */
static const char *frt_method(const char *method, const char *target, char *buf, size_t len)
{
	const char *q = strchr(target, '?');
	const char *m = q ? strstr(q, "_method=") : NULL;
	if (!m || (m[-1] != '?' && m[-1] != '&'))
		return method;
	size_t n = strcspn(m + 8, "&#");
	n = n < len - 1 ? n : len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((m[8 + i] >= 'a' && m[8 + i] <= 'z') ? m[8 + i] - 32 : m[8 + i]);
	buf[n] = '\0';
	return buf;
}

/* The reference reading: which decided action Glance would run, PASS when none. */
static enum route_kind frt_reference(const char *method0, const char *target)
{
	char path[9000], mbuf[32];
	size_t n = 0;
	const char *method = frt_method(method0, target, mbuf, sizeof(mbuf));

	for (const char *s = target; *s && *s != '?' && *s != '#' && n < sizeof(path) - 1; s++) {
		if (s[0] == '%' && frt_hex(s[1]) >= 0 && frt_hex(s[2]) >= 0) {
			path[n++] = (char)(frt_hex(s[1]) << 4 | frt_hex(s[2]));
			s += 2;
		} else {
			path[n++] = *s;
		}
	}
	path[n] = '\0';
	const char *p = path;
	if (*p != '/')
		return ROUTE_PASS;
	while (*p == '/')
		p++;
	if (strncmp(p, "v2", 2))
		return ROUTE_PASS;
	p += 2;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (strncmp(p, "/images", 7))
		return ROUTE_PASS;
	p += 7;
	if (!*p)
		return !strcmp(method, "POST") ? ROUTE_CREATE : ROUTE_PASS;
	if (*p != '/' || !p[1] || p[1] == '/')
		return ROUTE_PASS;
	const char *id = p + 1, *slash = strchr(id, '/');
	if (!slash)
		return !strcmp(method, "PATCH") ? ROUTE_PATCH : ROUTE_PASS;
	const char *word = slash + 1;
	if (!strcmp(method, "PUT") && !strcmp(word, "file"))
		return ROUTE_UPLOAD;
	if (!strcmp(method, "PUT") && !strcmp(word, "stage"))
		return ROUTE_STAGE;
	if (!strcmp(method, "POST") && !strcmp(word, "import"))
		return ROUTE_IMPORT;
	if (!strcmp(method, "POST") && !strcmp(word, "actions/reactivate"))
		return ROUTE_REACTIVATE;
	if (!strcmp(method, "POST") && !strcmp(word, "actions/deactivate"))
		return ROUTE_DEACTIVATE;
	return ROUTE_PASS;
}

static void frt_route(const char *method, const char *target)
{
	struct route r, c;
	char again[ROUTE_PATH_MAX + ROUTE_QUERY_MAX + 2];

	route_classify(method, target, &r);
	FUZZ_CHECK(r.kind <= ROUTE_REFUSE && route_name(r.kind), "route kind %d out of range", (int)r.kind);
	if (r.kind == ROUTE_REFUSE) {
		FUZZ_CHECK(r.why && r.why[0], "refused without a reason");
		FUZZ_CHECK(r.status == 400 || r.status == 403 || r.status == 404 || r.status == 405 || r.status == 414,
			   "refused with status %d", r.status);
		FUZZ_CHECK(!r.path[0], "a refusal with a path to send");
		return;
	}
	FUZZ_CHECK(r.path[0] == '/' && strspn(r.path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789-._~%/") == strlen(r.path), "path not canonical: %s", r.path);
	FUZZ_CHECK(strspn(r.query, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%&=") ==
		   strlen(r.query), "query not canonical: %s", r.query);
	FUZZ_CHECK(!strchr(target, '#') && target[0] == '/', "%s passed", target);
	int mutating = strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
	FUZZ_CHECK(mutating || r.kind == ROUTE_PASS, "a %s request was decided", method);
	/* what is sent is routed the same way again, to the same text */
	snprintf(again, sizeof(again), "%s%s%s", r.path, r.query[0] ? "?" : "", r.query);
	route_classify(method, again, &c);
	FUZZ_CHECK(c.kind == r.kind && !strcmp(c.image_id, r.image_id) && !strcmp(c.path, r.path) &&
		   !strcmp(c.query, r.query), "%s %s is %s but what is sent, %s, is %s", method, target,
		   route_name(r.kind), again, route_name(c.kind));
	/* Glance runs on what is sent exactly the action that was decided */
	enum route_kind want = frt_reference(method, again);
	FUZZ_CHECK(want == r.kind || (want == ROUTE_PASS && !mutating),
		   "%s %s: Glance runs %s, the proxy decided %s", method, again, route_name(want), route_name(r.kind));
	FUZZ_CHECK(r.kind == ROUTE_PASS || (r.image_id[0] != 0) == (r.kind != ROUTE_CREATE), "image id of %s",
		   route_name(r.kind));
}

static void frt_headers(const char *method, const uint8_t *data, size_t size)
{
	struct hdr_set s;
	int ok = 1;
	/* one exact copy: the set keeps pointers into it */
	char *copy = malloc(size ? size : 1);

	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, data, size);
	hdr_init(&s);
	for (size_t at = 0; ok && at < size;) {
		char *line = copy + at, *nl = memchr(line, '\n', size - at);
		size_t len = nl ? (size_t)(nl - line) : size - at;
		char *colon = memchr(line, ':', len);
		if (colon)
			ok = hdr_add(&s, line, (size_t)(colon - line), colon + 1, len - (size_t)(colon - line) - 1) == 0;
		at += len + 1;
	}
	if (ok)
		ok = hdr_finish(&s, method) == 0;
	if (!ok) {
		FUZZ_CHECK(s.status >= 400 && s.why[0], "refused with %d and no reason", s.status);
		free(copy);
		return;
	}
	for (int i = 0; i < HDR_COUNT; i++)
		for (size_t k = 0; s.v[i] && k < s.len[i]; k++)
			FUZZ_CHECK(s.v[i][k] != '\r' && s.v[i][k] != '\n' && s.v[i][k] != '\0', "%s kept a control",
				   hdr_name((enum hdr_id)i));
	FUZZ_CHECK(!(s.chunked && s.v[HDR_CONTENT_LENGTH]), "Content-Length and chunked both kept");
	FUZZ_CHECK(!hdr_has_body(&s) || (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "DELETE")),
		   "a body on %s", method);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = frt_field(&data, &size);
	char *target = frt_field(&data, &size);

	if (method && target) {
		frt_route(method, target);
		frt_headers(method, data, size);
	}
	free(method);
	free(target);
	return 0;
}
