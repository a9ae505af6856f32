/* tls: the proxy's optional TLS listener (libmicrohttpd's TLS, which is
 * GnuTLS), so a deployment that keeps TLS to its backends (kolla's
 * backend TLS) keeps it to the proxy. The certificate and key are handed
 * to each handshake by a callback from the credentials loaded last, so a
 * SIGHUP replaces them for new connections while open ones (an upload
 * of many GiB) go on with theirs: credentials once loaded are kept until
 * the proxy stops, as a handshake may still hold them. With a client CA,
 * a client must present a certificate that CA signed. */
#include "io/tls.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_CHAIN_MAX 16

struct tls_creds {
	gnutls_pcert_st chain[TLS_CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	struct tls_creds *older;
};

/* The callback has no context of its own: one proxy per process. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *current;

static void creds_free(struct tls_creds *c)
{
	for (unsigned i = 0; i < c->n; i++)
		gnutls_pcert_deinit(&c->chain[i]);
	if (c->key)
		gnutls_privkey_deinit(c->key);
	free(c);
}

static int read_file(const char *path, gnutls_datum_t *out, const char *what, char *err, size_t errlen)
{
	int rc = gnutls_load_file(path, out);
	if (rc < 0)
		snprintf(err, errlen, "tls.%s %s: cannot be read: %s", what, path, gnutls_strerror(rc));
	return rc < 0 ? -1 : 0;
}

int tls_load(const char *cert, const char *key, char *err, size_t errlen)
{
	struct tls_creds *c = xcalloc(1, sizeof(*c));
	gnutls_datum_t pem = { 0 }, kpem = { 0 };
	int rc = -1;

	c->n = TLS_CHAIN_MAX;
	if (read_file(cert, &pem, "certificate", err, errlen) < 0 || read_file(key, &kpem, "key", err, errlen) < 0)
		goto out;
	int g = gnutls_pcert_list_import_x509_raw(c->chain, &c->n, &pem, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || !c->n) {
		c->n = 0;
		snprintf(err, errlen, "tls.certificate %s: not a PEM certificate chain: %s", cert, gnutls_strerror(g));
		goto out;
	}
	if ((g = gnutls_privkey_init(&c->key)) < 0 ||
	    (g = gnutls_privkey_import_x509_raw(c->key, &kpem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "tls.key %s: not a PEM private key: %s", key, gnutls_strerror(g));
		goto out;
	}
	pthread_mutex_lock(&lock);
	c->older = current;
	current = c;
	pthread_mutex_unlock(&lock);
	c = NULL;
	rc = 0;
out:
	gnutls_free(pem.data);
	gnutls_free(kpem.data);
	if (c)
		creds_free(c);
	return rc;
}

int tls_pick(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
	     const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
	     unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&lock);
	struct tls_creds *c = current;
	pthread_mutex_unlock(&lock);
	if (!c)
		return -1;
	*pcert = c->chain;
	*pcert_length = c->n;
	*privkey = c->key;
	return 0;
}

int tls_client_verified(gnutls_session_t session)
{
	unsigned status = 1, n = 0;
	return session && gnutls_certificate_get_peers(session, &n) && n &&
	       gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}

void tls_free(void)
{
	pthread_mutex_lock(&lock);
	while (current) {
		struct tls_creds *older = current->older;
		creds_free(current);
		current = older;
	}
	pthread_mutex_unlock(&lock);
}
