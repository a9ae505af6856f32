/* sums: a vendor's checksum list as a sorted table of file name ->
 * digest. Pure: the caller fetches the text (and, for a clearsigned list,
 * hands over only the text the signature covers).
 *
 * The list's format is what its origin says, never guessed: the
 * algorithm; the lines, GNU style (`<hex> *<file>` or `<hex>  <file>`, as
 * sha256sum writes them) or BSD style (`SHA256 (<file>) = <hex>`); and
 * whether `#` lines are comments. A list is data from the network, so
 * anything unusual refuses the whole list, a line of another style
 * included: an attacker who can bend a line must not be able to bend what
 * a name means. */
#ifndef SCS_SUMS_H
#define SCS_SUMS_H

#include <stddef.h>

enum sums_algo { SUMS_SHA256, SUMS_SHA512 };
enum sums_lines { SUMS_GNU, SUMS_BSD };

/* What an origin says of its list's text. */
struct sums_format {
	enum sums_algo algo;
	enum sums_lines lines;
	int comments;                   /* '#' lines are comments (one that carries a digest refuses the list) */
};

#define SUMS_MAX_BYTES (1u << 20)   /* a vendor's list is a few KiB */
#define SUMS_MAX_LINE 1024          /* bytes of one line, without its end */
#define SUMS_MAX_NAME 255           /* NAME_MAX: the names are file names */
#define SUMS_MAX_HEX 128            /* sha512 */
#define SUMS_COMMENT_HEX 32         /* a run of this many hex digits in a comment is a digest (md5's length) */

struct sums_entry {
	char *name;
	char hex[SUMS_MAX_HEX + 1];     /* lowercase */
	unsigned line;                  /* where the list gave it */
};

struct sums {
	enum sums_algo algo;
	struct sums_entry *e;           /* sorted by name, names unique */
	size_t n;
};

/* Parse a list in format f. src names the list in errors ("URL:LINE:
 * what"). 0, or -1 with err and s left empty. */
int sums_parse(struct sums *s, const struct sums_format *f, const char *src, const char *text, size_t len,
	       char *err, size_t errlen);
/* The entry for one file name, or NULL when the list has none. */
const struct sums_entry *sums_find(const struct sums *s, const char *name);
/* A deep copy of from into to (a list handed out of a cache), for sums_free. */
void sums_copy(struct sums *to, const struct sums *from);
void sums_free(struct sums *s);

const char *sums_algo_name(enum sums_algo algo);    /* "sha256", as Glance's os_hash_algo */
/* The image property that records the vendor's digest: "source_sha256sum". */
const char *sums_source_key(enum sums_algo algo);
size_t sums_hex_len(enum sums_algo algo);
/* "sha256" or "sha512" (n bytes of s) as an algorithm. 0, or -1. */
int sums_algo_parse(const char *s, size_t n, enum sums_algo *out);
const char *sums_lines_name(enum sums_lines lines);  /* "gnu", "bsd" */

#endif
