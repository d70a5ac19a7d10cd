/* Token layout (77 bytes before base64url): version 0x02, createdAt (24 bytes),
 * id (36 bytes), first 16 bytes of HMAC-SHA256(key, everything before it + the list's
 * status filter (one byte) + owner). Filter and owner are authenticated but not carried:
 * a token is good for the one list it was made for. (Version 1 tokens, from before the
 * filter, are refused: a client starts its list again.) */
#include "page_token.h"

#include <stdbool.h>

#include <openssl/crypto.h>
#include <string.h>

#include "owner.h"
#include "sha256.h"
#include "timestamp.h"
#include "uuid.h"

enum {
    VERSION = 2,
    MAC_BYTES = 16,
    PAYLOAD_BYTES = 1 + TAPI_TIMESTAMP_LEN + TAPI_ID_LEN,
    RAW_BYTES = PAYLOAD_BYTES + MAC_BYTES,
    TEXT_LEN = (RAW_BYTES * 4 + 2) / 3, /* unpadded base64 */
};

_Static_assert((int)TEXT_LEN < (int)TAPI_TOKEN_TEXT_MAX, "token buffer too small");

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* False when the HMAC could not be computed (no memory): no MAC is then usable. */
static bool mac(const uint8_t key[TAPI_TOKEN_KEY_BYTES], const uint8_t *data, size_t len,
                unsigned filter, const char *owner, uint8_t out[MAC_BYTES])
{
    uint8_t msg[PAYLOAD_BYTES + 1 + TAPI_OWNER_KEY_LEN];
    size_t owner_len = owner && !tapi_owner_is_shared(owner) ? strlen(owner) : 0;
    if (owner_len > TAPI_OWNER_KEY_LEN) owner_len = TAPI_OWNER_KEY_LEN; /* keys are fixed-size */
    memcpy(msg, data, len);
    msg[len] = (uint8_t)filter;
    if (owner_len) memcpy(msg + len + 1, owner, owner_len);
    uint8_t full[TAPI_SHA256_BYTES];
    if (!tapi_hmac_sha256(key, TAPI_TOKEN_KEY_BYTES, msg, len + 1 + owner_len, full)) return false;
    memcpy(out, full, MAC_BYTES);
    return true;
}

static void b64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < len) out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < len) out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decodes exactly TEXT_LEN characters into RAW_BYTES bytes. */
static tapi_err b64_decode(const char *text, uint8_t out[RAW_BYTES])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < TEXT_LEN; i++) {
        int v = b64_value(text[i]);
        if (v < 0) return TAPI_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < RAW_BYTES) out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* leftover bits must be zero, so that each token has exactly one spelling */
    return (o == RAW_BYTES && acc == 0) ? TAPI_OK : TAPI_EINVAL;
}

tapi_err tapi_page_token_encode(const uint8_t key[TAPI_TOKEN_KEY_BYTES], const char *owner,
                                unsigned filter, const tapi_cursor *cursor,
                                char out[TAPI_TOKEN_TEXT_MAX])
{
    out[0] = '\0';
    uint8_t raw[RAW_BYTES];
    raw[0] = VERSION;
    memcpy(raw + 1, cursor->created_at, TAPI_TIMESTAMP_LEN);
    memcpy(raw + 1 + TAPI_TIMESTAMP_LEN, cursor->id, TAPI_ID_LEN);
    if (!mac(key, raw, PAYLOAD_BYTES, filter, owner, raw + PAYLOAD_BYTES)) return TAPI_EUNAVAILABLE;
    b64_encode(raw, RAW_BYTES, out);
    return TAPI_OK;
}

tapi_err tapi_page_token_decode(const uint8_t key[TAPI_TOKEN_KEY_BYTES], const char *owner,
                                unsigned filter, const char *text, size_t len,
                                tapi_cursor *out)
{
    uint8_t raw[RAW_BYTES];
    if (len != TEXT_LEN || b64_decode(text, raw) != TAPI_OK) return TAPI_EINVAL;
    uint8_t expect[MAC_BYTES];
    if (!mac(key, raw, PAYLOAD_BYTES, filter, owner, expect)) return TAPI_EUNAVAILABLE;
    if (CRYPTO_memcmp(expect, raw + PAYLOAD_BYTES, MAC_BYTES) != 0) return TAPI_EINVAL;
    const char *ts = (const char *)raw + 1;
    const char *id = ts + TAPI_TIMESTAMP_LEN;
    /* authentic tokens always pass these; they guard against a leaked key */
    if (raw[0] != VERSION || !tapi_timestamp_valid(ts, TAPI_TIMESTAMP_LEN) ||
        !tapi_uuid_valid(id, TAPI_ID_LEN))
        return TAPI_EINVAL;
    memcpy(out->created_at, ts, TAPI_TIMESTAMP_LEN);
    out->created_at[TAPI_TIMESTAMP_LEN] = '\0';
    memcpy(out->id, id, TAPI_ID_LEN);
    out->id[TAPI_ID_LEN] = '\0';
    return TAPI_OK;
}
