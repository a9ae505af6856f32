/* audit_presence: the images the policy expects a cloud to hold (its v1
 * mandatory and recommended entries, the SCS-0104 v2 presence rules as of
 * the audit's day) and whether the images listed hold them. Computed once
 * after listing, from what the listing kept of the present images (public
 * or community, not hidden); every report reads the same list. Pure,
 * but over the audit's own tallies (struct audit), so it stays with the
 * command rather than in the core. */
#include "cmd/audit.h"
#include "core/presence.h"
#include "core/regex.h"
#include "core/testcase.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int name_present(const struct audit *a, const struct regex *re)
{
	for (size_t i = 0; i < a->n_names; i++)
		if (regex_match(a->policy, re, a->names[i], strlen(a->names[i])) != 0)
			return 1;
	return 0;
}

static int release_present(const struct audit *a, const struct presence_rule *r, const struct release *rel)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		const struct image_key *k = &a->keys[i];
		if (!strcasecmp(k->distro, r->distro->name) && !strcmp(k->version, rel->version) &&
		    (!r->os_purpose || (k->purpose && !strcasecmp(k->purpose, r->os_purpose))))
			return 1;
	}
	return 0;
}

size_t audit_presence_expectations(const struct audit *a, struct expectation *out, size_t max)
{
	const struct policy *p = a->policy;
	size_t n = 0;

	for (size_t k = 0; k < p->n_entries && n < max; k++) {
		const struct spec_entry *e = &p->entries[k];
		if (e->status == STATUS_OPTIONAL)
			continue;
		struct expectation *x = &out[n++];
		snprintf(x->id, sizeof(x->id), "%s", e->testcase);
		snprintf(x->what, sizeof(x->what), "an image named %s%s%s", e->scheme.code ? "/" : "'",
			 e->scheme.code ? e->scheme.pattern : e->name, e->scheme.code ? "/" : "'");
		x->status = e->status;
		x->present = a->entries[k].present > 0;
	}
	for (size_t k = 0; k < p->n_presence && n + 2 <= max; k++) {
		const struct presence_rule *r = &p->presence[k];
		if (!r->distro) {
			struct expectation *x = &out[n++];
			testcase_presence(r, k, NULL, x->id, sizeof(x->id));
			snprintf(x->what, sizeof(x->what), "an image named /%s/", r->name_scheme.pattern);
			x->status = r->latest;
			x->present = name_present(a, &r->name_scheme);
			continue;
		}
		const struct release *rel[2];
		presence_expected(r, a->today, &rel[0], &rel[1]);
		for (int i = 0; i < 2; i++) {
			if (!rel[i])
				continue;
			struct expectation *x = &out[n++];
			testcase_presence(r, k, rel[i], x->id, sizeof(x->id));
			snprintf(x->what, sizeof(x->what), "os_distro=%s os_version=%s%s%s (%s)", r->distro->name,
				 rel[i]->version, r->os_purpose ? " os_purpose=" : "", r->os_purpose ? r->os_purpose : "",
				 rel[i]->codename);
			x->status = i ? r->previous : r->latest;
			x->present = release_present(a, r, rel[i]);
		}
	}
	return n;
}
