/* A growable output buffer with JSON string escaping, used to serialise responses
 * without building a tree. Failure is sticky: after an allocation fails every append is
 * a no-op and tapi_buf_take reports TAPI_ENOMEM, so callers check once at the end. */
#ifndef TAPI_JSON_WRITER_H
#define TAPI_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "errors.h"

typedef struct tapi_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} tapi_buf;

/* An empty buffer; allocates nothing until the first append. */
void tapi_buf_init(tapi_buf *b);
void tapi_buf_append(tapi_buf *b, const char *s, size_t n);
/* Makes room for extra more bytes (and a NUL) without changing the contents, so a reader
 * can fill data[len..cap-1) in place; false (and failed) if memory is short. */
bool tapi_buf_reserve(tapi_buf *b, size_t extra);
/* Appends the NUL-terminated s. Inline, so that the length of a literal (most calls) is
 * known when compiling instead of counted on every call. */
static inline void tapi_buf_puts(tapi_buf *b, const char *s) { tapi_buf_append(b, s, strlen(s)); }
/* Writes v in decimal to out (no NUL) and returns the digit count: the numbers on every
 * task and every log line, where snprintf's format parsing cost more than the rest. */
size_t tapi_u64_decimal(unsigned long long v, char out[20]);
/* Appends v in decimal (tapi_u64_decimal). */
void tapi_buf_put_u64(tapi_buf *b, unsigned long long v);
/* Appends v rounded to the nearest thousandth with 3 decimals ("-1.500", "12.000"); for
 * |v| >= 1e15 the bound itself (+-1e15), for NaN and infinities "0.000" (JSON has
 * neither). A metric, not an exact decimal: halves may round either way. */
void tapi_buf_put_fixed3(tapi_buf *b, double v);
/* Appends s[0..n) (valid UTF-8) as a quoted, escaped JSON string. */
void tapi_buf_json_string(tapi_buf *b, const char *s, size_t n);
/* Moves the NUL-terminated contents to *out (caller frees with free()) and its length to
 * *len; the buffer is left empty. TAPI_ENOMEM if any append failed (nothing is returned). */
tapi_err tapi_buf_take(tapi_buf *b, char **out, size_t *len);
/* Frees whatever the buffer holds. */
void tapi_buf_free(tapi_buf *b);

#endif
