/* DynamoDB transport; see client.h. Retry policy follows the AWS SDKs: delay
 * = random(0, min(max_backoff, base * 2^attempt)) ("full jitter"), never sleeping past
 * the deadline. */
#include "client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
};

/* What one caller at a time uses: a multi handle, whose connection cache outlives each
 * call so connections stay alive between invocations, and the easy handles of the
 * transfers it runs at once (made on first use). */
typedef struct conn_set {
    CURLM *multi;
    CURL *easy[MAX_PARALLEL];
} conn_set;

struct tapi_ddb_client {
    tapi_slot_pool pool;
    conn_set *sets;
    struct curl_slist *headers; /* shared, read-only: content type and security token */
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

/* A response body: bounded, because the peer is not trusted to stop. */
typedef struct sink {
    tapi_buf buf;
    bool overflow;
} sink;

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

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (s->buf.len + n > MAX_RESPONSE_BYTES) {
        s->overflow = true;
        return 0; /* makes curl fail the transfer */
    }
    tapi_buf_append(&s->buf, ptr, n);
    return s->buf.failed ? 0 : n;
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
    c->session_token = cfg->session_token ? strdup(cfg->session_token) : NULL;
    c->set_count = cfg->pool_size ? cfg->pool_size : 1;
    c->sets = calloc(c->set_count, sizeof *c->sets);
    c->headers = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.0");
    if (c->headers && cfg->session_token) {
        /* DynamoDB requires the token as a signed header with temporary credentials */
        size_t n = strlen(cfg->session_token) + 32;
        char *h = malloc(n);
        if (h) {
            snprintf(h, n, "X-Amz-Security-Token: %s", cfg->session_token);
            struct curl_slist *l = curl_slist_append(c->headers, h);
            memset(h, 0, n);
            free(h);
            c->headers = l;
        }
    }
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
    if ((cfg->session_token && !c->session_token) || !c->sets || !c->headers ||
        (ca && !c->ca) ||
        tapi_slot_pool_init(&c->pool, c->set_count) != TAPI_OK) {
        tapi_ddb_client_close(c);
        return TAPI_ENOMEM;
    }
    for (size_t i = 0; i < c->set_count; i++) {
        if (!(c->sets[i].multi = curl_multi_init())) {
            tapi_ddb_client_close(c);
            return TAPI_ENOMEM;
        }
        curl_multi_setopt(c->sets[i].multi, CURLMOPT_MAXCONNECTS, (long)MAX_PARALLEL);
    }
    *out = c;
    return TAPI_OK;
}

void tapi_ddb_client_close(tapi_ddb_client *c)
{
    if (!c) return;
    for (size_t i = 0; c->sets && i < c->set_count; i++) {
        for (size_t k = 0; k < MAX_PARALLEL; k++)
            if (c->sets[i].easy[k]) curl_easy_cleanup(c->sets[i].easy[k]);
        if (c->sets[i].multi) curl_multi_cleanup(c->sets[i].multi);
    }
    free(c->sets);
    curl_slist_free_all(c->headers);
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
    CURL *h;                    /* the easy handle of the attempt in flight, or NULL */
    size_t handle;              /* its index in the connection set */
    /* that attempt's own header lines, linked in front of the client's shared ones:
     * libcurl only reads the list, so it needs no allocation per attempt */
    struct curl_slist lines[5];
    char target[96], authorization[TAPI_SIGV4_AUTH_MAX + 16], amz_date[32];
    char host[ENDPOINT_MAX + 8], trace[200];
    sink body;
    unsigned started;           /* attempts started */
    unsigned sends;             /* requests libcurl began to send in this attempt */
    int64_t not_before_ms;      /* backoff: the next attempt starts no earlier */
    bool finished;
} xfer;

/* Bytes of request (headers included) libcurl wrote to the connection in this transfer. */
static bool request_was_sent(CURL *h)
{
    long header_bytes = 0;
    curl_off_t body_bytes = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &header_bytes);
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &body_bytes);
    return header_bytes > 0 || body_bytes > 0;
}

