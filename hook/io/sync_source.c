/* sync_source: the vendor's newest build of a catalog entry, read from
 * the vendor's metadata (through origin.fetch) and held to the vendor's
 * checksum list: the list stays the trust anchor, and the metadata's
 * digest must agree with it. A build whose file lies under no origin is
 * not published: sync publishes only what an origin can verify. */
#include "io/sync_source.h"
#include "core/builds.h"
#include "core/util.h"
#include "io/vendor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET url (after origin.fetch) into resp: 0, or -2 (the vendor could not
 * be read) with why. */
static int fetch(struct sync_run *s, const char *url, struct http_resp *resp, char *why, size_t len)
{
	char *from = origin_fetch_url(&s->p->origin, url), err[1024];
	struct http_req req = { .url = from };
	size_t max = s->vendor_http->max_body;
	int rc;

	s->vendor_http->max_body = BUILDS_MAX_TEXT;
	rc = http_do(s->vendor_http, &req, resp, err, sizeof(err));
	s->vendor_http->max_body = max;
	if (rc < 0)
		snprintf(why, len, "cannot read %s: %s", url, err);
	else if (resp->status != 200)
		rc = -1, snprintf(why, len, "%s answered HTTP %ld", from, resp->status);
	free(from);
	return rc < 0 ? -2 : 0;
}

static const char *property(const struct catalog_entry *e, const char *key)
{
	for (size_t i = 0; i < e->n_props; i++)
		if (!strcmp(e->keys[i], key))
			return e->values[i];
	return NULL;
}

/* A stream file's text into resp: with the source's keys, only the text
 * its clearsigned message vouches for (vendor.c verifies it as it does a
 * clearsigned list); without, as fetched. 0, -1 refused, -2 unreadable. */
static int stream_file(struct sync_run *s, const struct catalog_source *src, const char *url, struct http_resp *resp,
		       char *why, size_t len)
{
	struct origin_expect out;

	if (!src->n_keys && s->p->origin.signed_only)
		return snprintf(why, len, "%s is read unsigned (its source names no keys), and origin.signed_only refuses "
				"what no signature vouches for", url), -1;
	if (!src->n_keys)
		return fetch(s, url, resp, why, len);
	memset(resp, 0, sizeof(*resp));
	if (vendor_read_signed(s->vendor, url, BUILDS_MAX_TEXT, (const char (*)[ORIGIN_FPR_LEN + 1])src->keys,
			       src->n_keys, &resp->body, &resp->len, &out) < 0)
		return snprintf(why, len, "%s", out.why), out.status == ORIGIN_UNAVAILABLE ? -2 : -1;
	resp->status = 200;
	return 0;
}

static int streams(struct sync_run *s, const struct catalog_source *src, struct build *b, char *why, size_t len)
{
	struct http_resp resp = { 0 };
	char *path = NULL, err[1024];
	int rc = stream_file(s, src, src->index, &resp, why, len);

	if (rc < 0)
		goto out;
	rc = -1;
	if (builds_streams_index(resp.body, resp.len, src, &path, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s: %s", src->index, err);
		goto out;
	}
	http_resp_free(&resp);
	size_t n = strlen(src->base) + strlen(path) + 1;
	char *url = xcalloc(n, 1);
	snprintf(url, n, "%s%s", src->base, path);
	if ((rc = stream_file(s, src, url, &resp, why, len)) == 0 &&
	    (rc = builds_streams_newest(resp.body, resp.len, src, b, err, sizeof(err))) < 0)
		snprintf(why, len, "%s: %s", url, err);
	free(url);
out:
	free(path);
	http_resp_free(&resp);
	return rc;
}

static int debian(struct sync_run *s, const struct catalog_entry *e, struct build *b, char *why, size_t len)
{
	const char *version = property(e, "os_version");
	struct http_resp resp = { 0 };
	char err[1024];
	int rc;

	if (!version)
		return snprintf(why, len, "a debian-build-json source needs the image's os_version property (the N of "
				"debian-N-...json)"), -1;
	char *url = builds_debian_url(&e->source, version);
	if ((rc = fetch(s, url, &resp, why, len)) == 0 &&
	    (rc = builds_debian(resp.body, resp.len, &e->source, b, err, sizeof(err))) < 0)
		snprintf(why, len, "%s: %s", url, err);
	free(url);
	http_resp_free(&resp);
	return rc;
}

/* The newest build a directory's verified list names (the origin's list,
 * as vendor.c fetched, verified and cached it). */
static int checksum_list(struct sync_run *s, const struct catalog_source *src, struct build *b, char *why, size_t len)
{
	struct origin_expect out;
	struct sums list;
	char err[1024];
	int rc;

	if (!vendor_dir_list(s->vendor, &s->p->origins, src->dir, &list, &out))
		return snprintf(why, len, "'%s' lies under no origin of the policy: a checksum-list source reads the "
				"origin's list of its directory (add the vendor to the origins)", src->dir), -1;
	if (out.status != ORIGIN_LISTED)
		return snprintf(why, len, "'%s': %s", src->dir, out.why), out.status == ORIGIN_UNAVAILABLE ? -2 : -1;
	if ((rc = builds_listed(&list, src, s->p->mctx, b, err, sizeof(err))) < 0)
		snprintf(why, len, "%s: %s", out.list_url, err);
	sums_free(&list);
	return rc;
}

/* The metadata's build against the origin's list of its directory. */
static int listed(struct sync_run *s, struct build *b, struct origin_expect *e, int *refused, char *why, size_t len)
{
	int under = vendor_expect_source(s->vendor, &s->p->origins, b->image_source, strlen(b->image_source), e);

	*refused = 1;
	if (!under)
		return snprintf(why, len, "'%s' lies under no origin of the policy: sync publishes only files an origin "
				"can verify (add the vendor to the origins)", b->image_source), -1;
	if (e->status == ORIGIN_UNAVAILABLE)
		*refused = 0;
	if (e->status != ORIGIN_LISTED)
		return snprintf(why, len, "'%s': %s", b->image_source, e->why), -1;
	if (b->digest[0] && (e->algo != b->algo || strcmp(e->expected, b->digest)))
		return snprintf(why, len, "'%s': the metadata says %s %s, the vendor's list %s says %s %s", b->image_source,
				sums_algo_name(b->algo), b->digest, e->list_url, sums_algo_name(e->algo), e->expected), -1;
	b->algo = e->algo;
	snprintf(b->digest, sizeof(b->digest), "%s", e->expected);
	return 0;
}

int sync_source_newest(struct sync_run *s, const struct catalog_entry *e, struct build *b, struct origin_expect *listed_e,
		       int *refused, char *why, size_t len)
{
	int rc;

	memset(b, 0, sizeof(*b));
	*refused = 1;
	switch (e->source.format) {
	case CATALOG_SIMPLESTREAMS:
		rc = streams(s, &e->source, b, why, len);
		break;
	case CATALOG_DEBIAN_JSON:
		rc = debian(s, e, b, why, len);
		break;
	default:
		rc = checksum_list(s, &e->source, b, why, len);
		break;
	}
	/* a vendor out of reach is a failure; metadata not of its format a refusal */
	if (rc < 0) {
		*refused = rc == -1;
		build_free(b);
		return -1;
	}
	if (listed(s, b, listed_e, refused, why, len) < 0) {
		build_free(b);
		return -1;
	}
	return 0;
}
