/* DynamoDB item replies read in one pass; see query_reply.h. Every string of an item is
 * unescaped into one scratch buffer as long as the reply: an escape never decodes to
 * more bytes than it takes, so the item's strings and their NULs always fit. */
#include "query_reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/json_check.h"

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

/* A string at the cursor (json_check.h's strict reader); unescaped into out with a NUL
 * when out is not NULL. */
static bool string(scanner *s, char *out, size_t *out_len)
{
    return next_is(s, '"') && tapi_json_string_read(&s->p, s->end, out, out_len);
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
            bool first = i < want->count && !it.present[i];
            if (first) it.present[i] = true;
            bool ok = first ? attribute(s, want->types[i], &it.values[i], &it.wrong_type[i], 4)
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

tapi_err tapi_item_reply_scan(const char *json, size_t len, const char *member,
                              const tapi_qr_want *want, tapi_qr_item_fn fn, void *ctx,
                              bool *found)
{
    *found = false;
    if (want->count > TAPI_QR_MAX_FIELDS) return TAPI_EINVAL;
    scanner s = {.p = json, .end = json + len, .scratch = malloc(len + 1)};
    if (!s.scratch) return TAPI_ENOMEM;
    tapi_err err = TAPI_EINVAL;
    if (!eat(&s, '{')) goto done;
    if (!eat(&s, '}')) {
        do {
            s.used = 0;
            const char *k = key(&s);
            if (!k) goto done;
            if (strcmp(k, member) == 0 && !*found) {
                *found = true;
                tapi_err e = item(&s, want, fn, ctx);
                if (e != TAPI_OK) {
                    err = e;
                    goto done;
                }
            } else if (!skip_value(&s, 2)) {
                goto done;
            }
        } while (eat(&s, ','));
        if (!eat(&s, '}')) goto done;
    }
    skip_ws(&s);
    if (s.p == s.end) err = TAPI_OK;
done:
    free(s.scratch);
    return err;
}
