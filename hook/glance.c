#include "glance.h"

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

struct usage_walk {
	struct quota_usage *u;
	long long since;            /* window start, seconds since the epoch */
	const char *skip;           /* the image the request is about */
};

static int count_image(const char *text, size_t len, void *ctx)
{
	struct usage_walk *w = ctx;
	json_t *img = json_loadb(text, len, 0, NULL);
	const char *status = json_string_value(json_object_get(img, "status"));
	const char *id = json_string_value(json_object_get(img, "id"));
	json_t *size = json_object_get(img, "size");
	int self = id && w->skip && !strcmp(id, w->skip);

	w->u->images++;
	if (json_is_integer(size) && json_integer_value(size) > 0)
		w->u->bytes += (unsigned long long)json_integer_value(size);
	if (status && !self) {
		if (!strcmp(status, "saving") || !strcmp(status, "uploading") || !strcmp(status, "importing"))
			w->u->active++;
		if (strcmp(status, "queued") &&
		    datetime_parse(json_string_value(json_object_get(img, "created_at"))) >= w->since)
			w->u->recent++;
	}
	json_decref(img);
	return 0;
}

int glance_usage(struct glance *g, const char *owner, long long now, unsigned long long window_s,
		 const char *skip, struct quota_usage *u, char *err, size_t errlen)
{
	struct usage_walk w = { u, now - (long long)window_s, skip };
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
		if (glance_list(g, query, count_image, &w, err, errlen) < 0)
			return -1;
	}
	return 0;
}