static bool is_tls_verification_error(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/* Called by libcurl before it sends the request. libcurl resends a request by itself
 * when a kept-alive connection dies before any answer came; the first request may have
 * been applied all the same, and we could not tell. So a second send in one attempt is
 * stopped here: the attempt ends as one whose outcome is unknown, and the retry policy
 * (and a write's `once`) decides what happens next, in sight. */
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    xfer *x = clientp;
    return ++x->sends > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* Writes "prefix" "value" and a NUL into out[0..cap); false if it does not fit. */
static bool header_line(char *out, size_t cap, const char *prefix, const char *value)
{
    size_t p = strlen(prefix), v = strlen(value);
    if (p + v >= cap) return false;
    memcpy(out, prefix, p);
    memcpy(out + p, value, v + 1);
    return true;
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

/* Signs x's request and sets it up on h (SigV4 in sigv4.c: what is signed is exactly what
 * is sent). false when it cannot be built. */
static bool prepare(tapi_ddb_client *c, CURL *h, xfer *x, long timeout_ms)
{
    const tapi_ddb_request *r = x->req;
    char target[96], date[17], auth[TAPI_SIGV4_AUTH_MAX];
    amz_date_now(date);
    if (!header_line(target, sizeof target, "DynamoDB_20120810.", r->op)) return false;
    tapi_sigv4_header signed_headers[5] = {{"content-type", "application/x-amz-json-1.0"},
                                           {"host", c->host},
                                           {"x-amz-date", date},
                                           {"x-amz-target", target}};
    size_t n_signed = 4;
    if (c->session_token) signed_headers[n_signed++] = (tapi_sigv4_header){"x-amz-security-token", c->session_token};
    if (tapi_sigv4_sign(c->signer, "POST", c->path, "", signed_headers, n_signed, r->json, r->len,
                        date, auth) != TAPI_OK)
        return false;
    if (!header_line(x->authorization, sizeof x->authorization, "Authorization: ", auth) ||
        !header_line(x->amz_date, sizeof x->amz_date, "X-Amz-Date: ", date) ||
        !header_line(x->host, sizeof x->host, "Host: ", c->host) ||
        !header_line(x->target, sizeof x->target, "X-Amz-Target: DynamoDB_20120810.", r->op))
        return false;
    char *ours[5] = {x->target, x->authorization, x->amz_date, x->host, NULL};
    if (r->trace_header &&
        header_line(x->trace, sizeof x->trace, "X-Amzn-Trace-Id: ", r->trace_header))
        ours[4] = x->trace;
    size_t n = ours[4] ? 5 : 4;
    for (size_t i = 0; i < n; i++)
        x->lines[i] = (struct curl_slist){.data = ours[i],
                                          .next = i + 1 < n ? &x->lines[i + 1] : c->headers};
    /* what changes per attempt; the rest was set once, when the handle was made */
    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)x);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->json);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)r->len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->lines);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, (void *)x);
    return true;
}

/* A new easy handle with the options every attempt shares, set once: a curl_easy_reset
 * and the whole set again per attempt cost about 5,000 instructions a request. Options
 * that differ per attempt are all set again in prepare, so none carries over. */
static CURL *new_handle(const tapi_ddb_client *c)
{
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
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

/* Classifies an attempt that ended with rc. */
static outcome classify(xfer *x, CURLcode rc, long *status, bool *reached_server)
{
    const char *op = x->req->op;
    tapi_ddb_reply *reply = x->reply;
    if (rc != CURLE_OK) {
        /* Only a request that left us can have been applied: a connect timeout or a
         * failed TLS handshake sent nothing, so its outcome is known (not applied). */
        if (request_was_sent(x->h) || x->sends > 1) *reached_server = true;
        if (is_tls_verification_error(rc)) {
            snprintf(reply->failure, sizeof reply->failure,
                     "TLS certificate verification failed (%s); check the endpoint's "
                     "certificate and the trusted CAs (AWS_CA_BUNDLE or SSL_CERT_DIR)",
                     curl_easy_strerror(rc));
            tapi_log(TAPI_LOG_ERROR, "dynamodb %s: %s", op, reply->failure);
            return GIVE_UP; /* retrying cannot fix a certificate */
        }
        snprintf(reply->failure, sizeof reply->failure, "%s", curl_easy_strerror(rc));
        tapi_log(TAPI_LOG_WARN, "dynamodb %s: %s%s", op, curl_easy_strerror(rc),
                 x->body.overflow ? " (response too large)" : "");
        return x->body.overflow ? GIVE_UP : RETRY;
    }
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, status);
    if (*status == 200) return DONE;
    parse_error_type(x->body.buf.data, reply->error_type, sizeof reply->error_type);
    if (*status >= 500) *reached_server = true;
    if (is_throttle(reply->error_type)) reply->throttled = true;
    if (*status >= 500 || is_throttle(reply->error_type)) {
        tapi_log(TAPI_LOG_WARN, "dynamodb %s: HTTP %ld %s", op, *status, reply->error_type);
        return RETRY;
    }
    return GIVE_UP;
}

