/* dirindex: a directory's index page (the listing an HTTP server makes:
 * Apache's, nginx's autoindex, Python's http.server) read for the one
 * file name an origin's pattern picks (Fedora's list, *-CHECKSUM, whose
 * name carries the release and build). Pure. The page is untrusted and
 * only a hint: the name it gives is fetched from the same directory and
 * must verify as any list does, so a false name fails there. It is read
 * loosely, for href values that are plain file names, and never as HTML. */
#ifndef SCS_DIRINDEX_H
#define SCS_DIRINDEX_H

#include <stddef.h>

#define DIRINDEX_MAX_BYTES (1u << 20)   /* a directory's listing is a few KiB */

/* The name matching pattern (fnmatch, no leading '.') among the page's
 * links: 1 with it in name, 0 when none matches, -1 when several do (why
 * names them). */
int dirindex_pick(const char *page, size_t len, const char *pattern, char name[256], char *why, size_t whylen);

#endif
