/* libmicrohttpd glue. A request's body is gathered into a per-request buffer capped at
 * TAPI_MAX_BODY_BYTES; anything larger is answered 413 as soon as it is known (from
 * Content-Length up front, or while a chunked body streams in) without buffering it. */
#include "http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../core/json_writer.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/request_context.h"
#include "../core/timestamp.h"
#include "../router/conditional.h"
#include "../router/idempotency.h"

enum {
    /* The request line and headers we read: past this, 431 in the API's error shape
     * (16 KiB, Node.js's default; API Gateway's own limit is 10 KiB). libmicrohttpd
     * keeps them in a per-connection pool, HEADER_MEMORY_BYTES, larger so that we see
     * oversized headers and answer them ourselves; only beyond the pool does
     * libmicrohttpd answer with its own (HTML) 431, the request being unreadable. Not
     * larger: libmicrohttpd 0.9.75 zeroes the whole pool after every request (a 64 KiB
     * pool was a tenth of the server's CPU on GET /tasks/{id}), and at 256 KiB, 256 busy
     * connections held 80 MB and the soak test timed out. */
    MAX_HEADER_BYTES = 16 * 1024,
    HEADER_MEMORY_BYTES = 32 * 1024,
    LOG_PATH_MAX = 256,
    REQUEST_BUDGET_MS = 10000, /* storage work for one request gives up after this */
    DRAIN_MAX_BYTES = 1024 * 1024,
};

struct tapi_server {
    struct MHD_Daemon *daemon;
    const tapi_app *app;
    tapi_jwt_verifier *auth;
    const tapi_docs_site *docs;
    int access_log;
    atomic_int in_flight;
    unsigned port;
};

typedef struct request_ctx {
    struct timespec start;
    tapi_buf body;
    bool too_large;
    bool answered;
    bool encoded_separator; /* see on_uri */
    size_t drained; /* bytes of an oversized streamed body thrown away */
    int status;
    const char *method; /* owned by MHD for the request's lifetime */
    char path[LOG_PATH_MAX + 1];
    char request_id[TAPI_REQUEST_ID_MAX + 1]; /* the client's (if valid) or ours */
    char traceparent[56];                      /* a valid W3C traceparent, or "" */
} request_ctx;

/* The raw request target, before libmicrohttpd decodes it, names a path that decoding
 * would change into another route: an encoded NUL (which cuts the decoded path short) or
 * an encoded '/' (which adds a segment). Such paths are 404, never matched. Passed from
 * the URI callback to the first on_request call as its *con_cls. */
static const char ENCODED_SEPARATOR = 0;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    size_t path_len = strcspn(uri, "?");
    for (const char *p = uri; (p = memchr(p, '%', path_len - (size_t)(p - uri))) != NULL; p++) {
        if ((size_t)(p - uri) + 2 < path_len && p[1] == '0' && p[2] == '0')
            return (void *)&ENCODED_SEPARATOR;
        if ((size_t)(p - uri) + 2 < path_len && p[1] == '2' && (p[2] == 'f' || p[2] == 'F'))
            return (void *)&ENCODED_SEPARATOR;
    }
    return NULL;
}

typedef struct query_collector {
    tapi_param params[TAPI_MAX_QUERY_PARAMS + 1]; /* one extra to detect "too many" */
    size_t count;
} query_collector;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    query_collector *q = cls;
    if (key_size == 0 && value_size == 0) return MHD_YES; /* "a=1&&b=2": skipped, as URL parsers do */
    if (q->count == TAPI_MAX_QUERY_PARAMS + 1) return MHD_NO;
    q->params[q->count++] = (tapi_param){
        .name = key, .name_len = key_size, .value = value ? value : "", .value_len = value_size};
    return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, request_ctx *ctx,
                                     tapi_response *resp)
{
    struct MHD_Response *r;
    if (resp->body) {
        enum MHD_ResponseMemoryMode mode =
            resp->body_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE;
        r = MHD_create_response_from_buffer(resp->body_len, resp->body, mode);
        if (r) {
            resp->body = NULL; /* MHD owns (or borrows the static) body now */
            resp->body_static = false;
        }
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        tapi_response_clear(resp);
        return MHD_NO;
    }
    MHD_add_response_header(r, "X-Request-Id", ctx->request_id);
    /* 204 and 304 have no body. libmicrohttpd writes Content-Length itself and sends no
     * body on a 304 or to a HEAD: a 304 comes with its 200's body, so its Content-Length
     * is the 200's (RFC 9110 section 8.6 allows that one only; this libmicrohttpd cannot
     * leave it out) */
    if (resp->status != 204 && resp->status != 304)
        MHD_add_response_header(r, "Content-Type",
                                resp->problem ? TAPI_PROBLEM_CONTENT_TYPE : TAPI_CONTENT_TYPE);

    MHD_add_response_header(r, "X-Content-Type-Options", TAPI_NOSNIFF);
    MHD_add_response_header(r, "Cache-Control", resp->cache_control ? resp->cache_control : "no-store");
    if (resp->etag[0]) MHD_add_response_header(r, "ETag", resp->etag);
    if (resp->idempotent_replayed) MHD_add_response_header(r, "Idempotent-Replayed", "true");
    if (resp->location[0]) MHD_add_response_header(r, "Location", resp->location);
    if (resp->allow) MHD_add_response_header(r, "Allow", resp->allow);
    if (resp->vary) MHD_add_response_header(r, "Vary", resp->vary);
    /* a client that sent oversized headers will likely do it again: not on this connection */
    if (resp->status == 431) MHD_add_response_header(r, "Connection", "close");
    if (resp->accept_patch) MHD_add_response_header(r, "Accept-Patch", resp->accept_patch);
    if (resp->www_authenticate)
        MHD_add_response_header(r, "WWW-Authenticate", resp->www_authenticate);
    if (resp->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", resp->retry_after);
        MHD_add_response_header(r, "Retry-After", secs);
    }
    ctx->status = resp->status;
    ctx->answered = true;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    tapi_response_clear(resp);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, request_ctx *ctx, int status,
                                  const char *code, const char *message)
{
    tapi_response resp = {0};
    tapi_response_error(&resp, status, code, message);
    return send_response(conn, ctx, &resp);
}

