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
#include <time.h>

/* One testcase line of --format scs: 1 PASS, -1 FAIL, 0 ABORT. */
struct scs_line {
	char id[192];
	int verdict;
	char why[1024];                     /* FAIL: the ERROR: line the runner counts */
};

#define IDS_SHOWN 8                 /* image ids an ERROR line names before "and N more" */

/* Whether a violation counts for a line: spec, the policy's entry or
 * rule it belongs to; NULL: the origin rules. */
static int counts_for(const struct audit_violation *v, const char *spec)
{
	return !v->exempted && (spec ? v->spec == spec : !strncmp(v->rule, "origin/", 7));
}

/* The images behind a FAIL line, by id, after its sentence: an operator
 * finds them without a second run. present: only images the SCS lines
 * judge (public or community, not hidden). */
static void name_ids(const struct audit *a, const char *spec, int present, char *why, size_t len)
{
	size_t o = strlen(why), shown = 0, more = 0;

	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		int hit = 0;
		for (size_t k = 0; k < b->n && !hit; k++)
			hit = counts_for(&b->v[k], spec);
		if (!hit || (present && !b->present))
			continue;
		if (shown == IDS_SHOWN) {
			more++;
			continue;
		}
		if (o < len)
			o += (size_t)snprintf(why + o, len - o, "%s image %.64s", shown++ ? "," : ":",
					      b->id ? b->id : "(no id)");
	}
	if (more && o < len)
		snprintf(why + o, len - o, " and %zu more", more);
}

/* The same for a whole-cloud line: its findings' images. */
static void name_cloud_ids(const struct audit *a, const char *testcase, char *why, size_t len)
{
	size_t o = strlen(why), shown = 0, more = 0;

	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		if (!c->fail || strcmp(c->testcase, testcase))
			continue;
		if (shown == IDS_SHOWN)
			more++;
		else if (o < len)
			o += (size_t)snprintf(why + o, len - o, "%s image %.64s", shown++ ? "," : ":", c->id ? c->id : "(no id)");
	}
	if (more && o < len)
		snprintf(why + o, len - o, " and %zu more", more);
}

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
		snprintf(l[n].why, sizeof(l[n].why), "an image of '%.150s' has an image_source outside its allowed sources",
			 p->entries[k].name);
		name_ids(a, p->entries[k].name, 1, l[n].why, sizeof(l[n].why));
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
			 " allowed sources", p->rules[k].id);
		name_ids(a, p->rules[k].id, 1, l[n].why, sizeof(l[n].why));
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
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) fail %s: property %.60s", a->meta_failed[k],
			 p->meta[k].rule, p->meta[k].property);
		name_ids(a, p->meta[k].id, 1, l[n].why, sizeof(l[n].why));
		l[n++].verdict = aborted ? 0 : a->meta_failed[k] ? -1 : 1;
	}
	const char *cloud_ids[2] = { p->fleet && p->fleet->recency ? p->fleet->recency->testcase : NULL,
				     p->fleet && p->fleet->unique ? p->fleet->unique->testcase : NULL };
	for (int k = 0; k < 2; k++) {
		if (!cloud_ids[k])
			continue;
		snprintf(l[n].id, sizeof(l[n].id), "%.180s", cloud_ids[k]);
		snprintf(l[n].why, sizeof(l[n].why), "%zu finding(s) of %s", a->cloud_failed[k], cloud_ids[k]);
		name_cloud_ids(a, cloud_ids[k], l[n].why, sizeof(l[n].why));
		l[n++].verdict = aborted ? 0 : a->cloud_failed[k] ? -1 : 1;
	}
	if (a->verify) {
		snprintf(l[n].id, sizeof(l[n].id), "scs-image-hook-origin");
		snprintf(l[n].why, sizeof(l[n].why), "%zu image(s) under an origin fail the origin rules", a->origin_failed);
		name_ids(a, NULL, 0, l[n].why, sizeof(l[n].why));
		/* checks that could not be made now leave it open: ABORT, not PASS */
		l[n++].verdict = aborted ? 0 : a->origin_failed ? -1 : a->origin_incomplete ? 0 : 1;
	}
	return n;
}

