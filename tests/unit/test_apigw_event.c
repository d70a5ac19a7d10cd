/* The API Gateway event reader (src/lambda/apigw_event.c): what it takes from an event
 * as API Gateway shapes it, including the shapes a plain tree parser handled for free —
 * escaped keys, the first of duplicate members, header names in any case, multi-value
 * headers before single ones, escapes and surrogate pairs, NUL escapes, base64 bodies. */
#include "test_support.h"

#include "../../src/lambda/apigw_event.h"

static tapi_err parse(const char *event, tapi_apigw_request *r)
{
    char why[200];
    return tapi_apigw_parse(event, strlen(event), r, why, sizeof why);
}

static void takes_the_request_from_the_event(void **state)
{
    (void)state;
    tapi_apigw_request r;
    const char *ev =
        "{\"resource\":\"/tasks/{id}\",\"path\":\"/v1/tasks/abc\",\"http\\u004dethod\":\"PATCH\","
        "\"httpMethod\":\"IGNORED\",\"pathParameters\":{\"id\":\"abc\"},"
        "\"headers\":{\"content-type\":\"text/plain\",\"If-Match\":\"\\\"single\\\"\"},"
        "\"multiValueHeaders\":{\"CONTENT-TYPE\":[\"application/merge-patch+json\"],"
        "\"If-Match\":[\"\\\"a\\\"\"],\"if-match\":[\"\\\"b\\\"\",\"\\\"c\\\"\"]},"
        "\"queryStringParameters\":{\"limit\":\"9\"},"
        "\"multiValueQueryStringParameters\":{\"limit\":[\"1\",\"2\"],\"st\\u0061tus\":[\"todo\"]},"
        "\"requestContext\":{\"path\":\"/v1/tasks/abc\",\"requestId\":\"req-1\",\"stage\":\"dev\","
        "\"authorizer\":{\"claims\":{\"iss\":\"https://issuer\",\"sub\":\"user-1\"}}},"
        "\"body\":\"{\\\"title\\\":\\\"caf\\u00e9 \\ud83d\\ude00\\\\n\\\"}\",\"isBase64Encoded\":false}";
    assert_int_equal(parse(ev, &r), TAPI_OK);
    assert_null(r.reject_code);
    assert_string_equal(r.req.method, "PATCH"); /* the escaped key, first of two */
    assert_int_equal(r.req.route, TAPI_ROUTE_ITEM);
    assert_memory_equal(r.req.id, "abc", 3);
    assert_string_equal(r.req.collection_path, "/v1/tasks/abc");
    assert_string_equal(r.api_request_id, "req-1");
    assert_string_equal(r.stage, "dev");
    /* multiValueHeaders win over headers; names in any case */
    assert_string_equal(r.req.content_type, "application/merge-patch+json");
    assert_null(r.req.repeated_header);
    assert_string_equal(r.req.if_match, "\"a\", \"b\", \"c\"");
    assert_null(r.req.if_none_match);
    /* multi-value query parameters, every value, escaped names decoded */
    assert_int_equal(r.req.query_count, 3);
    assert_memory_equal(r.req.query[0].name, "limit", 5);
    assert_memory_equal(r.req.query[1].value, "2", 1);
    assert_int_equal(r.req.query[2].name_len, 6);
    assert_memory_equal(r.req.query[2].name, "status", 6);
    /* the body decoded: UTF-8 from \u escapes and a surrogate pair, an escaped newline */
    const char want[] = "{\"title\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\\n\"}";
    assert_int_equal(r.req.body_len, sizeof want - 1);
    assert_memory_equal(r.req.body, want, sizeof want - 1);
    tapi_owner owner;
    bool sent = true;
    assert_int_equal(tapi_apigw_owner(&r, &owner, &sent), TAPI_OK);
    assert_false(sent);
    tapi_apigw_request_free(&r);
}

static void counts_and_falls_back_on_headers(void **state)
{
    (void)state;
    tapi_apigw_request r;
    /* no multiValueHeaders: headers alone; two Content-Type values are a repeat */
    assert_int_equal(parse("{\"httpMethod\":\"POST\",\"path\":\"/tasks\",\"resource\":\"/tasks\","
                           "\"headers\":{\"Idempotency-Key\":\"k-1\",\"authorization\":\"Bearer x\"},"
                           "\"multiValueHeaders\":null,\"body\":\"e30=\",\"isBase64Encoded\":true}",
                           &r),
                     TAPI_OK);
    assert_string_equal(r.req.idempotency_key, "k-1");
    assert_int_equal(r.authorization_headers, 1);
    assert_int_equal(r.req.body_len, 2);
    assert_memory_equal(r.req.body, "{}", 2);
    assert_int_equal(r.req.route, TAPI_ROUTE_COLLECTION);
    tapi_owner owner;
    bool sent = false;
    assert_int_equal(tapi_apigw_owner(&r, &owner, &sent), TAPI_EINVAL); /* no claims */
    assert_true(sent);
    tapi_apigw_request_free(&r);

    assert_int_equal(parse("{\"httpMethod\":\"POST\",\"path\":\"/tasks\",\"resource\":\"/tasks\","
                           "\"multiValueHeaders\":{\"Content-Type\":[\"a/b\",\"c/d\"],"
                           "\"Authorization\":[\"x\"],\"authorization\":\"y\"}}",
                           &r),
                     TAPI_OK);
    assert_string_equal(r.req.content_type, "a/b");
    assert_string_equal(r.req.repeated_header, "Content-Type");
    assert_int_equal(r.authorization_headers, 2);
    assert_null(r.req.body);
    tapi_apigw_request_free(&r);
}

static void refuses_what_is_not_an_event(void **state)
{
    (void)state;
    tapi_apigw_request r;
    char why[200];
    const char *bad[] = {"", "[]", "{\"path\":\"/tasks\"}", "{\"httpMethod\":1,\"path\":\"/\"}",
                         "{\"httpMethod\":\"GET\",\"path\":\"/\"", "{\"httpMethod\":\"GET\",\"path\":\"/\"} x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tapi_apigw_parse(bad[i], strlen(bad[i]), &r, why, sizeof why), TAPI_EINVAL);
    /* a client's NUL (\u0000) reaches the router as U+0001, which every field refuses */
    assert_int_equal(parse("{\"httpMethod\":\"POST\",\"path\":\"/tasks\",\"body\":\"a\\u0000b\"}", &r),
                     TAPI_OK);
    assert_int_equal(r.req.body_len, 3);
    assert_int_equal(r.req.body[1], 1);
    tapi_apigw_request_free(&r);
    /* invalid UTF-8 from the client: an event still, answered with a 400 */
    assert_int_equal(parse("{\"httpMethod\":\"GET\",\"path\":\"/tasks\",\"body\":\"\xff\"}", &r), TAPI_OK);
    assert_string_equal(r.reject_code, "invalid_utf8");
    tapi_apigw_request_free(&r);
    /* bad base64 */
    assert_int_equal(parse("{\"httpMethod\":\"POST\",\"path\":\"/tasks\",\"body\":\"!!\","
                           "\"isBase64Encoded\":true}",
                           &r),
                     TAPI_OK);
    assert_string_equal(r.reject_code, "invalid_body");
    tapi_apigw_request_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(takes_the_request_from_the_event),
        cmocka_unit_test(counts_and_falls_back_on_headers),
        cmocka_unit_test(refuses_what_is_not_an_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
