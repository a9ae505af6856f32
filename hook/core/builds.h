/* builds: the newest build of an image in a vendor's metadata, as sync
 * reads it: a simplestreams product stream (index and products files), a
 * Debian per-build JSON (a List of a Build and its Uploads), or the file
 * names of a checksum list ordered by a pattern's groups. What comes out
 * is what the image will record: the vendor's dated file (under the
 * source's base, never outside it), the digest the metadata claims (the
 * vendor's signed or listed checksum stays the trust anchor; sync checks
 * the two agree), the build's serial and date, the architecture in
 * Glance's words. Pure: the caller fetches the text. A file that does not
 * have the shape the format says is an error naming the field, never a
 * guess. */
#ifndef SCS_BUILDS_H
#define SCS_BUILDS_H

#include <stddef.h>

#include "core/catalog.h"
#include "core/regex.h"
#include "core/sums.h"

#define BUILDS_MAX_TEXT (64u << 20)     /* a products file is a few MiB */

struct build {
	char *image_source;             /* the vendor's dated file: what is fetched and recorded */
	enum sums_algo algo;
	char digest[SUMS_MAX_HEX + 1];  /* what the metadata says, lowercase hex; "" when it says none */
	long long size;                 /* bytes, or -1 when not said */
	char serial[64];                /* the build: 20240821, 20240717-1811, 9.4-20240507 */
	char build_date[11];            /* YYYY-MM-DD from the serial, or "" */
	char arch[32];                  /* Glance's architecture (x86_64, aarch64, ...), or "" */
};

void build_free(struct build *b);

/* simplestreams index (index.json, or the text a clearsigned index.sjson
 * vouches for): the products file that lists product. 0 with *path (a
 * path relative to the source's base), or -1 with err. */
int builds_streams_index(const char *text, size_t len, const struct catalog_source *s, char **path, char *err,
			 size_t errlen);
/* simplestreams products file: the newest version of the source's product
 * that has its item. 0 with b, or -1 with err. */
int builds_streams_newest(const char *text, size_t len, const struct catalog_source *s, struct build *b, char *err,
			  size_t errlen);

/* The Debian per-build JSON's URL for a source (its release's latest
 * build): base + RELEASE/latest/debian-VERSION-VENDOR-ARCH.json. */
char *builds_debian_url(const struct catalog_source *s, const char *version);
/* A Debian per-build JSON: the Upload of the source's image format. */
int builds_debian(const char *text, size_t len, const struct catalog_source *s, struct build *b, char *err,
		  size_t errlen);

/* A checksum list's entries: the newest name that matches the source's
 * pattern whole, its groups compared left to right as numbers (names whose
 * groups are not all numbers, such as "latest" aliases, are passed over).
 * 0 with b (image_source the source's dir + name, the list's digest), or
 * -1 with err. ctx: the match limits (policy_match_context). */
int builds_listed(const struct sums *list, const struct catalog_source *s, pcre2_match_context *ctx, struct build *b,
		  char *err, size_t errlen);

/* Glance's name of a vendor's architecture (amd64 -> x86_64), or arch. */
const char *builds_glance_arch(const char *arch);

/* Two serials compared as builds are ordered (numbers as numbers): <0, 0, >0. */
int builds_serial_cmp(const char *a, const char *b);

#endif
