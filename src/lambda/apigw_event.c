/* API Gateway proxy event mapping; see apigw_event.h. The event must be valid UTF-8 and
 * JSON. It is checked strictly once (json_check.c), then read in place: the few members
 * the request needs are found by walking the checked text, and only their strings are
 * decoded, into one block sized by the event. A tree of every member (cJSON) cost about a
 * fifth of an invocation's instructions to build and free, for a handful of fields. A
 * client's NUL bytes arrive as \u0000 escapes; they are rewritten to U+0001 first, a
 * control character that every field rejects exactly as it rejects NUL. */
#include "apigw_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/json_check.h"
#include "../core/json_writer.h"
#include "../core/request_context.h"
#include "../core/utf8.h"

enum { EVENT_MAX_DEPTH = 16, KEY_MAX = 128 };

/* The members of the event, and of its requestContext, that a request is made of. */
enum { F_METHOD, F_PATH, F_RESOURCE, F_PATH_PARAMETERS, F_CONTEXT, F_MULTI_HEADERS, F_HEADERS,
       F_MULTI_QUERY, F_QUERY, F_BODY, F_BASE64, F_COUNT };
static const char *const EVENT_FIELDS[F_COUNT] = {
    "httpMethod", "path", "resource", "pathParameters", "requestContext", "multiValueHeaders",
    "headers", "multiValueQueryStringParameters", "queryStringParameters", "body",
    "isBase64Encoded"};
enum { C_PATH, C_REQUEST_ID, C_STAGE, C_AUTHORIZER, C_COUNT };
static const char *const CONTEXT_FIELDS[C_COUNT] = {"path", "requestId", "stage", "authorizer"};

/* ---- walking checked JSON text: p always points at a value, a key or a delimiter ---- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* Past the string whose opening quote is at p. */
static const char *skip_string(const char *p)
{
    for (p++;;) {
        p += strcspn(p, "\"\\");
        if (*p == '"') return p + 1;
        p += 2; /* a backslash and the character it escapes (\uXXXX's digits are plain) */
    }
}

/* Past the value at p. */
static const char *skip_value(const char *p)
{
    if (*p == '"') return skip_string(p);
    if (*p != '{' && *p != '[') return p + strcspn(p, ",}] \t\r\n");
    for (int depth = 0;;) {
        p += strcspn(p, "\"{}[]");
        if (*p == '"') {
            p = skip_string(p);
            continue;
        }
        if (*p == '{' || *p == '[') depth++;
        else if (--depth == 0) return p + 1;
        p++;
    }
}

static bool is_object(const char *v) { return v && *v == '{'; }
static bool is_array(const char *v) { return v && *v == '['; }
static bool is_string(const char *v) { return v && *v == '"'; }

/* Iterates an object's members (it starts at the object) or an array's elements: the
 * next one's key (NULL in an array) and value, false after the last. */
static bool next_item(const char **it, const char **key, const char **value)
{
    if (!*it) return false;
    const char *p = ws(**it == '{' || **it == '[' ? *it + 1 : *it);
    if (*p == ',') p = ws(p + 1);
    if (*p == '}' || *p == ']') {
        *it = NULL;
        return false;
    }
    *key = NULL;
    if (*p == '"' && (p = ws(skip_string(*key = p)), *p == ':')) {
        p = ws(p + 1);
    } else { /* an array element that is a string: what was taken for a key is the value */
        p = *key ? *key : p;
        *key = NULL;
    }
    *value = p;
    *it = skip_value(p);
    return true;
}

/* Decodes the checked string from p (its opening quote) to end (past its closing one) into
 * out, which has room for end - p bytes, NUL-terminated; returns the decoded length. */
static size_t decode(const char *p, const char *end, char *out)
{
    size_t n = 0;
    if (!tapi_json_string_read(&p, end, out, &n)) out[n = 0] = '\0'; /* checked: cannot be */
    return n;
}

/* The bytes of the key at k (at its quote): raw when it has no escape, else decoded into
 * buf; NULL when an escaped key is longer than any name looked up. */
static const char *key_view(const char *k, char buf[KEY_MAX], size_t *n)
{
    const char *raw = k + 1, *end = skip_string(k);
    *n = (size_t)(end - 1 - raw);
    if (!memchr(raw, '\\', *n)) return raw;
    if (*n >= KEY_MAX) return NULL;
    *n = decode(k, end, buf);
    return buf;
}

/* Whether key[0..n) (from key_view, NULL for none) is name: exactly, or ignoring case as
 * header names are compared. */
