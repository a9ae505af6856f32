/* glance: the Glance v2 client: list images with paging, get one image. */
#ifndef SCS_GLANCE_H
#define SCS_GLANCE_H

#include <jansson.h>
#include <stddef.h>

#include "io/http.h"
#include "core/quota.h"

struct glance {
	struct http_client *http;
	char root[1024];            /* endpoint without a trailing / or /v2 */
	const char *token;
	size_t pages, requests;
};

void glance_init(struct glance *g, struct http_client *h, const char *endpoint, const char *token);

/* Each image of GET /v2/images?QUERY, following `next` links, is handed to
 * cb as its JSON text. cb returning < 0 stops. 0, or -1 with err. */
typedef int (*glance_image_cb)(const char *json, size_t len, void *ctx);
int glance_list(struct glance *g, const char *query, glance_image_cb cb, void *ctx, char *err, size_t errlen);

/* GET /v2/images/ID into out (status 200 or the error status). */
int glance_get(struct glance *g, const char *id, struct http_resp *out, char *err, size_t errlen);

/* Stream image id's data (GET /v2/images/ID/file) to sink as it arrives,
 * with no overall time limit (images are GiBs) but none of more than a
 * minute without a byte. 0; 1 when the image has no data; -1 with err. */
int glance_download(struct glance *g, const char *id, int (*sink)(const char *data, size_t len, void *ctx),
		    void *ctx, char *err, size_t errlen);

/* A project's usage for the fair-use quotas: every image it owns, hidden
 * or not (g's token must see them all: the hook's service token). The
 * image `skip` is counted in images and bytes only. 0, or -1 with err. */
int glance_usage(struct glance *g, const char *owner, long long now, unsigned long long window_s,
		 const char *skip, struct quota_usage *u, char *err, size_t errlen);

/* One operation of a JSON patch: op "add", "replace" or "remove" of the
 * property or attribute key, with value (NULL for remove; not stolen). */
struct glance_op {
	const char *op, *key;
	json_t *value;
};
/* The operations applied to image id at once (one PATCH: all or none).
 * 0, or -1 with err. */
int glance_patch(struct glance *g, const char *id, const struct glance_op *ops, size_t n, char *err, size_t errlen);

/* Set one property of image id (JSON-patch add: replaces a value there).
 * 0, or -1 with err. */
int glance_set_property(struct glance *g, const char *id, const char *key, const char *value, char *err,
			size_t errlen);

int glance_remove_property(struct glance *g, const char *id, const char *key, char *err, size_t errlen);
/* POST /v2/images/ID/actions/ACTION (deactivate, reactivate). 0, or -1 with err. */
int glance_action(struct glance *g, const char *id, const char *action, char *err, size_t errlen);
/* How many members image id has (any status). 0, or -1 with err. */
int glance_member_count(struct glance *g, const char *id, size_t *count, char *err, size_t errlen);

/* POST /v2/images with json; the new image's id into id. 0, or -1 with err. */
int glance_create(struct glance *g, const char *json, char *id, size_t idlen, char *err, size_t errlen);
/* PUT the image's data (small: held in memory). 0, or -1 with err. */
int glance_upload(struct glance *g, const char *id, const char *data, size_t len, char *err, size_t errlen);

/* DELETE the image (gone already counts as done). 0, or -1 with err. */
int glance_delete(struct glance *g, const char *id, char *err, size_t errlen);

#endif
