/* logrec: see logrec.h. yajl's events are folded into the few fields a
 * reader uses; everything else in a record is skipped unread. */
#include "core/logrec.h"
#include "core/buf.h"
#include "core/util.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

enum field {
	F_TIME, F_DECISION_ID, F_SOURCE, F_PROJECT, F_USER, F_MODE, F_DECISION, F_ERROR, F_PREV,
	F_IMAGE_ID, F_IMAGE_NAME, F_COUNT,
	F_SEQ = 100, F_IMAGE, F_VIOLATIONS, F_RULE, F_EXEMPTED, F_NONE = -1
};

struct key {
	const char *name;
	int field;
};

static const struct key top_keys[] = {
	{ "time", F_TIME }, { "decision_id", F_DECISION_ID }, { "source", F_SOURCE },
	{ "project_id", F_PROJECT }, { "user_id", F_USER }, { "mode", F_MODE }, { "decision", F_DECISION },
	{ "error", F_ERROR }, { "prev", F_PREV }, { "seq", F_SEQ }, { "image", F_IMAGE },
	{ "violations", F_VIOLATIONS }, { NULL, F_NONE },
};
static const struct key image_keys[] = { { "id", F_IMAGE_ID }, { "name", F_IMAGE_NAME }, { NULL, F_NONE } };
static const struct key violation_keys[] = { { "rule", F_RULE }, { "exempted", F_EXEMPTED }, { NULL, F_NONE } };

struct logrec_parser {
	yajl_handle h;
	struct buf arena;               /* the strings kept, each NUL-terminated */
	long off[F_COUNT];              /* arena offsets, -1: absent or null */
	long rule_off[LOGREC_MAX_RULES];
	int rule_ex[LOGREC_MAX_RULES];
	size_t n_rules, n_open;
	long cur_rule;                  /* the violation being read */
	int cur_ex;
	int depth, done, field;         /* field: what the next value is, F_NONE: skipped */
	int in_image, in_viols, in_viol;
	int has_seq;
	unsigned long long seq;
	char err[160];
};

static int fail(struct logrec_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct logrec_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return 0;                       /* yajl: stop */
}

static long keep(struct logrec_parser *p, const unsigned char *s, size_t len)
{
	long off = (long)p->arena.len;

	if (buf_add(&p->arena, s, len) < 0 || buf_add(&p->arena, "", 1) < 0)
		oom();
	return off;
}

static int lookup(const struct key *keys, const unsigned char *s, size_t len)
{
	for (const struct key *k = keys; k->name; k++)
		if (strlen(k->name) == len && !memcmp(k->name, s, len))
			return k->field;
	return F_NONE;
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct logrec_parser *p = ctx;

	if (p->depth == 1)
		p->field = lookup(top_keys, s, len);
	else if (p->depth == 2 && p->in_image)
		p->field = lookup(image_keys, s, len);
	else if (p->depth == 3 && p->in_viol)
		p->field = lookup(violation_keys, s, len);
	else
		p->field = F_NONE;
	return 1;
}

enum kind { K_NULL, K_FALSE, K_TRUE, K_NUMBER, K_STRING };

/* A scalar value: kept when its key is one we read, else skipped. */
static int scalar(struct logrec_parser *p, const unsigned char *s, size_t len, enum kind kind)
{
	int f = p->field;

	if (p->depth == 0)
		return fail(p, "not a JSON object");
	p->field = F_NONE;
	if (f == F_NONE)
		return 1;
	if (f == F_EXEMPTED) {
		p->cur_ex = kind == K_TRUE;
		return 1;
	}
	if (f == F_SEQ) {
		char num[24], *end;
		if (kind != K_NUMBER || len == 0 || len >= sizeof(num) || s[0] == '-')
			return fail(p, "\"seq\" is not a count");
		memcpy(num, s, len);
		num[len] = '\0';
		p->seq = strtoull(num, &end, 10);
		if (*end)
			return fail(p, "\"seq\" is not a count");
		p->has_seq = 1;
		return 1;
	}
	if (kind == K_NULL && f != F_RULE)
		return 1;
	if (kind != K_STRING)
		return fail(p, "a field read as text is not a string");
	if (memchr(s, '\0', len))
		return fail(p, "a string holds a NUL character");
	if (f == F_RULE)
		p->cur_rule = keep(p, s, len);
	else if (f < F_COUNT)
		p->off[f] = keep(p, s, len);
	return 1;
}

