/* sync: one catalog entry kept current; see sync.h. The order of the
 * writes is what makes a kill at any point safe: the new image stays
 * private and hidden until it is verified, recorded and decided; the old
 * one is put aside only then, and the new one published last. A later run
 * finds what a killed one left by the marker on it: an image that was
 * ready is published, any other is deleted. */
#include "io/sync.h"
#include "core/diskfmt.h"
#include "core/plan.h"
#include "core/proof.h"
#include "core/util.h"
#include "io/sync_glance.h"
#include "io/sync_source.h"
#include "io/transfer.h"
#include "io/verify.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What one entry's run is working with. */
struct job {
	struct sync_run *s;
	const struct catalog_entry *e;
	struct build b;
	struct origin_expect listed;
	struct sync_image *im;          /* the images of the entry's name */
	size_t n;
	const struct sync_image *current;       /* the one users see now, or NULL */
	const struct sync_image *ready;         /* a verified leftover of this build, or NULL */
	char id[65];                    /* the new image */
	int min_disk;
	long long t0, renewed;
};

static void say(struct sync_run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sync_run *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(s->out, fmt, ap);
	va_end(ap);
	fputc('\n', s->out);
	fflush(s->out);
}

/* One record in the decision log per action (method: the action; path:
 * the image it was done to). */
static void record(struct job *j, const char *action, const char *id, enum action decision, const char *error)
{
	struct sync_run *s = j->s;
	struct caller who = { .project_id = s->project_id, .user_id = s->user_id };
	struct image img = { .id = id, .name = j->e->name, .visibility = j->e->visibility,
			     .image_source = j->b.image_source };
	struct decision d = { .mode = s->p->mode, .action = decision };
	char path[128];
	const char *line;
	size_t len;

	if (!s->log)
		return;
	snprintf(path, sizeof(path), "/v2/images/%s", id ? id : "");
	struct record_ctx c = { .source = "sync", .method = action, .path = id ? path : NULL, .who = &who,
				.policy = s->p, .error = error, .origin = j->listed.list_url[0] ? &j->listed : NULL,
				.origin_actual = decision == ACTION_ALLOW && j->b.digest[0] ? j->b.digest : NULL };
	img.source_len = img.image_source ? strlen(img.image_source) : 0;
	img.name_len = strlen(img.name);
	char err[1024] = "the record could not be rendered";
	if (recorder_render(s->rec, &c, &img, &d, &line, &len) < 0 || dlog_write(s->log, line, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "scs-image-hook: the decision record of %s %s is lost: %s\n", action, id ? id : "", err);
		s->log_lost = 1;
	}
}

/* Does the image's record say it is this build's file? */
static int holds_build(const struct sync_image *im, const struct build *b)
{
	struct image img = { 0 };
	struct proof p;
	char err[256];
	int ok = image_parse(&img, im->json, strlen(im->json), err, sizeof(err)) == 0 &&
		 proof_of(&img, &p, err, sizeof(err)) == 1 && !proof_mismatch(&p, &img, img.image_source) &&
		 img.image_source && !strcmp(img.image_source, b->image_source) && !strcmp(p.digest, b->digest);

	image_release(&img);
	return ok;
}

static const char *date_of(const struct sync_image *im)
{
	return im->build_date ? im->build_date : im->created_at ? im->created_at : "";
}

/* Which of the images of the name users see, and which a run left. */
static void survey(struct job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		const struct sync_image *im = &j->im[i];
		if (im->has_marker && im->marker.state != PLAN_PUBLISHED) {
			if (im->marker.state == PLAN_READY && !strcmp(im->marker.build, j->b.serial) &&
			    holds_build(im, &j->b))
				j->ready = im;
			continue;
		}
		if (!im->hidden && im->status && !strcmp(im->status, "active") &&
		    (!j->current || strcmp(date_of(im), date_of(j->current)) > 0))
			j->current = im;
	}
}

