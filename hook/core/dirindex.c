/* dirindex: the one file name a pattern picks from an index page; see dirindex.h. */
#include "core/dirindex.h"
#include "core/util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DIRINDEX_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+-"

/* The next href value of the page from at: a plain file name, or "" for
 * any other link. NULL at the page's end. */
static const char *next_href(const char *at, const char *end, char out[256])
{
	for (; end - at >= 7; at++) {
		if (strncasecmp(at, "href=", 5) || (at[5] != '"' && at[5] != '\''))
			continue;
		const char *v = at + 6, *q = memchr(v, at[5], (size_t)(end - v));
		size_t n = q ? (size_t)(q - v) : 0;
		out[0] = '\0';
		if (q && n && n < 256 && v[0] != '.') {
			memcpy(out, v, n);
			out[n] = '\0';
			if (strspn(out, DIRINDEX_NAME_CHARS) != n)
				out[0] = '\0';
		}
		return q ? q + 1 : end;
	}
	return NULL;
}

int dirindex_pick(const char *page, size_t len, const char *pattern, char name[256], char *why, size_t whylen)
{
	char href[256];
	int found = 0;
	size_t at = 0;

	name[0] = '\0';
	why[0] = '\0';
	for (const char *p = page, *end = page + len; (p = next_href(p, end, href));) {
		if (!href[0] || fnmatch(pattern, href, FNM_PERIOD) || !strcmp(href, name))
			continue;
		if (!found++) {
			snprintf(name, 256, "%s", href);
			continue;
		}
		if (found == 2)
			at = (size_t)snprintf(why, whylen, "the directory's index names more than one file matching '%s': "
					      "'%s'", pattern, name);
		if (at < whylen)
			at += (size_t)snprintf(why + at, whylen - at, ", '%s'", href);
	}
	return found > 1 ? -1 : found;
}
