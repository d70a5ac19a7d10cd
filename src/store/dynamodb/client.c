/* DynamoDB transport; see client.h. libcurl opens the connections (DNS, proxy tunnels,
 * TLS and its verification: CURLOPT_CONNECT_ONLY); requests and replies then go over them
 * as bytes, written by us and read with the core HTTP/1.1 reader, on one poll loop for a
 * batch. libcurl's per-transfer machinery had cost about 90,000 instructions and four
 * polls an exchange; this costs a send, a poll and a read. Every byte of a request is sent
 * by us, once, so no request is ever resent behind our back. Retry policy follows the AWS
 * SDKs: delay = random(0, min(max_backoff, base * 2^attempt)) ("full jitter"), never
 * sleeping past the deadline. */
#include "client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <poll.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../../core/http_reply.h"
#include "../../core/json_writer.h"
#include "../../core/log.h"
#include "../../core/timestamp.h"
#include "sigv4.h"
#include "../slot_pool.h"

enum {
    MAX_RESPONSE_BYTES = 4 * 1024 * 1024, /* DynamoDB pages are <= 1 MB of item data */
    MIN_ATTEMPT_MS = 50,                  /* not worth starting an attempt with less */
    ENDPOINT_MAX = 512,
    MAX_PARALLEL = 32, /* transfers one caller runs at once, and connections it keeps */
    READ_ROOM = 20 * 1024, /* free room for each read: more than a TLS record holds */
};

/* A kept-alive connection: a libcurl handle that only connected, or none. */
typedef struct conn {
    CURL *h;
    curl_socket_t fd;
    bool busy;
} conn;

/* What one caller at a time uses: its connections, and what they share (DNS answers and
 * TLS sessions, so a new connection resumes a session instead of a full handshake). */
typedef struct conn_set {
    CURLSH *share;
    conn conns[MAX_PARALLEL];
} conn_set;

struct tapi_ddb_client {
    tapi_slot_pool pool;
    conn_set *sets;
    size_t set_count;
    char url[ENDPOINT_MAX];
    char host[ENDPOINT_MAX]; /* the Host header we send and sign: host[:port] of url */
    char path[ENDPOINT_MAX]; /* the request path we send and sign */
    tapi_sigv4 *signer;      /* holds the secret (wiped on close) */
    char *session_token;     /* NULL without one; wiped on close */
    /* trusted CAs: a PEM bundle file, or (ca_is_dir) a hashed directory, one file per CA
     * named by subject hash; NULL: libcurl's built-in default */
    char *ca;
    bool ca_is_dir;
    /* "" turns libcurl's own reading of *_proxy variables off; see proxy_for */
    char proxy[ENDPOINT_MAX];
    bool tunnel;
    unsigned max_attempts, base_backoff_ms, max_backoff_ms, connect_timeout_ms,
        attempt_timeout_ms;
};

/* Whether s can go into a header line as it is: no control characters (a CR or LF would
 * end the line and start another). */
