/* UTF-8 validation and counting, written by hand because cJSON does not validate UTF-8
 * and the API must reject invalid input with 400; normalisation, which needs Unicode's
 * data tables, from utf8proc (Debian's libutf8proc). */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Length of the sequence that starts at s, or 0 if it is not well-formed. */
static size_t sequence_length(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        return (avail >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c < 0xF0) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

bool tapi_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* ASCII runs, eight bytes a step while no byte has its top bit */
            uint64_t w;
            while (len - i >= 8 && (memcpy(&w, p + i, 8), (w & 0x8080808080808080u) == 0)) i += 8;
            while (i < len && p[i] < 0x80) i++;
            continue;
        }
        size_t n = sequence_length(p + i, len - i);
        if (n == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

size_t tapi_utf8_count(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

size_t tapi_utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

size_t tapi_utf8_decode(const char *s, size_t len, unsigned *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = sequence_length(p, len);
    if (n <= 1) {
        *cp = p[0];
        return 1;
    }
    unsigned v = p[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++) v = (v << 6) | (p[i] & 0x3F);
    *cp = v;
    return n;
}

tapi_err tapi_utf8_nfc(const char *s, size_t len, char **out, size_t *out_len)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    *out = NULL;
    *out_len = 0;
    if (n < 0) return n == UTF8PROC_ERROR_NOMEM ? TAPI_ENOMEM : TAPI_EINVAL;
    *out = (char *)dst;
    *out_len = (size_t)n;
    return TAPI_OK;
}

bool tapi_utf8_is_spoofing(unsigned cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}
