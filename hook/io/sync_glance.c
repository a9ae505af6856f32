/* sync_glance: sync's Glance calls; see sync_glance.h. */
#include "io/sync_glance.h"
#include "core/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct named {
	struct sync_image *im;
	size_t n, cap;
};

static char *jdup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? xstrdup(v) : NULL;
}

static int collect(const char *json, size_t len, void *ctx)
{
	struct named *l = ctx;
	json_t *doc = json_loadb(json, len, 0, NULL);

	if (!json_is_object(doc) || grow(&l->im, &l->cap, l->n, sizeof(*l->im)) < 0) {
		json_decref(doc);
		return -1;
	}
	struct sync_image *s = &l->im[l->n++];
	memset(s, 0, sizeof(*s));
	s->id = jdup(doc, "id");
	s->name = jdup(doc, "name");
	s->status = jdup(doc, "status");
	s->visibility = jdup(doc, "visibility");
	s->image_source = jdup(doc, "image_source");
	s->build_date = jdup(doc, "image_build_date");
	s->created_at = jdup(doc, "created_at");
	s->hidden = json_is_true(json_object_get(doc, "os_hidden"));
	s->has_marker = plan_marker_parse(json_string_value(json_object_get(doc, PLAN_MARKER)), &s->marker) == 0;
	s->json = xcalloc(len + 1, 1);
	memcpy(s->json, json, len);
	json_decref(doc);
	return s->id ? 0 : -1;
}

int sync_glance_named(struct glance *g, const char *name, const char *owner, struct sync_image **out, size_t *n,
		      char *err, size_t errlen)
{
	struct named l = { 0 };
	char *ename = curl_easy_escape(NULL, name, 0), *eowner = curl_easy_escape(NULL, owner, 0);
	char query[1024];
	int rc = 0;

	for (int hidden = 0; hidden < 2 && rc == 0 && ename && eowner; hidden++) {
		snprintf(query, sizeof(query), "name=%s&owner=%s%s", ename, eowner, hidden ? "&os_hidden=true" : "");
		rc = glance_list(g, query, collect, &l, err, errlen);
	}
	if (!ename || !eowner)
		rc = -1, snprintf(err, errlen, "out of memory");
	curl_free(ename);
	curl_free(eowner);
	if (rc < 0) {
		sync_glance_free(l.im, l.n);
		return -1;
	}
	*out = l.im;
	*n = l.n;
	return 0;
}

void sync_glance_free(struct sync_image *im, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *f[] = { im[i].id, im[i].name, im[i].status, im[i].visibility, im[i].image_source, im[i].build_date,
			      im[i].created_at, im[i].json };
		for (size_t k = 0; k < sizeof(f) / sizeof(*f); k++)
			free(f[k]);
	}
	free(im);
}

int sync_glance_set(struct glance *g, const char *id, const char *object, char *err, size_t errlen)
{
	json_t *o = json_loads(object, 0, NULL);
	const char *key;
	json_t *v;
	struct glance_op ops[64];
	size_t n = 0;

	if (!json_is_object(o) || json_object_size(o) > 64) {
		json_decref(o);
		return snprintf(err, errlen, "sync's properties are not a JSON object of at most 64 keys"), -1;
	}
	json_object_foreach(o, key, v)
		ops[n++] = (struct glance_op){ json_is_null(v) ? "remove" : "add", key, json_is_null(v) ? NULL : v };
	int rc = n ? glance_patch(g, id, ops, n, err, errlen) : 0;
	json_decref(o);
	return rc;
}

/* A lock of a run on this host whose process is gone. */
static int dead_here(const struct plan_lock *l)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	return !strcmp(host, l->host) && l->pid > 0 && kill((pid_t)l->pid, 0) < 0 && errno == ESRCH;
}

