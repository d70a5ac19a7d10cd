/* What happens when SHA-256 fails (OpenSSL out of memory): every caller refuses the
 * request instead of using the all-zero digest as an identity. OpenSSL's
 * EVP_DigestFinal_ex is interposed by this binary (definitions in the executable win over
 * the shared library's) so that chosen calls fail: after `skip` good calls, the next
 * `fail` calls fail. */
#define _GNU_SOURCE
#include "test_support.h"
#include "test_tokens.h"

#include <cjose/cjose.h>
#include <dlfcn.h>
#include <openssl/evp.h>

#include "../../src/core/page_token.h"
#include "../../src/lambda/apigw_event.h"
#include "../../src/router/idempotency.h"
#include "../../src/router/router.h"
#include "../../src/server/jwt_auth.h"
#include "../../src/store/dynamodb/sigv4.h"
#include "../../src/store/sqlite.h"

static int skip_calls, fail_calls;

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
    static int (*real)(EVP_MD_CTX *, unsigned char *, unsigned int *);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "EVP_DigestFinal_ex");
    if (skip_calls > 0) {
        skip_calls--;
    } else if (fail_calls > 0) {
        fail_calls--;
        return 0;
    }
    return real(ctx, md, s);
}

static void fail_after(int skip, int fail)
{
    skip_calls = skip;
    fail_calls = fail;
}

/* A failure while deriving the day's signing key is not kept as that day's key: the
 * next request signs right (the AWS suite's post-vanilla signature). */
static void sigv4_never_keeps_a_failed_key(void **state)
{
    (void)state;
    tapi_sigv4 *s;
    assert_int_equal(tapi_sigv4_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    "us-east-1", "service", &s), TAPI_OK);
    tapi_sigv4_header h[2] = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
    char auth[TAPI_SIGV4_AUTH_MAX];
    for (int skip = 0; skip < 12; skip++) { /* payload, request, each step of the key, the signature */
        fail_after(skip, 1);
        assert_int_equal(tapi_sigv4_sign(s, "POST", "/", "", h, 2, "", 0, "20150830T123600Z", auth),
                         TAPI_EUNAVAILABLE);
        fail_after(0, 0);
        assert_int_equal(tapi_sigv4_sign(s, "POST", "/", "", h, 2, "", 0, "20150830T123600Z", auth), TAPI_OK);
        assert_non_null(strstr(auth, "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
        tapi_sigv4_free(s);
        assert_int_equal(tapi_sigv4_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                        "us-east-1", "service", &s), TAPI_OK);
    }
    tapi_sigv4_free(s);
}

static const uint8_t KEY[TAPI_TOKEN_KEY_BYTES] = {7};
static const tapi_cursor CURSOR = {"2026-01-02T03:04:05.678Z", "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d"};

/* No token is made without a MAC, and none is judged (valid or not) without one. */
static void page_tokens_need_their_mac(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    assert_int_equal(tapi_page_token_encode(KEY, NULL, 0, &CURSOR, tok), TAPI_OK);
    tapi_cursor c;
    char none[TAPI_TOKEN_TEXT_MAX];
    fail_after(0, 2);
    assert_int_equal(tapi_page_token_encode(KEY, NULL, 0, &CURSOR, none), TAPI_EUNAVAILABLE);
    assert_string_equal(none, "");
    fail_after(0, 2);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_EUNAVAILABLE);
    fail_after(0, 0);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_OK);
}

/* An Idempotency-Key's record name and fingerprint are never zeros. */
static void idempotency_needs_its_hashes(void **state)
{
    (void)state;
    tapi_task t = {.title = "t", .description = "", .status = TAPI_STATUS_TODO};
    tapi_idempotency idem;
    for (int skip = 0; skip < 2; skip++) {
        fail_after(skip, 1);
        assert_int_equal(tapi_idempotency_prepare("shared", "k", &t, 1, 60, &idem), TAPI_EUNAVAILABLE);
    }
    fail_after(0, 0);
    assert_int_equal(tapi_idempotency_prepare("shared", "k", &t, 1, 60, &idem), TAPI_OK);
    assert_int_equal(strlen(idem.key_id), 64);
    assert_string_not_equal(idem.key_id, idem.fingerprint);
}

/* Through the router: a keyed create and a next page get 503 while hashing fails, and
 * nothing is written. */
