/* opconf: the operator config, read once; see opconf.h. */
#include "io/opconf.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <stdlib.h>
#include <string.h>

#define OPCONF_MAX_FILE (4u << 20)

/* What holds only for the keys together. */
static int check_whole(struct yconf *y, const struct ynode *root, const struct policy *p, const struct config *c)
{
	if (!p->quota || c->has_keystone)
		return 0;
	const struct ynode *at = root;
	for (size_t i = 0; i < root->n; i++)
		if (!strcmp(ymap_key(root, i)->value, "quota"))
			at = ymap_key(root, i);
	return yc_fail(y, at, "quota needs a 'keystone' key: usage is read from Glance with the hook's own token");
}

static int load_root(struct yconf *y, const char *text, size_t len, const struct ynode *root, unsigned flags,
		     struct policy *p, struct config *c)
{
	int is_config = root && root->kind == YNODE_MAP &&
			(ymap_get(root, "policy") || !(ymap_get(root, "images") || ymap_get(root, "rules") ||
						       ymap_get(root, "distros") || ymap_get(root, "origins")));
	if (!is_config && !(flags & OPCONF_ANY_FILE) && root && root->kind == YNODE_MAP)
		return yc_fail(y, root, "this is a spec file, not a config: pass it with --policy");
	if (policy_load_parsed(p, y->path, text, len, root, y->err, y->errlen) < 0)
		return -1;
	if (!is_config)
		return 0;
	/* Spec files are loaded by now: errors in them name their own file. */
	if (config_load_root(c, y, root, flags & (CONFIG_SERVICE | CONFIG_CREDENTIALS)) < 0)
		return -1;
	/* the origin judgement and the vendor fetch follow the service keys */
	p->origin.fail_open = c->failure == FAIL_OPEN;
	p->origin.timeout_ms = c->decision_timeout_ms;
	return check_whole(y, root, p, c);
}

int opconf_load(const char *path, unsigned flags, struct policy *p, struct config *c, char *err, size_t errlen)
{
	struct yconf y = { .path = path, .err = err, .errlen = errlen };
	struct config scratch = { 0 };
	struct ydoc doc;
	size_t len;
	int rc = -1;

	if (!c)
		c = &scratch;
	memset(c, 0, sizeof(*c));
	char *text = file_read(path, OPCONF_MAX_FILE, &len, err, errlen);
	if (text && ydoc_load(&doc, path, text, len, YDOC_STRICT, err, errlen) == 0) {
		rc = load_root(&y, text, len, doc.root, flags, p, c);
		ydoc_free(&doc);
	}
	free(text);
	if (rc < 0 || c == &scratch)
		config_free(c);
	return rc;
}
