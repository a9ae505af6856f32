/* Fuzz target: the URI normaliser. A canonical form is its own canonical
 * form, holds no dot segment, escape of an unreserved character, %2F,
 * %5C, userinfo or fragment, and starts with http:// or https://; a
 * refusal says why. The fast path (uri_plain) never disagrees with
 * libcurl's (uri_canonical_parse): same verdict, form and reason, at the
 * full buffer and at the edge of one just too small. */
#include "fuzz.h"
#include "core/uri.h"

#include <strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void fzuri_check_form(const char *c)
{
	const char *path = strchr(c + (strncmp(c, "https://", 8) ? 7 : 8), '/');
	const char *end = path ? path + strcspn(path, "?") : NULL;

	FUZZ_CHECK(!strncmp(c, "http://", 7) || !strncmp(c, "https://", 8), "not http(s): %s", c);
	FUZZ_CHECK(!strchr(c, '#') && !strchr(c, '\\'), "a fragment or backslash: %s", c);
	FUZZ_CHECK(!strcasestr(c, "%2f") && !strcasestr(c, "%5c") && !strcasestr(c, "%2e"), "an escape left: %s", c);
	for (const char *p = path; p && p < end; p++)
		if (*p == '/' && p[1] == '.' && (p[2] == '/' || p + 2 == end || (p[2] == '.' && (p[3] == '/' || p + 3 == end))))
			FUZZ_CHECK(0, "a dot segment left: %s", c);
}

/* uri_canonical (fast path first) and uri_canonical_parse, with outlen. */
static void fzuri_check_fast(const char *in, size_t outlen)
{
	char fast[URI_MAX], slow[URI_MAX];
	const char *fwhy = NULL, *swhy = NULL;
	int frc = uri_canonical(in, fast, outlen, &fwhy);
	int src = uri_canonical_parse(in, slow, outlen, &swhy);

	FUZZ_CHECK(frc == src, "fast path %d, libcurl %d (outlen %zu): %s", frc, src, outlen, in);
	if (frc == 0)
		FUZZ_CHECK(!strcmp(fast, slow), "fast path %s, libcurl %s: %s", fast, slow, in);
	else
		FUZZ_CHECK(fwhy == swhy, "fast path '%s', libcurl '%s': %s", fwhy, swhy, in);
}

/* uri_origin_form: the fast path agrees with libcurl, a form is https,
 * its own form, and holds no port, userinfo, query or fragment. */
static void fzuri_check_origin(const char *in)
{
	char form[URI_MAX], slow[URI_MAX], again[URI_MAX];
	int frc = uri_origin_form(in, form, sizeof(form)), src = uri_origin_form_parse(in, slow, sizeof(slow));

	FUZZ_CHECK(frc == src, "origin form: fast path %d, libcurl %d: %s", frc, src, in);
	if (frc < 0)
		return;
	FUZZ_CHECK(!strcmp(form, slow), "origin form: fast path %s, libcurl %s: %s", form, slow, in);
	FUZZ_CHECK(!strncmp(form, "https://", 8) && !strpbrk(form, "?#"), "origin form %s of %s", form, in);
	const char *host = form + 8, *slash = strchr(host, '/');
	FUZZ_CHECK(slash && !memchr(host, '@', (size_t)(slash - host)) &&
		   (host[0] == '[' || !memchr(host, ':', (size_t)(slash - host))), "userinfo or a port in %s", form);
	FUZZ_CHECK(uri_origin_form(form, again, sizeof(again)) == 0 && !strcmp(form, again),
		   "origin form not a fixed point: %s -> %s", form, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[URI_MAX + 16], out[URI_MAX], again[URI_MAX];
	const char *why = NULL;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (uri_plain(in))  /* needs no change: libcurl gives it back as it is */
		FUZZ_CHECK(uri_canonical_parse(in, out, sizeof(out), &why) == 0 && !strcmp(out, in),
			   "plain but not canonical: %s -> %s", in, why ? why : out);
	fzuri_check_fast(in, sizeof(out));
	fzuri_check_origin(in);
	for (size_t edge = strlen(in); edge && edge <= strlen(in) + 1 && edge <= sizeof(out); edge++)
		fzuri_check_fast(in, edge);
	if (uri_canonical(in, out, sizeof(out), &why) < 0) {
		FUZZ_CHECK(why && *why, "a refusal without a reason");
		return 0;
	}
	fzuri_check_form(out);
	/* a fixed point for libcurl itself, not only for the fast path */
	FUZZ_CHECK(uri_canonical_parse(out, again, sizeof(again), &why) == 0, "the canonical form is refused: %s: %s",
		   out, why);
	FUZZ_CHECK(!strcmp(out, again), "not idempotent: %s -> %s", out, again);
	fzuri_check_fast(out, sizeof(again));
	return 0;
}
