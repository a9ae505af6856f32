/* logrec: one line of a decision log read back (docs/decision-record.md):
 * the fields a reader filters, tallies and chains on, parsed with yajl
 * from the text it is given. A line that is not one record object is an
 * error in words, never a crash: logs are read after a full disk, a crash
 * or an edit. One parser is reused line after line, so reading a log of
 * any size costs the memory of its longest line. */
#ifndef SCS_LOGREC_H
#define SCS_LOGREC_H

#include <stddef.h>

#define LOGREC_MAX_RULES 32     /* rules kept per record; the count goes on */

struct logrec {
	/* NULL when absent or null; NUL-terminated, valid until the next parse */
	const char *time, *decision_id, *source, *project_id, *user_id, *mode, *decision;
	const char *image_id, *image_name, *error, *prev;
	const char *rules[LOGREC_MAX_RULES];
	int rule_exempted[LOGREC_MAX_RULES];
	size_t n_rules;                 /* every violation, kept or not */
	size_t n_open;                  /* violations no exemption waived */
	int has_seq;
	unsigned long long seq;
};

struct logrec_parser;

struct logrec_parser *logrec_parser_new(void);
/* Parse line (without its newline) into out. 0, or -1 with why. */
int logrec_parse(struct logrec_parser *p, const char *line, size_t len, struct logrec *out, char *why,
		 size_t whylen);
void logrec_parser_free(struct logrec_parser *p);

/* What a reader asks of records; NULL or 0: anything. Globs are fnmatch(3)
 * patterns; since and until are compared with the record's time. */
struct logrec_filter {
	char since[28], until[28];          /* normalised (logrec_time_bound), "" none */
	const char *decision, *mode, *source;
	const char *rule, *project, *image; /* globs; image: its id or its name */
};

int logrec_match(const struct logrec_filter *f, const struct logrec *r);

/* A time bound as the records write time: YYYY-MM-DD, YYYY-MM-DDTHH:MM,
 * YYYY-MM-DDTHH:MM:SS, each optionally ending in Z, into out as
 * "YYYY-MM-DDTHH:MM:SS.000000Z" (UTC). until: the end of what is named
 * (a day through its last microsecond). 0, or -1 when not such a time. */
int logrec_time_bound(const char *s, int until, char out[28]);

/* Would enforce have refused this? A violation no exemption waived,
 * decided under warn or dry-run. */
int logrec_would_refuse(const struct logrec *r);

#endif
