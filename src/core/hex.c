/* Hexadecimal; see hex.h. Uppercase is refused on purpose: every hex string we read was
 * written by us or by AWS in lowercase, so anything else is corrupt. */
#include "hex.h"

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void tapi_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

bool tapi_hex_decode(const char *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* 1 for the lowercase hex digits, 0 for every other byte. */
static const unsigned char DIGIT[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

/* Looked up and folded without a branch per byte: every listed task's id comes through
 * here, and a branch per byte on random hex was mispredicted often enough to cost 2% of
 * a Lambda invocation's CPU. */
bool tapi_hex_valid(const char *s, size_t len)
{
    unsigned ok = 1;
    for (size_t i = 0; i < len; i++) ok &= DIGIT[(unsigned char)s[i]];
    return ok;
}
