/* quota: the fair-use policy (limits per project, with defaults,
 * overrides and exemptions) and its decision on one request, given the
 * project's usage as Glance reports it. Pure: usage and day are passed in;
 * reading the usage is glance.c's job, cutting a body proxy.c's. */
#ifndef SCS_QUOTA_H
#define SCS_QUOTA_H

#include "decide.h"
#include "yconf.h"

enum quota_limit {
	QL_IMAGE_SIZE,          /* bytes of one image */
	QL_IMAGES,              /* images the project holds */
	QL_TOTAL_SIZE,          /* bytes the project stores */
	QL_UPLOADS,             /* uploads started within the window */
	QL_WINDOW,              /* that window, in seconds */
	QL_CONCURRENT,          /* uploads and imports in progress */
	QL_COUNT
};

struct quota_limits {
	unsigned long long v[QL_COUNT];
	unsigned set;           /* a bit per limit written; an unset limit does not apply */
	const char *from;       /* "default" or the override's project, for messages */
};

struct quota_project {
	char *project;          /* id or name */
	struct quota_limits limits;
};

struct quota {
	struct quota_limits defaults;
	struct quota_project *projects;
	size_t n_projects;
	struct exemption *exempt;
	size_t n_exempt;
};

/* What Glance holds for one project, read for one request; the image the
 * request is about is left out of `recent` and `active`. */
struct quota_usage {
	unsigned long long images;      /* every image, whatever its status */
	unsigned long long bytes;       /* the sum of their sizes */
	unsigned long long recent;      /* created within the window and given data */
	unsigned long long active;      /* saving, uploading or importing */
};

enum quota_op {
	QUOTA_CREATE,           /* POST /v2/images: count */
	QUOTA_UPLOAD,           /* PUT .../file or .../stage: everything */
	QUOTA_IMPORT,           /* POST .../import: count, rate, concurrency */
};

struct quota_ask {
	enum quota_op op;
	long long size;         /* bytes of the upload; -1 not known (yet) */
	int cut;                /* size is what arrived before the body was cut */
};

/* Read `quota:` of the operator config. 0, or -1 with y->err. */
int quota_load(struct yconf *y, const struct ynode *n, struct quota *q);
void quota_free(struct quota *q);

/* The defaults with the project's override laid over them. */
void quota_limits_for(const struct quota *q, const struct caller *who, struct quota_limits *out);

/* Add the quota violations of one request to d (exempted ones marked) and
 * settle d->action again: quotas follow the global mode, not the
 * visibility scope, since they are about the project, not the image. */
void quota_decide(const struct quota *q, enum mode mode, const struct caller *who, int today,
		  const struct quota_limits *l, const struct quota_usage *u, const struct quota_ask *ask,
		  struct decision *d);

/* Bytes an upload may carry before it must be cut (-1: no cap), and the
 * limit that sets the cap. */
long long quota_byte_cap(const struct quota_limits *l, const struct quota_usage *u, enum quota_limit *which);

/* The words of a quota violation (violation_message calls this). */
void quota_message(const struct violation *v, char *buf, size_t len);

/* 1 when d has a quota violation that is not exempted. */
int quota_binding(const struct decision *d);

#endif
