/* clouds_entry: one cloud's values, applied to a struct cloud_auth and
 * checked as openstacksdk would: the keys of its entry in clouds.yaml
 * with secure.yaml's entry merged over it, or the plain OS_* variables.
 * Only the keys we read are checked, and what the auth type needs and
 * is missing is named in the words of its source (auth.password, or
 * OS_PASSWORD). Apart from clouds.c, which finds and reads the files,
 * because this is the part that knows the fields of struct cloud_auth
 * (so it frees them too). */
#include "io/clouds_entry.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S(m) offsetof(struct cloud_auth, m)

/* Every string field, so that freeing needs no second list to keep in step. */
static const size_t str_fields[] = {
	S(cloud), S(auth_type), S(auth_url), S(username), S(user_id), S(password),
	S(project_name), S(project_id), S(user_domain_name), S(user_domain_id),
	S(project_domain_name), S(project_domain_id), S(application_credential_id),
	S(application_credential_name), S(application_credential_secret), S(token),
	S(region_name), S(interface), S(cacert), S(source), S(domain_name), S(domain_id),
	S(secure_source), S(image_endpoint),
};

/* The auth values: their key under `auth:` (and the older spelling
 * openstacksdk still maps), and their OS_* variable. `top` keys may also
 * sit at the cloud's top level, where they win (openstacksdk's
 * _fix_backwards_auth). */
struct auth_key {
	const char *name, *alias;
	size_t off;
	int top;
	const char *env, *env_alias;
};

static const struct auth_key auth_keys[] = {
	{ "auth_url", NULL, S(auth_url), 0, "OS_AUTH_URL", NULL },
	{ "username", "user_name", S(username), 0, "OS_USERNAME", NULL },
	{ "user_id", NULL, S(user_id), 0, "OS_USER_ID", NULL },
	{ "password", NULL, S(password), 0, "OS_PASSWORD", NULL },
	{ "project_name", "tenant_name", S(project_name), 1, "OS_PROJECT_NAME", "OS_TENANT_NAME" },
	{ "project_id", "tenant_id", S(project_id), 1, "OS_PROJECT_ID", "OS_TENANT_ID" },
	{ "user_domain_name", NULL, S(user_domain_name), 1, "OS_USER_DOMAIN_NAME", NULL },
	{ "user_domain_id", NULL, S(user_domain_id), 1, "OS_USER_DOMAIN_ID", NULL },
	{ "project_domain_name", NULL, S(project_domain_name), 1, "OS_PROJECT_DOMAIN_NAME", NULL },
	{ "project_domain_id", NULL, S(project_domain_id), 1, "OS_PROJECT_DOMAIN_ID", NULL },
	{ "domain_name", NULL, S(domain_name), 1, "OS_DOMAIN_NAME", NULL },
	{ "domain_id", NULL, S(domain_id), 1, "OS_DOMAIN_ID", NULL },
	{ "application_credential_id", NULL, S(application_credential_id), 0,
	  "OS_APPLICATION_CREDENTIAL_ID", NULL },
	{ "application_credential_name", NULL, S(application_credential_name), 0,
	  "OS_APPLICATION_CREDENTIAL_NAME", NULL },
	{ "application_credential_secret", NULL, S(application_credential_secret), 0,
	  "OS_APPLICATION_CREDENTIAL_SECRET", NULL },
	{ "token", "auth_token", S(token), 1, "OS_TOKEN", "OS_AUTH_TOKEN" },
};

struct load {
	struct cloud_auth *a;
	const char *path;               /* file being read, or "environment" */
	const char *name;               /* cloud, or NULL */
	int insecure;                   /* wins over verify, as in openstacksdk */
	char *err;
	size_t errlen;
};

