/* ydoc: libyaml events folded into a located tree. */
#include "core/ydoc.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A policy file has no business being deeper than this; a bound keeps a
 * hostile file from exhausting the stack. */
#define YDOC_MAX_DEPTH 64
/* OPENSTACK: anchors a document may define, and the bytes (nodes and
 * strings) that aliases and merge keys may copy into it. Real clouds.yaml
 * files use a handful of small anchors; a billion laughs stops here,
 * after at most this much memory and work. */
#define YDOC_MAX_ANCHORS 256
#define YDOC_MAX_EXPANSION (512u << 10)

struct anchor {
	char *name;
	const struct ynode *node;
};

struct builder {
	yaml_parser_t parser;
	const char *path;
	char *err;
	size_t errlen;
	enum ydoc_flavour flavour;
	struct anchor anchors[YDOC_MAX_ANCHORS];
	size_t n_anchors;
	size_t expanded;            /* bytes copied for aliases and merges */
	struct ynode **spent;       /* merge sources, kept until the end: anchors may point into them */
	size_t n_spent, cap_spent;
};

static int fail_at(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(b->err, b->errlen, b->path, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

static void node_free(struct ynode *n)
{
	if (!n)
		return;
	size_t count = n->kind == YNODE_MAP ? 2 * n->n : n->n;
	for (size_t i = 0; i < count; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static struct ynode *node_new(enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = calloc(1, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->line = (unsigned)mark->line + 1;
		n->col = (unsigned)mark->column + 1;
	}
	return n;
}

static int node_push(struct ynode *parent, struct ynode *child, size_t *cap)
{
	if (parent->n >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ynode **items = realloc(parent->items, ncap * sizeof(*items));
		if (!items)
			return -1;
		parent->items = items;
		*cap = ncap;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (yaml_parser_parse(&b->parser, ev))
		return 0;
	const yaml_mark_t *m = &b->parser.problem_mark;
	return fail_at(b, (unsigned)m->line + 1, (unsigned)m->column + 1, "YAML syntax error: %s%s%s",
		       b->parser.problem ? b->parser.problem : "unknown problem",
		       b->parser.context ? " " : "", b->parser.context ? b->parser.context : "");
}

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth);

/* ---- OPENSTACK: anchors, aliases and merge keys, as PyYAML's safe_load ---- */

/* A deep copy, charged to the expansion budget; NULL (err set) beyond it. */
static struct ynode *node_copy(struct builder *b, const struct ynode *from, int depth, const yaml_mark_t *at)
{
	size_t count = from->kind == YNODE_MAP ? 2 * from->n : from->n;
	size_t cost = sizeof(*from) + (from->value ? strlen(from->value) + 1 : 0) + count * sizeof(*from->items);

	if (depth > YDOC_MAX_DEPTH || cost > YDOC_MAX_EXPANSION - b->expanded) {
		fail_at(b, at->line + 1, at->column + 1, depth > YDOC_MAX_DEPTH ?
			"aliases nest deeper than %d levels" : "aliases expand to more than %u bytes",
			depth > YDOC_MAX_DEPTH ? YDOC_MAX_DEPTH : (int)YDOC_MAX_EXPANSION);
		return NULL;
	}
	b->expanded += cost;
	struct ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	*n = (struct ynode){ from->kind, from->line, from->col, NULL, from->quoted, NULL, 0 };
	if ((from->value && !(n->value = strdup(from->value))) ||
	    (count && !(n->items = calloc(count, sizeof(*n->items))))) {
		node_free(n);
		return NULL;
	}
	for (size_t i = 0; i < count; i++)
		if (!(n->items[i] = node_copy(b, from->items[i], depth + 1, at))) {
			while (i-- > 0)
				node_free(n->items[i]);
			node_free(n);       /* n->n is 0: frees only the node */
			return NULL;
		}
	n->n = from->n;
	return n;
}

static struct ynode *alias_node(struct builder *b, const yaml_event_t *ev, int depth)
{
	const char *name = (const char *)ev->data.alias.anchor;

	for (size_t i = b->n_anchors; i-- > 0;) {
		if (strcmp(b->anchors[i].name, name))
			continue;
		struct ynode *n = node_copy(b, b->anchors[i].node, depth, &ev->start_mark);
		if (n) {        /* the copy is where the alias is; what is inside, where it was written */
			n->line = (unsigned)ev->start_mark.line + 1;
			n->col = (unsigned)ev->start_mark.column + 1;
		}
		return n;
	}
	fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "alias '*%s' names no anchor before it", name);
	return NULL;
}

static int anchor_add(struct builder *b, const unsigned char *anchor, const struct ynode *n,
		      const yaml_mark_t *at)
{
	for (size_t i = 0; i < b->n_anchors; i++)
		if (!strcmp(b->anchors[i].name, (const char *)anchor))
			return fail_at(b, at->line + 1, at->column + 1, "anchor '&%s' is defined twice (first at "
				       "line %u)", (const char *)anchor, b->anchors[i].node->line);
	if (b->n_anchors == YDOC_MAX_ANCHORS)
		return fail_at(b, at->line + 1, at->column + 1, "more than %d anchors", YDOC_MAX_ANCHORS);
	if (!(b->anchors[b->n_anchors].name = strdup((const char *)anchor)))
		return -1;
	b->anchors[b->n_anchors++].node = n;
	return 0;
}

static int is_merge_key(const struct builder *b, const struct ynode *k)
{
	return b->flavour == YDOC_OPENSTACK && !k->quoted && !strcmp(k->value, "<<");
}

static int has_key(const struct ynode *m, size_t pairs, const char *key)
{
	for (size_t i = 0; i < pairs; i++)
		if (!strcmp(m->items[2 * i]->value, key))
			return 1;
	return 0;
}

/* Lay the pairs of src under m's: a key m has already wins. */
static int merge_from(struct builder *b, struct ynode *m, size_t *cap, const struct ynode *src, const struct ynode *at)
{
	yaml_mark_t mark = { .line = at->line - 1, .column = at->col - 1 };

	if (src->kind != YNODE_MAP)
		return fail_at(b, at->line, at->col, "a merge key '<<' takes a mapping or a list of mappings, "
			       "not %s", ynode_kind_name(src->kind));
	for (size_t i = 0; i < src->n; i++) {
		if (has_key(m, m->n / 2, ymap_key(src, i)->value))
			continue;
		struct ynode *k = node_copy(b, ymap_key(src, i), 0, &mark);
		struct ynode *v = k ? node_copy(b, ymap_val(src, i), 1, &mark) : NULL;
		if (!v || node_push(m, k, cap) < 0) {
			node_free(k);
			node_free(v);
			return -1;
		}
		if (node_push(m, v, cap) < 0) {
			m->n--;
			node_free(k);
			node_free(v);
			return -1;
		}
	}
	return 0;
}

/* After the mapping's own pairs: the merge keys' mappings, as PyYAML
 * flattens them (a key written in the mapping wins; of several merged
 * mappings, the first written wins). The '<<' pairs are spent. */
static int merge_keys(struct builder *b, struct ynode *m, size_t *cap)
{
	struct ynode **merges = NULL;
	size_t n_merges = 0, own = 0;
	int rc = 0;

	for (size_t i = 0; i < m->n; i += 2) {
		if (!is_merge_key(b, m->items[i])) {
			m->items[own++] = m->items[i];
			m->items[own++] = m->items[i + 1];
			continue;
		}
		struct ynode **grown = realloc(merges, (n_merges + 2) * sizeof(*merges));
		if (!grown) {
			free(merges);
			return -1;
		}
		merges = grown;
		merges[n_merges++] = m->items[i];
		merges[n_merges++] = m->items[i + 1];
	}
	m->n = own;
	/* later '<<' pairs win over earlier ones, so take them first */
	for (size_t i = n_merges; rc == 0 && i > 0; i -= 2) {
		const struct ynode *v = merges[i - 1];
		if (v->kind != YNODE_SEQ)
			rc = merge_from(b, m, cap, v, v);
		for (size_t k = 0; rc == 0 && v->kind == YNODE_SEQ && k < v->n; k++)
			rc = merge_from(b, m, cap, v->items[k], v->items[k]);
	}
	for (size_t i = 0; i < n_merges; i++) {
		if (grow(&b->spent, &b->cap_spent, b->n_spent, sizeof(*b->spent)) == 0) {
			b->spent[b->n_spent++] = merges[i];
		} else {
			node_free(merges[i]);   /* out of memory: the parse ends here */
			rc = -1;
		}
	}
	free(merges);
	return rc;
}

static int check_plain(struct builder *b, const yaml_event_t *ev, const unsigned char *anchor,
		       const unsigned char *tag)
{
	if (ev->type == YAML_ALIAS_EVENT)
		return fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       "aliases are not allowed in policy files");
	if (anchor && b->flavour == YDOC_STRICT)
		return fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       "anchors are not allowed in policy files");
	if (tag)
		return fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       "tags (%s) are not allowed in policy files", (const char *)tag);
	return 0;
}