static bool named(const char *key, size_t n, const char *name, bool fold)
{
    return key && strlen(name) == n &&
           (fold ? strncasecmp(key, name, n) : memcmp(key, name, n)) == 0;
}

/* One pass over obj's members: out[i] gets the value of the first member named names[i]
 * (exactly), or NULL. Every member is looked at once, however many names are wanted. */
static void index_members(const char *obj, const char *const *names, size_t count,
                          const char **out)
{
    for (size_t i = 0; i < count; i++) out[i] = NULL;
    const char *it = is_object(obj) ? obj : NULL, *k, *v;
    char buf[KEY_MAX];
    while (next_item(&it, &k, &v)) {
        size_t n;
        const char *key = key_view(k, buf, &n);
        for (size_t i = 0; i < count; i++)
            if (!out[i] && named(key, n, names[i], false)) out[i] = v;
    }
}

/* The value of obj's first member named name, or NULL (also when obj is no object). */
static const char *field(const char *obj, const char *name)
{
    const char *v;
    index_members(obj, &name, 1, &v);
    return v;
}

/* Decoded strings live in the request's block (sized by the event: each string is
 * decoded at most once, and decoding never lengthens one); should more ever be asked for,
 * they get blocks of their own on a list freed with the request. */
static char *room(tapi_apigw_request *r, size_t n)
{
    if (r->strings_len + n <= r->strings_cap) {
        char *at = r->strings + r->strings_len;
        r->strings_len += n;
        return at;
    }
    void **extra = malloc(sizeof(void *) + n);
    if (!extra) return NULL;
    *extra = r->extra;
    r->extra = extra;
    return (char *)(extra + 1);
}

/* The string value at v decoded (NUL-terminated), *len its length; NULL when v is no
 * string or memory is short (r->nomem). */
static const char *text_of(tapi_apigw_request *r, const char *v, size_t *len)
{
    if (!is_string(v)) return NULL;
    const char *end = skip_string(v);
    char *out = room(r, (size_t)(end - v));
    if (!out) {
        r->nomem = true;
        return NULL;
    }
    size_t n = decode(v, end, out);
    if (len) *len = n;
    return out;
}

static const char *string_field(tapi_apigw_request *r, const char *obj, const char *name)
{
    return text_of(r, field(obj, name), NULL);
}

