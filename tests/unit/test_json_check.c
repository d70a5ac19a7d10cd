/* Unit tests for src/core/json_check.c: strict JSON syntax with positions. */
#include "test_support.h"

#include "../../src/core/json_check.h"
#include "../../src/core/json_writer.h"

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

/* A byte JSON must escape, at every offset of runs around the eight-byte step, is found
 * by the plain-prefix scan, the checker and the writer; bytes it need not escape (the
 * neighbours of the special ones, DEL, UTF-8 bytes) never stop it. */
static void finds_special_bytes_at_every_offset(void **state)
{
    (void)state;
    static const unsigned char plain[] = {' ', '!', '#', '[', ']', 0x7f, 0x80, 0xc3, 0xff, 'a'};
    static const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1f, '\n'};
    char buf[48] = {0};
    for (size_t len = 0; len <= 40; len++) {
        for (size_t k = 0; k < len; k++) buf[k] = (char)plain[k % sizeof plain];
        assert_int_equal(tapi_json_plain_prefix(buf, len), len);
        for (size_t at = 0; at < len; at++) {
            for (size_t j = 0; j < sizeof special; j++) {
                char saved = buf[at];
                buf[at] = (char)special[j];
                assert_int_equal(tapi_json_plain_prefix(buf, len), at);
                buf[at] = saved;
            }
        }
    }
    /* the writer escapes what the scan stops at, wherever it is */
    for (size_t at = 0; at < 20; at++) {
        char in[20];
        memset(in, 'x', sizeof in);
        in[at] = '"';
        tapi_buf b;
        tapi_buf_init(&b);
        tapi_buf_json_string(&b, in, sizeof in);
        assert_int_equal(b.len, sizeof in + 3);
        assert_memory_equal(b.data + 1 + at, "\\\"", 2);
        tapi_json_error err;
        assert_int_equal(tapi_json_check(b.data, b.len, 4, &err), TAPI_OK);
        b.data[1 + at] = '\x01'; /* a raw control character instead of the backslash */
        assert_int_equal(tapi_json_check(b.data, b.len, 4, &err), TAPI_EINVAL);
        assert_int_equal(err.column, 2 + at);
        tapi_buf_free(&b);
    }
}

/* The copying scan returns what the plain scan does, copies exactly the run, and writes
 * nothing past out + n: out is a heap block of exactly n bytes (AddressSanitizer stops a
 * write past it), and bytes past the run but inside it may change, bytes before it never. */
static void copies_the_plain_run_within_its_room(void **state)
{
    (void)state;
    char src[48];
    for (size_t len = 0; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t k = 0; k < len; k++) src[k] = (char)('a' + k % 26);
            if (at < len) src[at] = at % 2 ? '"' : '\\';
            char *out = malloc(len ? len : 1);
            assert_non_null(out);
            memset(out, '#', len ? len : 1);
            size_t run = tapi_json_plain_copy(out, src, len);
            assert_int_equal(run, tapi_json_plain_prefix(src, len));
            assert_int_equal(run, at);
            assert_memory_equal(out, src, run);
            free(out);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_documents),
        cmocka_unit_test(rejects_invalid_documents),
        cmocka_unit_test(reports_line_and_column),
        cmocka_unit_test(bounds_nesting_depth),
        cmocka_unit_test(names_nul_escape),
        cmocka_unit_test(finds_special_bytes_at_every_offset),
        cmocka_unit_test(copies_the_plain_run_within_its_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
