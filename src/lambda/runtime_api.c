/* Runtime API client of our own; see runtime_api.h. The protocol is small and fixed (one
 * GET and three POSTs, HTTP/1.1 on loopback), so a plain socket does it in one write and a
 * few reads per call, where libcurl's general machinery cost a dozen polls, its own header
 * formatting and allocations per call. The Runtime API is a local endpoint of the
 * sandbox: it is reached directly, never through a proxy, since events and responses
 * carry the users' data. Everything read is bounded: the head to TAPI_HTTP_HEAD_MAX, a body to
 * TAPI_RUNTIME_MAX_EVENT. */
#include "runtime_api.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../core/http_reply.h"
#include "../core/json_writer.h"
#include "../core/log.h"

enum {
    POST_ATTEMPTS = 3,
    NEXT_ATTEMPTS = 5,
    POST_TIMEOUT_MS = 5000,
    READ_CHUNK = 64 * 1024,
    KEEP_BUFFER_MAX = 1024 * 1024, /* a larger receive buffer (a big event) is let go */
    RECV_WAKE_MS = 250, /* how late a post's timeout may be noticed */
};

struct tapi_runtime {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char host[208]; /* the Host header: host:port as given */
    int fd;         /* the kept-alive connection; -1 when there is none */
    tapi_buf in;    /* what was read; kept between calls so its memory is reused */
};

/* A parsed response. */
typedef struct response {
    int status;
    tapi_buf body;
    bool overflow; /* the body was over TAPI_RUNTIME_MAX_EVENT */
    bool close;    /* the peer said Connection: close */
} response;

tapi_err tapi_runtime_open(const char *api, tapi_runtime **out)
{
    *out = NULL;
    if (!api || !*api || strlen(api) > 200) return TAPI_ECONFIG;
    /* host:port, or [v6]:port */
    char host[208];
    const char *colon = strrchr(api, ':');
    if (!colon || colon == api || !colon[1]) return TAPI_ECONFIG;
    size_t hlen = (size_t)(colon - api);
    if (api[0] == '[' && hlen >= 2 && api[hlen - 1] == ']') {
        memcpy(host, api + 1, hlen - 2);
        host[hlen - 2] = '\0';
    } else {
        memcpy(host, api, hlen);
        host[hlen] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) return TAPI_ECONFIG;
    tapi_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        freeaddrinfo(ai);
        return TAPI_ENOMEM;
    }
    memcpy(&rt->addr, ai->ai_addr, ai->ai_addrlen);
    rt->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    snprintf(rt->host, sizeof rt->host, "%s", api);
    rt->fd = -1;
    *out = rt;
    return TAPI_OK;
}

static void disconnect(tapi_runtime *rt)
{
    if (rt->fd >= 0) close(rt->fd);
    rt->fd = -1;
}

void tapi_runtime_close(tapi_runtime *rt)
{
    if (!rt) return;
    disconnect(rt);
    tapi_buf_free(&rt->in);
    free(rt);
}

