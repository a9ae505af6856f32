/* policy: load SCS spec files, v2 rule files and the operator config.
 *
 * Every key is checked against a list of the keys we understand: a typo in
 * a policy must be an error, never a rule that silently stops applying. */
#include "core/policy.h"
#include "core/catalog.h"
#include "core/enums.h"
#include "core/exempt.h"
#include "core/fleet.h"
#include "core/image.h"
#include "core/loader.h"
#include "core/meta.h"
#include "core/projects.h"
#include "core/quota.h"
#include "core/regex.h"
#include "core/rules.h"
#include "core/spec.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_MAX_FILE (4u << 20)

static EVP_MD_CTX *hash_ctx(struct policy *p);


/* ---- files ------------------------------------------------------------ */

static const char *add_file(struct policy *p, const char *path)
{
	char **files = realloc(p->files, (p->n_files + 1) * sizeof(*files));
	if (!files)
		return NULL;
	p->files = files;
	p->files[p->n_files] = xstrdup(path);
	return p->files[p->n_files++];
}

/* Parse one file's text, hashing exactly the bytes that were parsed. */
static void open_text(struct loader *l, struct policy *p, const char *path, const char *text, size_t len)
{
	l->p = p;
	l->y.path = add_file(p, path);
	EVP_DigestUpdate(hash_ctx(p), text, len);
}

static int load_root(struct loader *l, const struct ynode *root, int allow_config);

static int check_root(struct loader *l, const struct ynode *root)
{
	if (!root || root->kind != YNODE_MAP)
		return yc_fail(&l->y, root, "expected a mapping at the top of the file");
	return 0;
}

int policy_load_spec(struct policy *p, const char *path, char *err, size_t errlen)
{
	struct loader l = { .y = { .err = err, .errlen = errlen } };
	struct ydoc doc;
	size_t len;
	char *text = file_read(path, POLICY_MAX_FILE, &len, err, errlen);

	if (!text)
		return -1;
	open_text(&l, p, path, text, len);
	int rc = ydoc_load(&doc, l.y.path, text, len, YDOC_STRICT, err, errlen);
	free(text);
	if (rc < 0)
		return -1;
	rc = check_root(&l, doc.root) < 0 ? -1 : load_root(&l, doc.root, 0);
	ydoc_free(&doc);
	return rc;
}

int policy_load_parsed(struct policy *p, const char *path, const char *text, size_t len, const struct ynode *root,
		       char *err, size_t errlen)
{
	struct loader l = { .y = { .err = err, .errlen = errlen } };

	open_text(&l, p, path, text, len);
	return check_root(&l, root) < 0 ? -1 : load_root(&l, root, 1);
}

/* Relative policy paths in a config are relative to the config file. */
static char *resolve_path(const char *config, const char *path)
{
	const char *slash = strrchr(config, '/');
	if (path[0] == '/' || !slash)
		return xstrdup(path);
	size_t n = (size_t)(slash - config) + 1 + strlen(path) + 1;
	char *out = xcalloc(n, 1);
	snprintf(out, n, "%.*s/%s", (int)(slash - config), config, path);
	return out;
}

static void free_strings(char **s, size_t n);

static int load_exemption(struct loader *l, const struct ynode *n, struct exemption *e)
{
	return exemption_load(&l->y, n, 1, e);
}

static int load_scope(struct loader *l, const struct ynode *n)
{
	if (yc_want(&l->y, n, YNODE_MAP, "visibility") < 0 || yc_keys(&l->y, n, (const char *const[]){
		"public", "community", "shared", "private", NULL }, "visibility") < 0)
		return -1;
	for (int v = 0; v < VIS_COUNT; v++) {
		struct ynode *m = ymap_get(n, visibility_name((enum visibility)v));
		if (m && mode_get(&l->y, m, visibility_name((enum visibility)v), &l->p->scope[v]) < 0)
			return -1;
	}
	return 0;
}

static int load_import(struct loader *l, const struct ynode *n)
{
	struct ynode *v;

	if (yc_want(&l->y, n, YNODE_MAP, "import") < 0 ||
	    yc_keys(&l->y, n, (const char *const[]){ "download_uri", NULL }, "import") < 0)
		return -1;
	if ((v = ymap_get(n, "download_uri"))) {
		if (download_uri_get(&l->y, v, "import.download_uri", &l->p->download_uri) < 0)
			return -1;
		l->p->download_uri_line = v->line;
	}
	return 0;
}

