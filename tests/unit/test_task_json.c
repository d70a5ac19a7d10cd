/* Unit tests for src/core/task_json.c: body validation and task serialisation. */
#include <math.h>

#include "test_support.h"

#include "../../src/core/task_json.h"

static tapi_err parse(const char *body, tapi_body_kind kind, tapi_task_patch *out,
                      tapi_problem *pb)
{
    return tapi_task_body_parse(body, strlen(body), kind, out, pb);
}

static void expect_problem(const char *body, tapi_body_kind kind, const char *code)
{
    tapi_task_patch p;
    tapi_problem pb = {0};
    if (parse(body, kind, &p, &pb) != TAPI_EINVAL) fail_msg("accepted: %s", body);
    assert_int_equal(pb.status, 400);
    assert_string_equal(pb.code, code);
    assert_null(p.title);
}

static void create_applies_defaults_and_trims_title(void **state)
{
    (void)state;
    tapi_task_patch p;
    tapi_problem pb;
    assert_int_equal(parse("{\"title\":\" \\t Buy milk \\n\"}", TAPI_BODY_CREATE, &p, &pb), TAPI_OK);
    assert_string_equal(p.title, "Buy milk");
    assert_string_equal(p.description, "");
    assert_true(p.has_status);
    assert_int_equal(p.status, TAPI_STATUS_TODO);
    tapi_task_patch_clear(&p);
}

static void create_takes_every_field(void **state)
{
    (void)state;
    tapi_task_patch p;
    tapi_problem pb;
    assert_int_equal(parse("{\"status\":\"in_progress\",\"description\":\"line1\\nline2\","
                           "\"title\":\"\\u00e9t\\u00e9\"}",
                           TAPI_BODY_CREATE, &p, &pb),
                     TAPI_OK);
    assert_string_equal(p.title, "\xc3\xa9t\xc3\xa9");
    assert_string_equal(p.description, "line1\nline2");
    assert_int_equal(p.status, TAPI_STATUS_IN_PROGRESS);
    tapi_task_patch_clear(&p);
}

static void counts_characters_not_bytes(void **state)
{
    (void)state;
    /* 200 two-byte characters = 400 bytes: allowed; 201 is one too many */
    char body[1024];
    strcpy(body, "{\"title\":\"");
    for (int i = 0; i < 200; i++) strcat(body, "\xc3\xa9");
    strcat(body, "\"}");
    tapi_task_patch p;
    tapi_problem pb;
    assert_int_equal(parse(body, TAPI_BODY_CREATE, &p, &pb), TAPI_OK);
    tapi_task_patch_clear(&p);
    strcpy(body + strlen(body) - 2, "\xc3\xa9\"}");
    expect_problem(body, TAPI_BODY_CREATE, "invalid_field");
}

static void rejects_title_over_200_chars(void **state)
{
    (void)state;
    char body[300] = "{\"title\":\"";
    memset(body + 10, 'x', 201);
    strcpy(body + 211, "\"}");
    expect_problem(body, TAPI_BODY_CREATE, "invalid_field");
}

static void rejects_description_over_2000_chars(void **state)
{
    (void)state;
    char body[2100] = "{\"title\":\"t\",\"description\":\"";
    size_t at = strlen(body);
    memset(body + at, 'x', 2001);
    strcpy(body + at + 2001, "\"}");
    expect_problem(body, TAPI_BODY_CREATE, "invalid_field");
}

static void rejects_bad_bodies(void **state)
{
    (void)state;
    expect_problem("", TAPI_BODY_CREATE, "invalid_json");
    expect_problem("{\"title\":", TAPI_BODY_CREATE, "invalid_json");
    expect_problem("[]", TAPI_BODY_CREATE, "invalid_body");
    expect_problem("\"x\"", TAPI_BODY_CREATE, "invalid_body");
    expect_problem("{}", TAPI_BODY_CREATE, "missing_field");
    expect_problem("{\"title\":\"   \"}", TAPI_BODY_CREATE, "invalid_field");
    expect_problem("{\"title\":5}", TAPI_BODY_CREATE, "invalid_field");
    expect_problem("{\"title\":null}", TAPI_BODY_CREATE, "invalid_field");
    expect_problem("{\"title\":\"a\",\"status\":\"DONE\"}", TAPI_BODY_CREATE, "invalid_field");
    expect_problem("{\"title\":\"a\",\"id\":\"x\"}", TAPI_BODY_CREATE, "read_only_field");
    expect_problem("{\"title\":\"a\",\"title\":\"b\"}", TAPI_BODY_CREATE, "invalid_json");
    expect_problem("{\"title\":\"a\\u0000\"}", TAPI_BODY_CREATE, "invalid_json");
    expect_problem("{\"title\":\"a\\u0007\"}", TAPI_BODY_CREATE, "invalid_field");
    expect_problem("{\"title\":\"\xff\"}", TAPI_BODY_CREATE, "invalid_utf8");
    expect_problem("{}", TAPI_BODY_PATCH, "invalid_body");
    expect_problem("{\"description\":[]}", TAPI_BODY_PATCH, "invalid_field");
}

