/* rules: load SCS-0104 v2 rules ('distros:', 'rules:') into the policy. */
#include "core/rules.h"
#include "core/enums.h"
#include "core/loader.h"
#include "core/regex.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		return status_get(&l->y, v, "status", &r->latest);
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
	if (yc_need(&l->y, n, "latest", "a presence rule", &v) < 0 || status_get(&l->y, v, "latest", &r->latest) < 0 ||
	    yc_need(&l->y, n, "previous", "a presence rule", &v) < 0 || status_get(&l->y, v, "previous", &r->previous) < 0)
		return -1;
	return 0;
}

int rules_load(struct loader *l, const struct ynode *root)
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
