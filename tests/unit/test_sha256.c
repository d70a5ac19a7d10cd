/* Unit tests for src/core/sha256.c: the published SHA-256 (FIPS 180-2) and HMAC-SHA256
 * (RFC 4231) test vectors, a digest given in parts, and keys longer than a block. */
#include "test_support.h"

#include "../../src/core/hex.h"
#include "../../src/core/sha256.h"

static void hex_of(const uint8_t d[TAPI_SHA256_BYTES], char out[2 * TAPI_SHA256_BYTES + 1])
{
    tapi_hex_encode(d, TAPI_SHA256_BYTES, out);
}

static void digests_match_fips_180_2(void **state)
{
    (void)state;
    uint8_t d[TAPI_SHA256_BYTES];
    char hex[65];
    assert_true(tapi_sha256(&(tapi_bytes){"abc", 3}, 1, d));
    hex_of(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(tapi_sha256(&(tapi_bytes){"", 0}, 1, d));
    hex_of(d, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* the same message in three parts, one of them empty */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const tapi_bytes parts[] = {{m, 10}, {m + 10, 0}, {m + 10, strlen(m) - 10}};
    assert_true(tapi_sha256(parts, 3, d));
    hex_of(d, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void hmacs_match_rfc_4231(void **state)
{
    (void)state;
    uint8_t key[131], d[TAPI_SHA256_BYTES];
    char hex[65];
    /* case 1: a 20-byte key */
    memset(key, 0x0b, 20);
    assert_true(tapi_hmac_sha256(key, 20, "Hi There", 8, d));
    hex_of(d, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* case 2: a short key */
    assert_true(tapi_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d));
    hex_of(d, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* case 6: a key longer than the block is hashed first */
    memset(key, 0xaa, sizeof key);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    assert_true(tapi_hmac_sha256(key, sizeof key, msg, strlen(msg), d));
    hex_of(d, hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digests_match_fips_180_2),
        cmocka_unit_test(hmacs_match_rfc_4231),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