static bool is_header_value(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* "localhost", 127.0.0.0/8 or ::1, as libcurl's URL parser reports the host. */
static bool is_loopback_host(const char *host)
{
    if (strcasecmp(host, "localhost") == 0) return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    char bare[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n < 3 || n > sizeof bare || host[0] != '[' || host[n - 1] != ']') return false;
    memcpy(bare, host + 1, n - 2);
    bare[n - 2] = '\0';
    struct in6_addr v6;
    return inet_pton(AF_INET6, bare, &v6) == 1 && memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
}

/* The endpoint is parsed the way libcurl will use it, and the host itself is checked: a
 * prefix test let "http://localhost:@192.0.2.2/" (user "localhost") send signed requests
 * and the session token in clear to another host. */
static tapi_err check_endpoint(const char *url, bool *plain_http, char *errbuf, size_t errlen)
{
    static const char name[] = "AWS_ENDPOINT_URL_DYNAMODB";
    CURLU *u = curl_url();
    if (!u) return TAPI_ENOMEM;
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    tapi_err err = TAPI_ECONFIG;
    *plain_http = false;
    if (strlen(url) >= ENDPOINT_MAX || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(errbuf, errlen, "%s is not a valid URL", name);
    } else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
               curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
        snprintf(errbuf, errlen, "%s must not contain user information (\"user@\" or "
                                 "\"user:password@\" before the host)", name);
    } else if (strcmp(scheme, "https") == 0) {
        err = TAPI_OK;
    } else if (strcmp(scheme, "http") == 0 && is_loopback_host(host)) {
        *plain_http = true;
        err = TAPI_OK;
    } else {
        snprintf(errbuf, errlen, "%s must be https://, or http:// on loopback (localhost, "
                                 "127.0.0.0/8, [::1]); host '%.64s' over %.16s is refused",
                 name, host, scheme);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return err;
}

tapi_err tapi_ddb_config_from_env(tapi_ddb_config *cfg, char *errbuf, size_t errlen)
{
    *cfg = (tapi_ddb_config){.shards = 4,
                             .pool_size = 4,
                             .max_attempts = 5,
                             .base_backoff_ms = 25,
                             .max_backoff_ms = 1000,
                             .connect_timeout_ms = 1000,
                             .attempt_timeout_ms = 3000};
    cfg->table = env("TABLE_NAME");
    cfg->region = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    cfg->endpoint = env("AWS_ENDPOINT_URL_DYNAMODB") ? env("AWS_ENDPOINT_URL_DYNAMODB")
                                                     : env("AWS_ENDPOINT_URL");
    cfg->access_key = env("AWS_ACCESS_KEY_ID");
    cfg->secret_key = env("AWS_SECRET_ACCESS_KEY");
    cfg->session_token = env("AWS_SESSION_TOKEN");
    cfg->ca_bundle = env("AWS_CA_BUNDLE");
    const char *missing = !cfg->table ? "TABLE_NAME"
                          : !cfg->region ? "AWS_REGION"
                          : !cfg->access_key ? "AWS_ACCESS_KEY_ID"
                          : !cfg->secret_key ? "AWS_SECRET_ACCESS_KEY"
                                             : NULL;
    if (missing) {
        snprintf(errbuf, errlen, "%s must be set for the DynamoDB store", missing);
        return TAPI_ECONFIG;
    }
    if (strlen(cfg->table) < 3 || strlen(cfg->table) > 255 ||
        strspn(cfg->table, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
            strlen(cfg->table)) {
        snprintf(errbuf, errlen, "TABLE_NAME must be 3-255 characters of [A-Za-z0-9_.-]");
        return TAPI_ECONFIG;
    }
    if (strspn(cfg->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(cfg->region) ||
        strlen(cfg->region) > 32) {
        snprintf(errbuf, errlen, "AWS_REGION is not a region name");
        return TAPI_ECONFIG;
    }
    static const struct {
        const char *name;
        long lo, hi;
        size_t offset;
    } tunables[] = {
        {"TASKS_DDB_SHARDS", 1, 32, offsetof(tapi_ddb_config, shards)},
        {"TASKS_DDB_MAX_ATTEMPTS", 1, 10, offsetof(tapi_ddb_config, max_attempts)},
        {"TASKS_DDB_TIMEOUT_MS", 50, 60000, offsetof(tapi_ddb_config, attempt_timeout_ms)},
    };
    for (size_t i = 0; i < sizeof tunables / sizeof tunables[0]; i++) {
        const char *v = env(tunables[i].name);
        if (!v) continue;
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < tunables[i].lo || n > tunables[i].hi) {
            snprintf(errbuf, errlen, "%s must be a number from %ld to %ld", tunables[i].name,
                     tunables[i].lo, tunables[i].hi);
            return TAPI_ECONFIG;
        }
        *(unsigned *)((char *)cfg + tunables[i].offset) = (unsigned)n;
    }
    return TAPI_OK;
}

/* The Host header and path a request to url carries (the URL was checked at open). */
static tapi_err host_and_path(const char *url, char host_out[ENDPOINT_MAX], char path_out[ENDPOINT_MAX])
{
    CURLU *u = curl_url();
    if (!u) return TAPI_ENOMEM;
    char *host = NULL, *port = NULL, *path = NULL;
    tapi_err err = TAPI_EINVAL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        snprintf(host_out, ENDPOINT_MAX, "%s%s%s", host, port ? ":" : "", port ? port : "");
        snprintf(path_out, ENDPOINT_MAX, "%s", path && *path ? path : "/");
        err = TAPI_OK;
    }
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return err;
}

/* Whether dir holds a hashed CA store: an entry named <8 hex digits>.<n>, as
 * `openssl rehash` (update-ca-certificates, update-ca-trust) makes them. */
static bool is_hashed_ca_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    struct dirent *e;
    for (unsigned seen = 0; !found && seen < 4096 && (e = readdir(d)); seen++) {
        const char *n = e->d_name;
        found = strlen(n) >= 10 && strspn(n, "0123456789abcdef") == 8 && n[8] == '.' &&
                n[9] >= '0' && n[9] <= '9';
    }
    closedir(d);
    return found;
}

