/* digest: streamed digests with OpenSSL EVP; see digest.h. */
#include "core/digest.h"
#include "core/util.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct digest {
	EVP_MD_CTX *md;
};

struct digest *digest_new(enum sums_algo algo)
{
	struct digest *d = xcalloc(1, sizeof(*d));

	d->md = EVP_MD_CTX_new();
	if (!d->md || !EVP_DigestInit_ex(d->md, algo == SUMS_SHA512 ? EVP_sha512() : EVP_sha256(), NULL))
		oom();
	return d;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->md, data, len);
}

void digest_hex(struct digest *d, char out[SUMS_MAX_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->md, md, &n);
	for (unsigned i = 0; i < n && 2 * i < SUMS_MAX_HEX; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * (n < SUMS_MAX_HEX / 2 ? n : SUMS_MAX_HEX / 2)] = '\0';
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md);
	free(d);
}
