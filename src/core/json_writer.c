/* Output buffer and JSON string escaping; see json_writer.h. */
#include "json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"

void tapi_buf_init(tapi_buf *b) { *b = (tapi_buf){0}; }

static bool reserve(tapi_buf *b, size_t extra)
{
    if (b->failed) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool tapi_buf_reserve(tapi_buf *b, size_t extra) { return reserve(b, extra); }

void tapi_buf_append(tapi_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

size_t tapi_u64_decimal(unsigned long long v, char out[20])
{
    char digits[20];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, digits + n, sizeof digits - n);
    return sizeof digits - n;
}

void tapi_buf_put_u64(tapi_buf *b, unsigned long long v)
{
    char digits[20];
    tapi_buf_append(b, digits, tapi_u64_decimal(v, digits));
}

void tapi_buf_put_fixed3(tapi_buf *b, double v)
{
    if (!isfinite(v) || fabs(v) >= 1e15) {
        tapi_buf_puts(b, isfinite(v) ? (v < 0 ? "-1e15" : "1e15") : "0.000");
        return;
    }
    /* the nearest thousandth, halves away from zero */
    unsigned long long t = (unsigned long long)(fabs(v) * 1000.0 + 0.5);
    if (v < 0 && t) tapi_buf_append(b, "-", 1);
    tapi_buf_put_u64(b, t / 1000);
    char frac[4] = {'.', (char)('0' + t / 100 % 10), (char)('0' + t / 10 % 10), (char)('0' + t % 10)};
    tapi_buf_append(b, frac, sizeof frac);
}

void tapi_buf_json_string(tapi_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* worst case every byte becomes \u00XX */
    if (!reserve(b, n * 6 + 2)) return;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        size_t run = tapi_json_plain_copy(o, s + i, n - i); /* copied as it is */
        o += run;
        i += run;
        if (i == n) break;
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c >= 0x20) {
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 0xF];
            o += 6;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

tapi_err tapi_buf_take(tapi_buf *b, char **out, size_t *len)
{
    if (b->failed || !reserve(b, 0)) {
        tapi_buf_free(b);
        return TAPI_ENOMEM;
    }
    b->data[b->len] = '\0';
    *out = b->data;
    *len = b->len;
    tapi_buf_init(b);
    return TAPI_OK;
}

void tapi_buf_free(tapi_buf *b)
{
    free(b->data);
    tapi_buf_init(b);
}
