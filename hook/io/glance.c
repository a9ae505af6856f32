#include "io/glance.h"
#include "core/usage.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Glance's largest page (api_limit_max): fewer round trips. */
#define GLANCE_PAGE 1000

void glance_init(struct glance *g, struct http_client *h, const char *endpoint, const char *token)
{
	size_t n = strlen(endpoint);

	memset(g, 0, sizeof(*g));
	g->http = h;
	g->token = token;
	while (n && endpoint[n - 1] == '/')
		n--;
	if (n >= 3 && !strncmp(endpoint + n - 3, "/v2", 3))
		n -= 3;
	snprintf(g->root, sizeof(g->root), "%.*s", (int)n, endpoint);
}

static int get(struct glance *g, const char *url, struct http_resp *resp, char *err, size_t errlen)
{
	struct http_req req = { .url = url, .token = g->token };
	char why[512];

	g->requests++;
	if (http_do(g->http, &req, resp, err, errlen) < 0)
		return -1;
	if (resp->status == 200)
		return 0;
	http_error_text(resp, why, sizeof(why));
	snprintf(err, errlen, "%s: Glance answered HTTP %ld: %s", url, resp->status, why);
	return -1;
}

/* One page: hand over its images, return the next link (malloc'd) or NULL. */
static int page(struct glance *g, const char *url, glance_image_cb cb, void *ctx, char **next,
		char *err, size_t errlen)
{
	struct http_resp resp;
	json_error_t jerr;
	size_t i;
	json_t *img;
	int rc = 0;

	*next = NULL;
	if (get(g, url, &resp, err, errlen) < 0) {
		http_resp_free(&resp);
		return -1;
	}
	g->pages++;
	json_t *doc = json_loadb(resp.body, resp.len, 0, &jerr);
	json_t *images = json_object_get(doc, "images");
	if (!json_is_array(images)) {
		snprintf(err, errlen, "%s: not a Glance image list (%s)", url, doc ? "no 'images'" : jerr.text);
		rc = -1;
	}
	json_array_foreach(images, i, img) {
		char *text = json_dumps(img, JSON_COMPACT);
		rc = text ? cb(text, strlen(text), ctx) : -1;
		free(text);
		if (rc < 0)
			break;
	}
	const char *nx = json_string_value(json_object_get(doc, "next"));
	if (rc == 0 && nx && json_array_size(images) > 0)
		*next = strdup(nx);
	json_decref(doc);
	http_resp_free(&resp);
	return rc;
}

int glance_list(struct glance *g, const char *query, glance_image_cb cb, void *ctx, char *err, size_t errlen)
{
	char url[4096];
	char *next = NULL;

	snprintf(url, sizeof(url), "%s/v2/images?limit=%d%s%s", g->root, GLANCE_PAGE, query && *query ? "&" : "",
		 query ? query : "");
	for (;;) {
		if (page(g, url, cb, ctx, &next, err, errlen) < 0)
			return -1;
		if (!next)
			return 0;
		/* `next` is a path from the API root: /v2/images?marker=... */
		snprintf(url, sizeof(url), "%s%s", g->root, next);
		free(next);
	}
}

int glance_get(struct glance *g, const char *id, struct http_resp *out, char *err, size_t errlen)
{
	char url[2048];
	struct http_req req = { .url = url, .token = g->token };

	snprintf(url, sizeof(url), "%s/v2/images/%s", g->root, id);
	g->requests++;
	return http_do(g->http, &req, out, err, errlen);
}

/* ---- usage for the fair-use quotas ------------------------------------------ */

/* Small pages: a page is streamed, but each is one request Glance builds
 * whole; 100 images keep that bounded whatever their properties. */
#define USAGE_PAGE 100

struct usage_walk {
	struct quota_usage *u;
	long long now, since;       /* the window's start, seconds since the epoch */
	const char *skip;           /* the image the request is about */
	struct usage_reader *reader;
	char why[256];
};

static int count_image(const struct quota_image *im, void *ctx)
{
	struct usage_walk *w = ctx;
	quota_count(w->u, im, w->now, w->since, w->skip);
	return 0;
}

static int feed_page(const char *data, size_t len, void *ctx)
{
	struct usage_walk *w = ctx;
	return usage_reader_feed(w->reader, data, len, w->why, sizeof(w->why));
}

