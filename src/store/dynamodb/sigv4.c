/* SigV4 signing: the canonical request, the string to sign, and a signing key cached per
 * day. Only what the DynamoDB client needs (a request whose path and query are already
 * canonical); checked against the published AWS SigV4 test-suite cases that fit that
 * shape and, in make test, against botocore on real requests. */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/hex.h"
#include "../../core/json_writer.h"
#include "../../core/sha256.h"

enum { FIELD_MAX = 256 };

struct tapi_sigv4 {
    char access_key[FIELD_MAX];
    char region[64];
    char service[64];
    char secret_key[FIELD_MAX + 4]; /* "AWS4" + secret: the first HMAC's key */
    pthread_mutex_t mu;
    char key_date[9]; /* YYYYMMDD of the cached key; "" before the first request */
    uint8_t signing_key[TAPI_SHA256_BYTES];
};

tapi_err tapi_sigv4_new(const char *access_key, const char *secret, const char *region,
                        const char *service, tapi_sigv4 **out)
{
    *out = NULL;
    if (!*access_key || !*secret || !*region || !*service || strlen(access_key) >= FIELD_MAX ||
        strlen(secret) >= FIELD_MAX || strlen(region) >= 64 || strlen(service) >= 64)
        return TAPI_EINVAL;
    tapi_sigv4 *s = calloc(1, sizeof *s);
    if (!s) return TAPI_ENOMEM;
    snprintf(s->access_key, sizeof s->access_key, "%s", access_key);
    snprintf(s->region, sizeof s->region, "%s", region);
    snprintf(s->service, sizeof s->service, "%s", service);
    snprintf(s->secret_key, sizeof s->secret_key, "AWS4%s", secret);
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return TAPI_OK;
}

void tapi_sigv4_free(tapi_sigv4 *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->mu);
    OPENSSL_cleanse(s, sizeof *s); /* the secret and the signing key */
    free(s);
}

/* The signing key of date (YYYYMMDD), derived at most once a day. False when an HMAC
 * failed: nothing is kept then, so a failure is never cached as the day's key. */