const char *clouds_entry_getenv(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void vappend(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t used = strlen(buf);
	if (used + 1 < len)
		vsnprintf(buf + used, len - used, fmt, ap);
}

void clouds_entry_append(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappend(buf, len, fmt, ap);
	va_end(ap);
}

/* "path:line:col: cloud 'name': what", leaving out what is unknown. */
static int vfail(char *err, size_t errlen, const char *path, const struct ynode *n,
		 const char *cloud, const char *fmt, va_list ap)
{
	err[0] = '\0';
	clouds_entry_append(err, errlen, "%s", path);
	if (n)
		clouds_entry_append(err, errlen, ":%u:%u", n->line, n->col);
	clouds_entry_append(err, errlen, ": ");
	if (cloud)
		clouds_entry_append(err, errlen, "cloud '%s': ", cloud);
	vappend(err, errlen, fmt, ap);
	return -1;
}

int clouds_entry_fail_at(char *err, size_t errlen, const char *path, const struct ynode *n,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, errlen, path, n, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int lfail(struct load *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(l->err, l->errlen, l->path, n, l->name, fmt, ap);
	va_end(ap);
	return -1;
}

static char **field(struct cloud_auth *a, size_t off)
{
	return (char **)((char *)a + off);
}

/* Empty counts as unset: an empty password is no password. */
static void set_str(struct cloud_auth *a, size_t off, const char *v)
{
	char **p = field(a, off);
	free(*p);
	*p = v && *v ? xstrdup(v) : NULL;
}

int clouds_entry_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && !n->quoted &&
	       (!n->value[0] || !strcmp(n->value, "~") || !strcasecmp(n->value, "null"));
}

/* ---- values ---- */

/* A YAML null clears the value (as a None does in openstacksdk's merge). */
static int scalar(struct load *l, const struct ynode *n, const char *what, const char **out)
{
	if (n->kind != YNODE_SCALAR)
		return lfail(l, n, "%s must be a string, not %s", what, ynode_kind_name(n->kind));
	*out = clouds_entry_is_null(n) ? NULL : n->value;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

static int get_bool(struct load *l, const struct ynode *n, const char *what, int *out)
{
	if (n->kind != YNODE_SCALAR)
		return lfail(l, n, "%s must be true or false, not %s", what, ynode_kind_name(n->kind));
	if (parse_bool(n->value, out) < 0)
		return lfail(l, n, "%s must be true or false, not '%s'", what, n->value);
	return 0;
}

/* keystoneauth's names for the plugins we can drive, folded to ours. */
static int set_auth_type(struct load *l, const struct ynode *n, const char *what, const char *v)
{
	static const char *const names[][2] = {
		{ "password", "password" }, { "v3password", "password" },
		{ "token", "token" }, { "v3token", "token" },
		{ "v3applicationcredential", "v3applicationcredential" },
	};
	if (!v) {
		set_str(l->a, S(auth_type), NULL);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(v, names[i][0])) {
			set_str(l->a, S(auth_type), names[i][1]);
			return 0;
		}
	}
	return lfail(l, n, "%s '%s' is not supported (use password, v3password, token, "
		     "v3token or v3applicationcredential)", what, v);
}

/* Legacy endpoint types say "publicURL"; keystoneauth says "public". */
static int set_interface(struct load *l, const struct ynode *n, const char *what, const char *v)
{
	static const char *const names[] = { "public", "internal", "admin" };
	size_t len = v ? strlen(v) : 0;

	if (!v) {
		set_str(l->a, S(interface), NULL);
		return 0;
	}
	if (len > 3 && !strcmp(v + len - 3, "URL"))
		len -= 3;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i]) == len && !strncmp(v, names[i], len)) {
			set_str(l->a, S(interface), names[i]);
			return 0;
		}
	}
	return lfail(l, n, "%s must be public, internal or admin, not '%s'", what, v);
}

/* A comma list in region_name is deprecated; openstacksdk defaults to its first. */
static void set_region(struct cloud_auth *a, const char *v)
{
	free(a->region_name);
	a->region_name = NULL;
	if (v && *v && *v != ',') {
		a->region_name = xstrdup(v);
		a->region_name[strcspn(v, ",")] = '\0';
	}
}

/* ---- a cloud entry ---- */

/* Match keys as openstacksdk's normalize_keys does: '-' is '_'. */
static const struct ynode *find(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *k = ymap_key(map, i)->value, *w = key;
		while (*k && (*k == *w || (*k == '-' && *w == '_'))) {
			k++;
			w++;
		}
		if (!*k && !*w)
			return ymap_val(map, i);
	}
	return NULL;
}

static int apply_keys(struct load *l, const struct ynode *map, int top)
{
	for (size_t i = 0; i < ARRAY_SIZE(auth_keys); i++) {
		const struct auth_key *k = &auth_keys[i];
		const struct ynode *n;
		const char *v;
		char what[64];

		if (top && !k->top)
			continue;
		if (!(n = find(map, k->name)) && (!k->alias || !(n = find(map, k->alias))))
			continue;
		snprintf(what, sizeof(what), "%s%s", top ? "" : "auth.", k->name);
		if (scalar(l, n, what, &v) < 0)
			return -1;
		set_str(l->a, k->off, v);
	}
	return 0;
}

