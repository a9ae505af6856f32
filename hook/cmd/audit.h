/* audit: what one run of `audit` gathers while it lists a cloud, shared
 * by the files of the command: cmd_audit.c (options, listing, the run),
 * audit_origin.c (--verify-origin), audit_presence.c (the images the
 * policy expects) and audit_report.c (text, JSON, SCS testcase lines).
 * One struct, filled while listing and read by the reports, so that the
 * reports need no second pass over the cloud. */
#ifndef SCS_AUDIT_H
#define SCS_AUDIT_H

#include <stddef.h>
#include <stdio.h>

#include "core/decide.h"
#include "core/fleet.h"
#include "core/origins.h"
#include "core/util.h"

struct entry_result {
	size_t checked, failed, present;
};

/* One violation of a listed image, as the reports give it. */
struct audit_violation {
	char *rule, *message;
	char *hint;                         /* what would be right, in the proxy's refusal words; "" when the message says it */
	char **expected;                    /* the allowed values, as the decision record has them */
	size_t n_expected;
	const char *spec;                   /* the policy's entry name or rule id (into the policy): scs lines match it */
	int exempted;
};

struct bad_image {
	char *id, *name, *owner;            /* owner: the project id Glance gives, NULL when none */
	enum visibility visibility;
	int hidden, present;                /* present: in the standard's sense */
	enum mode mode, scope;              /* the policy's mode and the visibility's scope */
	enum action action;                 /* what the proxy would do under them */
	struct audit_violation *v;
	size_t n;
};

/* An owner's name as Keystone gives it, asked once per project and run;
 * name NULL and why when it could not be had. */
struct audit_owner {
	char *id, *name, *why;
};

/* A whole-cloud (fleet.h) finding, for text and json. */
struct cloud_finding {
	const char *testcase;
	int fail;
	char *id, *name, *message;
};

struct audit {
	struct policy *policy;
	long long now;                      /* seconds: --now at midnight UTC, else the clock */
	size_t *meta_failed;                /* per metadata rule, present images only */
	struct fleet_image *fleet;          /* present images, as the whole-cloud rules read them */
	size_t n_fleet, cap_fleet;
	struct cloud_finding *cloud;
	size_t n_cloud, cap_cloud, cloud_failed[2];
	int today, all, format;             /* 0 text, 1 json, 2 scs */
	int progress;
	size_t listed, by_vis[VIS_COUNT], hidden, binding;
	struct entry_result *entries, *rules;
	struct bad_image *bad;
	size_t n_bad, cap_bad;
	struct audit_owner *owners;
	size_t n_owners, cap_owners;
	/* presence: names and (distro, version, purpose) of visible public/community images */
	char **names;
	size_t n_names, cap_names;
	struct image_key { char *distro, *version, *purpose; } *keys;
	size_t n_keys, cap_keys;
	/* --verify-origin */
	int verify, download;
	const char *image;                  /* --image: verify that one image */
	int record;                         /* --record, --image: write the record of a match */
	int trust_records;                  /* origin.trust_records: a record that holds is believed */
	struct vendor *vendor;
	struct glance *glance;              /* while listing: --download reads data through it */
	size_t origin_checked, origin_verified, origin_failed, origin_by_record, origin_recorded;
	size_t origin_incomplete;           /* not verified because the check could not be made now: exit 2 */
	struct unverified *unverified;
	size_t n_unverified, cap_unverified;
	struct unverified *newer;           /* verified then by a record; the vendor has published a newer build */
	size_t n_newer, cap_newer;
	char err[512];
};

/* An image under an origin whose bytes could not be compared (or, in
 * newer, whose vendor has published a newer build since), and why. */
struct unverified {
	char *id, *name, *why;
	int incomplete;                     /* the check could not be made now (list unreachable, data not read) */
};

/* A copy of s, or NULL: Glance may leave an image's id or name out. */
static inline char *audit_dup(const char *s) { return s ? xstrdup(s) : NULL; }

/* ---- audit_origin.c: --verify-origin ---- */

/* The vendor's lists for the policy's origins; -1 (after a message) when
 * the policy names none or they cannot be set up. */
int audit_origin_start(struct audit *a);

/* What --verify-origin found for one image: d's origin violations point
 * into it, so it lives as long as d. */
struct origin_seen {
	struct origin_expect e;
	char hex[SUMS_MAX_HEX + 1];
};

/* --verify-origin: the origin rules on one image, into d. */
void audit_origin_verify(struct audit *a, const struct image *img, const struct caller *who, struct decision *d,
			 struct origin_seen *seen);

/* ---- audit_presence.c: the images the policy expects ---- */

#define MAX_EXPECT 256

struct expectation {
	char id[128], what[256];
	enum status status;
	int present;
};

/* Every presence expectation, v1 entries first, then v2 rules. */
size_t audit_presence_expectations(const struct audit *a, struct expectation *out, size_t max);

/* ---- audit_report.c: the reports ---- */

/* The owner of an image as the run resolved it; NULL when not asked. */
const struct audit_owner *audit_owner_of(const struct audit *a, const char *id);

/* Print the requested testcases in the order asked (all of them when
 * none was named), as the official openstack_test.py does: one that
 * this policy does not define is ABORT. 1 when a line is FAIL. */
int audit_report_scs(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
		     char *const *tests, size_t n_tests, FILE *out);
void audit_report_text(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
		       size_t missing_recommended, FILE *out);
void audit_report_json(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
		       size_t missing_recommended, FILE *out);
/* The figures for node_exporter's textfile collector: images, violations
 * by rule, missing images, the exit status and the time of the run; an
 * aborted run (listed 0) gives only the last two. */
void audit_report_textfile(const struct audit *a, size_t missing_mandatory, size_t missing_recommended,
			   int aborted, int status, FILE *out);

#endif