static bool signing_key(tapi_sigv4 *s, const char *date, uint8_t out[TAPI_SHA256_BYTES])
{
    bool ok = true;
    pthread_mutex_lock(&s->mu);
    if (strncmp(s->key_date, date, 8) != 0) {
        uint8_t k[TAPI_SHA256_BYTES];
        ok = tapi_hmac_sha256((const uint8_t *)s->secret_key, strlen(s->secret_key), date, 8, k) &&
             tapi_hmac_sha256(k, sizeof k, s->region, strlen(s->region), k) &&
             tapi_hmac_sha256(k, sizeof k, s->service, strlen(s->service), k) &&
             tapi_hmac_sha256(k, sizeof k, "aws4_request", 12, s->signing_key);
        if (ok) {
            memcpy(s->key_date, date, 8);
            s->key_date[8] = '\0';
        } else {
            s->key_date[0] = '\0';
        }
        OPENSSL_cleanse(k, sizeof k);
    }
    if (ok) memcpy(out, s->signing_key, TAPI_SHA256_BYTES);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* Appends a header value as SigV4 canonicalises it: outer whitespace trimmed, inner runs
 * of spaces folded to one; a run at a time, not a byte at a time. */
static void put_canonical_value(tapi_buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    const char *p = v, *end = v + n;
    while (p < end) {
        const char *q = p;
        while (q < end && !(*q == ' ' && q > v && q[-1] == ' ')) q++;
        tapi_buf_append(b, p, (size_t)(q - p));
        while (q < end && *q == ' ') q++; /* the rest of a run of spaces */
        p = q;
    }
}

/* Appends n bytes of s to out[0..cap) at *len, keeping it NUL-terminated; false (and out
 * unchanged) if they do not fit. The fixed strings below are assembled with it instead of
 * snprintf, whose format parsing cost more than the copying. */
static bool cat(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (n >= cap - *len) return false;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

static bool cats(char *out, size_t cap, size_t *len, const char *s)
{
    return cat(out, cap, len, s, strlen(s));
}

tapi_err tapi_sigv4_sign(tapi_sigv4 *s, const char *method, const char *path, const char *query,
                         const tapi_sigv4_header *headers, size_t count, const void *payload,
                         size_t payload_len, const char *amz_date,
                         char authorization[TAPI_SIGV4_AUTH_MAX])
{
    if (count == 0 || count > TAPI_SIGV4_MAX_HEADERS || strlen(amz_date) != 16) return TAPI_EINVAL;
    /* a handful of headers: an insertion sort by name */
    tapi_sigv4_header sorted[TAPI_SIGV4_MAX_HEADERS];
    size_t room = strlen(method) + strlen(path) + strlen(query) + 2 * TAPI_SHA256_BYTES + 8;
    for (size_t i = 0; i < count; i++) {
        size_t j = i;
        for (; j > 0 && strcmp(sorted[j - 1].name, headers[i].name) > 0; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = headers[i];
        room += 2 * strlen(headers[i].name) + strlen(headers[i].value) + 3;
    }
    uint8_t digest[TAPI_SHA256_BYTES];
    char payload_hex[2 * TAPI_SHA256_BYTES + 1], request_hex[2 * TAPI_SHA256_BYTES + 1];
    if (!tapi_sha256(&(tapi_bytes){payload, payload_len}, 1, digest)) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(digest, sizeof digest, payload_hex);
    /* the signed-header list, then the canonical request (one allocation, sized above) */
    char names[TAPI_SIGV4_AUTH_MAX];
    size_t names_len = 0;
    names[0] = '\0';
    for (size_t i = 0; i < count; i++)
        if ((i && !cat(names, sizeof names, &names_len, ";", 1)) ||
            !cats(names, sizeof names, &names_len, sorted[i].name))
            return TAPI_EINVAL;
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_buf_reserve(&b, room);
    tapi_buf_puts(&b, method);
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_puts(&b, path);
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_puts(&b, query);
    tapi_buf_append(&b, "\n", 1);
    for (size_t i = 0; i < count; i++) {
        tapi_buf_puts(&b, sorted[i].name);
        tapi_buf_append(&b, ":", 1);
        put_canonical_value(&b, sorted[i].value);
        tapi_buf_append(&b, "\n", 1);
    }
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_append(&b, names, names_len);
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_append(&b, payload_hex, 2 * TAPI_SHA256_BYTES);
    if (b.failed) {
        tapi_buf_free(&b);
        return TAPI_ENOMEM;
    }
    bool hashed = tapi_sha256(&(tapi_bytes){b.data, b.len}, 1, digest);
    tapi_buf_free(&b);
    if (!hashed) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(digest, sizeof digest, request_hex);
    /* scope: date/region/service/aws4_request (at most 149 bytes: the parts are bounded) */
    char scope[160], to_sign[320];
    size_t scope_len = 0, sign_len = 0;
    bool fits = cat(scope, sizeof scope, &scope_len, amz_date, 8) &&
                cat(scope, sizeof scope, &scope_len, "/", 1) &&
                cats(scope, sizeof scope, &scope_len, s->region) &&
                cat(scope, sizeof scope, &scope_len, "/", 1) &&
                cats(scope, sizeof scope, &scope_len, s->service) &&
                cats(scope, sizeof scope, &scope_len, "/aws4_request") &&
                cats(to_sign, sizeof to_sign, &sign_len, "AWS4-HMAC-SHA256\n") &&
                cat(to_sign, sizeof to_sign, &sign_len, amz_date, 16) &&
                cat(to_sign, sizeof to_sign, &sign_len, "\n", 1) &&
                cat(to_sign, sizeof to_sign, &sign_len, scope, scope_len) &&
                cat(to_sign, sizeof to_sign, &sign_len, "\n", 1) &&
                cat(to_sign, sizeof to_sign, &sign_len, request_hex, 2 * TAPI_SHA256_BYTES);
    if (!fits) return TAPI_EINVAL;
    uint8_t key[TAPI_SHA256_BYTES];
    hashed = signing_key(s, amz_date, key) &&
             tapi_hmac_sha256(key, sizeof key, to_sign, sign_len, digest);
    OPENSSL_cleanse(key, sizeof key);
    if (!hashed) return TAPI_EUNAVAILABLE;
    char signature[2 * TAPI_SHA256_BYTES + 1];
    tapi_hex_encode(digest, sizeof digest, signature);
    size_t n = 0;
    authorization[0] = '\0';
    fits = cats(authorization, TAPI_SIGV4_AUTH_MAX, &n, "AWS4-HMAC-SHA256 Credential=") &&
           cats(authorization, TAPI_SIGV4_AUTH_MAX, &n, s->access_key) &&
           cat(authorization, TAPI_SIGV4_AUTH_MAX, &n, "/", 1) &&
           cat(authorization, TAPI_SIGV4_AUTH_MAX, &n, scope, scope_len) &&
           cats(authorization, TAPI_SIGV4_AUTH_MAX, &n, ", SignedHeaders=") &&
           cat(authorization, TAPI_SIGV4_AUTH_MAX, &n, names, names_len) &&
           cats(authorization, TAPI_SIGV4_AUTH_MAX, &n, ", Signature=") &&
           cat(authorization, TAPI_SIGV4_AUTH_MAX, &n, signature, 2 * TAPI_SHA256_BYTES);
    return fits ? TAPI_OK : TAPI_EINVAL;
}
