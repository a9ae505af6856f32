/* tls: the proxy's TLS listener's certificate, replaced on SIGHUP without
 * dropping open connections, and its clients' certificates (see tls.c). */
#ifndef SCS_TLS_H
#define SCS_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stddef.h>

/* Load the PEM certificate chain and key; new handshakes use them from
 * now on. 0, or -1 with err (the ones in use stay). */
int tls_load(const char *cert, const char *key, char *err, size_t errlen);
/* GnuTLS's certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK). */
int tls_pick(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
	     const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
	     unsigned int *pcert_length, gnutls_privkey_t *privkey);
/* The client presented a certificate the configured client CA signed. */
int tls_client_verified(gnutls_session_t session);
/* At stop: every loaded certificate and key. */
void tls_free(void);

#endif
