/* uri: canonical URIs; see uri.h. */
#include "core/uri.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decoding of unreserved characters and upper-case escapes,
 * refusing what no canonical form may hold. 0, or -1 with why. Room is
 * checked per byte written, so that every canonical form shorter than
 * outlen reads back (an escape stays three bytes, a byte stays one). */
static int unescape(const char *in, char *out, size_t outlen, const char **why)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (o + 2 > outlen)
			return *why = "longer than the hook reads", -1;
		if (*p <= 0x20 || *p >= 0x7f)
			return *why = "holds a space, a control character or a byte that is not ASCII", -1;
		if (*p == '\\')
			return *why = "holds a backslash", -1;
		if (*p == '#')
			return *why = "has a fragment", -1;
		if (*p != '%') {
			out[o++] = (char)*p;
			continue;
		}
		int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
		if (hi < 0 || lo < 0)
			return *why = "has a malformed percent escape", -1;
		int c = hi * 16 + lo;
		if (c == '/' || c == '\\')
			return *why = "has an encoded slash or backslash (%2F, %5C)", -1;
		if (unreserved(c)) {
			out[o++] = (char)c;
		} else if (o + 4 > outlen) {
			return *why = "longer than the hook reads", -1;
		} else {
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
		}
		p += 2;
	}
	out[o] = '\0';
	return 0;
}

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* A part that must not be there. */
static int present(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	int has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v;
	curl_free(v);
	return has;
}

static int normalise(CURLU *u, const char **why)
{
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (present(u, CURLUPART_USER) || present(u, CURLUPART_PASSWORD) || present(u, CURLUPART_OPTIONS))
		*why = "has userinfo (user@ or user:password@)";
	else if (present(u, CURLUPART_FRAGMENT))
		*why = "has a fragment";
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || (strcmp(scheme, "http") && strcmp(scheme, "https")))
		*why = "is not an http or https URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host)
		*why = "has no host";
	else if (!printable(host))
		*why = "has a host that is not printable ASCII (libcurl decodes escapes in host names)";
	else
		rc = 0;
	if (rc == 0) {
		for (char *h = host; *h; h++)
			*h = (char)tolower((unsigned char)*h);
		if (curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
			rc = -1, *why = "has a host libcurl cannot take";
	}
	if (rc == 0 && curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port &&
	    !strcmp(port, strcmp(scheme, "http") ? "443" : "80"))
		curl_url_set(u, CURLUPART_PORT, NULL, 0);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return rc;
}

/* The bytes a plain URI may hold: in its host, lower-case letters,
 * digits and hyphens (and dots between labels); in its path, RFC 3986's
 * unreserved characters. A table, as this runs for every image decided. */
enum { PLAIN_HOST = 1, PLAIN_PATH = 2 };
static const unsigned char plain_bytes[256] = {
	['a' ... 'z'] = PLAIN_HOST | PLAIN_PATH, ['0' ... '9'] = PLAIN_HOST | PLAIN_PATH,
	['-'] = PLAIN_HOST | PLAIN_PATH, ['A' ... 'Z'] = PLAIN_PATH, ['.'] = PLAIN_PATH, ['_'] = PLAIN_PATH,
	['~'] = PLAIN_PATH,
};

static int plain(const char *p, int what)
{
	return plain_bytes[(unsigned char)*p] & what;
}

/* The host of a plain URI: dot-separated labels of plain host bytes, no
 * label empty or starting or ending with a hyphen, the last starting
 * with a letter (so libcurl cannot read the host as an IPv4 number and
 * rewrite it, as it does 127.1). Where the host ends, or NULL. */
static const char *plain_host(const char *p)
{
	const char *label;

	for (;;) {
		label = p;
		while (plain(p, PLAIN_HOST))
			p++;
		if (p == label || *label == '-' || p[-1] == '-')
			return NULL;
		if (*p != '.')
			break;
		p++;
	}
	return *label >= 'a' && *label <= 'z' ? p : NULL;
}

/* Deliberately narrow: anything that might need a change (upper case in
 * the scheme or host, a port, userinfo, an escape, a dot segment, a
 * query, a trailing dot, an IP address) is left to libcurl. */
int uri_plain(const char *in)
{
	const char *p = !strncmp(in, "https://", 8) ? in + 8 : !strncmp(in, "http://", 7) ? in + 7 : NULL;

	if (!p || !(p = plain_host(p)) || *p != '/')
		return 0;
	while (*p == '/') {
		const char *seg = ++p;
		while (plain(p, PLAIN_PATH))
			p++;
		size_t n = (size_t)(p - seg);
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
	}
	return *p == '\0';
}

