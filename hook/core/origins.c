/* origins: vendors as data and where an image_source leads; see origins.h. */
#include "core/origins.h"
#include "core/uri.h"
#include "core/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <fnmatch.h>
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

/* A file beside the image file: one plain name, where placeholder (when
 * not NULL) may stand once for another name. */
static int load_file_name(struct yconf *y, const struct ynode *n, const char *what, const char *placeholder,
			  char **out)
{
	if (yc_string(y, n, what, out) < 0)
		return -1;
	const char *at = placeholder ? strstr(*out, placeholder) : NULL;
	size_t skip = at ? strlen(placeholder) : 0, before = at ? (size_t)(at - *out) : strlen(*out);
	if (strpbrk(*out, "/\\%?#*[") || !strcmp(*out, ".") || !strcmp(*out, "..") || !**out)
		return yc_fail(y, n, "%s '%s' must be a file name in the image file's directory", what, *out);
	if (strcspn(*out, "{}") < before || strpbrk(*out + before + skip, "{}"))
		return placeholder ? yc_fail(y, n, "%s '%s': braces only in %s, once", what, *out, placeholder)
				   : yc_fail(y, n, "%s '%s' must be a file name (no braces)", what, *out);
	return 0;
}

/* checksums.name: a fixed name, a pattern for the directory's index, or
 * a name made from the image file's ({file}). */
static int load_list_name(struct yconf *y, const struct ynode *n, struct origin *o)
{
	if (yc_want(y, n, YNODE_SCALAR, "checksums.name") < 0)
		return -1;
	if (!strpbrk(n->value, "*?[")) {
		if (load_file_name(y, n, "checksums.name", "{file}", &o->checksums) < 0)
			return -1;
		o->where = strstr(o->checksums, "{file}") ? ORIGIN_AT_FILE : ORIGIN_AT_NAME;
		if (o->where == ORIGIN_AT_FILE && !strcmp(o->checksums, "{file}"))
			return yc_fail(y, n, "checksums.name '{file}' names the image itself, not a list beside it");
		return 0;
	}
	o->where = ORIGIN_AT_PATTERN;
	if (yc_string(y, n, "checksums.name", &o->checksums) < 0)
		return -1;
	if (strpbrk(o->checksums, "/\\%#{}") || o->checksums[0] == '.')
		return yc_fail(y, n, "checksums.name '%s': a pattern picks one file name of the image file's "
			       "directory (no '/', '{', '%%', no leading '.')", o->checksums);
	return 0;
}

/* checksums: where the list is and what its text is. */
static int load_checksums(struct yconf *y, const struct ynode *n, struct origin *o)
{
	static const char *const keys[] = { "name", "algorithm", "lines", "comments", NULL };
	const char *algos[] = { sums_algo_name(SUMS_SHA256), sums_algo_name(SUMS_SHA512) };
	const char *styles[] = { sums_lines_name(SUMS_GNU), sums_lines_name(SUMS_BSD) };
	struct ynode *v;
	int algo, lines;

	if (yc_want(y, n, YNODE_MAP, "checksums") < 0 || yc_keys(y, n, keys, "checksums") < 0 ||
	    yc_need(y, n, "name", "checksums", &v) < 0 || load_list_name(y, v, o) < 0 ||
	    yc_need(y, n, "algorithm", "checksums", &v) < 0 ||
	    yc_enum(y, v, "checksums.algorithm", algos, (int)ARRAY_SIZE(algos), &algo) < 0 ||
	    yc_need(y, n, "lines", "checksums", &v) < 0 ||
	    yc_enum(y, v, "checksums.lines", styles, (int)ARRAY_SIZE(styles), &lines) < 0)
		return -1;
	o->format.algo = (enum sums_algo)algo;
	o->format.lines = (enum sums_lines)lines;
	if ((v = ymap_get(n, "comments")) && yc_bool(y, v, "checksums.comments", &o->format.comments) < 0)
		return -1;
	return 0;
}