static int on_null(void *ctx) { return scalar(ctx, NULL, 0, K_NULL); }
static int on_bool(void *ctx, int b) { return scalar(ctx, NULL, 0, b ? K_TRUE : K_FALSE); }
static int on_number(void *ctx, const char *s, size_t len) { return scalar(ctx, (const unsigned char *)s, len, K_NUMBER); }
static int on_string(void *ctx, const unsigned char *s, size_t len) { return scalar(ctx, s, len, K_STRING); }

static int open_container(struct logrec_parser *p, int is_map)
{
	if (p->depth == 0 && (p->done || !is_map))
		return fail(p, p->done ? "more than one JSON value" : "not a JSON object");
	p->depth++;
	if (p->depth == 2 && p->field == F_IMAGE && is_map)
		p->in_image = 1;
	else if (p->depth == 2 && p->field == F_VIOLATIONS && !is_map)
		p->in_viols = 1;
	else if (p->depth == 3 && p->in_viols && is_map) {
		p->in_viol = 1;
		p->cur_rule = -1;
		p->cur_ex = 0;
	} else if (p->field == F_IMAGE || p->field == F_VIOLATIONS || p->field == F_SEQ)
		return fail(p, "\"%s\" has the wrong type", p->field == F_SEQ ? "seq"
							 : p->field == F_IMAGE ? "image" : "violations");
	else if (p->field != F_NONE)
		return fail(p, "a field read as text is not a string");
	p->field = F_NONE;
	return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, 1); }
static int on_start_array(void *ctx) { return open_container(ctx, 0); }

static int on_end(void *ctx)
{
	struct logrec_parser *p = ctx;

	if (p->depth == 3 && p->in_viol) {
		if (p->cur_rule < 0)
			return fail(p, "a violation without a rule");
		if (p->n_rules < LOGREC_MAX_RULES) {
			p->rule_off[p->n_rules] = p->cur_rule;
			p->rule_ex[p->n_rules] = p->cur_ex;
		}
		p->n_rules++;
		p->n_open += !p->cur_ex;
		p->in_viol = 0;
	} else if (p->depth == 2) {
		p->in_image = p->in_viols = 0;
	}
	if (--p->depth == 0)
		p->done = 1;
	p->field = F_NONE;
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null, .yajl_boolean = on_bool, .yajl_number = on_number,
	.yajl_string = on_string, .yajl_start_map = on_start_map, .yajl_map_key = on_key,
	.yajl_end_map = on_end, .yajl_start_array = on_start_array, .yajl_end_array = on_end,
};

/* A handle ready for a line: reused after a good one, new after a bad
 * one (yajl keeps its error and has no reset). */
static void fresh(struct logrec_parser *p)
{
	if (p->h && !p->done) {
		yajl_free(p->h);
		p->h = NULL;
	}
	if (!p->h) {
		p->h = yajl_alloc(&callbacks, NULL, p);
		if (!p->h)
			oom();
		yajl_config(p->h, yajl_allow_multiple_values, 1);
	}
	p->arena.len = 0;
	for (size_t i = 0; i < F_COUNT; i++)
		p->off[i] = -1;
	p->n_rules = p->n_open = 0;
	p->depth = p->done = p->has_seq = 0;
	p->in_image = p->in_viols = p->in_viol = 0;
	p->field = F_NONE;
	p->seq = 0;
	p->err[0] = '\0';
}

struct logrec_parser *logrec_parser_new(void)
{
	return xcalloc(1, sizeof(struct logrec_parser));
}

void logrec_parser_free(struct logrec_parser *p)
{
	if (!p)
		return;
	if (p->h)
		yajl_free(p->h);
	buf_release(&p->arena);
	free(p);
}

