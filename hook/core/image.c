/* image: yajl events folded into struct image, one image at a time. */
#include "core/image.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* ---- visibility --------------------------------------------------------- */

static const char *const vis_names[] = { "public", "community", "shared", "private" };

const char *visibility_name(enum visibility v) { return vis_names[v]; }

int visibility_parse(const char *s, enum visibility *out)
{
	for (int v = 0; v < VIS_COUNT; v++)
		if (!strcmp(s, vis_names[v])) {
			*out = (enum visibility)v;
			return 0;
		}
	return -1;
}

/* ---- the image ---------------------------------------------------------- */

static const char *arena_str(const struct image *img, uint32_t off)
{
	return img->arena.data + off;
}

/* Store s in the arena, each string with a NUL of its own; the offset,
 * or -1 when too big. Every key and value of every image comes here, so
 * it copies once and calls buf only to grow (three buffer calls a string
 * cost `check` a tenth of its instructions): the arena is reused image
 * after image and has room nearly always. */
static long arena_put(struct image *img, const unsigned char *s, size_t len)
{
	struct buf *a = &img->arena;
	size_t off = a->len;

	if (off + len + 1 > IMAGE_MAX_BYTES)
		return -1;
	if (a->cap - off < len + 2 && buf_reserve(a, len + 1) < 0)     /* the bytes, their NUL, buf's NUL */
		return -1;
	if (len)
		memcpy(a->data + off, s, len);
	a->data[off + len] = '\0';
	a->len = off + len + 1;
	a->data[a->len] = '\0';     /* reserved: the buffer's own NUL */
	return (long)off;
}

static void image_reset(struct image *img)
{
	struct buf arena = img->arena;
	struct prop *props = img->props;
	size_t pcap = img->props_cap;

	memset(img, 0, sizeof(*img));
	img->arena = arena;
	img->arena.len = 0;
	img->props = props;
	img->props_cap = pcap;
}

void image_release(struct image *img)
{
	buf_release(&img->arena);
	free(img->props);
	memset(img, 0, sizeof(*img));
}

static const struct prop *find(const struct image *img, const char *key, int nested)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < img->n_props; i++) {
		const struct prop *p = &img->props[i];
		if (p->nested == nested && p->klen == klen && !memcmp(arena_str(img, p->key), key, klen))
			return p;
	}
	return NULL;
}

const char *image_prop(const struct image *img, const char *key)
{
	const struct prop *p = find(img, key, 0);
	if (!p)
		p = find(img, key, 1);
	return p && p->type == PROP_STRING ? arena_str(img, p->val) : NULL;
}


static int same_value(const struct image *img, const struct prop *a, const struct prop *b)
{
	return a->type == b->type && a->vlen == b->vlen &&
	       !memcmp(arena_str(img, a->val), arena_str(img, b->val), a->vlen);
}

const char *image_scalar(const struct image *img, const char *key, enum prop_type *type)
{
	const struct prop *p = find(img, key, 0), *nested = find(img, key, 1);
	if (p && nested && !same_value(img, p, nested)) {
		*type = PROP_OTHER;
		return NULL;
	}
	if (!p)
		p = nested;
	if (!p)
		return NULL;
	*type = (enum prop_type)p->type;
	return arena_str(img, p->val);
}

/* The fields the core relies on, found in one pass over the properties. */
enum field { F_ID, F_NAME, F_OWNER, F_SOURCE, F_DISTRO, F_VERSION, F_PURPOSE, F_VISIBILITY,
	     F_HIDDEN, F_COUNT };
#define FIELD(s) { s, sizeof(s) - 1 }
static const struct {
	const char *name;
	size_t len;             /* known, not measured: every key of every image is looked up */
} fields[F_COUNT] = {
	FIELD("id"), FIELD("name"), FIELD("owner"), FIELD("image_source"), FIELD("os_distro"),
	FIELD("os_version"), FIELD("os_purpose"), FIELD("visibility"), FIELD("os_hidden"),
};
#undef FIELD

static int field_of(const char *key, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (fields[f].len == len && !memcmp(fields[f].name, key, len))
			return f;
	return -1;
}

/* A string field, or NULL. The same key at the top and under "properties"
 * with different values is refused: which one Glance would keep depends
 * on the client, and we must not decide on the other. */