/* origin: the keyring path is relative to the config, like its policies. */
static int load_origin_config(struct loader *l, const struct ynode *n)
{
	struct origin_config *c = &l->p->origin;

	if (origin_config_load(&l->y, n, c) < 0)
		return -1;
	if (c->keyring) {
		char *path = resolve_path(l->y.path, c->keyring);
		free(c->keyring);
		c->keyring = path;
	}
	return 0;
}

/* An origins file: its origins join those of the files before it; a
 * prefix given twice is an error wherever the other one is. */
static int load_origins(struct loader *l, const struct ynode *root)
{
	struct origins add = { 0 }, *all = &l->p->origins;
	int rc = origins_load(&l->y, root, &add);

	for (size_t i = 0; rc == 0 && i < add.n; i++) {
		add.o[i].file = l->y.path;
		for (size_t j = 0; j < all->n; j++)
			if (!strcmp(all->o[j].prefix, add.o[i].prefix)) {
				rc = yc_fail(&l->y, ymap_get(root, "origins")->items[i],
					     "prefix '%s' is already an origin (%s:%u)", add.o[i].prefix, all->o[j].file,
					     all->o[j].line);
				break;
			}
	}
	if (rc < 0) {
		origins_free(&add);
		return -1;
	}
	struct origin *o = realloc(all->o, (all->n + add.n) * sizeof(*o));
	if (!o)
		oom();
	memcpy(o + all->n, add.o, add.n * sizeof(*o));
	all->o = o;
	all->n += add.n;
	free(add.o);
	return 0;
}

static int load_config_policies(struct loader *l, const struct ynode *n)
{
	char **files = NULL;        /* yc_strings leaves them unset when it refuses the node */
	size_t count = 0;
	char *config = xstrdup(l->y.path);
	int rc = yc_strings(&l->y, n, "policy", &files, &count);

	for (size_t i = 0; i < count; i++) {
		if (rc == 0) {
			char *path = resolve_path(config, files[i]);
			rc = policy_load_spec(l->p, path, l->y.err, l->y.errlen);
			free(path);
		}
		free(files[i]);
	}
	free(files);
	free(config);
	return rc;
}

static int load_config(struct loader *l, const struct ynode *root)
{
	static const char *const keys[] = { "policy", "mode", "visibility", "exemptions", "quota", "import",
					    "origin", "sync", POLICY_SERVICE_KEYS, NULL };
	struct policy *p = l->p;
	struct ynode *v;

	if (yc_keys(&l->y, root, keys, "the config") < 0 || yc_need(&l->y, root, "policy", "the config", &v) < 0)
		return -1;
	if ((v = ymap_get(root, "mode")) && mode_get(&l->y, v, "mode", &p->mode) < 0)
		return -1;
	if ((v = ymap_get(root, "visibility")) && load_scope(l, v) < 0)
		return -1;
	if ((v = ymap_get(root, "import")) && load_import(l, v) < 0)
		return -1;
	if ((v = ymap_get(root, "origin")) && load_origin_config(l, v) < 0)
		return -1;
	if ((v = ymap_get(root, "exemptions"))) {
		if (yc_want(&l->y, v, YNODE_SEQ, "exemptions") < 0)
			return -1;
		LOAD_LIST(l, v, p->exemptions, p->n_exemptions, load_exemption);
	}
	if ((v = ymap_get(root, "quota"))) {
		p->quota = xcalloc(1, sizeof(*p->quota));
		if (quota_load(&l->y, v, p->quota) < 0)
			return -1;
	}
	if ((v = ymap_get(root, "sync"))) {
		p->catalog = xcalloc(1, sizeof(*p->catalog));
		if (catalog_load(&l->y, v, p->catalog) < 0)
			return -1;
	}
	/* Spec files last: their errors name their own file. */
	return load_config_policies(l, ymap_get(root, "policy"));
}

static int load_root(struct loader *l, const struct ynode *root, int allow_config)
{
	if (allow_config && ymap_get(root, "policy"))
		return load_config(l, root);
	if (ymap_get(root, "images"))
		return spec_load(l, root);
	if (ymap_get(root, "distros") || ymap_get(root, "rules"))
		return rules_load(l, root);
	if (ymap_get(root, "image_metadata"))
		return meta_load(&l->y, l->p, root) < 0 ? -1 : fleet_load(&l->y, l->p, ymap_get(root, "image_metadata"));
	if (ymap_get(root, "origins"))
		return load_origins(l, root);
	return yc_fail(&l->y, root, "not a policy file: expected %san SCS spec ('images:'), "
		     "SCS-0104 v2 rules ('distros:', 'rules:'), image metadata rules ('image_metadata:') "
		     "or origins ('origins:')",
		     allow_config ? "a config ('policy:'), " : "");
}

