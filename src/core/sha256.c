/* One fetched SHA-256 for every digest and HMAC; see sha256.h. The fetched algorithm is
 * set once (pthread_once) and never changes: a constant the process looks up lazily,
 * like OpenSSL's own EVP_sha256(). HMAC is built here on it (RFC 2104) because OpenSSL's
 * HMAC() fetches both the MAC and the digest on every call. */
#include "sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

enum { BLOCK = 64 };

static EVP_MD *fetched;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&fetch_once, fetch);
    return fetched;
}

static bool digest_into(EVP_MD_CTX *ctx, const tapi_bytes *parts, size_t n, uint8_t *out)
{
    const EVP_MD *md = sha256_md();
    if (!md || EVP_DigestInit_ex(ctx, md, NULL) != 1) return false;
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1) return false;
    return EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

bool tapi_sha256(const tapi_bytes *parts, size_t n, uint8_t out[TAPI_SHA256_BYTES])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && digest_into(ctx, parts, n, out);
    EVP_MD_CTX_free(ctx);
    if (!ok) memset(out, 0, TAPI_SHA256_BYTES);
    return ok;
}

bool tapi_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t out[TAPI_SHA256_BYTES])
{
    uint8_t k[BLOCK] = {0}, pad[BLOCK], inner[TAPI_SHA256_BYTES];
    bool ok = true;
    if (key_len > BLOCK)
        ok = tapi_sha256(&(tapi_bytes){key, key_len}, 1, k);
    else if (key_len)
        memcpy(k, key, key_len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    for (size_t i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
    ok = ok && ctx && digest_into(ctx, (tapi_bytes[]){{pad, BLOCK}, {data, len}}, 2, inner);
    for (size_t i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
    ok = ok && digest_into(ctx, (tapi_bytes[]){{pad, BLOCK}, {inner, sizeof inner}}, 2, out);
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    if (!ok) memset(out, 0, TAPI_SHA256_BYTES);
    return ok;
}
