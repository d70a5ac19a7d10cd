/* JWT verification with cjose (Debian's libcjose, the JOSE library under Apache's
 * mod_auth_openidc): it imports JWKs as published, so no key conversion is ours, and
 * verifies with OpenSSL. What is ours is policy, checked in this order:
 * - the algorithm is pinned to RS256 before any key is touched, so "none" and HS256
 *   signed with the public key as an HMAC secret (algorithm confusion) never verify;
 * - the key is the one named by "kid" (no trying every key), RSA, at least 2048 bits;
 * - "crit" extensions are refused (we understand none);
 * - claims: iss exact, the audience as Cognito's authorizer accepts it (ID tokens: "aud";
 *   access tokens, token_use "access": "client_id"), exp required, nbf and iat honoured,
 *   each with TAPI_JWT_LEEWAY_S of clock skew, and a non-empty sub.
 * A client sends the same token for an hour, and a full verification costs ~50 µs (RSA
 * is half of it, JSON and base64 the rest), so tokens that passed are remembered by
 * their SHA-256 in a small direct-mapped cache with the window in which they are valid:
 * a hit costs one hash. Only successes are cached, and a hit still checks the time. */
#include "jwt_auth.h"

#include <cjose/cjose.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/log.h"
#include "../core/sha256.h"

typedef struct jwt_key {
    char *kid;
    cjose_jwk_t *jwk;
} jwt_key;

enum { CACHE_SLOTS = 2048, CACHE_STRIPES = 16 };

typedef struct cached_token {
    uint8_t digest[TAPI_SHA256_BYTES]; /* of the token; all zero: empty slot */
    int64_t valid_from;                   /* Unix seconds, leeway applied */
    int64_t valid_until;
    tapi_owner owner;
} cached_token;

struct tapi_jwt_verifier {
    char *issuer;
    char *audience;
    jwt_key *keys;
    size_t key_count;
    pthread_mutex_t stripe[CACHE_STRIPES]; /* slot i is guarded by stripe[i % CACHE_STRIPES] */
    cached_token cache[CACHE_SLOTS];
};

void tapi_jwt_verifier_close(tapi_jwt_verifier *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->key_count; i++) {
        free(v->keys[i].kid);
        cjose_jwk_release(v->keys[i].jwk);
    }
    free(v->keys);
    free(v->issuer);
    free(v->audience);
    for (int i = 0; i < CACHE_STRIPES; i++) pthread_mutex_destroy(&v->stripe[i]);
    free(v);
}

size_t tapi_jwt_key_count(const tapi_jwt_verifier *v) { return v->key_count; }

static const char *json_str(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Adds one JWK of the set if it is an RSA signing key we can use; false when skipped. */
static bool add_key(tapi_jwt_verifier *v, json_t *jwk_json)
{
    const char *kty = json_str(jwk_json, "kty"), *kid = json_str(jwk_json, "kid"),
               *use = json_str(jwk_json, "use"), *alg = json_str(jwk_json, "alg");
    if (!kty || strcmp(kty, "RSA") != 0 || !kid || !*kid || strlen(kid) > 256) return false;
    if ((use && strcmp(use, "sig") != 0) || (alg && strcmp(alg, "RS256") != 0)) return false;
    if (json_object_get(jwk_json, "d")) return false; /* a private key has no place here */
    cjose_err err;
    cjose_jwk_t *jwk = cjose_jwk_import_json((cjose_header_t *)jwk_json, &err);
    if (!jwk) return false;
    if (cjose_jwk_get_keysize(jwk, &err) < TAPI_JWT_MIN_RSA_BITS) {
        cjose_jwk_release(jwk);
        return false;
    }
    char *kid_copy = strdup(kid);
    if (!kid_copy) {
        cjose_jwk_release(jwk);
        return false;
    }
    v->keys[v->key_count++] = (jwt_key){.kid = kid_copy, .jwk = jwk};
    return true;
}

static tapi_err load_jwks(tapi_jwt_verifier *v, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "cannot read the JWKS file %s: %s", path, strerror(errno));
        return TAPI_ECONFIG;
    }
    char *text = malloc(TAPI_JWT_MAX_JWKS_BYTES + 1);
    size_t len = text ? fread(text, 1, TAPI_JWT_MAX_JWKS_BYTES + 1, f) : 0;
    fclose(f);
    if (!text) return TAPI_ENOMEM;
    if (len > TAPI_JWT_MAX_JWKS_BYTES) {
        free(text);
        snprintf(errbuf, errlen, "the JWKS file %s is larger than %d bytes", path,
                 TAPI_JWT_MAX_JWKS_BYTES);
        return TAPI_ECONFIG;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        json_decref(root);
        snprintf(errbuf, errlen, "the JWKS file %s is not a JSON Web Key Set ({\"keys\": [...]})",
                 path);
        return TAPI_ECONFIG;
    }
    size_t n = json_array_size(keys);
    if (n > TAPI_JWT_MAX_KEYS) n = TAPI_JWT_MAX_KEYS;
    v->keys = calloc(n ? n : 1, sizeof *v->keys);
    if (!v->keys) {
        json_decref(root);
        return TAPI_ENOMEM;
    }
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++)
        if (!add_key(v, json_array_get(keys, i))) skipped++;
    json_decref(root);
    if (skipped)
        tapi_log(TAPI_LOG_WARN, "JWKS %s: skipped %zu key(s) that are not RSA signing keys of "
                 "at least %d bits with a kid", path, skipped, TAPI_JWT_MIN_RSA_BITS);
    if (v->key_count == 0) {
        snprintf(errbuf, errlen, "the JWKS file %s holds no usable key (RSA, RS256, kid, >= %d "
                 "bits)", path, TAPI_JWT_MIN_RSA_BITS);
        return TAPI_ECONFIG;
    }
    return TAPI_OK;
}

