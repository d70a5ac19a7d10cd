/* A strict RFC 8259 syntax check run on request bodies before they are parsed into a
 * tree. It exists because the tree parser (cJSON) is lenient: it accepts raw control
 * characters, "\u0000" and lone surrogates, and reports no line/column. Here every
 * rejection says where and why, and nesting depth is bounded. */
#ifndef TAPI_JSON_CHECK_H
#define TAPI_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

typedef struct tapi_json_error {
    size_t line;     /* 1-based */
    size_t column;   /* 1-based, in bytes */
    char what[96];   /* e.g. "expected ':' after object key" */
} tapi_json_error;

/* Checks that text[0..len) is exactly one JSON value (surrounded by optional whitespace)
 * with no NUL characters in strings and depth <= max_depth. Text must already be valid
 * UTF-8. Returns TAPI_OK, or TAPI_EINVAL with *err filled in. */
tapi_err tapi_json_check(const char *text, size_t len, int max_depth, tapi_json_error *err);

/* Reads the JSON string whose opening quote is at *p, in text ending at end, as strictly
 * as the check above (no raw control characters, no \u0000, no lone surrogates): its
 * unescaped UTF-8 and a NUL go to out unless out is NULL (end - *p bytes of room always
 * suffice: an escape never decodes to more bytes than it takes), its length to *out_len
 * unless NULL, and *p moves past the closing quote. False, *p anywhere, on anything else.
 * For readers that take a few strings out of a document without building a tree. */
bool tapi_json_string_read(const char **p, const char *end, char *out, size_t *out_len);

/* The length of the longest prefix of s[0..n) that a JSON string holds as it is: no '"',
 * no backslash, no control character. Eight bytes a step, for the checker, the readers
 * and the writer, whose strings are mostly such runs. */
size_t tapi_json_plain_prefix(const char *s, size_t n);

/* The same prefix, also copied to out, which must have room for n bytes: the copy goes
 * eight bytes a step with the scan, so bytes of out past the run (never past out + n) may
 * be overwritten. Returns the run's length. */
size_t tapi_json_plain_copy(char *out, const char *s, size_t n);

#endif