static void append_cut(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* A decoded string into dst[0..cap), cut to fit (as the fields it fills are bounded). */
static void copy_string(tapi_apigw_request *r, char *dst, size_t cap, const char *v)
{
    const char *s = text_of(r, v, NULL);
    size_t len = 0;
    dst[0] = '\0';
    append_cut(dst, cap, &len, s ? s : "");
}

/* The headers the request needs, found in one pass over multiValueHeaders and one over
 * headers. Names are case-insensitive; multiValueHeaders wins over headers when present. */
enum { H_CONTENT_TYPE, H_AUTHORIZATION, H_IF_MATCH, H_IF_NONE_MATCH, H_IDEMPOTENCY_KEY, H_COUNT };
static const char *const HEADER_NAMES[H_COUNT] = {"Content-Type", "Authorization", "If-Match",
                                                  "If-None-Match", "Idempotency-Key"};
typedef struct header_index {
    const char *first[H_COUNT];  /* multiValueHeaders: the first array's first string */
    unsigned count[H_COUNT];     /* multiValueHeaders: values (a non-array counts one) */
    const char *multi;           /* multiValueHeaders itself, or NULL */
    const char *single[H_COUNT]; /* headers: the first string */
} header_index;

static void index_headers(const char *multi, const char *single, header_index *h)
{
    memset(h, 0, sizeof *h);
    h->multi = is_object(multi) ? multi : NULL;
    char buf[KEY_MAX];
    const char *it = is_object(multi) ? multi : NULL, *k, *v;
    while (next_item(&it, &k, &v)) {
        size_t n;
        const char *key = key_view(k, buf, &n);
        for (int i = 0; i < H_COUNT; i++) {
            if (!named(key, n, HEADER_NAMES[i], true)) continue;
            if (!is_array(v)) {
                h->count[i]++;
                continue;
            }
            const char *arr = v, *ek, *e;
            for (bool first = true; next_item(&arr, &ek, &e); first = false) {
                h->count[i]++;
                if (first && !h->first[i] && is_string(e)) h->first[i] = e;
            }
        }
    }
    it = is_object(single) ? single : NULL;
    while (next_item(&it, &k, &v)) {
        size_t n;
        const char *key = key_view(k, buf, &n);
        for (int i = 0; i < H_COUNT; i++)
            if (!h->single[i] && is_string(v) && named(key, n, HEADER_NAMES[i], true))
                h->single[i] = v;
    }
}

/* The raw value (at its quote) of a header, or NULL. */
static const char *find_header(const header_index *h, int i)
{
    return h->first[i] ? h->first[i] : h->single[i];
}

/* How many values a header has: multiValueHeaders' when the event has them (a client's
 * repeated lines are there), else 0 or 1 from headers. */
static unsigned header_values(const header_index *h, int i)
{
    return h->count[i] ? h->count[i] : find_header(h, i) != NULL;
}

/* Every value of a list header joined with ", " into buf (cut at cap - 1 bytes, which
 * the router's bound refuses); NULL when absent. Walks multiValueHeaders again, only for
 * a header it has. */
static const char *joined_header(tapi_apigw_request *r, const header_index *h, int i, char *buf,
                                 size_t cap)
{
    size_t len = 0;
    bool found = false;
    buf[0] = '\0';
    const char *it = h->count[i] ? h->multi : NULL, *k, *v;
    char kbuf[KEY_MAX];
    while (next_item(&it, &k, &v)) {
        size_t n;
        const char *key = key_view(k, kbuf, &n);
        if (!is_array(v) || !named(key, n, HEADER_NAMES[i], true)) continue;
        const char *arr = v, *ek, *e;
        while (next_item(&arr, &ek, &e)) {
            const char *s = text_of(r, e, NULL);
            if (!s) continue;
            if (found) append_cut(buf, cap, &len, ", ");
            append_cut(buf, cap, &len, s);
            found = true;
        }
    }
    if (found) return buf;
    const char *single = text_of(r, find_header(h, i), NULL);
    if (single) append_cut(buf, cap, &len, single);
    return single ? buf : NULL;
}

/* Adds a parameter: name decoded already (once per member, however many values it has),
 * value the raw string. */
static void add_param(tapi_apigw_request *r, const char *name, size_t nlen, const char *value)
{
    if (r->req.query_count == TAPI_MAX_QUERY_PARAMS + 1) return; /* router reports "too many" */
    size_t vlen = 0;
    const char *val = text_of(r, value, &vlen);
    if (val) r->query[r->req.query_count++] = (tapi_param){name, nlen, val, vlen};
}

/* multiValueQueryStringParameters keeps repeated parameters (so "limit=1&limit=2" is
 * caught); queryStringParameters is the fallback. */
static void collect_query(tapi_apigw_request *r, const char *multi, const char *single)
{
    const char *it, *k, *v, *name;
    size_t nlen = 0;
    if (is_object(multi)) {
        for (it = multi; next_item(&it, &k, &v);) {
            const char *arr = is_array(v) ? v : NULL, *ek, *e;
            for (name = NULL; next_item(&arr, &ek, &e);)
                if (is_string(e) && (name || (name = text_of(r, k, &nlen))))
                    add_param(r, name, nlen, e);
        }
        return;
    }
    for (it = is_object(single) ? single : NULL; next_item(&it, &k, &v);)
        if (is_string(v) && (name = text_of(r, k, &nlen))) add_param(r, name, nlen, v);
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict standard base64 (padding optional). Returns false on any invalid character. */
static bool b64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
    while (len && in[len - 1] == '=') len--;
    if (len % 4 == 1) return false;
    char *buf = malloc(len / 4 * 3 + 3);
    if (!buf) return false;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0) {
            free(buf);
            return false;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    *out = buf;
    *out_len = o;
    return true;
}

static void take_body(tapi_apigw_request *r, const char *body, const char *base64)
{
    size_t len = 0;
    const char *text = text_of(r, body, &len);
    if (!text) return; /* null or absent: no body */
    if (base64 && strncmp(base64, "true", 4) == 0) {
        /* only the first 64 KiB + 1 byte matter; decode at most that much */
        size_t limit = (TAPI_MAX_BODY_BYTES / 3 + 2) * 4;
        if (len > limit) {
            r->req.body_too_large = true;
            return;
        }
        size_t n;
        if (!b64_decode(text, len, &r->body, &n)) {
            r->reject_code = "invalid_body";
            r->reject_message = "Request body is not valid base64.";
            return;
        }
        text = r->body;
        len = n;
    }
    if (len > TAPI_MAX_BODY_BYTES) r->req.body_too_large = true;
    r->req.body = text;
    r->req.body_len = len;
}

/* Routes on what API Gateway matched, never on event.path: behind a custom domain with a
 * base path, path is "/v1/tasks" while resource is "/tasks". The collection path for
 * Location is requestContext.path, the path as the client sent it (with the stage on the
 * execute-api host, with the base path on a custom domain). An event without a resource
 * (not from a REST API) is routed on its path. */
static void route_event(tapi_apigw_request *r, const char *const *f, const char *const *c)
{
    tapi_request *req = &r->req;
    const char *resource = text_of(r, f[F_RESOURCE], NULL);
    const char *sent = text_of(r, c[C_PATH], NULL);
    if (!sent) sent = req->path;
    req->collection_path = sent;
    req->collection_path_len = strlen(sent);
    if (!resource) {
        req->route = tapi_route_path(req->path, req->path_len, &req->id, &req->id_len);
        return;
    }
    if (strcmp(resource, TAPI_RESOURCE_COLLECTION) == 0) {
        req->route = TAPI_ROUTE_COLLECTION;
        return;
    }
    const char *id = string_field(r, f[F_PATH_PARAMETERS], "id");
    if (strcmp(resource, TAPI_RESOURCE_ITEM) == 0 && id) {
        req->route = TAPI_ROUTE_ITEM;
        req->id = id;
        req->id_len = strlen(id);
        return;
    }
    req->route = TAPI_ROUTE_NONE;
}

/* Backslashes occur only inside JSON strings, so escapes can be found without tracking
 * string boundaries; "\\u0000" (an escaped backslash) is skipped as a pair. */
static void neutralise_nul_escapes(char *s, size_t len)
{
    for (char *b = memchr(s, '\\', len); b && b + 1 < s + len;
         b = memchr(b + 2, '\\', len - (size_t)(b + 2 - s))) {
        size_t i = (size_t)(b - s);
        if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) s[i + 5] = '1';
        if (i + 2 >= len) break;
    }
}

