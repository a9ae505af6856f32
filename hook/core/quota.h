/* quota: the fair-use policy (limits per project, with defaults,
 * overrides and exemptions) and its decision on one request, given the
 * project's usage as Glance reports it. Pure: usage and day are passed in;
 * reading the usage is glance.c's job, cutting a body proxy.c's. */
#ifndef SCS_QUOTA_H
#define SCS_QUOTA_H

#include "core/decide.h"
#include "core/yconf.h"

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
	char *project;          /* as written: an id, a name or domain/name */
	char *project_id;       /* resolved (projects.h); NULL: not resolved */
	char *where;            /* "file:line:col" of project, for errors */
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
 * request is about is left out of `recent`, `active` and `reserved`. */
struct quota_usage {
	unsigned long long images;      /* every image, whatever its status */
	unsigned long long bytes;       /* the sum of their sizes, and the bytes reserved */
	unsigned long long reserved;    /* of those: reserved by uploads in progress */
	unsigned long long recent;      /* uploads started within the window */
	unsigned long long active;      /* uploads and imports in progress */
};

/* An upload's reservation, written on the image in Glance (with the hook's
 * own credentials, before the first byte is forwarded) so that every node
 * counts it: when it started (the upload rate), the bytes it may still
 * bring (the total size) and when the claim lapses (a node or glance-api
 * that died). Clients may not write the namespace (quota_reserved_key). */
#define QUOTA_MARKER "scs_image_hook_upload"
#define QUOTA_MARKER_NS "scs_image_hook_"
/* A reservation on an image Glance still shows queued counts this long:
 * the gap between the marker and Glance's first byte. Later, a queued
 * image means the upload failed (Glance puts it back), so it is over. */
#define QUOTA_MARKER_GRACE 120
/* A reservation lapses this long after its start whatever Glance shows:
 * an image left `saving` by a glance-api that died frees its bytes. */
#define QUOTA_MARKER_TTL (24 * 3600)

struct quota_marker {
	long long start, until;         /* seconds since the epoch */
	unsigned long long bytes;       /* reserved */
};

/* "v1 start=S bytes=B until=U node=NODE req=ID" (at most 255 bytes, Glance's
 * property limit). */
void quota_marker_format(const struct quota_marker *m, const char *node, const char *req, char *out, size_t len);
/* 0, or -1 when s is not a marker (then it is ignored: counted as none). */
int quota_marker_parse(const char *s, struct quota_marker *m);

/* Is key in the namespace the hook reserves (ASCII case ignored, as a
 * database may compare property names)? */
int quota_reserved_key(const char *key);

/* One image of the project's list, as a decision needs it: nothing else
 * of the image is kept, however many properties it has. */
struct quota_image {
	char id[64];
	char status[16];
	long long size;                 /* -1: null (no data yet) */
	long long created_at;           /* -1: unknown */
	int has_marker, import_lock;    /* QUOTA_MARKER; os_glance_import_task */
	struct quota_marker marker;
};

/* Add one image to u. now and since (the window's start) in seconds; skip:
 * the image the request is about (counted in images and bytes only). */
void quota_count(struct quota_usage *u, const struct quota_image *im, long long now, long long since,
		 const char *skip);

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

/* Bytes an upload reserves: its declared size, else what it may carry
 * (its byte cap), else 0 when nothing caps it. */
unsigned long long quota_reserve(const struct quota_limits *l, const struct quota_usage *u, long long declared);

/* 1 when d has a quota violation that is not exempted. */
int quota_binding(const struct decision *d);

#endif