static struct ynode *build_collection(struct builder *b, yaml_event_t *start, int depth)
{
	int is_map = start->type == YAML_MAPPING_START_EVENT;
	yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	struct ynode *n = node_new(is_map ? YNODE_MAP : YNODE_SEQ, &start->start_mark);
	size_t cap = 0, pushed = 0;

	if (!n)
		return NULL;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev) < 0)
			goto fail;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		struct ynode *child = build_node(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			goto fail;
		if (is_map && pushed % 2 == 0) {
			if (child->kind != YNODE_SCALAR) {
				fail_at(b, child->line, child->col, "mapping keys must be plain strings");
				node_free(child);
				goto fail;
			}
			for (size_t i = 0; i < pushed && !is_merge_key(b, child); i += 2) {
				if (strcmp(n->items[i]->value, child->value) == 0) {
					fail_at(b, child->line, child->col,
						"duplicate key '%s' (first at line %u)", child->value,
						n->items[i]->line);
					node_free(child);
					goto fail;
				}
			}
		}
		if (node_push(n, child, &cap) < 0) {
			node_free(child);
			goto fail;
		}
		pushed++;
	}
	if (is_map && b->flavour == YDOC_OPENSTACK) {
		int rc = merge_keys(b, n, &cap);
		pushed = n->n;
		if (rc < 0)
			goto fail;
	}
	if (is_map)
		n->n /= 2;
	return n;
