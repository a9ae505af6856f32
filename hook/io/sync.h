/* sync: one catalog entry kept current. Read-only first: the vendor's
 * newest build (its metadata, its listed digest), the images of that name
 * in sync's project; nothing new, nothing is written. Otherwise, under a
 * lock that lives in Glance: what an earlier run left is finished or
 * cleaned up, the new image is made private and hidden, the vendor's bytes
 * streamed into it and verified as they pass, its metadata set, its
 * verification record in place, the finished image decided by the
 * policy, and only then is the image it replaces renamed and hidden (or as
 * `previous` says) and the new one published. Every action is a record in
 * the decision log. */
#ifndef SCS_SYNC_H
#define SCS_SYNC_H

#include <stdio.h>

#include "core/catalog.h"
#include "core/policy.h"
#include "core/record.h"
#include "io/glance.h"
#include "io/http.h"
#include "io/log.h"
#include "io/vendor.h"

enum sync_outcome {
	SYNC_UP_TO_DATE,        /* nothing new: nothing written */
	SYNC_PUBLISHED,         /* the newest build is published */
	SYNC_PLANNED,           /* --dry-run: the plan was printed */
	SYNC_BUSY,              /* another run holds the lock: nothing written */
	SYNC_REFUSED,           /* the build is not the vendor's, older, or the policy refuses it */
	SYNC_FAILED,            /* a vendor or Glance could not be read or written */
};

struct sync_run {
	const struct policy *p;
	struct http_client *http;       /* Glance (and Keystone) */
	struct http_client *vendor_http;/* vendors' metadata and files */
	struct glance *g;               /* sync's token, the image endpoint */
	const char *project_id;         /* sync's project: it owns the images */
	const char *user_id;
	struct vendor *vendor;          /* the origins' lists */
	struct dlog *log;               /* NULL: no decision log */
	int log_lost;                   /* a record could not be written: the run fails */
	struct recorder *rec;
	FILE *out;                      /* the plan and progress lines */
	int dry_run, tty;
	long long now;
	int today;
	char run[37];
	char lock_id[65];               /* held while not "" */
};

/* Keep e current. why says what happened, in a line. */
enum sync_outcome sync_entry(struct sync_run *s, const struct catalog_entry *e, char *why, size_t len);
/* The run ends: the lock, when held, is given back. */
void sync_end(struct sync_run *s);

#endif