/* The system's CAs as a hashed directory, which OpenSSL reads lazily: only the files of
 * the roots a handshake needs. The bundle file instead has every one of its ~140
 * certificates parsed at the first connection: about 30 ms more CPU measured at a cold
 * start, about 330 ms of wall time at a 128 MB function's CPU share. SSL_CERT_DIR (OpenSSL's
 * own variable) first, then Fedora-family (Amazon Linux 2023) and Debian locations. */
static const char *find_ca_dir(void)
{
    const char *own = env("SSL_CERT_DIR");
    if (own) return is_hashed_ca_dir(own) ? own : NULL;
    static const char *const dirs[] = {"/etc/pki/ca-trust/extracted/pem/directory-hash",
                                       "/etc/ssl/certs"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (is_hashed_ca_dir(dirs[i])) return dirs[i];
    return NULL;
}

static const char *find_ca_file(void)
{
    /* Debian/Ubuntu, then Amazon Linux 2023 / RHEL */
    static const char *const paths[] = {"/etc/ssl/certs/ca-certificates.crt",
                                        "/etc/pki/tls/certs/ca-bundle.crt"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], R_OK) == 0) return paths[i];
    return NULL;
}

/* Signed requests carry the session token, so where they may go is decided here, not by
 * whatever *_proxy variables the process inherited: plain http (loopback only) never uses
 * a proxy; https may go through HTTPS_PROXY (or https_proxy), always as a CONNECT tunnel
 * so TLS runs end to end with DynamoDB; NO_PROXY is honoured by libcurl. ALL_PROXY and
 * HTTP_PROXY are ignored. */
static void proxy_for(bool plain_http, tapi_ddb_client *c)
{
    const char *p = plain_http ? NULL : env("https_proxy") ? env("https_proxy") : env("HTTPS_PROXY");
    snprintf(c->proxy, sizeof c->proxy, "%s", p && strlen(p) < sizeof c->proxy ? p : "");
    c->tunnel = c->proxy[0] != '\0';
}

tapi_err tapi_ddb_client_open(const tapi_ddb_config *cfg, tapi_ddb_client **out, char *errbuf,
                              size_t errlen)
{
    *out = NULL;
    bool plain_http = false;
    if (cfg->endpoint) {
        tapi_err e = check_endpoint(cfg->endpoint, &plain_http, errbuf, errlen);
        if (e != TAPI_OK) return e;
    }
    /* only TLS reads it: a plain loopback endpoint does not care where it points */
    if (!plain_http && cfg->ca_bundle && access(cfg->ca_bundle, R_OK) != 0) {
        snprintf(errbuf, errlen, "AWS_CA_BUNDLE names a file that cannot be read");
        return TAPI_ECONFIG;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errbuf, errlen, "curl_global_init failed");
        return TAPI_ECONFIG;
    }
    tapi_ddb_client *c = calloc(1, sizeof *c);
    if (!c) return TAPI_ENOMEM;
    if (cfg->endpoint)
        snprintf(c->url, sizeof c->url, "%s", cfg->endpoint);
    else
        snprintf(c->url, sizeof c->url, "https://dynamodb.%s.amazonaws.com/", cfg->region);
    tapi_err serr = host_and_path(c->url, c->host, c->path);
    if (serr == TAPI_OK)
        serr = tapi_sigv4_new(cfg->access_key, cfg->secret_key, cfg->region, "dynamodb", &c->signer);
    if (serr != TAPI_OK) {
        snprintf(errbuf, errlen, "cannot sign for this endpoint, region or these credentials");
        tapi_ddb_client_close(c);
        return serr == TAPI_ENOMEM ? serr : TAPI_ECONFIG;
    }
    if (cfg->session_token && !is_header_value(cfg->session_token)) {
        snprintf(errbuf, errlen, "AWS_SESSION_TOKEN holds a control character");
        tapi_ddb_client_close(c);
        return TAPI_ECONFIG;
    }
    c->session_token = cfg->session_token ? strdup(cfg->session_token) : NULL;
    c->set_count = cfg->pool_size ? cfg->pool_size : 1;
    c->sets = calloc(c->set_count, sizeof *c->sets);
    c->max_attempts = cfg->max_attempts ? cfg->max_attempts : 1;
    c->base_backoff_ms = cfg->base_backoff_ms;
    c->max_backoff_ms = cfg->max_backoff_ms;
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    /* AWS_CA_BUNDLE is the user's choice and used as given; otherwise the system's
     * store, as a hashed directory where there is one */
    const char *ca = NULL;
    if (!plain_http && !(ca = cfg->ca_bundle)) {
        c->ca_is_dir = (ca = find_ca_dir()) != NULL;
        if (!ca) ca = find_ca_file();
    }
    c->ca = ca ? strdup(ca) : NULL;
    proxy_for(plain_http, c);
    if ((cfg->session_token && !c->session_token) || !c->sets || (ca && !c->ca) ||
        tapi_slot_pool_init(&c->pool, c->set_count) != TAPI_OK) {
        tapi_ddb_client_close(c);
        return TAPI_ENOMEM;
    }
    for (size_t i = 0; i < c->set_count; i++) {
        /* a set is used by one thread at a time (the slot pool), so its share needs no lock */
        CURLSH *sh = c->sets[i].share = curl_share_init();
        if (!sh || curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
            curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
            tapi_ddb_client_close(c);
            return TAPI_ENOMEM;
        }
    }
    *out = c;
    return TAPI_OK;
}

