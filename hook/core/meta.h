/* meta: image metadata rules as data (SCS-0102). A rules file names the
 * properties and what each may hold; this code knows only the kinds of
 * value (listed values, dates in strptime formats, URLs by scheme, whole
 * numbers, last-N, any non-empty text), never a property name. Pure. */
#ifndef SCS_META_H
#define SCS_META_H

#include <stddef.h>

#include "core/policy.h"

struct image;
struct yconf;
struct ynode;

/* A strptime format translated as Python's _strptime translates it. */
struct meta_date_format {
	char *format;
	struct regex re;                /* anchored at the start; the end is checked apart */
	signed char order[8];           /* the directive of each group, -1 after the last */
};

enum meta_absent { META_ABSENT_VIOLATION, META_ABSENT_OK, META_ABSENT_CHECK };

struct meta_rule {
	char *id;                       /* e.g. "architecture"; the rule id is prefix/id */
	char *rule;                     /* "scs-0102/architecture" */
	char *property;
	enum status status;
	char *testcase;                 /* official testcase id, NULL: a stricter reading of our own */
	enum meta_absent missing, empty;    /* empty: META_ABSENT_CHECK checks "" against accept */
	char **values;                  /* accepted literally */
	size_t n_values;
	char **schemes;                 /* a URL: "scheme://" with one of these */
	size_t n_schemes;
	struct meta_date_format *dates;
	size_t n_dates;
	int any;                        /* any non-empty text */
	int last_n;                     /* "last-" and ASCII digits */
	int decimal;                    /* ASCII digits only */
	int integer;                    /* a JSON number or digits, >= min */
	unsigned long long min;
	unsigned long long covers_size; /* value * this >= the image's size, 0: unchecked */
	char *not_after;                /* a date no later than this date property (created_at) */
	struct meta_date_format *not_after_dates;   /* how that property is read */
	size_t n_not_after_dates;
	char *not_after_why;            /* "is later than the image's created_at" */
	int not_future;                 /* the date (else not_after's) is not later than now: audit only */
	char *allowed;                  /* what is accepted, in words, for messages */
	const char *file;
	unsigned line;
};

/* Load an `image_metadata:` file's rules (policy.c tells it by that key,
 * and loads its recency and uniqueness with fleet_load after). */
int meta_load(struct yconf *y, struct policy *p, const struct ynode *root);
void meta_free(struct policy *p);

/* Does the image satisfy r? 1 yes, 0 no (then *actual is the value
 * looked at, NULL when missing, and *why what was wrong), -1 a regex hit
 * its limit (fail closed). */
int meta_check(const struct policy *p, const struct meta_rule *r, const struct image *img,
	       const char **actual, const char **why);

/* For a not_future rule: 1 when the image's date (or, unreadable, its
 * not_after date) is later than now, as the official test asks; 0 else. */
int meta_future(const struct policy *p, const struct meta_rule *r, const struct image *img, long long now);

/* Seconds since the epoch for s in one of the rule's formats, 0 when it
 * matches none (the official test's reading: the epoch itself is 0 too). */
long long meta_date(const struct policy *p, const struct meta_date_format *f, size_t n, const char *s);

/* A list of strptime formats (a string or a list), translated. */
int meta_load_dates(struct yconf *y, const struct ynode *n, const char *what, struct meta_date_format **out,
		    size_t *count);
void meta_free_dates(struct meta_date_format *f, size_t n);

/* A rule by id, or NULL. */
const struct meta_rule *meta_find(const struct policy *p, const char *id);

#endif
