/* catalog: `sync:` of the operator config; see catalog.h. */
#include "core/catalog.h"
#include "core/image.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const formats[] = { "simplestreams-v1", "debian-build-json", "checksum-list" };
static const char *const previous[] = { "rename-and-hide", "hide", "keep" };

const char *catalog_format_name(enum catalog_format f)
{
	return formats[f];
}

const char *catalog_previous_name(enum catalog_previous p)
{
	return previous[p];
}

static const char *const source_keys[] = { "format", "index", "keys", "base", "product", "item", "rewrite",
					   "release", "vendor", "arch", "image_format", "dir", "match", NULL };

static int string_at(struct yconf *y, const struct ynode *map, const char *key, const char *what, char **out)
{
	struct ynode *v = ymap_get(map, key);
	char where[128];

	if (!v)
		return 0;
	free(*out);
	*out = NULL;
	snprintf(where, sizeof(where), "%s.%s", what, key);
	return yc_string(y, v, where, out);
}

static int https_url(struct yconf *y, const struct ynode *map, const char *key, const char *what, char *v)
{
	if (v && strncmp(v, "https://", 8))
		return yc_fail(y, ymap_get(map, key), "%s.%s must be an https URL (origin.fetch maps it to a mirror), "
			       "not '%s'", what, key, v);
	return 0;
}