static void finish(xfer *x, tapi_err err)
{
    x->err = err;
    x->finished = true;
    x->reply->end_us = tapi_now_us();
    if (err == TAPI_EUNAVAILABLE)
        tapi_log(TAPI_LOG_ERROR, "dynamodb %s unavailable after %u attempts", x->req->op,
                 x->reply->attempts);
}

/* Starts x's next attempt on h, or finishes x when the deadline leaves no room for it. */
static void start_attempt(tapi_ddb_client *c, CURLM *multi, CURL *h, size_t handle, xfer *x,
                          int64_t deadline_ms)
{
    long timeout = c->attempt_timeout_ms;
    if (deadline_ms) {
        int64_t left = deadline_ms - tapi_now_ms();
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
    x->reply->attempts = ++x->started;
    x->sends = 0;
    x->body = (sink){0};
    if (!prepare(c, h, x, timeout)) {
        finish(x, TAPI_EUNAVAILABLE);
        return;
    }
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
        finish(x, TAPI_EUNAVAILABLE);
        return;
    }
    x->h = h;
    x->handle = handle;
}

/* Settles x's attempt that ended with rc: done, given up, or a retry after a backoff. */
static void end_attempt(tapi_ddb_client *c, xfer *x, CURLcode rc, int64_t deadline_ms)
{
    long status = 0;
    bool reached = false;
    outcome o = classify(x, rc, &status, &reached);
    x->h = NULL;
    tapi_ddb_reply *reply = x->reply;
    reply->http_status = status;
    if (o == DONE) {
        if (x->body.buf.len == 0) tapi_buf_puts(&x->body.buf, "{}");
        finish(x, tapi_buf_take(&x->body.buf, &reply->body, &reply->body_len));
        return;
    }
    tapi_buf_free(&x->body.buf);
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

/* Starts every attempt that is due and has a free handle. */
static void start_due(tapi_ddb_client *c, conn_set *set, xfer *xs, size_t n, int64_t deadline_ms)
{
    bool busy[MAX_PARALLEL] = {false};
    for (size_t i = 0; i < n; i++)
        if (xs[i].h) busy[xs[i].handle] = true;
    int64_t now = tapi_now_ms();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        xfer *x = &xs[i];
        if (x->finished || x->h || x->not_before_ms > now) continue;
        while (k < MAX_PARALLEL && busy[k]) k++;
        if (k == MAX_PARALLEL) break; /* the rest start as handles come free */
        if (!set->easy[k] && !(set->easy[k] = new_handle(c))) {
            finish(x, TAPI_ENOMEM);
            continue;
        }
        start_attempt(c, set->multi, set->easy[k], k, x, deadline_ms);
        if (x->h) busy[k] = true;
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
    for (size_t i = 0; i < n; i++) xs[i] = (xfer){.req = &reqs[i], .reply = &replies[i]};
    size_t slot = tapi_slot_pool_acquire(&c->pool);
    conn_set *set = &c->sets[slot];
    for (;;) {
        start_due(c, set, xs, n, deadline_ms);
        int running = 0;
        curl_multi_perform(set->multi, &running);
        CURLMsg *m;
        int queued;
        while ((m = curl_multi_info_read(set->multi, &queued))) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *h = m->easy_handle;
            CURLcode rc = m->data.result;
            xfer *x = NULL;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
            curl_multi_remove_handle(set->multi, h); /* m is gone from here on */
            if (x) end_attempt(c, x, rc, deadline_ms);
        }
        /* wait for the connections, or until the next backoff ends (a retry finished
         * above may already be due: then not at all) */
        size_t open = 0, in_flight = 0;
        int64_t next = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            open += !xs[i].finished;
            in_flight += xs[i].h != NULL;
            if (!xs[i].finished && !xs[i].h && xs[i].not_before_ms < next) next = xs[i].not_before_ms;
        }
        if (!open) break;
        int64_t now = tapi_now_ms();
        long wait_ms = next == INT64_MAX ? 1000 : next <= now ? 0 : (long)(next - now);
        if (wait_ms > 1000 || (wait_ms == 0 && in_flight == MAX_PARALLEL)) wait_ms = 1000;
        if (wait_ms > 0 || in_flight) curl_multi_poll(set->multi, NULL, 0, (int)wait_ms, NULL);
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
