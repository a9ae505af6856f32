/* cleartext: the frame of an OpenPGP cleartext-signed message (RFC 4880
 * section 7), as Fedora signs its CHECKSUM. Pure. The OpenPGP library
 * verifies the signature and hands back the text it covers, which is the
 * only text the hook parses; this makes sure the input is exactly one
 * such message and nothing else. librnp itself ignores whatever follows
 * the signature block (a second message included), so text added there
 * would otherwise sit beside a list that verifies. */
#ifndef SCS_CLEARTEXT_H
#define SCS_CLEARTEXT_H

#include <stddef.h>

enum cleartext_frame {
	CLEARTEXT_ONE,          /* one signed part and one signature block, nothing outside them */
	CLEARTEXT_NONE,         /* not a cleartext-signed message at all: no signature covers it */
	CLEARTEXT_OUTSIDE,      /* text outside the signed part, or not one message (why says where) */
};

/* The frame of len bytes of text; a sentence in why unless ONE. */
enum cleartext_frame cleartext_frame(const char *text, size_t len, char *why, size_t whylen);

#endif
