/* usage: one page of Glance's image list (GET /v2/images), read as a
 * stream of yajl events into struct quota_image, one image at a time.
 * Only what a quota decision needs is kept (id, status, size, created_at,
 * the hook's marker, Glance's import lock): memory does not grow with the
 * images' properties, however many or large. Pure: bytes in, images out. */
#include "core/usage.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

enum field { F_NONE, F_ID, F_STATUS, F_SIZE, F_CREATED, F_MARKER, F_LOCK, F_NEXT };

struct usage_reader {
	yajl_handle y;
	usage_cb cb;
	void *ctx;
	int depth;                  /* 1: the page object, 2: the images array, 3: an image */
	int in_images;              /* the array under "images" is open */
	enum field field;           /* the key whose value comes next */
	struct quota_image im;
	char next[USAGE_MAX_NEXT];
	int stopped;
	size_t count;
	char why[160];
};

static int fail(struct usage_reader *r, const char *what)
{
	snprintf(r->why, sizeof(r->why), "%s", what);
	return 0;
}

/* A scalar where the list holds its images is no image. */
static int stray(struct usage_reader *r)
{
	return r->depth == 2 ? !fail(r, "not a Glance image list (an item that is no image)") : 0;
}

static void copy(char *dst, size_t cap, const unsigned char *s, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct usage_reader *r = ctx;
	struct quota_image *im = &r->im;

	if (stray(r))
		return 0;
	switch (r->field) {
	case F_ID:
		if (len >= sizeof(im->id))
			return fail(r, "an image id longer than 63 bytes");
		copy(im->id, sizeof(im->id), s, len);
		break;
	case F_STATUS:
		copy(im->status, sizeof(im->status), s, len);
		break;
	case F_CREATED: {
		char t[40];
		copy(t, sizeof(t), s, len);
		im->created_at = datetime_parse(t);
		break;
	}
	case F_MARKER: {
		char m[256];
		copy(m, sizeof(m), s, len);
		im->has_marker = quota_marker_parse(m, &im->marker) == 0;
		break;
	}
	case F_LOCK:
		im->import_lock = len > 0;
		break;
	case F_NEXT:
		if (len >= sizeof(r->next))
			return fail(r, "a 'next' link longer than the hook reads");
		copy(r->next, sizeof(r->next), s, len);
		break;
	default:
		break;
	}
	r->field = F_NONE;
	return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct usage_reader *r = ctx;

	if (stray(r))
		return 0;
	if (r->field == F_SIZE) {
		char t[24];
		char *end;
		if (len >= sizeof(t))
			return fail(r, "an image size out of range");
		copy(t, sizeof(t), (const unsigned char *)s, len);
		long long v = strtoll(t, &end, 10);
		if (*end || v < 0)
			return fail(r, "an image size that is not a whole number of bytes");
		r->im.size = v;
	}
	r->field = F_NONE;
	return 1;
}

static int on_scalar(void *ctx)
{
	struct usage_reader *r = ctx;

	r->field = F_NONE;
	return !stray(r);
}

static int on_bool(void *ctx, int b)
{
	(void)b;
	return on_scalar(ctx);
}

static int on_map_key(void *ctx, const unsigned char *k, size_t len)
{
	static const struct { const char *name; enum field f; } image_keys[] = {
		{ "id", F_ID }, { "status", F_STATUS }, { "size", F_SIZE }, { "created_at", F_CREATED },
		{ QUOTA_MARKER, F_MARKER }, { "os_glance_import_task", F_LOCK },
	};
	struct usage_reader *r = ctx;

	r->field = F_NONE;
	if (r->depth == 1) {
		if (len == 4 && !memcmp(k, "next", 4))
			r->field = F_NEXT;
		else if (len == 6 && !memcmp(k, "images", 6) && r->in_images == 0)
			r->in_images = -1;      /* the array that follows */
		return 1;
	}
	if (r->depth != 3)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(image_keys); i++)
		if (strlen(image_keys[i].name) == len && !memcmp(k, image_keys[i].name, len))
			r->field = image_keys[i].f;
	return 1;
}

static int on_start_map(void *ctx)
{
	struct usage_reader *r = ctx;

	r->field = F_NONE;
	if (r->depth == 0 || (r->depth == 2 && r->in_images == 1)) {
		if (r->depth == 2) {
			memset(&r->im, 0, sizeof(r->im));
			r->im.size = -1;
			r->im.created_at = -1;
		}
		r->depth++;
		return 1;
	}
	if (r->depth < 3)
		return fail(r, "not a Glance image list");
	r->depth++;                 /* a nested object of an image: skipped */
	return 1;
}

static int on_end_map(void *ctx)
{
	struct usage_reader *r = ctx;

	if (r->depth == 3 && r->in_images == 1) {
		r->count++;
		if (r->cb(&r->im, r->ctx) < 0) {
			r->stopped = 1;
			return 0;
		}
	}
	r->depth--;
	return 1;
}

static int on_start_array(void *ctx)
{
	struct usage_reader *r = ctx;

	r->field = F_NONE;
	if (r->depth == 1 && r->in_images == -1) {
		r->in_images = 1;
		r->depth++;
		return 1;
	}
	if (r->depth < 3)
		return fail(r, "not a Glance image list");
	r->depth++;
	return 1;
}

static int on_end_array(void *ctx)
{
	struct usage_reader *r = ctx;

	if (r->depth == 2 && r->in_images == 1)
		r->in_images = 2;       /* closed: a second "images" is not read */
	r->depth--;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_scalar,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

struct usage_reader *usage_reader_new(usage_cb cb, void *ctx)
{
	struct usage_reader *r = xcalloc(1, sizeof(*r));

	r->cb = cb;
	r->ctx = ctx;
	r->y = yajl_alloc(&callbacks, NULL, r);
	if (!r->y) {
		free(r);
		return NULL;
	}
	return r;
}

static int status_of(struct usage_reader *r, yajl_status st, const unsigned char *buf, size_t len, char *err,
		     size_t errlen)
{
	if (st == yajl_status_ok)
		return 0;
	if (r->stopped) {
		if (errlen)
			err[0] = '\0';
		return -1;
	}
	if (r->why[0]) {
		snprintf(err, errlen, "%s", r->why);
	} else {
		unsigned char *msg = yajl_get_error(r->y, 0, buf, len);
		snprintf(err, errlen, "not JSON: %s", msg ? (const char *)msg : "parse error");
		if (msg)
			yajl_free_error(r->y, msg);
	}
	return -1;
}

int usage_reader_feed(struct usage_reader *r, const char *buf, size_t len, char *err, size_t errlen)
{
	return status_of(r, yajl_parse(r->y, (const unsigned char *)buf, len), (const unsigned char *)buf, len,
			 err, errlen);
}

int usage_reader_end(struct usage_reader *r, char *err, size_t errlen)
{
	if (status_of(r, yajl_complete_parse(r->y), NULL, 0, err, errlen) < 0)
		return -1;
	if (r->in_images != 2) {
		snprintf(err, errlen, "not a Glance image list (no 'images' array)");
		return -1;
	}
	return 0;
}

const char *usage_reader_next(const struct usage_reader *r)
{
	return r->next[0] ? r->next : NULL;
}

size_t usage_reader_count(const struct usage_reader *r)
{
	return r->count;
}

void usage_reader_free(struct usage_reader *r)
{
	if (!r)
		return;
	yajl_free(r->y);
	free(r);
}