void tapi_ddb_client_close(tapi_ddb_client *c)
{
    if (!c) return;
    for (size_t i = 0; c->sets && i < c->set_count; i++) {
        for (size_t k = 0; k < MAX_PARALLEL; k++)
            if (c->sets[i].conns[k].h) curl_easy_cleanup(c->sets[i].conns[k].h);
        if (c->sets[i].share) curl_share_cleanup(c->sets[i].share);
    }
    free(c->sets);
    free(c->ca);
    tapi_sigv4_free(c->signer);
    if (c->session_token) {
        memset(c->session_token, 0, strlen(c->session_token));
        free(c->session_token);
    }
    tapi_slot_pool_destroy(&c->pool);
    free(c);
}

/* Extracts the short exception name from {"__type":"com.amazonaws...#Name", ...}. */
static void parse_error_type(const char *body, char *out, size_t cap)
{
    out[0] = '\0';
    const char *t = body ? strstr(body, "\"__type\"") : NULL;
    if (!t) return;
    t = strchr(t + 8, '"');
    if (!t) return;
    const char *end = strchr(t + 1, '"');
    if (!end) return;
    const char *hash = memchr(t + 1, '#', (size_t)(end - t - 1));
    const char *start = hash ? hash + 1 : t + 1;
    size_t n = (size_t)(end - start);
    if (n >= cap) n = cap - 1;
    memcpy(out, start, n);
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) /* keep the log line clean whatever the server sent */
        if (!((out[i] >= 'A' && out[i] <= 'Z') || (out[i] >= 'a' && out[i] <= 'z') ||
              (out[i] >= '0' && out[i] <= '9') || out[i] == '.' || out[i] == '_'))
            out[i] = '?';
}

static bool is_throttle(const char *type)
{
    return strcmp(type, "ProvisionedThroughputExceededException") == 0 ||
           strcmp(type, "ThrottlingException") == 0 || strcmp(type, "RequestLimitExceeded") == 0;
}

static unsigned jitter_ms(unsigned attempt, unsigned base, unsigned cap)
{
    unsigned long long ceiling = (unsigned long long)base << (attempt < 20 ? attempt : 20);
    if (ceiling > cap) ceiling = cap;
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (unsigned)rand();
    return ceiling ? (unsigned)(r % (ceiling + 1)) : 0;
}

typedef enum outcome { DONE, RETRY, GIVE_UP } outcome;

/* One call of a batch: its request, its reply, and where its attempts stand. */
typedef struct xfer {
    const tapi_ddb_request *req;
    tapi_ddb_reply *reply;
    tapi_err err;
    int conn;                /* the connection of the attempt in flight, or -1 */
    tapi_buf out;            /* that attempt's request: head and body */
    size_t out_sent;         /* bytes of it written */
    tapi_buf in;             /* bytes of its reply read */
    tapi_http_reply answer;  /* the reader's progress through them */
    int64_t attempt_end_ms;  /* when that attempt times out */
    unsigned started;        /* attempts started */
    int64_t not_before_ms;   /* backoff: the next attempt starts no earlier */
    bool finished;
} xfer;

