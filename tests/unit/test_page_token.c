/* Unit tests for src/core/page_token.c: tokens round-trip and resist tampering. */
#include "test_support.h"

#include "../../src/core/owner.h"
#include "../../src/core/page_token.h"

static const uint8_t KEY[TAPI_TOKEN_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const tapi_cursor CURSOR = {"2026-11-25T03:19:15.123Z",
                                   "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d"};

static void round_trips(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, NULL, 0, &CURSOR, tok);
    assert_int_equal(strlen(tok), 103);
    assert_null(strpbrk(tok, "+/="));
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_OK);
    assert_string_equal(c.created_at, CURSOR.created_at);
    assert_string_equal(c.id, CURSOR.id);
}

static void rejects_every_single_character_change(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, NULL, 0, &CURSOR, tok);
    size_t n = strlen(tok);
    tapi_cursor c;
    for (size_t i = 0; i < n; i++) {
        char saved = tok[i];
        tok[i] = saved == 'A' ? 'B' : 'A';
        assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, n, &c), TAPI_EINVAL);
        tok[i] = saved;
    }
}

static void rejects_foreign_key_and_garbage(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, NULL, 0, &CURSOR, tok);
    uint8_t other[TAPI_TOKEN_KEY_BYTES] = {9, 9, 9};
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(other, NULL, 0, tok, strlen(tok), &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok) - 1, &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, "", 0, &c), TAPI_EINVAL);
    char padded[TAPI_TOKEN_TEXT_MAX + 2];
    snprintf(padded, sizeof padded, "%s=", tok);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, padded, strlen(padded), &c), TAPI_EINVAL);
    tok[5] = '\0';
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, 103, &c), TAPI_EINVAL);
}

/* A token is one owner's: another user (or the shared list) presenting it is refused. */
static void binds_the_owner(void **state)
{
    (void)state;
    tapi_owner alice, bob;
    assert_int_equal(tapi_owner_from_identity("https://idp", 11, "alice", 5, &alice), TAPI_OK);
    assert_int_equal(tapi_owner_from_identity("https://idp", 11, "bob", 3, &bob), TAPI_OK);
    char tok[TAPI_TOKEN_TEXT_MAX];
    tapi_page_token_encode(KEY, alice.key, 0, &CURSOR, tok);
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(KEY, alice.key, 0, tok, strlen(tok), &c), TAPI_OK);
    assert_string_equal(c.id, CURSOR.id);
    assert_int_equal(tapi_page_token_decode(KEY, bob.key, 0, tok, strlen(tok), &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, TAPI_OWNER_SHARED, 0, tok, strlen(tok), &c),
                     TAPI_EINVAL);
    /* NULL and the shared owner are the same list (authentication off) */
    tapi_page_token_encode(KEY, TAPI_OWNER_SHARED, 0, &CURSOR, tok);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_OK);
    assert_int_equal(tapi_page_token_decode(KEY, alice.key, 0, tok, strlen(tok), &c), TAPI_EINVAL);
}

/* A token is one filtered list's: another status filter (or none) refuses it. */
static void binds_the_filter(void **state)
{
    (void)state;
    char tok[TAPI_TOKEN_TEXT_MAX];
    const unsigned todo = TAPI_STATUS_BIT(TAPI_STATUS_TODO),
                   not_done = todo | TAPI_STATUS_BIT(TAPI_STATUS_IN_PROGRESS);
    tapi_page_token_encode(KEY, NULL, not_done, &CURSOR, tok);
    tapi_cursor c;
    assert_int_equal(tapi_page_token_decode(KEY, NULL, not_done, tok, strlen(tok), &c), TAPI_OK);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, todo, tok, strlen(tok), &c), TAPI_EINVAL);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, 0, tok, strlen(tok), &c), TAPI_EINVAL);
    tapi_page_token_encode(KEY, NULL, 0, &CURSOR, tok);
    assert_int_equal(tapi_page_token_decode(KEY, NULL, todo, tok, strlen(tok), &c), TAPI_EINVAL);
}

/* Owner keys: fixed shape, per issuer, and refused for empty or control-character ids. */
static void derives_owner_keys(void **state)
{
    (void)state;
    tapi_owner a, b, c;
    assert_int_equal(tapi_owner_from_identity("iss1", 4, "sub", 3, &a), TAPI_OK);
    assert_int_equal(tapi_owner_from_identity("iss2", 4, "sub", 3, &b), TAPI_OK);
    assert_int_equal(tapi_owner_from_identity("iss1", 4, "sub", 3, &c), TAPI_OK);
    assert_int_equal(strlen(a.key), TAPI_OWNER_KEY_LEN);
    assert_int_equal(a.key[0], 'u');
    assert_string_not_equal(a.key, b.key);
    assert_string_equal(a.key, c.key);
    assert_false(tapi_owner_is_shared(a.key));
    /* "iss1\nsub" must not be reachable by moving the separator */
    assert_int_equal(tapi_owner_from_identity("iss1\nsub", 8, "x", 1, &c), TAPI_EINVAL);
    assert_int_equal(tapi_owner_from_identity("iss1", 4, "", 0, &c), TAPI_EINVAL);
    assert_int_equal(tapi_owner_from_identity("", 0, "sub", 3, &c), TAPI_EINVAL);
    char long_sub[TAPI_OWNER_MAX_SUBJECT + 1];
    memset(long_sub, 'a', sizeof long_sub);
    assert_int_equal(tapi_owner_from_identity("i", 1, long_sub, sizeof long_sub, &c), TAPI_EINVAL);
    assert_int_equal(tapi_owner_from_identity("i", 1, long_sub, sizeof long_sub - 1, &c), TAPI_OK);
    /* the documented recipe: sha256("iss1\nsub"), first 32 hex digits */
    assert_string_equal(a.key, "u36f00fd6a6ef2386aaa07e4d409919a5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(rejects_every_single_character_change),
        cmocka_unit_test(rejects_foreign_key_and_garbage),
        cmocka_unit_test(binds_the_owner),
        cmocka_unit_test(binds_the_filter),
        cmocka_unit_test(derives_owner_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