/* The build is what users already get, or older: 1 (why says), else 0. */
static int nothing_new(struct job *j, int *older, char *why, size_t len)
{
	const struct sync_image *c = j->current;

	*older = 0;
	if (!c)
		return 0;
	if (holds_build(c, &j->b))
		return snprintf(why, len, "%s is up to date: build %s (%s)", j->e->name, j->b.serial, c->id), 1;
	if ((c->has_marker && builds_serial_cmp(j->b.serial, c->marker.build) < 0) ||
	    (!c->has_marker && c->build_date && j->b.build_date[0] && strcmp(j->b.build_date, c->build_date) < 0)) {
		*older = 1;
		return snprintf(why, len, "%s: the vendor's newest build %s is older than the one published (%s, %s): "
				"a stale or replayed stream; nothing changed", j->e->name, j->b.serial,
				c->has_marker ? c->marker.build : c->build_date, c->id), 1;
	}
	return 0;
}

static void plan_lines(struct job *j)
{
	struct sync_run *s = j->s;
	char aside[512];

	for (size_t i = 0; i < j->n; i++)
		if (j->im[i].has_marker && j->im[i].marker.state != PLAN_PUBLISHED && &j->im[i] != j->ready)
			say(s, "  delete %s (left unfinished by an earlier run, build %s, %s)", j->im[i].id,
			    j->im[i].marker.build, plan_state_name(j->im[i].marker.state));
	if (j->ready)
		say(s, "  finish %s (build %s, verified by an earlier run)", j->ready->id, j->b.serial);
	else
		say(s, "  create '%s' private and hidden from %s (build %s, %s %s), verify it as it streams",
		    j->e->name, j->b.image_source, j->b.serial, sums_algo_name(j->b.algo), j->b.digest);
	if (j->current) {
		plan_previous_name(j->e->name, date_of(j->current), aside, sizeof(aside));
		switch (s->p->catalog->previous) {
		case PREVIOUS_RENAME_AND_HIDE: say(s, "  rename %s to '%s' and hide it", j->current->id, aside); break;
		case PREVIOUS_HIDE: say(s, "  hide %s", j->current->id); break;
		case PREVIOUS_KEEP: say(s, "  rename %s to '%s' (kept visible)", j->current->id, aside); break;
		}
	}
	say(s, "  publish '%s' as %s", j->e->name, visibility_name(j->e->visibility));
}

/* Leftovers of killed runs: gone, but for a ready one of this build. */
static int clean_up(struct job *j, char *why, size_t len)
{
	char err[1024];

	for (size_t i = 0; i < j->n; i++) {
		const struct sync_image *im = &j->im[i];
		if (!im->has_marker || im->marker.state == PLAN_PUBLISHED || im == j->ready)
			continue;
		if (glance_delete(j->s->g, im->id, err, sizeof(err)) < 0)
			return snprintf(why, len, "%s: cannot delete what an earlier run left (%s): %s", j->e->name, im->id,
					err), -1;
		say(j->s, "  deleted %s (left unfinished by an earlier run)", im->id);
		record(j, "delete", im->id, ACTION_ALLOW, "left unfinished by an earlier run");
	}
	return 0;
}

static void progress(unsigned long long done, long long total, void *ctx)
{
	struct job *j = ctx;
	struct sync_run *s = j->s;
	double secs = (double)(mono_us() - j->t0) / 1e6, rate = secs > 0 ? (double)done / secs : 0;
	char err[256];

	if (s->tty && total > 0)
		fprintf(s->out, "\r  %llu/%lld MiB  %.0f MiB/s  %.0f s left   ", done >> 20, total >> 20, rate / 1048576,
			rate > 0 ? (double)(total - (long long)done) / rate : 0);
	else if (!s->tty && (done >> 26) != ((done - (4ull << 20)) >> 26))
		fprintf(s->out, "  %llu MiB read, %.0f MiB/s\n", done >> 20, rate / 1048576);
	fflush(s->out);
	long long now = (long long)time(NULL);
	if (now - j->renewed > 120 && s->lock_id[0] && sync_glance_renew(s->g, s->lock_id, s->run, now, err,
									   sizeof(err)) == 0)
		j->renewed = now;
}

/* The image made private and hidden, with all its metadata and its
 * marker: with image_source set before the first byte, a proxy in front
 * verifies the upload as it streams, as it does every upload. */