static bool is_tls_verification_error(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/* SigV4's date form, YYYYMMDDTHHMMSSZ, of now (from the RFC 3339 stamp, by arithmetic:
 * strftime after gmtime_r took glibc's time-zone lock on every request). */
static void amz_date_now(char out[17])
{
    char ts[25];
    tapi_timestamp_now(ts); /* 2026-11-25T03:19:15.123Z */
    static const unsigned char from[15] = {0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18};
    for (size_t i = 0; i < sizeof from; i++) out[i] = ts[from[i]];
    out[15] = 'Z';
    out[16] = '\0';
}

/* Writes x's request, signed (SigV4 in sigv4.c: what is signed is exactly what is sent),
 * into x->out. false when it cannot be built. */
static bool prepare(tapi_ddb_client *c, xfer *x)
{
    const tapi_ddb_request *r = x->req;
    char target[96], date[17], auth[TAPI_SIGV4_AUTH_MAX], length[20];
    static const char prefix[] = "DynamoDB_20120810.";
    size_t op_len = strlen(r->op);
    if (op_len >= sizeof target - sizeof prefix) return false;
    memcpy(target, prefix, sizeof prefix - 1);
    memcpy(target + sizeof prefix - 1, r->op, op_len + 1);
    amz_date_now(date);
    tapi_sigv4_header signed_headers[5] = {{"content-type", "application/x-amz-json-1.0"},
                                           {"host", c->host},
                                           {"x-amz-date", date},
                                           {"x-amz-target", target}};
    size_t n_signed = 4;
    if (c->session_token) signed_headers[n_signed++] = (tapi_sigv4_header){"x-amz-security-token", c->session_token};
    if (tapi_sigv4_sign(c->signer, "POST", c->path, "", signed_headers, n_signed, r->json, r->len,
                        date, auth) != TAPI_OK)
        return false;
    bool trace = r->trace_header && strlen(r->trace_header) < 256 && is_header_value(r->trace_header);
    length[tapi_u64_decimal(r->len, length)] = '\0';
    const char *parts[] = {"POST ", c->path, " HTTP/1.1\r\nHost: ", c->host,
                           "\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: ", target,
                           "\r\nX-Amz-Date: ", date,
                           c->session_token ? "\r\nX-Amz-Security-Token: " : "",
                           c->session_token ? c->session_token : "",
                           "\r\nAuthorization: ", auth,
                           trace ? "\r\nX-Amzn-Trace-Id: " : "", trace ? r->trace_header : "",
                           "\r\nContent-Length: ", length, "\r\n\r\n"};
    tapi_buf *out = &x->out;
    out->len = 0;
    if (!tapi_buf_reserve(out, 2048 + r->len)) return false;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) tapi_buf_puts(out, parts[i]);
    tapi_buf_append(out, r->json, r->len);
    x->out_sent = 0;
    return !out->failed;
}

/* A handle that connects to the endpoint and stops there (CONNECT_ONLY): DNS, a proxy's
 * CONNECT tunnel, TLS with the trusted CAs. */
static CURL *new_handle(const tapi_ddb_client *c, CURLSH *share)
{
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ca_is_dir) {
        curl_easy_setopt(h, CURLOPT_CAINFO, (char *)NULL); /* the directory alone */
        curl_easy_setopt(h, CURLOPT_CAPATH, c->ca);
    } else if (c->ca) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
    }
    curl_easy_setopt(h, CURLOPT_PROXY, c->proxy);
    if (c->tunnel) curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    return h;
}

static void drop(conn *k)
{
    if (k->h) curl_easy_cleanup(k->h);
    k->h = NULL;
}

/* Whether a kept-alive connection is still open: the peer may have closed it while it was
 * idle, and a request sent on it then is lost with an outcome we could not tell. A read
 * that finds nothing waiting says it is open; the end of the stream, an error or bytes
 * nobody asked for say it is not. (One system call a request, as libcurl's check was; a
 * server may close an idle connection at any time, so it is not skipped.) */
static bool still_open(conn *k)
{
    char b;
    size_t n = 0;
    return curl_easy_recv(k->h, &b, 1, &n) == CURLE_AGAIN;
}

