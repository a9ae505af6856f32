/* vendor: fetch, verify, parse and cache vendors' checksum lists; see vendor.h. */
#include "io/vendor.h"
#include "io/http.h"
#include "core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VENDOR_TIMEOUT_MS 10000L           /* timeouts.decision not set */
#define VENDOR_CONNECT_MS 5000L

/* One list as verified, or being fetched by one thread (the others wait). */
struct cached {
	char *key;                      /* list URL, signature URL and keys: NULL when the slot is free */
	int fetching;
	long long expires_us;
	struct sums sums;
	char signer[ORIGIN_FPR_LEN + 1];
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
	sums_free(&s->sums);
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

/* GET a vendor's file (at most max bytes), through origin.fetch. 0 with the
 * body, 1 when the server says it is not there (404, 410), -1 otherwise;
 * why names the vendor's URL and, when mapped, where it was fetched. */
static int get(const struct vendor *v, const char *url, size_t max, struct http_resp *resp, char *why,
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
	struct http_req req = { .url = at };
	if (http_do(&c, &req, resp, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s%s: %s", url, via, err);
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

/* The list of ref, its signature verified (when the origin signs) and
 * parsed, into s and signer; otherwise out says why. */
static int fetch_list(struct vendor *v, const struct origin_ref *ref, struct sums *s, char signer[ORIGIN_FPR_LEN + 1],
		      struct origin_expect *out)
{
	const struct origin *o = ref->origin;
	struct http_resp list, sig;
	char why[1536];
	int rc;

	if (get(v, ref->list_url, SUMS_MAX_BYTES, &list, why, sizeof(why)) != 0) {
		say(out, ORIGIN_UNAVAILABLE, "cannot fetch the vendor's checksum list: %s", why);
		return -1;
	}
	rc = -1;
	if (!ref->sig_url) {
		snprintf(signer, ORIGIN_FPR_LEN + 1, "unsigned");
		rc = 0;
	} else if ((rc = get(v, ref->sig_url, VENDOR_MAX_SIG, &sig, why, sizeof(why))) != 0) {
		say(out, rc > 0 ? ORIGIN_SIGNATURE : ORIGIN_UNAVAILABLE, "%s: %s",
		    rc > 0 ? "the vendor's list has no signature" : "cannot fetch the list's signature", why);
		rc = -1;
	} else {
		rc = -1;
		if (!v->keys)
			say(out, ORIGIN_SIGNATURE, "the list %s is signed but origin.keyring is not set, so its "
			    "signature cannot be checked", ref->list_url);
		else if (pgp_verify(v->keys, list.body, list.len, sig.body, sig.len,
				    (const char (*)[PGP_FPR_LEN + 1])o->keys, o->n_keys, signer, why,
				    sizeof(why)) != PGP_OK)
			say(out, ORIGIN_SIGNATURE, "the signature %s over the list does not hold: %s", ref->sig_url,
			    why);
		else
			rc = 0;
		http_resp_free(&sig);
	}
	if (rc == 0 && sums_parse(s, o->algo, ref->list_url, list.body, list.len, why, sizeof(why)) < 0) {
		say(out, ORIGIN_UNAVAILABLE, "the vendor's checksum list is not usable: %s", why);
		rc = -1;
	}
	http_resp_free(&list);
	return rc;
}

/* ---- the cache ---------------------------------------------------------- */

/* What makes a verified list the same: where it is, where its signature
 * is, and whose signatures count (a reloaded policy may change them). */
static char *cache_key(const struct origin_ref *ref)
{
	const struct origin *o = ref->origin;
	size_t n = strlen(ref->list_url) + (ref->sig_url ? strlen(ref->sig_url) : 0) + o->n_keys * 41 + 3;
	char *k = xcalloc(n, 1);
	int at = snprintf(k, n, "%s\n%s\n", ref->list_url, ref->sig_url ? ref->sig_url : "");

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

static void answer(const struct sums *s, const char *signer, const struct origin_ref *ref, struct origin_expect *out)
{
	const struct sums_entry *e = sums_find(s, ref->file);

	snprintf(out->signer, sizeof(out->signer), "%s", signer);
	if (!e) {
		say(out, ORIGIN_UNLISTED, "the vendor's list %s has no entry for '%s'", ref->list_url, ref->file);
		return;
	}
	out->status = ORIGIN_LISTED;
	snprintf(out->expected, sizeof(out->expected), "%s", e->hex);
}

void vendor_expect(struct vendor *v, const struct origin_ref *ref, struct origin_expect *out)
{
	char *key = cache_key(ref), signer[ORIGIN_FPR_LEN + 1] = "";
	struct cached *c;
	struct sums s = { 0 };

	memset(out, 0, sizeof(*out));
	out->algo = ref->origin->algo;
	snprintf(out->list_url, sizeof(out->list_url), "%s", ref->list_url);
	snprintf(out->file, sizeof(out->file), "%s", ref->file);
	pthread_mutex_lock(&v->lock);
	while ((c = find(v, key)) && c->fetching)
		pthread_cond_wait(&v->done, &v->lock);
	if (c && mono_us() < c->expires_us) {
		answer(&c->sums, c->signer, ref, out);
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

	int rc = fetch_list(v, ref, &s, signer, out);

	pthread_mutex_lock(&v->lock);
	if (rc == 0)
		answer(&s, signer, ref, out);
	if (c && rc == 0) {
		long cache = v->cfg.cache_ms > 0 ? v->cfg.cache_ms : VENDOR_CACHE_MS;
		c->sums = s;
		snprintf(c->signer, sizeof(c->signer), "%s", signer);
		c->expires_us = mono_us() + cache * 1000;
		c->fetching = 0;
	} else {
		if (c)
			drop(c);        /* a failure is not kept: the next request asks again */
		sums_free(&s);
	}
	pthread_cond_broadcast(&v->done);
	pthread_mutex_unlock(&v->lock);
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