/* The keys of a source mapping over s (a format's defaults, or an entry's). */
static int source_fields(struct yconf *y, const struct ynode *n, const char *what, struct catalog_source *s)
{
	static const char *const strings[] = { "index", "base", "product", "item", "release", "vendor", "arch",
					       "image_format", "dir" };
	char **fields[] = { &s->index, &s->base, &s->product, &s->item, &s->release, &s->vendor, &s->arch,
			    &s->image_format, &s->dir };
	struct ynode *v;

	if (yc_want(y, n, YNODE_MAP, what) < 0 || yc_keys(y, n, source_keys, what) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
		if (string_at(y, n, strings[i], what, fields[i]) < 0)
			return -1;
	if (https_url(y, n, "index", what, s->index) < 0 || https_url(y, n, "base", what, s->base) < 0 ||
	    https_url(y, n, "dir", what, s->dir) < 0)
		return -1;
	if ((v = ymap_get(n, "keys"))) {
		free(s->keys);
		s->keys = NULL;
		s->n_keys = 0;
		if (origins_keys(y, v, &s->keys, &s->n_keys) < 0)
			return -1;
	}
	if ((v = ymap_get(n, "rewrite"))) {
		static const char *const rk[] = { "from", "to", NULL };
		struct ynode *to;
		if (yc_want(y, v, YNODE_MAP, "rewrite") < 0 || yc_keys(y, v, rk, "rewrite") < 0 ||
		    string_at(y, v, "from", "rewrite", &s->rewrite_from) < 0)
			return -1;
		/* "to" may be empty: the part is dropped */
		if ((to = ymap_get(v, "to"))) {
			if (yc_want(y, to, YNODE_SCALAR, "rewrite.to") < 0)
				return -1;
			free(s->rewrite_to);
			s->rewrite_to = xstrdup(to->value);
		}
		if (!s->rewrite_from || !s->rewrite_to)
			return yc_fail(y, v, "rewrite needs both 'from' and 'to'");
	}
	s->line = n->line;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* A copy of a format's defaults, for an entry to override. */
static void source_copy(const struct catalog_source *from, struct catalog_source *to)
{
	*to = (struct catalog_source){
		.format = from->format, .index = dup_or_null(from->index), .base = dup_or_null(from->base),
		.product = dup_or_null(from->product), .item = dup_or_null(from->item),
		.rewrite_from = dup_or_null(from->rewrite_from), .rewrite_to = dup_or_null(from->rewrite_to),
		.release = dup_or_null(from->release), .vendor = dup_or_null(from->vendor),
		.arch = dup_or_null(from->arch), .image_format = dup_or_null(from->image_format),
		.dir = dup_or_null(from->dir), .line = from->line,
	};
	to->keys = xcalloc(from->n_keys ? from->n_keys : 1, sizeof(*to->keys));
	if (from->n_keys)       /* memcpy from NULL is undefined, even of 0 bytes */
		memcpy(to->keys, from->keys, from->n_keys * sizeof(*to->keys));
	to->n_keys = from->n_keys;
}

static void source_free(struct catalog_source *s)
{
	if (s->match.code || s->match.pattern)
		regex_free(&s->match);
	char *fields[] = { s->index, s->base, s->product, s->item, s->rewrite_from, s->rewrite_to, s->release,
			   s->vendor, s->arch, s->image_format, s->dir };
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		free(fields[i]);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* What each format cannot do without. */
static int source_complete(struct yconf *y, const struct ynode *at, const struct catalog_source *s)
{
	const char *missing = NULL;

	switch (s->format) {
	case CATALOG_SIMPLESTREAMS:
		missing = !s->index ? "index" : !s->base ? "base" : !s->product ? "product" : NULL;
		break;
	case CATALOG_DEBIAN_JSON:
		missing = !s->base ? "base" : !s->release ? "release" : !s->vendor ? "vendor" : !s->arch ? "arch" : NULL;
		break;
	case CATALOG_CHECKSUM_LIST:
		missing = !s->dir ? "dir" : !s->match.code ? "match" : NULL;
		if (!missing && s->dir[strlen(s->dir) - 1] != '/')
			return yc_fail(y, at, "source.dir must end in '/' (a directory): '%s'", s->dir);
		break;
	default:
		break;
	}
	if (missing)
		return yc_fail(y, at, "a %s source needs '%s' (in the entry's source or in sync.sources.%s)",
			       formats[s->format], missing, formats[s->format]);
	return 0;
}

static int load_properties(struct yconf *y, const struct ynode *n, struct catalog_entry *e)
{
	if (yc_want(y, n, YNODE_MAP, "properties") < 0)
		return -1;
	e->keys = xcalloc(n->n ? n->n : 1, sizeof(*e->keys));
	e->values = xcalloc(n->n ? n->n : 1, sizeof(*e->values));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = ymap_key(n, i), *v = ymap_val(n, i);
		if (v->kind != YNODE_SCALAR)
			return yc_fail(y, v, "property '%s' must be a string, number or boolean", k->value);
		if (!strcmp(k->value, "name") || !strcmp(k->value, "visibility") || !strcmp(k->value, "image_source") ||
		    !strncmp(k->value, "scs_image_hook_", 15) || !strcmp(k->value, "source_sha256sum") ||
		    !strcmp(k->value, "source_sha512sum"))
			return yc_fail(y, k, "property '%s' is not the catalog's to set (sync sets it from the build)",
				       k->value);
		e->keys[e->n_props] = xstrdup(k->value);
		e->values[e->n_props++] = xstrdup(v->value);
	}
	return 0;
}

static int load_entry(struct yconf *y, const struct ynode *n, const struct catalog_source *defaults,
		      const int *have_default, struct catalog_entry *e)
{
	static const char *const keys[] = { "name", "source", "visibility", "properties", NULL };
	struct ynode *v, *src;
	int f;

	e->line = n->line;
	if (yc_want(y, n, YNODE_MAP, "a sync image") < 0 || yc_keys(y, n, keys, "a sync image") < 0 ||
	    yc_need(y, n, "name", "a sync image", &v) < 0 || yc_string(y, v, "name", &e->name) < 0 ||
	    yc_need(y, n, "source", "a sync image", &src) < 0 || yc_want(y, src, YNODE_MAP, "source") < 0 ||
	    yc_need(y, src, "format", "source", &v) < 0 ||
	    yc_enum(y, v, "source.format", formats, CATALOG_FORMATS, &f) < 0)
		return -1;
	if (have_default[f])
		source_copy(&defaults[f], &e->source);
	e->source.format = (enum catalog_format)f;
	e->visibility = VIS_PUBLIC;
	if (source_fields(y, src, "source", &e->source) < 0)
		return -1;
	/* a pattern is an image's own: compiled where it is written, whole-name */
	if ((v = ymap_get(src, "match")) && regex_compile(y, v, "source.match", &e->source.match, 1) < 0)
		return -1;
	if (source_complete(y, src, &e->source) < 0)
		return -1;
	if ((v = ymap_get(n, "visibility"))) {
		int vis;
		if (yc_enum(y, v, "visibility", (const char *const[]){ "public", "community", "shared", "private" }, 4,
			    &vis) < 0)
			return -1;
		e->visibility = (enum visibility)vis;
	}
	if ((v = ymap_get(n, "properties")) && load_properties(y, v, e) < 0)
		return -1;
	return 0;
}

static int load_sources(struct yconf *y, const struct ynode *n, struct catalog_source *defaults, int *have)
{
	if (yc_want(y, n, YNODE_MAP, "sync.sources") < 0)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		int f;
		if (yc_enum(y, ymap_key(n, i), "a sync.sources format", formats, CATALOG_FORMATS, &f) < 0)
			return -1;
		if (ymap_get(ymap_val(n, i), "match"))
			return yc_fail(y, ymap_get(ymap_val(n, i), "match"), "a match pattern names one image's builds: "
				       "write it in that image's source, not in sync.sources");
		defaults[f].format = (enum catalog_format)f;
		have[f] = 1;
		if (source_fields(y, ymap_val(n, i), "sync.sources", &defaults[f]) < 0)
			return -1;
	}
	return 0;
}

int catalog_load(struct yconf *y, const struct ynode *n, struct catalog *c)
{
	static const char *const keys[] = { "previous", "sources", "images", NULL };
	struct catalog_source defaults[CATALOG_FORMATS] = { { 0 } };
	int have[CATALOG_FORMATS] = { 0 }, rc = -1, prev;
	struct ynode *v;

	c->file = y->path;
	if (yc_want(y, n, YNODE_MAP, "sync") < 0 || yc_keys(y, n, keys, "sync") < 0)
		goto out;
	if ((v = ymap_get(n, "previous"))) {
		if (yc_enum(y, v, "sync.previous", previous, 3, &prev) < 0)
			goto out;
		c->previous = (enum catalog_previous)prev;
	}
	if ((v = ymap_get(n, "sources")) && load_sources(y, v, defaults, have) < 0)
		goto out;
	if (yc_need(y, n, "images", "sync", &v) < 0 || yc_want(y, v, YNODE_SEQ, "sync.images") < 0)
		goto out;
	c->e = xcalloc(v->n ? v->n : 1, sizeof(*c->e));
	for (size_t i = 0; i < v->n; i++) {
		c->n = i + 1;
		if (load_entry(y, v->items[i], defaults, have, &c->e[i]) < 0)
			goto out;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->e[k].name, c->e[i].name)) {
				yc_fail(y, v->items[i], "sync image '%s' is listed twice (also at line %u)", c->e[i].name,
					c->e[k].line);
				goto out;
			}
	}
	rc = 0;
out:
	for (int f = 0; f < CATALOG_FORMATS; f++)
		source_free(&defaults[f]);
	return rc;
}

void catalog_free(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct catalog_entry *e = &c->e[i];
		free(e->name);
		source_free(&e->source);
		for (size_t k = 0; k < e->n_props; k++) {
			free(e->keys[k]);
			free(e->values[k]);
		}
		free(e->keys);
		free(e->values);
	}
	free(c->e);
	memset(c, 0, sizeof(*c));
}

const struct catalog_entry *catalog_find(const struct catalog *c, const char *name)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (!strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}
