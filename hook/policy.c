/* policy: load SCS spec files, v2 rule files and the operator config.
 *
 * Every key is checked against a list of the keys we understand: a typo in
 * a policy must be an error, never a rule that silently stops applying. */
#include "policy.h"
#include "exempt.h"
#include "fleet.h"
#include "image.h"
#include "meta.h"
#include "projects.h"
#include "quota.h"
#include "regex.h"
#include "util.h"
#include "yconf.h"
#include "ydoc.h"

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

struct loader {
	struct yconf y;             /* path as stored in p->files, err */
	struct policy *p;
};

static const char *const mode_names[] = { "dry-run", "warn", "enforce" };
static const char *const status_names[] = { "optional", "recommended", "mandatory" };
static const char *const download_uri_names[] = { "prefix", "equal", "off" };

static int get_mode(struct loader *l, const struct ynode *n, const char *what, enum mode *out)
{
	int v;
	if (yc_enum(&l->y, n, what, mode_names, 3, &v) < 0)
		return -1;
	*out = (enum mode)v;
	return 0;
}

static int get_status(struct loader *l, const struct ynode *n, const char *what, enum status *out)
{
	int v;
	if (yc_enum(&l->y, n, what, status_names, 3, &v) < 0)
		return -1;
	*out = (enum status)v;
	return 0;
}

/* ---- SCS v1 spec files ------------------------------------------------ */

static const char *const entry_keys[] = { "name", "name_scheme", "source", "status", "testcase", NULL };

/* Upstream's derivation: lower case, dots dropped, anything else not a
 * letter or digit a dash ("Ubuntu 24.04" is "ubuntu-2404"). */
static char *derive_testcase(const char *name)
{
	char *id = xstrdup(name), *o = id;
	for (const char *c = name; *c; c++)
		if (*c != '.')
			*o++ = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '-';
	*o = '\0';
	return id;
}

/* `testcase:` names the SCS testcases of an entry as upstream does
 * (capi-1): the lines scs-0104-source-ID and scs-0104-image-ID. */
static int get_testcase(struct loader *l, const struct ynode *n, struct spec_entry *e)
{
	if (!n) {
		e->testcase = derive_testcase(e->name);
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
	if ((v = ymap_get(n, "status")) && get_status(l, v, "status", &e->status) < 0)
		return -1;
	return get_testcase(l, ymap_get(n, "testcase"), e);
}

static int load_v1(struct loader *l, const struct ynode *root)
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

/* ---- SCS-0104 v2 rule files ------------------------------------------- */

static const struct distro *find_distro(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_distros; i++)
		if (!strcmp(p->distros[i].name, name))
			return &p->distros[i];
	return NULL;
}

static int load_release(struct loader *l, const struct ynode *n, struct distro *d, struct release *r)
{
	static const char *const keys[] = { "version", "codename", "released", "lts", NULL };
	struct ynode *v;

	if (yc_want(&l->y, n, YNODE_MAP, "a release") < 0 || yc_keys(&l->y, n, keys, "a release") < 0 ||
	    yc_need(&l->y, n, "version", "a release", &v) < 0 || yc_string(&l->y, v, "version", &r->version) < 0)
		return -1;
	if (regex_match(l->p, &d->version_format, r->version, strlen(r->version)) != 1)
		return yc_fail(&l->y, v, "version '%s' does not match %s's version_format '%s'", r->version,
			     d->name, d->version_format.pattern);
	for (const struct release *o = d->releases; o < r; o++)
		if (!strcmp(o->version, r->version))
			return yc_fail(&l->y, v, "version '%s' is listed twice for %s", r->version, d->name);
	if (yc_need(&l->y, n, "codename", "a release", &v) < 0 || yc_string(&l->y, v, "codename", &r->codename) < 0 ||
	    yc_need(&l->y, n, "released", "a release", &v) < 0 || yc_date(&l->y, v, "released", &r->released) < 0)
		return -1;
	if ((v = ymap_get(n, "lts")) && yc_bool(&l->y, v, "lts", &r->lts) < 0)
		return -1;
	if (r > d->releases && r[-1].released >= r->released)
		return yc_fail(&l->y, n, "releases of %s must be listed oldest first", d->name);
	return 0;
}