/* signature: none, clearsigned, or {detached: NAME}. */
static int load_signature(struct yconf *y, const struct ynode *n, struct origin *o)
{
	static const char *const keys[] = { "detached", NULL };
	struct ynode *v;

	if (n->kind == YNODE_SCALAR && !strcmp(n->value, "none"))
		return o->signed_as = ORIGIN_UNSIGNED, 0;
	if (n->kind == YNODE_SCALAR && !strcmp(n->value, "clearsigned"))
		return o->signed_as = ORIGIN_CLEARSIGNED, 0;
	if (n->kind != YNODE_MAP)
		return yc_fail(y, n, "signature must be none, clearsigned or {detached: NAME}");
	o->signed_as = ORIGIN_DETACHED;
	if (yc_keys(y, n, keys, "signature") < 0 || yc_need(y, n, "detached", "signature", &v) < 0)
		return -1;
	return load_file_name(y, v, "signature.detached", "{list}", &o->signature);
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

int origins_keys(struct yconf *y, const struct ynode *n, char (**keys)[ORIGIN_FPR_LEN + 1], size_t *count)
{
	if (yc_want(y, n, YNODE_SEQ, "keys") < 0)
		return -1;
	if (n->n == 0)
		return yc_fail(y, n, "keys must list at least one fingerprint");
	*keys = xcalloc(n->n, sizeof(**keys));
	for (; *count < n->n; (*count)++)
		if (load_fingerprint(y, n->items[*count], (*keys)[*count]) < 0)
			return -1;
	return 0;
}

/* moving: the path segments the vendor republishes (current, *.latest.*). */
static int load_moving(struct yconf *y, const struct ynode *n, struct origin *o)
{
	if (yc_strings(y, n, "moving", &o->moving, &o->n_moving) < 0)
		return -1;
	for (size_t i = 0; i < o->n_moving; i++)
		if (!o->moving[i][0] || strchr(o->moving[i], '/'))
			return yc_fail(y, n, "moving: '%s' must be one path segment's name or pattern, without '/'",
				       o->moving[i]);
	return 0;
}

static int load_origin(struct yconf *y, const struct ynode *n, struct origin *o)
{
	static const char *const keys[] = { "prefix", "checksums", "signature", "keys", "moving", NULL };
	struct ynode *v, *fprs;

	o->line = n->line;
	if (yc_want(y, n, YNODE_MAP, "an origin") < 0 || yc_keys(y, n, keys, "an origin") < 0 ||
	    yc_need(y, n, "prefix", "an origin", &v) < 0 || yc_string(y, v, "prefix", &o->prefix) < 0 ||
	    want_prefix(y, v, "prefix", 0) < 0 || yc_need(y, n, "checksums", "an origin", &v) < 0 ||
	    load_checksums(y, v, o) < 0 || yc_need(y, n, "signature", "an origin", &v) < 0 ||
	    load_signature(y, v, o) < 0)
		return -1;
	if ((fprs = ymap_get(n, "keys")) && origins_keys(y, fprs, &o->keys, &o->n_keys) < 0)
		return -1;
	if ((v = ymap_get(n, "moving")) && load_moving(y, v, o) < 0)
		return -1;
	if ((o->signed_as != ORIGIN_UNSIGNED) != !!fprs)
		return yc_fail(y, n, fprs ? "an origin with 'keys' needs a signature for them to make (signature: none)"
				   : "a signed origin needs 'keys': the fingerprints of its signers");
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
		for (size_t k = 0; k < o->o[i].n_moving; k++)
			free(o->o[i].moving[k]);
		free(o->o[i].moving);
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
					    "signed_only", NULL };
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
	if ((v = ymap_get(n, "signed_only")) && yc_bool(y, v, "origin.signed_only", &c->signed_only) < 0)
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

/* dir + name, where placeholder (when found in name) stands for with. */
static char *join(const char *dir, size_t dir_len, const char *name, const char *placeholder, const char *with)
{
	const char *at = placeholder ? strstr(name, placeholder) : NULL;
	size_t before = at ? (size_t)(at - name) : strlen(name), skip = at ? strlen(placeholder) : 0;
	size_t n = dir_len + strlen(name) + (at ? strlen(with) : 0) + 1;
	char *s = xcalloc(n, 1);
	snprintf(s, n, "%.*s%.*s%s%s", (int)dir_len, dir, (int)before, name, at ? with : "", name + before + skip);
	return s;
}

void origin_ref_list(struct origin_ref *ref, const char *name)
{
	const struct origin *o = ref->origin;
	size_t dir_len = strlen(ref->dir);

	free(ref->list_url);
	free(ref->sig_url);
	ref->list_url = join(ref->dir, dir_len, name, NULL, NULL);
	ref->sig_url = o->signed_as == ORIGIN_DETACHED ? join(ref->dir, dir_len, o->signature, "{list}", name) : NULL;
}

/* The moving pattern one of path's segments matches (the file's too). */
static const char *moving_of(const struct origin *o, const char *path)
{
	char seg[URI_MAX];

	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
		for (size_t i = 0; i < o->n_moving; i++)
			if (n && fnmatch(o->moving[i], seg, 0) == 0)
				return o->moving[i];
		p += n + (p[n] == '/');
	}
	return NULL;
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
	ref->dir = join(image_source, dir_len, "", NULL, NULL);
	ref->moving = moving_of(best, image_source + strlen(best->prefix));
	if (best->where != ORIGIN_AT_PATTERN) {
		char *name = join("", 0, best->checksums, "{file}", file);
		origin_ref_list(ref, name);
		free(name);
	}
	return 1;
}

int origins_match_dir(const struct origins *o, const char *dir, struct origin_ref *ref, char *err, size_t errlen)
{
	size_t n = strlen(dir);
	char *probe = xcalloc(n + 2, 1);

	/* a directory's list is the one any file of it is looked up in; the
	 * probe's name is never looked up */
	snprintf(probe, n + 2, "%s_", dir);
	char why[512];
	int m = n && dir[n - 1] == '/' ? origins_match(o, probe, ref, why, sizeof(why)) : -1;
	free(probe);
	if (m < 0 && n && dir[n - 1] != '/')
		snprintf(err, errlen, "'%s' is not a directory (it must end in '/')", dir);
	else if (m < 0)         /* origins_match's reason, said of the directory */
		snprintf(err, errlen, "'%s' is no plain directory URL of its origin (%s)", dir, why);
	if (m == 1 && ref->origin->where == ORIGIN_AT_FILE) {
		snprintf(err, errlen, "'%s' lies under the origin '%s', whose lists are per image (%s): no list names "
			 "the directory's builds", dir, ref->origin->prefix, ref->origin->checksums);
		origin_ref_free(ref);
		return -1;
	}
	return m;
}

void origin_ref_free(struct origin_ref *ref)
{
	free(ref->dir);
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
	return join(best->to, strlen(best->to), rest, NULL, NULL);
}
