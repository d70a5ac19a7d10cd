/* AWS Signature Version 4 (the Authorization header of a signed request), as the
 * DynamoDB client needs it. The signing key (four chained HMACs of the secret, the date,
 * the region and the service) is derived once per UTC day and kept, as the AWS SDKs do, so
 * a request costs two SHA-256 and one HMAC instead of five HMACs. */
#ifndef TAPI_SIGV4_H
#define TAPI_SIGV4_H

#include <stddef.h>

#include "../../core/errors.h"

typedef struct tapi_sigv4 tapi_sigv4;

/* One header to sign: name in lower case, value as sent (canonicalised here: trimmed,
 * runs of spaces folded). */
typedef struct tapi_sigv4_header {
    const char *name;
    const char *value;
} tapi_sigv4_header;

enum {
    TAPI_SIGV4_AUTH_MAX = 512, /* Authorization values are shorter */
    TAPI_SIGV4_MAX_HEADERS = 16,
};

/* Makes a signer for (access key, secret, region, service); the caller may wipe secret
 * afterwards. Release with tapi_sigv4_free. TAPI_ENOMEM or TAPI_EINVAL (empty or over-long
 * parts). */
tapi_err tapi_sigv4_new(const char *access_key, const char *secret, const char *region,
                        const char *service, tapi_sigv4 **out);
void tapi_sigv4_free(tapi_sigv4 *s);

/* Signs a request and writes the Authorization header's value into authorization.
 * amz_date is "YYYYMMDDTHHMMSSZ" and must also be among headers as x-amz-date; path and
 * query are in canonical form already ("/" and "" for DynamoDB); every header given is
 * signed. Thread-safe. TAPI_EUNAVAILABLE when hashing fails (nothing is signed, and no
 * signing key is kept from the failure). */
tapi_err tapi_sigv4_sign(tapi_sigv4 *s, const char *method, const char *path, const char *query,
                         const tapi_sigv4_header *headers, size_t count, const void *payload,
                         size_t payload_len, const char *amz_date,
                         char authorization[TAPI_SIGV4_AUTH_MAX]);

#endif
