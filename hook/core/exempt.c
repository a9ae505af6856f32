/* exempt: the operator's exemptions: loading one, whom it names, and
 * waiving the violations it covers. */
#include "core/exempt.h"
#include "core/projects.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int exemption_load(struct yconf *y, const struct ynode *n, int with_rules, struct exemption *e)
{
	const char *const keys[] = { "project", "expires", "reason", with_rules ? "rules" : NULL, NULL };
	struct ynode *v;

	e->expires = -1;
	if (yc_want(y, n, YNODE_MAP, "an exemption") < 0 || yc_keys(y, n, keys, "an exemption") < 0 ||
	    yc_need(y, n, "project", "an exemption", &v) < 0 || yc_string(y, v, "project", &e->project) < 0 ||
	    project_where(y, v, &e->where) < 0 ||
	    yc_need(y, n, "reason", "an exemption (say why, it is logged)", &v) < 0 ||
	    yc_string(y, v, "reason", &e->reason) < 0)
		return -1;
	if ((v = ymap_get(n, "rules")) && yc_strings(y, v, "rules", &e->rules, &e->n_rules) < 0)
		return -1;
	if ((v = ymap_get(n, "expires")) && yc_date(y, v, "expires", &e->expires) < 0)
		return -1;
	return 0;
}

void exemption_free(struct exemption *e)
{
	free(e->project);
	free(e->project_id);
	free(e->where);
	free(e->reason);
	for (size_t i = 0; i < e->n_rules; i++)
		free(e->rules[i]);
	free(e->rules);
}

int caller_is(const struct caller *who, const char *project, const char *project_id)
{
	const char *id = project_id ? project_id : project;
	return who->project_id && id && !strcmp(id, who->project_id);
}

static int waives(const struct exemption *e, const char *rule)
{
	if (!e->rules)
		return 1;
	for (size_t i = 0; i < e->n_rules; i++)
		if (!fnmatch(e->rules[i], rule, 0))
			return 1;
	return 0;
}

size_t decision_exempt(const struct exemption *list, size_t n, const struct caller *who, int today,
		       struct decision *d, size_t from)
{
	size_t binding = d->n - from + (from ? 0 : d->n_more);

	for (size_t i = 0; i < n; i++) {
		const struct exemption *e = &list[i];
		if (!caller_is(who, e->project, e->project_id) || (e->expires >= 0 && today > e->expires))
			continue;
		for (size_t k = from; k < d->n; k++) {
			if (d->v[k].exempted || !waives(e, d->v[k].rule))
				continue;
			d->v[k].exempted = 1;
			d->exempted = 1;
			d->exemption = d->exemption ? d->exemption : e;
			binding--;
		}
	}
	return binding;
}