tapi_err tapi_jwt_verifier_open(const tapi_jwt_config *cfg, tapi_jwt_verifier **out,
                                char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!cfg->jwks_path || !*cfg->jwks_path || !cfg->issuer || !*cfg->issuer ||
        !cfg->audience || !*cfg->audience) {
        snprintf(errbuf, errlen, "authentication needs a JWKS file, an issuer and an audience");
        return TAPI_ECONFIG;
    }
    if (strlen(cfg->issuer) > TAPI_OWNER_MAX_ISSUER) {
        snprintf(errbuf, errlen, "the issuer is longer than %d bytes", TAPI_OWNER_MAX_ISSUER);
        return TAPI_ECONFIG;
    }
    tapi_jwt_verifier *v = calloc(1, sizeof *v);
    if (!v) return TAPI_ENOMEM;
    for (int i = 0; i < CACHE_STRIPES; i++) pthread_mutex_init(&v->stripe[i], NULL);
    v->issuer = strdup(cfg->issuer);
    v->audience = strdup(cfg->audience);
    tapi_err err = v->issuer && v->audience ? load_jwks(v, cfg->jwks_path, errbuf, errlen)
                                            : TAPI_ENOMEM;
    if (err != TAPI_OK) {
        tapi_jwt_verifier_close(v);
        return err;
    }
    *out = v;
    return TAPI_OK;
}

static const cjose_jwk_t *find_key(const tapi_jwt_verifier *v, const char *kid)
{
    for (size_t i = 0; i < v->key_count; i++)
        if (strcmp(v->keys[i].kid, kid) == 0) return v->keys[i].jwk;
    return NULL;
}

/* Extracts the token from "Bearer <token>" (scheme case-insensitive, RFC 6750's
 * b64token syntax for a JWS compact serialisation: base64url parts and dots). */
static tapi_auth_result bearer_token(const char *header, const char **token, size_t *len,
                                     const char **reason)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        *reason = "Authentication required: send Authorization: Bearer <token>.";
        return TAPI_AUTH_MISSING;
    }
    const char *t = header + 7;
    while (*t == ' ') t++;
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ') n--;
    *reason = "The bearer token is malformed.";
    if (n == 0 || n > TAPI_JWT_MAX_TOKEN_BYTES) return TAPI_AUTH_INVALID;
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '.') dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_'))
            return TAPI_AUTH_INVALID;
    }
    if (dots != 2) return TAPI_AUTH_INVALID;
    *token = t;
    *len = n;
    return TAPI_AUTH_OK;
}

/* True if claim is a JSON number (an integer or not) and writes it to *out. */
static bool num_claim(const cJSON *claims, const char *name, double *out)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
    if (!cJSON_IsNumber(c)) return false;
    *out = c->valuedouble;
    return true;
}

static const char *str_claim(const cJSON *claims, const char *name)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

static bool audience_ok(const tapi_jwt_verifier *v, const cJSON *claims, const char **reason)
{
    const char *use = str_claim(claims, "token_use");
    *reason = "The token is not for this API (audience).";
    if (use && strcmp(use, "access") == 0) {
        const char *client = str_claim(claims, "client_id");
        return client && strcmp(client, v->audience) == 0;
    }
    if (use && strcmp(use, "id") != 0) {
        *reason = "The token's token_use is neither id nor access.";
        return false;
    }
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    if (cJSON_IsString(aud)) return strcmp(aud->valuestring, v->audience) == 0;
    const cJSON *a;
    if (cJSON_IsArray(aud))
        cJSON_ArrayForEach(a, aud) if (cJSON_IsString(a) && strcmp(a->valuestring, v->audience) == 0) return true;
    return false;
}

