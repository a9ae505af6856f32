/* Fuzz target: the frame of a clearsigned list (core/cleartext.c), as the
 * proxy fetches it from the network before librnp sees it. The input is
 * the message. Besides not crashing: the verdict is one of the three; a
 * frame found whole has its three armor lines in order, each once, at the
 * start of a line, the first on line 1 and nothing but line ends after
 * the last; a refusal says why; and the verdict is the same when the
 * input is read from a buffer that ends exactly where it does. */
#include "fuzz.h"
#include "core/cleartext.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Where a line starting with mark begins (after a line end, or at 0), or -1. */
static long fct_line_at(const char *s, size_t len, const char *mark, size_t from)
{
	size_t n = strlen(mark);
	for (size_t i = from; i + n <= len; i++)
		if ((i == 0 || s[i - 1] == '\n') && !memcmp(s + i, mark, n))
			return (long)i;
	return -1;
}

static void fct_check_whole(const char *s, size_t len)
{
	static const char *const marks[] = { "-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP SIGNATURE-----",
					     "-----END PGP SIGNATURE-----" };
	long at[3];
	for (int i = 0; i < 3; i++) {
		at[i] = fct_line_at(s, len, marks[i], 0);
		FUZZ_CHECK(at[i] >= 0, "whole, but without '%s'", marks[i]);
		FUZZ_CHECK(fct_line_at(s, len, marks[i], (size_t)at[i] + 1) < 0, "whole, but '%s' twice", marks[i]);
	}
	FUZZ_CHECK(at[0] == 0 && at[0] < at[1] && at[1] < at[2], "whole, but the marks out of order");
	for (size_t i = (size_t)at[2] + strlen(marks[2]); i < len; i++)
		FUZZ_CHECK(s[i] == '\r' || s[i] == '\n', "whole, but text after the signature block");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512] = "", again[512] = "";
	char *text = malloc(size ? size : 1);       /* an exact copy, so ASan sees any read past it */

	FUZZ_CHECK(text, "out of memory");
	memcpy(text, data, size);
	enum cleartext_frame f = cleartext_frame(text, size, why, sizeof(why));
	FUZZ_CHECK(f == CLEARTEXT_ONE || f == CLEARTEXT_NONE || f == CLEARTEXT_OUTSIDE, "verdict %d", (int)f);
	if (f == CLEARTEXT_ONE)
		fct_check_whole(text, size);
	else
		FUZZ_CHECK_ERR(why);
	FUZZ_CHECK(cleartext_frame(text, size, again, sizeof(again)) == f && !strcmp(why, again), "not the same twice");
	free(text);
	return 0;
}
