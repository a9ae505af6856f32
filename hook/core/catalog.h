/* catalog: the images `scs-image-hook sync` keeps current, as the
 * operator config's `sync:` describes them. Each entry names an image
 * ("Ubuntu 24.04"), where its builds are published (a source of a
 * format: simplestreams-v1, debian-build-json, checksum-list), the
 * visibility and the properties it gets. Formats are kinds of vendor
 * metadata, never vendors: what differs between vendors (a stream's URL
 * and key, a path rewrite) is data, under `sync.sources` per format and
 * overridden per entry. Pure: loading reads nodes it is given. */
#ifndef SCS_CATALOG_H
#define SCS_CATALOG_H

#include <stddef.h>

#include "core/policy.h"
#include "core/regex.h"
#include "core/yconf.h"

enum catalog_format { CATALOG_SIMPLESTREAMS, CATALOG_DEBIAN_JSON, CATALOG_CHECKSUM_LIST, CATALOG_FORMATS };
enum catalog_previous { PREVIOUS_RENAME_AND_HIDE, PREVIOUS_HIDE, PREVIOUS_KEEP };

/* Where one image's builds are published. Which fields a format reads:
 *  simplestreams-v1: index, keys (with keys, the index and the products
 *                    file it names are clearsigned, .sjson, and read only
 *                    as one of keys signed them), base, product,
 *                    item (default disk1.img), rewrite_from/rewrite_to;
 *  debian-build-json: base, release, vendor, arch, image_format (qcow2);
 *  checksum-list: dir, match (a regex; its groups order the builds). */
struct catalog_source {
	enum catalog_format format;
	char *index, *base, *product, *item, *rewrite_from, *rewrite_to;
	char (*keys)[ORIGIN_FPR_LEN + 1];       /* who signs the stream; none: it is read unsigned */
	size_t n_keys;
	char *release, *vendor, *arch, *image_format;
	char *dir;
	struct regex match;             /* checksum-list: whole-name pattern, its groups order builds */
	unsigned line;
};

struct catalog_entry {
	char *name;
	struct catalog_source source;
	enum visibility visibility;
	char **keys, **values;          /* the properties it gets */
	size_t n_props;
	unsigned line;                  /* where the entry is, for messages */
};

struct catalog {
	enum catalog_previous previous;
	struct catalog_entry *e;
	size_t n;
	const char *file;
};

const char *catalog_format_name(enum catalog_format f);
const char *catalog_previous_name(enum catalog_previous p);

/* `sync:` of the operator config. 0, or -1 with y->err; c holds what was
 * read, for catalog_free. */
int catalog_load(struct yconf *y, const struct ynode *n, struct catalog *c);
void catalog_free(struct catalog *c);

/* The entry named name, or NULL. */
const struct catalog_entry *catalog_find(const struct catalog *c, const char *name);

#endif
