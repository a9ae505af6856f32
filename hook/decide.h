/* decide: (policy, image, caller, day) -> decision. Pure: no I/O, no
 * clock, no globals; everything it needs is passed in. */
#ifndef SCS_DECIDE_H
#define SCS_DECIDE_H

#include <stddef.h>

#include "image.h"
#include "policy.h"
#include "uri.h"

#define DECIDE_MAX_VIOLATIONS 32

enum action { ACTION_ALLOW, ACTION_WARN, ACTION_DENY };

enum vkind {
	V_SOURCE,               /* image_source misses every allowed prefix */
	V_PROPERTY,             /* a required property differs or is missing */
	V_VERSION_FORMAT,       /* os_version missing or not in the distro's format */
	V_UNKNOWN_VERSION,      /* well-formed os_version absent from the table */
	V_REGEX_LIMIT,          /* a name_scheme hit its match limit: fail closed */
	V_DOWNLOAD_URI,         /* a web-download import would fetch from elsewhere */
	V_DOWNLOAD_URI_EQUAL,   /* ... from other than its image_source (download_uri: equal) */
	V_URI_REFUSED,          /* a web-download URI that has no canonical form (uri.h) */
	V_SOURCE_CANONICAL,     /* an image_source a source rule checks, not in canonical form */
	V_ORIGIN_CHECKSUM,      /* origin (origins.h): the data is not the vendor's file */
	V_ORIGIN_UNLISTED,      /* the vendor's list has no entry for the file */
	V_ORIGIN_SIGNATURE,     /* the list's signature is missing, invalid or by another key */
	V_ORIGIN_UNAVAILABLE,   /* the list could not be fetched or read (failure_policy decides) */
	V_ORIGIN_DECLARED,      /* source_sha256sum/source_sha512sum differs from the vendor's */
	V_QUOTA_SIZE,           /* fair use (quota.c): one image too large */
	V_QUOTA_COUNT,          /* too many images */
	V_QUOTA_TOTAL,          /* too many bytes stored */
	V_QUOTA_RATE,           /* too many uploads within the window */
	V_QUOTA_CONCURRENT,     /* too many uploads at once */
	V_METADATA,             /* an image metadata rule (meta.h) is not met */
};

struct violation {
	const char *rule;       /* stable id, e.g. "scs-0104/source" */
	const char *spec;       /* the spec entry's name or the v2 rule's id */
	const char *file;       /* where that entry is written */
	unsigned line;
	enum vkind kind;
	const char *key;        /* the property looked at */
	const char *actual;     /* its value, NULL when missing */
	const char *const *expected;
	size_t n_expected;
	const struct distro *distro;
	/* quotas: the limit, the project's usage (for image-size: 1 when size is
	 * what arrived before the upload was cut) and the request's bytes */
	unsigned long long limit, used, size;
	const char *why;        /* V_URI_REFUSED, V_SOURCE_CANONICAL: why there is no canonical form;
				 * V_METADATA: what is wrong with the value */
	const char *testcase;   /* V_METADATA: the official testcase the rule decides, or NULL */
	const struct origin_expect *origin;     /* V_ORIGIN_*: what the vendor said */
	int advisory;           /* a recommended rule: warns, never refuses */
	int exempted;
};

struct caller {
	const char *project_id, *project_name, *user_id;
};

struct decision {
	enum mode mode;         /* effective: the weaker of global mode and visibility scope */
	enum action action;
	int exempted;           /* some violation was waived by an exemption */
	const struct exemption *exemption;
	struct violation v[DECIDE_MAX_VIOLATIONS];
	size_t n;
	size_t n_more;          /* violations beyond the array: still counted */
};

/* today: days since 1970-01-01 (for exemption expiry). */
void decide(const struct policy *p, const struct image *img, const struct caller *who,
	    int today, struct decision *d);

/* decide, and for an import by web-download, also the URI the data would
 * come from: it must be under a source allowed for the image, and with
 * import.download_uri equal also be the image's image_source (when the
 * image has one or a source rule selects it); off checks no URI. */
void decide_import(const struct policy *p, const struct image *img, const char *uri,
		   const struct caller *who, int today, struct decision *d);

/* Origin verification's addition to a decision that decide made (same p,
 * img, who, today): the violations of what the vendor said (e, from
 * vendor.c), then the action again. actual: lowercase hex digest of the
 * bytes, or NULL when not (yet) known (then only unlisted, signature and
 * unavailable are judged). declared: the image's source_sha256sum or
 * source_sha512sum (the one of e->algo), or NULL. origin/unavailable
 * refuses under failure_policy closed and only warns under open. The
 * violations point into e: keep it while d is used. */
void decide_origin(const struct policy *p, const struct image *img, const struct caller *who, int today,
		   const struct origin_expect *e, const char *actual, const char *declared, struct decision *d);

/* Audit's addition to a decision: metadata dates later than now (seconds),
 * which decide leaves out as it has no clock. */
void decide_meta_now(const struct policy *p, const struct image *img, long long now, struct decision *d);

/* The violation in words, for logs and terminals. Long values are cut at
 * a UTF-8 boundary so a 1 MiB name cannot flood a message. */
void violation_message(const struct violation *v, char *buf, size_t len);

const char *action_name(enum action a);

/* Does the image's name select a spec entry (exact name, or name_scheme
 * from the start)? 1, 0, or -1 when the regex hit its match limit. */
int name_matches(const struct policy *p, const struct image *img, const struct regex *scheme, const char *exact);

#endif
