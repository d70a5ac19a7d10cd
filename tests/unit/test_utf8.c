/* Unit tests for src/core/utf8.c: the validator every input passes through. */
#include "test_support.h"

#include "../../src/core/utf8.h"

static void accepts_ascii_and_multibyte(void **state)
{
    (void)state;
    const char *s = "abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    assert_true(tapi_utf8_valid(s, strlen(s), NULL));
    assert_int_equal(tapi_utf8_count(s, strlen(s)), 9);
}

static void rejects_malformed_sequences(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t bad_at;
    } cases[] = {
        {"ok\xff", 2},                /* never valid */
        {"\xc0\xaf", 0},              /* overlong '/' */
        {"\xe0\x80\xaf", 0},          /* overlong 3-byte */
        {"a\xed\xa0\x80", 1},         /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 0},      /* above U+10FFFF */
        {"ab\xe2\x82", 2},            /* truncated */
        {"\x80", 0},                  /* lone continuation */
        {"\xf0\x9f\x98", 0},          /* truncated 4-byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 999;
        assert_false(tapi_utf8_valid(cases[i].bytes, strlen(cases[i].bytes), &bad));
        assert_int_equal(bad, cases[i].bad_at);
    }
}

static void decodes_code_points(void **state)
{
    (void)state;
    unsigned cp;
    assert_int_equal(tapi_utf8_decode("\xe2\x82\xac", 3, &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(tapi_utf8_decode("\xc2\x85", 2, &cp), 2);
    assert_int_equal(cp, 0x85);
    assert_int_equal(tapi_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
}

static void prefix_never_splits_a_character(void **state)
{
    (void)state;
    const char *s = "a\xc3\xa9\xe2\x82\xac"; /* a, e-acute (2 bytes), euro (3 bytes) */
    assert_int_equal(tapi_utf8_prefix(s, 6, 10), 6);
    assert_int_equal(tapi_utf8_prefix(s, 6, 5), 3);
    assert_int_equal(tapi_utf8_prefix(s, 6, 4), 3);
    assert_int_equal(tapi_utf8_prefix(s, 6, 2), 1);
    assert_int_equal(tapi_utf8_prefix(s, 6, 0), 0);
}

/* The ASCII fast path reads eight bytes at a time: a bad or a multi-byte sequence at any
 * offset and alignment, in runs of any length, is found where it is. */
static void finds_sequences_at_every_offset(void **state)
{
    (void)state;
    char buf[64];
    for (size_t len = 1; len <= sizeof buf - 4; len++) {
        for (size_t at = 0; at < len; at++) {
            memset(buf, 'a', sizeof buf);
            buf[at] = (char)0xFF;
            size_t bad = 999;
            assert_false(tapi_utf8_valid(buf, len, &bad));
            assert_int_equal(bad, at);
            memcpy(buf + at, "\xe2\x82\xac", 3); /* a valid sequence, cut when it overruns */
            bool whole = at + 3 <= len;
            assert_true(tapi_utf8_valid(buf, len, &bad) == whole);
            if (!whole) assert_int_equal(bad, at);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_sequences_at_every_offset),
        cmocka_unit_test(accepts_ascii_and_multibyte),
        cmocka_unit_test(rejects_malformed_sequences),
        cmocka_unit_test(decodes_code_points),
        cmocka_unit_test(prefix_never_splits_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
