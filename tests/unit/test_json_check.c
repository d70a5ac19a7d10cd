/* Unit tests for src/core/json_check.c: strict JSON syntax with positions. */
#include "test_support.h"

#include "../../src/core/json_check.h"

static tapi_err check(const char *s, tapi_json_error *err)
{
    return tapi_json_check(s, strlen(s), 32, err);
}

static void accepts_valid_documents(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{}", " {\"a\":1} ", "[1,2.5,-0.1e+3,true,false,null]", "\"\\u00e9\\ud83d\\ude00\"",
        "{\"a\":{\"b\":[{}]}}", "0", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    };
    tapi_json_error err;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(check(ok[i], &err), TAPI_OK);
}

static void rejects_invalid_documents(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "tru",
        "{'a':1}", "{\"a\":1}x", "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "NaN",
        "{\"a\" 1}", "[1 2]", "\"\\u0000\"", "\"\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"",
    };
    tapi_json_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (check(bad[i], &err) != TAPI_EINVAL) fail_msg("accepted: %s", bad[i]);
        assert_true(err.what[0] != '\0');
    }
}

static void reports_line_and_column(void **state)
{
    (void)state;
    tapi_json_error err;
    assert_int_equal(check("{\n  \"title\": \"x\",\n  \"b\" 2\n}", &err), TAPI_EINVAL);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 7);
    assert_string_equal(err.what, "expected ':' after object key");
}

static void bounds_nesting_depth(void **state)
{
    (void)state;
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    tapi_json_error err;
    assert_int_equal(tapi_json_check(deep, sizeof deep, 32, &err), TAPI_EINVAL);
    assert_string_equal(err.what, "nesting too deep");
    assert_int_equal(tapi_json_check(deep + 68, 64, 32, &err), TAPI_OK);
}

static void names_nul_escape(void **state)
{
    (void)state;
    tapi_json_error err;
    assert_int_equal(check("{\"title\":\"a\\u0000b\"}", &err), TAPI_EINVAL);
    assert_non_null(strstr(err.what, "NUL"));
    assert_int_equal(err.column, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_documents),
        cmocka_unit_test(rejects_invalid_documents),
        cmocka_unit_test(reports_line_and_column),
        cmocka_unit_test(bounds_nesting_depth),
        cmocka_unit_test(names_nul_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
