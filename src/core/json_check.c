/* Recursive-descent JSON syntax checker; see json_check.h for why it exists. The
 * recursion is bounded by max_depth, so hostile nesting cannot exhaust the stack. */
#include "json_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct checker {
    const char *s;
    size_t len;
    size_t pos;
    int max_depth;
    tapi_json_error *err;
} checker;

static tapi_err fail(checker *c, const char *what)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < c->pos && i < c->len; i++) {
        if (c->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    c->err->line = line;
    c->err->column = col;
    snprintf(c->err->what, sizeof c->err->what, "%s", what);
    return TAPI_EINVAL;
}

static bool at_end(const checker *c) { return c->pos >= c->len; }

static void skip_ws(checker *c)
{
    while (!at_end(c)) {
        char ch = c->s[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') return;
        c->pos++;
    }
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u"; c->pos is on the first digit. */
static tapi_err read_hex4(checker *c, unsigned *out)
{
    if (c->len - c->pos < 4) return fail(c, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(c->s[c->pos]);
        if (h < 0) return fail(c, "invalid hex digit in \\u escape");
        v = (v << 4) | (unsigned)h;
        c->pos++;
    }
    *out = v;
    return TAPI_OK;
}

static tapi_err check_escape(checker *c)
{
    /* c->pos is on the character after the backslash */
    if (at_end(c)) return fail(c, "unterminated string");
    char e = c->s[c->pos];
    if (strchr("\"\\/bfnrt", e) && e != '\0') {
        c->pos++;
        return TAPI_OK;
    }
    if (e != 'u') return fail(c, "invalid escape sequence in string");
    c->pos++;
    unsigned cp;
    tapi_err rc = read_hex4(c, &cp);
    if (rc != TAPI_OK) return rc;
    if (cp == 0) {
        c->pos -= 6;
        return fail(c, "NUL characters (\\u0000) are not allowed in strings");
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        c->pos -= 6;
        return fail(c, "unpaired low surrogate in \\u escape");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (c->len - c->pos < 2 || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u') {
            c->pos -= 6;
            return fail(c, "unpaired high surrogate in \\u escape");
        }
        c->pos += 2;
        unsigned lo;
        rc = read_hex4(c, &lo);
        if (rc != TAPI_OK) return rc;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            c->pos -= 6;
            return fail(c, "high surrogate not followed by a low surrogate");
        }
    }
    return TAPI_OK;
}

/* Where in the eight bytes of w the first one a JSON string must escape is (8: none):
 * bytes below 0x20, or equal to '"' or '\\', by the classic "has a byte less than" and
 * "has a zero byte" tests, whose lowest flagged byte is always a true one (a borrow
 * starts only there). */
static size_t first_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t hit = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
    if (!hit) return 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(hit) / 8;
#else
    size_t i = 0;
    while (!(((w >> (56 - 8 * i)) & 0xff) < 0x20 || ((w >> (56 - 8 * i)) & 0xff) == '"' ||
             ((w >> (56 - 8 * i)) & 0xff) == '\\'))
        i++;
    return i;
#endif
}

/* The plain run of s[0..n), copied to out on the way unless out is NULL (inlined into
 * both callers, so the scan alone never tests out). */
static inline size_t plain_run(char *out, const char *s, size_t n)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (out) memcpy(out + i, &w, 8);
        size_t k = first_special(w);
        if (k < 8) return i + k;
    }
    for (; i < n && s[i] != '"' && s[i] != '\\' && (unsigned char)s[i] >= 0x20; i++)
        if (out) out[i] = s[i];
    return i;
}

size_t tapi_json_plain_prefix(const char *s, size_t n) { return plain_run(NULL, s, n); }

size_t tapi_json_plain_copy(char *out, const char *s, size_t n) { return plain_run(out, s, n); }

static tapi_err check_string(checker *c)
{
    c->pos++; /* opening quote */
    while (!at_end(c)) {
        c->pos += tapi_json_plain_prefix(c->s + c->pos, c->len - c->pos);
        if (at_end(c)) break;
        unsigned char ch = (unsigned char)c->s[c->pos];
        if (ch == '"') {
            c->pos++;
            return TAPI_OK;
        }
        if (ch == '\\') {
            c->pos++;
            tapi_err rc = check_escape(c);
            if (rc != TAPI_OK) return rc;
            continue;
        }
        if (ch < 0x20) return fail(c, "unescaped control character in string");
        c->pos++;
    }
    return fail(c, "unterminated string");
}

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static tapi_err check_number(checker *c)
{
    if (c->s[c->pos] == '-') c->pos++;
    if (at_end(c) || !is_digit(c->s[c->pos])) return fail(c, "invalid number");
    if (c->s[c->pos] == '0') {
        c->pos++;
    } else {
        while (!at_end(c) && is_digit(c->s[c->pos])) c->pos++;
    }
    if (!at_end(c) && c->s[c->pos] == '.') {
        c->pos++;
        if (at_end(c) || !is_digit(c->s[c->pos])) return fail(c, "invalid number: digit expected after '.'");
        while (!at_end(c) && is_digit(c->s[c->pos])) c->pos++;
    }
    if (!at_end(c) && (c->s[c->pos] == 'e' || c->s[c->pos] == 'E')) {
        c->pos++;
        if (!at_end(c) && (c->s[c->pos] == '+' || c->s[c->pos] == '-')) c->pos++;
        if (at_end(c) || !is_digit(c->s[c->pos])) return fail(c, "invalid number: digit expected in exponent");
        while (!at_end(c) && is_digit(c->s[c->pos])) c->pos++;
    }
    return TAPI_OK;
}