tapi_err tapi_apigw_parse(const char *event, size_t len, tapi_apigw_request *out, char *why,
                          size_t whylen)
{
    memset(out, 0, sizeof *out);
    bool utf8_ok = tapi_utf8_valid(event, len, NULL);
    /* the checked copy, then room for every string decoded from it */
    char *text = malloc(2 * len + 2);
    if (!text) return TAPI_ENOMEM;
    memcpy(text, event, len);
    text[len] = '\0';
    out->text = text;
    out->strings = text + len + 1;
    out->strings_cap = len + 1;
    neutralise_nul_escapes(text, len);
    tapi_json_error jerr;
    if (tapi_json_check(text, len, EVENT_MAX_DEPTH, &jerr) != TAPI_OK) {
        tapi_apigw_request_free(out);
        snprintf(why, whylen, "event is not valid JSON: %s at line %zu, column %zu", jerr.what,
                 jerr.line, jerr.column);
        return TAPI_EINVAL;
    }
    const char *root = ws(text), *f[F_COUNT];
    index_members(root, EVENT_FIELDS, F_COUNT, f);
    size_t path_len = 0;
    const char *method = text_of(out, f[F_METHOD], NULL);
    const char *path = text_of(out, f[F_PATH], &path_len);
    if (!is_object(root) || !method || !path) {
        bool nomem = out->nomem;
        tapi_apigw_request_free(out);
        if (nomem) return TAPI_ENOMEM;
        snprintf(why, whylen, "event is not an API Gateway REST proxy event "
                              "(httpMethod and path are required)");
        return TAPI_EINVAL;
    }
    out->req.method = method;
    out->req.path = path;
    out->req.path_len = path_len;
    const char *c[C_COUNT];
    index_members(f[F_CONTEXT], CONTEXT_FIELDS, C_COUNT, c);
    route_event(out, f, c);
    copy_string(out, out->api_request_id, sizeof out->api_request_id, c[C_REQUEST_ID]);
    copy_string(out, out->stage, sizeof out->stage, c[C_STAGE]);
    if (!utf8_ok) { /* only client-supplied parts can carry it; the client gets a 400 */
        out->reject_code = "invalid_utf8";
        out->reject_message = "Request is not valid UTF-8.";
        return out->nomem ? (tapi_apigw_request_free(out), TAPI_ENOMEM) : TAPI_OK;
    }
    const char *claims = field(c[C_AUTHORIZER], "claims");
    out->claim_iss = string_field(out, claims, "iss");
    out->claim_sub = string_field(out, claims, "sub");
    out->req.query = out->query;
    collect_query(out, f[F_MULTI_QUERY], f[F_QUERY]);
    header_index h;
    index_headers(f[F_MULTI_HEADERS], f[F_HEADERS], &h);
    out->req.content_type = text_of(out, find_header(&h, H_CONTENT_TYPE), NULL);
    if (header_values(&h, H_CONTENT_TYPE) > 1) out->req.repeated_header = "Content-Type";
    out->authorization_headers = header_values(&h, H_AUTHORIZATION);
    out->authorization_sent = find_header(&h, H_AUTHORIZATION) != NULL;
    out->req.if_match = joined_header(out, &h, H_IF_MATCH, out->if_match, sizeof out->if_match);
    out->req.if_none_match =
        joined_header(out, &h, H_IF_NONE_MATCH, out->if_none_match, sizeof out->if_none_match);
    out->req.idempotency_key = joined_header(out, &h, H_IDEMPOTENCY_KEY, out->idempotency_key,
                                             sizeof out->idempotency_key);
    take_body(out, f[F_BODY], f[F_BASE64]);
    if (out->nomem) {
        tapi_apigw_request_free(out);
        return TAPI_ENOMEM;
    }
    return TAPI_OK;
}

