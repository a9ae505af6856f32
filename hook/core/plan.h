/* plan: what `sync` makes of a catalog entry and a build, decided before
 * anything is written: the finished image (the one the policy is asked
 * about before it is published), the marker every image sync makes
 * carries (so a later run finds what a killed one left), the lock two
 * runs take in Glance, and the check of the catalog against the policy at
 * `--check`. Pure: no I/O; the caller passes the time. */
#ifndef SCS_PLAN_H
#define SCS_PLAN_H

#include <stddef.h>

#include "core/builds.h"
#include "core/catalog.h"
#include "core/decide.h"

/* Outside the hook's reserved namespace on purpose: sync writes them with
 * the image's owner's token, through the proxy where there is one (which
 * refuses any client write to scs_image_hook_*). They are hints for
 * finishing and cleaning up, on images of sync's own project; what an
 * image's bytes are is its verification record's to say. */
#define PLAN_MARKER "scs_sync"                          /* on each image sync makes */
#define PLAN_LOCK "scs_sync_lock"                       /* on the lock image */
#define PLAN_LOCK_NAME "scs-image-hook sync lock"
#define PLAN_LOCK_TTL (15 * 60)        /* a lock's life; a run renews it while it downloads */

enum plan_state { PLAN_UPLOADING, PLAN_READY, PLAN_PUBLISHED, PLAN_STATES };

struct plan_marker {
	char build[64];                 /* the build's serial */
	enum plan_state state;
	char run[37];                   /* the run that made it */
};

int plan_marker_format(const struct plan_marker *m, char *out, size_t len);
/* 0, or -1 when text is not a marker sync writes. */
int plan_marker_parse(const char *text, struct plan_marker *m);
const char *plan_state_name(enum plan_state s);

struct plan_lock {
	char run[37];
	long long until;                /* seconds since the epoch */
	char host[64];                  /* where the run is, and its process: a lock whose */
	long pid;                       /* process is gone from this host is a dead run's */
};
int plan_lock_format(const struct plan_lock *l, char *out, size_t len);
int plan_lock_parse(const char *text, struct plan_lock *l);

/* The finished image as JSON text (name, visibility, not hidden, active,
 * image_source, the build's date and architecture, min_disk when known,
 * the catalog's properties): what the policy decides before publishing.
 * min_disk_gib: 0 when not known. The caller frees it. */
char *plan_image(const struct catalog_entry *e, const struct build *b, int min_disk_gib);
/* The properties sync sets on the image it made, besides the catalog's:
 * a JSON object text of image_source, image_build_date, architecture,
 * min_disk (when known). */
char *plan_build_properties(const struct build *b, int min_disk_gib);

/* A catalog property's value as Glance types it (a json_t *): min_ram
 * and min_disk are numbers, protected a boolean, every other property a
 * string (Glance takes no other type for them). */
void *plan_value(const char *key, const char *value);

/* Every catalog entry of p, as its finished image would be (its build not
 * known yet: its source's own URL stands in for image_source, whose rule
 * is judged at run time): a rule the policy would refuse it by is an
 * error "FILE:LINE: ..." in err. 0, or -1. */
int plan_check(const struct policy *p, int today, char *err, size_t errlen);

/* The name a replaced image keeps: "NAME YYYYMMDD" of its build date. */
void plan_previous_name(const char *name, const char *build_date, char *out, size_t len);

#endif
