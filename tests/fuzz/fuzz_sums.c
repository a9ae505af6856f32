/* Fuzz target: a vendor's checksum list in each format an origin can
 * state, as the proxy fetches it from the network (or, clearsigned, as
 * the OpenPGP library hands its signed text back). The first byte picks
 * the format: bit 0 the algorithm (sha256, sha512), bit 1 the lines (GNU,
 * BSD), bit 2 whether '#' lines are comments; the rest is the list.
 * Besides not crashing: a refusal leaves nothing behind; an accepted list
 * is sorted, unique, holds only plain names and digests of the right
 * length, finds each of its entries, and reads back the same when
 * written out again in its format; a list with comments had no run of
 * digest-length hex in them. */
#include "fuzz.h"

#include <ctype.h>
#include "core/sums.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void fsu_check_table(const struct sums *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sums_entry *e = &s->e[i];
		FUZZ_CHECK(strlen(e->hex) == sums_hex_len(s->algo) && strspn(e->hex, "0123456789abcdef") ==
			   strlen(e->hex), "entry %zu: digest '%s' is not lowercase hex of the right length", i, e->hex);
		FUZZ_CHECK(e->name[0] && strlen(e->name) <= SUMS_MAX_NAME && !strpbrk(e->name, "/\\") &&
			   strcmp(e->name, ".") && strcmp(e->name, ".."), "entry %zu: name '%s' is a path", i, e->name);
		for (const char *c = e->name; *c; c++)
			FUZZ_CHECK(*c >= 0x20 && *c < 0x7f, "entry %zu: a control or non-ASCII byte in the name", i);
		FUZZ_CHECK(i == 0 || strcmp(s->e[i - 1].name, e->name) < 0, "entries not sorted and unique at %zu", i);
		FUZZ_CHECK(sums_find(s, e->name) == e, "entry '%s' is not found", e->name);
	}
}

/* Written out in its own format and read again: the same table. */
static void fsu_round_trip(const struct sums *s, const struct sums_format *f)
{
	size_t cap = s->n * (SUMS_MAX_NAME + SUMS_MAX_HEX + 16) + 1, n = 0;
	char *text = malloc(cap), err[512] = "";
	struct sums again;

	FUZZ_CHECK(text, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		n += f->lines == SUMS_BSD ? (size_t)snprintf(text + n, cap - n, "%s (%s) = %s\n",
							     s->algo == SUMS_SHA256 ? "SHA256" : "SHA512", s->e[i].name,
							     s->e[i].hex)
					  : (size_t)snprintf(text + n, cap - n, "%s %s%s\n", s->e[i].hex, i & 1 ? "*" : " ",
							     s->e[i].name);
	FUZZ_CHECK(sums_parse(&again, f, "again", text, n, err, sizeof(err)) == 0, "round trip: %s", err);
	FUZZ_CHECK(again.n == s->n, "round trip: %zu entries, not %zu", again.n, s->n);
	for (size_t i = 0; i < s->n; i++)
		FUZZ_CHECK(!strcmp(again.e[i].name, s->e[i].name) && !strcmp(again.e[i].hex, s->e[i].hex),
			   "round trip: entry %zu differs", i);
	sums_free(&again);
	free(text);
}

/* An accepted list's '#' lines (only where the format has them) carry no
 * digest: no run of SUMS_COMMENT_HEX hex digits. */
static void fsu_comments(const char *text, size_t len, const struct sums_format *f)
{
	for (const char *l = text, *end = text + len; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l), run = 0;
		FUZZ_CHECK(n == 0 || l[0] != '#' || f->comments, "a '#' line accepted where the format has none");
		for (size_t i = 0; n && l[0] == '#' && i < n; i++) {
			run = isxdigit((unsigned char)l[i]) ? run + 1 : 0;
			FUZZ_CHECK(run < SUMS_COMMENT_HEX, "a comment carrying a digest was accepted");
		}
		l += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sums s;
	char err[1024] = "";

	if (size == 0)
		return 0;
	struct sums_format f = { .algo = data[0] & 1 ? SUMS_SHA512 : SUMS_SHA256,
				 .lines = data[0] & 2 ? SUMS_BSD : SUMS_GNU, .comments = !!(data[0] & 4) };
	/* an exact copy of the list, so ASan sees any read past it */
	char *text = malloc(size - 1 ? size - 1 : 1);
	FUZZ_CHECK(text, "out of memory");
	memcpy(text, data + 1, size - 1);
	if (sums_parse(&s, &f, "fuzz", text, size - 1, err, sizeof(err)) == 0) {
		FUZZ_CHECK(s.n > 0 && s.algo == f.algo, "an accepted list without entries");
		fsu_check_table(&s);
		fsu_round_trip(&s, &f);
		fsu_comments(text, size - 1, &f);
		sums_free(&s);
	} else {
		FUZZ_CHECK_ERR(err);
		FUZZ_CHECK(!strncmp(err, "fuzz:", 5), "error does not name the list: %s", err);
		FUZZ_CHECK(s.n == 0 && !s.e, "a refused list kept entries");
	}
	free(text);
	return 0;
}