static tapi_auth_result check_claims(const tapi_jwt_verifier *v, const cJSON *claims,
                                     int64_t now_s, tapi_owner *owner, cached_token *window,
                                     const char **reason)
{
    const char *iss = str_claim(claims, "iss"), *sub = str_claim(claims, "sub");
    double exp, t;
    if (!cJSON_IsObject(claims)) {
        *reason = "The token's payload is not a JSON object.";
        return TAPI_AUTH_INVALID;
    }
    if (!iss || strcmp(iss, v->issuer) != 0) {
        *reason = "The token was not issued by the configured issuer.";
        return TAPI_AUTH_INVALID;
    }
    if (!audience_ok(v, claims, reason)) return TAPI_AUTH_INVALID;
    if (!num_claim(claims, "exp", &exp)) {
        *reason = "The token has no expiry (exp).";
        return TAPI_AUTH_INVALID;
    }
    if ((double)now_s > exp + TAPI_JWT_LEEWAY_S) {
        *reason = "The token has expired.";
        return TAPI_AUTH_INVALID;
    }
    window->valid_until = (int64_t)exp + TAPI_JWT_LEEWAY_S;
    window->valid_from = INT64_MIN;
    for (int i = 0; i < 2; i++) {
        if (!num_claim(claims, i ? "iat" : "nbf", &t)) continue;
        if ((double)now_s + TAPI_JWT_LEEWAY_S < t) {
            *reason = "The token is not valid yet.";
            return TAPI_AUTH_INVALID;
        }
        if ((int64_t)t - TAPI_JWT_LEEWAY_S > window->valid_from)
            window->valid_from = (int64_t)t - TAPI_JWT_LEEWAY_S;
    }
    if (!sub || tapi_owner_from_identity(iss, strlen(iss), sub, strlen(sub), owner) != TAPI_OK) {
        *reason = "The token has no usable subject (sub).";
        return TAPI_AUTH_INVALID;
    }
    return TAPI_AUTH_OK;
}

/* A remembered token's owner, if it is cached and valid at now_s. */
static bool cache_lookup(tapi_jwt_verifier *v, const uint8_t digest[TAPI_SHA256_BYTES],
                         int64_t now_s, tapi_owner *owner)
{
    size_t slot = ((size_t)digest[0] << 8 | digest[1]) % CACHE_SLOTS;
    pthread_mutex_t *mu = &v->stripe[slot % CACHE_STRIPES];
    pthread_mutex_lock(mu);
    const cached_token *c = &v->cache[slot];
    bool hit = memcmp(c->digest, digest, TAPI_SHA256_BYTES) == 0 && now_s >= c->valid_from &&
               now_s <= c->valid_until;
    if (hit) *owner = c->owner;
    pthread_mutex_unlock(mu);
    return hit;
}

static void cache_store(tapi_jwt_verifier *v, const uint8_t digest[TAPI_SHA256_BYTES],
                        const cached_token *window, const tapi_owner *owner)
{
    size_t slot = ((size_t)digest[0] << 8 | digest[1]) % CACHE_SLOTS;
    pthread_mutex_t *mu = &v->stripe[slot % CACHE_STRIPES];
    pthread_mutex_lock(mu);
    cached_token *c = &v->cache[slot];
    memcpy(c->digest, digest, TAPI_SHA256_BYTES);
    c->valid_from = window->valid_from;
    c->valid_until = window->valid_until;
    c->owner = *owner;
    pthread_mutex_unlock(mu);
}

tapi_auth_result tapi_jwt_authenticate(tapi_jwt_verifier *v, const char *authorization,
                                       int64_t now_s, tapi_owner *owner, const char **reason)
{
    const char *token = NULL;
    size_t len = 0;
    tapi_auth_result r = bearer_token(authorization, &token, &len, reason);
    if (r != TAPI_AUTH_OK) return r;
    uint8_t digest[TAPI_SHA256_BYTES];
    /* the digest names the token in the cache: without one, no answer can be trusted */
    if (!tapi_sha256(&(tapi_bytes){token, len}, 1, digest)) {
        *reason = "The token could not be checked now.";
        return TAPI_AUTH_UNAVAILABLE;
    }
    if (cache_lookup(v, digest, now_s, owner)) return TAPI_AUTH_OK;
    cached_token window;
    cjose_err err;
    cjose_jws_t *jws = cjose_jws_import(token, len, &err);
    if (!jws) {
        *reason = "The bearer token is malformed.";
        return TAPI_AUTH_INVALID;
    }
    r = TAPI_AUTH_INVALID;
    json_t *hdr = (json_t *)cjose_jws_get_protected(jws);
    const char *alg = json_str(hdr, "alg"), *kid = json_str(hdr, "kid");
    const cjose_jwk_t *key = NULL;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    if (!alg || strcmp(alg, "RS256") != 0) {
        *reason = "The token's algorithm is not allowed (RS256 only).";
    } else if (json_object_get(hdr, "crit")) {
        *reason = "The token has critical header extensions this API does not support.";
    } else if (!kid || !(key = find_key(v, kid))) {
        *reason = "The token is signed with an unknown key (kid).";
    } else if (!cjose_jws_verify(jws, key, &err)) {
        *reason = "The token's signature is invalid.";
    } else if (!cjose_jws_get_plaintext(jws, &payload, &payload_len, &err)) {
        *reason = "The bearer token is malformed.";
    } else {
        cJSON *claims = cJSON_ParseWithLength((const char *)payload, payload_len);
        r = check_claims(v, claims, now_s, owner, &window, reason);
        cJSON_Delete(claims);
        if (r == TAPI_AUTH_OK) cache_store(v, digest, &window, owner);
    }
    cjose_jws_release(jws);
    return r;
}
