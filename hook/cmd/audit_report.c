/* audit_report: what an audit found, printed in the format asked for:
 * text for a person, JSON for tools (the full report), or the SCS
 * testcase lines the compliance runner reads (`scs-0104-...: PASS`, one
 * per testcase, FAIL with an ERROR: line saying why). Reads what the
 * listing gathered; prints, decides nothing. */
#include "cmd/audit.h"
#include "cmd/cli.h"
#include "core/date.h"
#include "core/jsonw.h"
#include "core/meta.h"
#include "core/testcase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One testcase line of --format scs: 1 PASS, -1 FAIL, 0 ABORT. */
struct scs_line {
	char id[192];
	int verdict;
	char why[320];                      /* FAIL: the ERROR: line the runner counts */
};

/* Every line the policy gives, in order: per v1 entry its source and
 * image lines (whatever its status: the runner's scope decides what
 * counts), the v2 source lines, the v2 presence lines. Without results
 * (aborted) every verdict is ABORT. */
static size_t scs_lines(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
			struct scs_line **out)
{
	const struct policy *p = a->policy;
	size_t n = 0, max = 2 * p->n_entries + p->n_rules + nx + p->n_meta + 3;
	struct scs_line *l = *out = xcalloc(max ? max : 1, sizeof(*l));

	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_source(&p->entries[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "an image of '%.150s' has an image_source outside its allowed sources"
			 " (audit --format text names it)", p->entries[k].name);
		l[n++].verdict = aborted ? 0 : a->entries[k].failed ? -1 : 1;
	}
	for (size_t k = 0; k < p->n_entries; k++) {
		testcase_image(&p->entries[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "Missing image '%.150s' (none public or community and not hidden)",
			 p->entries[k].name);
		l[n++].verdict = aborted ? 0 : a->entries[k].present ? 1 : -1;
	}
	for (size_t k = 0; k < p->n_rules; k++) {
		testcase_v2_source(&p->rules[k], l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "an image that rule %.150s selects has an image_source outside its"
			 " allowed sources (audit --format text names it)", p->rules[k].id);
		l[n++].verdict = aborted ? 0 : a->rules[k].failed ? -1 : 1;
	}
	for (size_t i = 0; i < nx; i++) {
		if (strncmp(x[i].id, "v2-", 3))
			continue;       /* v1 entries have their image line above */
		testcase_presence_line(x[i].id, l[n].id, sizeof(l[n].id));
		snprintf(l[n].why, sizeof(l[n].why), "Missing image %.250s", x[i].what);
		l[n++].verdict = aborted ? 0 : x[i].present ? 1 : -1;
	}
	for (size_t k = 0; k < p->n_meta; k++) {
		if (!p->meta[k].testcase)
			continue;       /* stricter rules of our own: text and json only */
		snprintf(l[n].id, sizeof(l[n].id), "%.180s", p->meta[k].testcase);
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) fail %s: property %.60s (audit --format text names them)",
			 a->meta_failed[k], p->meta[k].rule, p->meta[k].property);
		l[n++].verdict = aborted ? 0 : a->meta_failed[k] ? -1 : 1;
	}
	const char *cloud_ids[2] = { p->fleet && p->fleet->recency ? p->fleet->recency->testcase : NULL,
				     p->fleet && p->fleet->unique ? p->fleet->unique->testcase : NULL };
	for (int k = 0; k < 2; k++) {
		if (!cloud_ids[k])
			continue;
		snprintf(l[n].id, sizeof(l[n].id), "%.180s", cloud_ids[k]);
		snprintf(l[n].why, sizeof(l[n].why), "%zu finding(s) of %s (audit --format text names the images)",
			 a->cloud_failed[k], cloud_ids[k]);
		l[n++].verdict = aborted ? 0 : a->cloud_failed[k] ? -1 : 1;
	}
	if (a->verify) {
		snprintf(l[n].id, sizeof(l[n].id), "scs-image-hook-origin");
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) under an origin fail the origin rules (audit "
			 "--verify-origin --format text names them)", a->origin_failed);
		l[n++].verdict = aborted ? 0 : a->origin_failed ? -1 : 1;
	}
	return n;
}

