/* meta: load image metadata rules and check one image against them.
 *
 * Dates are read as the official SCS-0102 test reads them, with Python's
 * time.strptime: each strptime directive becomes the regex _strptime uses
 * for it, the match is anchored at the start, leftmost-first, and must
 * then end at the end of the text; the day must exist in its month. */
#include "core/meta.h"
#include "core/image.h"
#include "core/util.h"
#include "core/yconf.h"
#include "core/ydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python's _strptime regexes for the directives a date rule may use. */
static const struct {
	char d;
	const char *re;
} directives[] = {
	{ 'Y', "(\\d\\d\\d\\d)" },
	{ 'm', "(1[0-2]|0[1-9]|[1-9])" },
	{ 'd', "(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])" },
	{ 'H', "(2[0-3]|[0-1]\\d|\\d)" },
	{ 'M', "([0-5]\\d|\\d)" },
	{ 'S', "(6[0-1]|[0-5]\\d|\\d)" },
};
#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))
#define DATE_RE_MAX 512

static int directive_index(char c)
{
	for (size_t i = 0; i < N_DIRECTIVES; i++)
		if (directives[i].d == c)
			return (int)i;
	return -1;
}

/* The format as _strptime's pattern(): regex characters escaped, runs of
 * whitespace \s+, directives replaced. order[k] is the directive of group k+1. */
static int translate(const char *fmt, char *out, size_t len, signed char order[8], const char **bad)
{
	size_t o = 0, groups = 0;
	for (const char *c = fmt; *c; c++) {
		const char *piece;
		char lit[3] = { 0 };
		if (*c == '%') {
			int k = c[1] ? directive_index(c[1]) : -1;
			if (c[1] == '%') {
				piece = "%";
			} else if (k < 0 || groups == 8) {
				*bad = c;
				return -1;
			} else {
				order[groups++] = (signed char)k;
				piece = directives[k].re;
			}
			c++;
		} else if (strchr(" \t\n\r\f\v", *c)) {
			while (c[1] && strchr(" \t\n\r\f\v", c[1]))
				c++;
			piece = "\\s+";
		} else {
			lit[0] = strchr("\\.^$*+?(){}[]|", *c) ? '\\' : *c;
			lit[1] = lit[0] == '\\' ? *c : '\0';
			piece = lit;
		}
		size_t n = strlen(piece);
		if (o + n + 1 > len) {
			*bad = c;
			return -1;
		}
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
	for (size_t k = groups; k < 8; k++)
		order[k] = -1;
	return 0;
}

static int load_format(struct yconf *y, const struct ynode *n, const char *fmt, struct meta_date_format *f)
{
	char re[DATE_RE_MAX];
	const char *bad = NULL;
	int errcode;
	PCRE2_SIZE off;

	f->format = xstrdup(fmt);
	if (translate(fmt, re, sizeof(re), f->order, &bad) < 0)
		return yc_fail(y, n, "date format '%s': only %%Y %%m %%d %%H %%M %%S and %%%% are understood "
			       "(at '%.8s')", fmt, bad);
	f->re.pattern = xstrdup(re);
	f->re.code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_CASELESS,
				   &errcode, &off, NULL);
	if (!f->re.code)
		return yc_fail(y, n, "date format '%s' does not translate to a regex", fmt);
	return 0;
}

static void free_list(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

int meta_load_dates(struct yconf *y, const struct ynode *n, const char *what, struct meta_date_format **out,
			size_t *count)
{
	char **fmts = NULL;
	size_t nf = 0;
	int rc = yc_strings(y, n, what, &fmts, &nf);
	if (rc < 0) {
		free_list(fmts, nf);        /* yc_strings leaves what it read */
		return -1;
	}
	struct meta_date_format *fp = xcalloc(nf ? nf : 1, sizeof(*fp));
	*out = fp;
	*count = 0;
	for (size_t i = 0; i < nf; i++) {
		if (rc == 0) {
			*count = i + 1;
			rc = load_format(y, n, fmts[i], &fp[i]);
		}
		free(fmts[i]);
	}
	free(fmts);
	return rc;
}

void meta_free_dates(struct meta_date_format *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].format);
		free(f[i].re.pattern);
		pcre2_code_free(f[i].re.code);
	}
	free(f);
}

