/* Idempotency keys: syntax, record names and fingerprints. */
#include "idempotency.h"

#include <stdio.h>
#include <string.h>

#include "../core/hex.h"
#include "../core/sha256.h"

/* An RFC 8941 sf-string ("..." of printable ASCII, space included, where only \" and \\
 * are escapes) unescaped into out; false when value is not exactly one. */
static bool sf_string(const char *value, char out[TAPI_IDEMPOTENCY_KEY_MAX + 1])
{
    size_t n = 0;
    const char *p = value + 1;
    for (; *p && *p != '"'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            c = (unsigned char)*++p;
            if (c != '"' && c != '\\') return false;
        } else if (c < 0x20 || c > 0x7e) {
            return false;
        }
        if (n == TAPI_IDEMPOTENCY_KEY_MAX) return false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return *p == '"' && p[1] == '\0' && n > 0;
}

tapi_err tapi_idempotency_key_parse(const char *value, char out[TAPI_IDEMPOTENCY_KEY_MAX + 1])
{
    if (value[0] == '"') return sf_string(value, out) ? TAPI_OK : TAPI_EINVAL;
    /* a bare key, as many clients send: visible ASCII without the string's delimiters */
    size_t len = strlen(value);
    if (len == 0 || len > TAPI_IDEMPOTENCY_KEY_MAX) return TAPI_EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return TAPI_EINVAL;
    }
    memcpy(out, value, len + 1);
    return TAPI_OK;
}

tapi_err tapi_idempotency_window_parse(const char *text, int64_t *out)
{
    *out = TAPI_IDEMPOTENCY_WINDOW_S;
    if (!text || !*text) return TAPI_OK;
    int64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9' || v > TAPI_IDEMPOTENCY_WINDOW_MAX_S) return TAPI_EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > TAPI_IDEMPOTENCY_WINDOW_MAX_S) return TAPI_EINVAL;
    *out = v;
    return TAPI_OK;
}

tapi_err tapi_idempotency_prepare(const char *owner, const char *key, const tapi_task *task,
                                  int64_t now_s, int64_t window_s, tapi_idempotency *out)
{
    uint8_t digest[TAPI_SHA256_BYTES];
    memset(out, 0, sizeof *out);
    /* name: SHA-256("tasks-api idempotency\n" owner "\n" "POST /tasks" "\n" key); the
     * key is visible ASCII, so the parts cannot run into each other */
    static const char domain[] = "tasks-api idempotency\n";
    const tapi_bytes scope[] = {{domain, sizeof domain - 1}, {owner, strlen(owner)},
                                {"\nPOST /tasks\n", 13}, {key, strlen(key)}};
    if (!tapi_sha256(scope, 4, digest)) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(digest, 32, out->key_id);
    /* fingerprint: the validated input, NUL-separated (no field can hold a NUL) */
    const char *status = tapi_status_name(task->status);
    const tapi_bytes input[] = {{task->title, strlen(task->title) + 1},
                                {task->description, strlen(task->description) + 1},
                                {status, strlen(status)}};
    if (!tapi_sha256(input, 3, digest)) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(digest, 32, out->fingerprint);
    out->now_s = now_s;
    out->window_s = window_s;
    return TAPI_OK;
}