/* Connects k (blocking, within timeout_ms); CURLE_OK or why it failed. */
static CURLcode connect_to(tapi_ddb_client *c, conn_set *set, conn *k, long timeout_ms)
{
    CURL *h = new_handle(c, set->share);
    if (!h) return CURLE_OUT_OF_MEMORY;
    long connect_ms = (long)c->connect_timeout_ms < timeout_ms ? (long)c->connect_timeout_ms : timeout_ms;
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode rc = curl_easy_perform(h);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (rc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
        fd != CURL_SOCKET_BAD) {
        k->h = h;
        k->fd = fd;
        return CURLE_OK;
    }
    curl_easy_cleanup(h);
    return rc != CURLE_OK ? rc : CURLE_COULDNT_CONNECT;
}

/* Classifies an attempt that ended with rc (CURLE_OK: x->answer is a whole reply). */
static outcome classify(xfer *x, CURLcode rc, const char *why, bool *reached_server)
{
    const char *op = x->req->op;
    tapi_ddb_reply *reply = x->reply;
    if (rc != CURLE_OK) {
        /* Only a request that left us can have been applied: a connect timeout or a
         * failed TLS handshake sent nothing, so its outcome is known (not applied). */
        if (x->out_sent > 0) *reached_server = true;
        if (is_tls_verification_error(rc)) {
            snprintf(reply->failure, sizeof reply->failure,
                     "TLS certificate verification failed (%s); check the endpoint's "
                     "certificate and the trusted CAs (AWS_CA_BUNDLE or SSL_CERT_DIR)",
                     curl_easy_strerror(rc));
            tapi_log(TAPI_LOG_ERROR, "dynamodb %s: %s", op, reply->failure);
            return GIVE_UP; /* retrying cannot fix a certificate */
        }
        snprintf(reply->failure, sizeof reply->failure, "%s", why ? why : curl_easy_strerror(rc));
        tapi_log(TAPI_LOG_WARN, "dynamodb %s: %s", op, reply->failure);
        return rc == CURLE_FILESIZE_EXCEEDED ? GIVE_UP : RETRY;
    }
    long status = reply->http_status = x->answer.status;
    if (status == 200) return DONE;
    x->in.data[x->answer.body + x->answer.body_len] = '\0'; /* the body alone is read */
    parse_error_type(x->in.data + x->answer.body, reply->error_type, sizeof reply->error_type);
    if (status >= 500) *reached_server = true;
    if (is_throttle(reply->error_type)) reply->throttled = true;
    if (status >= 500 || is_throttle(reply->error_type)) {
        tapi_log(TAPI_LOG_WARN, "dynamodb %s: HTTP %ld %s", op, status, reply->error_type);
        return RETRY;
    }
    return GIVE_UP;
}

static void finish(xfer *x, tapi_err err)
{
    x->err = err;
    x->finished = true;
    x->reply->end_us = tapi_now_us();
    tapi_buf_free(&x->out);
    tapi_buf_free(&x->in);
    if (err == TAPI_EUNAVAILABLE)
        tapi_log(TAPI_LOG_ERROR, "dynamodb %s unavailable after %u attempts", x->req->op,
                 x->reply->attempts);
}

/* Settles x's attempt, which ended with rc (CURLE_OK: a whole reply; why, when not NULL,
 * says what went wrong better than rc): done, given up, or a retry after a backoff. The
 * attempt's connection is kept for the next request only after a whole reply that did
 * not close it. */
static void end_attempt(tapi_ddb_client *c, conn_set *set, xfer *x, CURLcode rc,
                        const char *why, int64_t deadline_ms)
{
    if (x->conn >= 0) {
        conn *k = &set->conns[x->conn];
        if (rc != CURLE_OK || x->answer.close || x->in.len > x->answer.consumed) drop(k);
        k->busy = false;
        x->conn = -1;
    }
    bool reached = false;
    outcome o = classify(x, rc, why, &reached);
    tapi_ddb_reply *reply = x->reply;
    long status = reply->http_status;
    if (o == DONE) {
        /* the body moves to the buffer's start, and the buffer becomes the reply's */
        tapi_buf *in = &x->in;
        memmove(in->data, in->data + x->answer.body, x->answer.body_len);
        in->len = x->answer.body_len;
        in->data[in->len] = '\0';
        if (in->len == 0) tapi_buf_puts(in, "{}");
        finish(x, tapi_buf_take(in, &reply->body, &reply->body_len));
        return;
    }
    if (o == GIVE_UP) {
        tapi_err err;
        if (strcmp(reply->error_type, "ConditionalCheckFailedException") == 0) {
            err = TAPI_ECONFLICT;
        } else if (status == 0) { /* no HTTP answer: certificate, or response too large */
            err = TAPI_EUNAVAILABLE;
        } else {
            tapi_log(TAPI_LOG_WARN, "dynamodb %s failed: HTTP %ld %s", x->req->op, status,
                     reply->error_type[0] ? reply->error_type : "(no error type)");
            err = status >= 400 && status < 500 ? TAPI_EINVAL : TAPI_EUNAVAILABLE;
        }
        finish(x, err);
        return;
    }
    if (reached) reply->maybe_applied = true;
    if (x->started >= c->max_attempts || (reached && x->req->once)) {
        finish(x, TAPI_EUNAVAILABLE);
        return;
    }
    unsigned wait = jitter_ms(x->started - 1, c->base_backoff_ms, c->max_backoff_ms);
    int64_t now = tapi_now_ms();
    if (deadline_ms && now + wait + MIN_ATTEMPT_MS > deadline_ms) {
        tapi_log(TAPI_LOG_WARN, "dynamodb %s: no time left to retry", x->req->op);
        finish(x, TAPI_EUNAVAILABLE);
        return;
    }
    x->not_before_ms = now + wait;
}

