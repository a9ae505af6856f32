/* ydoc: a YAML document as a small tree that remembers where each node
 * came from, so every policy error can name file:line:column. */
#ifndef SCS_YDOC_H
#define SCS_YDOC_H

#include <stddef.h>

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col;         /* 1-based, as editors count */
	char *value;                /* scalars only */
	int quoted;                 /* scalar was quoted: never a null/bool */
	struct ynode **items;       /* sequence items, or map key,value pairs */
	size_t n;                   /* items, or pairs for a map */
};

struct ydoc {
	char *path;
	struct ynode *root;         /* NULL for an empty document */
};

/* How much of YAML a file may use. STRICT (policy files, the operator
 * config): aliases, anchors, tags, several documents and duplicate keys
 * are refused, policy files are data, not programs. OPENSTACK
 * (clouds.yaml, secure.yaml, as openstacksdk reads them with PyYAML's
 * safe_load): anchors, aliases and merge keys (`<<: *base`) are taken
 * too, each alias expanded into a copy, within a bound (billion laughs). */
enum ydoc_flavour { YDOC_STRICT, YDOC_OPENSTACK };

/* Parse a YAML file into doc. On error returns -1 and writes
 * "file:line:col: what" into err. */
int ydoc_load(struct ydoc *doc, const char *path, const char *text, size_t len, enum ydoc_flavour flavour,
	      char *err, size_t errlen);
void ydoc_free(struct ydoc *doc);

/* Map access: the value node of key i, and its key. */
static inline struct ynode *ymap_key(const struct ynode *m, size_t i) { return m->items[2 * i]; }
static inline struct ynode *ymap_val(const struct ynode *m, size_t i) { return m->items[2 * i + 1]; }
struct ynode *ymap_get(const struct ynode *m, const char *key);

const char *ynode_kind_name(enum ynode_kind kind);

#endif
