/* Idempotency keys: syntax, record names and fingerprints. */
#include "idempotency.h"

#include <stdio.h>
#include <string.h>

#include "../core/hex.h"
#include "../core/sha256.h"

static bool visible(const char *s, size_t len, bool quoted)
{
    if (len == 0 || len > TAPI_IDEMPOTENCY_KEY_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || (quoted && (c == '"' || c == '\\'))) return false;
    }
    return true;
}

tapi_err tapi_idempotency_key_parse(const char *value, char out[TAPI_IDEMPOTENCY_KEY_MAX + 1])
{
    size_t len = strlen(value);
    bool quoted = len >= 2 && value[0] == '"' && value[len - 1] == '"';
    const char *key = quoted ? value + 1 : value;
    size_t key_len = quoted ? len - 2 : len;
    if (!visible(key, key_len, quoted)) return TAPI_EINVAL;
    memcpy(out, key, key_len);
    out[key_len] = '\0';
    return TAPI_OK;
}

void tapi_idempotency_prepare(const uint8_t token_key[TAPI_TOKEN_KEY_BYTES], const char *owner,
                              const char *key, const tapi_task *task, int64_t now_s,
                              tapi_idempotency *out)
{
    uint8_t digest[TAPI_SHA256_BYTES];
    /* name: HMAC(token key, owner "\n" "POST /tasks" "\n" key) */
    char scope[TAPI_OWNER_KEY_LEN + 16 + TAPI_IDEMPOTENCY_KEY_MAX + 2];
    size_t n = 0, owner_len = strlen(owner), key_len = strlen(key);
    memcpy(scope + n, owner, owner_len);
    n += owner_len;
    memcpy(scope + n, "\nPOST /tasks\n", 13);
    n += 13;
    memcpy(scope + n, key, key_len);
    n += key_len;
    tapi_hmac_sha256(token_key, TAPI_TOKEN_KEY_BYTES, scope, n, digest);
    tapi_hex_encode(digest, 32, out->key_id);
    /* fingerprint: the validated input, NUL-separated (no field can hold a NUL) */
    const char *status = tapi_status_name(task->status);
    const tapi_bytes input[] = {{task->title, strlen(task->title) + 1},
                                {task->description, strlen(task->description) + 1},
                                {status, strlen(status)}};
    if (tapi_sha256(input, 3, digest))
        tapi_hex_encode(digest, 32, out->fingerprint);
    else /* out of memory: a fingerprint no request has, so nothing is wrongly replayed */
        snprintf(out->fingerprint, sizeof out->fingerprint, "unavailable");
    out->now_s = now_s;
    out->window_s = TAPI_IDEMPOTENCY_WINDOW_S;
}