static void router_answers_503(void **state)
{
    (void)state;
    char path[300], err[256];
    tapi_store *store;
    test_db_path(path, sizeof path);
    assert_int_equal(tapi_sqlite_open(path, 2, &store, err, sizeof err), TAPI_OK);
    tapi_app app = {.store = store};
    tapi_request req = {.method = "POST", .route = TAPI_ROUTE_COLLECTION, .body = "{\"title\":\"x\"}",
                        .body_len = 13, .idempotency_key = "key-1"};
    tapi_response resp;
    fail_after(0, 1);
    tapi_handle(&app, &req, &resp);
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.retry_after, 1);
    tapi_response_clear(&resp);
    fail_after(0, 0);
    tapi_request list = {.method = "GET", .route = TAPI_ROUTE_COLLECTION};
    tapi_handle(&app, &list, &resp);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"items\":[]"));
    tapi_response_clear(&resp);
    for (int i = 0; i < 2; i++) {
        req.idempotency_key = i ? "key-3" : "key-2";
        tapi_handle(&app, &req, &resp);
        assert_int_equal(resp.status, 201);
        tapi_response_clear(&resp);
    }
    tapi_param limit = {"limit", 5, "1", 1};
    list.query = &limit;
    list.query_count = 1;
    fail_after(0, 2);
    tapi_handle(&app, &list, &resp); /* a page with a next token to make */
    assert_int_equal(resp.status, 503);
    tapi_response_clear(&resp);
    fail_after(0, 0);
    tapi_store_close(store);
}

static cjose_jwk_t *jwk;
static char jwks_path[300];


/* The token cache is keyed by the token's digest: a token whose digest failed must not
 * be remembered under zeros, nor another token found under them. */
static void token_cache_never_uses_a_failed_digest(void **state)
{
    (void)state;
    cjose_err e;
    static const uint8_t ex[] = {1, 0, 1};
    jwk = cjose_jwk_create_RSA_random(2048, ex, sizeof ex, &e);
    assert_true(cjose_jwk_set_kid(jwk, "k1", 2, &e));
    char *pub = cjose_jwk_to_json(jwk, false, &e);
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", test_dir[0] ? test_dir : "/tmp");
    FILE *f = fopen(jwks_path, "w");
    assert_non_null(f);
    fprintf(f, "{\"keys\":[%s]}", pub);
    fclose(f);
    free(pub);
    tapi_jwt_verifier *v = NULL;
    char err[256];
    tapi_jwt_config cfg = {.jwks_path = jwks_path, .issuer = "https://i", .audience = "a"};
    assert_int_equal(tapi_jwt_verifier_open(&cfg, &v, err, sizeof err), TAPI_OK);
    char *good = test_bearer(jwk, "{\"iss\":\"https://i\",\"aud\":\"a\",\"sub\":\"alice\",\"exp\":1900000000}");
    tapi_owner owner;
    const char *why;
    fail_after(0, 1); /* the token's digest */
    assert_int_equal(tapi_jwt_authenticate(v, good, 1800000000, &owner, &why), TAPI_AUTH_UNAVAILABLE);
    fail_after(0, 1);
    assert_int_equal(tapi_jwt_authenticate(v, "Bearer not.a.token", 1800000000, &owner, &why),
                     TAPI_AUTH_UNAVAILABLE);
    fail_after(0, 0);
    assert_int_equal(tapi_jwt_authenticate(v, "Bearer not.a.token", 1800000000, &owner, &why),
                     TAPI_AUTH_INVALID);
    assert_int_equal(tapi_jwt_authenticate(v, good, 1800000000, &owner, &why), TAPI_AUTH_OK);
    free(good);
    tapi_jwt_verifier_close(v);
    cjose_jwk_release(jwk);
    unlink(jwks_path);
}

/* The Lambda door's caller: claims whose owner key cannot be made are not "no claims"
 * (401) but an answer the door turns into 503. */
static void lambda_owner_needs_its_hash(void **state)
{
    (void)state;
    static const char event[] =
        "{\"resource\":\"/tasks\",\"path\":\"/tasks\",\"httpMethod\":\"GET\",\"headers\":null,"
        "\"multiValueHeaders\":null,\"queryStringParameters\":null,\"multiValueQueryStringParameters\":null,"
        "\"pathParameters\":null,\"stageVariables\":null,\"body\":null,\"isBase64Encoded\":false,"
        "\"requestContext\":{\"resourcePath\":\"/tasks\",\"path\":\"/dev/tasks\",\"stage\":\"dev\","
        "\"authorizer\":{\"claims\":{\"iss\":\"https://i\",\"sub\":\"alice\"}}}}";
    tapi_apigw_request r;
    char why[200];
    assert_int_equal(tapi_apigw_parse(event, sizeof event - 1, &r, why, sizeof why), TAPI_OK);
    tapi_owner owner;
    bool token_sent;
    fail_after(0, 1);
    assert_int_equal(tapi_apigw_owner(&r, &owner, &token_sent), TAPI_ENOMEM);
    fail_after(0, 0);
    assert_int_equal(tapi_apigw_owner(&r, &owner, &token_sent), TAPI_OK);
    tapi_apigw_request_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigv4_never_keeps_a_failed_key),
        cmocka_unit_test(page_tokens_need_their_mac),
        cmocka_unit_test(idempotency_needs_its_hashes),
        cmocka_unit_test(router_answers_503),
        cmocka_unit_test(token_cache_never_uses_a_failed_digest),
        cmocka_unit_test(lambda_owner_needs_its_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
