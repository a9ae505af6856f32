/* vendor: fetch, verify, parse and cache vendors' checksum lists; see vendor.h. */
#include "io/vendor.h"
#include "io/http.h"
#include "core/cleartext.h"
#include "core/dirindex.h"
#include "core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VENDOR_TIMEOUT_MS 10000L           /* timeouts.decision not set */
#define VENDOR_CONNECT_MS 5000L

/* What a fetch found out: the list (parsed), who signed it, where it was. */
struct found {
	struct sums sums;
	char signer[ORIGIN_FPR_LEN + 1];
	char list_url[1024];
};

/* One list as verified, or being fetched by one thread (the others wait). */
struct cached {
	char *key;                      /* cache_key(): NULL when the slot is free */
	int fetching;
	long long expires_us;
	struct found list;
};

struct vendor {
	struct origin_config cfg;       /* a copy: the policy it came from may be reloaded */
	struct pgp *keys;               /* NULL: no keyring, so no signed list verifies */
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct cached slot[VENDOR_MAX_LISTS];
	unsigned long fetches;
};

static void copy_config(struct origin_config *to, const struct origin_config *c)
{
	*to = *c;
	to->keyring = c->keyring ? xstrdup(c->keyring) : NULL;
	to->fetch = xcalloc(c->n_fetch ? c->n_fetch : 1, sizeof(*to->fetch));
	for (size_t i = 0; i < c->n_fetch; i++) {
		to->fetch[i].from = xstrdup(c->fetch[i].from);
		to->fetch[i].to = xstrdup(c->fetch[i].to);
	}
}

struct vendor *vendor_new(const struct origin_config *c, char *err, size_t errlen)
{
	struct vendor *v = xcalloc(1, sizeof(*v));
	struct http_client once;

	copy_config(&v->cfg, c);
	if (c->keyring && !(v->keys = pgp_load(c->keyring, err, errlen))) {
		vendor_free(v);
		return NULL;
	}
	/* libcurl's global setup is not thread-safe: do it here, before the
	 * threads that fetch lists exist. */
	if (http_init(&once, 1, NULL, err, errlen) < 0) {
		vendor_free(v);
		return NULL;
	}
	http_cleanup(&once);
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->done, NULL);
	return v;
}

static void drop(struct cached *s)
{
	free(s->key);
	sums_free(&s->list.sums);
	memset(s, 0, sizeof(*s));
}

void vendor_free(struct vendor *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < VENDOR_MAX_LISTS; i++)
		drop(&v->slot[i]);
	pgp_free(v->keys);
	origin_config_free(&v->cfg);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->done);
	free(v);
}

unsigned long vendor_fetches(const struct vendor *v)
{
	return v->fetches;
}