static bool connect_api(tapi_runtime *rt)
{
    if (rt->fd >= 0) return true;
    int fd = socket(rt->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval wake = {.tv_sec = RECV_WAKE_MS / 1000, .tv_usec = (RECV_WAKE_MS % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof wake);
    if (connect(fd, (const struct sockaddr *)&rt->addr, rt->addr_len) != 0) {
        close(fd);
        return false;
    }
    rt->fd = fd;
    return true;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads more bytes into in; false on EOF (*eof set), error or timeout (deadline 0: none).
 * The socket blocks in recv itself (one system call per read, where a non-blocking read,
 * a poll and a read again made three); its receive timeout (RECV_WAKE_MS, set at
 * connect) wakes it to look at the deadline, and a wait without one simply goes on (a
 * frozen sandbox resumes). */
static bool read_more(tapi_runtime *rt, tapi_buf *in, int64_t deadline, bool *eof)
{
    if (!tapi_buf_reserve(in, READ_CHUNK)) return false;
    for (;;) {
        ssize_t n = recv(rt->fd, in->data + in->len, in->cap - in->len - 1, 0);
        if (n > 0) {
            in->len += (size_t)n;
            in->data[in->len] = '\0';
            return true;
        }
        if (n == 0) {
            *eof = true;
            return false;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        if (deadline && now_ms() >= deadline) return false;
    }
}

static bool send_all(int fd, struct iovec *iov, int count)
{
    while (count > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        while (count > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return true;
}

static void copy_header(const char *data, const tapi_http_reply *r, const char *name,
                        char *dst, size_t cap)
{
    size_t len = 0;
    const char *v = tapi_http_header(data, r, name, &len);
    if (!v) return;
    if (len >= cap) len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

/* Sends one request on the kept-alive connection (connecting first if needed) and reads
 * its response. false when the exchange failed at the transport level (the connection
 * is then dropped). */
static bool exchange(tapi_runtime *rt, const char *method, const char *path,
                     const char *extra_headers, const char *body, size_t len, int timeout_ms,
                     response *r, char *request_id, size_t id_cap, char *trace_id,
                     size_t trace_cap, int64_t *deadline_out)
{
    memset(r, 0, sizeof *r);
    tapi_buf_init(&r->body);
    if (!connect_api(rt)) return false;
    /* the request head, copied together (snprintf's format parsing cost more) */
    char head[1024], digits[20];
    const char *parts[] = {method, " ", path, " HTTP/1.1\r\nHost: ", rt->host,
                           "\r\nUser-Agent: tasks-api\r\n", extra_headers ? extra_headers : "",
                           body ? "Content-Type: application/json\r\nContent-Length: "
                                : "Content-Length: "};
    size_t hn = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen(parts[i]);
        if (n > sizeof head - 32 - hn) return false; /* room left for the length and CRLFs */
        memcpy(head + hn, parts[i], n);
        hn += n;
    }
    size_t dn = tapi_u64_decimal(body ? len : 0, digits);
    memcpy(head + hn, digits, dn);
    memcpy(head + hn + dn, "\r\n\r\n", 4);
    hn += dn + 4;
    struct iovec iov[2] = {{head, hn}, {(void *)(body ? body : ""), body ? len : 0}};
    if (!send_all(rt->fd, iov, body && len ? 2 : 1)) {
        disconnect(rt);
        return false;
    }
    int64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    tapi_buf in = rt->in;
    in.len = 0;
    bool ok = false, eof = false;
    tapi_http_reply reply = {0};
    tapi_http_state state;
    while ((state = tapi_http_reply_read(in.data, in.len, eof, TAPI_RUNTIME_MAX_EVENT, &reply)) ==
           TAPI_HTTP_MORE) {
        if (eof) goto done; /* the reader has seen the end: the response was cut short */
        if (!read_more(rt, &in, deadline, &eof) && !eof) goto done; /* error or timeout */
    }
    if (state != TAPI_HTTP_DONE) {
        r->overflow = state == TAPI_HTTP_TOO_BIG;
        tapi_log(TAPI_LOG_WARN, "runtime api: %s", r->overflow ? "response too large" : reply.why);
        goto done;
    }
    r->status = reply.status;
    r->close = reply.close;
    if (request_id) copy_header(in.data, &reply, "Lambda-Runtime-Aws-Request-Id", request_id, id_cap);
    if (trace_id) copy_header(in.data, &reply, "Lambda-Runtime-Trace-Id", trace_id, trace_cap);
    if (deadline_out) {
        char d[32] = "";
        copy_header(in.data, &reply, "Lambda-Runtime-Deadline-Ms", d, sizeof d);
        *deadline_out = d[0] ? strtoll(d, NULL, 10) : 0;
    }
    tapi_buf_append(&r->body, in.data + reply.body, reply.body_len);
    if (r->body.failed) goto done;
    ok = true;
    if (in.len > reply.consumed) {
        /* bytes nobody asked for: the peer is out of step, so nothing more is read from
         * this connection (this response was whole and stands); the next call reconnects */
        tapi_log(TAPI_LOG_WARN, "runtime api: %zu unexpected bytes after a response; reconnecting",
                 in.len - reply.consumed);
        r->close = true;
    }
done:
    if (in.failed || in.cap > KEEP_BUFFER_MAX) tapi_buf_free(&in);
    rt->in = in;
    if (!ok || r->close) disconnect(rt);
    return ok;
}

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

tapi_err tapi_runtime_next(tapi_runtime *rt, tapi_invocation *out)
{
    for (int attempt = 0; attempt < NEXT_ATTEMPTS; attempt++) {
        memset(out, 0, sizeof *out);
        response r;
        /* no timeout: the sandbox may be frozen between invocations */
        bool ok = exchange(rt, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, 0, &r,
                           out->request_id, sizeof out->request_id, out->trace_id,
                           sizeof out->trace_id, &out->deadline_ms);
        /* the id goes into URLs: accept only what Lambda's ids are made of */
        bool id_ok = out->request_id[0] &&
                     strspn(out->request_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_.") == strlen(out->request_id);
        if (ok && r.status == 200 && id_ok) {
            tapi_buf_append(&r.body, "", 0); /* an empty event still gets a buffer */
            return tapi_buf_take(&r.body, &out->event, &out->event_len);
        }
        tapi_buf_free(&r.body);
        tapi_log(TAPI_LOG_WARN, "runtime api /next failed: %s, HTTP %d%s",
                 ok ? "ok" : "no answer", r.status, r.overflow ? " (event too large)" : "");
        pause_ms(50L << attempt);
    }
    return TAPI_EUNAVAILABLE;
}

/* POSTs body to path, retrying transient failures; 2xx is success. */
static tapi_err post(tapi_runtime *rt, const char *path, const char *body, size_t len,
                     const char *error_type)
{
    char type_header[160] = "";
    if (error_type)
        snprintf(type_header, sizeof type_header, "Lambda-Runtime-Function-Error-Type: %.100s\r\n",
                 error_type);
    for (int attempt = 0; attempt < POST_ATTEMPTS; attempt++) {
        response r;
        bool ok = exchange(rt, "POST", path, type_header, body, len, POST_TIMEOUT_MS, &r, NULL, 0,
                           NULL, 0, NULL);
        tapi_buf_free(&r.body);
        if (ok && r.status >= 200 && r.status < 300) return TAPI_OK;
        tapi_log(TAPI_LOG_WARN, "runtime api post failed: %s, HTTP %d", ok ? "ok" : "no answer",
                 r.status);
        /* 4xx (e.g. 413 payload too large, or an unknown request id) will not improve */
        if (ok && r.status >= 400 && r.status < 500) break;
        pause_ms(50L << attempt);
    }
    return TAPI_EUNAVAILABLE;
}

tapi_err tapi_runtime_respond(tapi_runtime *rt, const char *request_id, const char *body,
                              size_t len)
{
    static const char prefix[] = "/2018-06-01/runtime/invocation/", suffix[] = "/response";
    char path[sizeof prefix + 128 + sizeof suffix];
    size_t n = strnlen(request_id, 128);
    memcpy(path, prefix, sizeof prefix - 1);
    memcpy(path + sizeof prefix - 1, request_id, n);
    memcpy(path + sizeof prefix - 1 + n, suffix, sizeof suffix); /* with its NUL */
    return post(rt, path, body, len, NULL);
}

tapi_err tapi_runtime_fail(tapi_runtime *rt, const char *request_id, const char *error_type,
                           const char *message)
{
    char path[256];
    if (request_id)
        snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%.128s/error", request_id);
    else
        snprintf(path, sizeof path, "/2018-06-01/runtime/init/error");
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
    tapi_err err = post(rt, path, json, len, error_type);
    free(json);
    return err;
}