static tapi_err check_literal(checker *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos < n || memcmp(c->s + c->pos, word, n) != 0)
        return fail(c, "unexpected character");
    c->pos += n;
    return TAPI_OK;
}

static tapi_err check_value(checker *c, int depth);

static tapi_err check_object(checker *c, int depth)
{
    c->pos++; /* '{' */
    skip_ws(c);
    if (!at_end(c) && c->s[c->pos] == '}') {
        c->pos++;
        return TAPI_OK;
    }
    for (;;) {
        skip_ws(c);
        if (at_end(c)) return fail(c, "unexpected end of input in object");
        if (c->s[c->pos] != '"') return fail(c, "expected a string key in object");
        tapi_err rc = check_string(c);
        if (rc != TAPI_OK) return rc;
        skip_ws(c);
        if (at_end(c) || c->s[c->pos] != ':') return fail(c, "expected ':' after object key");
        c->pos++;
        rc = check_value(c, depth + 1);
        if (rc != TAPI_OK) return rc;
        skip_ws(c);
        if (at_end(c)) return fail(c, "unexpected end of input in object");
        if (c->s[c->pos] == '}') {
            c->pos++;
            return TAPI_OK;
        }
        if (c->s[c->pos] != ',') return fail(c, "expected ',' or '}' in object");
        c->pos++;
    }
}

static tapi_err check_array(checker *c, int depth)
{
    c->pos++; /* '[' */
    skip_ws(c);
    if (!at_end(c) && c->s[c->pos] == ']') {
        c->pos++;
        return TAPI_OK;
    }
    for (;;) {
        tapi_err rc = check_value(c, depth + 1);
        if (rc != TAPI_OK) return rc;
        skip_ws(c);
        if (at_end(c)) return fail(c, "unexpected end of input in array");
        if (c->s[c->pos] == ']') {
            c->pos++;
            return TAPI_OK;
        }
        if (c->s[c->pos] != ',') return fail(c, "expected ',' or ']' in array");
        c->pos++;
    }
}

static tapi_err check_value(checker *c, int depth)
{
    if (depth > c->max_depth) return fail(c, "nesting too deep");
    skip_ws(c);
    if (at_end(c)) return fail(c, "unexpected end of input, expected a value");
    switch (c->s[c->pos]) {
    case '{': return check_object(c, depth);
    case '[': return check_array(c, depth);
    case '"': return check_string(c);
    case 't': return check_literal(c, "true");
    case 'f': return check_literal(c, "false");
    case 'n': return check_literal(c, "null");
    default:
        if (c->s[c->pos] == '-' || is_digit(c->s[c->pos])) return check_number(c);
        return fail(c, "unexpected character, expected a value");
    }
}

tapi_err tapi_json_check(const char *text, size_t len, int max_depth, tapi_json_error *err)
{
    checker c = {.s = text, .len = len, .pos = 0, .max_depth = max_depth, .err = err};
    tapi_err rc = check_value(&c, 1);
    if (rc != TAPI_OK) return rc;
    skip_ws(&c);
    if (!at_end(&c)) return fail(&c, "unexpected data after the JSON value");
    return TAPI_OK;
}

/* ---- one string, read strictly (tapi_json_string_read) ---- */

/* The four hex digits at *p, or -1. */
static int hex4(const char **p, const char *end)
{
    if (end - *p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value(*(*p)++);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Appends code point cp as UTF-8 to out (when not NULL); returns its length. */
static size_t put_utf8(char *out, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (out) memcpy(out, b, n);
    return n;
}

/* The code point of the escape after a backslash; false for an invalid one. */
static bool escape(const char **p, const char *end, uint32_t *cp)
{
    if (*p >= end) return false;
    char e = *(*p)++;
    switch (e) {
    case '"': case '\\': case '/': *cp = (uint32_t)e; return true;
    case 'b': *cp = '\b'; return true;
    case 'f': *cp = '\f'; return true;
    case 'n': *cp = '\n'; return true;
    case 'r': *cp = '\r'; return true;
    case 't': *cp = '\t'; return true;
    case 'u': break;
    default: return false;
    }
    int hi = hex4(p, end);
    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF)) return false; /* NUL, or a lone low half */
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return true;
    }
    if (end - *p < 2 || (*p)[0] != '\\' || (*p)[1] != 'u') return false;
    *p += 2;
    int lo = hex4(p, end);
    if (lo < 0xDC00 || lo > 0xDFFF) return false;
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return true;
}

bool tapi_json_string_read(const char **p, const char *end, char *out, size_t *out_len)
{
    if (*p >= end || **p != '"') return false;
    (*p)++;
    size_t n = 0;
    while (*p < end) {
        /* the plain run up to the next quote, backslash or control character, at once */
        /* out + n has room for what is left of the text: n never passes the bytes read */
        size_t run = out ? tapi_json_plain_copy(out + n, *p, (size_t)(end - *p))
                         : tapi_json_plain_prefix(*p, (size_t)(end - *p));
        *p += run;
        n += run;
        if (*p == end) break;
        unsigned char c = (unsigned char)*(*p)++;
        if (c == '"') {
            if (out) out[n] = '\0';
            if (out_len) *out_len = n;
            return true;
        }
        if (c < 0x20) return false;
        uint32_t cp;
        if (!escape(p, end, &cp)) return false;
        n += put_utf8(out ? out + n : NULL, cp);
    }
    return false;
}
