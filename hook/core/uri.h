/* uri: a URI in canonical form (RFC 3986, section 6), so that a prefix
 * comparison says where the bytes come from: scheme and host in lower
 * case, the scheme's default port dropped, percent-encoded unreserved
 * characters decoded (other escapes in upper case), dot segments
 * removed. Refused: anything but http(s), userinfo, a fragment, %2F and
 * %5C (a server may read them as / and \), a backslash, bytes that are
 * not printable ASCII, malformed escapes. Parsing is libcurl's (curl_url);
 * a string plainly in canonical form already is recognised without it.
 * Pure: no I/O. */
#ifndef SCS_URI_H
#define SCS_URI_H

#include <stddef.h>

#define URI_MAX 2048

/* 0 with the canonical form in out, or -1 with why (a static string).
 * A plain in (below) is copied as it is, without libcurl: deciding an
 * image calls this, and parsing there cost a tenth of `check`'s time. */
int uri_canonical(const char *in, char *out, size_t outlen, const char **why);

/* The same, always through libcurl: what the fast path must agree with
 * (tests/fuzz/fuzz_uri.c compares them on every input). */
int uri_canonical_parse(const char *in, char *out, size_t outlen, const char **why);

/* 1 when in certainly needs no change: "http://" or "https://", a host
 * of dot-separated labels of lower-case letters, digits and inner
 * hyphens, the last starting with a letter (no IP address), no port or
 * userinfo, then one or more "/" segments of unreserved characters, none
 * "." or "..", and nothing after (no query, no fragment). 0 says nothing:
 * uri_canonical_parse decides. Keep it this narrow: what a rule of
 * uri_canonical_parse might change (case, a trailing dot, ports,
 * userinfo, escapes, dot segments, queries) never passes it, so such a
 * rule can change without it; fuzz_uri says if it ever disagrees. */
int uri_plain(const char *in);

/* Where a URL points, whatever its spelling: the one form in which an
 * image_source is compared with a vendor's prefix, so that no spelling of
 * a vendor's file lies "under no origin". https for http and https alike,
 * the host decoded, in lower case and without a trailing dot, no
 * userinfo, no port, no query, no fragment, unreserved characters of the
 * path decoded (other escapes in upper case) and its dot segments
 * removed. A URL already in this form is its own form. 0 with out, or -1
 * when in is not an http(s) URL (or its form does not fit outlen). */
int uri_origin_form(const char *in, char *out, size_t outlen);
/* The same, always through libcurl (fuzz_uri compares the two). */
int uri_origin_form_parse(const char *in, char *out, size_t outlen);

#endif