int audit_report_scs(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
		     char *const *tests, size_t n_tests)
{
	static const char *const verdicts[] = { "FAIL", "ABORT", "PASS" };
	struct scs_line *l;
	size_t n = scs_lines(a, x, nx, aborted, &l);
	int failed = 0;

	for (size_t i = 0; i < (n_tests ? n_tests : n); i++) {
		const struct scs_line *line = NULL;
		for (size_t k = 0; n_tests && k < n && !line; k++)
			if (!strcmp(l[k].id, tests[i]))
				line = &l[k];
		if (!n_tests)
			line = &l[i];
		if (!line)
			fprintf(stderr, "INFO: %s is not a testcase of this policy\n", tests[i]);
		if (line && line->verdict < 0)
			fprintf(stderr, "ERROR: %s\n", line->why);       /* as the official test says why */
		printf("%s: %s\n", line ? line->id : tests[i], verdicts[line ? line->verdict + 1 : 1]);
		failed |= line && line->verdict < 0;
	}
	free(l);
	return failed;
}

static void report_images_text(const char *title, const struct unverified *list, size_t n)
{
	if (n)
		printf("\n%s\n", title);
	for (size_t i = 0; i < n; i++) {
		const struct unverified *u = &list[i];
		fputs("  ", stdout);
		print_safe(stdout, u->name ? u->name : "(no name)", 80);
		printf("%s%s\n      ", u->id ? " id=" : "", u->id ? u->id : "");
		print_safe(stdout, u->why, 600);
		putchar('\n');
	}
}

static void report_origin_text(const struct audit *a)
{
	report_images_text("ORIGIN NOT VERIFIED", a->unverified, a->n_unverified);
	report_images_text("ORIGIN: THE VENDOR HAS PUBLISHED A NEWER BUILD", a->newer, a->n_newer);
	printf("\norigin: %zu image%s under an origin: %zu verified (%zu by a verification record), %zu failing origin "
	       "rules, %zu not verified, %zu of an earlier build of the vendor's\n", a->origin_checked,
	       a->origin_checked == 1 ? "" : "s", a->origin_verified, a->origin_by_record, a->origin_failed,
	       a->n_unverified, a->n_newer);
	if (a->record)
		printf("origin: %zu verification record%s written\n", a->origin_recorded, a->origin_recorded == 1 ? "" : "s");
}

static void report_images_json(struct jsonw *w, const struct unverified *list, size_t n)
{
	jw_lit(w, "[");
	for (size_t i = 0; i < n; i++) {
		jw_text(w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(w, list[i].id);
		jw_lit(w, ",\"name\":");
		jw_cstr(w, list[i].name);
		jw_lit(w, ",\"reason\":");
		jw_cstr(w, list[i].why);
		jw_lit(w, "}");
	}
	jw_lit(w, "]");
}

static void report_origin_json(const struct audit *a, struct jsonw *w)
{
	jw_lit(w, ",\"origin\":{\"checked\":");
	jw_int(w, (long long)a->origin_checked);
	jw_lit(w, ",\"verified\":");
	jw_int(w, (long long)a->origin_verified);
	jw_lit(w, ",\"by_record\":");
	jw_int(w, (long long)a->origin_by_record);
	jw_lit(w, ",\"failed\":");
	jw_int(w, (long long)a->origin_failed);
	jw_lit(w, ",\"not_verified\":");
	report_images_json(w, a->unverified, a->n_unverified);
	jw_lit(w, ",\"newer_build\":");
	report_images_json(w, a->newer, a->n_newer);
	jw_lit(w, "}");
}

void audit_report_text(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
		       size_t missing_recommended)
{
	printf("%zu images listed: %zu public, %zu community", a->listed, a->by_vis[VIS_PUBLIC], a->by_vis[VIS_COMMUNITY]);
	if (a->all)
		printf(", %zu shared, %zu private", a->by_vis[VIS_SHARED], a->by_vis[VIS_PRIVATE]);
	printf("; %zu of them hidden\n", a->hidden);
	if (a->n_bad)
		printf("\nVIOLATIONS\n");
	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		fputs("  ", stdout);
		print_safe(stdout, b->name ? b->name : "(no name)", 80);
		printf("  [%s%s]%s%s\n", visibility_name(b->visibility),
		       b->hidden ? ", hidden: not counted by the SCS testcases" : "", b->id ? " id=" : "", b->id ? b->id : "");
		for (size_t k = 0; k < b->n; k++) {
			printf("      %-26s ", b->rules[k]);
			print_safe(stdout, b->messages[k], 1000);   /* sha512 digests are long */
			putchar('\n');
		}
	}
	if (a->n_cloud)
		printf("\nWHOLE CLOUD (public or community, not hidden)\n");
	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		printf("  %s %s: ", c->fail ? "FAIL" : "WARN", c->testcase);
		print_safe(stdout, c->name, 80);
		printf("%s%s\n      ", c->id ? " id=" : "", c->id ? c->id : "");
		print_safe(stdout, c->message, 600);
		putchar('\n');
	}
	if (a->verify)
		report_origin_text(a);
	if (missing_mandatory + missing_recommended) {
		printf("\nMISSING (public or community, not hidden)\n");
		for (size_t i = 0; i < nx; i++)
			if (!x[i].present && x[i].status != STATUS_OPTIONAL)
				printf("  %-12s %s\n", status_name(x[i].status), x[i].what);
	}
	printf("\n%zu violation%s in %zu image%s; %zu mandatory and %zu recommended image%s missing: %s\n",
	       a->binding, a->binding == 1 ? "" : "s", a->n_bad, a->n_bad == 1 ? "" : "s", missing_mandatory,
	       missing_recommended, missing_recommended == 1 ? "" : "s",
	       a->binding || missing_mandatory ? "NOT COMPLIANT" : "compliant");
}

