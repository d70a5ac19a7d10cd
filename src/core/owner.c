/* Owner keys: hashing keeps the key short and fixed-size (it is part of every list
 * partition key in DynamoDB) and carries no control or separator characters. */
#include "owner.h"

#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "sha256.h"

static bool printable(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max) return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

tapi_err tapi_owner_from_identity(const char *iss, size_t iss_len, const char *sub,
                                  size_t sub_len, tapi_owner *out)
{
    if (!printable(iss, iss_len, TAPI_OWNER_MAX_ISSUER) ||
        !printable(sub, sub_len, TAPI_OWNER_MAX_SUBJECT))
        return TAPI_EINVAL;
    char text[TAPI_OWNER_MAX_ISSUER + 1 + TAPI_OWNER_MAX_SUBJECT];
    memcpy(text, iss, iss_len);
    text[iss_len] = '\n';
    memcpy(text + iss_len + 1, sub, sub_len);
    uint8_t digest[TAPI_SHA256_BYTES];
    if (!tapi_sha256(&(tapi_bytes){text, iss_len + 1 + sub_len}, 1, digest)) return TAPI_ENOMEM;
    out->key[0] = 'u';
    tapi_hex_encode(digest, (TAPI_OWNER_KEY_LEN - 1) / 2, out->key + 1);
    return TAPI_OK;
}

void tapi_owner_shared(tapi_owner *out)
{
    snprintf(out->key, sizeof out->key, "%s", TAPI_OWNER_SHARED);
}

bool tapi_owner_is_shared(const char *key)
{
    return strcmp(key, TAPI_OWNER_SHARED) == 0;
}