tapi_err tapi_apigw_owner(const tapi_apigw_request *r, tapi_owner *out, bool *token_sent)
{
    *token_sent = r->authorization_sent;
    const char *iss = r->claim_iss, *sub = r->claim_sub;
    if (!iss || !sub) return TAPI_EINVAL;
    return tapi_owner_from_identity(iss, strlen(iss), sub, strlen(sub), out);
}

void tapi_apigw_request_free(tapi_apigw_request *r)
{
    for (void **e = r->extra; e;) {
        void **next = *e;
        free(e);
        e = next;
    }
    free(r->text);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void put_header(tapi_buf *b, bool *first, const char *name, const char *value)
{
    if (!*first) tapi_buf_append(b, ",", 1);
    *first = false;
    tapi_buf_json_string(b, name, strlen(name));
    tapi_buf_append(b, ":", 1);
    tapi_buf_json_string(b, value, strlen(value));
}

bool tapi_apigw_origin_valid(const char *s)
{
    if (strcmp(s, "*") == 0) return true;
    const char *host = strncmp(s, "https://", 8) == 0 ? s + 8
                       : strncmp(s, "http://", 7) == 0 ? s + 7
                                                       : NULL;
    size_t n = host ? strlen(host) : 0;
    return n > 0 && n <= 253 &&
           strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") == n;
}

tapi_err tapi_apigw_response(const tapi_response *resp, const char *cors_origin, char **json,
                             size_t *len)
{
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_buf_puts(&b, "{\"statusCode\":");
    tapi_buf_put_u64(&b, (unsigned)resp->status); /* 100..599 */
    tapi_buf_puts(&b, ",\"headers\":{");
    bool first = true;
    if (resp->status != 204 && resp->status != 304)
        put_header(&b, &first, "Content-Type",
                   resp->problem ? TAPI_PROBLEM_CONTENT_TYPE : TAPI_CONTENT_TYPE);
    const char *request_id = tapi_request_context_id();
    if (*request_id) put_header(&b, &first, "X-Request-Id", request_id);
    put_header(&b, &first, "X-Content-Type-Options", TAPI_NOSNIFF);
    put_header(&b, &first, "Cache-Control", resp->cache_control ? resp->cache_control : "no-store");
    if (resp->etag[0]) put_header(&b, &first, "ETag", resp->etag);
    if (resp->idempotent_replayed) put_header(&b, &first, "Idempotent-Replayed", "true");
    if (resp->location[0]) put_header(&b, &first, "Location", resp->location);
    if (cors_origin) {
        put_header(&b, &first, "Access-Control-Allow-Origin", cors_origin);
        /* a browser script sees only the CORS-safelisted headers unless told otherwise */
        put_header(&b, &first, "Access-Control-Expose-Headers", TAPI_CORS_EXPOSE_HEADERS);
    }
    if (resp->allow) put_header(&b, &first, "Allow", resp->allow);
    if (resp->vary) put_header(&b, &first, "Vary", resp->vary);
    if (resp->accept_patch) put_header(&b, &first, "Accept-Patch", resp->accept_patch);
    if (resp->www_authenticate)
        put_header(&b, &first, "WWW-Authenticate", resp->www_authenticate);
    if (resp->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", resp->retry_after);
        put_header(&b, &first, "Retry-After", secs);
    }
    tapi_buf_puts(&b, "},\"body\":");
    if (resp->body && !resp->headers_only)
        tapi_buf_json_string(&b, resp->body, resp->body_len);
    else
        tapi_buf_puts(&b, "\"\"");
    tapi_buf_puts(&b, ",\"isBase64Encoded\":false}");
    return tapi_buf_take(&b, json, len);
}
