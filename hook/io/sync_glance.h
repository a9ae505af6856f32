/* sync_glance: what `sync` asks of and does to Glance, with its own
 * token: the images of one name in its project (visible and hidden), the
 * lock two runs take, creating an image, and the small patches that
 * rename, hide and publish. */
#ifndef SCS_SYNC_GLANCE_H
#define SCS_SYNC_GLANCE_H

#include <stddef.h>

#include "core/plan.h"
#include "io/glance.h"

struct sync_image {
	char *id, *name, *status, *visibility, *image_source, *build_date, *created_at;
	int hidden;
	int has_marker;
	struct plan_marker marker;
	char *json;                     /* the image as Glance gave it */
};

/* Every image named name in project owner, hidden ones too. 0, or -1 with err. */
int sync_glance_named(struct glance *g, const char *name, const char *owner, struct sync_image **out, size_t *n,
		      char *err, size_t errlen);
void sync_glance_free(struct sync_image *im, size_t n);

/* Take the lock of project owner for run (until now + PLAN_LOCK_TTL):
 * 1 taken (*lock_id is the lock image), 0 another run holds it (its run
 * in held_by), -1 with err. Of two runs that take it at once at least one
 * backs off: each writes its lock, then reads them all again. */
int sync_glance_lock(struct glance *g, const char *owner, const char *run, long long now, char lock_id[65],
		     char held_by[37], char *err, size_t errlen);
int sync_glance_unlock(struct glance *g, const char *lock_id, char *err, size_t errlen);
/* Push the lock's expiry on: a long download keeps it. */
int sync_glance_renew(struct glance *g, const char *lock_id, const char *run, long long now, char *err, size_t errlen);

/* Replace properties of image id: a JSON object text of key -> value
 * (strings, numbers, booleans; null removes). 0, or -1 with err. */
int sync_glance_set(struct glance *g, const char *id, const char *object, char *err, size_t errlen);

#endif