/* Moves x's attempt on: writes what is left of its request, then reads what has come of
 * its reply, until the socket would block or the attempt ends. */
static void progress(tapi_ddb_client *c, conn_set *set, xfer *x, int64_t deadline_ms)
{
    conn *k = &set->conns[x->conn];
    if (x->out_sent < x->out.len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(k->h, x->out.data + x->out_sent, x->out.len - x->out_sent, &n);
        x->out_sent += n;
        if (rc != CURLE_OK && rc != CURLE_AGAIN) end_attempt(c, set, x, rc, NULL, deadline_ms);
        /* all written: the reply cannot be there yet, so the next step is the poll */
        return;
    }
    for (;;) {
        tapi_buf *in = &x->in;
        if (!tapi_buf_reserve(in, READ_ROOM)) {
            end_attempt(c, set, x, CURLE_OUT_OF_MEMORY, NULL, deadline_ms);
            return;
        }
        size_t n = 0;
        CURLcode rc = curl_easy_recv(k->h, in->data + in->len, in->cap - in->len - 1, &n);
        if (rc == CURLE_AGAIN) return;
        if (rc != CURLE_OK) {
            end_attempt(c, set, x, rc, NULL, deadline_ms);
            return;
        }
        in->len += n;
        in->data[in->len] = '\0';
        bool eof = n == 0;
        tapi_http_state s = tapi_http_reply_read(in->data, in->len, eof, MAX_RESPONSE_BYTES, &x->answer);
        if (s == TAPI_HTTP_MORE && !eof) continue;
        if (s == TAPI_HTTP_DONE) {
            end_attempt(c, set, x, CURLE_OK, NULL, deadline_ms);
        } else if (s == TAPI_HTTP_TOO_BIG) {
            end_attempt(c, set, x, CURLE_FILESIZE_EXCEEDED, "response too large", deadline_ms);
        } else if (s == TAPI_HTTP_BAD) {
            char why[160];
            snprintf(why, sizeof why, "malformed response: %s", x->answer.why);
            end_attempt(c, set, x, CURLE_WEIRD_SERVER_REPLY, why, deadline_ms);
        } else { /* the connection ended first */
            end_attempt(c, set, x, in->len ? CURLE_PARTIAL_FILE : CURLE_GOT_NOTHING,
                         in->len ? "connection closed in the middle of the response"
                                 : "connection closed before any response", deadline_ms);
        }
        return;
    }
}

/* Starts x's next attempt on connection ki, or finishes x when the deadline leaves no
 * room for it. */
static void start_attempt(tapi_ddb_client *c, conn_set *set, int ki, xfer *x, int64_t deadline_ms)
{
    long timeout = c->attempt_timeout_ms;
    int64_t now = tapi_now_ms();
    if (deadline_ms) {
        int64_t left = deadline_ms - now;
        if (left < MIN_ATTEMPT_MS) {
            tapi_log(TAPI_LOG_WARN, "dynamodb %s: deadline reached after %u attempts", x->req->op,
                     x->started);
            finish(x, TAPI_EUNAVAILABLE);
            return;
        }
        if (left < timeout) timeout = (long)left;
    }
    x->reply->error_type[0] = '\0';
    x->reply->failure[0] = '\0';
    x->reply->http_status = 0;
    x->reply->attempts = ++x->started;
    x->in.len = 0;
    x->answer = (tapi_http_reply){0};
    if (!prepare(c, x)) {
        finish(x, TAPI_EUNAVAILABLE);
        return;
    }
    conn *k = &set->conns[ki];
    k->busy = true;
    x->conn = ki;
    x->attempt_end_ms = now + timeout;
    if (k->h && !still_open(k)) drop(k);
    if (!k->h) {
        CURLcode rc = connect_to(c, set, k, timeout);
        if (rc != CURLE_OK) {
            end_attempt(c, set, x, rc, NULL, deadline_ms);
            return;
        }
    }
    progress(c, set, x, deadline_ms);
}