int audit_report_scs(const struct audit *a, const struct expectation *x, size_t nx, int aborted,
		     char *const *tests, size_t n_tests, FILE *out)
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
		fprintf(out, "%s: %s\n", line ? line->id : tests[i], verdicts[line ? line->verdict + 1 : 1]);
		failed |= line && line->verdict < 0;
	}
	free(l);
	return failed;
}

const struct audit_owner *audit_owner_of(const struct audit *a, const char *id)
{
	for (size_t i = 0; id && i < a->n_owners; i++)
		if (!strcmp(a->owners[i].id, id))
			return &a->owners[i];
	return NULL;
}

/* "owner NAME (ID)", or why its name is not known: on the image's line,
 * so that the line after it is still its first violation. */
static void owner_text(const struct audit *a, const struct bad_image *b, FILE *out)
{
	const struct audit_owner *o = audit_owner_of(a, b->owner);

	if (!b->owner) {
		fputs("owner: none given by Glance", out);
		return;
	}
	fputs("owner ", out);
	print_safe(out, o && o->name ? o->name : "(name unknown)", 80);
	fprintf(out, " (%s)", b->owner);
	if (o && !o->name) {
		fputs(": ", out);
		print_safe(out, o->why, 300);
	}
}

static void report_images_text(const char *title, const struct unverified *list, size_t n, FILE *out)
{
	if (n)
		fprintf(out, "\n%s\n", title);
	for (size_t i = 0; i < n; i++) {
		const struct unverified *u = &list[i];
		fputs("  ", out);
		print_safe(out, u->name ? u->name : "(no name)", 80);
		fprintf(out, "%s%s\n      ", u->id ? " id=" : "", u->id ? u->id : "");
		print_safe(out, u->why, 600);
		fputc('\n', out);
	}
}

