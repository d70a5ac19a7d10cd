/* DynamoDB Query replies read in one pass; see query_reply.h. Every string of an item is
 * unescaped into one scratch buffer as long as the reply: an escape never decodes to
 * more bytes than it takes, so the item's strings and their NULs always fit. */
#include "query_reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

typedef struct scanner {
    const char *p, *end;
    char *scratch; /* len + 1 bytes */
    size_t used;   /* by the current item's values */
} scanner;

static void skip_ws(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static bool eat(scanner *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static bool next_is(scanner *s, char c)
{
    skip_ws(s);
    return s->p < s->end && *s->p == c;
}

static int hex4(scanner *s)
{
    if (s->end - s->p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *s->p++;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
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
static bool escape(scanner *s, uint32_t *cp)
{
    if (s->p >= s->end) return false;
    char e = *s->p++;
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
    int hi = hex4(s);
    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF)) return false; /* NUL, or a lone low half */
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return true;
    }
    if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u') return false;
    s->p += 2;
    int lo = hex4(s);
    if (lo < 0xDC00 || lo > 0xDFFF) return false;
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return true;
}

/* A string at the cursor; unescaped into out with a NUL (when out is not NULL). */
static bool string(scanner *s, char *out, size_t *out_len)
{
    if (!eat(s, '"')) return false;
    size_t n = 0;
    while (s->p < s->end) {
        /* the plain run up to the next quote, backslash or control character, at once */
        const char *run = s->p;
        while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (unsigned char)*s->p >= 0x20) s->p++;
        if (out && s->p > run) memcpy(out + n, run, (size_t)(s->p - run));
        n += (size_t)(s->p - run);
        if (s->p == s->end) break;
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"') {
            if (out) out[n] = '\0';
            if (out_len) *out_len = n;
            return true;
        }
        if (c < 0x20) return false;
        if (c != '\\') {
            if (out) out[n] = (char)c;
            n++;
            continue;
        }
        uint32_t cp;
        if (!escape(s, &cp)) return false;
        n += put_utf8(out ? out + n : NULL, cp);
    }
    return false;
}

static bool digits(scanner *s)
{
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
    return s->p > start;
}

static bool number(scanner *s)
{
    if (s->p < s->end && *s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
    } else if (!digits(s)) {
        return false;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return false;
    }
    return true;
}

static bool literal(scanner *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return false;
    s->p += n;
    return true;
}

static bool skip_value(scanner *s, int depth);

/* The members or elements after an opening '{' or '['. */
static bool skip_container(scanner *s, char close, int depth)
{
    if (eat(s, close)) return true;
    do {
        if (close == '}' && (!string(s, NULL, NULL) || !eat(s, ':'))) return false;
        if (!skip_value(s, depth + 1)) return false;
    } while (eat(s, ','));
    return eat(s, close);
}

static bool skip_value(scanner *s, int depth)
{
    if (depth > MAX_DEPTH) return false;
    skip_ws(s);
    if (s->p >= s->end) return false;
    switch (*s->p) {
    case '"': return string(s, NULL, NULL);
    case '{': s->p++; return skip_container(s, '}', depth);
    case '[': s->p++; return skip_container(s, ']', depth);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return number(s);
    }
}

/* An object key, unescaped into the scratch space after the item's values (not kept). */
static const char *key(scanner *s)
{
    char *k = s->scratch + s->used;
    return string(s, k, NULL) && eat(s, ':') ? k : NULL;
}

/* An attribute value, {"<type>": ...}: the wanted type's string is kept in the scratch. */
static bool attribute(scanner *s, char type, const char **value, bool *wrong_type, int depth)
{
    *value = NULL;
    *wrong_type = false;
    if (!next_is(s, '{')) {
        *wrong_type = true;
        return skip_value(s, depth);
    }
    s->p++;
    if (eat(s, '}')) return true;
    do {
        const char *k = key(s);
        if (!k) return false;
        if (k[0] == type && k[1] == '\0' && next_is(s, '"')) {
            char *out = s->scratch + s->used;
            size_t n;
            if (!string(s, out, &n)) return false;
            *value = out;
            s->used += n + 1;
        } else {
            *wrong_type = true;
            if (!skip_value(s, depth + 1)) return false;
        }
    } while (eat(s, ','));
    if (*value) *wrong_type = false;
    return eat(s, '}');
}

static tapi_err item(scanner *s, const tapi_qr_want *want, tapi_qr_item_fn fn, void *ctx)
{
    if (!eat(s, '{')) return TAPI_EINVAL;
    tapi_qr_item it;
    memset(&it, 0, sizeof it);
    s->used = 0;
    if (!eat(s, '}')) {
        do {
            const char *k = key(s);
            if (!k) return TAPI_EINVAL;
            size_t i = 0;
            while (i < want->count && strcmp(k, want->names[i]) != 0) i++;
            bool ok = i < want->count
                          ? attribute(s, want->types[i], &it.values[i], &it.wrong_type[i], 4)
                          : skip_value(s, 4);
            if (!ok) return TAPI_EINVAL;
        } while (eat(s, ','));
        if (!eat(s, '}')) return TAPI_EINVAL;
    }
    return fn(ctx, &it);
}

tapi_err tapi_query_reply_scan(const char *json, size_t len, const tapi_qr_want *want,
                               tapi_qr_item_fn fn, void *ctx, const char **last_key,
                               size_t *last_key_len)
{
    *last_key = NULL;
    *last_key_len = 0;
    if (want->count > TAPI_QR_MAX_FIELDS) return TAPI_EINVAL;
    scanner s = {.p = json, .end = json + len, .scratch = malloc(len + 1)};
    if (!s.scratch) return TAPI_ENOMEM;
    tapi_err err = TAPI_EINVAL;
    bool items = false;
    if (!eat(&s, '{')) goto done;
    if (!eat(&s, '}')) {
        do {
            s.used = 0;
            const char *k = key(&s);
            if (!k) goto done;
            if (strcmp(k, "Items") == 0 && !items) {
                items = true;
                if (!eat(&s, '[')) goto done;
                if (!eat(&s, ']')) {
                    do {
                        tapi_err e = item(&s, want, fn, ctx);
                        if (e != TAPI_OK) {
                            err = e;
                            goto done;
                        }
                    } while (eat(&s, ','));
                    if (!eat(&s, ']')) goto done;
                }
            } else if (strcmp(k, "LastEvaluatedKey") == 0 && !*last_key) {
                if (!next_is(&s, '{')) goto done;
                const char *start = s.p;
                if (!skip_value(&s, 2)) goto done;
                *last_key = start;
                *last_key_len = (size_t)(s.p - start);
            } else if (!skip_value(&s, 2)) {
                goto done;
            }
        } while (eat(&s, ','));
        if (!eat(&s, '}')) goto done;
    }
    skip_ws(&s);
    if (s.p == s.end && items) err = TAPI_OK;
done:
    if (err != TAPI_OK) {
        *last_key = NULL;
        *last_key_len = 0;
    }
    free(s.scratch);
    return err;
}