/* Starts every attempt that is due and has a free connection, kept-alive ones first. */
static void start_due(tapi_ddb_client *c, conn_set *set, xfer *xs, size_t n, int64_t deadline_ms)
{
    int64_t now = tapi_now_ms();
    for (size_t i = 0; i < n; i++) {
        xfer *x = &xs[i];
        if (x->finished || x->conn >= 0 || x->not_before_ms > now) continue;
        int free_k = -1;
        for (int k = 0; k < MAX_PARALLEL; k++) {
            if (set->conns[k].busy) continue;
            if (set->conns[k].h) {
                free_k = k;
                break;
            }
            if (free_k < 0) free_k = k;
        }
        if (free_k < 0) break; /* the rest start as connections come free */
        start_attempt(c, set, free_k, x, deadline_ms);
    }
}

void tapi_ddb_call_many(tapi_ddb_client *c, size_t n, const tapi_ddb_request *reqs,
                        int64_t deadline_ms, tapi_ddb_reply *replies, tapi_err *errs)
{
    for (size_t i = 0; i < n; i++) memset(&replies[i], 0, sizeof replies[i]);
    xfer *xs = calloc(n ? n : 1, sizeof *xs);
    if (!xs) {
        for (size_t i = 0; i < n; i++) errs[i] = TAPI_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) xs[i] = (xfer){.req = &reqs[i], .reply = &replies[i], .conn = -1};
    size_t slot = tapi_slot_pool_acquire(&c->pool);
    conn_set *set = &c->sets[slot];
    struct pollfd fds[MAX_PARALLEL];
    xfer *polled[MAX_PARALLEL];
    for (;;) {
        start_due(c, set, xs, n, deadline_ms);
        /* wait for the connections in flight, until the first attempt times out or the
         * next backoff ends (a retry settled above may already be due: then not at all;
         * a call that is due but not started waits for a connection to come free) */
        size_t open = 0, nfds = 0;
        int64_t now = tapi_now_ms(), next = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            xfer *x = &xs[i];
            if (x->finished) continue;
            open++;
            if (x->conn < 0) {
                if (x->not_before_ms > now && x->not_before_ms < next)
                    next = x->not_before_ms;
                continue;
            }
            if (x->attempt_end_ms < next) next = x->attempt_end_ms;
            fds[nfds] = (struct pollfd){.fd = (int)set->conns[x->conn].fd,
                                        .events = x->out_sent < x->out.len ? POLLOUT : POLLIN};
            polled[nfds++] = x;
        }
        if (!open) break;
        now = tapi_now_ms();
        long wait_ms = next <= now ? 0 : next - now > 1000 ? 1000 : (long)(next - now);
        if (wait_ms > 0 && poll(fds, nfds, (int)wait_ms) < 0) continue; /* EINTR: look again */
        now = tapi_now_ms();
        for (size_t i = 0; i < nfds; i++) {
            xfer *x = polled[i];
            if (wait_ms > 0 && fds[i].revents) progress(c, set, x, deadline_ms);
            if (!x->finished && x->conn >= 0 && now >= x->attempt_end_ms)
                end_attempt(c, set, x, CURLE_OPERATION_TIMEDOUT, NULL, deadline_ms);
        }
    }
    tapi_slot_pool_release(&c->pool, slot);
    for (size_t i = 0; i < n; i++) errs[i] = xs[i].err;
    free(xs);
}

tapi_err tapi_ddb_call(tapi_ddb_client *c, const char *op, const char *json, size_t len,
                       int64_t deadline_ms, const char *trace_header, tapi_ddb_reply *reply)
{
    tapi_ddb_request req = {.op = op, .json = json, .len = len, .trace_header = trace_header};
    tapi_err err;
    tapi_ddb_call_many(c, 1, &req, deadline_ms, reply, &err);
    return err;
}
