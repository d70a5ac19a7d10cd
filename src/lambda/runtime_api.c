/* Runtime API client over libcurl; see runtime_api.h. The Runtime API is a local endpoint
 * of the sandbox: it never goes through a proxy, whatever http_proxy / ALL_PROXY the
 * function's environment holds (an empty CURLOPT_PROXY turns libcurl's reading of them
 * off), since events and responses carry the users' data. */
#include "runtime_api.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/json_writer.h"
#include "../core/log.h"

enum { POST_ATTEMPTS = 3, NEXT_ATTEMPTS = 5, POST_TIMEOUT_MS = 5000 };

struct tapi_runtime {
    CURL *h;
    char base[256]; /* http://host:port/2018-06-01/runtime */
};

/* A response body: bounded, because the peer is not trusted to stop. */
typedef struct body_sink {
    tapi_buf buf;
    bool overflow;
} body_sink;

tapi_err tapi_runtime_open(const char *api, tapi_runtime **out)
{
    *out = NULL;
    if (!api || !*api || strlen(api) > 200) return TAPI_ECONFIG;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return TAPI_ECONFIG;
    tapi_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) return TAPI_ENOMEM;
    rt->h = curl_easy_init();
    if (!rt->h) {
        free(rt);
        return TAPI_ENOMEM;
    }
    snprintf(rt->base, sizeof rt->base, "http://%s/2018-06-01/runtime", api);
    *out = rt;
    return TAPI_OK;
}

void tapi_runtime_close(tapi_runtime *rt)
{
    if (!rt) return;
    curl_easy_cleanup(rt->h);
    free(rt);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_sink *s = userdata;
    size_t n = size * nmemb;
    if (s->buf.len + n > TAPI_RUNTIME_MAX_EVENT) {
        s->overflow = true;
        return 0; /* makes curl fail the transfer */
    }
    tapi_buf_append(&s->buf, ptr, n);
    return s->buf.failed ? 0 : n;
}

/* Copies a header's value (trimmed) into dst if the line is "name: value". */
static void take_header(const char *line, size_t len, const char *name, char *dst, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1;
    size_t vlen = len - nl - 1;
    while (vlen && (*v == ' ' || *v == '\t')) v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) vlen--;
    if (vlen >= cap) vlen = cap - 1;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    tapi_invocation *inv = userdata;
    size_t n = size * nmemb;
    char deadline[32] = "";
    take_header(line, n, "Lambda-Runtime-Aws-Request-Id", inv->request_id, sizeof inv->request_id);
    take_header(line, n, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof inv->trace_id);
    take_header(line, n, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
    if (deadline[0]) inv->deadline_ms = strtoll(deadline, NULL, 10);
    return n;
}

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

tapi_err tapi_runtime_next(tapi_runtime *rt, tapi_invocation *out)
{
    char url[300];
    snprintf(url, sizeof url, "%s/invocation/next", rt->base);
    for (int attempt = 0; attempt < NEXT_ATTEMPTS; attempt++) {
        memset(out, 0, sizeof *out);
        body_sink body = {0};
        curl_easy_reset(rt->h);
        curl_easy_setopt(rt->h, CURLOPT_URL, url);
        curl_easy_setopt(rt->h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(rt->h, CURLOPT_PROXY, ""); /* never via a proxy: see the top of the file */
        curl_easy_setopt(rt->h, CURLOPT_TIMEOUT_MS, 0L); /* frozen sandboxes: wait forever */
        curl_easy_setopt(rt->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(rt->h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(rt->h, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(rt->h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(rt->h, CURLOPT_HEADERDATA, out);
        CURLcode rc = curl_easy_perform(rt->h);
        long status = 0;
        curl_easy_getinfo(rt->h, CURLINFO_RESPONSE_CODE, &status);
        /* the id goes into URLs: accept only what Lambda's ids are made of */
        bool id_ok = out->request_id[0] &&
                     strspn(out->request_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_.") == strlen(out->request_id);
        if (rc == CURLE_OK && status == 200 && id_ok) {
            tapi_buf_append(&body.buf, "", 0); /* an empty event still gets a buffer */
            return tapi_buf_take(&body.buf, &out->event, &out->event_len);
        }
        tapi_buf_free(&body.buf);
        tapi_log(TAPI_LOG_WARN, "runtime api /next failed: %s, HTTP %ld%s",
                 rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), status,
                 body.overflow ? " (event too large)" : "");
        pause_ms(50L << attempt);
    }
    return TAPI_EUNAVAILABLE;
}

/* POSTs body to url, retrying transient failures; 202 is success. */
static tapi_err post(tapi_runtime *rt, const char *url, const char *body, size_t len,
                     const char *error_type)
{
    char type_header[160];
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (error_type && headers) {
        snprintf(type_header, sizeof type_header, "Lambda-Runtime-Function-Error-Type: %s",
                 error_type);
        struct curl_slist *l = curl_slist_append(headers, type_header);
        if (l) headers = l;
    }
    if (!headers) return TAPI_ENOMEM;
    tapi_err err = TAPI_EUNAVAILABLE;
    for (int attempt = 0; attempt < POST_ATTEMPTS; attempt++) {
        body_sink sink = {0};
        curl_easy_reset(rt->h);
        curl_easy_setopt(rt->h, CURLOPT_URL, url);
        curl_easy_setopt(rt->h, CURLOPT_POST, 1L);
        curl_easy_setopt(rt->h, CURLOPT_PROXY, "");
        curl_easy_setopt(rt->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(rt->h, CURLOPT_POSTFIELDSIZE, (long)len);
        curl_easy_setopt(rt->h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(rt->h, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
        curl_easy_setopt(rt->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(rt->h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(rt->h, CURLOPT_WRITEDATA, &sink);
        CURLcode rc = curl_easy_perform(rt->h);
        long status = 0;
        curl_easy_getinfo(rt->h, CURLINFO_RESPONSE_CODE, &status);
        tapi_buf_free(&sink.buf);
        if (rc == CURLE_OK && status >= 200 && status < 300) {
            err = TAPI_OK;
            break;
        }
        tapi_log(TAPI_LOG_WARN, "runtime api post failed: %s, HTTP %ld",
                 rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), status);
        /* 4xx (e.g. 413 payload too large, or an unknown request id) will not improve */
        if (rc == CURLE_OK && status >= 400 && status < 500) break;
        pause_ms(50L << attempt);
    }
    curl_slist_free_all(headers);
    return err;
}

tapi_err tapi_runtime_respond(tapi_runtime *rt, const char *request_id, const char *body,
                              size_t len)
{
    char url[400];
    snprintf(url, sizeof url, "%s/invocation/%s/response", rt->base, request_id);
    return post(rt, url, body, len, NULL);
}

tapi_err tapi_runtime_fail(tapi_runtime *rt, const char *request_id, const char *error_type,
                           const char *message)
{
    char url[400];
    if (request_id)
        snprintf(url, sizeof url, "%s/invocation/%s/error", rt->base, request_id);
    else
        snprintf(url, sizeof url, "%s/init/error", rt->base);
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_buf_puts(&b, "{\"errorMessage\":");
    tapi_buf_json_string(&b, message, strlen(message));
    tapi_buf_puts(&b, ",\"errorType\":");
    tapi_buf_json_string(&b, error_type, strlen(error_type));
    tapi_buf_puts(&b, ",\"stackTrace\":[]}");
    char *json;
    size_t len;
    if (tapi_buf_take(&b, &json, &len) != TAPI_OK) return TAPI_ENOMEM;
    tapi_err err = post(rt, url, json, len, error_type);
    free(json);
    return err;
}