/* A request header's lines joined with ", " (a list header may come as several lines),
 * into buf; NULL when absent. An over-long value comes back cut at cap - 1 bytes, which
 * the router's own bound then refuses. */
typedef struct joined_header {
    const char *name;
    char *buf;
    size_t cap, len;
    bool found;
} joined_header;

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    joined_header *h = cls;
    if (strlen(h->name) != key_len || strncasecmp(key, h->name, key_len) != 0) return MHD_YES;
    const char *sep = h->found ? ", " : "";
    int n = snprintf(h->buf + h->len, h->cap - h->len, "%s%.*s", sep, (int)value_len,
                     value ? value : "");
    if (n > 0) h->len = (size_t)n >= h->cap - h->len ? h->cap - 1 : h->len + (size_t)n;
    h->found = true;
    return MHD_YES;
}

static const char *header_value(struct MHD_Connection *conn, const char *name, char *buf,
                                size_t cap)
{
    joined_header h = {.name = name, .buf = buf, .cap = cap};
    buf[0] = '\0';
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, join_header, &h);
    return h.found ? buf : NULL;
}

typedef struct header_count {
    const char *name;
    unsigned n;
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    (void)value;
    (void)value_len;
    header_count *c = cls;
    if (key_len == strlen(c->name) && strncasecmp(key, c->name, key_len) == 0) c->n++;
    return MHD_YES;
}

/* How many lines of the named header the request has. */
static unsigned count_headers(struct MHD_Connection *conn, const char *name)
{
    header_count c = {.name = name};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_header, &c);
    return c.n;
}

/* Every route needs a bearer token when authentication is on; on failure *resp is the
 * 401 to send. Two Authorization headers are a malformed request (400, RFC 6750 section
 * 3.1) rather than one of them trusted. */
static bool authenticate(tapi_jwt_verifier *auth, struct MHD_Connection *conn,
                         tapi_owner *owner, tapi_response *resp)
{
    memset(resp, 0, sizeof *resp);
    if (count_headers(conn, "Authorization") > 1) {
        tapi_log(TAPI_LOG_INFO, "unauthorized: more than one Authorization header");
        tapi_response_invalid_auth_request(resp, "Send exactly one Authorization header.");
        return false;
    }
    const char *reason = "";
    tapi_auth_result r = tapi_jwt_authenticate(
        auth, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        tapi_now_ms() / 1000, owner, &reason);
    if (r == TAPI_AUTH_OK) return true;
    if (r == TAPI_AUTH_UNAVAILABLE) {
        tapi_log(TAPI_LOG_ERROR, "authentication unavailable: %s", reason);
        tapi_response_unavailable(resp);
        return false;
    }
    tapi_log(TAPI_LOG_INFO, "unauthorized: %s", reason);
    tapi_response_unauthorized(resp, r == TAPI_AUTH_INVALID, reason);
    return false;
}

/* The request's id: a valid X-Request-Id the client sent (so its logs and ours can be
 * joined), or a fresh one; and a W3C traceparent (version 00) to log, if valid. */
