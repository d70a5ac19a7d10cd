/* Unit tests for src/server/jwt_auth.c at chosen clock times: the verified-token cache
 * never outlives a token's validity window, and the key set file is checked at load. The
 * refused-token cases over HTTP are in tests/contract/auth.test.mjs. Keys are made here. */
#include "test_support.h"
#include "test_tokens.h"

#include <cjose/cjose.h>
#include <unistd.h>

#include "../../src/server/jwt_auth.h"

static const char ISS[] = "https://issuer.example";
static const char AUD[] = "unit-client";
static cjose_jwk_t *key;
static char jwks_path[300];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    cjose_err err;
    static const uint8_t e[] = {1, 0, 1};
    key = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
    assert_non_null(key);
    assert_true(cjose_jwk_set_kid(key, "k1", 2, &err));
    char *pub = cjose_jwk_to_json(key, false, &err);
    char jwks[4096];
    snprintf(jwks, sizeof jwks, "{\"keys\":[%s]}", pub);
    free(pub);
    snprintf(jwks_path, sizeof jwks_path, "/tmp/tapi-jwks-%d.json", (int)getpid());
    write_file(jwks_path, jwks);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cjose_jwk_release(key);
    unlink(jwks_path);
    return 0;
}


static tapi_jwt_verifier *open_verifier(void)
{
    tapi_jwt_verifier *v = NULL;
    char err[256];
    tapi_jwt_config cfg = {.jwks_path = jwks_path, .issuer = ISS, .audience = AUD};
    if (tapi_jwt_verifier_open(&cfg, &v, err, sizeof err) != TAPI_OK) fail_msg("open: %s", err);
    return v;
}

/* A token verified (and cached) at t stays refused after exp + leeway, and before
 * nbf - leeway, however often it was accepted in between. */
static void cached_tokens_keep_their_window(void **state)
{
    (void)state;
    tapi_jwt_verifier *v = open_verifier();
    assert_int_equal(tapi_jwt_key_count(v), 1);
    const int64_t t = 1800000000;
    char claims[256];
    snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"u1\",\"nbf\":%lld,\"exp\":%lld}",
             ISS, AUD, (long long)t, (long long)(t + 600));
    char *auth = test_bearer(key, claims);
    tapi_owner a, b;
    const char *why = NULL;
    assert_int_equal(tapi_jwt_authenticate(v, auth, t + 1, &a, &why), TAPI_AUTH_OK);
    assert_int_equal(tapi_jwt_authenticate(v, auth, t + 2, &b, &why), TAPI_AUTH_OK); /* cached */
    assert_string_equal(a.key, b.key);
    assert_int_equal(tapi_jwt_authenticate(v, auth, t + 600 + TAPI_JWT_LEEWAY_S, &b, &why), TAPI_AUTH_OK);
    assert_int_equal(tapi_jwt_authenticate(v, auth, t + 601 + TAPI_JWT_LEEWAY_S, &b, &why), TAPI_AUTH_INVALID);
    assert_string_equal(why, "The token has expired.");
    assert_int_equal(tapi_jwt_authenticate(v, auth, t - TAPI_JWT_LEEWAY_S, &b, &why), TAPI_AUTH_OK);
    assert_int_equal(tapi_jwt_authenticate(v, auth, t - TAPI_JWT_LEEWAY_S - 1, &b, &why), TAPI_AUTH_INVALID);
    assert_string_equal(why, "The token is not valid yet.");
    /* the same user's other token: the same owner */
    snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"u1\",\"exp\":%lld}", ISS, AUD,
             (long long)(t + 60));
    char *other = test_bearer(key, claims);
    assert_int_equal(tapi_jwt_authenticate(v, other, t, &b, &why), TAPI_AUTH_OK);
    assert_string_equal(a.key, b.key);
    /* a changed token is not the cached one */
    size_t n = strlen(auth);
    auth[n - 3] = auth[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(tapi_jwt_authenticate(v, auth, t + 1, &b, &why), TAPI_AUTH_INVALID);
    free(auth);
    free(other);
    tapi_jwt_verifier_close(v);
}

static void key_sets_are_checked_at_load(void **state)
{
    (void)state;
    char path[320], err[256];
    snprintf(path, sizeof path, "%s.bad", jwks_path);
    tapi_jwt_verifier *v = NULL;
    tapi_jwt_config cfg = {.jwks_path = path, .issuer = ISS, .audience = AUD};
    static const char *const bad[] = {
        "not json", "{\"keys\":{}}", "{\"keys\":[]}",
        "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"s\",\"k\":\"c2VjcmV0\"}]}",            /* HMAC key */
        "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":\"AQAB\"}]}",                 /* no kid */
        NULL, /* a 1024-bit RSA key, made below */
    };
    cjose_err cerr;
    static const uint8_t e[] = {1, 0, 1};
    cjose_jwk_t *small = cjose_jwk_create_RSA_random(1024, e, sizeof e, &cerr);
    cjose_jwk_set_kid(small, "small", 5, &cerr);
    char *small_json = cjose_jwk_to_json(small, false, &cerr);
    char small_set[2048];
    snprintf(small_set, sizeof small_set, "{\"keys\":[%s]}", small_json);
    free(small_json);
    cjose_jwk_release(small);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i] ? bad[i] : small_set);
        assert_int_equal(tapi_jwt_verifier_open(&cfg, &v, err, sizeof err), TAPI_ECONFIG);
        assert_null(v);
    }
    unlink(path);
    assert_int_equal(tapi_jwt_verifier_open(&cfg, &v, err, sizeof err), TAPI_ECONFIG);
    assert_non_null(strstr(err, "cannot read"));
    cfg = (tapi_jwt_config){.jwks_path = jwks_path, .issuer = ISS, .audience = NULL};
    assert_int_equal(tapi_jwt_verifier_open(&cfg, &v, err, sizeof err), TAPI_ECONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_tokens_keep_their_window),
        cmocka_unit_test(key_sets_are_checked_at_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
