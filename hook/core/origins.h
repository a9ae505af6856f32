/* origins: the vendors whose image files can be verified (policy file
 * `origins:`, shipped as policy/scs-origins.yaml) and the operator's
 * `origin:` config, read with yconf; and the pure lookup from an image's
 * image_source to the vendor's checksum list, its signature and the file
 * name to look up there. A vendor is data: where its list is, its
 * format, how it is signed and by whom; this code knows the kinds, never
 * a vendor. No I/O: fetching is the caller's job. */
#ifndef SCS_ORIGINS_H
#define SCS_ORIGINS_H

#include <stddef.h>

#include "core/sums.h"
#include "core/yconf.h"

#define ORIGIN_FPR_LEN 40               /* an OpenPGP v4 fingerprint in hex */
#define ORIGIN_READBACK_MS (60L * 1000)                 /* origin.readback.max_seconds not set */
#define ORIGIN_READBACK_BYTES (8ULL << 30)              /* origin.readback.max_bytes not set */

/* Where an origin's list is, beside the image file (checksums.name). */
enum origin_where {
	ORIGIN_AT_NAME,         /* one fixed name: SHA256SUMS, CHECKSUM */
	ORIGIN_AT_PATTERN,      /* the one name in the directory's index that a pattern (*-CHECKSUM) picks */
	ORIGIN_AT_FILE,         /* a name made from the image's own file name: {file}.sha256 */
};

/* How the vendor signs the list (signature:). */
enum origin_signed {
	ORIGIN_UNSIGNED,        /* none: HTTPS to the vendor is all there is */
	ORIGIN_DETACHED,        /* a detached signature beside the list */
	ORIGIN_CLEARSIGNED,     /* the list is a cleartext-signed message */
};

struct origin {
	char *prefix;                   /* https://host/path/ as written (canonical) */
	char *checksums;                /* the list's name, pattern or template (where says which) */
	enum origin_where where;
	struct sums_format format;      /* algorithm, line style, comments: stated, never guessed */
	enum origin_signed signed_as;
	char *signature;                /* ORIGIN_DETACHED: its name; {list} stands for the list's */
	char (*keys)[ORIGIN_FPR_LEN + 1];       /* accepted signers, uppercase, no spaces */
	size_t n_keys;
	char **moving;                  /* path segments (fnmatch patterns) the vendor republishes */
	size_t n_moving;
	const char *file;               /* the origins file (points into policy->files) */
	unsigned line;
};

struct origins {
	struct origin *o;
	size_t n;
};

/* Where the hook fetches a vendor's files: a prefix swapped for another
 * (air-gapped clouds, tests). */
struct origin_fetch {
	char *from, *to;
};

/* The operator config's `origin:`. */
struct origin_config {
	char *keyring;                  /* OpenPGP public keys, binary or armored */
	struct origin_fetch *fetch;
	size_t n_fetch;
	long cache_ms;                  /* reuse a verified list this long; 0: not set */
	/* Reading an image's data back from Glance to verify it within a
	 * request (a step into presence): at most this long and this many
	 * bytes; 0: not set (ORIGIN_READBACK_MS, _BYTES). */
	long readback_ms;
	unsigned long long readback_bytes;
	int import_plugin;              /* the Glance import plugin verifies imports (origin.import_plugin) */
	int signed_only;                /* an origin whose vendor signs nothing is refused (origin/signature) */
	int trust_records;              /* verification records are protected: audit believes one that holds */
	/* From the same config's service keys (opconf.c copies them, so that
	 * the pure judgement and the vendor need no struct config): */
	int fail_open;                  /* failure_policy: open */
	long timeout_ms;                /* timeouts.decision; 0: not set */
};

/* `origins:` of a policy file's top mapping (other top keys refused).
 * 0, or -1 with y->err; o holds what was read, for origins_free. */
int origins_load(struct yconf *y, const struct ynode *root, struct origins *o);
void origins_free(struct origins *o);
int origin_config_load(struct yconf *y, const struct ynode *n, struct origin_config *c);
void origin_config_free(struct origin_config *c);
/* `keys:`, a list of OpenPGP fingerprints (40 hex digits, spaces
 * allowed), into *keys (uppercase, no spaces; *count of them; the caller
 * frees *keys, also after -1). 0, or -1 with y->err. */
int origins_keys(struct yconf *y, const struct ynode *n, char (**keys)[ORIGIN_FPR_LEN + 1], size_t *count);

/* What verifying one image_source needs. */
struct origin_ref {
	const struct origin *origin;
	char *dir;                      /* the image file's directory, ending in '/' */
	char *list_url;                 /* dir + the list's name; NULL until a pattern's name is known */
	char *sig_url;                  /* dir + the detached signature's name; NULL when there is none (yet) */
	char *file;                     /* the name to look up in the list */
	const char *moving;             /* the origin's moving pattern a path segment matched, or NULL */
};

/* The origin image_source lies under (the scheme and host compared
 * without case, the path byte for byte): 1 with ref filled, 0 when under
 * none. -1 with err when it lies under one but names no file the list
 * could vouch for (a query, a fragment, credentials, percent-encoding,
 * dot segments, a directory): such an image_source cannot be verified,
 * so it must not pass as unverified either. */
int origins_match(const struct origins *o, const char *image_source, struct origin_ref *ref, char *err,
		  size_t errlen);
/* The ref of the one list that covers a directory (dir ends in '/'), for
 * a caller that reads the whole list (sync's checksum-list); ref->file is
 * a stand-in no list names. 1, 0 under no origin, or -1 with err: dir is
 * not written as a vendor's directory, or its origin's lists are per image
 * ({file}.sha256), so none names the directory's builds. */
int origins_match_dir(const struct origins *o, const char *dir, struct origin_ref *ref, char *err, size_t errlen);
void origin_ref_free(struct origin_ref *ref);
/* The list's name the directory's index picked for an ORIGIN_AT_PATTERN
 * ref: list_url and sig_url set from it. */
void origin_ref_list(struct origin_ref *ref, const char *name);

/* What the vendor says about one file (vendor.c fills it in, decide.c
 * judges it, record.c writes it). */
enum origin_status {
	ORIGIN_LISTED,          /* expected digest known, list verified (or unsigned origin) */
	ORIGIN_UNLISTED,        /* list has no entry for the file  -> origin/unlisted */
	ORIGIN_SIGNATURE,       /* signature missing/invalid/not by keys -> origin/signature */
	ORIGIN_UNAVAILABLE,     /* list or signature could not be fetched -> origin/unavailable */
	ORIGIN_INVALID,         /* fetched, but not a list in the origin's format -> origin/list-invalid */
};

struct origin_expect {
	enum origin_status status;
	enum sums_algo algo;
	char expected[SUMS_MAX_HEX + 1];        /* lowercase hex; "" unless LISTED */
	char list_url[1024];                    /* the vendor's URL (not the fetch-mapped one) */
	char signer[ORIGIN_FPR_LEN + 1];        /* fingerprint, "unsigned" (the origin signs nothing), or "" */
	char file[256];
	char why[512];                          /* a sentence when not LISTED */
	char moving[64];                        /* the moving path segment's pattern ("" when the URL is stable) */
	int signed_only;                        /* origin.signed_only applied */
};

/* url with a `fetch` prefix swapped (a new string), or a copy of url. */
char *origin_fetch_url(const struct origin_config *c, const char *url);

#endif
