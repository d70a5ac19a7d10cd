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

/* A header value as SigV4 canonicalises it: outer whitespace trimmed, inner runs of
 * spaces folded to one. */
static void put_canonical_value(tapi_buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' && i > 0 && v[i - 1] == ' ') continue;
        tapi_buf_append(b, &v[i], 1);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const tapi_sigv4_header *)a)->name, ((const tapi_sigv4_header *)b)->name);
}

tapi_err tapi_sigv4_sign(tapi_sigv4 *s, const char *method, const char *path, const char *query,
                         const tapi_sigv4_header *headers, size_t count, const void *payload,
                         size_t payload_len, const char *amz_date,
                         char authorization[TAPI_SIGV4_AUTH_MAX])
{
    if (count == 0 || count > TAPI_SIGV4_MAX_HEADERS || strlen(amz_date) != 16) return TAPI_EINVAL;
    tapi_sigv4_header sorted[TAPI_SIGV4_MAX_HEADERS];
    memcpy(sorted, headers, count * sizeof *headers);
    qsort(sorted, count, sizeof *sorted, by_name);
    uint8_t digest[TAPI_SHA256_BYTES];
    char payload_hex[2 * TAPI_SHA256_BYTES + 1], request_hex[2 * TAPI_SHA256_BYTES + 1];
    if (!tapi_sha256(&(tapi_bytes){payload, payload_len}, 1, digest)) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(digest, sizeof digest, payload_hex);
    /* canonical request; the signed-header list is built beside it */
    tapi_buf b, names;
    tapi_buf_init(&b);
    tapi_buf_init(&names);
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
        if (i) tapi_buf_append(&names, ";", 1);
        tapi_buf_puts(&names, sorted[i].name);
    }
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_append(&b, names.data ? names.data : "", names.len);
    tapi_buf_append(&b, "\n", 1);
    tapi_buf_puts(&b, payload_hex);
    char *canonical = NULL, *signed_names = NULL;
    size_t canonical_len = 0, names_len = 0;
    tapi_err err = tapi_buf_take(&b, &canonical, &canonical_len);
    tapi_err err2 = tapi_buf_take(&names, &signed_names, &names_len);
    if (err != TAPI_OK || err2 != TAPI_OK) {
        free(canonical);
        free(signed_names);
        return TAPI_ENOMEM;
    }
    bool hashed = tapi_sha256(&(tapi_bytes){canonical, canonical_len}, 1, digest);
    free(canonical);
    if (!hashed) {
        free(signed_names);
        return TAPI_EUNAVAILABLE;
    }
    tapi_hex_encode(digest, sizeof digest, request_hex);
    char scope[160], to_sign[320];
    snprintf(scope, sizeof scope, "%.8s/%s/%s/aws4_request", amz_date, s->region, s->service);
    int n = snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope,
                     request_hex);
    uint8_t key[TAPI_SHA256_BYTES];
    hashed = signing_key(s, amz_date, key) &&
             tapi_hmac_sha256(key, sizeof key, to_sign, (size_t)n, digest);
    OPENSSL_cleanse(key, sizeof key);
    if (!hashed) {
        free(signed_names);
        return TAPI_EUNAVAILABLE;
    }
    char signature[2 * TAPI_SHA256_BYTES + 1];
    tapi_hex_encode(digest, sizeof digest, signature);
    n = snprintf(authorization, TAPI_SIGV4_AUTH_MAX,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 s->access_key, scope, signed_names, signature);
    free(signed_names);
    return n > 0 && n < TAPI_SIGV4_AUTH_MAX ? TAPI_OK : TAPI_EINVAL;
}
