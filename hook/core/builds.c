/* builds: the newest build in a vendor's metadata; see builds.h. */
#include "core/builds.h"
#include "core/date.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void build_free(struct build *b)
{
	free(b->image_source);
	memset(b, 0, sizeof(*b));
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static json_t *parse(const char *text, size_t len, const char *what, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = len > BUILDS_MAX_TEXT ? NULL : json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!json_is_object(doc)) {
		fail(err, errlen, "%s is not a JSON object%s%s", what, doc || len > BUILDS_MAX_TEXT ? "" : ": ",
		     doc ? "" : len > BUILDS_MAX_TEXT ? " (too large)" : je.text);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A path a vendor's metadata gives, relative to its base: plain segments
 * only, so that base + path stays under base. */
static int relative_path(const char *p)
{
	if (!p || !*p || p[0] == '/' || strstr(p, "://") || strpbrk(p, "?#\\%"))
		return 0;
	for (const char *seg = p; *seg;) {
		size_t n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)seg[i] <= 0x20 || (unsigned char)seg[i] >= 0x7f)
				return 0;
		seg += n + (seg[n] == '/');
	}
	return 1;
}

static int lower_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* YYYY-MM-DD from the first eight digits in a row of a serial (20240821,
 * 20240717-1811, 9.4-20240507), or "". */
static void date_of(const char *serial, char out[11])
{
	out[0] = '\0';
	for (const char *p = serial; *p; p++) {
		size_t n = strspn(p, "0123456789");
		if (n >= 8) {
			snprintf(out, 11, "%.4s-%.2s-%.2s", p, p + 4, p + 6);
			if (date_parse(out) < 0)
				out[0] = '\0';
			return;
		}
		p += n ? n - 1 : 0;
	}
}

const char *builds_glance_arch(const char *arch)
{
	static const char *const map[][2] = {
		{ "amd64", "x86_64" }, { "arm64", "aarch64" }, { "i386", "i686" }, { "ppc64el", "ppc64le" },
		{ "armhf", "armv7l" },
	};
	for (size_t i = 0; arch && i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(arch, map[i][0]))
			return map[i][1];
	return arch;
}

