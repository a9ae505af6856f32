/* pgp: detached signatures with librnp; see pgp.h. */
#include "io/pgp.h"
#include "core/util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* librnp is opened when a keyring is loaded, not linked: it brings Botan,
 * libstdc++, json-c, bz2 and more, and loading and relocating them took
 * nearly half the instructions of a one-image `check`, in every process,
 * though only one that verifies signatures needs them. Its functions are called through
 * this table (rnp.ffi_create is rnp_ffi_create), each with the type its
 * header declares. */
#define PGP_LIBRARY "librnp.so.0"
#define RNP_FUNCTIONS(X)                                                                           \
	X(ffi_create) X(ffi_destroy) X(ffi_set_log_fd) X(input_from_memory) X(input_destroy)       \
	X(import_keys) X(get_public_key_count) X(result_to_string) X(buffer_destroy) X(key_is_sub) \
	X(key_get_fprint) X(key_get_primary_fprint) X(key_handle_destroy)                          \
	X(signature_get_key_fprint) X(signature_get_keyid) X(signature_handle_destroy)             \
	X(op_verify_detached_create) X(op_verify_execute) X(op_verify_get_signature_count)         \
	X(op_verify_get_signature_at) X(op_verify_signature_get_status)                            \
	X(op_verify_signature_get_key) X(op_verify_signature_get_handle) X(op_verify_destroy)         \
	X(op_verify_create) X(output_to_memory) X(output_memory_get_buf) X(output_destroy) X(locate_key)

static struct {
#define RNP_FIELD(f) __typeof__(rnp_##f) *f;
	RNP_FUNCTIONS(RNP_FIELD)
#undef RNP_FIELD
} rnp;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static char library_error[256];     /* why librnp could not be opened; "" when it was */

static void library_open(void)
{
	void *lib = dlopen(PGP_LIBRARY, RTLD_NOW | RTLD_LOCAL);     /* never closed: keyrings live on */
	const char *missing = NULL;

	if (lib) {
#define RNP_SYMBOL(f) if (!missing && !(*(void **)&rnp.f = dlsym(lib, "rnp_" #f))) missing = "rnp_" #f;
		RNP_FUNCTIONS(RNP_SYMBOL)
#undef RNP_SYMBOL
	}
	if (!lib)
		snprintf(library_error, sizeof(library_error), "%s", dlerror());
	else if (missing)
		snprintf(library_error, sizeof(library_error), "it lacks %s", missing);
}

/* 0 once librnp is open, or -1 with err naming the library. */
static int library_ready(char *err, size_t errlen)
{
	pthread_once(&library_once, library_open);
	if (!library_error[0])
		return 0;
	snprintf(err, errlen, "cannot load %s, which verifies OpenPGP signatures (Debian: librnp0): %s", PGP_LIBRARY,
		 library_error);
	return -1;
}

/* An rnp ffi is not thread-safe: one keyring, one lock. Verifying a list
 * is rare (once per list and cache period), so nothing waits long. */
struct pgp {
	rnp_ffi_t ffi;
	pthread_mutex_t lock;
};

static const char *const names[] = {
	[PGP_OK] = "ok", [PGP_MISSING] = "missing", [PGP_INVALID] = "invalid",
	[PGP_UNKNOWN_KEY] = "unknown key", [PGP_NOT_ACCEPTED] = "not an accepted key",
};

const char *pgp_result_name(enum pgp_result r)
{
	return names[r];
}

int pgp_has_key(struct pgp *k, const char *fpr)
{
	rnp_key_handle_t key = NULL;

	pthread_mutex_lock(&k->lock);
	int found = rnp.locate_key(k->ffi, "fingerprint", fpr, &key) == RNP_SUCCESS && key;
	if (key)
		rnp.key_handle_destroy(key);
	pthread_mutex_unlock(&k->lock);
	return found;
}

