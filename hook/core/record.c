#include "core/record.h"
#include "core/image.h"
#include "core/jsonw.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct recorder {
	struct jsonw w;
};

/* ,"key":"value" (or null): most of a record is made of these. */
#define FIELD(w, key, value) (jw_lit((w), ",\"" key "\":"), jw_cstr((w), (value)))

struct recorder *recorder_new(void)
{
	return xcalloc(1, sizeof(struct recorder));
}

void recorder_free(struct recorder *rec)
{
	if (!rec)
		return;
	jw_free(&rec->w);
	free(rec);
}

/* RFC 3339 in UTC with microseconds; the calendar part is formatted once
 * a second, which matters at a million records a second. */
static void now_rfc3339(char out[28])
{
	static _Thread_local time_t last = -1;
	static _Thread_local char date[20];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		last = ts.tv_sec;
	}
	memcpy(out, date, 19);
	out[19] = '.';
	long us = ts.tv_nsec / 1000;
	for (int i = 25; i >= 20; i--, us /= 10)
		out[i] = (char)('0' + us % 10);
	out[26] = 'Z';
	out[27] = '\0';
}

/* ["a","b"]: strings named in policies and by Keystone. */
static void gen_strings(struct jsonw *w, const char *const *s, size_t n)
{
	jw_lit(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			jw_lit(w, ",");
		jw_cstr(w, s[i]);
	}
	jw_lit(w, "]");
}

static void gen_image(struct jsonw *w, const struct image *img)
{
	jw_lit(w, ",\"image\":{\"id\":");
	jw_cstr(w, img->id);
	jw_lit(w, ",\"name\":");
	if (img->name)
		jw_str(w, img->name, img->name_len);
	else
		jw_lit(w, "null");
	FIELD(w, "visibility", visibility_name(img->visibility));
	if (img->os_hidden)
		jw_lit(w, ",\"os_hidden\":true");
	else
		jw_lit(w, ",\"os_hidden\":false");
	jw_lit(w, ",\"image_source\":");
	if (img->image_source)
		jw_str(w, img->image_source, img->source_len);
	else
		jw_lit(w, "null");
	FIELD(w, "os_distro", img->os_distro);
	FIELD(w, "os_version", img->os_version);
	FIELD(w, "os_purpose", img->os_purpose);
	jw_lit(w, "}");
}

/* A quota's figures as numbers, for whoever reads the log by machine. */
static void gen_quota(struct jsonw *w, const struct violation *v)
{
	jw_lit(w, ",\"limit\":");
	jw_int(w, (long long)v->limit);
	if (v->kind == V_QUOTA_SIZE) {
		jw_text(w, v->used ? ",\"received\":" : ",\"size\":");
		jw_int(w, (long long)v->size);
		return;
	}
	jw_lit(w, ",\"usage\":");
	jw_int(w, (long long)v->used);
	if (v->kind == V_QUOTA_TOTAL) {
		jw_lit(w, ",\"size\":");
		jw_int(w, (long long)v->size);
	}
}

static void gen_violations(struct jsonw *w, const struct decision *d)
{
	char msg[1024];

	jw_lit(w, ",\"violations\":[");
	for (size_t i = 0; i < d->n; i++) {
		const struct violation *v = &d->v[i];
		violation_message(v, msg, sizeof(msg));
		if (i)
			jw_lit(w, ",");
		jw_lit(w, "{\"rule\":");
		jw_cstr(w, v->rule);
		FIELD(w, "spec", v->spec);
		FIELD(w, "message", msg);
		jw_lit(w, ",\"expected\":");
		if (v->origin && v->origin->status == ORIGIN_LISTED)
			gen_strings(w, (const char *const[]){ v->origin->expected }, 1);
		else
			gen_strings(w, v->expected, v->n_expected);
		if (violation_kinds[v->kind].quota)
			gen_quota(w, v);
		if (v->exempted)
			jw_lit(w, ",\"exempted\":true");
		jw_lit(w, "}");
	}
	jw_lit(w, "]");
	if (d->n_more) {
		jw_lit(w, ",\"violations_not_shown\":");
		jw_int(w, (long long)d->n_more);
	}
}