static int create(struct job *j, const char *format, char *why, size_t len)
{
	struct plan_marker m = { .state = PLAN_UPLOADING };
	char marker[256], err[1024];

	snprintf(m.build, sizeof(m.build), "%s", j->b.serial);
	snprintf(m.run, sizeof(m.run), "%s", j->s->run);
	if (plan_marker_format(&m, marker, sizeof(marker)) < 0)
		return snprintf(why, len, "the build id '%s' cannot be written into a marker", j->b.serial), -1;
	char *build = plan_build_properties(&j->b, j->min_disk);
	json_t *o = json_loads(build, 0, NULL);
	free(build);
	for (size_t i = 0; i < j->e->n_props; i++)
		json_object_set_new(o, j->e->keys[i], plan_value(j->e->keys[i], j->e->values[i]));
	json_t *fixed = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "name", j->e->name, "disk_format", format,
				  "container_format", "bare", "visibility", "private", "os_hidden", 1, PLAN_MARKER, marker);
	json_object_update(o, fixed);
	json_decref(fixed);
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	int rc = body ? glance_create(j->s->g, body, j->id, sizeof(j->id), err, sizeof(err)) : -1;
	free(body);
	if (rc < 0)
		return snprintf(why, len, "%s: cannot create the image: %s", j->e->name, err), -1;
	record(j, "create", j->id, ACTION_ALLOW, NULL);
	return 0;
}

/* The vendor's first bytes: the disk format and, for qcow2, min_disk. */
static int sniff(struct job *j, const char *from, const char **format, char *why, size_t len)
{
	unsigned char head[DISKFMT_HEAD];
	struct diskfmt f;
	size_t got;
	char err[1024];

	if (transfer_head(j->s->vendor_http, from, head, sizeof(head), &got, err, sizeof(err)) < 0)
		return snprintf(why, len, "%s: cannot read %s: %s", j->e->name, from, err), -2;
	if (diskfmt_sniff(head, got, &f) < 0)
		return snprintf(why, len, "%s: %s starts as qcow2 but its header is not one", j->e->name, from), -1;
	if (f.backing)
		return snprintf(why, len, "%s: %s is a qcow2 image with a backing file; no vendor image has one",
				j->e->name, from), -1;
	*format = f.format;
	j->min_disk = f.virtual_size ? diskfmt_gib(f.virtual_size) : j->b.size > 0 ? diskfmt_gib((unsigned long long)
												j->b.size) : 0;
	return 0;
}

/* The bytes, verified as they stream; what is not the vendor's is gone. */
static int upload(struct job *j, const char *from, char *why, size_t len)
{
	struct transfer_result res;
	struct transfer_req r = { .from = from, .glance = j->s->g->root, .token = j->s->g->token, .image_id = j->id,
				  .algo = j->b.algo, .expected = j->b.digest, .size = j->b.size,
				  .http = j->s->vendor_http, .progress = progress, .ctx = j };
	char err[512];

	j->t0 = mono_us();
	j->renewed = (long long)time(NULL);
	int rc = transfer_run(&r, &res);
	if (j->s->tty)
		fputc('\n', j->s->out);
	if (rc == 0 && res.matched) {
		double secs = (double)(mono_us() - j->t0) / 1e6;
		say(j->s, "  %llu bytes verified (%s %s) into %s in %.1f s (%.0f MiB/s)", res.bytes,
		    sums_algo_name(j->b.algo), res.actual, j->id, secs, secs > 0 ? (double)res.bytes / secs / 1048576 : 0);
		record(j, "upload", j->id, ACTION_ALLOW, NULL);
		return 0;
	}
	snprintf(why, len, "%s: %s", j->e->name, res.why);
	record(j, "upload", j->id, ACTION_DENY, res.why);
	glance_delete(j->s->g, j->id, err, sizeof(err));
	return rc == 0 ? -1 : -2;
}

/* The image as Glance holds it now, parsed. */
static int fetch_image(struct job *j, json_t **doc, char *why, size_t len)
{
	struct http_resp resp = { 0 };
	char err[512];

	*doc = NULL;
	if (glance_get(j->s->g, j->id, &resp, err, sizeof(err)) == 0 && resp.status == 200)
		*doc = json_loadb(resp.body, resp.len, 0, NULL);
	http_resp_free(&resp);
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		return snprintf(why, len, "%s: cannot read image %s back from Glance", j->e->name, j->id), -1;
	}
	return 0;
}

/* The verification record (the proxy's, when the upload went through
 * one; else sync's), then the marker says ready. */