static int string_field(const struct image *img, const struct prop *const at[2], int f,
			const char **out, size_t *len, char *err, size_t errlen)
{
	const struct prop *p = at[0] ? at[0] : at[1];

	*out = NULL;
	if (at[0] && at[1] && !same_value(img, at[0], at[1])) {
		snprintf(err, errlen, "field '%s' appears at the top and under 'properties' with different values",
			 fields[f].name);
		return -1;
	}
	if (!p || p->type == PROP_NULL || f == F_HIDDEN)
		return 0;
	if (p->type != PROP_STRING) {
		snprintf(err, errlen, "field '%s' must be a string", fields[f].name);
		return -1;
	}
	*out = arena_str(img, p->val);
	if (len)
		*len = p->vlen;
	return 0;
}

static int resolve(struct image *img, char *err, size_t errlen)
{
	const struct prop *at[F_COUNT][2] = { { 0 } };
	const char **str[F_COUNT] = { &img->id, &img->name, &img->owner, &img->image_source,
				      &img->os_distro, &img->os_version, &img->os_purpose };
	size_t *lens[F_COUNT] = { [F_NAME] = &img->name_len, [F_SOURCE] = &img->source_len };
	const char *vis = NULL, *hidden_unused;

	for (size_t i = 0; i < img->n_props; i++) {
		const struct prop *p = &img->props[i];
		int f = field_of(arena_str(img, p->key), p->klen);
		if (f >= 0)
			at[f][p->nested] = p;
	}
	str[F_VISIBILITY] = &vis;
	str[F_HIDDEN] = &hidden_unused;
	for (int f = 0; f < F_COUNT; f++)
		if (string_field(img, at[f], f, str[f], lens[f], err, errlen) < 0)
			return -1;
	img->visibility = VIS_SHARED;      /* Glance's default for a new image */
	img->visibility_given = vis != NULL;
	if (vis && visibility_parse(vis, &img->visibility) < 0) {
		snprintf(err, errlen, "field 'visibility' must be public, community, shared or private");
		return -1;
	}
	const struct prop *hidden = at[F_HIDDEN][0] ? at[F_HIDDEN][0] : at[F_HIDDEN][1];
	if (hidden && hidden->type != PROP_NULL && hidden->type != PROP_TRUE && hidden->type != PROP_FALSE) {
		snprintf(err, errlen, "field 'os_hidden' must be true or false");
		return -1;
	}
	img->os_hidden = hidden && hidden->type == PROP_TRUE;
	return 0;
}

/* ---- the reader -------------------------------------------------------- */

struct image_reader {
	yajl_handle h;
	image_cb cb;
	void *ctx;
	const char *name;
	struct image img;
	char err[256];              /* an error found inside a callback */
	int cb_stopped;

	unsigned line, image_line;
	size_t depth;               /* open containers */
	size_t image_depth;         /* depth of the image object: 1, or 2 inside an array */
	int in_array, array_closed, values;
	int in_props;               /* inside the image's "properties" object */
	long key, klen;             /* pending key (arena offset), -1 when none */
	size_t count;
	size_t image_bytes;         /* bytes fed since the image began */
	int bom;                    /* bytes of a leading byte order mark seen; 3: done */
	int nonblank;               /* anything but white space was fed */
};

static int fail(struct image_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return 0;                   /* yajl: stop parsing */
}

static int at_image_level(const struct image_reader *r)
{
	return r->depth == r->image_depth || (r->in_props && r->depth == r->image_depth + 1);
}

static int add_scalar(struct image_reader *r, enum prop_type type, const unsigned char *s, size_t len)
{
	struct image *img = &r->img;

	if (r->depth == 0 || (r->in_array && r->depth == 1))
		return fail(r, "expected an image (a JSON object), found a %s",
			    type == PROP_STRING ? "string" : type == PROP_OTHER ? "number" : "literal");
	if (!at_image_level(r) || r->key < 0)
		return 1;           /* inside a value we do not decide on (tags, locations...) */
	if (type == PROP_STRING && memchr(s, '\0', len))
		return fail(r, "field '%s' contains a NUL character", arena_str(img, (uint32_t)r->key));
	long val = arena_put(img, s, type == PROP_STRING || (type == PROP_OTHER && s) ? len : 0);
	if (val < 0 || grow(&img->props, &img->props_cap, img->n_props, sizeof(*img->props)) < 0)
		return fail(r, "an image is larger than %u MiB", IMAGE_MAX_BYTES >> 20);
	img->props[img->n_props++] = (struct prop){
		.key = (uint32_t)r->key, .klen = (uint32_t)r->klen, .val = (uint32_t)val,
		.vlen = type == PROP_STRING ? (uint32_t)len : 0, .type = (uint8_t)type,
		.nested = (uint8_t)(r->depth == r->image_depth + 1),
	};
	r->key = -1;
	return 1;
}