static int digits_value(const char *s, size_t len)
{
	int v = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (s[i] - '0');
	return v;
}

/* As datetime.date() refuses: year 0, a day its month does not have. */
static int day_exists(int y, int m, int d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	return y >= 1 && d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

static long long date_one(const struct policy *p, const struct meta_date_format *f, const char *s, size_t len)
{
	int field[N_DIRECTIVES] = { 1900, 1, 1, 0, 0, 0 };   /* _strptime's defaults */
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(f->re.code, NULL);
	long long t = 0;

	if (!md)
		return 0;
	int rc = pcre2_match(f->re.code, (PCRE2_SPTR)s, len, 0, 0, md, p->mctx);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (rc > 0 && ov[1] == len) {
		for (int k = 0; k < 8 && f->order[k] >= 0; k++)
			field[(int)f->order[k]] = digits_value(s + ov[2 * k + 2], ov[2 * k + 3] - ov[2 * k + 2]);
		if (day_exists(field[0], field[1], field[2]))
			t = (long long)days_from_civil(field[0], field[1], field[2]) * 86400 + field[3] * 3600LL +
			    field[4] * 60LL + field[5];
	}
	pcre2_match_data_free(md);
	return t;
}

long long meta_date(const struct policy *p, const struct meta_date_format *f, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++) {
		long long t = date_one(p, &f[i], s, strlen(s));
		if (t)
			return t;
	}
	return 0;
}

/* ---- loading ---------------------------------------------------------- */

static const char *const absent_names[] = { "violation", "ok", "check" };

static int get_absent(struct yconf *y, const struct ynode *n, const char *what, int allow_check,
		      enum meta_absent *out)
{
	int v;
	if (!n)
		return 0;
	if (yc_enum(y, n, what, absent_names, allow_check ? 3 : 2, &v) < 0)
		return -1;
	*out = (enum meta_absent)v;
	return 0;
}

static int get_flag(struct yconf *y, const struct ynode *map, const char *key, int *out)
{
	struct ynode *v = ymap_get(map, key);
	return v ? yc_bool(y, v, key, out) : 0;
}

static void append(char *buf, size_t len, const char *fmt, const char *what)
{
	size_t o = strlen(buf);
	snprintf(buf + o, len - o, "%s", o ? "; or " : "");
	o = strlen(buf);
	snprintf(buf + o, len - o, fmt, what);
}

static char *join(char **s, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(s[i]) + 2;
	char *out = xcalloc(len, 1);
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? ", " : "");
		strcat(out, s[i]);
	}
	return out;
}

/* What the rule accepts, in words, once: messages quote it. */
static void describe(struct meta_rule *r)
{
	char buf[1024] = "", *list;
	if (r->n_values) {
		list = join(r->values, r->n_values);
		append(buf, sizeof(buf), "one of: %s", list);
		free(list);
	}
	if (r->any)
		append(buf, sizeof(buf), "%s", "any non-empty text");
	if (r->n_schemes) {
		list = join(r->schemes, r->n_schemes);
		append(buf, sizeof(buf), "a URL (%s)", list);
		free(list);
	}
	if (r->n_dates) {
		char **f = xcalloc(r->n_dates, sizeof(*f));
		for (size_t i = 0; i < r->n_dates; i++)
			f[i] = r->dates[i].format;
		list = join(f, r->n_dates);
		append(buf, sizeof(buf), "a date as %s", list);
		free(list);
		free(f);
	}
	if (r->last_n)
		append(buf, sizeof(buf), "%s", "last-N (N a whole number)");
	if (r->decimal)
		append(buf, sizeof(buf), "%s", "a whole number (digits)");
	if (r->integer) {
		char num[64];
		snprintf(num, sizeof(num), "%llu", r->min);
		append(buf, sizeof(buf), "a whole number of at least %s", num);
	}
	if (r->empty == META_ABSENT_OK)
		append(buf, sizeof(buf), "%s", "empty");
	if (r->missing == META_ABSENT_OK)
		append(buf, sizeof(buf), "%s", "not set");
	r->allowed = xstrdup(buf);
}

