/* spec: load an SCS v1 spec file ('images:') into the policy. */
#include "core/spec.h"
#include "core/enums.h"
#include "core/loader.h"
#include "core/regex.h"
#include "core/testcase.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SCS v1 spec files ------------------------------------------------ */

static const char *const entry_keys[] = { "name", "name_scheme", "source", "status", "testcase", NULL };

/* `testcase:` names the SCS testcases of an entry as upstream does
 * (capi-1): the lines scs-0104-source-ID and scs-0104-image-ID. */
static int get_testcase(struct loader *l, const struct ynode *n, struct spec_entry *e)
{
	if (!n) {
		e->testcase = testcase_from_name(e->name);
		return 0;
	}
	if (yc_string(&l->y, n, "testcase", &e->testcase) < 0)
		return -1;
	if (strspn(e->testcase, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(e->testcase))
		return yc_fail(&l->y, n, "testcase must be lower-case letters, digits and '-' (as in capi-1), not '%s'",
			       e->testcase);
	return 0;
}

static int load_entry(struct loader *l, const struct ynode *n, struct spec_entry *e)
{
	struct ynode *v;

	e->file = l->y.path;
	e->line = n->line;
	if (yc_want(&l->y, n, YNODE_MAP, "an images entry") < 0 ||
	    yc_keys(&l->y, n, entry_keys, "an images entry") < 0 ||
	    yc_need(&l->y, n, "name", "an images entry", &v) < 0 ||
	    yc_string(&l->y, v, "name", &e->name) < 0)
		return -1;
	if ((v = ymap_get(n, "name_scheme")) && regex_compile(&l->y, v, "name_scheme", &e->scheme, 0) < 0)
		return -1;
	if (yc_need(&l->y, n, "source", "an images entry", &v) < 0 ||
	    yc_strings(&l->y, v, "source", &e->sources, &e->n_sources) < 0)
		return -1;
	if ((v = ymap_get(n, "status")) && status_get(&l->y, v, "status", &e->status) < 0)
		return -1;
	return get_testcase(l, ymap_get(n, "testcase"), e);
}

int spec_load(struct loader *l, const struct ynode *root)
{
	static const char *const keys[] = { "images", NULL };
	struct policy *p = l->p;
	struct ynode *images;

	if (yc_keys(&l->y, root, keys, "an SCS spec file") < 0 ||
	    yc_need(&l->y, root, "images", "an SCS spec file", &images) < 0 ||
	    yc_want(&l->y, images, YNODE_SEQ, "images") < 0)
		return -1;
	struct spec_entry *grown = realloc(p->entries, (p->n_entries + images->n) * sizeof(*grown));
	if (!grown)
		return yc_fail(&l->y, NULL, "out of memory");
	p->entries = grown;
	memset(p->entries + p->n_entries, 0, images->n * sizeof(*grown));
	for (size_t i = 0; i < images->n; i++) {
		/* count it first, so that policy_free frees a half-loaded entry */
		struct spec_entry *e = &p->entries[p->n_entries++];
		if (load_entry(l, images->items[i], e) < 0)
			return -1;
	}
	return 0;
}
