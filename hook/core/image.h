/* image: one image as the core sees it, read from Glance's JSON shapes.
 *
 * Images are parsed as a stream with yajl (no tree): every top-level
 * scalar and every scalar under an OSC-style "properties" object is kept
 * in a per-image arena reused from one image to the next, so reading a
 * million images costs no allocation after the first. */
#ifndef SCS_IMAGE_H
#define SCS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/policy.h"

/* Glance's visibility names (enum visibility, policy.h). */
const char *visibility_name(enum visibility v);
int visibility_parse(const char *s, enum visibility *out);

/* Bounds on one image: beyond them it is an input error, not an allocation. */
#define IMAGE_MAX_BYTES (16u << 20)
#define IMAGE_MAX_KEYS 1024

enum prop_type { PROP_STRING, PROP_NULL, PROP_TRUE, PROP_FALSE, PROP_OTHER };

struct prop {
	uint32_t key, klen, val, vlen;  /* offsets into the arena */
	uint8_t type;
	uint8_t nested;                 /* under "properties" */
};

struct image {
	const char *id, *name, *owner;
	const char *image_source, *os_distro, *os_version, *os_purpose;
	size_t name_len, source_len;
	enum visibility visibility;
	int visibility_given;           /* 0: Glance's default (shared) was assumed */
	int os_hidden;

	struct buf arena;               /* the strings, each NUL-terminated */
	struct prop *props;
	size_t n_props, props_cap;
};

/* A string property, wherever the shape keeps it; NULL when absent or not a string. */
const char *image_prop(const struct image *img, const char *key);
/* Any scalar (a number's text too) and its type; NULL when absent, and
 * NULL with PROP_OTHER when the top and "properties" disagree (which one
 * Glance keeps depends on the client). A container is PROP_OTHER with
 * empty text. */
const char *image_scalar(const struct image *img, const char *key, enum prop_type *type);
void image_release(struct image *img);

/* Parse exactly one image object (a request body, a Glance answer). */
int image_parse(struct image *img, const char *buf, size_t len, char *err, size_t errlen);

/* Streaming: one object, an array of objects, or objects one after the
 * other (JSON lines). cb sees each image when its closing brace arrives;
 * returning < 0 stops the stream. */
typedef int (*image_cb)(struct image *img, void *ctx);
struct image_reader;

struct image_reader *image_reader_new(image_cb cb, void *ctx, const char *name);
/* 0, or -1 with "name:line: what" in err (after cb stopped: err is empty). */
int image_reader_feed(struct image_reader *r, const char *buf, size_t len, char *err, size_t errlen);
int image_reader_end(struct image_reader *r, char *err, size_t errlen);
size_t image_reader_count(const struct image_reader *r);
/* Line on which the current image started, for callers' messages. */
unsigned image_reader_line(const struct image_reader *r);
void image_reader_free(struct image_reader *r);

#endif
