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
    size_t want_len[TAPI_QR_MAX_FIELDS]; /* of the wanted names: keys are matched by length first */
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

/* An object key and its length, only compared, never kept: read in place when it holds
 * no escape (as nearly every key does), else unescaped into the scratch space after the
 * item's values. Not NUL-terminated. */
static const char *key(scanner *s, size_t *len)
{
    if (!next_is(s, '"')) return NULL;
    const char *k = s->p + 1;
    size_t run = tapi_json_plain_prefix(k, (size_t)(s->end - k));
    if (run < (size_t)(s->end - k) && k[run] == '"') {
        s->p = k + run + 1;
        *len = run;
    } else {
        char *out = s->scratch + s->used;
        if (!string(s, out, len)) return NULL;
        k = out;
    }
    return eat(s, ':') ? k : NULL;
}

static bool key_is(const char *k, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(k, name, len) == 0;
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
        size_t kn;
        const char *k = key(s, &kn);
        if (!k) return false;
        if (kn == 1 && k[0] == type && next_is(s, '"')) {
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
            size_t kn;
            const char *k = key(s, &kn);
            if (!k) return TAPI_EINVAL;
            size_t i = 0;
            while (i < want->count && (s->want_len[i] != kn || memcmp(k, want->names[i], kn) != 0)) i++;
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

/* What a reply's members are read for: the item or items wanted, and where they go. */
typedef struct reading {
    const tapi_qr_want *want;
    tapi_qr_item_fn fn;
    void *ctx;
    const char *member; /* the member holding the item(s) */
    bool many;          /* an array of items (Query), else one item */
    bool found;         /* the member was there (the first counts) */
    const char *last_key;
    size_t last_key_len;
} reading;

/* Reads the value of the member named k (kn bytes), the cursor at it. */
static tapi_err read_member(scanner *s, const char *k, size_t kn, reading *r)
{
    if (key_is(k, kn, r->member) && !r->found) {
        r->found = true;
        if (!r->many) return item(s, r->want, r->fn, r->ctx);
        if (!eat(s, '[')) return TAPI_EINVAL;
        if (eat(s, ']')) return TAPI_OK;
        do {
            tapi_err e = item(s, r->want, r->fn, r->ctx);
            if (e != TAPI_OK) return e;
        } while (eat(s, ','));
        return eat(s, ']') ? TAPI_OK : TAPI_EINVAL;
    }
    if (r->many && key_is(k, kn, "LastEvaluatedKey") && !r->last_key) {
        if (!next_is(s, '{')) return TAPI_EINVAL;
        const char *start = s->p;
        if (!skip_value(s, 2)) return TAPI_EINVAL;
        r->last_key = start;
        r->last_key_len = (size_t)(s->p - start);
        return TAPI_OK;
    }
    return skip_value(s, 2) ? TAPI_OK : TAPI_EINVAL;
}

/* Reads the reply json[0..len), one JSON object, member by member. */
static tapi_err read_reply(const char *json, size_t len, reading *r)
{
    if (r->want->count > TAPI_QR_MAX_FIELDS) return TAPI_EINVAL;
    scanner s = {.p = json, .end = json + len, .scratch = malloc(len + 1)};
    if (!s.scratch) return TAPI_ENOMEM;
    for (size_t i = 0; i < r->want->count; i++) s.want_len[i] = strlen(r->want->names[i]);
    tapi_err err = TAPI_EINVAL;
    if (!eat(&s, '{')) goto done;
    if (!eat(&s, '}')) {
        do {
            s.used = 0;
            size_t kn;
            const char *k = key(&s, &kn);
            if (!k) goto done;
            tapi_err e = read_member(&s, k, kn, r);
            if (e != TAPI_OK) {
                err = e;
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

tapi_err tapi_query_reply_scan(const char *json, size_t len, const tapi_qr_want *want,
                               tapi_qr_item_fn fn, void *ctx, const char **last_key,
                               size_t *last_key_len)
{
    reading r = {.want = want, .fn = fn, .ctx = ctx, .member = "Items", .many = true};
    tapi_err err = read_reply(json, len, &r);
    if (err == TAPI_OK && !r.found) err = TAPI_EINVAL;
    *last_key = err == TAPI_OK ? r.last_key : NULL;
    *last_key_len = err == TAPI_OK ? r.last_key_len : 0;
    return err;
}

tapi_err tapi_item_reply_scan(const char *json, size_t len, const char *member,
                              const tapi_qr_want *want, tapi_qr_item_fn fn, void *ctx,
                              bool *found)
{
    reading r = {.want = want, .fn = fn, .ctx = ctx, .member = member};
    tapi_err err = read_reply(json, len, &r);
    *found = r.found;
    return err;
}
