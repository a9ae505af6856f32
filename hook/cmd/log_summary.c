/* log_summary: see log_summary.h. Each tally is a small open-addressing
 * table from a string to counts. */
#include "cmd/log_summary.h"
#include "cmd/cli.h"
#include "core/jsonw.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

enum { C_RECORDS, C_DENY, C_WARN, C_WOULD, C_COUNT };     /* the counts kept per key */

struct entry {
	char *key;
	unsigned long long n[C_COUNT];
};

struct tally {
	struct entry *e;
	size_t cap, used;
};

struct log_summary {
	struct tally rules, projects, days;
	unsigned long long records, by_decision[3], would, would_warn, would_dry;
	char first[28], last[28];
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct entry *slot(struct tally *t, const char *key);

static void rehash(struct tally *t)
{
	struct tally old = *t;

	t->cap = old.cap ? old.cap * 2 : 64;
	t->e = xcalloc(t->cap, sizeof(*t->e));
	t->used = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].key)
			*slot(t, old.e[i].key) = old.e[i];
	free(old.e);
}

/* The entry of key (a new one holds no key yet: the caller sets it). */
static struct entry *slot(struct tally *t, const char *key)
{
	if (2 * (t->used + 1) > t->cap)
		rehash(t);
	size_t i = hash(key) & (t->cap - 1);
	while (t->e[i].key && strcmp(t->e[i].key, key))
		i = (i + 1) & (t->cap - 1);
	if (!t->e[i].key)
		t->used++;
	return &t->e[i];
}

static void count(struct tally *t, const char *key, const struct logrec *r, int would)
{
	struct entry *e = slot(t, key ? key : "(none)");

	if (!e->key)
		e->key = xstrdup(key ? key : "(none)");
	e->n[C_RECORDS]++;
	e->n[C_DENY] += r->decision && !strcmp(r->decision, "deny");
	e->n[C_WARN] += r->decision && !strcmp(r->decision, "warn");
	e->n[C_WOULD] += would;
}

struct log_summary *log_summary_new(void)
{
	return xcalloc(1, sizeof(struct log_summary));
}

void log_summary_add(struct log_summary *s, const struct logrec *r)
{
	static const char *const decisions[] = { "allow", "warn", "deny" };
	int would = logrec_would_refuse(r);
	char day[11];

	s->records++;
	for (int i = 0; i < 3; i++)
		s->by_decision[i] += !strcmp(r->decision, decisions[i]);
	s->would += would;
	s->would_warn += would && !strcmp(r->mode, "warn");
	s->would_dry += would && !strcmp(r->mode, "dry-run");
	if (!s->first[0] || strcmp(r->time, s->first) < 0)
		snprintf(s->first, sizeof(s->first), "%s", r->time);
	if (strcmp(r->time, s->last) > 0)
		snprintf(s->last, sizeof(s->last), "%s", r->time);
	snprintf(day, sizeof(day), "%s", r->time);
	count(&s->days, day, r, would);
	count(&s->projects, r->project_id, r, would);
	/* a record counts once under each rule it names */
	for (size_t i = 0; i < r->n_rules && i < LOGREC_MAX_RULES; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(r->rules[j], r->rules[i]);
		if (!seen)
			count(&s->rules, r->rules[i], r, would && !r->rule_exempted[i]);
	}
}

static int by_count(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->n[C_RECORDS] != y->n[C_RECORDS])
		return x->n[C_RECORDS] < y->n[C_RECORDS] ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* The entries of t, sorted; the caller frees the array (not the keys). */
static struct entry *sorted(const struct tally *t, int (*cmp)(const void *, const void *))
{
	struct entry *out = xcalloc(t->used + 1, sizeof(*out));
	size_t n = 0;

	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].key)
			out[n++] = t->e[i];
	qsort(out, n, sizeof(*out), cmp);
	return out;
}

