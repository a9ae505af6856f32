/* Fuzz target: the proxy's routing and path normalisation. The input is
 * "METHOD\nTARGET[\nACCEPT]". Besides not crashing, the result must be
 * well formed, agree with the canonical spelling of the same call, and a
 * mutating request that a simple reading of Glance's router (decode once,
 * version filter, exact Routes match) sends to an image route must never
 * pass undecided. */
#include "fuzz.h"
#include "route.h"

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

/* The reference reading: which image route Glance would take, PASS when none. */
static enum route_kind frt_reference(const char *method, const char *target)
{
	char path[9000];
	size_t n = 0;

	for (const char *s = target; *s && *s != '?' && n < sizeof(path) - 1; s++) {
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
	return ROUTE_PASS;
}

static void frt_check(const char *method, const char *target, const char *accept)
{
	struct route r, c;
	char canon[ROUTE_ID_MAX + 32];
	static const char *const suffix[] = { [ROUTE_UPLOAD] = "/file", [ROUTE_STAGE] = "/stage",
					      [ROUTE_IMPORT] = "/import" };

	route_classify(method, target, accept, &r);
	FUZZ_CHECK(r.kind <= ROUTE_REFUSE && route_name(r.kind), "route kind %d out of range", (int)r.kind);
	if (r.kind == ROUTE_REFUSE) {
		FUZZ_CHECK(r.why && r.why[0], "refused without a reason");
		FUZZ_CHECK(r.status == 400 || r.status == 404 || r.status == 405 || r.status == 414,
			   "refused with status %d", r.status);
		return;
	}
	int mutating = !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
		       !strcmp(method, "DELETE");
	FUZZ_CHECK(mutating || r.kind == ROUTE_PASS, "a %s request was decided", method);
	if (r.kind == ROUTE_PASS) {
		enum route_kind want = frt_reference(method, target);
		FUZZ_CHECK(want == ROUTE_PASS, "%s %s passes undecided but Glance routes it to %s", method, target,
			   route_name(want));
		return;
	}
	size_t idlen = strlen(r.image_id);
	if (r.kind == ROUTE_CREATE) {
		FUZZ_CHECK(idlen == 0, "create with an image id");
		snprintf(canon, sizeof(canon), "/v2/images");
	} else {
		FUZZ_CHECK(idlen > 0 && idlen <= ROUTE_ID_MAX && strspn(r.image_id,
			   "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") == idlen,
			   "bad image id '%s'", r.image_id);
		snprintf(canon, sizeof(canon), "/v2/images/%s%s", r.image_id,
			 r.kind == ROUTE_PATCH ? "" : suffix[r.kind]);
	}
	/* the canonical spelling of the same call is routed the same way */
	route_classify(method, canon, NULL, &c);
	FUZZ_CHECK(c.kind == r.kind && !strcmp(c.image_id, r.image_id), "%s %s is %s but %s is %s", method,
		   target, route_name(r.kind), canon, route_name(c.kind));
	FUZZ_CHECK(route_buffers_body(r.kind) == (r.kind != ROUTE_UPLOAD && r.kind != ROUTE_STAGE),
		   "body buffering of %s", route_name(r.kind));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = frt_field(&data, &size);
	char *target = frt_field(&data, &size);
	char *accept = frt_field(&data, &size);

	if (method && target)
		frt_check(method, target, accept);
	free(method);
	free(target);
	free(accept);
	return 0;
}