/* The live locks of owner, in the order that decides which wins. */
static int locks(struct glance *g, const char *owner, long long now, struct sync_image **im, size_t *n, char *err,
		 size_t errlen)
{
	if (sync_glance_named(g, PLAN_LOCK_NAME, owner, im, n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		json_t *doc = json_loads((*im)[i].json, 0, NULL);
		struct plan_lock l;
		int live = plan_lock_parse(json_string_value(json_object_get(doc, PLAN_LOCK)), &l) == 0 && l.until > now &&
			   !dead_here(&l);
		json_decref(doc);
		if (!live) {    /* expired or broken: a dead run's; gone (a failed delete is retried next run) */
			char why[256];
			glance_delete(g, (*im)[i].id, why, sizeof(why));
			free((*im)[i].status);
			(*im)[i].status = NULL;
		}
	}
	return 0;
}

/* The winner among live locks: the earliest made, then the smallest id. */
static const struct sync_image *winner(const struct sync_image *im, size_t n)
{
	const struct sync_image *w = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!im[i].status)
			continue;
		int c = w ? strcmp(im[i].created_at ? im[i].created_at : "", w->created_at ? w->created_at : "") : -1;
		if (!w || c < 0 || (c == 0 && strcmp(im[i].id, w->id) < 0))
			w = &im[i];
	}
	return w;
}

static void run_of(const struct sync_image *im, char run[37])
{
	json_t *doc = json_loads(im->json, 0, NULL);
	struct plan_lock l;
	run[0] = '\0';
	if (plan_lock_parse(json_string_value(json_object_get(doc, PLAN_LOCK)), &l) == 0)
		snprintf(run, 37, "%s", l.run);
	json_decref(doc);
}

int sync_glance_lock(struct glance *g, const char *owner, const char *run, long long now, char lock_id[65],
		     char held_by[37], char *err, size_t errlen)
{
	struct sync_image *im = NULL;
	size_t n = 0;
	char value[256], body[512];
	struct plan_lock mine = { .until = now + PLAN_LOCK_TTL };

	lock_id[0] = held_by[0] = '\0';
	snprintf(mine.run, sizeof(mine.run), "%s", run);
	gethostname(mine.host, sizeof(mine.host) - 1);
	mine.pid = (long)getpid();
	if (locks(g, owner, now, &im, &n, err, errlen) < 0)
		return -1;
	const struct sync_image *w = winner(im, n);
	if (w) {
		run_of(w, held_by);
		sync_glance_free(im, n);
		return 0;
	}
	sync_glance_free(im, n);
	if (plan_lock_format(&mine, value, sizeof(value)) < 0)
		return snprintf(err, errlen, "the run id '%s' cannot be written into a lock", run), -1;
	snprintf(body, sizeof(body), "{\"name\": \"%s\", \"visibility\": \"private\", \"os_hidden\": true, "
		 "\"disk_format\": \"raw\", \"container_format\": \"bare\", \"%s\": \"%s\"}", PLAN_LOCK_NAME, PLAN_LOCK,
		 value);
	if (glance_create(g, body, lock_id, 65, err, errlen) < 0)
		return -1;
	/* read again: of two that wrote at once, each sees both and one wins */
	if (locks(g, owner, now, &im, &n, err, errlen) < 0) {
		sync_glance_unlock(g, lock_id, err, errlen);
		return -1;
	}
	w = winner(im, n);
	int won = w && !strcmp(w->id, lock_id);
	if (!won && w)
		run_of(w, held_by);
	sync_glance_free(im, n);
	if (!won) {
		char why[256];
		glance_delete(g, lock_id, why, sizeof(why));
		lock_id[0] = '\0';
	}
	return won;
}

int sync_glance_unlock(struct glance *g, const char *lock_id, char *err, size_t errlen)
{
	return lock_id && lock_id[0] ? glance_delete(g, lock_id, err, errlen) : 0;
}

int sync_glance_renew(struct glance *g, const char *lock_id, const char *run, long long now, char *err, size_t errlen)
{
	struct plan_lock l = { .until = now + PLAN_LOCK_TTL, .pid = (long)getpid() };
	char value[256];

	snprintf(l.run, sizeof(l.run), "%s", run);
	gethostname(l.host, sizeof(l.host) - 1);
	if (plan_lock_format(&l, value, sizeof(value)) < 0)
		return snprintf(err, errlen, "the lock cannot be written"), -1;
	return glance_set_property(g, lock_id, PLAN_LOCK, value, err, errlen);
}
