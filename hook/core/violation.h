/* violation: what a decision found wrong, and the one table of the kinds
 * of violation (violation.c): for each kind its rule id, metrics label,
 * whether it is a fair-use limit, and its words. Adding a kind is a value
 * here and a row there. Pure. */
#ifndef SCS_VIOLATION_H
#define SCS_VIOLATION_H

#include <stddef.h>

#include "core/policy.h"

#define DECIDE_MAX_VIOLATIONS 32

enum action { ACTION_ALLOW, ACTION_WARN, ACTION_DENY };

/* Kinds that share a metrics label are counted together; labels are shown
 * in the order of their first kind here (so V_METADATA, "other", stays last). */
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
	V_ORIGIN_UNAVAILABLE,   /* the list could not be fetched (failure_policy decides) */
	V_ORIGIN_LIST_INVALID,  /* the list was fetched but is not one in its origin's format */
	V_ORIGIN_DECLARED,      /* source_sha256sum/source_sha512sum differs from the vendor's */
	V_QUOTA_SIZE,           /* fair use (quota.c): one image too large */
	V_QUOTA_COUNT,          /* too many images */
	V_QUOTA_TOTAL,          /* too many bytes stored */
	V_QUOTA_RATE,           /* too many uploads within the window */
	V_QUOTA_CONCURRENT,     /* too many uploads at once */
	V_METADATA,             /* an image metadata rule (meta.h) is not met */
	V_COUNT
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
	const struct origin_expect *origin;     /* V_ORIGIN_*: what the vendor said (origins.h) */
	int advisory;           /* a recommended rule: warns, never refuses */
	int exempted;
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

/* One row of the table. */
struct violation_kind {
	const char *rule;       /* the rule id; NULL: the violation brings its own (a metadata rule's) */
	const char *metric;     /* the label it is counted under on /metrics */
	int quota;              /* a fair-use limit: the record carries its figures */
	/* The words; actual is v->actual cut to a readable length ("" when NULL). */
	void (*words)(const struct violation *v, const char *actual, char *buf, size_t len);
};

extern const struct violation_kind violation_kinds[V_COUNT];

/* A new violation of kind in d with the table's rule id, or NULL when d is
 * full (then it is only counted in d->n_more). */
struct violation *violation_add(struct decision *d, enum vkind kind, const char *spec, const char *file,
				unsigned line);

/* What a binding violation does under mode. */
enum action violation_action(enum mode mode);

/* The violation in words, for logs and terminals. Long values are cut at
 * a UTF-8 boundary so a 1 MiB name cannot flood a message. */
void violation_message(const struct violation *v, char *buf, size_t len);
/* What would be right, where the words do not say it: "allowed sources:
 * 'a', 'b' and 3 more" (values cut where long); "" when there is nothing
 * to add. */
void violation_hint(const struct violation *v, char *buf, size_t len);

const char *action_name(enum action a);

#endif
