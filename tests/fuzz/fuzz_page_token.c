/* libFuzzer target: the nextToken decoder. Anything it accepts must re-encode to itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/core/page_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[TAPI_TOKEN_KEY_BYTES] = {7, 7, 7};
    tapi_cursor cursor;
    if (tapi_page_token_decode(key, NULL, 0, (const char *)data, size, &cursor) == TAPI_OK) {
        char again[TAPI_TOKEN_TEXT_MAX];
        tapi_page_token_encode(key, NULL, 0, &cursor, again);
        if (strlen(again) != size || memcmp(again, data, size) != 0) __builtin_trap();
    }
    return 0;
}