static void report_origin_text(const struct audit *a, FILE *out)
{
	report_images_text("ORIGIN NOT VERIFIED", a->unverified, a->n_unverified, out);
	report_images_text("ORIGIN: THE VENDOR HAS PUBLISHED A NEWER BUILD", a->newer, a->n_newer, out);
	fprintf(out, "\norigin: %zu image%s under an origin: %zu verified (%zu by a verification record), %zu failing origin "
	       "rules, %zu not verified, %zu of an earlier build of the vendor's\n", a->origin_checked,
	       a->origin_checked == 1 ? "" : "s", a->origin_verified, a->origin_by_record, a->origin_failed,
	       a->n_unverified, a->n_newer);
	if (a->record)
		fprintf(out, "origin: %zu verification record%s written\n", a->origin_recorded, a->origin_recorded == 1 ? "" : "s");
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
		jw_text(w, list[i].incomplete ? ",\"incomplete\":true}" : ",\"incomplete\":false}");
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
		       size_t missing_recommended, FILE *out)
{
	fprintf(out, "%zu images listed: %zu public, %zu community", a->listed, a->by_vis[VIS_PUBLIC], a->by_vis[VIS_COMMUNITY]);
	if (a->all)
		fprintf(out, ", %zu shared, %zu private", a->by_vis[VIS_SHARED], a->by_vis[VIS_PRIVATE]);
	fprintf(out, "; %zu of them hidden\n", a->hidden);
	if (a->n_bad)
		fprintf(out, "\nVIOLATIONS\n");
	for (size_t i = 0; i < a->n_bad; i++) {
		const struct bad_image *b = &a->bad[i];
		fputs("  ", out);
		print_safe(out, b->name ? b->name : "(no name)", 80);
		fprintf(out, "  [%s%s]%s%s; ", visibility_name(b->visibility),
		       b->hidden ? ", hidden: not counted by the SCS testcases" : "", b->id ? " id=" : "", b->id ? b->id : "");
		owner_text(a, b, out);
		fprintf(out, "; mode %s, %s scope %s: the proxy would %s\n", mode_name(b->mode),
			visibility_name(b->visibility), mode_name(b->scope), action_name(b->action));
		for (size_t k = 0; k < b->n; k++) {
			fprintf(out, "      %-26s ", b->v[k].rule);
			print_safe(out, b->v[k].message, 1000);   /* sha512 digests are long */
			fputc('\n', out);
			if (b->v[k].hint[0]) {
				fprintf(out, "      %-26s ", "");
				print_safe(out, b->v[k].hint, 1000);
				fputc('\n', out);
			}
		}
	}
	if (a->n_cloud)
		fprintf(out, "\nWHOLE CLOUD (public or community, not hidden)\n");
	for (size_t i = 0; i < a->n_cloud; i++) {
		const struct cloud_finding *c = &a->cloud[i];
		fprintf(out, "  %s %s: ", c->fail ? "FAIL" : "WARN", c->testcase);
		print_safe(out, c->name, 80);
		fprintf(out, "%s%s\n      ", c->id ? " id=" : "", c->id ? c->id : "");
		print_safe(out, c->message, 600);
		fputc('\n', out);
	}
	if (a->verify)
		report_origin_text(a, out);
	if (missing_mandatory + missing_recommended) {
		fprintf(out, "\nMISSING (public or community, not hidden)\n");
		for (size_t i = 0; i < nx; i++)
			if (!x[i].present && x[i].status != STATUS_OPTIONAL)
				fprintf(out, "  %-12s %s\n", status_name(x[i].status), x[i].what);
	}
	fprintf(out, "\n%zu violation%s in %zu image%s; %zu mandatory and %zu recommended image%s missing: %s\n",
	       a->binding, a->binding == 1 ? "" : "s", a->n_bad, a->n_bad == 1 ? "" : "s", missing_mandatory,
	       missing_recommended, missing_recommended == 1 ? "" : "s",
	       a->binding || missing_mandatory ? "NOT COMPLIANT" : "compliant");
}

static void owner_json(const struct audit *a, const struct bad_image *b, struct jsonw *w)
{
	const struct audit_owner *o = audit_owner_of(a, b->owner);

	jw_lit(w, ",\"owner\":{\"id\":");
	jw_cstr(w, b->owner);
	jw_lit(w, ",\"name\":");
	jw_cstr(w, o ? o->name : NULL);
	if (!o || !o->name) {
		jw_lit(w, ",\"reason\":");
		jw_cstr(w, o ? o->why : "Glance gives the image no owner");
	}
	jw_lit(w, "},\"mode\":");
	jw_cstr(w, mode_name(b->mode));
	jw_lit(w, ",\"scope\":{\"visibility\":");
	jw_cstr(w, visibility_name(b->visibility));
	jw_lit(w, ",\"mode\":");
	jw_cstr(w, mode_name(b->scope));
	jw_lit(w, "},\"action\":");
	jw_cstr(w, action_name(b->action));
}

/* One violation: its rule and words, and what would be right (the
 * allowed values, and the words the proxy's refusal adds). */
static void violation_json(const struct audit_violation *v, size_t k, struct jsonw *w)
{
	jw_text(w, k ? ",{\"rule\":" : "{\"rule\":");
	jw_cstr(w, v->rule);
	jw_lit(w, ",\"message\":");
	jw_cstr(w, v->message);
	jw_lit(w, ",\"expected\":[");
	for (size_t e = 0; e < v->n_expected; e++) {
		if (e)
			jw_lit(w, ",");
		jw_cstr(w, v->expected[e]);
	}
	jw_lit(w, "],\"hint\":");
	jw_cstr(w, v->hint[0] ? v->hint : NULL);
	jw_lit(w, "}");
}