/* One page into w; its `next` link into next ("" on the last page). */
static int usage_page(struct glance *g, const char *url, struct usage_walk *w, char *next, size_t nextlen,
		      char *err, size_t errlen)
{
	struct http_req req = { .url = url, .token = g->token, .sink = feed_page, .sink_ctx = w };
	struct http_resp resp;
	char why[512];
	int rc = -1;

	w->why[0] = '\0';
	if (!(w->reader = usage_reader_new(count_image, w))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->requests++;
	if (http_do(g->http, &req, &resp, err, errlen) < 0) {
		if (w->why[0])
			snprintf(err, errlen, "%s: %s", url, w->why);
	} else if (resp.status != 200) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Glance answered HTTP %ld: %s", url, resp.status, why);
	} else if (usage_reader_end(w->reader, w->why, sizeof(w->why)) < 0) {
		snprintf(err, errlen, "%s: %s", url, w->why);
	} else {
		const char *nx = usage_reader_next(w->reader);
		snprintf(next, nextlen, "%s", nx && usage_reader_count(w->reader) ? nx : "");
		g->pages++;
		rc = 0;
	}
	http_resp_free(&resp);
	usage_reader_free(w->reader);
	w->reader = NULL;
	return rc;
}

static int usage_walk(struct glance *g, const char *query, struct usage_walk *w, char *err, size_t errlen)
{
	char url[USAGE_MAX_NEXT + 1100], next[USAGE_MAX_NEXT];

	snprintf(url, sizeof(url), "%s/v2/images?limit=%d&%s", g->root, USAGE_PAGE, query);
	for (;;) {
		if (usage_page(g, url, w, next, sizeof(next), err, errlen) < 0)
			return -1;
		if (!next[0])
			return 0;
		/* `next` is a path from the API root: /v2/images?marker=... */
		snprintf(url, sizeof(url), "%s%s", g->root, next);
	}
}

