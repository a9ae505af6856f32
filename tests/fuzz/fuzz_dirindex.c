/* Fuzz target: a directory's index page read for the one list name a
 * pattern picks (core/dirindex.c), as the proxy fetches the page from the
 * network. The first line is the pattern, the rest the page. Besides not
 * crashing: a name found is a plain file name (no '/', no leading '.', no
 * '%', '?' or '#'), matches the pattern and is in the page as a quoted
 * href; several say so; none leaves the name empty. */
#include "fuzz.h"
#include "core/dirindex.h"

#include <fnmatch.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size, len = nl ? size - plen - 1 : 0;
	char *pattern = strndup((const char *)data, plen), name[256], why[1024], quoted[300];
	char *page = malloc(len ? len : 1);

	FUZZ_CHECK(pattern && page, "out of memory");
	if (len)
		memcpy(page, nl + 1, len);
	int n = dirindex_pick(page, len, pattern, name, why, sizeof(why));
	if (n == 1) {
		FUZZ_CHECK(name[0] && name[0] != '.' && !strpbrk(name, "/%?#\\\"' <>"), "name '%s'", name);
		FUZZ_CHECK(fnmatch(pattern, name, FNM_PERIOD) == 0, "'%s' does not match '%s'", name, pattern);
		snprintf(quoted, sizeof(quoted), "=\"%s\"", name);
		char q2[300];
		snprintf(q2, sizeof(q2), "='%s'", name);
		FUZZ_CHECK(memmem(page, len, quoted, strlen(quoted)) || memmem(page, len, q2, strlen(q2)),
			   "'%s' is no href of the page", name);
	} else if (n < 0) {
		FUZZ_CHECK(n == -1 && strstr(why, "more than one file"), "%d: %s", n, why);
	} else {
		FUZZ_CHECK(n == 0 && !name[0], "none, yet '%s'", name);
	}
	free(page);
	free(pattern);
	return 0;
}