/* ---- lifecycle -------------------------------------------------------- */

/* The hash context lives in a slot of its own until policy_finish. */
struct policy_private {
	struct policy pub;
	EVP_MD_CTX *md;
};

static EVP_MD_CTX *hash_ctx(struct policy *p)
{
	return ((struct policy_private *)p)->md;
}

struct policy *policy_new(void)
{
	struct policy_private *pp = xcalloc(1, sizeof(*pp));
	struct policy *p = &pp->pub;

	p->mode = MODE_ENFORCE;
	p->scope[VIS_PUBLIC] = p->scope[VIS_COMMUNITY] = MODE_ENFORCE;
	p->scope[VIS_SHARED] = p->scope[VIS_PRIVATE] = MODE_WARN;
	p->mctx = regex_context_new();
	pp->md = EVP_MD_CTX_new();
	if (!p->mctx || !pp->md || !EVP_DigestInit_ex(pp->md, EVP_sha256(), NULL)) {
		oom();
	}
	return p;
}

int policy_finish(struct policy *p, char *err, size_t errlen)
{
	struct policy_private *pp = (struct policy_private *)p;
	unsigned char md[32];
	unsigned int n = 0;

	/* origins alone are a policy: verification before the SCS names */
	if (!p->n_entries && !p->n_rules && !p->n_meta && !p->origins.n) {
		snprintf(err, errlen, "%s: the policy has no rules (no 'images' entries, no v2 'rules', "
			 "no 'image_metadata' rules, no 'origins')",
			 p->n_files ? p->files[0] : "policy");
		return -1;
	}
	if (pp->md) {
		EVP_DigestFinal_ex(pp->md, md, &n);
		EVP_MD_CTX_free(pp->md);
		pp->md = NULL;
		for (unsigned i = 0; i < n; i++)
			snprintf(p->sha256 + 2 * i, 3, "%02x", md[i]);
	}
	return 0;
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static void free_props(struct prop_eq *pe, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pe[i].key);
		free(pe[i].value);
	}
	free(pe);
}

static void free_rule(struct v2_rule *r)
{
	free(r->id);
	free_props(r->match, r->n_match);
	regex_free(&r->name_scheme);
	if (r->expanded)
		for (size_t k = 0; k < r->distro->n_releases; k++)
			free_strings(r->expanded[k], r->n_sources);
	free(r->expanded);
	free_strings(r->sources, r->n_sources);
	free_props(r->require, r->n_require);
}

static void free_distro(struct distro *d)
{
	free(d->name);
	regex_free(&d->version_format);
	for (size_t k = 0; k < d->n_releases; k++) {
		free(d->releases[k].version);
		free(d->releases[k].codename);
	}
	free(d->releases);
}

void policy_free(struct policy *p)
{
	struct policy_private *pp = (struct policy_private *)p;

	if (!p)
		return;
	for (size_t i = 0; i < p->n_entries; i++) {
		free(p->entries[i].name);
		free(p->entries[i].testcase);
		regex_free(&p->entries[i].scheme);
		free_strings(p->entries[i].sources, p->entries[i].n_sources);
	}
	free(p->entries);
	for (size_t i = 0; i < p->n_rules; i++)
		free_rule(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->n_presence; i++) {
		free(p->presence[i].os_purpose);
		regex_free(&p->presence[i].name_scheme);
	}
	free(p->presence);
	meta_free(p);
	fleet_free(p->fleet);
	for (size_t i = 0; i < p->n_distros; i++)
		free_distro(&p->distros[i]);
	free(p->distros);
	for (size_t i = 0; i < p->n_exemptions; i++)
		exemption_free(&p->exemptions[i]);
	if (p->quota)
		quota_free(p->quota);
	free(p->quota);
	if (p->catalog)
		catalog_free(p->catalog);
	free(p->catalog);
	free(p->exemptions);
	origins_free(&p->origins);
	origin_config_free(&p->origin);
	free_strings(p->files, p->n_files);
	pcre2_match_context_free(p->mctx);
	EVP_MD_CTX_free(pp->md);
	free(pp);
}