int glance_usage(struct glance *g, const char *owner, long long now, unsigned long long window_s,
		 const char *skip, struct quota_usage *u, char *err, size_t errlen)
{
	struct usage_walk w = { .u = u, .now = now, .since = now - (long long)window_s, .skip = skip };
	char query[256];

	memset(u, 0, sizeof(*u));
	if (!owner || !*owner || strspn(owner, "0123456789abcdefABCDEF-_") != strlen(owner) || strlen(owner) > 64) {
		snprintf(err, errlen, "cannot read the usage of project '%s': not a project id", owner ? owner : "");
		return -1;
	}
	/* Hidden images are listed only when asked for, and community ones
	 * only with visibility=all: two walks see every image of the owner. */
	for (int hidden = 0; hidden < 2; hidden++) {
		snprintf(query, sizeof(query), "owner=%s&visibility=all&os_hidden=%s", owner,
			 hidden ? "true" : "false");
		if (usage_walk(g, query, &w, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int glance_download(struct glance *g, const char *id, int (*sink)(const char *data, size_t len, void *ctx),
		    void *ctx, char *err, size_t errlen)
{
	struct http_client *h = g->http;
	long timeout = h->timeout_ms, idle = h->idle_ms;
	struct http_resp resp;
	char url[2048], why[512];
	struct http_req req = { .url = url, .token = g->token, .sink = sink, .sink_ctx = ctx };

	snprintf(url, sizeof(url), "%s/v2/images/%s/file", g->root, id);
	g->requests++;
	h->timeout_ms = 0;
	h->idle_ms = 60000;
	int rc = http_do(h, &req, &resp, err, errlen);
	h->timeout_ms = timeout;
	h->idle_ms = idle;
	if (rc < 0)
		return -1;
	if (resp.status == 204)
		rc = 1;
	else if (resp.status != 200) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Glance answered HTTP %ld: %s", url, resp.status, why);
		rc = -1;
	}
	http_resp_free(&resp);
	return rc;
}

static int discard(const char *data, size_t len, void *ctx)
{
	(void)data;
	(void)len;
	(void)ctx;
	return 0;
}

/* One request about image id: 0 when Glance answers ok (or also, when
 * set), else -1 with err saying what (e.g. "the deactivate of") failed.
 * resp is the caller's to free. */
static int ask(struct glance *g, struct http_req *req, struct http_resp *resp, long ok, long also, const char *what,
	       const char *id, char *err, size_t errlen)
{
	char why[512];

	g->requests++;
	int rc = http_do(g->http, req, resp, err, errlen);
	if (rc == 0 && resp->status != ok && resp->status != also) {
		http_error_text(resp, why, sizeof(why));
		snprintf(err, errlen, "Glance answered HTTP %ld to %s image %s: %s", resp->status, what, id, why);
		rc = -1;
	}
	return rc;
}

int glance_patch(struct glance *g, const char *id, const struct glance_op *ops, size_t n, char *err, size_t errlen)
{
	char url[2048], path[256], what[300];
	struct http_resp resp;
	json_t *patch = json_array();

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/%s", ops[i].key);
		json_t *op = json_pack("{s:s, s:s}", "op", ops[i].op, "path", path);
		if (ops[i].value)
			json_object_set(op, "value", ops[i].value);
		json_array_append_new(patch, op);
	}
	char *body = json_dumps(patch, JSON_COMPACT);
	json_decref(patch);
	if (!body) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof(url), "%s/v2/images/%s", g->root, id);
	snprintf(what, sizeof(what), "the %s of %s%s on", ops[0].op, ops[0].key, n > 1 ? " and more" : "");
	struct http_req req = { .method = "PATCH", .url = url, .token = g->token, .body = body,
				.body_len = strlen(body), .content_type = "application/openstack-images-v2.1-json-patch",
				.sink = discard };
	int rc = ask(g, &req, &resp, 200, 200, what, id, err, errlen);
	free(body);
	http_resp_free(&resp);
	return rc;
}

int glance_set_property(struct glance *g, const char *id, const char *key, const char *value, char *err,
			size_t errlen)
{
	json_t *v = json_string(value);
	struct glance_op op = { "add", key, v };
	int rc = glance_patch(g, id, &op, 1, err, errlen);
	json_decref(v);
	return rc;
}

int glance_remove_property(struct glance *g, const char *id, const char *key, char *err, size_t errlen)
{
	struct glance_op op = { "remove", key, NULL };
	return glance_patch(g, id, &op, 1, err, errlen);
}

int glance_action(struct glance *g, const char *id, const char *action, char *err, size_t errlen)
{
	char url[2048], what[64];
	struct http_req req = { .method = "POST", .url = url, .token = g->token, .sink = discard };
	struct http_resp resp;

	snprintf(url, sizeof(url), "%s/v2/images/%s/actions/%s", g->root, id, action);
	snprintf(what, sizeof(what), "the %.32s of", action);
	int rc = ask(g, &req, &resp, 204, 204, what, id, err, errlen);
	http_resp_free(&resp);
	return rc;
}

int glance_create(struct glance *g, const char *json, char *id, size_t idlen, char *err, size_t errlen)
{
	char url[2048];
	struct http_req req = { .method = "POST", .url = url, .token = g->token, .content_type = "application/json",
				.body = json, .body_len = strlen(json) };
	struct http_resp resp;

	snprintf(url, sizeof(url), "%s/v2/images", g->root);
	int rc = ask(g, &req, &resp, 201, 201, "creating", "(new)", err, errlen);
	if (rc == 0) {
		json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
		const char *made = json_string_value(json_object_get(doc, "id"));
		if (made)
			snprintf(id, idlen, "%s", made);
		else
			rc = -1, snprintf(err, errlen, "Glance's answer to a create names no image id");
		json_decref(doc);
	}
	http_resp_free(&resp);
	return rc;
}

int glance_upload(struct glance *g, const char *id, const char *data, size_t len, char *err, size_t errlen)
{
	char url[2048];
	struct http_req req = { .method = "PUT", .url = url, .token = g->token,
				.content_type = "application/octet-stream", .body = data, .body_len = len };
	struct http_resp resp;

	snprintf(url, sizeof(url), "%s/v2/images/%s/file", g->root, id);
	int rc = ask(g, &req, &resp, 204, 204, "uploading the data of", id, err, errlen);
	http_resp_free(&resp);
	return rc;
}

int glance_member_count(struct glance *g, const char *id, size_t *count, char *err, size_t errlen)
{
	char url[2048];
	struct http_req req = { .method = "GET", .url = url, .token = g->token };
	struct http_resp resp;

	snprintf(url, sizeof(url), "%s/v2/images/%s/members", g->root, id);
	int rc = ask(g, &req, &resp, 200, 200, "listing the members of", id, err, errlen);
	if (rc == 0) {
		json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
		json_t *members = json_object_get(doc, "members");
		if (json_is_array(members))
			*count = json_array_size(members);
		else
			rc = -1, snprintf(err, errlen, "Glance's members of image %s are not a list", id);
		json_decref(doc);
	}
	http_resp_free(&resp);
	return rc;
}

int glance_delete(struct glance *g, const char *id, char *err, size_t errlen)
{
	char url[2048];
	struct http_req req = { .method = "DELETE", .url = url, .token = g->token };
	struct http_resp resp;

	snprintf(url, sizeof(url), "%s/v2/images/%s", g->root, id);
	int rc = ask(g, &req, &resp, 204, 404, "deleting", id, err, errlen);
	http_resp_free(&resp);
	return rc;
}