void audit_report_json(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
		       size_t missing_recommended)
{
	struct jsonw w = { 0 };
	char day[11];

	date_format(a->today, day);
	jw_lit(&w, "{\"date\":");
	jw_cstr(&w, day);
	jw_lit(&w, ",\"images\":{\"listed\":");
	jw_int(&w, (long long)a->listed);
	for (int v = 0; v < VIS_COUNT; v++) {
		jw_lit(&w, ",");
		jw_cstr(&w, visibility_name((enum visibility)v));
		jw_lit(&w, ":");
		jw_int(&w, (long long)a->by_vis[v]);
	}
	jw_lit(&w, ",\"hidden\":");
	jw_int(&w, (long long)a->hidden);
	jw_lit(&w, "},\"violations\":[");
	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		jw_text(&w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(&w, b->id);
		jw_lit(&w, ",\"name\":");
		jw_cstr(&w, b->name);
		jw_lit(&w, ",\"visibility\":");
		jw_cstr(&w, visibility_name(b->visibility));
		jw_text(&w, b->hidden ? ",\"os_hidden\":true" : ",\"os_hidden\":false");
		jw_text(&w, b->present ? ",\"scs_present\":true,\"violations\":[" : ",\"scs_present\":false,\"violations\":[");
		for (size_t k = 0; k < b->n; k++) {
			jw_text(&w, k ? ",{\"rule\":" : "{\"rule\":");
			jw_cstr(&w, b->rules[k]);
			jw_lit(&w, ",\"message\":");
			jw_cstr(&w, b->messages[k]);
			jw_lit(&w, "}");
		}
		jw_lit(&w, "]}");
	}
	jw_lit(&w, "],\"cloud\":[");
	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		jw_text(&w, i ? ",{\"testcase\":" : "{\"testcase\":");
		jw_cstr(&w, c->testcase);
		jw_text(&w, c->fail ? ",\"fail\":true,\"id\":" : ",\"fail\":false,\"id\":");
		jw_cstr(&w, c->id);
		jw_lit(&w, ",\"name\":");
		jw_cstr(&w, c->name);
		jw_lit(&w, ",\"message\":");
		jw_cstr(&w, c->message);
		jw_lit(&w, "}");
	}
	jw_lit(&w, "],\"expected\":[");
	for (size_t i = 0; i < nx; i++) {
		jw_text(&w, i ? ",{\"id\":" : "{\"id\":");
		jw_cstr(&w, x[i].id);
		jw_lit(&w, ",\"what\":");
		jw_cstr(&w, x[i].what);
		jw_lit(&w, ",\"status\":");
		jw_cstr(&w, status_name(x[i].status));
		jw_text(&w, x[i].present ? ",\"present\":true}" : ",\"present\":false}");
	}
	jw_lit(&w, "]");
	if (a->verify)
		report_origin_json(a, &w);
	jw_lit(&w, ",\"summary\":{\"violations\":");
	jw_int(&w, (long long)a->binding);
	jw_lit(&w, ",\"images_with_violations\":");
	jw_int(&w, (long long)a->n_bad);
	jw_lit(&w, ",\"missing_mandatory\":");
	jw_int(&w, (long long)missing_mandatory);
	jw_lit(&w, ",\"missing_recommended\":");
	jw_int(&w, (long long)missing_recommended);
	jw_text(&w, a->binding || missing_mandatory ? ",\"compliant\":false}}\n" : ",\"compliant\":true}}\n");
	fwrite(w.buf, 1, w.len, stdout);
	jw_free(&w);
}
