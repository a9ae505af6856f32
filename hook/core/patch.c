/* patch: Glance's JSON patch, mirrored; see patch.h. The rules follow
 * glance/api/v2/images.py (RequestDeserializer.update): pointers are
 * checked the same way and each token is stripped of whitespace as
 * Python's str.strip() does, so "/image_source\u3000" is "image_source". */
#include "core/patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATCH_MAX_OPS 256

int patch_format_of(const char *ct)
{
	static const char *const types[] = { "application/openstack-images-v2.0-json-patch",
					     "application/openstack-images-v2.1-json-patch" };
	if (!ct)
		return -1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	for (int i = 0; i < 2; i++)
		if (strlen(types[i]) == n && !memcmp(ct, types[i], n))
			return i;
	return -1;
}

/* Length of a Python whitespace character (str.isspace) at s, or 0. */
static size_t py_space(const unsigned char *s, size_t n)
{
	if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20)))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)               /* U+1680 */
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
					     s[2] == 0xaf))                  /* U+2000-200A, 2028, 2029, 202F */
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)               /* U+205F */
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)               /* U+3000 */
		return 3;
	return 0;
}

/* The start of the UTF-8 character that ends at s + n. */
static size_t last_char(const unsigned char *s, size_t n)
{
	size_t i = n - 1;
	while (i > 0 && n - i < 4 && (s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static void py_strip(char *tok)
{
	unsigned char *s = (unsigned char *)tok;
	size_t n = strlen(tok), k, start = 0;

	while (start < n && (k = py_space(s + start, n - start)))
		start += k;
	while (n > start) {
		size_t i = last_char(s, n);
		if (i < start || py_space(s + i, n - i) != n - i)
			break;
		n = i;
	}
	memmove(s, s + start, n - start);
	s[n - start] = '\0';
}

/* Glance's _validate_json_pointer, then its decoding into tokens. */
static int decode_pointer(const char *ptr, char *first, size_t firstlen, size_t *depth, char *err, size_t errlen)
{
	size_t n = strlen(ptr);

	if (ptr[0] != '/') {
		snprintf(err, errlen, "pointer '%.100s' does not start with \"/\"", ptr);
		return -1;
	}
	/* adjacent slashes, possibly with whitespace between (regex /\s*?/) */
	for (size_t i = 1; i < n; i++) {
		if (ptr[i] != '/')
			continue;
		size_t j = i + 1;
		while (j < n && (ptr[j] == ' ' || (ptr[j] >= 0x09 && ptr[j] <= 0x0d)))
			j++;
		if (j < n && ptr[j] == '/') {
			snprintf(err, errlen, "pointer '%.100s' contains adjacent \"/\"", ptr);
			return -1;
		}
	}
	if (n > 1 && ptr[n - 1] == '/') {
		snprintf(err, errlen, "pointer '%.100s' ends with \"/\"", ptr);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (ptr[i] == '~' && (i + 1 == n || (ptr[i + 1] != '0' && ptr[i + 1] != '1'))) {
			snprintf(err, errlen, "pointer contains '~' not part of a recognized escape sequence");
			return -1;
		}
	/* tokens: lstrip('/'), split('/'), ~1 -> /, ~0 -> ~, strip() */
	const char *p = ptr;
	while (*p == '/')
		p++;
	size_t tok = strcspn(p, "/");
	*depth = 1;
	for (const char *q = p + tok; *q; q++)
		*depth += *q == '/';
	if (tok >= firstlen) {
		snprintf(err, errlen, "pointer '%.100s' is too long", ptr);
		return -1;
	}
	size_t o = 0;
	for (size_t i = 0; i < tok; i++) {
		if (p[i] == '~' && p[i + 1] == '1') {
			first[o++] = '/';
			i++;
		} else {
			first[o++] = p[i];
		}
	}
	first[o] = '\0';
	for (size_t r = 0, w = 0;; r++) {   /* then "~0" -> "~", on the result */
		if (first[r] == '~' && first[r + 1] == '0') {
			first[w++] = '~';
			r++;
		} else if (!(first[w++] = first[r])) {
			break;
		}
	}
	py_strip(first);
	return 0;
}

/* The operation of one change: "op" (v2.1) or the one key naming it (v2.0). */
static const char *change_op(json_t *c, enum patch_format f, const char **path, char *err, size_t errlen)
{
	static const char *const ops[] = { "add", "remove", "replace" };
	const char *op = NULL;

	if (f == PATCH_V21) {
		op = json_string_value(json_object_get(c, "op"));
		*path = json_string_value(json_object_get(c, "path"));
	} else {
		for (int i = 0; i < 3; i++)
			if (json_object_get(c, ops[i])) {
				if (op) {
					snprintf(err, errlen, "operation objects must contain only one member named "
						 "\"add\", \"remove\", or \"replace\"");
					return NULL;
				}
				op = ops[i];
			}
		*path = op ? json_string_value(json_object_get(c, op)) : NULL;
	}
	if (!op || (strcmp(op, "add") && strcmp(op, "remove") && strcmp(op, "replace"))) {
		snprintf(err, errlen, "each change needs an operation: add, remove or replace");
		return NULL;
	}
	if (!*path) {
		snprintf(err, errlen, "each change needs a path (a JSON pointer string)");
		return NULL;
	}
	return op;
}

static int apply_change(json_t *image, json_t *c, enum patch_format f, char *err, size_t errlen)
{
	char key[1024];
	const char *path;
	size_t depth;

	if (!json_is_object(c)) {
		snprintf(err, errlen, "operations must be JSON objects");
		return -1;
	}
	const char *op = change_op(c, f, &path, err, errlen);
	if (!op || decode_pointer(path, key, sizeof(key), &depth, err, errlen) < 0)
		return -1;
	json_t *value = json_object_get(c, "value");
	if (strcmp(op, "remove") && !value) {
		snprintf(err, errlen, "operation \"%s\" needs a \"value\"", op);
		return -1;
	}
	if (depth > 1) {
		/* Only locations take deeper pointers; they are left as they are
		 * (no policy reads them) and told to the caller. */
		if (strcmp(key, "locations")) {
			snprintf(err, errlen, "nested paths are only valid under /locations");
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "locations"))
		return 1;
	if (!strcmp(op, "remove"))
		json_object_del(image, key);
	else
		json_object_set(image, key, value);
	return 0;
}

int patch_apply(json_t *image, const char *body, size_t len, enum patch_format f, char **sent, char *err,
		size_t errlen)
{
	json_error_t jerr;
	size_t i;
	json_t *c;

	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(err, errlen, "the patch is not valid JSON: %s (line %d)", jerr.text, jerr.line);
		return -1;
	}
	int rc = 0, locations = 0;
	if (!json_is_array(doc)) {
		snprintf(err, errlen, "the patch must be a JSON array of operation objects");
		rc = -1;
	} else if (json_array_size(doc) > PATCH_MAX_OPS) {
		snprintf(err, errlen, "the patch has more than %d operations", PATCH_MAX_OPS);
		rc = -1;
	}
	json_array_foreach(doc, i, c) {
		if (rc < 0 || (rc = apply_change(image, c, f, err, errlen)) < 0)
			break;
		locations |= rc;
	}
	if (rc >= 0 && sent && !(*sent = json_dumps(doc, PATCH_SENT_JSON))) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	json_decref(doc);
	return rc < 0 ? rc : locations;
}

char *patch_sent_with(const char *sent, enum patch_format f, const char *key, const char *value)
{
	char path[256];
	json_t *ops = json_loads(sent, 0, NULL), *op = NULL;
	char *out = NULL;

	if (json_is_array(ops) && (size_t)snprintf(path, sizeof(path), "/%s", key) < sizeof(path) && !strpbrk(key, "/~"))
		op = f == PATCH_V21 ? json_pack("{s:s, s:s, s:s}", "op", "add", "path", path, "value", value)
				    : json_pack("{s:s, s:s}", "add", path, "value", value);
	if (op && json_array_append_new(ops, op) == 0)
		out = json_dumps(ops, PATCH_SENT_JSON);
	json_decref(ops);
	return out;
}
