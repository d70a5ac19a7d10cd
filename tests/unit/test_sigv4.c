/* Unit tests for src/store/dynamodb/sigv4.c: the cases of the published AWS SigV4 test suite that
 * fit what the signer does (requests whose path and query are given in canonical form),
 * and the per-day signing-key cache. botocore checks real DynamoDB requests in make test
 * (tests/dynamodb/check_sigv4.py). */
#include "test_support.h"

#include "../../src/store/dynamodb/sigv4.h"

/* The suite's credentials, scope and time (AWS's documentation example values). */
#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_SCOPE "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define STS_TOKEN                                                                               \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf" \
    "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KP" \
    "kyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbq" \
    "BAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

typedef struct suite_case {
    const char *name, *method, *query;
    tapi_sigv4_header headers[4];
    size_t count;
    const char *signed_headers, *signature;
} suite_case;

static const suite_case CASES[] = {
    {"get-vanilla", "GET", "", {{"host", "example.amazonaws.com"}, {"x-amz-date", SUITE_DATE}}, 2,
     "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"post-vanilla", "POST", "", {{"host", "example.amazonaws.com"}, {"x-amz-date", SUITE_DATE}}, 2,
     "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"get-vanilla-query-order-key-case", "GET", "Param1=value1&Param2=value2",
     {{"host", "example.amazonaws.com"}, {"x-amz-date", SUITE_DATE}}, 2, "host;x-amz-date",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"post-header-value-case", "POST", "",
     {{"x-amz-date", SUITE_DATE}, {"my-header1", "VALUE1"}, {"host", "example.amazonaws.com"}}, 3,
     "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"get-header-value-trim", "GET", "",
     {{"host", "example.amazonaws.com"}, {"my-header1", " value1"}, {"my-header2", "\"a   b   c\""},
      {"x-amz-date", SUITE_DATE}},
     4, "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"post-sts-header-before", "POST", "",
     {{"host", "example.amazonaws.com"}, {"x-amz-date", SUITE_DATE}, {"x-amz-security-token", STS_TOKEN}}, 3,
     "host;x-amz-date;x-amz-security-token",
     "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
};

static void matches_the_aws_test_suite(void **state)
{
    (void)state;
    tapi_sigv4 *s;
    assert_int_equal(tapi_sigv4_new(SUITE_KEY, SUITE_SECRET, "us-east-1", "service", &s), TAPI_OK);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const suite_case *c = &CASES[i];
        char auth[TAPI_SIGV4_AUTH_MAX], want[TAPI_SIGV4_AUTH_MAX];
        assert_int_equal(tapi_sigv4_sign(s, c->method, "/", c->query, c->headers, c->count, "", 0,
                                         SUITE_DATE, auth),
                         TAPI_OK);
        snprintf(want, sizeof want, "AWS4-HMAC-SHA256 " SUITE_SCOPE ", SignedHeaders=%s, Signature=%s",
                 c->signed_headers, c->signature);
        if (strcmp(auth, want) != 0) fail_msg("%s:\n  got  %s\n  want %s", c->name, auth, want);
    }
    tapi_sigv4_free(s);
}

/* The key is per day: a request of another day signs with that day's key (the same
 * request on 2015-08-30 and 2015-08-31 differs), and going back is right again. */
static void signing_key_follows_the_day(void **state)
{
    (void)state;
    tapi_sigv4 *s;
    assert_int_equal(tapi_sigv4_new(SUITE_KEY, SUITE_SECRET, "us-east-1", "service", &s), TAPI_OK);
    tapi_sigv4_header h[2] = {{"host", "example.amazonaws.com"}, {"x-amz-date", SUITE_DATE}};
    char a[TAPI_SIGV4_AUTH_MAX], b[TAPI_SIGV4_AUTH_MAX], c[TAPI_SIGV4_AUTH_MAX];
    assert_int_equal(tapi_sigv4_sign(s, "POST", "/", "", h, 2, "", 0, SUITE_DATE, a), TAPI_OK);
    h[1].value = "20150831T123600Z";
    assert_int_equal(tapi_sigv4_sign(s, "POST", "/", "", h, 2, "", 0, "20150831T123600Z", b), TAPI_OK);
    assert_non_null(strstr(b, "/20150831/"));
    assert_string_not_equal(a, b);
    h[1].value = SUITE_DATE;
    assert_int_equal(tapi_sigv4_sign(s, "POST", "/", "", h, 2, "", 0, SUITE_DATE, c), TAPI_OK);
    assert_string_equal(a, c);
    assert_non_null(strstr(a, "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
    tapi_sigv4_free(s);
    assert_int_equal(tapi_sigv4_new("", SUITE_SECRET, "us-east-1", "service", &s), TAPI_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_the_aws_test_suite),
        cmocka_unit_test(signing_key_follows_the_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
