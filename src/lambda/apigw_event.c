/* API Gateway proxy event mapping; see apigw_event.h. The event must be valid UTF-8 and
 * JSON. A client's NUL bytes arrive as \u0000 escapes, which cJSON would silently cut a
 * string at (turning a rejected body into an accepted one); they are rewritten to U+0001
 * first, a control character that every field rejects exactly as it rejects NUL. */
#include "apigw_event.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/json_check.h"
#include "../core/json_writer.h"
#include "../core/request_context.h"
#include "../core/utf8.h"

enum { EVENT_MAX_DEPTH = 16 };

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *f = field(obj, name);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

static void copy_string(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Headers are case-insensitive; multiValueHeaders wins over headers when present. */
static const char *find_header(const cJSON *event, const char *name)
{
    const cJSON *multi = field(event, "multiValueHeaders");
    const cJSON *h;
    cJSON_ArrayForEach(h, (cJSON_IsObject(multi) ? multi : NULL)) {
        if (h->string && strcasecmp(h->string, name) == 0) {
            const cJSON *first = cJSON_IsArray(h) ? cJSON_GetArrayItem(h, 0) : NULL;
            if (cJSON_IsString(first)) return first->valuestring;
        }
    }
    const cJSON *single = field(event, "headers");
    cJSON_ArrayForEach(h, (cJSON_IsObject(single) ? single : NULL)) {
        if (h->string && strcasecmp(h->string, name) == 0 && cJSON_IsString(h))
            return h->valuestring;
    }
    return NULL;
}

/* How many values the named header has: multiValueHeaders' when the event has them
 * (a client's repeated lines are there), else 0 or 1 from headers. */
static unsigned header_values(const cJSON *event, const char *name)
{
    const cJSON *multi = field(event, "multiValueHeaders");
    const cJSON *h;
    unsigned n = 0;
    cJSON_ArrayForEach(h, (cJSON_IsObject(multi) ? multi : NULL)) {
        if (h->string && strcasecmp(h->string, name) == 0)
            n += cJSON_IsArray(h) ? (unsigned)cJSON_GetArraySize(h) : 1;
    }
    return n ? n : find_header(event, name) != NULL;
}

/* Every value of a list header joined with ", " into buf (cut at cap - 1 bytes, which
 * the router's bound refuses); NULL when absent. */
static const char *joined_header(const cJSON *event, const char *name, char *buf, size_t cap)
{
    const cJSON *multi = field(event, "multiValueHeaders");
    const cJSON *h;
    size_t len = 0;
    bool found = false;
    buf[0] = '\0';
    cJSON_ArrayForEach(h, (cJSON_IsObject(multi) ? multi : NULL)) {
        if (!h->string || strcasecmp(h->string, name) != 0 || !cJSON_IsArray(h)) continue;
        const cJSON *v;
        cJSON_ArrayForEach(v, h) {
            if (!cJSON_IsString(v)) continue;
            int n = snprintf(buf + len, cap - len, "%s%s", found ? ", " : "", v->valuestring);
            if (n > 0) len = (size_t)n >= cap - len ? cap - 1 : len + (size_t)n;
            found = true;
        }
    }
    if (found) return buf;
    const char *single = find_header(event, name);
    if (single) snprintf(buf, cap, "%s", single);
    return single ? buf : NULL;
}

static void add_param(tapi_apigw_request *r, const char *name, const char *value)
{
    if (r->req.query_count == TAPI_MAX_QUERY_PARAMS + 1) return; /* router reports "too many" */
    r->query[r->req.query_count++] =
        (tapi_param){name, strlen(name), value, strlen(value)};
}

/* multiValueQueryStringParameters keeps repeated parameters (so "limit=1&limit=2" is
 * caught); queryStringParameters is the fallback. */
static void collect_query(const cJSON *event, tapi_apigw_request *r)
{
    const cJSON *multi = field(event, "multiValueQueryStringParameters");
    const cJSON *p, *v;
    if (cJSON_IsObject(multi)) {
        cJSON_ArrayForEach(p, multi) {
            cJSON_ArrayForEach(v, (cJSON_IsArray(p) ? p : NULL)) {
                if (cJSON_IsString(v)) add_param(r, p->string, v->valuestring);
            }
        }
        return;
    }
    const cJSON *single = field(event, "queryStringParameters");
    cJSON_ArrayForEach(p, (cJSON_IsObject(single) ? single : NULL)) {
        if (cJSON_IsString(p)) add_param(r, p->string, p->valuestring);
    }
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

static void take_body(const cJSON *event, tapi_apigw_request *r)
{
    const cJSON *body = field(event, "body");
    if (!cJSON_IsString(body)) return; /* null or absent: no body */
    const char *text = body->valuestring;
    size_t len = strlen(text);
    if (cJSON_IsTrue(field(event, "isBase64Encoded"))) {
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
static void route_event(const cJSON *event, const cJSON *ctx, tapi_request *req)
{
    const char *resource = string_field(event, "resource");
    const char *sent = string_field(ctx, "path");
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
    const char *id = string_field(field(event, "pathParameters"), "id");
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
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\') continue;
        if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) s[i + 5] = '1';
        i++;
    }
}

tapi_err tapi_apigw_parse(const char *event, size_t len, tapi_apigw_request *out, char *why,
                          size_t whylen)
{
    memset(out, 0, sizeof *out);
    bool utf8_ok = tapi_utf8_valid(event, len, NULL);
    char *text = malloc(len + 1);
    if (!text) return TAPI_ENOMEM;
    memcpy(text, event, len);
    text[len] = '\0';
    neutralise_nul_escapes(text, len);
    tapi_json_error jerr;
    if (utf8_ok && tapi_json_check(text, len, EVENT_MAX_DEPTH, &jerr) != TAPI_OK) {
        free(text);
        snprintf(why, whylen, "event is not valid JSON: %s at line %zu, column %zu", jerr.what,
                 jerr.line, jerr.column);
        return TAPI_EINVAL;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) {
        snprintf(why, whylen, "event is not valid JSON");
        return TAPI_EINVAL;
    }
    const char *method = string_field(root, "httpMethod");
    const char *path = string_field(root, "path");
    if (!cJSON_IsObject(root) || !method || !path) {
        cJSON_Delete(root);
        snprintf(why, whylen, "event is not an API Gateway REST proxy event "
                              "(httpMethod and path are required)");
        return TAPI_EINVAL;
    }
    out->root = root;
    out->req.method = method;
    out->req.path = path;
    out->req.path_len = strlen(path);
    const cJSON *ctx = field(root, "requestContext");
    route_event(root, ctx, &out->req);
    copy_string(out->api_request_id, sizeof out->api_request_id, string_field(ctx, "requestId"));
    copy_string(out->stage, sizeof out->stage, string_field(ctx, "stage"));
    if (!utf8_ok) { /* only client-supplied parts can carry it; the client gets a 400 */
        out->reject_code = "invalid_utf8";
        out->reject_message = "Request is not valid UTF-8.";
        return TAPI_OK;
    }
    out->req.query = out->query;
    collect_query(root, out);
    out->req.content_type = find_header(root, "Content-Type");
    if (header_values(root, "Content-Type") > 1) out->req.repeated_header = "Content-Type";
    out->authorization_headers = header_values(root, "Authorization");
    out->req.if_match = joined_header(root, "If-Match", out->if_match, sizeof out->if_match);
    out->req.if_none_match =
        joined_header(root, "If-None-Match", out->if_none_match, sizeof out->if_none_match);
    out->req.idempotency_key = joined_header(root, "Idempotency-Key", out->idempotency_key,
                                             sizeof out->idempotency_key);
    take_body(root, out);
    return TAPI_OK;
}

tapi_err tapi_apigw_owner(const tapi_apigw_request *r, tapi_owner *out, bool *token_sent)
{
    const cJSON *root = r->root;
    *token_sent = find_header(root, "Authorization") != NULL;
    const cJSON *claims = field(field(field(root, "requestContext"), "authorizer"), "claims");
    const char *iss = string_field(claims, "iss"), *sub = string_field(claims, "sub");
    if (!iss || !sub) return TAPI_EINVAL;
    return tapi_owner_from_identity(iss, strlen(iss), sub, strlen(sub), out);
}

void tapi_apigw_request_free(tapi_apigw_request *r)
{
    cJSON_Delete(r->root);
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
