/* clouds: the credentials openstacksdk would use, from clouds.yaml (with
 * secure.yaml merged over it) or from the plain OS_* variables.
 *
 * Unlike our policy files, a clouds.yaml is shared with every OpenStack
 * tool and carries many keys we have no use for (image_api_version,
 * profile, networks, ...): unknown keys are ignored, only the values we
 * read are checked. Parsing goes through ydoc's OPENSTACK flavour, which
 * takes what openstacksdk's PyYAML safe_load takes (anchors, aliases,
 * merge keys `<<: *base`), with the alias expansion bounded.
 *
 * This file finds the files as openstacksdk searches them, reads them
 * and finds the cloud's entry; clouds_entry.c applies the entry's keys
 * (or the OS_* variables) and checks what the auth type needs. */
#include "io/clouds.h"
#include "io/clouds_entry.h"
#include "core/util.h"
#include "core/ydoc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLOUDS_MAX_FILE (1u << 20)
#define MAX_DIRS 5

/* The directories openstacksdk searches, in its order. */
struct search {
	const char *base;               /* "clouds" or "secure" */
	const char *override_var;
	const char *override;           /* its value, tried first */
	char *dirs[MAX_DIRS];
	size_t n;
};

static const char *const suffixes[] = { ".yaml", ".yml", ".json" };

/* ---- files ---- */

static char *path_join(const char *dir, const char *base, const char *suffix)
{
	size_t len = strlen(dir) + strlen(base) + strlen(suffix) + 2;
	char *p = xcalloc(len, 1);
	snprintf(p, len, "%s/%s%s", dir, base, suffix);
	return p;
}

static void add_dir(struct search *s, const char *dir, const char *sub)
{
	if (!dir || s->n >= MAX_DIRS)
		return;
	size_t len = strlen(dir) + strlen(sub) + 1;
	char *d = xcalloc(len, 1);
	snprintf(d, len, "%s%s", dir, sub);
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->dirs[i], d)) {
			free(d);
			return;
		}
	}
	s->dirs[s->n++] = d;
}

/* openstacksdk: the current directory, platformdirs' user config dir
 * ($XDG_CONFIG_HOME or ~/.config), ~/.config, the site dir, /etc. */
static void search_init(struct search *s, const char *base, const char *override_var)
{
	const char *xdg = clouds_entry_getenv("XDG_CONFIG_HOME"), *home = clouds_entry_getenv("HOME");
	char cwd[PATH_MAX];

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->override_var = override_var;
	s->override = clouds_entry_getenv(override_var);
	if (getcwd(cwd, sizeof(cwd)))
		add_dir(s, cwd, "");
	add_dir(s, xdg ? xdg : home, xdg ? "/openstack" : "/.config/openstack");
	add_dir(s, home, "/.config/openstack");
	add_dir(s, "/etc/xdg/openstack", "");
	add_dir(s, "/etc/openstack", "");
}

static void search_free(struct search *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->dirs[i]);
	s->n = 0;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The first file that exists, as openstacksdk takes it; NULL when none does. */
static char *search_first(const struct search *s)
{
	if (s->override && exists(s->override))
		return xstrdup(s->override);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(suffixes); j++) {
			char *p = path_join(s->dirs[i], s->base, suffixes[j]);
			if (exists(p))
				return p;
			free(p);
		}
	}
	return NULL;
}

static void search_describe(const struct search *s, char *buf, size_t len)
{
	if (s->override)
		clouds_entry_append(buf, len, "%s=%s, ", s->override_var, s->override);
	for (size_t i = 0; i < s->n; i++)
		clouds_entry_append(buf, len, "%s%s/%s.yaml", i ? ", " : "", s->dirs[i], s->base);
	clouds_entry_append(buf, len, " (each also .yml and .json)");
}

/* Parse path and find its `clouds` mapping (*clouds NULL when it has none). */
static int load_file(const char *path, struct ydoc *doc, const struct ynode **clouds,
		     char *err, size_t errlen)
{
	size_t len;
	char *text = file_read(path, CLOUDS_MAX_FILE, &len, err, errlen);

	*clouds = NULL;
	if (!text)
		return -1;
	int rc = ydoc_load(doc, path, text, len, YDOC_OPENSTACK, err, errlen);
	free(text);
	if (rc < 0 || !doc->root)
		return rc;
	if (doc->root->kind != YNODE_MAP)
		return clouds_entry_fail_at(err, errlen, path, doc->root,
					    "must be a mapping with a 'clouds' key, not %s",
					    ynode_kind_name(doc->root->kind));
	const struct ynode *c = ymap_get(doc->root, "clouds");
	if (!c || clouds_entry_is_null(c))
		return 0;
	if (c->kind != YNODE_MAP)
		return clouds_entry_fail_at(err, errlen, path, c,
					    "'clouds' must be a mapping of cloud names, not %s",
					    ynode_kind_name(c->kind));
	*clouds = c;
	return 0;
}

