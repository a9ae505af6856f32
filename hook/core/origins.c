/* origins: vendors as data and where an image_source leads; see origins.h. */
#include "core/origins.h"
#include "core/uri.h"
#include "core/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URLs (curl's parser) ----------------------------------------------- */

/* What curl makes of s: 0 with the scheme, or -1 when it is no URL, or it
 * carries credentials, a query or a fragment (never part of a vendor's
 * file name), or curl would write it differently (so that comparing
 * bytes compares URLs). */
static int url_plain(const char *s, char scheme[8], const char **why)
{
	CURLU *u = curl_url();
	char *part = NULL, *url = NULL;
	int rc = -1;

	*why = "is not a URL";
	if (!u || curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK)
		goto out;
	*why = "has credentials, a query or a fragment";
	static const CURLUPart extra[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
					   CURLUPART_FRAGMENT };
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		CURLUcode got = curl_url_get(u, extra[i], &part, 0);
		curl_free(part);
		part = NULL;
		if (got == CURLUE_OK)
			goto out;
	}
	*why = "is not written as curl writes it (lowercase scheme, no dot segments)";
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK || strcmp(url, s) ||
	    curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK || strlen(part) >= 8)
		goto out;
	strcpy(scheme, part);
	rc = 0;
out:
	curl_free(part);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

/* Where the path starts: after "scheme://authority". */
static size_t path_at(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	return (size_t)(p + strcspn(p, "/") - url);
}

/* A prefix as origins and fetch maps take it: plain, lowercase host,
 * https (or http where allowed: a mirror inside the cloud), a directory. */
