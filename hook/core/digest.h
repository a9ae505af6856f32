/* digest: a streamed sha256/sha512 of image data (OpenSSL EVP), as hex
 * that compares with a vendor's list and Glance's os_hash_value. Pure:
 * the caller feeds the bytes. */
#ifndef SCS_DIGEST_H
#define SCS_DIGEST_H

#include <stddef.h>

#include "core/sums.h"

struct digest;

struct digest *digest_new(enum sums_algo algo);     /* aborts when out of memory */
void digest_update(struct digest *d, const void *data, size_t len);
/* The lowercase hex of everything fed; d is done with after this. */
void digest_hex(struct digest *d, char out[SUMS_MAX_HEX + 1]);
void digest_free(struct digest *d);

#endif
