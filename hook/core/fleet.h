/* fleet: whole-cloud image metadata rules (SCS-0102 recency and
 * uniqueness), judged over the images present at once. The rules file
 * names every property and value; this code knows the shape of the two
 * rules only. Pure: the caller passes the images and the time. */
#ifndef SCS_FLEET_H
#define SCS_FLEET_H

#include <stddef.h>

#include "core/policy.h"

struct image;
struct yconf;
struct ynode;

struct fleet_recency {
	char *testcase;
	const struct meta_rule *build;      /* its property and dates read the build date */
	char *frequency, *until;            /* properties */
	char **periods;                     /* frequency words ... */
	long long *seconds;                 /* ... and their periods, 0: never outdated */
	size_t n_periods;
	unsigned slack_percent;             /* outdated after period * this / 100 */
	char **open;                        /* until values that promise nothing (none, notice) */
	size_t n_open;
	char **markers;                     /* last name words that mark an old image */
	size_t n_markers;
	struct meta_date_format *marker_dates;
	size_t n_marker_dates;
};

struct fleet_unique {
	char *testcase;
	char **key;                         /* properties grouped on */
	size_t n_key;
	char **need;                        /* an image without these set is not grouped */
	size_t n_need;
	char *property, *value;             /* at most one image per group has property=value */
	enum visibility visibility;         /* and only images of this visibility count */
};

struct fleet {
	struct fleet_recency *recency;
	struct fleet_unique *unique;
};

/* `recency:` and `uniqueness:` of an image_metadata file. */
int fleet_load(struct yconf *y, struct policy *p, const struct ynode *m);
void fleet_free(struct fleet *f);

/* What the rules read of one image, copied out of the listing. */
struct fleet_image {
	char *id, *name;
	enum visibility visibility;
	int hidden;
	char **values;                      /* by fleet_props order; NULL when unset or not text */
};

/* The properties fleet_image.values holds, in order: n set in *n. */
const char *const *fleet_props(const struct fleet *f, size_t *n);
void fleet_image_take(const struct fleet *f, const struct image *img, struct fleet_image *out);
void fleet_image_free(const struct fleet *f, struct fleet_image *fi);

/* One finding: the image(s) and what to do; fail 1 counts against the
 * testcase, 0 is a warning. */
typedef void (*fleet_report)(void *ctx, const char *testcase, int fail, const struct fleet_image *img,
			     const char *message);
/* Judge both rules; returns how many findings failed per rule in
 * failed[0] (recency) and failed[1] (uniqueness). now: seconds. */
void fleet_judge(const struct policy *p, const struct fleet_image *imgs, size_t n, long long now,
		 fleet_report report, void *ctx, size_t failed[2]);

#endif