static void say(struct origin_expect *out, enum origin_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct origin_expect *out, enum origin_status st, const char *fmt, ...)
{
	va_list ap;

	out->status = st;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

/* ---- fetching ----------------------------------------------------------- */

#define VENDOR_REDIRECTS 5L

/* GET a vendor's file (at most max bytes), through origin.fetch. 0 with the
 * body, 1 when the server says it is not there (404, 410), -1 otherwise;
 * why names the vendor's URL and, when mapped, where it was fetched.
 * Redirects are followed only where follow says so (a signed list: its
 * signature vouches for it wherever it came from), never from https to
 * http; an unsigned list is taken from the vendor's host, or the
 * operator's mirror, alone. */
static int get(const struct vendor *v, const char *url, size_t max, int follow, struct http_resp *resp, char *why,
	       size_t whylen)
{
	struct http_client c;
	char *at = origin_fetch_url(&v->cfg, url), via[1200] = "", err[1024];
	long timeout = v->cfg.timeout_ms > 0 ? v->cfg.timeout_ms : VENDOR_TIMEOUT_MS;
	int rc = -1;

	if (strcmp(at, url))
		snprintf(via, sizeof(via), " (fetched from %s)", at);
	memset(resp, 0, sizeof(*resp));
	if (http_init(&c, 1, NULL, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s%s: %s", url, via, err);
		free(at);
		return -1;
	}
	c.max_body = max + 1;           /* http.c keeps room for a NUL */
	c.timeout_ms = timeout;
	c.connect_timeout_ms = timeout < VENDOR_CONNECT_MS ? timeout : VENDOR_CONNECT_MS;
	c.max_redirects = follow ? VENDOR_REDIRECTS : 0;
	struct http_req req = { .url = at };
	if (http_do(&c, &req, resp, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s%s: %s", url, via, err);
	} else if (resp->status / 100 == 3 && !follow) {
		snprintf(why, whylen, "%s%s: HTTP %ld, a redirect to %s, not followed: the list is unsigned, so only "
			 "the vendor's host (or origin.fetch's mirror) is trusted for it", url, via, resp->status,
			 resp->url[0] ? resp->url : "nowhere");
		http_resp_free(resp);
	} else if (resp->status != 200) {
		rc = resp->status == 404 || resp->status == 410 ? 1 : -1;
		snprintf(why, whylen, "%s%s: HTTP %ld", url, via, resp->status);
		http_resp_free(resp);
	} else {
		rc = 0;
	}
	http_cleanup(&c);
	free(at);
	return rc;
}

/* A pattern's list: the one name the directory's index picks. */
static int find_list(struct vendor *v, struct origin_ref *ref, struct origin_expect *out)
{
	const struct origin *o = ref->origin;
	struct http_resp page;
	char why[1536], name[256];

	if (get(v, ref->dir, DIRINDEX_MAX_BYTES, o->signed_as != ORIGIN_UNSIGNED, &page, why, sizeof(why)) != 0) {
		say(out, ORIGIN_UNAVAILABLE, "cannot read the directory's index for the list '%s': %s", o->checksums, why);
		return -1;
	}
	int n = dirindex_pick(page.body, page.len, o->checksums, name, why, sizeof(why));
	http_resp_free(&page);
	if (n == 0)
		say(out, ORIGIN_UNAVAILABLE, "the directory's index %s names no list matching '%s'", ref->dir,
		    o->checksums);
	else if (n < 0)
		say(out, ORIGIN_INVALID, "%s (%s): the origin's pattern must pick one list", why, ref->dir);
	else
		origin_ref_list(ref, name);
	return n == 1 ? 0 : -1;
}

/* A cleartext-signed message (the whole of msg, nothing outside it)
 * verified by one of keys: 0 with *text, the signed text librnp hands
 * back (the only text to parse; the caller frees it), or -1 with out. */
static int clearsigned(struct vendor *v, const char *url, const struct http_resp *msg, size_t max,
		       const char (*keys)[PGP_FPR_LEN + 1], size_t n_keys, char signer[ORIGIN_FPR_LEN + 1], char **text,
		       size_t *len, struct origin_expect *out)
{
	char why[1536];
	enum cleartext_frame f = cleartext_frame(msg->body, msg->len, why, sizeof(why));

	if (f != CLEARTEXT_ONE) {
		say(out, f == CLEARTEXT_NONE ? ORIGIN_SIGNATURE : ORIGIN_INVALID, "the vendor's %s is to be clearsigned, "
		    "but it is %s", url, why);
		return -1;
	}
	if (pgp_verify_clearsigned(v->keys, msg->body, msg->len, max, keys, n_keys, signer, text, len, why,
				   sizeof(why)) != PGP_OK) {
		say(out, ORIGIN_SIGNATURE, "the clearsigned %s does not verify: %s", url, why);
		return -1;
	}
	return 0;
}

/* The list's signature checked as the origin says; *text, *len: the text
 * it covers (the list itself, or a clearsigned list's signed text, then
 * *owned to free). */
static int check_signature(struct vendor *v, const struct origin_ref *ref, const struct http_resp *list,
			   char signer[ORIGIN_FPR_LEN + 1], const char **text, size_t *len, char **owned,
			   struct origin_expect *out)
{
	const struct origin *o = ref->origin;
	const char (*keys)[PGP_FPR_LEN + 1] = (const char (*)[PGP_FPR_LEN + 1])o->keys;
	struct http_resp sig;
	char why[1536];
	int rc;

	*text = list->body;
	*len = list->len;
	*owned = NULL;
	if (o->signed_as == ORIGIN_UNSIGNED) {
		snprintf(signer, ORIGIN_FPR_LEN + 1, "unsigned");
		return 0;
	}
	if (!v->keys) {
		say(out, ORIGIN_SIGNATURE, "the list %s is signed but origin.keyring is not set, so its signature "
		    "cannot be checked", ref->list_url);
		return -1;
	}
	if (o->signed_as == ORIGIN_CLEARSIGNED) {
		if (clearsigned(v, ref->list_url, list, SUMS_MAX_BYTES, keys, o->n_keys, signer, owned, len, out) < 0)
			return -1;
		*text = *owned;
		return 0;
	}
	if ((rc = get(v, ref->sig_url, VENDOR_MAX_SIG, 1, &sig, why, sizeof(why))) != 0) {
		say(out, rc > 0 ? ORIGIN_SIGNATURE : ORIGIN_UNAVAILABLE, "%s: %s",
		    rc > 0 ? "the vendor's list has no signature" : "cannot fetch the list's signature", why);
		return -1;
	}
	rc = pgp_verify(v->keys, list->body, list->len, sig.body, sig.len, keys, o->n_keys, signer, why, sizeof(why));
	http_resp_free(&sig);
	if (rc != PGP_OK) {
		say(out, ORIGIN_SIGNATURE, "the signature %s over the list does not hold: %s", ref->sig_url, why);
		return -1;
	}
	return 0;
}

/* The list of ref found (a pattern's through the directory's index),
 * fetched, its signature checked as the origin says, and parsed in the
 * origin's format, into f; otherwise out says why. */
static int fetch_list(struct vendor *v, const struct origin_ref *given, struct found *f, struct origin_expect *out)
{
	struct origin_ref ref = *given;
	struct http_resp list;
	const char *text;
	char *owned = NULL, why[1536];
	size_t len;
	int rc = -1, follow = given->origin->signed_as != ORIGIN_UNSIGNED;

	ref.list_url = ref.sig_url = NULL;      /* this copy's own, from the given or the index */
	if (given->list_url)
		origin_ref_list(&ref, given->list_url + strlen(given->dir));
	else if (find_list(v, &ref, out) < 0)
		goto out;
	snprintf(f->list_url, sizeof(f->list_url), "%s", ref.list_url);
	snprintf(out->list_url, sizeof(out->list_url), "%s", ref.list_url);
	/* a clearsigned list is its text and the armored signature around it */
	size_t max = SUMS_MAX_BYTES + (ref.origin->signed_as == ORIGIN_CLEARSIGNED ? VENDOR_MAX_SIG : 0);
	if (get(v, ref.list_url, max, follow, &list, why, sizeof(why)) != 0) {
		say(out, ORIGIN_UNAVAILABLE, "cannot fetch the vendor's checksum list: %s", why);
		goto out;
	}
	if (check_signature(v, &ref, &list, f->signer, &text, &len, &owned, out) == 0) {
		if (sums_parse(&f->sums, &ref.origin->format, ref.list_url, text, len, why, sizeof(why)) < 0)
			say(out, ORIGIN_INVALID, "the vendor's list is not a %s list of %s lines%s: %s",
			    sums_algo_name(ref.origin->format.algo), sums_lines_name(ref.origin->format.lines),
			    ref.origin->format.comments ? " and '#' comments" : "", why);
		else
			rc = 0;
	}
	free(owned);
	http_resp_free(&list);
out:
	free(ref.list_url);
	free(ref.sig_url);
	return rc;
}

/* ---- the cache ---------------------------------------------------------- */

/* What makes a verified list the same: where it is (a pattern's, by the
 * directory and the pattern), how it is signed, its format, and whose
 * signatures count (a reloaded policy may change any of them). */
static char *cache_key(const struct origin_ref *ref)
{
	const struct origin *o = ref->origin;
	size_t n = strlen(ref->dir) + strlen(o->checksums) + (ref->list_url ? strlen(ref->list_url) : 0) +
		   (o->signature ? strlen(o->signature) : 0) + o->n_keys * 41 + 32;
	char *k = xcalloc(n, 1);
	int at = snprintf(k, n, "%s\n%s\n%s\n%d %s\n%d %d %d\n", ref->dir, o->checksums,
			  ref->list_url ? ref->list_url : "", (int)o->signed_as, o->signature ? o->signature : "",
			  (int)o->format.algo, (int)o->format.lines, o->format.comments);

	for (size_t i = 0; i < o->n_keys; i++)
		at += snprintf(k + at, n - (size_t)at, "%s,", o->keys[i]);
	return k;
}

static struct cached *find(struct vendor *v, const char *key)
{
	for (size_t i = 0; i < VENDOR_MAX_LISTS; i++)
		if (v->slot[i].key && !strcmp(v->slot[i].key, key))
			return &v->slot[i];
	return NULL;
}

/* A slot for key: a free one, or the one expiring first that nobody
 * fetches. NULL when all are being fetched (then the list is not kept). */
static struct cached *claim(struct vendor *v, char *key)
{
	struct cached *best = NULL;

	for (size_t i = 0; i < VENDOR_MAX_LISTS; i++) {
		struct cached *s = &v->slot[i];
		if (!s->key) {
			best = s;
			break;
		}
		if (!s->fetching && (!best || s->expires_us < best->expires_us))
			best = s;
	}
	if (!best)
		return NULL;
	drop(best);
	best->key = key;
	best->fetching = 1;
	return best;
}

static void answer(const struct found *f, const struct origin_ref *ref, struct origin_expect *out)
{
	const struct sums_entry *e = sums_find(&f->sums, ref->file);

	snprintf(out->signer, sizeof(out->signer), "%s", f->signer);
	snprintf(out->list_url, sizeof(out->list_url), "%s", f->list_url);
	if (e) {
		out->status = ORIGIN_LISTED;
		snprintf(out->expected, sizeof(out->expected), "%s", e->hex);
	} else if (ref->origin->where == ORIGIN_AT_FILE && f->sums.n == 1) {
		/* a per-image list for an alias names the build it stands for */
		say(out, ORIGIN_UNLISTED, "the vendor's list %s is for '%s' only: name that file in image_source",
		    f->list_url, f->sums.e[0].name);
	} else {
		say(out, ORIGIN_UNLISTED, "the vendor's list %s has no entry for '%s'", f->list_url, ref->file);
	}
}

/* What is known before anything is fetched: the names, the URL's
 * stability, and a refusal under origin.signed_only. 1 when that is all. */
static int prepare(const struct vendor *v, const struct origin_ref *ref, struct origin_expect *out)
{
	const struct origin *o = ref->origin;

	memset(out, 0, sizeof(*out));
	out->algo = o->format.algo;
	snprintf(out->list_url, sizeof(out->list_url), "%s%s", ref->list_url ? "" : ref->dir,
		 ref->list_url ? ref->list_url : o->checksums);
	snprintf(out->file, sizeof(out->file), "%s", ref->file);
	snprintf(out->moving, sizeof(out->moving), "%s", ref->moving ? ref->moving : "");
	out->signed_only = v->cfg.signed_only;
	if (!v->cfg.signed_only || o->signed_as != ORIGIN_UNSIGNED)
		return 0;
	snprintf(out->signer, sizeof(out->signer), "unsigned");
	say(out, ORIGIN_SIGNATURE, "the vendor signs no list under '%s', and origin.signed_only refuses what no "
	    "signature vouches for", o->prefix);
	return 1;
}

/* The verified list as a whole (a copy): the list's own signer and URL. */
static void hand_over(const struct found *f, struct sums *list, struct origin_expect *out)
{
	sums_copy(list, &f->sums);
	out->status = ORIGIN_LISTED;
	snprintf(out->signer, sizeof(out->signer), "%s", f->signer);
	snprintf(out->list_url, sizeof(out->list_url), "%s", f->list_url);
}

/* The verified list of ref, from the cache or fetched once: the answer
 * for ref's file, or (list set) a copy of the whole list. */
static void consult(struct vendor *v, const struct origin_ref *ref, struct origin_expect *out, struct sums *list)
{
	char *key = cache_key(ref);
	struct cached *c;
	struct found f = { 0 };

	if (prepare(v, ref, out)) {
		free(key);
		return;
	}
	pthread_mutex_lock(&v->lock);
	while ((c = find(v, key)) && c->fetching)
		pthread_cond_wait(&v->done, &v->lock);
	if (c && mono_us() < c->expires_us) {
		list ? hand_over(&c->list, list, out) : answer(&c->list, ref, out);
		pthread_mutex_unlock(&v->lock);
		free(key);
		return;
	}
	if (c)
		drop(c);        /* expired */
	c = claim(v, key);
	if (!c)
		free(key);      /* kept nowhere */
	v->fetches++;
	pthread_mutex_unlock(&v->lock);

	int rc = fetch_list(v, ref, &f, out);

	pthread_mutex_lock(&v->lock);
	if (rc == 0)
		list ? hand_over(&f, list, out) : answer(&f, ref, out);
	if (c && rc == 0) {
		long cache = v->cfg.cache_ms > 0 ? v->cfg.cache_ms : VENDOR_CACHE_MS;
		c->list = f;
		c->expires_us = mono_us() + cache * 1000;
		c->fetching = 0;
	} else {
		if (c)
			drop(c);        /* a failure is not kept: the next request asks again */
		sums_free(&f.sums);
	}
	pthread_cond_broadcast(&v->done);
	pthread_mutex_unlock(&v->lock);
}

void vendor_expect(struct vendor *v, const struct origin_ref *ref, struct origin_expect *out)
{
	consult(v, ref, out, NULL);
}

int vendor_dir_list(struct vendor *v, const struct origins *o, const char *dir, struct sums *list,
		    struct origin_expect *out)
{
	struct origin_ref ref;
	char err[512];
	int m = origins_match_dir(o, dir, &ref, err, sizeof(err));

	memset(list, 0, sizeof(*list));
	if (m <= 0) {
		memset(out, 0, sizeof(*out));
		if (m < 0)
			say(out, ORIGIN_INVALID, "%s", err);
		return m < 0;
	}
	consult(v, &ref, out, list);
	origin_ref_free(&ref);
	return 1;
}

int vendor_read_signed(struct vendor *v, const char *url, size_t max, const char (*keys)[ORIGIN_FPR_LEN + 1],
		       size_t n_keys, char **text, size_t *len, struct origin_expect *out)
{
	struct http_resp msg;
	char why[1536];

	memset(out, 0, sizeof(*out));
	*text = NULL;
	snprintf(out->list_url, sizeof(out->list_url), "%s", url);
	if (!v->keys)
		return say(out, ORIGIN_SIGNATURE, "%s is signed but origin.keyring is not set, so its signature cannot "
			   "be checked", url), -1;
	if (get(v, url, max + VENDOR_MAX_SIG, 1, &msg, why, sizeof(why)) != 0)
		return say(out, ORIGIN_UNAVAILABLE, "cannot fetch %s", why), -1;
	int rc = clearsigned(v, url, &msg, max, keys, n_keys, out->signer, text, len, out);
	http_resp_free(&msg);
	if (rc == 0)
		out->status = ORIGIN_LISTED;
	return rc;
}

int vendor_expect_source(struct vendor *v, const struct origins *o, const char *image_source, size_t len,
			 struct origin_expect *out)
{
	struct origin_ref ref;
	char err[512];
	int m = image_source ? origins_match(o, image_source, &ref, err, sizeof(err)) : 0;

	if (m == 1 && strlen(image_source) != len) {
		origin_ref_free(&ref);
		snprintf(err, sizeof(err), "image_source holds a NUL byte, so the vendor's list cannot vouch for it");
		m = -1;
	}
	if (m == 0)
		return 0;
	if (m < 0) {
		memset(out, 0, sizeof(*out));
		say(out, ORIGIN_UNLISTED, "%s", err);
		return 1;
	}
	vendor_expect(v, &ref, out);
	origin_ref_free(&ref);
	return 1;
}