static void identify(struct MHD_Connection *conn, request_ctx *ctx)
{
    const char *sent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (sent && tapi_request_id_valid(sent) && count_headers(conn, "X-Request-Id") == 1)
        snprintf(ctx->request_id, sizeof ctx->request_id, "%s", sent);
    else if (tapi_request_id_new(ctx->request_id) != TAPI_OK)
        snprintf(ctx->request_id, sizeof ctx->request_id, "unidentified");
    const char *tp = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent");
    if (tp && tapi_traceparent_valid(tp)) snprintf(ctx->traceparent, sizeof ctx->traceparent, "%s", tp);
}

static enum MHD_Result dispatch_in_context(tapi_server *srv, struct MHD_Connection *conn,
                                           request_ctx *ctx, const char *url)
{
    query_collector q = {.count = 0};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_param, &q);
    size_t url_len = strlen(url);
    tapi_request req = {
        .method = ctx->method,
        .route = TAPI_ROUTE_NONE,
        .collection_path = url,
        .collection_path_len = url_len,
        .path = url,
        .path_len = url_len,
        .query = q.params,
        .query_count = q.count,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .body = ctx->body.data ? ctx->body.data : "",
        .body_len = ctx->body.len,
        .body_too_large = ctx->too_large,
        .deadline_ms = tapi_now_ms() + REQUEST_BUDGET_MS,
    };
    if (!ctx->encoded_separator) req.route = tapi_route_path(url, url_len, &req.id, &req.id_len);
    if (count_headers(conn, "Content-Type") > 1) req.repeated_header = "Content-Type";
    char if_match[TAPI_CONDITION_MAX_BYTES + 2], if_none_match[TAPI_CONDITION_MAX_BYTES + 2];
    req.if_match = header_value(conn, "If-Match", if_match, sizeof if_match);
    req.if_none_match = header_value(conn, "If-None-Match", if_none_match, sizeof if_none_match);
    char idempotency_key[TAPI_IDEMPOTENCY_KEY_MAX + 8];
    req.idempotency_key = header_value(conn, "Idempotency-Key", idempotency_key, sizeof idempotency_key);
    tapi_response resp;
    tapi_owner owner;
    if (!srv->auth || authenticate(srv->auth, conn, &owner, &resp)) {
        if (srv->auth) req.owner = owner.key;
        tapi_handle(srv->app, &req, &resp);
    }
    if (srv->auth) resp.vary = "Authorization"; /* what a shared cache must key on */
    return send_response(conn, ctx, &resp);
}