/* 1 and the entry when clouds has name, 0 when not, -1 when it is no mapping. */
static int find_entry(const char *path, const struct ynode *clouds, const char *name,
		      struct clouds_entry *e, char *err, size_t errlen)
{
	for (size_t i = 0; clouds && i < clouds->n; i++) {
		if (strcmp(ymap_key(clouds, i)->value, name))
			continue;
		e->path = path;
		e->key = ymap_key(clouds, i);
		e->map = ymap_val(clouds, i);
		if (e->map->kind != YNODE_MAP)
			return clouds_entry_fail_at(err, errlen, path, e->map, "cloud '%s' must be a mapping, not %s",
						    name, ynode_kind_name(e->map->kind));
		return 1;
	}
	return 0;
}

static void list_names(const struct ynode *clouds, char *err, size_t errlen)
{
	if (!clouds || !clouds->n) {
		clouds_entry_append(err, errlen, " (it defines no clouds)");
		return;
	}
	clouds_entry_append(err, errlen, " (it defines: ");
	for (size_t i = 0; i < clouds->n; i++)
		clouds_entry_append(err, errlen, "%s%s", i ? ", " : "", ymap_key(clouds, i)->value);
	clouds_entry_append(err, errlen, ")");
}

static int not_found(const char *name, const char *cpath, const struct ynode *cclouds,
		     const char *spath, const struct ynode *sclouds, const struct search *cs,
		     char *err, size_t errlen)
{
	err[0] = '\0';
	if (!cpath && !spath) {
		clouds_entry_append(err, errlen, "cloud '%s': no clouds.yaml found (searched ", name);
		search_describe(cs, err, errlen);
		clouds_entry_append(err, errlen, ")");
		return -1;
	}
	clouds_entry_append(err, errlen, "cloud '%s' not found", name);
	if (cpath) {
		clouds_entry_append(err, errlen, " in %s", cpath);
		list_names(cclouds, err, errlen);
	}
	if (spath) {
		clouds_entry_append(err, errlen, " %s %s", cpath ? "nor in" : "in", spath);
		list_names(sclouds, err, errlen);
	}
	return -1;
}

/* ---- the two ways in ---- */

static int resolve_named(const char *name, struct cloud_auth *a, char *err, size_t errlen)
{
	struct search cs, ss;
	struct ydoc cdoc = { 0 }, sdoc = { 0 };
	const struct ynode *cclouds = NULL, *sclouds = NULL;
	struct clouds_entry e[2];
	size_t n = 0;
	int rc = -1, found;

	search_init(&cs, "clouds", "OS_CLIENT_CONFIG_FILE");
	search_init(&ss, "secure", "OS_CLIENT_SECURE_FILE");
	char *cpath = search_first(&cs), *spath = search_first(&ss);
	if (cpath && load_file(cpath, &cdoc, &cclouds, err, errlen) < 0)
		goto out;
	if (spath && load_file(spath, &sdoc, &sclouds, err, errlen) < 0)
		goto out;
	if ((found = find_entry(cpath, cclouds, name, &e[n], err, errlen)) < 0)
		goto out;
	n += found;
	/* openstacksdk merges whole files: a cloud may live in secure.yaml alone */
	if ((found = find_entry(spath, sclouds, name, &e[n], err, errlen)) < 0)
		goto out;
	n += found;
	if (!n)
		not_found(name, cpath, cclouds, spath, sclouds, &cs, err, errlen);
	else
		rc = clouds_entry_apply(name, a, e, n, err, errlen);
out:
	ydoc_free(&cdoc);
	ydoc_free(&sdoc);
	free(cpath);
	free(spath);
	search_free(&cs);
	search_free(&ss);
	return rc;
}

int clouds_resolve(const char *name, struct cloud_auth *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->verify = 1;
	err[0] = '\0';
	if (!name || !*name)
		name = clouds_entry_getenv("OS_CLOUD");
	rc = name ? resolve_named(name, out, err, errlen) : clouds_entry_from_env(out, err, errlen);
	if (rc < 0)
		cloud_auth_free(out);
	return rc;
}