static int load_not_after(struct yconf *y, const struct ynode *n, struct meta_rule *r)
{
	static const char *const keys[] = { "property", "dates", NULL };
	struct ynode *v;
	if (!r->n_dates)
		return yc_fail(y, n, "not_after compares dates: the rule needs 'dates'");
	if (yc_want(y, n, YNODE_MAP, "not_after") == 0 && (v = ymap_get(n, "property")) && v->kind == YNODE_SCALAR) {
		size_t len = strlen(v->value) + 40;
		r->not_after_why = xcalloc(len, 1);
		snprintf(r->not_after_why, len, "is later than the image's %s", v->value);
	}
	return yc_want(y, n, YNODE_MAP, "not_after") < 0 || yc_keys(y, n, keys, "not_after") < 0 ||
	       yc_need(y, n, "property", "not_after", &v) < 0 || yc_string(y, v, "property", &r->not_after) < 0 ||
	       yc_need(y, n, "dates", "not_after", &v) < 0 ||
	       meta_load_dates(y, v, "not_after.dates", &r->not_after_dates, &r->n_not_after_dates) < 0 ? -1 : 0;
}

static int load_integer(struct yconf *y, const struct ynode *n, struct meta_rule *r)
{
	static const char *const keys[] = { "min", "covers_size", NULL };
	struct ynode *v;
	r->integer = 1;
	if (yc_want(y, n, YNODE_MAP, "integer") < 0 || yc_keys(y, n, keys, "integer") < 0)
		return -1;
	if ((v = ymap_get(n, "min")) && yc_uint(y, v, "integer.min", 0, 1ull << 40, &r->min) < 0)
		return -1;
	if ((v = ymap_get(n, "covers_size")) && yc_size(y, v, "integer.covers_size", &r->covers_size) < 0)
		return -1;
	return 0;
}

static int check_testcase(struct yconf *y, const struct ynode *n, const char *id)
{
	if (strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(id) || !id[0])
		return yc_fail(y, n, "'%s' must be lower-case letters, digits, '-' and '_'", id);
	return 0;
}

static int load_accept(struct yconf *y, const struct ynode *n, struct meta_rule *r)
{
	struct ynode *v;
	if ((v = ymap_get(n, "values")) && yc_strings(y, v, "values", &r->values, &r->n_values) < 0)
		return -1;
	if ((v = ymap_get(n, "url_schemes")) && yc_strings(y, v, "url_schemes", &r->schemes, &r->n_schemes) < 0)
		return -1;
	if ((v = ymap_get(n, "dates")) && meta_load_dates(y, v, "dates", &r->dates, &r->n_dates) < 0)
		return -1;
	if (get_flag(y, n, "any", &r->any) < 0 || get_flag(y, n, "last_n", &r->last_n) < 0 ||
	    get_flag(y, n, "decimal", &r->decimal) < 0 || get_flag(y, n, "not_future", &r->not_future) < 0)
		return -1;
	if (r->not_future && !r->n_dates)
		return yc_fail(y, n, "not_future compares dates: the rule needs 'dates'");
	if ((v = ymap_get(n, "integer")) && load_integer(y, v, r) < 0)
		return -1;
	if ((v = ymap_get(n, "not_after")) && load_not_after(y, v, r) < 0)
		return -1;
	if (!r->n_values && !r->n_schemes && !r->n_dates && !r->any && !r->last_n && !r->decimal && !r->integer)
		return yc_fail(y, n, "rule '%s' accepts nothing: give values, url_schemes, dates, any, last_n, "
			       "decimal or integer", r->id);
	return 0;
}

