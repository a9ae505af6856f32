#include "cmd/cli.h"
#include "io/keystone.h"
#include "io/opconf.h"
#include "core/projects.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/scs-image-hook/scs-image-hook.yaml"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("scs-image-hook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void policy_args_add(struct policy_args *a, const char *spec)
{
	const char **s = realloc(a->specs, (a->n_specs + 1) * sizeof(*s));
	if (!s) {
		cli_error("out of memory");
		exit(EXIT_USAGE);
	}
	a->specs = s;
	a->specs[a->n_specs++] = spec;
}

void policy_args_free(struct policy_args *a)
{
	free(a->specs);
	a->specs = NULL;
	a->n_specs = 0;
}

const char *cli_default_config(void)
{
	const char *env = getenv("SCS_IMAGE_HOOK_CONFIG");
	return env && *env ? env : DEFAULT_CONFIG;
}

int cli_resolve_projects(const struct config *c, struct policy *p, char *err, size_t errlen)
{
	struct cloud_auth found = { 0 };
	char why[1024];

	if (!projects_any(p))
		return 0;
	if (!c || !c->has_keystone)
		return projects_require_ids(p, err, errlen);
	const struct cloud_auth *a = &c->auth;
	if (!a->auth_url) {         /* only named: look it up as openstacksdk would */
		if (clouds_resolve(a->cloud, &found, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: the keystone cloud '%s' that resolves the projects it names: %s",
				 c->path, a->cloud, why);
			cloud_auth_free(&found);
			return -1;
		}
		a = &found;
	}
	int rc = keystone_resolve_projects(a, p, err, errlen);
	cloud_auth_free(&found);
	return rc;
}

struct policy *policy_args_load(const struct policy_args *a)
{
	struct policy *p = policy_new();
	struct config c = { 0 };
	char err[1024];
	const char *config = a->config;

	if (!config && !a->n_specs) {
		config = cli_default_config();
		if (access(config, R_OK) != 0) {
			cli_error("no policy given: use --config FILE or --policy FILE "
				  "(or install %s)", DEFAULT_CONFIG);
			policy_free(p);
			return NULL;
		}
	}
	if (config && opconf_load(config, 0, p, &c, err, sizeof(err)) < 0)
		goto fail;
	for (size_t i = 0; i < a->n_specs; i++)
		if (policy_load_spec(p, a->specs[i], err, sizeof(err)) < 0)
			goto fail;
	if (policy_finish(p, err, sizeof(err)) < 0 || cli_resolve_projects(config ? &c : NULL, p, err, sizeof(err)) < 0)
		goto fail;
	config_free(&c);
	return p;
fail:
	cli_error("%s", err);
	config_free(&c);
	policy_free(p);
	return NULL;
}

int cli_today(const char *now)
{
	if (now) {
		int d = date_parse(now);
		if (d < 0)
			cli_error("--now must be a date YYYY-MM-DD, not '%s'", now);
		return d;
	}
	return (int)(time(NULL) / 86400);
}

void print_safe(FILE *f, const char *s, size_t max)
{
	size_t n = 0;
	for (; *s && n < max; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	if (*s) {
		/* finish a cut UTF-8 sequence, then say how much is left out */
		for (; ((unsigned char)*s & 0xC0) == 0x80; s++)
			fputc(*s, f);
		if (*s)
			fprintf(f, "...(%zu bytes)", n + strlen(s));
	}
}
