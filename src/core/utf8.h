/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * Every byte string that enters the API (body, path, query) passes through here. */
#ifndef TAPI_UTF8_H
#define TAPI_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

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

/* s[0..len) (valid UTF-8) in Unicode Normalization Form C, so that text that looks the
 * same is stored, counted and compared the same ("e" + U+0301 becomes "é"). *out is
 * NUL-terminated, *out_len bytes, owned by the caller (free). TAPI_ENOMEM, or TAPI_EINVAL
 * when s is not valid UTF-8. */
tapi_err tapi_utf8_nfc(const char *s, size_t len, char **out, size_t *out_len);

/* True for the code points that can make text display other than it reads: the
 * bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069;
 * "Trojan Source", CVE-2021-42574) and the noncharacters (U+FDD0-U+FDEF, U+xFFFE,
 * U+xFFFF), which are for a program's internal use, never for interchange. */
bool tapi_utf8_is_spoofing(unsigned cp);

#endif
