/* Lowercase hexadecimal, as stored keys and trace ids use it. */
#ifndef TAPI_HEX_H
#define TAPI_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2 * n lowercase hex digits of in[0..n) and a NUL into out[2 * n + 1]. */
void tapi_hex_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly 2 * n lowercase hex digits from in into out[0..n). False (out
 * unspecified) on any other character. */
bool tapi_hex_decode(const char *in, size_t n, uint8_t *out);

/* True if s[0..len) are all lowercase hex digits. */
bool tapi_hex_valid(const char *s, size_t len);

#endif