static void malformed_json_message_says_where(void **state)
{
    (void)state;
    tapi_task_patch p;
    tapi_problem pb;
    assert_int_equal(parse("{\"title\" \"x\"}", TAPI_BODY_CREATE, &p, &pb), TAPI_EINVAL);
    assert_non_null(strstr(pb.message, "line 1, column 10"));
}

static void patch_sets_only_given_fields(void **state)
{
    (void)state;
    tapi_task_patch p;
    tapi_problem pb;
    assert_int_equal(parse("{\"status\":\"done\"}", TAPI_BODY_PATCH, &p, &pb), TAPI_OK);
    assert_null(p.title);
    assert_null(p.description);
    assert_true(p.has_status);
    assert_int_equal(p.status, TAPI_STATUS_DONE);
    tapi_task_patch_clear(&p);
}

static void writes_escaped_task_json(void **state)
{
    (void)state;
    tapi_task t = {.id = "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d",
                   .title = "say \"hi\"\x01",
                   .description = "a\\b\n\xc3\xa9",
                   .status = TAPI_STATUS_DONE,
                   .created_at = "2026-11-25T03:19:15.123Z",
                   .updated_at = "2026-11-25T03:19:16.000Z",
                   .version = 18446744073709551615u};
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_task_json_write(&b, &t);
    char *out;
    size_t len;
    assert_int_equal(tapi_buf_take(&b, &out, &len), TAPI_OK);
    assert_string_equal(out, "{\"id\":\"0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d\","
                             "\"title\":\"say \\\"hi\\\"\\u0001\","
                             "\"description\":\"a\\\\b\\n\xc3\xa9\",\"status\":\"done\","
                             "\"createdAt\":\"2026-11-25T03:19:15.123Z\","
                             "\"updatedAt\":\"2026-11-25T03:19:16.000Z\","
                             "\"version\":18446744073709551615,\"etag\":\"\\\"18446744073709551615.1\\\"\"}");
    assert_int_equal(len, strlen(out));
    free(out);
}

/* b holds exactly want; b is freed */
static void assert_written(tapi_buf *b, const char *want)
{
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->data, want, b->len);
    tapi_buf_free(b);
}

/* The number writers print what snprintf did for the values they meet */
static void numbers_are_written_as_printf_would(void **state)
{
    (void)state;
    const unsigned long long ints[] = {0, 7, 10, 4294967296ULL, 18446744073709551615ULL};
    const double reals[] = {0, 1, 0.0004, 0.0006, 2.25, 12.3456, 1234567.891, -1.5, -0.25};
    char want[48];
    tapi_buf b;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        tapi_buf_init(&b);
        tapi_buf_put_u64(&b, ints[i]);
        snprintf(want, sizeof want, "%llu", ints[i]);
        assert_written(&b, want);
    }
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        tapi_buf_init(&b);
        tapi_buf_put_fixed3(&b, reals[i]);
        snprintf(want, sizeof want, "%.3f", reals[i]);
        assert_written(&b, want);
    }
    tapi_buf_init(&b);
    tapi_buf_put_fixed3(&b, NAN);
    tapi_buf_append(&b, " ", 1);
    tapi_buf_put_fixed3(&b, 1e300);
    assert_written(&b, "0.000 1e15");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_applies_defaults_and_trims_title),
        cmocka_unit_test(create_takes_every_field),
        cmocka_unit_test(counts_characters_not_bytes),
        cmocka_unit_test(rejects_title_over_200_chars),
        cmocka_unit_test(rejects_description_over_2000_chars),
        cmocka_unit_test(rejects_bad_bodies),
        cmocka_unit_test(malformed_json_message_says_where),
        cmocka_unit_test(patch_sets_only_given_fields),
        cmocka_unit_test(writes_escaped_task_json),
        cmocka_unit_test(numbers_are_written_as_printf_would),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