static const char *str_at(const struct logrec_parser *p, long off)
{
	return off < 0 ? NULL : p->arena.data + off;
}

static void fill(const struct logrec_parser *p, struct logrec *r)
{
	const char **slots[F_COUNT] = { &r->time, &r->decision_id, &r->source, &r->project_id, &r->user_id,
					&r->mode, &r->decision, &r->error, &r->prev, &r->image_id, &r->image_name };

	for (size_t i = 0; i < F_COUNT; i++)
		*slots[i] = str_at(p, p->off[i]);
	r->n_rules = p->n_rules;
	r->n_open = p->n_open;
	for (size_t i = 0; i < p->n_rules && i < LOGREC_MAX_RULES; i++) {
		r->rules[i] = str_at(p, p->rule_off[i]);
		r->rule_exempted[i] = p->rule_ex[i];
	}
	r->has_seq = p->has_seq;
	r->seq = p->seq;
}

int logrec_parse(struct logrec_parser *p, const char *line, size_t len, struct logrec *out, char *why,
		 size_t whylen)
{
	fresh(p);
	yajl_status st = yajl_parse(p->h, (const unsigned char *)line, len);
	if (st != yajl_status_ok) {
		if (!p->err[0]) {
			unsigned char *msg = yajl_get_error(p->h, 0, (const unsigned char *)line, len);
			snprintf(p->err, sizeof(p->err), "not JSON: %s", msg ? (const char *)msg : "parse error");
			char *nl = strchr(p->err, '\n');
			if (nl)
				*nl = '\0';
			if (msg)
				yajl_free_error(p->h, msg);
		}
		p->done = 0;
		snprintf(why, whylen, "%s", p->err);
		return -1;
	}
	if (!p->done) {
		snprintf(why, whylen, "%s", p->depth ? "the record is cut short" : "an empty line");
		return -1;
	}
	if (p->off[F_TIME] < 0 || p->off[F_DECISION] < 0) {
		snprintf(why, whylen, "not a decision record (no \"time\" or \"decision\")");
		return -1;
	}
	fill(p, out);
	return 0;
}

/* ---- filters ------------------------------------------------------------ */

static int glob_is(const char *pattern, const char *s)
{
	return s && fnmatch(pattern, s, 0) == 0;
}

static int any_rule(const char *pattern, const struct logrec *r)
{
	for (size_t i = 0; i < r->n_rules && i < LOGREC_MAX_RULES; i++)
		if (glob_is(pattern, r->rules[i]))
			return 1;
	return 0;
}

int logrec_match(const struct logrec_filter *f, const struct logrec *r)
{
	if (f->since[0] && strcmp(r->time, f->since) < 0)
		return 0;
	if (f->until[0] && strcmp(r->time, f->until) > 0)
		return 0;
	if ((f->decision && str_differs(f->decision, r->decision)) || (f->mode && str_differs(f->mode, r->mode)) ||
	    (f->source && str_differs(f->source, r->source)))
		return 0;
	if (f->project && !glob_is(f->project, r->project_id))
		return 0;
	if (f->image && !glob_is(f->image, r->image_id) && !glob_is(f->image, r->image_name))
		return 0;
	return !f->rule || any_rule(f->rule, r);
}

int logrec_would_refuse(const struct logrec *r)
{
	return r->n_open > 0 && r->mode && (!strcmp(r->mode, "warn") || !strcmp(r->mode, "dry-run"));
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int logrec_time_bound(const char *s, int until, char out[28])
{
	static const char *const start = "0000-00-00T00:00:00.000000Z", *const end = "0000-00-00T23:59:59.999999Z";
	size_t n = strlen(s);

	if (n && s[n - 1] == 'Z')
		n--;
	/* the lengths of the forms, and where their digits are */
	if (n != 10 && n != 16 && n != 19)
		return -1;
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return -1;
	if (n > 10 && (s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2)))
		return -1;
	if (n > 16 && (s[16] != ':' || !digits(s + 17, 2)))
		return -1;
	memcpy(out, until ? end : start, 28);
	memcpy(out, s, n);
	return 0;
}
