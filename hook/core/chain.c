/* chain: see chain.h. */
#include "core/chain.h"
#include "core/digest.h"

#include <stdio.h>
#include <string.h>

void chain_hash(const char *line, size_t len, char out[CHAIN_HEX])
{
	char hex[SUMS_MAX_HEX + 1];
	struct digest *d = digest_new(SUMS_SHA256);

	digest_update(d, line, len);
	digest_hex(d, hex);
	digest_free(d);
	memcpy(out, hex, CHAIN_HEX - 1);
	out[CHAIN_HEX - 1] = '\0';
}

size_t chain_suffix(unsigned long long seq, const char *prev, char out[CHAIN_SUFFIX_MAX])
{
	int n = prev ? snprintf(out, CHAIN_SUFFIX_MAX, ",\"seq\":%llu,\"prev\":\"%.64s\"}\n", seq, prev)
		     : snprintf(out, CHAIN_SUFFIX_MAX, ",\"seq\":%llu,\"prev\":null}\n", seq);
	return (size_t)n;
}

unsigned long long chain_next_seq(const struct logrec *prev_line)
{
	return prev_line && prev_line->has_seq ? prev_line->seq + 1 : 1;
}

static void remember(struct chain_follow *c, int has_seq, unsigned long long seq, const char *line, size_t len)
{
	c->have = 1;
	c->had_seq = has_seq;
	c->seq = seq;
	chain_hash(line, len, c->hash);
}

/* A chained record after a line: does it name that line, with the next seq? */
static enum chain_verdict follows(const struct chain_follow *c, const struct logrec *r, char *why, size_t whylen)
{
	unsigned long long want = c->had_seq ? c->seq + 1 : 1;

	if (!r->prev) {
		snprintf(why, whylen, "seq %llu starts a new chain after other lines (the log before it was replaced?)",
			 r->seq);
		return CHAIN_BROKEN;
	}
	if (r->seq > want && c->had_seq) {
		snprintf(why, whylen, "seq %llu follows seq %llu: %llu record%s deleted before it", r->seq, c->seq,
			 r->seq - want, r->seq - want == 1 ? "" : "s");
		return CHAIN_BROKEN;
	}
	if (r->seq < want && c->had_seq) {
		snprintf(why, whylen, "seq %llu follows seq %llu: records reordered or repeated", r->seq, c->seq);
		return CHAIN_BROKEN;
	}
	if (strcmp(r->prev, c->hash)) {
		snprintf(why, whylen, "seq %llu does not name the line before it: that line was changed%s", r->seq,
			 c->had_seq || r->seq == want ? "" : ", or records before it deleted");
		return CHAIN_BROKEN;
	}
	return CHAIN_OK;
}

enum chain_verdict chain_step(struct chain_follow *c, const struct logrec *r, const char *line, size_t len,
			      char *why, size_t whylen)
{
	enum chain_verdict v = CHAIN_OK;

	why[0] = '\0';
	if (!r) {
		/* not a record: counted as one, so the next names it or breaks */
		remember(c, c->had_seq, c->seq + (c->had_seq ? 1 : 0), line, len);
		return CHAIN_BROKEN;
	}
	if (!c->have)
		v = r->has_seq ? CHAIN_START : CHAIN_UNCHAINED;
	else if (r->has_seq)
		v = follows(c, r, why, whylen);
	else if (c->had_seq) {
		snprintf(why, whylen, "a record without seq after seq %llu (inserted, or its seq removed)", c->seq);
		v = CHAIN_BROKEN;
	} else
		v = CHAIN_UNCHAINED;
	remember(c, r->has_seq, r->seq, line, len);
	return v;
}
