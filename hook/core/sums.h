/* sums: a vendor's checksum list (SHA256SUMS, SHA512SUMS) as a sorted
 * table of file name -> digest. Pure: the caller fetches the text.
 *
 * Lines are GNU style, `<hex> *<file>` (Ubuntu) or `<hex>  <file>`
 * (Debian), or BSD style, `SHA256 (<file>) = <hex>`. A list is data from
 * the network, so anything unusual refuses the whole list: an attacker
 * who can bend a line must not be able to bend what a name means. */
#ifndef SCS_SUMS_H
#define SCS_SUMS_H

#include <stddef.h>

enum sums_algo { SUMS_SHA256, SUMS_SHA512 };

#define SUMS_MAX_BYTES (1u << 20)   /* a vendor's list is a few KiB */
#define SUMS_MAX_LINE 1024          /* bytes of one line, without its end */
#define SUMS_MAX_NAME 255           /* NAME_MAX: the names are file names */
#define SUMS_MAX_HEX 128            /* sha512 */

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

/* Parse a list whose digests are algo's. src names the list in errors
 * ("URL:LINE: what"). 0, or -1 with err and s left empty. */
int sums_parse(struct sums *s, enum sums_algo algo, const char *src, const char *text, size_t len,
	       char *err, size_t errlen);
/* The entry for one file name, or NULL when the list has none. */
const struct sums_entry *sums_find(const struct sums *s, const char *name);
void sums_free(struct sums *s);

const char *sums_algo_name(enum sums_algo algo);    /* "sha256", as Glance's os_hash_algo */
/* The image property that records the vendor's digest: "source_sha256sum". */
const char *sums_source_key(enum sums_algo algo);
size_t sums_hex_len(enum sums_algo algo);
/* The algorithm a list is named for: SHA256SUMS or SHA512SUMS. 0, or -1. */
int sums_algo_of_file(const char *file, enum sums_algo *out);

#endif