static int finish(struct job *j, char *why, size_t len)
{
	char marker[256], err[1024], *text;
	struct plan_marker m = { .state = PLAN_READY };
	int rc;

	json_t *doc;
	if (fetch_image(j, &doc, why, len) < 0)
		return -2;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	struct sync_image im = { .json = text };
	if (!holds_build(&im, &j->b)) {
		struct image img = { 0 };
		rc = image_parse(&img, text, strlen(text), err, sizeof(err)) < 0 ? -1 :
		     verify_record(j->s->g, &img, &j->listed, j->s->now, err, sizeof(err));
		image_release(&img);
		if (rc < 0) {
			free(text);
			return snprintf(why, len, "%s: the verification record could not be written: %s", j->e->name,
					err), -2;
		}
	}
	free(text);
	record(j, "record", j->id, ACTION_ALLOW, NULL);
	snprintf(m.build, sizeof(m.build), "%s", j->b.serial);
	snprintf(m.run, sizeof(m.run), "%s", j->s->run);
	plan_marker_format(&m, marker, sizeof(marker));
	if (glance_set_property(j->s->g, j->id, PLAN_MARKER, marker, err, sizeof(err)) < 0)
		return snprintf(why, len, "%s: cannot mark image %s ready: %s", j->e->name, j->id, err), -2;
	return 0;
}

/* The finished image, as it will be published, asked of the policy. */
static int decided(struct job *j, char *why, size_t len)
{
	struct caller who = { .project_id = j->s->project_id };
	struct image img = { 0 };
	struct decision d;
	char err[512], msg[1024];
	json_t *doc;

	if (fetch_image(j, &doc, why, len) < 0)
		return -2;
	json_object_set_new(doc, "visibility", json_string(visibility_name(j->e->visibility)));
	json_object_set_new(doc, "os_hidden", json_false());
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	int rc = image_parse(&img, text, strlen(text), err, sizeof(err));
	free(text);
	if (rc == 0) {
		decide(j->s->p, &img, &who, j->s->today, &d);
		decide_origin(j->s->p, &img, &who, j->s->today, &j->listed, j->b.digest, &d);
	}
	image_release(&img);
	if (rc < 0)
		return snprintf(why, len, "%s: Glance's image %s cannot be read: %s", j->e->name, j->id, err), -2;
	if (d.action != ACTION_DENY)
		return 0;
	for (size_t i = 0; i < d.n; i++)
		if (!d.v[i].exempted && !d.v[i].advisory) {
			violation_message(&d.v[i], msg, sizeof(msg));
			snprintf(why, len, "%s: the policy refuses the finished image: %s (%s)", j->e->name, msg, d.v[i].rule);
			break;
		}
	record(j, "decide", j->id, ACTION_DENY, why);
	glance_delete(j->s->g, j->id, err, sizeof(err));
	return -1;
}

/* The image users saw put aside as `previous` says, then the new one published. */
static int publish(struct job *j, char *why, size_t len)
{
	struct sync_run *s = j->s;
	char aside[512], err[1024], marker[256];
	struct plan_marker m = { .state = PLAN_PUBLISHED };

	if (j->current) {
		enum catalog_previous pv = s->p->catalog->previous;
		plan_previous_name(j->e->name, date_of(j->current), aside, sizeof(aside));
		json_t *o = json_object();
		if (pv != PREVIOUS_HIDE)
			json_object_set_new(o, "name", json_string(aside));
		if (pv != PREVIOUS_KEEP)
			json_object_set_new(o, "os_hidden", json_true());
		char *text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		int rc = sync_glance_set(s->g, j->current->id, text, err, sizeof(err));
		free(text);
		if (rc < 0)
			return snprintf(why, len, "%s: cannot put the previous image %s aside: %s", j->e->name,
					j->current->id, err), -2;
		say(s, "  %s %s%s%s", pv == PREVIOUS_HIDE ? "hid" : "renamed", j->current->id, pv == PREVIOUS_HIDE ? "" :
		    " to ", pv == PREVIOUS_HIDE ? "" : aside);
		record(j, pv == PREVIOUS_HIDE ? "hide" : "rename", j->current->id, ACTION_ALLOW, NULL);
	}
	snprintf(m.build, sizeof(m.build), "%s", j->b.serial);
	snprintf(m.run, sizeof(m.run), "%s", s->run);
	plan_marker_format(&m, marker, sizeof(marker));
	json_t *o = json_pack("{s:s, s:b, s:s}", "visibility", visibility_name(j->e->visibility), "os_hidden", 0,
			      PLAN_MARKER, marker);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	int rc = sync_glance_set(s->g, j->id, text, err, sizeof(err));
	free(text);
	if (rc < 0)
		return snprintf(why, len, "%s: cannot publish %s: %s", j->e->name, j->id, err), -2;
	record(j, "publish", j->id, ACTION_ALLOW, NULL);
	return 0;
}

