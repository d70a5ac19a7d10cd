/* SHA-256 and HMAC-SHA256 for the whole project, through one SHA-256 implementation
 * fetched from OpenSSL once per process. OpenSSL 3's one-shot SHA256() and HMAC() look
 * the algorithm up in its provider tables again on every call (its "implicit fetch"),
 * which cost more than the hashing of a whole DynamoDB request. */
#ifndef TAPI_SHA256_H
#define TAPI_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TAPI_SHA256_BYTES = 32 };

typedef struct tapi_bytes {
    const void *data;
    size_t len;
} tapi_bytes;

/* The digest of the n parts one after another. False only when OpenSSL fails (no
 * memory); out is then all zero. */
bool tapi_sha256(const tapi_bytes *parts, size_t n, uint8_t out[TAPI_SHA256_BYTES]);

/* HMAC-SHA256 (RFC 2104) of data under key. False as tapi_sha256. */
bool tapi_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t out[TAPI_SHA256_BYTES]);

#endif