static int apply_auth(struct load *l, const struct ynode *e)
{
	const struct ynode *auth = find(e, "auth");
	if (!auth || clouds_entry_is_null(auth))
		return 0;
	if (auth->kind != YNODE_MAP)
		return lfail(l, auth, "auth must be a mapping, not %s", ynode_kind_name(auth->kind));
	return apply_keys(l, auth, 0);
}

static int apply_string(struct load *l, const struct ynode *n, const char *what, size_t off)
{
	const char *v;
	if (scalar(l, n, what, &v) < 0)
		return -1;
	set_str(l->a, off, v);
	return 0;
}

static int apply_settings(struct load *l, const struct ynode *e)
{
	const struct ynode *n;
	const char *v;

	if ((n = find(e, "auth_type")) || (n = find(e, "auth_plugin")))
		if (scalar(l, n, "auth_type", &v) < 0 || set_auth_type(l, n, "auth_type", v) < 0)
			return -1;
	if ((n = find(e, "interface")) || (n = find(e, "endpoint_type")))
		if (scalar(l, n, "interface", &v) < 0 || set_interface(l, n, "interface", v) < 0)
			return -1;
	if ((n = find(e, "region_name"))) {
		if (scalar(l, n, "region_name", &v) < 0)
			return -1;
		set_region(l->a, v);
	}
	if ((n = find(e, "cacert")) && apply_string(l, n, "cacert", S(cacert)) < 0)
		return -1;
	if ((n = find(e, "image_endpoint_override")) &&
	    apply_string(l, n, "image_endpoint_override", S(image_endpoint)) < 0)
		return -1;
	if ((n = find(e, "verify")) && !clouds_entry_is_null(n) && get_bool(l, n, "verify", &l->a->verify) < 0)
		return -1;
	if ((n = find(e, "insecure")) && !clouds_entry_is_null(n) && get_bool(l, n, "insecure", &l->insecure) < 0)
		return -1;
	return 0;
}

/* `regions` wins over region_name: with no region asked for,
 * openstacksdk takes the first of the list. */
static int apply_regions(struct load *l, const struct ynode *e)
{
	const struct ynode *n = find(e, "regions"), *r;
	const char *v;

	if (!n || clouds_entry_is_null(n))
		return 0;
	if (n->kind != YNODE_SEQ)
		return lfail(l, n, "regions must be a list, not %s", ynode_kind_name(n->kind));
	if (!n->n)
		return 0;
	r = n->items[0];
	if (r->kind == YNODE_MAP && !(r = ymap_get(r, "name")))
		return lfail(l, n->items[0], "a region in regions needs a 'name'");
	if (scalar(l, r, "region name", &v) < 0)
		return -1;
	set_region(l->a, v);
	return 0;
}

static int apply_top(struct load *l, const struct ynode *e)
{
	return apply_keys(l, e, 1);
}

/* secure.yaml's entry comes second, so its values win; each kind of value
 * is applied over both entries in turn so that the precedence between
 * kinds (top-level over auth:, regions over region_name) holds across the
 * merge as it does after openstacksdk's merge_clouds. */
