/* Unit tests for src/core/page_token.c: tokens round-trip and resist tampering. */
#include "test_support.h"

#include "../../src/core/page_token.h"

static const uint8_t KEY[TAPI_TOKEN_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const tapi_cursor CURSOR = {"2026-11-25T03:19:15.123Z",
                                   "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d"};

static void round_trips(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, &CURSOR, tok);
    assert_int_equal(strlen(tok), 103);
    assert_null(strpbrk(tok, "+/="));
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(KEY, tok, strlen(tok), &c), TAPI_OK);
    assert_string_equal(c.created_at, CURSOR.created_at);
    assert_string_equal(c.id, CURSOR.id);
}

static void rejects_every_single_character_change(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, &CURSOR, tok);
    size_t n = strlen(tok);
    tapi_cursor c;
    for (size_t i = 0; i < n; i++) {
        char saved = tok[i];
        tok[i] = saved == 'A' ? 'B' : 'A';
        assert_int_equal(tapi_page_token_decode(KEY, tok, n, &c), TAPI_EINVAL);
        tok[i] = saved;
    }
}

static void rejects_foreign_key_and_garbage(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, &CURSOR, tok);
    uint8_t other[TAPI_TOKEN_KEY_BYTES] = {9, 9, 9};
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(other, tok, strlen(tok), &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, tok, strlen(tok) - 1, &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, "", 0, &c), TAPI_EINVAL);
    char padded[TAPI_TOKEN_TEXT_MAX + 2];
    snprintf(padded, sizeof padded, "%s=", tok);
    assert_int_equal(tapi_page_token_decode(KEY, padded, strlen(padded), &c), TAPI_EINVAL);
    tok[5] = '\0';
    assert_int_equal(tapi_page_token_decode(KEY, tok, 103, &c), TAPI_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(rejects_every_single_character_change),
        cmocka_unit_test(rejects_foreign_key_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
