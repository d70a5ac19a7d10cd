/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * Every byte string that enters the API (body, path, query) passes through here. */
#ifndef TAPI_UTF8_H
#define TAPI_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..len) is well-formed UTF-8. If not and bad_offset is non-NULL, the offset
 * of the first byte of the offending sequence is written there. */
bool tapi_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Number of code points in s[0..len), which must be valid UTF-8. */
size_t tapi_utf8_count(const char *s, size_t len);

/* Length of the longest prefix of s[0..len) (valid UTF-8) that is at most max bytes and
 * does not end inside a multi-byte sequence: for echoing input back, cut short. */
size_t tapi_utf8_prefix(const char *s, size_t len, size_t max);

/* Decodes one code point from valid UTF-8 at s (len > 0); returns its byte length. */
size_t tapi_utf8_decode(const char *s, size_t len, unsigned *cp);

#endif
