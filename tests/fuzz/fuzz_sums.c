/* Fuzz target: a vendor's checksum list (SHA256SUMS, SHA512SUMS), as the
 * proxy will fetch it from the network. The first byte picks the
 * algorithm (even: sha256, odd: sha512), the rest is the list. Besides
 * not crashing: a refusal leaves nothing behind; an accepted list is
 * sorted, unique, holds only plain names and digests of the right
 * length, finds each of its entries, and reads back the same when
 * written out in the other line style. */
#include "fuzz.h"
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

/* Written out BSD style and read again: the same table. */
static void fsu_round_trip(const struct sums *s)
{
	size_t cap = s->n * (SUMS_MAX_NAME + SUMS_MAX_HEX + 16) + 1, n = 0;
	char *text = malloc(cap), err[512] = "";
	struct sums again;

	FUZZ_CHECK(text, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s (%s) = %s\n", s->algo == SUMS_SHA256 ? "SHA256" : "SHA512",
				      s->e[i].name, s->e[i].hex);
	FUZZ_CHECK(sums_parse(&again, s->algo, "again", text, n, err, sizeof(err)) == 0, "round trip: %s", err);
	FUZZ_CHECK(again.n == s->n, "round trip: %zu entries, not %zu", again.n, s->n);
	for (size_t i = 0; i < s->n; i++)
		FUZZ_CHECK(!strcmp(again.e[i].name, s->e[i].name) && !strcmp(again.e[i].hex, s->e[i].hex),
			   "round trip: entry %zu differs", i);
	sums_free(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sums s;
	char err[1024] = "";

	if (size == 0)
		return 0;
	enum sums_algo algo = data[0] & 1 ? SUMS_SHA512 : SUMS_SHA256;
	/* an exact copy of the list, so ASan sees any read past it */
	char *text = malloc(size - 1 ? size - 1 : 1);
	FUZZ_CHECK(text, "out of memory");
	memcpy(text, data + 1, size - 1);
	if (sums_parse(&s, algo, "fuzz", text, size - 1, err, sizeof(err)) == 0) {
		FUZZ_CHECK(s.n > 0 && s.algo == algo, "an accepted list without entries");
		fsu_check_table(&s);
		fsu_round_trip(&s);
		sums_free(&s);
	} else {
		FUZZ_CHECK_ERR(err);
		FUZZ_CHECK(!strncmp(err, "fuzz:", 5), "error does not name the list: %s", err);
		FUZZ_CHECK(s.n == 0 && !s.e, "a refused list kept entries");
	}
	free(text);
	return 0;
}
