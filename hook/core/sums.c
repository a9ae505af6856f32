/* sums: vendors' checksum lists; see sums.h. */
#include "core/sums.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *tag, *source_key;
	size_t hex;
} algos[] = {
	[SUMS_SHA256] = { "sha256", "SHA256", "source_sha256sum", 64 },
	[SUMS_SHA512] = { "sha512", "SHA512", "source_sha512sum", 128 },
};

static const char *const lines_names[] = { [SUMS_GNU] = "gnu", [SUMS_BSD] = "bsd" };

const char *sums_lines_name(enum sums_lines lines)
{
	return lines_names[lines];
}

const char *sums_algo_name(enum sums_algo algo)
{
	return algos[algo].name;
}

const char *sums_source_key(enum sums_algo algo)
{
	return algos[algo].source_key;
}

size_t sums_hex_len(enum sums_algo algo)
{
	return algos[algo].hex;
}

int sums_algo_parse(const char *s, size_t n, enum sums_algo *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(algos); i++)
		if (strlen(algos[i].name) == n && !strncmp(s, algos[i].name, n)) {
			*out = (enum sums_algo)i;
			return 0;
		}
	return -1;
}

struct parse {
	struct sums *s;
	const struct sums_format *f;
	size_t cap;
	const char *src;
	unsigned line;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(p->err, p->errlen, p->src, p->line, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* A file name as a list may give it (parse_line let only printable ASCII
 * through): one path segment, nothing a lookup could be tricked by. */
static int check_name(struct parse *p, const char *name, size_t len)
{
	if (len == 0)
		return fail(p, "no file name");
	if (len > SUMS_MAX_NAME)
		return fail(p, "file name longer than %d bytes", SUMS_MAX_NAME);
	if (name[0] == ' ' || name[len - 1] == ' ')
		return fail(p, "file name '%.*s' starts or ends with a space", (int)len, name);
	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
		return fail(p, "file name '%.*s' is not a file", (int)len, name);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			return fail(p, "file name '%.*s' is a path (has '%c'); only names in the list's own "
				    "directory are accepted", (int)len, name, name[i]);
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* Copy a digest of exactly the algorithm's length, lowercased. */
static int take_hex(struct parse *p, const char *hex, size_t len, char *out)
{
	size_t want = algos[p->s->algo].hex;
	for (size_t i = 0; i < len; i++)
		if (hexval((unsigned char)hex[i]) < 0)
			return fail(p, "the digest has a character '%c' that is not hex", hex[i]);
	if (len != want)
		return fail(p, "a %s digest has %zu hex digits, this one %zu", algos[p->s->algo].name, want, len);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(hex[i] | 0x20);
	out[len] = '\0';
	return 0;
}

static int add(struct parse *p, const char *name, size_t name_len, const char *hex, size_t hex_len)
{
	struct sums *s = p->s;
	struct sums_entry e = { .line = p->line };

	if (check_name(p, name, name_len) < 0 || take_hex(p, hex, hex_len, e.hex) < 0)
		return -1;
	if (grow(&s->e, &p->cap, s->n, sizeof(*s->e)) < 0 || !(e.name = strndup(name, name_len)))
		return fail(p, "out of memory");
	s->e[s->n++] = e;
	return 0;
}

/* `SHA256 (file) = hex`: the name runs to the last ") = ". */
static int parse_bsd(struct parse *p, const char *l, size_t len)
{
	const char *tag = algos[p->s->algo].tag;
	size_t tl = strlen(tag);
	const char *open = memchr(l, ' ', len);
	const char *close = NULL;

	for (const char *c = l; c + 4 <= l + len; c++)
		if (!memcmp(c, ") = ", 4))
			close = c;
	if (!open || open + 1 >= l + len || open[1] != '(' || !close || close < open + 2)
		return fail(p, "not a BSD-style line ('%s (<file>) = <hex>'), which this origin's list has", tag);
	if ((size_t)(open - l) != tl || memcmp(l, tag, tl))
		return fail(p, "a '%.*s' line in a %s list", (int)(open - l), l, algos[p->s->algo].name);
	return add(p, open + 2, (size_t)(close - open - 2), close + 4, (size_t)(l + len - close - 4));
}

/* `hex *file` (binary mode) or `hex  file` (text mode), as sha256sum writes them. */
static int parse_gnu(struct parse *p, const char *l, size_t len)
{
	const char *sp = memchr(l, ' ', len);
	if (l[0] == '\\')
		return fail(p, "an escaped line ('\\' first): file names with '\\' or newlines are not accepted");
	if (!sp || sp + 2 > l + len || (sp[1] != ' ' && sp[1] != '*'))
		return fail(p, "not a GNU-style line ('<hex> *<file>' or '<hex>  <file>'), which this origin's list has");
	return add(p, sp + 2, (size_t)(l + len - sp - 2), l, (size_t)(sp - l));
}

/* A '#' line, where the origin says the list has them (Fedora's and
 * Rocky's '# <file>: <n> bytes'). One that carries a digest is refused:
 * the list would say something the parser does not read, and a person or
 * another tool reading it could take another digest than the hook. */
static int comment(struct parse *p, const char *l, size_t len)
{
	size_t run = 0;

	if (!p->f->comments)
		return fail(p, "a comment line ('#'), which this origin's list does not have");
	for (size_t i = 1; i < len; i++) {
		run = hexval((unsigned char)l[i]) >= 0 ? run + 1 : 0;
		if (run == SUMS_COMMENT_HEX)
			return fail(p, "a comment line carrying a digest (%d hex digits in a row at column %zu): a list "
				    "says its digests in checksum lines only", SUMS_COMMENT_HEX, i + 2 - run);
	}
	return 0;
}

static int parse_line(struct parse *p, const char *l, size_t len)
{
	if (len && l[len - 1] == '\r')          /* CRLF lists: the CR ends the line, never a name */
		len--;
	if (len == 0)
		return 0;
	if (len > SUMS_MAX_LINE)
		return fail(p, "line longer than %d bytes", SUMS_MAX_LINE);
	/* vendors' lists are ASCII; so every message below stays printable */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c < 0x20 || c == 0x7f)
			return fail(p, "binary data (byte 0x%02x at column %zu): not a checksum list", c, i + 1);
		if (c > 0x7f)
			return fail(p, "a byte 0x%02x that is not ASCII at column %zu", c, i + 1);
	}
	if (l[0] == '#')
		return comment(p, l, len);
	return p->f->lines == SUMS_GNU ? parse_gnu(p, l, len) : parse_bsd(p, l, len);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sums_entry *)a)->name, ((const struct sums_entry *)b)->name);
}