static void gen_exemption(struct jsonw *w, const struct exemption *e)
{
	char day[11];

	jw_lit(w, ",\"exemption\":");
	if (!e) {
		jw_lit(w, "null");
		return;
	}
	jw_lit(w, "{\"project\":");
	jw_cstr(w, e->project);
	FIELD(w, "reason", e->reason);
	if (e->expires >= 0)
		date_format(e->expires, day);
	FIELD(w, "expires", e->expires >= 0 ? day : NULL);
	jw_lit(w, "}");
}

/* "origin": what the vendor's list says about the image's file, and
 * whether the bytes were found to be it. */
static void gen_origin(struct jsonw *w, const struct origin_expect *e, const char *actual, const char *record)
{
	int listed = e->status == ORIGIN_LISTED;
	int verified = listed && actual && !strcmp(actual, e->expected);

	jw_lit(w, ",\"origin\":{\"list\":");
	jw_cstr(w, e->list_url[0] ? e->list_url : NULL);
	FIELD(w, "algorithm", sums_algo_name(e->algo));
	FIELD(w, "expected", listed ? e->expected : NULL);
	FIELD(w, "actual", actual);
	FIELD(w, "signer", e->signer[0] ? e->signer : NULL);
	if (e->moving[0])
		jw_lit(w, ",\"stable\":false");
	else
		jw_lit(w, ",\"stable\":true");
	if (e->signed_only)
		jw_lit(w, ",\"signed_only\":true");
	else
		jw_lit(w, ",\"signed_only\":false");
	if (verified)
		jw_lit(w, ",\"verified\":true");
	else
		jw_lit(w, ",\"verified\":false");
	if (verified && record)
		FIELD(w, "record", record);
	if (!verified)
		FIELD(w, "reason", !listed ? e->why
				   : !actual ? "the data's digest is not known"
					     : "the data's digest differs from the vendor's");
	jw_lit(w, "}");
}

static void gen_policy(struct jsonw *w, const struct policy *p)
{
	jw_lit(w, ",\"policy\":{\"files\":");
	gen_strings(w, (const char *const *)p->files, p->n_files);
	jw_lit(w, ",\"sha256\":");
	jw_cstr(w, p->sha256);
	jw_lit(w, "}");
}

int recorder_render(struct recorder *rec, const struct record_ctx *c, const struct image *img,
		    const struct decision *d, const char **line, size_t *len)
{
	struct jsonw *w = &rec->w;
	char when[28], id[37];

	now_rfc3339(when);
	if (c->decision_id)
		snprintf(id, sizeof(id), "%s", c->decision_id);
	else
		uuid_v4(id);
	w->len = 0;
	w->oom = 0;
	jw_reserve(w, 2048);
	jw_lit(w, "{\"time\":");
	jw_cstr(w, when);
	FIELD(w, "decision_id", id);
	FIELD(w, "request_id", c->request_id);
	FIELD(w, "source", c->source);
	FIELD(w, "method", c->method);
	FIELD(w, "path", c->path);
	FIELD(w, "project_id", c->who ? c->who->project_id : NULL);
	FIELD(w, "user_id", c->who ? c->who->user_id : NULL);
	if (c->client) {
		FIELD(w, "client", c->client);
		FIELD(w, "user_agent", c->user_agent);
	}
	if (c->roles) {
		jw_lit(w, ",\"roles\":");
		gen_strings(w, c->roles, c->n_roles);
	}
	if (c->import_method) {
		jw_lit(w, ",\"import\":{\"method\":");
		jw_cstr(w, c->import_method);
		FIELD(w, "uri", c->uri);
		jw_lit(w, "}");
	}
	gen_image(w, img);
	if (c->origin)
		gen_origin(w, c->origin, c->origin_actual, c->origin_record);
	FIELD(w, "mode", mode_name(d->mode));
	FIELD(w, "decision", action_name(d->action));
	if (d->exempted)
		jw_lit(w, ",\"exempted\":true");
	else
		jw_lit(w, ",\"exempted\":false");
	gen_exemption(w, d->exemption);
	gen_violations(w, d);
	gen_policy(w, c->policy);
	if (c->error)
		FIELD(w, "error", c->error);
	jw_lit(w, ",\"latency_us\":");
	jw_int(w, c->latency_us);
	jw_lit(w, "}\n");
	if (w->oom)
		return -1;
	*line = w->buf;
	*len = w->len;
	return 0;
}