int builds_serial_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
		} else if (*a != *b) {
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		} else {
			a++, b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* The build's file under base: base + path, path rewritten where it
 * starts with from. */
static int place(const struct catalog_source *s, const char *path, struct build *b, char *err, size_t errlen)
{
	if (!relative_path(path))
		return fail(err, errlen, "the metadata names the file '%.300s', which is not a plain path under '%s'",
			    path ? path : "(none)", s->base);
	size_t from = s->rewrite_from ? strlen(s->rewrite_from) : 0;
	const char *rest = from && !strncmp(path, s->rewrite_from, from) ? path + from : path;
	const char *to = from && rest != path ? s->rewrite_to : "";
	size_t n = strlen(s->base) + strlen(to) + strlen(rest) + 1;

	if ((*to && !relative_path(to)) || !relative_path(rest))
		return fail(err, errlen, "the metadata names the file '%.300s', which is not a plain path under '%s'",
			    path, s->base);
	b->image_source = xcalloc(n, 1);
	snprintf(b->image_source, n, "%s%s%s", s->base, to, rest);
	return 0;
}

int builds_streams_index(const char *text, size_t len, const struct catalog_source *s, char **path, char *err,
			 size_t errlen)
{
	json_t *doc = parse(text, len, "the stream index", err, errlen);
	const char *key;
	json_t *entry;

	*path = NULL;
	if (!doc)
		return -1;
	json_t *index = json_object_get(doc, "index");
	if (!json_is_object(index) || !str(doc, "format") || strcmp(str(doc, "format"), "index:1.0")) {
		json_decref(doc);
		return fail(err, errlen, "the stream index has no \"index\" object of format \"index:1.0\"");
	}
	json_object_foreach(index, key, entry) {
		json_t *products = json_object_get(entry, "products");
		size_t i;
		json_t *p;
		if (!json_is_array(products) || !str(entry, "datatype") || strcmp(str(entry, "datatype"), "image-downloads"))
			continue;
		json_array_foreach(products, i, p)
			if (json_is_string(p) && !strcmp(json_string_value(p), s->product)) {
				const char *rel = str(entry, "path");
				if (!relative_path(rel)) {
					json_decref(doc);
					return fail(err, errlen, "the stream index's \"%.100s\" has no plain \"path\"", key);
				}
				*path = xstrdup(rel);
				json_decref(doc);
				return 0;
			}
	}
	json_decref(doc);
	return fail(err, errlen, "no image-downloads entry of the stream index lists the product '%s'", s->product);
}

int builds_streams_newest(const char *text, size_t len, const struct catalog_source *s, struct build *b, char *err,
			  size_t errlen)
{
	const char *item_key = s->item ? s->item : "disk1.img", *serial, *newest = NULL;
	json_t *doc = parse(text, len, "the products file", err, errlen), *v, *item = NULL;

	memset(b, 0, sizeof(*b));
	if (!doc)
		return -1;
	json_t *product = json_object_get(json_object_get(doc, "products"), s->product);
	json_t *versions = json_object_get(product, "versions");
	int rc = -1;
	if (!json_is_object(versions)) {
		fail(err, errlen, "the products file has no \"products\".\"%s\".\"versions\" object", s->product);
		goto out;
	}
	json_object_foreach(versions, serial, v) {
		json_t *it = json_object_get(json_object_get(v, "items"), item_key);
		if (json_is_object(it) && (!newest || builds_serial_cmp(serial, newest) > 0)) {
			newest = serial;
			item = it;
		}
	}
	if (!newest) {
		fail(err, errlen, "no version of '%s' has the item \"%s\"", s->product, item_key);
		goto out;
	}
	const char *sha = str(item, "sha256");
	json_t *size = json_object_get(item, "size");
	if (!lower_hex(sha, 64) || !json_is_integer(size) || json_integer_value(size) < 0 ||
	    strlen(newest) >= sizeof(b->serial)) {
		fail(err, errlen, "version %.64s of '%s': its \"%s\" lacks a sha256 of 64 lowercase hex digits or a size",
		     newest, s->product, item_key);
		goto out;
	}
	if (place(s, str(item, "path"), b, err, errlen) < 0)
		goto out;
	b->algo = SUMS_SHA256;
	strcpy(b->digest, sha);
	b->size = json_integer_value(size);
	snprintf(b->serial, sizeof(b->serial), "%s", newest);
	date_of(newest, b->build_date);
	const char *arch = builds_glance_arch(str(product, "arch"));
	snprintf(b->arch, sizeof(b->arch), "%s", arch ? arch : "");
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

char *builds_debian_url(const struct catalog_source *s, const char *version)
{
	size_t n = strlen(s->base) + strlen(s->release) + strlen(version) + strlen(s->vendor) + strlen(s->arch) + 40;
	char *url = xcalloc(n, 1);

	snprintf(url, n, "%s%s/latest/debian-%s-%s-%s.json", s->base, s->release, version, s->vendor, s->arch);
	return url;
}

/* "sha512:" + unpadded base64 of the digest, as lowercase hex. */
static int debian_digest(const char *annot, char hex[SUMS_MAX_HEX + 1])
{
	unsigned char raw[96];
	char b64[100];

	if (!annot || strncmp(annot, "sha512:", 7) || strlen(annot + 7) != 86)
		return -1;
	snprintf(b64, sizeof(b64), "%s==", annot + 7);
	for (const char *p = annot + 7; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/')
			return -1;
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, 88) != 66)
		return -1;
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int builds_debian(const char *text, size_t len, const struct catalog_source *s, struct build *b, char *err,
		  size_t errlen)
{
	const char *want = s->image_format ? s->image_format : "qcow2";
	json_t *doc = parse(text, len, "the Debian build JSON", err, errlen), *it, *upload = NULL;
	size_t i;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (!doc)
		return -1;
	json_t *items = json_object_get(doc, "items");
	if (!str(doc, "kind") || strcmp(str(doc, "kind"), "List") || !json_is_array(items)) {
		fail(err, errlen, "the Debian build JSON is not a {\"kind\": \"List\", \"items\": [...]}");
		goto out;
	}
	json_array_foreach(items, i, it) {
		json_t *labels = json_object_get(json_object_get(it, "metadata"), "labels");
		if (str(it, "kind") && !strcmp(str(it, "kind"), "Upload") &&
		    str(labels, "upload.cloud.debian.org/image-format") &&
		    !strcmp(str(labels, "upload.cloud.debian.org/image-format"), want)) {
			if (upload) {
				fail(err, errlen, "the Debian build JSON has two Uploads of format %s", want);
				goto out;
			}
			upload = it;
		}
	}
	if (!upload) {
		fail(err, errlen, "the Debian build JSON has no Upload of format %s "
		     "(metadata.labels[\"upload.cloud.debian.org/image-format\"])", want);
		goto out;
	}
	json_t *meta = json_object_get(upload, "metadata"), *labels = json_object_get(meta, "labels");
	const char *version = str(labels, "cloud.debian.org/version"), *type = str(labels, "upload.cloud.debian.org/type");
	const char *arch = str(labels, "debian.org/arch"), *release = str(labels, "debian.org/release");
	if (!version || strlen(version) >= sizeof(b->serial) || !*version) {
		fail(err, errlen, "the Debian Upload lacks metadata.labels[\"cloud.debian.org/version\"]");
		goto out;
	}
	if (!type || strcmp(type, "release")) {
		fail(err, errlen, "the Debian Upload is of type '%s', not a release "
		     "(metadata.labels[\"upload.cloud.debian.org/type\"])", type ? type : "(none)");
		goto out;
	}
	if ((arch && strcmp(arch, s->arch)) || (release && strcmp(release, s->release))) {
		fail(err, errlen, "the Debian Upload is for %s/%s, the source asks for %s/%s", release ? release : "?",
		     arch ? arch : "?", s->release, s->arch);
		goto out;
	}
	if (debian_digest(str(json_object_get(meta, "annotations"), "cloud.debian.org/digest"), b->digest) < 0) {
		fail(err, errlen, "the Debian Upload's metadata.annotations[\"cloud.debian.org/digest\"] is not "
		     "\"sha512:\" and the unpadded base64 of 64 bytes");
		goto out;
	}
	if (place(s, str(json_object_get(upload, "data"), "ref"), b, err, errlen) < 0)
		goto out;
	b->algo = SUMS_SHA512;
	b->size = -1;
	snprintf(b->serial, sizeof(b->serial), "%s", version);
	date_of(version, b->build_date);
	snprintf(b->arch, sizeof(b->arch), "%s", builds_glance_arch(s->arch));
	rc = 0;
out:
	if (rc < 0)
		build_free(b);
	json_decref(doc);
	return rc;
}

/* The groups of a name, each all digits: compared left to right as numbers. */
static int name_newer(const char *a, const size_t (*sa)[2], const char *b, const size_t (*sb)[2], int n)
{
	for (int g = 0; g < n; g++) {
		char x[64], y[64];
		snprintf(x, sizeof(x), "%.*s", (int)(sa[g][1] - sa[g][0]), a + sa[g][0]);
		snprintf(y, sizeof(y), "%.*s", (int)(sb[g][1] - sb[g][0]), b + sb[g][0]);
		int c = builds_serial_cmp(x, y);
		if (c)
			return c > 0;
	}
	return 0;
}

static int all_digits(const char *s, const size_t (*span)[2], int n)
{
	for (int g = 0; g < n; g++) {
		if (span[g][0] == span[g][1] || span[g][1] - span[g][0] > 18)
			return 0;
		for (size_t i = span[g][0]; i < span[g][1]; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
	}
	return n > 0;
}

int builds_listed(const struct sums *list, const struct catalog_source *s, pcre2_match_context *ctx, struct build *b,
		  char *err, size_t errlen)
{
	const struct regex *match = &s->match;
	size_t best_span[8][2], span[8][2];
	const struct sums_entry *best = NULL;
	int groups = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < list->n; i++) {
		const char *name = list->e[i].name;
		int n = regex_groups(ctx, match, name, strlen(name), span, 8);
		if (n <= 0 || !all_digits(name, span, n) || (best && n != groups))
			continue;
		if (!best || name_newer(name, span, best->name, best_span, n)) {
			best = &list->e[i];
			groups = n;
			memcpy(best_span, span, sizeof(span));
		}
	}
	if (!best)
		return fail(err, errlen, "no file of the list matches '%s' with its groups all numbers",
			    match->pattern);
	if (!relative_path(best->name) || strchr(best->name, '/'))
		return fail(err, errlen, "the list names '%.300s', which is no plain file name", best->name);
	size_t n = strlen(s->dir) + strlen(best->name) + 1;
	b->image_source = xcalloc(n, 1);
	snprintf(b->image_source, n, "%s%s", s->dir, best->name);
	b->algo = list->algo;
	snprintf(b->digest, sizeof(b->digest), "%s", best->hex);
	b->size = -1;
	snprintf(b->serial, sizeof(b->serial), "%.*s", (int)(best_span[0][1] - best_span[0][0]),
		 best->name + best_span[0][0]);
	for (int g = 1; g < groups && strlen(b->serial) + 1 + (best_span[g][1] - best_span[g][0]) < sizeof(b->serial); g++)
		snprintf(b->serial + strlen(b->serial), sizeof(b->serial) - strlen(b->serial), "-%.*s",
			 (int)(best_span[g][1] - best_span[g][0]), best->name + best_span[g][0]);
	date_of(b->serial, b->build_date);
	return 0;
}