static int lock(struct job *j, char *why, size_t len)
{
	struct sync_run *s = j->s;
	char held_by[37], err[1024];

	if (s->lock_id[0])
		return 0;
	int rc = sync_glance_lock(s->g, s->project_id, s->run, s->now, s->lock_id, held_by, err, sizeof(err));
	if (rc < 0)
		return snprintf(why, len, "cannot take the sync lock: %s", err), -2;
	if (rc == 0)
		return snprintf(why, len, "another sync (run %s) holds the lock of this cloud: nothing done",
				held_by[0] ? held_by : "unknown"), -3;
	return 0;
}

static enum sync_outcome outcome(int rc)
{
	return rc == -3 ? SYNC_BUSY : rc == -1 ? SYNC_REFUSED : SYNC_FAILED;
}

/* Everything that writes, in its order. */
static enum sync_outcome write_steps(struct job *j, char *why, size_t len)
{
	const char *format = "raw";
	int rc;

	if ((rc = lock(j, why, len)) < 0 || (rc = clean_up(j, why, len)) < 0)
		return outcome(rc);
	if (j->ready) {
		snprintf(j->id, sizeof(j->id), "%s", j->ready->id);
	} else {
		char *from = origin_fetch_url(&j->s->p->origin, j->b.image_source);
		rc = sniff(j, from, &format, why, len);
		if (rc == 0 && (rc = create(j, format, why, len)) == 0 && (rc = upload(j, from, why, len)) == 0)
			rc = finish(j, why, len);
		free(from);
		if (rc < 0)
			return outcome(rc);
	}
	if ((rc = decided(j, why, len)) < 0 || (rc = publish(j, why, len)) < 0)
		return outcome(rc);
	snprintf(why, len, "%s: published build %s as %s (%s)", j->e->name, j->b.serial, j->id,
		 visibility_name(j->e->visibility));
	return SYNC_PUBLISHED;
}

enum sync_outcome sync_entry(struct sync_run *s, const struct catalog_entry *e, char *why, size_t len)
{
	struct job j = { .s = s, .e = e };
	char err[1024];
	int refused, older;
	enum sync_outcome out;

	if (sync_source_newest(s, e, &j.b, &j.listed, &refused, why, len) < 0) {
		record(&j, "resolve", NULL, ACTION_DENY, why);
		return refused ? SYNC_REFUSED : SYNC_FAILED;
	}
	if (sync_glance_named(s->g, e->name, s->project_id, &j.im, &j.n, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s: cannot list its images: %s", e->name, err);
		out = SYNC_FAILED;
	} else {
		survey(&j);
		if (nothing_new(&j, &older, why, len)) {
			out = older ? SYNC_REFUSED : SYNC_UP_TO_DATE;
			if (older)
				record(&j, "resolve", j.current->id, ACTION_DENY, why);
		} else if (s->dry_run) {
			say(s, "%s: build %s is new; the plan:", e->name, j.b.serial);
			plan_lines(&j);
			snprintf(why, len, "%s: dry run, nothing changed", e->name);
			out = SYNC_PLANNED;
		} else {
			say(s, "%s: publishing build %s", e->name, j.b.serial);
			out = write_steps(&j, why, len);
		}
	}
	sync_glance_free(j.im, j.n);
	build_free(&j.b);
	return out;
}

void sync_end(struct sync_run *s)
{
	char err[512];

	if (s->lock_id[0] && sync_glance_unlock(s->g, s->lock_id, err, sizeof(err)) < 0)
		fprintf(stderr, "scs-image-hook sync: the lock %s was not given back (it expires): %s\n", s->lock_id, err);
	s->lock_id[0] = '\0';
}
