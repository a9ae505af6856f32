/* uri: a URI in canonical form (RFC 3986, section 6), so that a prefix
 * comparison says where the bytes come from: scheme and host in lower
 * case, the scheme's default port dropped, percent-encoded unreserved
 * characters decoded (other escapes in upper case), dot segments
 * removed. Refused: anything but http(s), userinfo, a fragment, %2F and
 * %5C (a server may read them as / and \), a backslash, bytes that are
 * not printable ASCII, malformed escapes. Parsing is libcurl's (curl_url).
 * Pure: no I/O. */
#ifndef SCS_URI_H
#define SCS_URI_H

#include <stddef.h>

#define URI_MAX 2048

/* 0 with the canonical form in out, or -1 with why (a static string). */
int uri_canonical(const char *in, char *out, size_t outlen, const char **why);

#endif