void audit_report_json(const struct audit *a, const struct expectation *x, size_t nx, size_t missing_mandatory,
		       size_t missing_recommended, FILE *out)
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
		jw_text(&w, b->present ? ",\"scs_present\":true" : ",\"scs_present\":false");
		owner_json(a, b, &w);
		jw_lit(&w, ",\"violations\":[");
		for (size_t k = 0; k < b->n; k++)
			violation_json(&b->v[k], k, &w);
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
	fwrite(w.buf, 1, w.len, out);
	jw_free(&w);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void metric_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Binding violations by rule id, each rule once, in the order found:
 * a cloud has many images and few rules, so the tally is by rule. */
static void violations_by_rule(const struct audit *a, FILE *out)
{
	struct tally { const char *rule; size_t n; } *t = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < a->n_bad; i++)
		for (size_t k = 0; k < a->bad[i].n; k++) {
			const struct audit_violation *v = &a->bad[i].v[k];
			size_t r = 0;
			while (r < n && strcmp(t[r].rule, v->rule))
				r++;
			if (v->exempted || (r == n && grow(&t, &cap, n, sizeof(*t)) < 0))
				continue;
			if (r == n)
				t[n++] = (struct tally){ v->rule, 0 };
			t[r].n++;
		}
	metric_head(out, "scs_image_hook_audit_violations", "Binding violations the audit found, by rule.");
	for (size_t r = 0; r < n; r++) {
		fputs("scs_image_hook_audit_violations{rule=\"", out);
		label_value(out, t[r].rule);
		fprintf(out, "\"} %zu\n", t[r].n);
	}
	free(t);
}

void audit_report_textfile(const struct audit *a, size_t missing_mandatory, size_t missing_recommended,
			   int aborted, int status, FILE *out)
{
	if (!aborted) {
		metric_head(out, "scs_image_hook_audit_images", "Images the audit listed, by visibility.");
		for (int v = 0; v < (a->all ? VIS_COUNT : 2); v++)
			fprintf(out, "scs_image_hook_audit_images{visibility=\"%s\"} %zu\n",
				visibility_name((enum visibility)v), a->by_vis[v]);
		metric_head(out, "scs_image_hook_audit_images_hidden", "Listed images that are hidden.");
		fprintf(out, "scs_image_hook_audit_images_hidden %zu\n", a->hidden);
		metric_head(out, "scs_image_hook_audit_images_with_violations", "Images with a violation.");
		fprintf(out, "scs_image_hook_audit_images_with_violations %zu\n", a->n_bad);
		violations_by_rule(a, out);
		metric_head(out, "scs_image_hook_audit_missing_images", "Expected images missing, by status.");
		fprintf(out, "scs_image_hook_audit_missing_images{status=\"mandatory\"} %zu\n", missing_mandatory);
		fprintf(out, "scs_image_hook_audit_missing_images{status=\"recommended\"} %zu\n", missing_recommended);
	}
	if (!aborted && a->verify) {
		metric_head(out, "scs_image_hook_audit_origin_images", "Images under an origin, by outcome.");
		fprintf(out, "scs_image_hook_audit_origin_images{outcome=\"verified\"} %zu\n", a->origin_verified);
		fprintf(out, "scs_image_hook_audit_origin_images{outcome=\"failed\"} %zu\n", a->origin_failed);
		fprintf(out, "scs_image_hook_audit_origin_images{outcome=\"not_verified\"} %zu\n", a->n_unverified);
		fprintf(out, "scs_image_hook_audit_origin_images{outcome=\"unchecked_now\"} %zu\n", a->origin_incomplete);
	}
	metric_head(out, "scs_image_hook_audit_exit_status", "The audit's exit status: 0 compliant, 1 not, 2 incomplete.");
	fprintf(out, "scs_image_hook_audit_exit_status %d\n", status);
	metric_head(out, "scs_image_hook_audit_timestamp_seconds", "When the audit ran.");
	fprintf(out, "scs_image_hook_audit_timestamp_seconds %lld\n", (long long)time(NULL));
}
