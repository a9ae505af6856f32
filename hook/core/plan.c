/* plan: sync's pure part; see plan.h. */
#include "core/plan.h"
#include "core/date.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const states[] = { "uploading", "ready", "published" };

const char *plan_state_name(enum plan_state s)
{
	return states[s];
}

static int plain(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return 0;
	return 1;
}

int plan_marker_format(const struct plan_marker *m, char *out, size_t len)
{
	if (!plain(m->build, strlen(m->build)) || !plain(m->run, strlen(m->run)))
		return -1;
	return (size_t)snprintf(out, len, "v1 build=%s state=%s run=%s", m->build, states[m->state], m->run) < len ? 0
														  : -1;
}

/* The value of "KEY=" in a space-separated line, as (start, length). */
static const char *field(const char *text, const char *key, size_t *n)
{
	size_t k = strlen(key);
	for (const char *p = text; (p = strstr(p, key)); p += k)
		if ((p == text || p[-1] == ' ') && p[k] == '=') {
			*n = strcspn(p + k + 1, " ");
			return p + k + 1;
		}
	return NULL;
}

int plan_marker_parse(const char *text, struct plan_marker *m)
{
	size_t nb, ns, nr;
	const char *b, *s, *r;

	memset(m, 0, sizeof(*m));
	if (!text || strncmp(text, "v1 ", 3) || !(b = field(text, "build", &nb)) || !(s = field(text, "state", &ns)) ||
	    !(r = field(text, "run", &nr)) || !plain(b, nb) || nb >= sizeof(m->build) || !plain(r, nr) ||
	    nr >= sizeof(m->run))
		return -1;
	for (int i = 0; i < PLAN_STATES; i++)
		if (strlen(states[i]) == ns && !strncmp(s, states[i], ns))
			m->state = (enum plan_state)i, ns = 0;
	if (ns)
		return -1;
	memcpy(m->build, b, nb);
	memcpy(m->run, r, nr);
	return 0;
}

int plan_lock_format(const struct plan_lock *l, char *out, size_t len)
{
	if (!plain(l->run, strlen(l->run)) || !plain(l->host, strlen(l->host)))
		return -1;
	return (size_t)snprintf(out, len, "v1 run=%s until=%lld host=%s pid=%ld", l->run, l->until, l->host, l->pid) <
			       len ? 0 : -1;
}

/* A whole number of at most 18 digits into *out. */
static int number(const char *s, size_t n, long long *out)
{
	char num[24];
	if (!n || n > 18 || strspn(s, "0123456789") < n)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	*out = strtoll(num, NULL, 10);
	return 0;
}

int plan_lock_parse(const char *text, struct plan_lock *l)
{
	size_t nr, nu, nh, np;
	const char *r, *u, *h, *p;
	long long pid;

	memset(l, 0, sizeof(*l));
	if (!text || strncmp(text, "v1 ", 3) || !(r = field(text, "run", &nr)) || !(u = field(text, "until", &nu)) ||
	    !(h = field(text, "host", &nh)) || !(p = field(text, "pid", &np)) || !plain(r, nr) ||
	    nr >= sizeof(l->run) || !plain(h, nh) || nh >= sizeof(l->host) || number(u, nu, &l->until) < 0 ||
	    number(p, np, &pid) < 0)
		return -1;
	memcpy(l->run, r, nr);
	memcpy(l->host, h, nh);
	l->pid = (long)pid;
	return 0;
}

void *plan_value(const char *key, const char *value)
{
	if ((!strcmp(key, "min_ram") || !strcmp(key, "min_disk")) && *value && strlen(value) < 10 &&
	    strspn(value, "0123456789") == strlen(value))
		return json_integer(strtoll(value, NULL, 10));
	if (!strcmp(key, "protected") && (!strcmp(value, "true") || !strcmp(value, "false")))
		return json_boolean(!strcmp(value, "true"));
	return json_string(value);
}

static void set_build(json_t *o, const struct build *b, int min_disk_gib)
{
	json_object_set_new(o, "image_source", json_string(b->image_source));
	if (b->build_date[0])
		json_object_set_new(o, "image_build_date", json_string(b->build_date));
	if (b->arch[0])
		json_object_set_new(o, "architecture", json_string(b->arch));
	if (min_disk_gib > 0)
		json_object_set_new(o, "min_disk", json_integer(min_disk_gib));
}

static char *dump(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		oom();
	return text;
}

char *plan_build_properties(const struct build *b, int min_disk_gib)
{
	json_t *o = json_object();
	set_build(o, b, min_disk_gib);
	return dump(o);
}

