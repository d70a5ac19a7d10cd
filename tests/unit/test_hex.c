/* Unit tests for src/core/hex.c: the key and trace-id encoding. */
#include "test_support.h"

#include "../../src/core/hex.h"

static void encodes_lowercase_and_round_trips(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    char text[9];
    tapi_hex_encode(bytes, sizeof bytes, text);
    assert_string_equal(text, "000fa5ff");
    uint8_t back[4];
    assert_true(tapi_hex_decode(text, sizeof back, back));
    assert_memory_equal(back, bytes, sizeof bytes);
    assert_true(tapi_hex_valid(text, 8));
}

static void refuses_anything_but_lowercase_hex(void **state)
{
    (void)state;
    uint8_t out[2];
    for (const char *const *s = (const char *const[]){"00FF", "0g00", "0-00", "00 0", NULL}; *s; s++) {
        assert_false(tapi_hex_decode(*s, 2, out));
        assert_false(tapi_hex_valid(*s, 4));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_lowercase_and_round_trips),
        cmocka_unit_test(refuses_anything_but_lowercase_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