static int on_null(void *ctx) { return add_scalar(ctx, PROP_NULL, NULL, 0); }
static int on_bool(void *ctx, int b) { return add_scalar(ctx, b ? PROP_TRUE : PROP_FALSE, NULL, 0); }
static int on_number(void *ctx, const char *s, size_t len) { return add_scalar(ctx, PROP_OTHER, (const unsigned char *)s, len); }
static int on_string(void *ctx, const unsigned char *s, size_t len) { return add_scalar(ctx, PROP_STRING, s, len); }

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct image_reader *r = ctx;
	struct image *img = &r->img;

	if (!at_image_level(r))
		return 1;
	int nested = r->depth == r->image_depth + 1;
	size_t seen = 0;
	for (size_t i = 0; i < img->n_props; i++) {
		const struct prop *p = &img->props[i];
		seen += p->nested == nested;
		if (p->nested == nested && p->klen == len && !memcmp(arena_str(img, p->key), s, len))
			return fail(r, "duplicate key '%.*s'", (int)(len > 64 ? 64 : len), (const char *)s);
	}
	if (seen >= IMAGE_MAX_KEYS)
		return fail(r, "an image has more than %d keys", IMAGE_MAX_KEYS);
	if (memchr(s, '\0', len))
		return fail(r, "a key contains a NUL character");
	r->key = arena_put(img, s, len);
	r->klen = (long)len;
	if (r->key < 0)
		return fail(r, "an image is larger than %u MiB", IMAGE_MAX_BYTES >> 20);
	return 1;
}

/* A container as a value: only "properties" is looked into; any other
 * value we do not decide on is kept as PROP_OTHER so a type check sees it. */
static int open_container(struct image_reader *r, int is_map)
{
	struct image *img = &r->img;

	if (r->depth == 0 && !is_map) {
		if (r->values || r->in_array)
			return fail(r, "only one top-level array is allowed");
		r->in_array = 1;
		r->depth = 1;
		return 1;
	}
	if (r->depth == 0 || (r->in_array && r->depth == 1)) {
		if (!is_map)
			return fail(r, "expected an image (a JSON object), found an array");
		if (r->array_closed)
			return fail(r, "unexpected data after the closing ']'");
		image_reset(img);
		r->image_depth = r->depth + 1;
		r->image_line = r->line;
		r->image_bytes = 0;
		r->key = -1;
		r->depth++;
		r->values++;
		return 1;
	}
	if (r->depth == r->image_depth && r->key >= 0 && is_map && r->klen == 10 &&
	    !memcmp(arena_str(img, (uint32_t)r->key), "properties", 10)) {
		if (!add_scalar(r, PROP_OTHER, NULL, 0))
			return 0;
		r->in_props = 1;
		r->depth++;
		return 1;
	}
	if (at_image_level(r) && r->key >= 0 && !add_scalar(r, PROP_OTHER, NULL, 0))
		return 0;
	r->depth++;
	return 1;
}

static int close_container(struct image_reader *r)
{
	r->depth--;
	if (r->in_array && r->depth == 0) {
		r->array_closed = 1;
		return 1;
	}
	if (r->in_props && r->depth == r->image_depth) {
		r->in_props = 0;
		return 1;
	}
	if (r->depth + 1 != r->image_depth)
		return 1;
	char why[200];
	if (resolve(&r->img, why, sizeof(why)) < 0)
		return fail(r, "image %zu: %s", r->count + 1, why);
	r->count++;
	if (r->cb(&r->img, r->ctx) < 0) {
		r->cb_stopped = 1;
		return 0;
	}
	return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, 1); }
static int on_start_array(void *ctx) { return open_container(ctx, 0); }
static int on_end(void *ctx) { return close_container(ctx); }

static const yajl_callbacks callbacks = {
	.yajl_null = on_null, .yajl_boolean = on_bool, .yajl_number = on_number,
	.yajl_string = on_string, .yajl_start_map = on_start_map, .yajl_map_key = on_key,
	.yajl_end_map = on_end, .yajl_start_array = on_start_array, .yajl_end_array = on_end,
};