static void print_table(FILE *out, const char *title, const struct tally *t, int (*cmp)(const void *, const void *))
{
	struct entry *e = sorted(t, cmp);

	fprintf(out, "\nby %s:\n  %-40s %10s %10s %10s %14s\n", title, title, "records", "deny", "warn",
		"would refuse");
	for (size_t i = 0; i < t->used; i++) {
		fputs("  ", out);
		print_safe(out, e[i].key, 40);
		fprintf(out, "%*s %10llu %10llu %10llu %14llu\n", strlen(e[i].key) < 40 ? (int)(40 - strlen(e[i].key)) : 0,
			"", e[i].n[C_RECORDS], e[i].n[C_DENY], e[i].n[C_WARN], e[i].n[C_WOULD]);
	}
	free(e);
}

static void json_table(struct jsonw *w, const char *name, const struct tally *t,
		       int (*cmp)(const void *, const void *))
{
	struct entry *e = sorted(t, cmp);

	jw_lit(w, ",\"");
	jw_text(w, name);
	jw_lit(w, "\":[");
	for (size_t i = 0; i < t->used; i++) {
		jw_text(w, i ? ",{\"key\":" : "{\"key\":");
		jw_cstr(w, e[i].key);
		jw_lit(w, ",\"records\":");
		jw_int(w, (long long)e[i].n[C_RECORDS]);
		jw_lit(w, ",\"deny\":");
		jw_int(w, (long long)e[i].n[C_DENY]);
		jw_lit(w, ",\"warn\":");
		jw_int(w, (long long)e[i].n[C_WARN]);
		jw_lit(w, ",\"would_refuse\":");
		jw_int(w, (long long)e[i].n[C_WOULD]);
		jw_lit(w, "}");
	}
	jw_lit(w, "]");
	free(e);
}

static void print_json(const struct log_summary *s, unsigned long long malformed, FILE *out)
{
	struct jsonw w = { 0 };

	jw_lit(&w, "{\"records\":");
	jw_int(&w, (long long)s->records);
	jw_lit(&w, ",\"malformed\":");
	jw_int(&w, (long long)malformed);
	jw_lit(&w, ",\"first\":");
	jw_cstr(&w, s->first[0] ? s->first : NULL);
	jw_lit(&w, ",\"last\":");
	jw_cstr(&w, s->last[0] ? s->last : NULL);
	jw_lit(&w, ",\"decisions\":{\"allow\":");
	jw_int(&w, (long long)s->by_decision[0]);
	jw_lit(&w, ",\"warn\":");
	jw_int(&w, (long long)s->by_decision[1]);
	jw_lit(&w, ",\"deny\":");
	jw_int(&w, (long long)s->by_decision[2]);
	jw_lit(&w, "},\"would_refuse\":{\"warn\":");
	jw_int(&w, (long long)s->would_warn);
	jw_lit(&w, ",\"dry-run\":");
	jw_int(&w, (long long)s->would_dry);
	jw_lit(&w, "}");
	json_table(&w, "rules", &s->rules, by_count);
	json_table(&w, "projects", &s->projects, by_count);
	json_table(&w, "days", &s->days, by_key);
	jw_lit(&w, "}\n");
	if (!w.oom)
		fwrite(w.buf, 1, w.len, out);
	jw_free(&w);
}

void log_summary_print(const struct log_summary *s, unsigned long long malformed, int json, FILE *out)
{
	if (json) {
		print_json(s, malformed, out);
		return;
	}
	fprintf(out, "records: %llu", s->records);
	if (s->records)
		fprintf(out, ", %s to %s", s->first, s->last);
	if (malformed)
		fprintf(out, " (%llu malformed lines skipped)", malformed);
	fprintf(out, "\ndecisions: allow %llu, warn %llu, deny %llu\n", s->by_decision[0], s->by_decision[1],
		s->by_decision[2]);
	fprintf(out, "enforce would have refused: %llu more (%llu decided under warn, %llu under dry-run)\n",
		s->would, s->would_warn, s->would_dry);
	print_table(out, "rule", &s->rules, by_count);
	print_table(out, "project", &s->projects, by_count);
	print_table(out, "day", &s->days, by_key);
}

static void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
}

void log_summary_free(struct log_summary *s)
{
	if (!s)
		return;
	tally_free(&s->rules);
	tally_free(&s->projects);
	tally_free(&s->days);
	free(s);
}