static int load_distro(struct loader *l, const struct ynode *key, const struct ynode *n, struct distro *d)
{
	static const char *const keys[] = { "version_format", "releases", NULL };
	struct ynode *v;

	d->name = xstrdup(key->value);
	d->line = key->line;
	if (yc_want(&l->y, n, YNODE_MAP, "a distro") < 0 || yc_keys(&l->y, n, keys, "a distro") < 0 ||
	    yc_need(&l->y, n, "version_format", "a distro", &v) < 0 ||
	    regex_compile(&l->y, v, "version_format", &d->version_format, 1) < 0 ||
	    yc_need(&l->y, n, "releases", "a distro", &v) < 0 || yc_want(&l->y, v, YNODE_SEQ, "releases") < 0)
		return -1;
	d->releases = xcalloc(v->n, sizeof(*d->releases));
	for (size_t i = 0; i < v->n; i++) {
		d->n_releases = i + 1;
		if (load_release(l, v->items[i], d, &d->releases[i]) < 0)
			return -1;
	}
	return 0;
}

static int get_prop_map(struct loader *l, const struct ynode *n, const char *what,
			struct prop_eq **out, size_t *count)
{
	if (yc_want(&l->y, n, YNODE_MAP, what) < 0)
		return -1;
	*out = xcalloc(n->n, sizeof(**out));
	*count = n->n;
	for (size_t i = 0; i < n->n; i++) {
		(*out)[i].key = xstrdup(ymap_key(n, i)->value);
		if (yc_string(&l->y, ymap_val(n, i), what, &(*out)[i].value) < 0)
			return -1;
	}
	return 0;
}

static char *expand_codename(const char *tmpl, const char *codename)
{
	const char *at = strstr(tmpl, "{codename}");
	size_t n = strlen(tmpl) + strlen(codename) + 1;
	char *out = xcalloc(n, 1);
	if (!at) {
		strcpy(out, tmpl);
		return out;
	}
	snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, codename, at + strlen("{codename}"));
	return out;
}

static int load_rule_sources(struct loader *l, const struct ynode *n, struct v2_rule *r)
{
	struct ynode *v = ymap_get(n, "source");
	if (!v)
		return 0;
	if (yc_strings(&l->y, v, "source", &r->sources, &r->n_sources) < 0)
		return -1;
	for (size_t i = 0; i < r->n_sources; i++) {
		int templated = strstr(r->sources[i], "{codename}") != NULL;
		if (templated && !r->distro)
			return yc_fail(&l->y, v, "source '%s' uses {codename} but the rule names no distro",
				     r->sources[i]);
		if (strchr(r->sources[i], '{') && !templated)
			return yc_fail(&l->y, v, "source '%s': the only placeholder is {codename}", r->sources[i]);
	}
	if (!r->distro)
		return 0;
	/* Resolve every template for every release now: deciding stays a lookup. */
	r->expanded = xcalloc(r->distro->n_releases, sizeof(char **));
	for (size_t k = 0; k < r->distro->n_releases; k++) {
		r->expanded[k] = xcalloc(r->n_sources, sizeof(char *));
		for (size_t i = 0; i < r->n_sources; i++)
			r->expanded[k][i] = expand_codename(r->sources[i], r->distro->releases[k].codename);
	}
	return 0;
}

static int load_rule(struct loader *l, const struct ynode *n, struct v2_rule *r)
{
	static const char *const keys[] = { "id", "match", "name_scheme", "distro", "source", "require", NULL };
	struct ynode *v;

	r->file = l->y.path;
	r->line = n->line;
	if (yc_want(&l->y, n, YNODE_MAP, "a rule") < 0 || yc_keys(&l->y, n, keys, "a rule") < 0 ||
	    yc_need(&l->y, n, "id", "a rule", &v) < 0 || yc_string(&l->y, v, "id", &r->id) < 0)
		return -1;
	if ((v = ymap_get(n, "match")) && get_prop_map(l, v, "match", &r->match, &r->n_match) < 0)
		return -1;
	if ((v = ymap_get(n, "name_scheme")) && regex_compile(&l->y, v, "name_scheme", &r->name_scheme, 0) < 0)
		return -1;
	if (!r->n_match && !r->name_scheme.code)
		return yc_fail(&l->y, n, "rule '%s' needs a selector: 'match' or 'name_scheme'", r->id);
	if ((v = ymap_get(n, "distro"))) {
		if (yc_want(&l->y, v, YNODE_SCALAR, "distro") < 0)
			return -1;
		if (!(r->distro = find_distro(l->p, v->value)))
			return yc_fail(&l->y, v, "unknown distro '%s' (define it under 'distros' first)", v->value);
	}
	if (load_rule_sources(l, n, r) < 0)
		return -1;
	if ((v = ymap_get(n, "require")) && get_prop_map(l, v, "require", &r->require, &r->n_require) < 0)
		return -1;
	if (!r->n_sources && !r->n_require && !r->distro)
		return yc_fail(&l->y, n, "rule '%s' requires nothing: give 'source', 'require' or 'distro'", r->id);
	return 0;
}