struct image_reader *image_reader_new(image_cb cb, void *ctx, const char *name)
{
	struct image_reader *r = xcalloc(1, sizeof(*r));

	r->h = yajl_alloc(&callbacks, NULL, r);
	if (!r->h) {
		free(r);
		return NULL;
	}
	/* JSON lines and concatenated objects; strings must be valid UTF-8. */
	yajl_config(r->h, yajl_allow_multiple_values, 1);
	r->cb = cb;
	r->ctx = ctx;
	r->name = name;
	r->line = 1;
	r->key = -1;
	return r;
}

static int report(struct image_reader *r, yajl_status st, const char *buf, size_t len,
		  char *err, size_t errlen)
{
	if (r->cb_stopped) {
		err[0] = '\0';
		return -1;
	}
	if (st == yajl_status_client_canceled) {
		err_at(err, errlen, r->name, r->line, 0, "%s", r->err);
		return -1;
	}
	unsigned char *msg = yajl_get_error(r->h, 0, (const unsigned char *)buf, len);
	err_at(err, errlen, r->name, r->line, 0, "invalid JSON: %s", msg ? (char *)msg : "?");
	if (msg)
		yajl_free_error(r->h, msg);
	/* yajl's messages end in a newline of their own */
	size_t n = strlen(err);
	while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
	return -1;
}

/* Fed a line at a time, so every message can name the line it is about. */
int image_reader_feed(struct image_reader *r, const char *buf, size_t len, char *err, size_t errlen)
{
	static const char bom[] = "\xEF\xBB\xBF";

	/* A byte order mark, as some editors write, is skipped at the start. */
	while (r->bom < 3 && len) {
		if (*buf != bom[r->bom]) {
			if (r->bom) {
				err_at(err, errlen, r->name, 1, 0, "invalid byte order mark");
				return -1;
			}
			r->bom = 3;
			break;
		}
		r->bom++;
		buf++;
		len--;
	}
	for (size_t i = 0; !r->nonblank && i < len; i++)
		r->nonblank = !memchr(" \t\r\n", buf[i], 4);
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;
		if (r->depth > 0 && (r->image_bytes += n) > IMAGE_MAX_BYTES) {
			err_at(err, errlen, r->name, r->line, 0, "an image is larger than %u MiB", IMAGE_MAX_BYTES >> 20);
			return -1;
		}
		yajl_status st = yajl_parse(r->h, (const unsigned char *)buf, n);
		if (st != yajl_status_ok)
			return report(r, st, buf, n, err, errlen);
		r->line += nl != NULL;
		buf += n;
		len -= n;
	}
	return 0;
}

int image_reader_end(struct image_reader *r, char *err, size_t errlen)
{
	if (r->depth > 0) {
		err_at(err, errlen, r->name, r->line, 0, "unexpected end of input inside %s",
		       r->in_array && r->depth == 1 ? "the array" : "an image");
		return -1;
	}
	if (!r->nonblank)
		return 0;           /* no input at all: no images, not a syntax error */
	yajl_status st = yajl_complete_parse(r->h);
	return st == yajl_status_ok ? 0 : report(r, st, "", 0, err, errlen);
}

size_t image_reader_count(const struct image_reader *r) { return r->count; }
unsigned image_reader_line(const struct image_reader *r) { return r->image_line; }

void image_reader_free(struct image_reader *r)
{
	if (!r)
		return;
	yajl_free(r->h);
	image_release(&r->img);
	free(r);
}

/* ---- one image ---------------------------------------------------------- */

struct one {
	struct image *out;
	int seen;
};

/* Hand the parsed image over to the caller's struct (arena included). */
static int take_one(struct image *img, void *ctx)
{
	struct one *o = ctx;
	if (o->seen++)
		return -1;
	image_release(o->out);
	*o->out = *img;
	memset(img, 0, sizeof(*img));
	return 0;
}

int image_parse(struct image *img, const char *buf, size_t len, char *err, size_t errlen)
{
	struct one o = { .out = img };
	struct image_reader *r = image_reader_new(take_one, &o, "request body");
	int rc = -1;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (image_reader_feed(r, buf, len, err, errlen) == 0 && image_reader_end(r, err, errlen) == 0) {
		rc = o.seen == 1 && !r->in_array ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "expected exactly one image object");
	} else if (o.seen > 1 && !err[0]) {
		snprintf(err, errlen, "expected exactly one image object");
	}
	image_reader_free(r);
	return rc;
}