static int say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void pgp_free(struct pgp *k)
{
	if (!k)
		return;
	rnp.ffi_destroy(k->ffi);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* Import every key of the buffer: binary packets, or armored blocks one
 * after the other (rnp reads one armored block per call). */
static int import_all(struct pgp *k, const void *keys, size_t len)
{
	rnp_input_t in = NULL;
	int imported = 0;

	if (rnp.input_from_memory(&in, keys, len, false) != RNP_SUCCESS)
		return -1;
	for (;;) {
		rnp_result_t rc = rnp.import_keys(k->ffi, in, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SINGLE, NULL);
		if (rc != RNP_SUCCESS)
			break;
		imported++;
	}
	rnp.input_destroy(in);
	return imported;
}

struct pgp *pgp_load_mem(const char *name, const void *keys, size_t len, char *err, size_t errlen)
{
	if (library_ready(err, errlen) < 0)
		return NULL;

	struct pgp *k = xcalloc(1, sizeof(*k));
	size_t count = 0;
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	pthread_mutex_init(&k->lock, NULL);
	/* rnp's own complaints go nowhere: what failed is in our messages */
	if (rnp.ffi_create(&k->ffi, "GPG", "GPG") != RNP_SUCCESS || devnull < 0 ||
	    rnp.ffi_set_log_fd(k->ffi, devnull) != RNP_SUCCESS) {
		if (devnull >= 0)
			close(devnull);
		say(err, errlen, "%s: cannot set up librnp", name);
		goto fail;
	}
	if (import_all(k, keys, len) < 0 || rnp.get_public_key_count(k->ffi, &count) != RNP_SUCCESS || !count) {
		say(err, errlen, "%s: no OpenPGP public keys in it (binary or armored)", name);
		goto fail;
	}
	return k;
fail:
	pgp_free(k);
	return NULL;
}

struct pgp *pgp_load(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *keys = file_read(path, 16u << 20, &len, err, errlen);
	if (!keys)
		return NULL;
	struct pgp *k = pgp_load_mem(path, keys, len, err, errlen);
	free(keys);
	return k;
}

/* The fingerprint of the key that made sig, as its primary key's. */
static int signer(rnp_op_verify_signature_t sig, char fpr[PGP_FPR_LEN + 1])
{
	rnp_key_handle_t key = NULL;
	char *hex = NULL;
	bool sub = false;
	int rc = -1;

	if (rnp.op_verify_signature_get_key(sig, &key) != RNP_SUCCESS || !key ||
	    rnp.key_is_sub(key, &sub) != RNP_SUCCESS)
		goto out;
	if ((sub ? rnp.key_get_primary_fprint(key, &hex) : rnp.key_get_fprint(key, &hex)) != RNP_SUCCESS || !hex ||
	    strlen(hex) != PGP_FPR_LEN)
		goto out;
	memcpy(fpr, hex, PGP_FPR_LEN + 1);
	rc = 0;
out:
	rnp.buffer_destroy(hex);
	rnp.key_handle_destroy(key);
	return rc;
}

/* Who the signature says made it, for a key the keyring lacks. */
static void issuer(rnp_op_verify_signature_t sig, char *out, size_t outlen)
{
	rnp_signature_handle_t h = NULL;
	char *id = NULL;

	snprintf(out, outlen, "an unnamed key");
	if (rnp.op_verify_signature_get_handle(sig, &h) == RNP_SUCCESS &&
	    (rnp.signature_get_key_fprint(h, &id) == RNP_SUCCESS || rnp.signature_get_keyid(h, &id) == RNP_SUCCESS) &&
	    id && *id)
		snprintf(out, outlen, "key %s", id);
	rnp.buffer_destroy(id);
	rnp.signature_handle_destroy(h);
}

static int accepted(const char *fpr, const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept)
{
	if (!accept)
		return 1;
	for (size_t i = 0; i < n_accept; i++)
		if (!strcmp(fpr, accept[i]))
			return 1;
	return 0;
}

/* The worse of two failures is the one reported: a signature that does
 * not hold says the data was changed, which matters most. */
static const int rank[] = { [PGP_OK] = 4, [PGP_MISSING] = 0, [PGP_UNKNOWN_KEY] = 1, [PGP_NOT_ACCEPTED] = 2,
			    [PGP_INVALID] = 3 };

/* One signature of the file: its verdict, and its words in msg. */
static enum pgp_result judge(rnp_op_verify_signature_t sig, const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept,
			     char fpr[PGP_FPR_LEN + 1], char *msg, size_t msglen)
{
	rnp_result_t status = rnp.op_verify_signature_get_status(sig);
	char who[128];

	if (status == RNP_ERROR_KEY_NOT_FOUND) {
		issuer(sig, who, sizeof(who));
		say(msg, msglen, "signed by %s, which is not in the keyring (unknown key)", who);
		return PGP_UNKNOWN_KEY;
	}
	if (status != RNP_SUCCESS) {
		say(msg, msglen, "the signature does not hold for the data (invalid: %s)", rnp.result_to_string(status));
		return PGP_INVALID;
	}
	if (signer(sig, fpr) < 0) {
		say(msg, msglen, "the signing key has no v4 fingerprint (invalid)");
		return PGP_INVALID;
	}
	if (!accepted(fpr, accept, n_accept)) {
		say(msg, msglen, "signed by %s, which is not one of the accepted keys", fpr);
		return PGP_NOT_ACCEPTED;
	}
	return PGP_OK;
}

/* The verdict on an executed verification: one valid signature by an
 * accepted key suffices, else the worst of the failures. */
static enum pgp_result verdict(rnp_op_verify_t op, const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept,
			       char fpr[PGP_FPR_LEN + 1], char *err, size_t errlen)
{
	enum pgp_result worst = PGP_MISSING;
	size_t n = 0;
	char msg[256], cand[PGP_FPR_LEN + 1];

	say(err, errlen, "not an OpenPGP signature (invalid)");
	if (rnp.op_verify_get_signature_count(op, &n) != RNP_SUCCESS)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		rnp_op_verify_signature_t sig = NULL;
		if (rnp.op_verify_get_signature_at(op, i, &sig) != RNP_SUCCESS)
			continue;
		enum pgp_result r = judge(sig, accept, n_accept, cand, msg, sizeof(msg));
		if (r == PGP_OK) {
			memcpy(fpr, cand, sizeof(cand));
			err[0] = '\0';
			return PGP_OK;
		}
		if (rank[r] > rank[worst]) {
			worst = r;
			say(err, errlen, "%s", msg);
		}
	}
	return worst == PGP_MISSING ? PGP_INVALID : worst;  /* nothing in it was a signature */
}

