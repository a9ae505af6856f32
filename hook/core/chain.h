/* chain: the decision log's hash chain. Every record a log holds ends in
 * "seq" (1 + the previous record's) and "prev" (the SHA-256 of the
 * previous line, without its newline; null for a log's first record), so
 * a record deleted, changed or moved shows at the record after it. Pure:
 * log.c finds the previous line and writes; `log --verify` follows. */
#ifndef SCS_CHAIN_H
#define SCS_CHAIN_H

#include <stddef.h>

#include "core/logrec.h"

#define CHAIN_HEX 65            /* a SHA-256 in hex and its NUL */
#define CHAIN_SUFFIX_MAX 128

/* The SHA-256 of line[0..len) in lowercase hex. */
void chain_hash(const char *line, size_t len, char out[CHAIN_HEX]);

/* What ends a record in the log in place of its closing "}\n":
 * ,"seq":N,"prev":"HEX"}\n (prev NULL: null). Its length. */
size_t chain_suffix(unsigned long long seq, const char *prev, char out[CHAIN_SUFFIX_MAX]);

/* The seq a record following prev_line has: 1 + its seq, or 1 when the
 * line has none (the first chained record after older ones). */
unsigned long long chain_next_seq(const struct logrec *prev_line);

/* Following a log line after line. */
struct chain_follow {
	int have;                       /* a line was seen */
	int had_seq;
	unsigned long long seq;
	char hash[CHAIN_HEX];           /* of the last line seen */
};

enum chain_verdict {
	CHAIN_OK,
	CHAIN_START,                    /* the first line seen: nothing before it to check */
	CHAIN_UNCHAINED,                /* a record with no seq, after none (older records) */
	CHAIN_BROKEN,                   /* why says what: changed, deleted, reordered */
};

/* The next line: r its record, or NULL when it is none (malformed; the
 * caller reports it). The verdict, with why for CHAIN_BROKEN. */
enum chain_verdict chain_step(struct chain_follow *c, const struct logrec *r, const char *line, size_t len,
			      char *why, size_t whylen);

#endif