static int apply_entries(struct load *l, const struct clouds_entry *e, size_t n)
{
	static int (*const passes[])(struct load *, const struct ynode *) = {
		apply_auth, apply_top, apply_settings, apply_regions,
	};
	for (size_t p = 0; p < ARRAY_SIZE(passes); p++) {
		for (size_t i = 0; i < n; i++) {
			l->path = e[i].path;
			if (passes[p](l, e[i].map) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- checks ---- */

static const char *key_name(size_t off, int from_env)
{
	for (size_t i = 0; i < ARRAY_SIZE(auth_keys); i++)
		if (auth_keys[i].off == off)
			return from_env ? auth_keys[i].env : auth_keys[i].name;
	return "?";
}

/* openstacksdk's _handle_domain_id: with a project, domain_* only fills
 * the unset user and project domains; without one it is the scope. */
static void fill_domains(char **domain, char **user, char **project)
{
	if (!*domain)
		return;
	if (!*user)
		*user = xstrdup(*domain);
	if (!*project)
		*project = xstrdup(*domain);
	free(*domain);
	*domain = NULL;
}

static const char *infer_auth_type(const struct cloud_auth *a)
{
	if (a->application_credential_id || a->application_credential_secret)
		return "v3applicationcredential";
	if (a->token)
		return "token";
	return "password";
}

/* What the auth type needs and is missing, in the words of its source. */
static void missing(const struct cloud_auth *a, int from_env, char *need, size_t len)
{
	const char *p = from_env ? "" : "auth.";
	const char *t = a->auth_type;

	need[0] = '\0';
	if (!a->auth_url)
		snprintf(need, len, "%s%s", p, key_name(S(auth_url), from_env));
	else if (!strcmp(t, "password") && !a->username && !a->user_id)
		snprintf(need, len, "%s%s or %s%s", p, key_name(S(username), from_env), p,
			 key_name(S(user_id), from_env));
	else if (!strcmp(t, "password") && !a->password)
		snprintf(need, len, "%s%s", p, key_name(S(password), from_env));
	else if (!strcmp(t, "token") && !a->token)
		snprintf(need, len, "%s%s", p, key_name(S(token), from_env));
	else if (!strcmp(t, "v3applicationcredential") && !a->application_credential_secret)
		snprintf(need, len, "%s%s", p, key_name(S(application_credential_secret), from_env));
	else if (!strcmp(t, "v3applicationcredential") && !a->application_credential_id &&
		 !(a->application_credential_name && (a->username || a->user_id)))
		snprintf(need, len, "%s%s, or %s%s with %s%s or %s%s", p,
			 key_name(S(application_credential_id), from_env), p,
			 key_name(S(application_credential_name), from_env), p,
			 key_name(S(username), from_env), p, key_name(S(user_id), from_env));
}

static int finish(struct load *l, const struct ynode *at, int from_env)
{
	struct cloud_auth *a = l->a;
	char need[256];

	if (a->project_name || a->project_id) {
		fill_domains(&a->domain_name, &a->user_domain_name, &a->project_domain_name);
		fill_domains(&a->domain_id, &a->user_domain_id, &a->project_domain_id);
	}
	if (!a->interface)
		a->interface = xstrdup("public");
	if (l->insecure)
		a->verify = 0;
	if (!a->auth_type)
		a->auth_type = xstrdup(infer_auth_type(a));
	missing(a, from_env, need, sizeof(need));
	if (!need[0])
		return 0;
	if (a->secure_source)
		return lfail(l, at, "%s auth needs %s (not in %s either)", a->auth_type, need,
			     a->secure_source);
	return lfail(l, at, "%s auth needs %s", a->auth_type, need);
}

/* ---- the two ways in ---- */

int clouds_entry_apply(const char *name, struct cloud_auth *a, const struct clouds_entry *e, size_t n,
		       char *err, size_t errlen)
{
	struct load l = { .a = a, .name = name, .err = err, .errlen = errlen };

	a->cloud = xstrdup(name);
	a->source = xstrdup(e[0].path);
	if (n == 2)
		a->secure_source = xstrdup(e[1].path);
	if (apply_entries(&l, e, n) < 0)
		return -1;
	l.path = e[0].path;
	return finish(&l, e[0].key, 0);
}

int clouds_entry_from_env(struct cloud_auth *a, char *err, size_t errlen)
{
	struct load l = { .a = a, .path = "environment", .err = err, .errlen = errlen };
	const char *v;

	if (!clouds_entry_getenv("OS_AUTH_URL")) {
		snprintf(err, errlen, "no cloud: give --os-cloud NAME, set OS_CLOUD, or set "
			 "OS_AUTH_URL and credentials");
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(auth_keys); i++) {
		const struct auth_key *k = &auth_keys[i];
		v = clouds_entry_getenv(k->env);
		set_str(a, k->off, v || !k->env_alias ? v : clouds_entry_getenv(k->env_alias));
	}
	if ((v = clouds_entry_getenv("OS_AUTH_TYPE")) && set_auth_type(&l, NULL, "OS_AUTH_TYPE", v) < 0)
		return -1;
	if (((v = clouds_entry_getenv("OS_INTERFACE")) || (v = clouds_entry_getenv("OS_ENDPOINT_TYPE"))) &&
	    set_interface(&l, NULL, "OS_INTERFACE", v) < 0)
		return -1;
	if ((v = clouds_entry_getenv("OS_INSECURE")) && parse_bool(v, &l.insecure) < 0)
		return lfail(&l, NULL, "OS_INSECURE must be true or false, not '%s'", v);
	set_region(a, clouds_entry_getenv("OS_REGION_NAME"));
	set_str(a, S(cacert), clouds_entry_getenv("OS_CACERT"));
	set_str(a, S(image_endpoint), clouds_entry_getenv("OS_IMAGE_ENDPOINT"));
	a->source = xstrdup("environment");
	return finish(&l, NULL, 1);
}

void cloud_auth_free(struct cloud_auth *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(str_fields); i++)
		free(*field(a, str_fields[i]));
	memset(a, 0, sizeof(*a));
}