static int want_prefix(struct yconf *y, const struct ynode *n, const char *what, int allow_http)
{
	char scheme[8];
	const char *why, *s = n->value;
	size_t at = path_at(s);

	if (url_plain(s, scheme, &why) < 0)
		return yc_fail(y, n, "%s '%s' %s", what, s, why);
	if ((strcmp(scheme, "https") && (!allow_http || strcmp(scheme, "http"))) ||
	    strcspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < at)
		return yc_fail(y, n, "%s '%s' must be an %s URL with a lowercase host", what, s,
			       allow_http ? "http or https" : "https");
	if (s[strlen(s) - 1] != '/' || strchr(s + at, '%'))
		return yc_fail(y, n, "%s '%s' must end in '/' and have no percent-encoding", what, s);
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* A file beside the image file: one plain name. */
static int load_file_name(struct yconf *y, const struct ynode *n, const char *what, char **out)
{
	if (yc_string(y, n, what, out) < 0)
		return -1;
	if (strpbrk(*out, "/\\%?#") || !strcmp(*out, ".") || !strcmp(*out, ".."))
		return yc_fail(y, n, "%s '%s' must be a file name in the image file's directory", what, *out);
	return 0;
}

/* 40 hex digits; spaces (as gpg prints them) dropped, letters uppercased. */
static int load_fingerprint(struct yconf *y, const struct ynode *n, char out[ORIGIN_FPR_LEN + 1])
{
	const char *c;
	size_t k = 0;

	if (yc_want(y, n, YNODE_SCALAR, "a key fingerprint") < 0)
		return -1;
	for (c = n->value; *c; c++) {
		if (*c == ' ')
			continue;
		if (k == ORIGIN_FPR_LEN || !isxdigit((unsigned char)*c))
			break;
		out[k++] = (char)toupper((unsigned char)*c);
	}
	out[k] = '\0';
	if (*c || k != ORIGIN_FPR_LEN)
		return yc_fail(y, n, "a key fingerprint must be %d hex digits (spaces allowed), not '%s'",
			       ORIGIN_FPR_LEN, n->value);
	return 0;
}

static int load_keys(struct yconf *y, const struct ynode *n, struct origin *o)
{
	if (yc_want(y, n, YNODE_SEQ, "keys") < 0)
		return -1;
	if (n->n == 0)
		return yc_fail(y, n, "keys must list at least one fingerprint");
	o->keys = xcalloc(n->n, sizeof(*o->keys));
	for (; o->n_keys < n->n; o->n_keys++)
		if (load_fingerprint(y, n->items[o->n_keys], o->keys[o->n_keys]) < 0)
			return -1;
	return 0;
}

static int load_origin(struct yconf *y, const struct ynode *n, struct origin *o)
{
	static const char *const keys[] = { "prefix", "checksums", "signature", "keys", NULL };
	struct ynode *v, *sig = NULL, *fprs = NULL;

	o->line = n->line;
	if (yc_want(y, n, YNODE_MAP, "an origin") < 0 || yc_keys(y, n, keys, "an origin") < 0 ||
	    yc_need(y, n, "prefix", "an origin", &v) < 0 || yc_string(y, v, "prefix", &o->prefix) < 0 ||
	    want_prefix(y, v, "prefix", 0) < 0 || yc_need(y, n, "checksums", "an origin", &v) < 0 ||
	    load_file_name(y, v, "checksums", &o->checksums) < 0)
		return -1;
	if (sums_algo_of_file(o->checksums, &o->algo) < 0)
		return yc_fail(y, v, "checksums '%s': the list's name tells its algorithm: SHA256SUMS or SHA512SUMS",
			       o->checksums);
	if ((sig = ymap_get(n, "signature")) && load_file_name(y, sig, "signature", &o->signature) < 0)
		return -1;
	if ((fprs = ymap_get(n, "keys")) && load_keys(y, fprs, o) < 0)
		return -1;
	if (!sig != !fprs)
		return yc_fail(y, n, sig ? "an origin with a signature needs 'keys': the fingerprints of its signers"
					 : "an origin with 'keys' needs the 'signature' file they sign");
	return 0;
}

int origins_load(struct yconf *y, const struct ynode *root, struct origins *o)
{
	static const char *const keys[] = { "origins", NULL };
	struct ynode *v;

	if (yc_keys(y, root, keys, "an origins file") < 0 || yc_need(y, root, "origins", "an origins file", &v) < 0 ||
	    yc_want(y, v, YNODE_SEQ, "origins") < 0)
		return -1;
	if (v->n == 0)
		return yc_fail(y, v, "origins must list at least one origin");
	o->o = xcalloc(v->n, sizeof(*o->o));
	for (size_t i = 0; i < v->n; i++) {
		o->n = i + 1;
		if (load_origin(y, v->items[i], &o->o[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(o->o[j].prefix, o->o[i].prefix))
				return yc_fail(y, v->items[i], "prefix '%s' is already an origin (line %u)", o->o[i].prefix,
					       o->o[j].line);
	}
	return 0;
}

void origins_free(struct origins *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->o[i].prefix);
		free(o->o[i].checksums);
		free(o->o[i].signature);
		free(o->o[i].keys);
	}
	free(o->o);
	o->o = NULL;
	o->n = 0;
}

static int load_fetch(struct yconf *y, const struct ynode *n, struct origin_config *c)
{
	if (yc_want(y, n, YNODE_MAP, "origin.fetch") < 0)
		return -1;
	c->fetch = xcalloc(n->n ? n->n : 1, sizeof(*c->fetch));
	for (size_t i = 0; i < n->n; i++) {
		struct origin_fetch *f = &c->fetch[c->n_fetch++];
		if (yc_string(y, ymap_key(n, i), "an origin.fetch prefix", &f->from) < 0 ||
		    want_prefix(y, ymap_key(n, i), "origin.fetch prefix", 0) < 0 ||
		    yc_string(y, ymap_val(n, i), "an origin.fetch target", &f->to) < 0 ||
		    want_prefix(y, ymap_val(n, i), "origin.fetch target", 1) < 0)
			return -1;
	}
	return 0;
}

static int load_readback(struct yconf *y, const struct ynode *n, struct origin_config *c)
{
	static const char *const keys[] = { "max_seconds", "max_bytes", NULL };
	struct ynode *v;
	unsigned long long s;

	if (yc_want(y, n, YNODE_MAP, "origin.readback") < 0 || yc_keys(y, n, keys, "origin.readback") < 0)
		return -1;
	if ((v = ymap_get(n, "max_seconds"))) {
		if (yc_uint(y, v, "origin.readback.max_seconds", 0, 86400, &s) < 0)
			return -1;
		c->readback_ms = (long)s * 1000;
	}
	if ((v = ymap_get(n, "max_bytes")) && yc_size(y, v, "origin.readback.max_bytes", &c->readback_bytes) < 0)
		return -1;
	return 0;
}

int origin_config_load(struct yconf *y, const struct ynode *n, struct origin_config *c)
{
	static const char *const keys[] = { "keyring", "fetch", "cache", "readback", "import_plugin", "trust_records",
					    NULL };
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, "origin") < 0 || yc_keys(y, n, keys, "origin") < 0)
		return -1;
	if ((v = ymap_get(n, "keyring")) && yc_string(y, v, "origin.keyring", &c->keyring) < 0)
		return -1;
	if ((v = ymap_get(n, "fetch")) && load_fetch(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(n, "cache")) && yc_duration_ms(y, v, "origin.cache", &c->cache_ms) < 0)
		return -1;
	if ((v = ymap_get(n, "readback")) && load_readback(y, v, c) < 0)
		return -1;
	if ((v = ymap_get(n, "import_plugin")) && yc_bool(y, v, "origin.import_plugin", &c->import_plugin) < 0)
		return -1;
	if ((v = ymap_get(n, "trust_records")) && yc_bool(y, v, "origin.trust_records", &c->trust_records) < 0)
		return -1;
	return 0;
}

