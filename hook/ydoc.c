/* ydoc: libyaml events folded into a located tree. */
#include "ydoc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A policy file has no business being deeper than this; a bound keeps a
 * hostile file from exhausting the stack. */
#define YDOC_MAX_DEPTH 64

struct builder {
	yaml_parser_t parser;
	const char *path;
	char *err;
	size_t errlen;
};

static int fail_at(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(b->err, b->errlen, "%s:%u:%u: ", b->path, line, col);
	if (n < 0 || (size_t)n >= b->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - n, fmt, ap);
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

static int check_plain(struct builder *b, const yaml_event_t *ev, const unsigned char *anchor,
		       const unsigned char *tag)
{
	if (ev->type == YAML_ALIAS_EVENT)
		return fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       "aliases are not allowed in policy files");
	if (anchor)
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
			for (size_t i = 0; i < pushed; i += 2) {
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

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth)
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
	struct builder b = { .path = path, .err = err, .errlen = errlen };
	(void)flavour;
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