static int load_rule(struct yconf *y, const struct ynode *n, const char *prefix, struct meta_rule *r)
{
	static const char *const keys[] = { "id", "property", "status", "testcase", "missing", "empty", "values",
					    "url_schemes", "dates", "any", "last_n", "decimal", "integer",
					    "not_after", "not_future", NULL };
	static const char *const status_names[] = { "optional", "recommended", "mandatory" };
	struct ynode *v;
	int st = STATUS_MANDATORY;

	r->file = y->path;
	r->line = n->line;
	if (yc_want(y, n, YNODE_MAP, "a metadata rule") < 0 || yc_keys(y, n, keys, "a metadata rule") < 0 ||
	    yc_need(y, n, "id", "a metadata rule", &v) < 0 || yc_string(y, v, "id", &r->id) < 0 ||
	    check_testcase(y, v, r->id) < 0)
		return -1;
	size_t len = strlen(prefix) + strlen(r->id) + 2;
	r->rule = xcalloc(len, 1);
	snprintf(r->rule, len, "%s/%s", prefix, r->id);
	v = ymap_get(n, "property");
	if (v ? yc_string(y, v, "property", &r->property) < 0 : !(r->property = xstrdup(r->id)))
		return -1;
	if ((v = ymap_get(n, "status")) && yc_enum(y, v, "status", status_names, 3, &st) < 0)
		return -1;
	r->status = (enum status)st;
	if ((v = ymap_get(n, "testcase")) &&
	    (yc_string(y, v, "testcase", &r->testcase) < 0 || check_testcase(y, v, r->testcase) < 0))
		return -1;
	r->empty = META_ABSENT_CHECK;
	if (get_absent(y, ymap_get(n, "missing"), "missing", 0, &r->missing) < 0 ||
	    get_absent(y, ymap_get(n, "empty"), "empty", 1, &r->empty) < 0 || load_accept(y, n, r) < 0)
		return -1;
	describe(r);
	return 0;
}

const struct meta_rule *meta_find(const struct policy *p, const char *id)
{
	for (size_t i = 0; i < p->n_meta; i++)
		if (!strcmp(p->meta[i].id, id))
			return &p->meta[i];
	return NULL;
}

int meta_load(struct yconf *y, struct policy *p, const struct ynode *root)
{
	static const char *const top[] = { "image_metadata", NULL };
	static const char *const keys[] = { "rule_prefix", "rules", "recency", "uniqueness", NULL };
	struct ynode *m, *v, *rules;
	char *prefix = NULL;
	int rc = -1;

	if (yc_keys(y, root, top, "an image metadata file") < 0 ||
	    yc_need(y, root, "image_metadata", "an image metadata file", &m) < 0 ||
	    yc_want(y, m, YNODE_MAP, "image_metadata") < 0 || yc_keys(y, m, keys, "image_metadata") < 0 ||
	    yc_need(y, m, "rule_prefix", "image_metadata", &v) < 0 || yc_string(y, v, "rule_prefix", &prefix) < 0 ||
	    check_testcase(y, v, prefix) < 0 || yc_need(y, m, "rules", "image_metadata", &rules) < 0 ||
	    yc_want(y, rules, YNODE_SEQ, "rules") < 0)
		goto out;
	struct meta_rule *grown = realloc(p->meta, (p->n_meta + rules->n) * sizeof(*grown));
	if (!grown) {
		yc_fail(y, NULL, "out of memory");
		goto out;
	}
	p->meta = grown;
	memset(p->meta + p->n_meta, 0, rules->n * sizeof(*grown));
	for (size_t i = 0; i < rules->n; i++) {
		struct meta_rule *r = &p->meta[p->n_meta++];   /* counted first: freed when half-loaded */
		if (load_rule(y, rules->items[i], prefix, r) < 0)
			goto out;
		for (const struct meta_rule *o = p->meta; o < r; o++)
			if (!strcmp(o->rule, r->rule)) {
				yc_fail(y, rules->items[i], "rule '%s' is defined twice (first at %s:%u)", r->rule,
					o->file, o->line);
				goto out;
			}
	}
	rc = 0;
out:
	free(prefix);
	return rc;
}

