/* record: the decision record, one JSON object that is the same in
 * `check --format json`, the decision log and the proxy's error bodies.
 * Written with jsonw: every user string is escaped and kept valid UTF-8,
 * so no name can break a line, and no tree is built per record. */
#ifndef SCS_RECORD_H
#define SCS_RECORD_H

#include <stddef.h>

#include "core/decide.h"

struct record_ctx {
	const char *source;         /* check | proxy | import | audit */
	const char *request_id, *method, *path;
	const struct caller *who;
	const struct policy *policy;
	long latency_us;
	const char *decision_id;    /* NULL: a new one */
	const char *error;          /* why a decision could not be made on the facts, or NULL */
	const char *const *roles;   /* the caller's roles, when known (import plugin) */
	size_t n_roles;
	const char *import_method;  /* an import's method, and a web-download's URI */
	const char *uri;
	const char *client;         /* the proxy's client address (after a trusted front), or NULL */
	const char *user_agent;     /* its User-Agent, or NULL */
	const struct origin_expect *origin;     /* origin verification (origins.h), NULL: none */
	const char *origin_actual;              /* the data's digest (hex), NULL: not known */
	const char *origin_record;              /* the verification record (proof.h) it earned, or NULL */
};

struct recorder;

struct recorder *recorder_new(void);
/* Render one record as a line ending in '\n'; valid until the next call. */
int recorder_render(struct recorder *rec, const struct record_ctx *c, const struct image *img,
		    const struct decision *d, const char **line, size_t *len);
void recorder_free(struct recorder *rec);

#endif
