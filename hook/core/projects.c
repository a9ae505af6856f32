/* projects: config project references resolved to ids; see projects.h. */
#include "core/projects.h"
#include "core/quota.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int project_where(struct yconf *y, const struct ynode *n, char **out)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s:%u:%u", y->path ? y->path : "(config)", n->line, n->col);
	*out = xstrdup(buf);
	return 0;
}

void project_ref_parse(const char *ref, char *buf, size_t buflen, int *is_id, const char **domain,
		       const char **name)
{
	const char *slash = strchr(ref, '/');

	snprintf(buf, buflen, "%s", ref);
	*is_id = !slash && strlen(ref) == 32 && strspn(ref, "0123456789abcdef") == 32;
	if (slash && (size_t)(slash - ref) < buflen) {
		buf[slash - ref] = '\0';
		*domain = buf;
		*name = buf + (slash - ref) + 1;
	} else {
		*domain = *is_id ? NULL : PROJECTS_DEFAULT_DOMAIN;
		*name = buf;
	}
}

static int resolve_one(const char *ref, const char *where, char **id, project_lookup fn, void *ctx, char *err,
		       size_t errlen)
{
	char buf[512], out[128], why[512] = "";
	const char *domain, *name;
	int is_id;

	project_ref_parse(ref, buf, sizeof(buf), &is_id, &domain, &name);
	if (!*name || (domain && !*domain)) {
		snprintf(err, errlen, "%s: project '%s': write an id, a name or domain/name", where, ref);
		return -1;
	}
	int rc = fn(ctx, domain, name, out, sizeof(out), why, sizeof(why));
	if (rc == 1)
		snprintf(err, errlen, "%s: project '%s': no such project %s%s%s", where, ref,
			 is_id ? "id" : "in domain '", is_id ? "" : domain, is_id ? "" : "'");
	else if (rc < 0)
		snprintf(err, errlen, "%s: project '%s' could not be looked up: %s", where, ref, why);
	if (rc)
		return -1;
	free(*id);
	*id = xstrdup(out);
	return 0;
}

int projects_resolve(struct policy *p, project_lookup fn, void *ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_exemptions; i++) {
		struct exemption *e = &p->exemptions[i];
		if (resolve_one(e->project, e->where, &e->project_id, fn, ctx, err, errlen) < 0)
			return -1;
	}
	if (!p->quota)
		return 0;
	for (size_t i = 0; i < p->quota->n_projects; i++) {
		struct quota_project *q = &p->quota->projects[i];
		if (resolve_one(q->project, q->where, &q->project_id, fn, ctx, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < p->quota->n_exempt; i++) {
		struct exemption *e = &p->quota->exempt[i];
		if (resolve_one(e->project, e->where, &e->project_id, fn, ctx, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int id_only(void *ctx, const char *domain, const char *name, char *out, size_t outlen, char *err,
		   size_t errlen)
{
	(void)ctx;
	if (domain) {
		snprintf(err, errlen, "it is a name, and the config has no keystone credentials to resolve it to an "
			 "id with: write the project's id (openstack project show -f value -c id NAME), or give the "
			 "config a keystone key");
		return -1;
	}
	snprintf(out, outlen, "%s", name);
	return 0;
}

int projects_require_ids(struct policy *p, char *err, size_t errlen)
{
	return projects_resolve(p, id_only, NULL, err, errlen);
}

int projects_any(const struct policy *p)
{
	return p->n_exemptions || (p->quota && (p->quota->n_projects || p->quota->n_exempt));
}