static int get_month_day(struct loader *l, const struct ynode *n, int *month, int *day)
{
	char extra;
	if (yc_want(&l->y, n, YNODE_SCALAR, "effective_from") < 0)
		return -1;
	if (sscanf(n->value, "%2d-%2d%c", month, day, &extra) != 2 || *month < 1 || *month > 12 ||
	    *day < 1 || *day > 31)
		return yc_fail(&l->y, n, "effective_from must be MM-DD (a day in the release year), not '%s'", n->value);
	return 0;
}

static int load_presence(struct loader *l, const struct ynode *n, struct presence_rule *r)
{
	static const char *const keys[] = { "distro", "os_purpose", "lts_only", "effective_from",
					    "effective_after_months", "latest", "previous",
					    "name_scheme", "status", NULL };
	struct ynode *v;

	r->line = n->line;
	if (yc_want(&l->y, n, YNODE_MAP, "a presence rule") < 0 || yc_keys(&l->y, n, keys, "a presence rule") < 0)
		return -1;
	if ((v = ymap_get(n, "name_scheme"))) {
		if (ymap_get(n, "distro"))
			return yc_fail(&l->y, v, "a presence rule has either 'distro' or 'name_scheme'");
		if (regex_compile(&l->y, v, "name_scheme", &r->name_scheme, 0) < 0 ||
		    yc_need(&l->y, n, "status", "a name_scheme presence rule", &v) < 0)
			return -1;
		return get_status(l, v, "status", &r->latest);
	}
	if (yc_need(&l->y, n, "distro", "a presence rule", &v) < 0 || yc_want(&l->y, v, YNODE_SCALAR, "distro") < 0)
		return -1;
	if (!(r->distro = find_distro(l->p, v->value)))
		return yc_fail(&l->y, v, "unknown distro '%s'", v->value);
	if ((v = ymap_get(n, "os_purpose")) && yc_string(&l->y, v, "os_purpose", &r->os_purpose) < 0)
		return -1;
	if ((v = ymap_get(n, "lts_only")) && yc_bool(&l->y, v, "lts_only", &r->lts_only) < 0)
		return -1;
	if ((v = ymap_get(n, "effective_from")) && get_month_day(l, v, &r->effective_month, &r->effective_day) < 0)
		return -1;
	if ((v = ymap_get(n, "effective_after_months"))) {
		char *end;
		long m = strtol(v->value, &end, 10);
		if (v->kind != YNODE_SCALAR || *end || m < 0 || m > 120)
			return yc_fail(&l->y, v, "effective_after_months must be a whole number of months");
		r->effective_after_months = (int)m;
	}
	if (yc_need(&l->y, n, "latest", "a presence rule", &v) < 0 || get_status(l, v, "latest", &r->latest) < 0 ||
	    yc_need(&l->y, n, "previous", "a presence rule", &v) < 0 || get_status(l, v, "previous", &r->previous) < 0)
		return -1;
	return 0;
}

#define LOAD_LIST(l, seq, arr, count, fn)                                     \
	do {                                                                  \
		(arr) = xcalloc((seq)->n, sizeof(*(arr)));                    \
		for (size_t i_ = 0; i_ < (seq)->n; i_++) {                    \
			(count) = i_ + 1;                                     \
			if (fn((l), (seq)->items[i_], &(arr)[i_]) < 0)        \
				return -1;                                    \
		}                                                             \
	} while (0)

