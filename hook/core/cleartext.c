/* cleartext: one cleartext-signed message and nothing else; see cleartext.h. */
#include "core/cleartext.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

/* The three armor lines of the frame, in their order. Every other line
 * that starts with five dashes is refused: within the signed text such a
 * line is dash-escaped ("- -----..."), so an unescaped one is a second
 * frame or none. */
static const char *const marks[] = { "-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP SIGNATURE-----",
				     "-----END PGP SIGNATURE-----" };

static enum cleartext_frame say(char *why, size_t whylen, enum cleartext_frame f, const char *fmt, unsigned line)
	__attribute__((format(printf, 4, 0)));
static enum cleartext_frame say(char *why, size_t whylen, enum cleartext_frame f, const char *fmt, unsigned line)
{
	snprintf(why, whylen, fmt, line);
	return f;
}

/* Which mark a line is (0-2), -1 for another dashed line, -2 for text. */
static int mark_of(const char *l, size_t n)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (n < 5 || memcmp(l, "-----", 5))
		return -2;
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (strlen(marks[i]) == n && !memcmp(l, marks[i], n))
			return (int)i;
	return -1;
}

/* An empty line (a CR at most): all that may follow the signature block. */
static int blank(const char *l, size_t n)
{
	return n == 0 || (n == 1 && l[0] == '\r');
}

enum cleartext_frame cleartext_frame(const char *text, size_t len, char *why, size_t whylen)
{
	int next = 0;          /* the mark expected next; 3 once the signature block has ended */
	unsigned line = 0;

	for (const char *l = text, *end = text + len; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		int m = mark_of(l, n);
		line++;
		l += n + 1;
		if (next == 0) {        /* text before a message is refused once a message follows */
			if (m == 0 && line > 1)
				return say(why, whylen, CLEARTEXT_OUTSIDE, "text before the signed part (the "
					   "message begins on line %u)", line);
			next = m == 0;
		} else if (next == 3) {
			if (!blank(l - n - 1, n))
				return say(why, whylen, CLEARTEXT_OUTSIDE, "text after the signature block (line %u), "
					   "outside the signed part", line);
		} else if (m == 0) {
			return say(why, whylen, CLEARTEXT_OUTSIDE, "a second signed message begins within the first "
				   "(line %u)", line);
		} else if (m == -1 || (m >= 0 && m != next)) {
			return say(why, whylen, CLEARTEXT_OUTSIDE, "not one cleartext-signed message: an armor line "
				   "out of place (line %u)", line);
		} else if (m == next) {
			next++;
		}
	}
	if (next == 3)
		return CLEARTEXT_ONE;
	if (next == 0)
		return say(why, whylen, CLEARTEXT_NONE, "not a cleartext-signed message (no '-----BEGIN PGP SIGNED "
			   "MESSAGE-----' line in its %u lines): no signature covers it", line);
	return say(why, whylen, CLEARTEXT_OUTSIDE, "not one cleartext-signed message: it ends (line %u) before "
		   "its signature block does", line);
}