void origin_config_free(struct origin_config *c)
{
	free(c->keyring);
	for (size_t i = 0; i < c->n_fetch; i++) {
		free(c->fetch[i].from);
		free(c->fetch[i].to);
	}
	free(c->fetch);
	memset(c, 0, sizeof(*c));
}

/* ---- lookup ------------------------------------------------------------- */

static int under(const char *prefix, const char *url)
{
	size_t at = path_at(prefix), n = strlen(prefix);
	return !strncasecmp(prefix, url, at) && !strncmp(prefix + at, url + at, n - at);
}

static int refuse(char *err, size_t errlen, const char *url, const struct origin *o, const char *why)
{
	/* the URL last: a long one is cut, the reason never */
	snprintf(err, errlen, "image_source lies under the origin '%s' but %s, so the vendor's %s cannot vouch for "
		 "it: '%s'", o->prefix, why, o->checksums, url);
	return -1;
}

static char *join(const char *dir, size_t dir_len, const char *file)
{
	size_t n = dir_len + strlen(file) + 1;
	char *s = xcalloc(n, 1);
	snprintf(s, n, "%.*s%s", (int)dir_len, dir, file);
	return s;
}

/* The origin whose prefix place lies under, the most specific one. */
static const struct origin *origin_of(const struct origins *o, const char *place)
{
	const struct origin *best = NULL;

	for (size_t i = 0; i < o->n; i++)
		if (under(o->o[i].prefix, place) && (!best || strlen(o->o[i].prefix) > strlen(best->prefix)))
			best = &o->o[i];
	return best;
}

int origins_match(const struct origins *o, const char *image_source, struct origin_ref *ref, char *err,
		  size_t errlen)
{
	char scheme[8], form[URI_MAX];
	const char *why;

	memset(ref, 0, sizeof(*ref));
	/* Where image_source points, whatever its spelling (port, userinfo,
	 * case, trailing dot, escapes, http): a vendor's file spelled another
	 * way is under the vendor's origin, and must be spelled its way. A
	 * string that is no URL is judged as written. */
	int formed = uri_origin_form(image_source, form, sizeof(form)) == 0;
	const struct origin *best = origin_of(o, formed ? form : image_source);
	if (!best && formed)
		best = origin_of(o, image_source);
	if (!best)
		return 0;
	if (formed && strcmp(form, image_source)) {
		snprintf(err, errlen, "image_source lies under the origin '%s' but is not written as the vendor names the "
			 "file: write it '%s' (it is '%s')", best->prefix, form, image_source);
		return -1;
	}
	if (url_plain(image_source, scheme, &why) < 0)
		return refuse(err, errlen, image_source, best, why);
	const char *path = image_source + path_at(image_source);
	if (strpbrk(path, "%\\"))
		return refuse(err, errlen, image_source, best, "has percent-encoding or a backslash");
	if (strstr(path, "//"))
		return refuse(err, errlen, image_source, best, "has an empty path segment");
	const char *file = strrchr(path, '/') + 1;
	if (!*file)
		return refuse(err, errlen, image_source, best, "names a directory, not a file");
	size_t dir_len = (size_t)(file - image_source);
	ref->origin = best;
	ref->file = xstrdup(file);
	ref->list_url = join(image_source, dir_len, best->checksums);
	ref->sig_url = best->signature ? join(image_source, dir_len, best->signature) : NULL;
	return 1;
}

void origin_ref_free(struct origin_ref *ref)
{
	free(ref->list_url);
	free(ref->sig_url);
	free(ref->file);
	memset(ref, 0, sizeof(*ref));
}

char *origin_fetch_url(const struct origin_config *c, const char *url)
{
	const struct origin_fetch *best = NULL;
	for (size_t i = 0; i < c->n_fetch; i++)
		if (under(c->fetch[i].from, url) && (!best || strlen(c->fetch[i].from) > strlen(best->from)))
			best = &c->fetch[i];
	if (!best)
		return xstrdup(url);
	const char *rest = url + strlen(best->from);
	return join(best->to, strlen(best->to), rest);
}