char *plan_image(const struct catalog_entry *e, const struct build *b, int min_disk_gib)
{
	json_t *o = json_object();

	for (size_t i = 0; i < e->n_props; i++)
		json_object_set_new(o, e->keys[i], plan_value(e->keys[i], e->values[i]));
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "visibility", json_string(visibility_name(e->visibility)));
	json_object_set_new(o, "os_hidden", json_false());
	json_object_set_new(o, "status", json_string("active"));
	set_build(o, b, min_disk_gib);
	return dump(o);
}

/* What is judged once the build is known: its image_source, its bytes,
 * and the properties sync takes from it (set or not at --check). */
static int known_at_run_time(const struct violation *v)
{
	static const char *const from_build[] = { "image_source", "architecture", "min_disk", "image_build_date" };

	if (v->kind == V_SOURCE || v->kind == V_SOURCE_CANONICAL ||
	    (v->kind >= V_ORIGIN_CHECKSUM && v->kind <= V_ORIGIN_DECLARED))
		return 1;
	for (size_t i = 0; v->key && i < sizeof(from_build) / sizeof(*from_build); i++)
		if (!strcmp(v->key, from_build[i]))
			return 1;
	return 0;
}

static int check_entry(const struct policy *p, const struct catalog_entry *e, int today, char *err, size_t errlen)
{
	const char *stand_in = e->source.base ? e->source.base : e->source.dir ? e->source.dir : e->source.index;
	struct build b = { .image_source = (char *)stand_in, .size = -1 };
	struct caller who = { 0 };
	struct image img = { 0 };
	struct decision d;
	char why[512], msg[1024];

	date_format(today, b.build_date);
	char *text = plan_image(e, &b, 0);
	int rc = image_parse(&img, text, strlen(text), why, sizeof(why));
	free(text);
	if (rc < 0) {
		image_release(&img);
		return snprintf(err, errlen, "%s:%u: sync image '%s' cannot be made: %s", p->catalog->file, e->line,
				e->name, why), -1;
	}
	decide(p, &img, &who, today, &d);
	rc = 0;
	for (size_t i = 0; i < d.n && rc == 0; i++) {
		if (d.v[i].exempted || d.v[i].advisory || known_at_run_time(&d.v[i]))
			continue;
		violation_message(&d.v[i], msg, sizeof(msg));
		snprintf(err, errlen, "%s:%u: sync image '%s' would be refused by the policy: %s (%s)",
			 p->catalog->file, e->line, e->name, msg, d.v[i].rule);
		rc = -1;
	}
	image_release(&img);
	return rc;
}

/* A checksum-list source reads its origin's list of the directory: one
 * must cover it, and not one whose lists are per image. */
static int check_dir(const struct policy *p, const struct catalog_entry *e, char *err, size_t errlen)
{
	struct origin_ref ref;
	char why[512];
	int m;

	if (e->source.format != CATALOG_CHECKSUM_LIST)
		return 0;
	m = origins_match_dir(&p->origins, e->source.dir, &ref, why, sizeof(why));
	if (m == 1)
		origin_ref_free(&ref);
	else if (m == 0)
		snprintf(why, sizeof(why), "'%s' lies under no origin of the policy, so no list names its builds",
			 e->source.dir);
	if (m != 1)
		snprintf(err, errlen, "%s:%u: sync image '%s': a checksum-list source.dir needs its origin's list: %s",
			 p->catalog->file, e->source.line, e->name, why);
	return m == 1 ? 0 : -1;
}

/* A stream read signed needs the keyring to verify it with. */
static int check_keys(const struct policy *p, const struct catalog_entry *e, char *err, size_t errlen)
{
	if (!e->source.n_keys || p->origin.keyring)
		return 0;
	snprintf(err, errlen, "%s:%u: sync image '%s': source.keys names who signs the stream, but origin.keyring is "
		 "not set: give the config an origin: {keyring: FILE} that holds %s", p->catalog->file, e->source.line,
		 e->name, e->source.keys[0]);
	return -1;
}

int plan_check(const struct policy *p, int today, char *err, size_t errlen)
{
	for (size_t i = 0; p->catalog && i < p->catalog->n; i++)
		if (check_dir(p, &p->catalog->e[i], err, errlen) < 0 || check_keys(p, &p->catalog->e[i], err, errlen) < 0 ||
		    check_entry(p, &p->catalog->e[i], today, err, errlen) < 0)
			return -1;
	return 0;
}

void plan_previous_name(const char *name, const char *build_date, char *out, size_t len)
{
	char digits[9] = "";
	size_t k = 0;

	for (const char *p = build_date; *p && k < 8; p++)
		if (isdigit((unsigned char)*p))
			digits[k++] = *p;
	digits[k] = '\0';
	snprintf(out, len, "%s %s", name, digits);
}
