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