static int load_v2(struct loader *l, const struct ynode *root)
{
	static const char *const keys[] = { "distros", "rules", "presence", NULL };
	struct policy *p = l->p;
	struct ynode *v;

	if (p->n_distros || p->n_rules)
		return yc_fail(&l->y, root, "only one v2 rules file may be loaded");
	if (yc_keys(&l->y, root, keys, "an SCS-0104 v2 rules file") < 0 ||
	    yc_need(&l->y, root, "distros", "an SCS-0104 v2 rules file", &v) < 0 || yc_want(&l->y, v, YNODE_MAP, "distros") < 0)
		return -1;
	p->distros = xcalloc(v->n, sizeof(*p->distros));
	for (size_t i = 0; i < v->n; i++) {
		p->n_distros = i + 1;
		if (load_distro(l, ymap_key(v, i), ymap_val(v, i), &p->distros[i]) < 0)
			return -1;
	}
	if (yc_need(&l->y, root, "rules", "an SCS-0104 v2 rules file", &v) < 0 || yc_want(&l->y, v, YNODE_SEQ, "rules") < 0)
		return -1;
	LOAD_LIST(l, v, p->rules, p->n_rules, load_rule);
	if ((v = ymap_get(root, "presence"))) {
		if (yc_want(&l->y, v, YNODE_SEQ, "presence") < 0)
			return -1;
		LOAD_LIST(l, v, p->presence, p->n_presence, load_presence);
	}
	return 0;
}

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
		if (m && get_mode(l, m, visibility_name((enum visibility)v), &l->p->scope[v]) < 0)
			return -1;
	}
	return 0;
}

static int load_import(struct loader *l, const struct ynode *n)
{
	struct ynode *v;
	int u;

	if (yc_want(&l->y, n, YNODE_MAP, "import") < 0 ||
	    yc_keys(&l->y, n, (const char *const[]){ "download_uri", NULL }, "import") < 0)
		return -1;
	if ((v = ymap_get(n, "download_uri"))) {
		if (yc_enum(&l->y, v, "import.download_uri", download_uri_names, 3, &u) < 0)
			return -1;
		l->p->download_uri = (enum download_uri)u;
		l->p->download_uri_line = v->line;
	}
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
					    POLICY_SERVICE_KEYS, NULL };
	struct policy *p = l->p;
	struct ynode *v;

	if (yc_keys(&l->y, root, keys, "the config") < 0 || yc_need(&l->y, root, "policy", "the config", &v) < 0)
		return -1;
	if ((v = ymap_get(root, "mode")) && get_mode(l, v, "mode", &p->mode) < 0)
		return -1;
	if ((v = ymap_get(root, "visibility")) && load_scope(l, v) < 0)
		return -1;
	if ((v = ymap_get(root, "import")) && load_import(l, v) < 0)
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
	/* Spec files last: their errors name their own file. */
	return load_config_policies(l, ymap_get(root, "policy"));
}

static int load_root(struct loader *l, const struct ynode *root, int allow_config)
{
	if (allow_config && ymap_get(root, "policy"))
		return load_config(l, root);
	if (ymap_get(root, "images"))
		return load_v1(l, root);
	if (ymap_get(root, "distros") || ymap_get(root, "rules"))
		return load_v2(l, root);
	if (ymap_get(root, "image_metadata"))
		return meta_load(&l->y, l->p, root) < 0 ? -1 : fleet_load(&l->y, l->p, ymap_get(root, "image_metadata"));
	return yc_fail(&l->y, root, "not a policy file: expected %san SCS spec ('images:'), "
		     "SCS-0104 v2 rules ('distros:', 'rules:') or image metadata rules ('image_metadata:')",
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

	if (!p->n_entries && !p->n_rules && !p->n_meta) {
		snprintf(err, errlen, "%s: the policy has no rules (no 'images' entries, no v2 'rules', "
			 "no 'image_metadata' rules)",
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
	free(p->exemptions);
	free_strings(p->files, p->n_files);
	pcre2_match_context_free(p->mctx);
	EVP_MD_CTX_free(pp->md);
	free(pp);
}

const char *mode_name(enum mode m) { return mode_names[m]; }
const char *status_name(enum status s) { return status_names[s]; }
const char *download_uri_name(enum download_uri u) { return download_uri_names[u]; }

int mode_parse(const char *s, enum mode *out)
{
	for (int m = 0; m < 3; m++)
		if (!strcmp(s, mode_names[m])) {
			*out = (enum mode)m;
			return 0;
		}
	return -1;
}