/* Two digests for e[i]'s name: name both lines, and leave the table
 * holding only what sums_free may free (e[0..out) and the unfolded rest). */
static int conflict(struct parse *p, size_t out, size_t i)
{
	struct sums *s = p->s;
	const struct sums_entry *a = &s->e[out - 1], *b = &s->e[i];
	p->line = a->line > b->line ? a->line : b->line;
	fail(p, "'%s' is listed again with another digest (first on line %u)", b->name,
	     a->line < b->line ? a->line : b->line);
	memmove(&s->e[out], &s->e[i], (s->n - i) * sizeof(*s->e));
	s->n = out + (s->n - i);
	return -1;
}

/* Sort, then fold repeats: the same digest twice is harmless, two
 * digests for one name make the list meaningless. */
static int settle(struct parse *p)
{
	struct sums *s = p->s;
	size_t out = 0;

	p->line = 0;            /* from here errors name the list, or the lines they pick */
	if (s->n == 0)
		return fail(p, "no checksum lines (an empty list is a broken mirror, not a vendor's list)");
	qsort(s->e, s->n, sizeof(*s->e), by_name);
	for (size_t i = 0; i < s->n; i++) {
		if (out && !strcmp(s->e[out - 1].name, s->e[i].name)) {
			if (strcmp(s->e[out - 1].hex, s->e[i].hex))
				return conflict(p, out, i);
			free(s->e[i].name);
			continue;
		}
		s->e[out++] = s->e[i];
	}
	s->n = out;
	return 0;
}

int sums_parse(struct sums *s, const struct sums_format *f, const char *src, const char *text, size_t len,
	       char *err, size_t errlen)
{
	struct parse p = { .s = s, .f = f, .src = src, .err = err, .errlen = errlen };
	int rc = 0;

	*s = (struct sums){ .algo = f->algo };
	if (len > SUMS_MAX_BYTES) {
		fail(&p, "%zu bytes, more than the %u a checksum list may have", len, SUMS_MAX_BYTES);
		return -1;
	}
	for (const char *l = text, *end = text + len; l < end && rc == 0;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		p.line++;
		rc = parse_line(&p, l, n);
		l += n + 1;
	}
	if (rc == 0)
		rc = settle(&p);
	if (rc < 0)
		sums_free(s);
	return rc;
}

const struct sums_entry *sums_find(const struct sums *s, const char *name)
{
	struct sums_entry key = { .name = (char *)name };
	return s->n ? bsearch(&key, s->e, s->n, sizeof(*s->e), by_name) : NULL;
}

void sums_copy(struct sums *to, const struct sums *from)
{
	to->algo = from->algo;
	to->n = from->n;
	to->e = xcalloc(from->n ? from->n : 1, sizeof(*to->e));
	for (size_t i = 0; i < from->n; i++) {
		to->e[i] = from->e[i];
		to->e[i].name = xstrdup(from->e[i].name);
	}
}

void sums_free(struct sums *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	s->e = NULL;
	s->n = 0;
}