int uri_canonical(const char *in, char *out, size_t outlen, const char **why)
{
	size_t len = in ? strlen(in) : 0;

	if (in && len < outlen && len < URI_MAX && uri_plain(in)) {
		*why = NULL;
		memcpy(out, in, len + 1);
		return 0;
	}
	return uri_canonical_parse(in, out, outlen, why);
}

int uri_canonical_parse(const char *in, char *out, size_t outlen, const char **why)
{
	char buf[URI_MAX];
	char *text = NULL;
	int rc = -1;

	*why = NULL;
	if (!in || !*in)
		return *why = "is empty", -1;
	if (unescape(in, buf, sizeof(buf), why) < 0)
		return -1;
	CURLU *u = curl_url();
	if (!u)
		return *why = "could not be parsed (out of memory)", -1;
	/* curl_url removes dot segments as it parses (RFC 3986 5.2.4) */
	if (curl_url_set(u, CURLUPART_URL, buf, 0) != CURLUE_OK)
		*why = "is not a URL libcurl can parse";
	else if (normalise(u, why) == 0 && curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK)
		rc = 0;
	else if (!*why)
		*why = "could not be put in canonical form";
	if (rc == 0 && strlen(text) >= outlen)
		rc = -1, *why = "longer than the hook reads";
	else if (rc == 0 && !printable(text))
		rc = -1, *why = "holds a byte that is not printable ASCII";
	if (rc == 0)
		snprintf(out, outlen, "%s", text);
	curl_free(text);
	curl_url_cleanup(u);
	return rc;
}

/* A path with its unreserved escapes decoded and every other byte that
 * is no plain character escaped, in upper case: a '%' that starts no
 * escape becomes %25, a control or non-ASCII byte %XX, so that the result
 * reads back as itself. A backslash or %2F stays what it is: the form only
 * says where a URL points, it refuses nothing. */
static int path_decoded(const char *path, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		int hi = *p == '%' ? hexval(p[1]) : -1, lo = hi < 0 ? -1 : hexval(p[2]);
		int c = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
		if (o + 4 > outlen)
			return -1;
		if (c >= 0 && unreserved(c)) {
			out[o++] = (char)c;
			p += 2;
		} else if (c >= 0) {
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
			p += 2;
		} else if (*p == '%' || *p <= 0x20 || *p >= 0x7f) {
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return 0;
}

int uri_origin_form_parse(const char *in, char *out, size_t outlen)
{
	char *scheme = NULL, *host = NULL, *path = NULL, *text = NULL;
	char decoded[URI_MAX], again[URI_MAX + 300];
	CURLU *u = curl_url(), *v = curl_url();
	int rc = -1;

	if (!u || !v || !in || curl_url_set(u, CURLUPART_URL, in, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_get(u, CURLUPART_HOST, &host, CURLU_URLDECODE) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || path_decoded(path, decoded, sizeof(decoded)) < 0)
		goto out;
	size_t n = strlen(host);
	while (n > 1 && host[n - 1] == '.')
		host[--n] = '\0';
	for (char *h = host; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	if (!printable(host) || strpbrk(host, "/?#@\\") || (host[0] != '[' && strchr(host, ':')) ||
	    (size_t)snprintf(again, sizeof(again), "https://%s%s",
										host, decoded) >= sizeof(again))
		goto out;
	/* parsed again: the dot segments the decoding uncovered are removed */
	if (curl_url_set(v, CURLUPART_URL, again, 0) != CURLUE_OK ||
	    curl_url_get(v, CURLUPART_URL, &text, 0) != CURLUE_OK || strlen(text) >= outlen)
		goto out;
	snprintf(out, outlen, "%s", text);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_free(text);
	curl_url_cleanup(u);
	curl_url_cleanup(v);
	return rc;
}

int uri_origin_form(const char *in, char *out, size_t outlen)
{
	/* a plain URL points where it says; only http becomes https */
	if (in && uri_plain(in)) {
		const char *rest = in + (in[4] == 's' ? 8 : 7);
		return (size_t)snprintf(out, outlen, "https://%s", rest) < outlen ? 0 : -1;
	}
	return uri_origin_form_parse(in, out, outlen);
}