static enum pgp_result verify_locked(struct pgp *k, rnp_input_t data, rnp_input_t sigs,
				     const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept,
				     char fpr[PGP_FPR_LEN + 1], char *err, size_t errlen)
{
	rnp_op_verify_t op = NULL;

	if (rnp.op_verify_detached_create(&op, k->ffi, data, sigs) != RNP_SUCCESS) {
		say(err, errlen, "not an OpenPGP signature (invalid)");
		return PGP_INVALID;
	}
	rnp.op_verify_execute(op);      /* the verdicts are per signature */
	enum pgp_result r = verdict(op, accept, n_accept, fpr, err, errlen);
	rnp.op_verify_destroy(op);
	return r;
}

enum pgp_result pgp_verify(struct pgp *k, const void *data, size_t len, const void *sig, size_t sig_len,
			   const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept, char fpr[PGP_FPR_LEN + 1],
			   char *err, size_t errlen)
{
	rnp_input_t din = NULL, sin = NULL;
	enum pgp_result r = PGP_INVALID;

	fpr[0] = '\0';
	if (!sig || !sig_len) {
		say(err, errlen, "no signature (missing)");
		return PGP_MISSING;
	}
	/* rnp reads the buffers in place; an empty list is still data */
	if (rnp.input_from_memory(&din, len ? data : (const void *)"", len, false) != RNP_SUCCESS ||
	    rnp.input_from_memory(&sin, sig, sig_len, false) != RNP_SUCCESS) {
		say(err, errlen, "out of memory");
	} else {
		pthread_mutex_lock(&k->lock);
		r = verify_locked(k, din, sin, accept, n_accept, fpr, err, errlen);
		pthread_mutex_unlock(&k->lock);
	}
	rnp.input_destroy(din);
	rnp.input_destroy(sin);
	return r;
}

/* The signed text as librnp hands it back (dash-escaping undone), kept
 * only when the verdict is PGP_OK. */
static enum pgp_result clear_locked(struct pgp *k, rnp_input_t msg, size_t max, const char (*accept)[PGP_FPR_LEN + 1],
				    size_t n_accept, char fpr[PGP_FPR_LEN + 1], char **text, size_t *text_len,
				    char *err, size_t errlen)
{
	rnp_output_t out = NULL;
	rnp_op_verify_t op = NULL;
	enum pgp_result r = PGP_INVALID;
	uint8_t *buf = NULL;
	size_t len = 0;

	say(err, errlen, "not a cleartext-signed message librnp reads (invalid)");
	if (rnp.output_to_memory(&out, max + 1) != RNP_SUCCESS || rnp.op_verify_create(&op, k->ffi, msg, out) !=
	    RNP_SUCCESS)
		goto out;
	rnp.op_verify_execute(op);
	r = verdict(op, accept, n_accept, fpr, err, errlen);
	if (r != PGP_OK)
		goto out;
	if (rnp.output_memory_get_buf(out, &buf, &len, false) != RNP_SUCCESS || len > max) {
		r = PGP_INVALID;
		fpr[0] = '\0';
		say(err, errlen, "the signed text is larger than %zu bytes (invalid)", max);
		goto out;
	}
	*text = xcalloc(len + 1, 1);
	memcpy(*text, len ? (const char *)buf : "", len);
	*text_len = len;
out:
	rnp.op_verify_destroy(op);
	rnp.output_destroy(out);
	return r;
}

enum pgp_result pgp_verify_clearsigned(struct pgp *k, const void *msg, size_t len, size_t max,
				       const char (*accept)[PGP_FPR_LEN + 1], size_t n_accept, char fpr[PGP_FPR_LEN + 1],
				       char **text, size_t *text_len, char *err, size_t errlen)
{
	rnp_input_t in = NULL;
	enum pgp_result r = PGP_INVALID;

	fpr[0] = '\0';
	*text = NULL;
	*text_len = 0;
	if (rnp.input_from_memory(&in, len ? msg : (const void *)"", len, false) != RNP_SUCCESS) {
		say(err, errlen, "out of memory");
		return r;
	}
	pthread_mutex_lock(&k->lock);
	r = clear_locked(k, in, max, accept, n_accept, fpr, text, text_len, err, errlen);
	pthread_mutex_unlock(&k->lock);
	rnp.input_destroy(in);
	return r;
}