/* A file of the documentation site (GET or HEAD; anything else is 405). */
static enum MHD_Result send_docs_file(struct MHD_Connection *conn, request_ctx *ctx,
                                      const tapi_docs_file *file, const char *url)
{
    if (strcmp(ctx->method, "GET") != 0 && strcmp(ctx->method, "HEAD") != 0) {
        tapi_response resp = {0};
        tapi_request_context_begin(ctx->request_id, url, strlen(url));
        tapi_response_error(&resp, 405, "method_not_allowed",
                            "Method not allowed; this resource supports GET, HEAD.");
        tapi_request_context_end();
        resp.allow = "GET, HEAD";
        return send_response(conn, ctx, &resp);
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(file->len, (void *)file->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", file->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", TAPI_NOSNIFF);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy", TAPI_DOCS_CSP);
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Request-Id", ctx->request_id);
    ctx->status = 200;
    ctx->answered = true;
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* Handles the request with its id and path as the thread's request context, so every
 * log line and error body of it names them. */
static enum MHD_Result dispatch(tapi_server *srv, struct MHD_Connection *conn,
                                request_ctx *ctx, const char *url)
{
    tapi_request_context_begin(ctx->request_id, url, strlen(url));
    enum MHD_Result ok = dispatch_in_context(srv, conn, ctx, url);
    tapi_request_context_end();
    return ok;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    (void)key;
    (void)value;
    *(size_t *)cls += key_len + value_len + 4; /* "name: value\r\n" */
    return MHD_YES;
}

/* The request line and header section, in bytes (as sent, give or take spacing). */
static size_t header_bytes(struct MHD_Connection *conn, const char *method, const char *url)
{
    size_t n = strlen(method) + strlen(url) + 12;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, add_header_size, &n);
    return n;
}

/* Declared Content-Length over the limit: refuse before reading a byte of the body. */
static bool declared_too_large(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (!cl) return false;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return *end == '\0' && n > TAPI_MAX_BODY_BYTES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    tapi_server *srv = cls;
    request_ctx *ctx = *con_cls;
    if (!ctx || (void *)ctx == (void *)&ENCODED_SEPARATOR) {
        bool encoded_separator = ctx != NULL;
        ctx = calloc(1, sizeof *ctx);
        if (!ctx) return MHD_NO;
        ctx->encoded_separator = encoded_separator;
        clock_gettime(CLOCK_MONOTONIC, &ctx->start);
        ctx->method = method;
        snprintf(ctx->path, sizeof ctx->path, "%s", url);
        tapi_buf_init(&ctx->body);
        atomic_fetch_add(&srv->in_flight, 1);
        *con_cls = ctx;
        identify(conn, ctx);
        if (header_bytes(conn, method, url) > MAX_HEADER_BYTES) {
            char msg[96];
            snprintf(msg, sizeof msg, "Request headers are larger than the limit of %d bytes.",
                     MAX_HEADER_BYTES);
            tapi_request_context_begin(ctx->request_id, url, strlen(url));
            enum MHD_Result ok = send_error(conn, ctx, 431, "request_header_fields_too_large", msg);
            tapi_request_context_end();
            return ok;
        }
        const tapi_docs_file *doc = srv->docs && !ctx->encoded_separator
                                        ? tapi_docs_site_find(srv->docs, url)
                                        : NULL;
        if (doc) return send_docs_file(conn, ctx, doc, url);
        if (declared_too_large(conn)) {
            ctx->too_large = true;
            return dispatch(srv, conn, ctx, url);
        }
        return MHD_YES;
    }
    if (ctx->answered) { /* body of a request already refused: discard it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* MHD only lets a response be queued before the body starts or after it ends, so a
         * streamed (chunked) body over the limit is drained and dropped, then answered 413;
         * past DRAIN_MAX_BYTES the client is not worth waiting for and is disconnected. */
        if (ctx->too_large || ctx->body.len + *upload_data_size > TAPI_MAX_BODY_BYTES) {
            ctx->too_large = true;
            ctx->drained += *upload_data_size;
            tapi_buf_free(&ctx->body);
            *upload_data_size = 0;
            return ctx->drained > DRAIN_MAX_BYTES ? MHD_NO : MHD_YES;
        }
        tapi_buf_append(&ctx->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (ctx->body.failed) {
            tapi_response resp = {0};
            tapi_request_context_begin(ctx->request_id, url, strlen(url));
            tapi_response_unavailable(&resp);
            tapi_request_context_end();
            return send_response(conn, ctx, &resp);
        }
        return MHD_YES;
    }
    return dispatch(srv, conn, ctx, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    tapi_server *srv = cls;
    request_ctx *ctx = *con_cls;
    *con_cls = NULL;
    if (!ctx || (void *)ctx == (void *)&ENCODED_SEPARATOR) return; /* never reached on_request */
    if (srv->access_log) {
        tapi_log_field fields[2] = {{"requestId", ctx->request_id}, {"traceparent", ctx->traceparent}};
        tapi_log_request("request", fields, ctx->traceparent[0] ? 2 : 1, ctx->method, ctx->path,
                         strlen(ctx->path), ctx->status, tapi_elapsed_ms(&ctx->start),
                         toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
    }
    tapi_buf_free(&ctx->body);
    free(ctx);
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') msg[--n] = '\0';
    tapi_log(TAPI_LOG_WARN, "http: %s", msg);
}

tapi_err tapi_server_start(const tapi_server_config *cfg, const tapi_app *app,
                           tapi_server **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    char port[16];
    snprintf(port, sizeof port, "%u", cfg->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(errbuf, errlen, "cannot resolve host '%s': %s", cfg->host, gai_strerror(gai));
        return TAPI_ECONFIG;
    }
    tapi_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        freeaddrinfo(ai);
        return TAPI_ENOMEM;
    }
    srv->app = app;
    srv->access_log = cfg->access_log;
    srv->auth = cfg->auth;
    srv->docs = cfg->docs;
    atomic_init(&srv->in_flight, 0);
    /* poll, not epoll: libmicrohttpd 0.9.75's epoll mode (edge-triggered) lost read events
     * under bursts of new connections, leaving a worker thread asleep while every one of
     * its connections held an unread request, until the clients gave up (1-5% of bursts
     * of 256 connections here). poll is level-triggered and measured as fast here, from 64
     * to 2000 connections. */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    unsigned threads = cfg->threads ? cfg->threads : 1;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY_BYTES,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) {
        snprintf(errbuf, errlen, "cannot listen on %s:%u (address in use or not permitted)",
                 cfg->host, cfg->port);
        free(srv);
        return TAPI_ECONFIG;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    *out = srv;
    return TAPI_OK;
}

unsigned tapi_server_port(const tapi_server *server) { return server->port; }

void tapi_server_stop(tapi_server *server, unsigned drain_ms)
{
    if (!server) return;
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&server->in_flight) > 0 && tapi_elapsed_ms(&start) < drain_ms) {
        struct timespec tick = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(server->daemon);
    free(server);
}