void meta_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_meta; i++) {
		struct meta_rule *r = &p->meta[i];
		free(r->id);
		free(r->rule);
		free(r->property);
		free(r->testcase);
		free_list(r->values, r->n_values);
		free_list(r->schemes, r->n_schemes);
		meta_free_dates(r->dates, r->n_dates);
		free(r->not_after);
		free(r->not_after_why);
		meta_free_dates(r->not_after_dates, r->n_not_after_dates);
		free(r->allowed);
	}
	free(p->meta);
}

/* ---- checking --------------------------------------------------------- */

static int all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* The official is_url: the text before the first "://" is a listed scheme. */
static int is_url(const struct meta_rule *r, const char *s)
{
	const char *sep = strstr(s, "://");
	for (size_t i = 0; sep && i < r->n_schemes; i++)
		if (strlen(r->schemes[i]) == (size_t)(sep - s) && !memcmp(s, r->schemes[i], (size_t)(sep - s)))
			return 1;
	return 0;
}

static int whole_number(const char *s, unsigned long long *out)
{
	char *end;
	if (!all_digits(s) || strlen(s) > 15)
		return 0;
	*out = strtoull(s, &end, 10);
	return 1;
}

/* The accepted forms; *when is the date read, if a date form matched. */
static int accepted(const struct policy *p, const struct meta_rule *r, const char *s, enum prop_type type,
		    long long *when)
{
	unsigned long long n;
	if (type != PROP_STRING)
		return r->integer && type == PROP_OTHER && whole_number(s, &n) && n >= r->min;
	for (size_t i = 0; i < r->n_values; i++)
		if (!strcmp(s, r->values[i]))
			return 1;
	if ((r->any && *s) || (r->n_schemes && is_url(r, s)) || (r->decimal && all_digits(s)) ||
	    (r->last_n && !strncmp(s, "last-", 5) && all_digits(s + 5)) ||
	    (r->integer && whole_number(s, &n) && n >= r->min))
		return 1;
	return r->n_dates && (*when = meta_date(p, r->dates, r->n_dates, s)) != 0;
}

static unsigned long long image_size(const struct image *img)
{
	enum prop_type t;
	unsigned long long n;
	const char *s = image_scalar(img, "size", &t);
	return s && t == PROP_OTHER && whole_number(s, &n) ? n : 0;
}

int meta_future(const struct policy *p, const struct meta_rule *r, const struct image *img, long long now)
{
	if (!r->not_future)
		return 0;
	long long t = meta_date(p, r->dates, r->n_dates, image_prop(img, r->property));
	if (!t && r->not_after)
		t = meta_date(p, r->not_after_dates, r->n_not_after_dates, image_prop(img, r->not_after));
	return t > now;
}

int meta_check(const struct policy *p, const struct meta_rule *r, const struct image *img, const char **actual,
	       const char **why)
{
	enum prop_type type = PROP_NULL;
	const char *s = image_scalar(img, r->property, &type);
	long long when = 0;

	*actual = NULL;
	if (!s && type == PROP_OTHER) {
		*why = "is given twice with different values";
		return 0;
	}
	if (!s || type == PROP_NULL) {
		*why = "is not set";
		return r->missing == META_ABSENT_OK;
	}
	*actual = s;
	if (type == PROP_STRING && !*s && r->empty != META_ABSENT_CHECK) {
		*why = "is empty";
		return r->empty == META_ABSENT_OK;
	}
	if (type == PROP_TRUE || type == PROP_FALSE || (type == PROP_OTHER && !*s)) {
		*actual = type == PROP_TRUE ? "true" : type == PROP_FALSE ? "false" : "(an object or list)";
		*why = "is not text or a number";
		return 0;
	}
	*why = "is not accepted";
	if (!accepted(p, r, s, type, &when))
		return 0;
	unsigned long long n, size = image_size(img);
	if (r->covers_size && whole_number(s, &n) && size && n * r->covers_size < size) {
		*why = "is smaller than the image's size";
		return 0;
	}
	if (when && r->not_after) {
		long long limit = meta_date(p, r->not_after_dates, r->n_not_after_dates, image_prop(img, r->not_after));
		if (limit && when > limit) {
			*why = r->not_after_why;
			return 0;
		}
	}
	return 1;
}
