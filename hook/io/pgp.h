/* pgp: OpenPGP signatures over vendors' checksum lists (detached, or the
 * list clearsigned), checked
 * in-process with librnp against a keyring loaded once (docs/origin.md
 * says why librnp and not GPGME). librnp is opened (dlopen) by the first
 * keyring loaded, so a process that loads none never loads it. Adapter:
 * reads the keyring file; the signature and the data come from the
 * caller. */
#ifndef SCS_PGP_H
#define SCS_PGP_H

#include <stddef.h>

#define PGP_FPR_LEN 40                  /* a v4 fingerprint in hex */

struct pgp;

/* Public keys, binary or armored (several armored blocks may follow
 * each other). NULL with err naming the file when it holds none, or
 * naming librnp when it cannot be opened. */
struct pgp *pgp_load(const char *path, char *err, size_t errlen);
struct pgp *pgp_load_mem(const char *name, const void *keys, size_t len, char *err, size_t errlen);
void pgp_free(struct pgp *k);

enum pgp_result {
	PGP_OK,
	PGP_MISSING,            /* no signature, or nothing in it that is one */
	PGP_INVALID,            /* a signature that does not hold for the data (or expired) */
	PGP_UNKNOWN_KEY,        /* by a key the keyring does not have */
	PGP_NOT_ACCEPTED,       /* valid, by a key in the keyring, but not one of accept */
};

/* Verify sig over data. With accept (n_accept fingerprints, uppercase
 * hex), a valid signature counts only when its key's primary key is one
 * of them; without, any valid signature does. PGP_OK with the signer's
 * primary-key fingerprint in fpr (a subkey's signature names its primary
 * key), otherwise the result and a sentence in err. Thread-safe: calls
 * on one keyring are serialised. */
enum pgp_result pgp_verify(struct pgp *k, const void *data, size_t len, const void *sig, size_t sig_len,
			   const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept, char fpr[PGP_FPR_LEN + 1],
			   char *err, size_t errlen);

/* A cleartext-signed message (RFC 4880 7), verified as pgp_verify
 * verifies; with PGP_OK, *text is the signed text as librnp hands it
 * back (dash-escaping undone; NUL-terminated, the caller frees it), the
 * only text of the message anyone should read. Not more than max bytes
 * of it (else PGP_INVALID). Whether anything lies outside the message is
 * the caller's to check first (core/cleartext.h): librnp ignores what
 * follows it. */
enum pgp_result pgp_verify_clearsigned(struct pgp *k, const void *msg, size_t len, size_t max,
				       const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept, char fpr[PGP_FPR_LEN + 1],
				       char **text, size_t *text_len, char *err, size_t errlen);

const char *pgp_result_name(enum pgp_result r);  /* "missing", "invalid", "unknown key", ... */
/* Whether the keyring holds the key with this fingerprint (uppercase hex). */
int pgp_has_key(struct pgp *k, const char *fpr);

#endif