fail:
	/* n->n still counts items, not pairs: free them here, not in node_free */
	for (size_t i = 0; i < pushed; i++)
		node_free(n->items[i]);
	n->n = 0;
	node_free(n);
	return NULL;
}

static struct ynode *build_plain_node(struct builder *b, yaml_event_t *ev, int depth);

static const unsigned char *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT: return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT: return ev->data.mapping_start.anchor;
	default: return NULL;
	}
}

/* OPENSTACK: an alias is a copy of its anchor's node; an anchored node is
 * remembered once built (so an alias inside it cannot name it). */
static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth)
{
	if (b->flavour == YDOC_STRICT)
		return build_plain_node(b, ev, depth);
	if (ev->type == YAML_ALIAS_EVENT)
		return alias_node(b, ev, depth);
	struct ynode *n = build_plain_node(b, ev, depth);
	const unsigned char *anchor = event_anchor(ev);
	if (n && anchor && anchor_add(b, anchor, n, &ev->start_mark) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct ynode *build_plain_node(struct builder *b, yaml_event_t *ev, int depth)
{
	if (depth > YDOC_MAX_DEPTH) {
		fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			"nesting deeper than %d levels", YDOC_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		if (check_plain(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag) < 0)
			return NULL;
		struct ynode *n = node_new(YNODE_SCALAR, &ev->start_mark);
		if (!n)
			return NULL;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (!n->value || strlen(n->value) != ev->data.scalar.length) {
			if (n->value)
				fail_at(b, n->line, n->col, "NUL byte in a scalar");
			node_free(n);
			return NULL;
		}
		return n;
	}
	case YAML_SEQUENCE_START_EVENT:
		if (check_plain(b, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag) < 0)
			return NULL;
		return build_collection(b, ev, depth);
	case YAML_MAPPING_START_EVENT:
		if (check_plain(b, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag) < 0)
			return NULL;
		return build_collection(b, ev, depth);
	default:
		check_plain(b, ev, NULL, NULL);
		if (!b->err[0])
			fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1, "unexpected YAML event");
		return NULL;
	}
}

static int expect_event(struct builder *b, yaml_event_type_t type, yaml_event_t *ev)
{
	if (next_event(b, ev) < 0)
		return -1;
	if (ev->type != type) {
		fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			type == YAML_STREAM_END_EVENT ? "only one YAML document is allowed"
						      : "unexpected YAML structure");
		yaml_event_delete(ev);
		return -1;
	}
	return 0;
}

int ydoc_load(struct ydoc *doc, const char *path, const char *text, size_t len, enum ydoc_flavour flavour,
	      char *err, size_t errlen)
{
	struct builder b = { .path = path, .err = err, .errlen = errlen, .flavour = flavour };
	yaml_event_t ev;
	int rc = -1;

	memset(doc, 0, sizeof(*doc));
	err[0] = '\0';
	if (!yaml_parser_initialize(&b.parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	if (expect_event(&b, YAML_STREAM_START_EVENT, &ev) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&b, &ev) < 0)
		goto out;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		yaml_event_delete(&ev);
		if (next_event(&b, &ev) < 0)
			goto out;
		doc->root = build_node(&b, &ev, 0);
		yaml_event_delete(&ev);
		if (!doc->root) {
			if (!err[0])
				snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if (expect_event(&b, YAML_DOCUMENT_END_EVENT, &ev) < 0)
			goto out;
		yaml_event_delete(&ev);
		if (expect_event(&b, YAML_STREAM_END_EVENT, &ev) < 0)
			goto out;
	}
	yaml_event_delete(&ev);
	doc->path = strdup(path);
	rc = doc->path ? 0 : -1;
out:
	yaml_parser_delete(&b.parser);
	for (size_t i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	for (size_t i = 0; i < b.n_spent; i++)
		node_free(b.spent[i]);
	free(b.spent);
	if (rc < 0)
		ydoc_free(doc);
	return rc;
}

void ydoc_free(struct ydoc *doc)
{
	node_free(doc->root);
	free(doc->path);
	doc->root = NULL;
	doc->path = NULL;
}

struct ynode *ymap_get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(ymap_key(m, i)->value, key) == 0)
			return ymap_val(m, i);
	return NULL;
}

const char *ynode_kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YNODE_SCALAR: return "a scalar";
	case YNODE_SEQ: return "a list";
	case YNODE_MAP: return "a mapping";
	}
	return "?";
}
