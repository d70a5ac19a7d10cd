/* build/bootstrap: the Lambda composition root. Everything expensive (configuration, the
 * store with its connections and TLS context, the page-token key, the X-Ray socket)
 * happens once at init; then the Runtime API loop turns each API Gateway event into a
 * core request, posts the proxy response, and writes the invocation's log and metrics
 * lines. Bad configuration is reported to /init/error before exiting. */
/* The deployable package is built without SQLite (TAPI_WITH_SQLITE=0): Lambda has no
 * durable disk, and leaving it out keeps lambda.zip under 3 MB. Test builds keep it. */
#ifndef TAPI_WITH_SQLITE
#define TAPI_WITH_SQLITE 1
#endif

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/request_context.h"
#include "../router/idempotency.h"
#include "../router/router.h"
#include "../core/timestamp.h"
#include "../store/dynamodb/dynamodb.h"
#if TAPI_WITH_SQLITE
#include "../store/sqlite.h"
#endif
#include "apigw_event.h"
#include "metrics.h"
#include "runtime_api.h"
#include "xray.h"

/* Leave this much of the invocation for posting the response. */
enum { RESPONSE_RESERVE_MS = 150 };

static tapi_err open_store(tapi_store **store, const char **error_type, char *err, size_t errlen)
{
    const char *kind = getenv("TASKS_STORE");
    if (!kind || !*kind) kind = "dynamodb"; /* Lambda has no durable local disk */
    if (strcmp(kind, "sqlite") == 0) {
#if TAPI_WITH_SQLITE
        const char *path = getenv("TASKS_DB");
        *error_type = "Runtime.StoreUnavailable";
        return tapi_sqlite_open(path && *path ? path : "/tmp/tasks.db", 1, store, err, errlen);
#else
        *error_type = "Runtime.InvalidConfiguration";
        snprintf(err, errlen, "this package is built without the SQLite store; "
                              "use TASKS_STORE=dynamodb");
        return TAPI_ECONFIG;
#endif
    }
    if (strcmp(kind, "dynamodb") != 0) {
        *error_type = "Runtime.InvalidConfiguration";
        snprintf(err, errlen, "TASKS_STORE must be 'sqlite' or 'dynamodb' (got '%.40s')", kind);
        return TAPI_ECONFIG;
    }
    tapi_ddb_config cfg;
    tapi_err e = tapi_ddb_config_from_env(&cfg, err, errlen);
    if (e != TAPI_OK) {
        *error_type = "Runtime.InvalidConfiguration";
        return e;
    }
    cfg.pool_size = 1; /* one invocation at a time per sandbox */
    e = tapi_dynamodb_open(&cfg, store, err, errlen);
    *error_type = e == TAPI_ECONFIG ? "Runtime.InvalidConfiguration" : "Runtime.StoreUnavailable";
    return e;
}

/* What the store did during the current invocation, gathered by the store observer (from
 * the shard threads of a list too, hence the lock), and the invocation's X-Ray trace. */
typedef struct invocation_watch {
    pthread_mutex_t lock;
    tapi_xray *xray;           /* NULL: tracing off */
    const char *region;
    tapi_xray_trace trace;     /* sampled only when the daemon and the header say so */
    unsigned calls, retries, throttles;
    int64_t store_us;
} invocation_watch;

static void watch_begin(void *ctx, tapi_store_call *call)
{
    invocation_watch *w = ctx;
    if (w->xray && w->trace.sampled) tapi_xray_begin(&w->trace, call);
}

static void watch_end(void *ctx, const tapi_store_call *call)
{
    invocation_watch *w = ctx;
    pthread_mutex_lock(&w->lock);
    w->calls++;
    w->retries += call->attempts > 1 ? call->attempts - 1 : 0;
    w->throttles += call->throttled;
    w->store_us += call->end_us - call->start_us;
    pthread_mutex_unlock(&w->lock);
    tapi_xray_send(w->xray, &w->trace, w->region, call);
}

static void watch_reset(invocation_watch *w, const char *trace_header)
{
    w->calls = w->retries = w->throttles = 0;
    w->store_us = 0;
    if (!w->xray || !tapi_xray_parse(trace_header, &w->trace)) memset(&w->trace, 0, sizeof w->trace);
}

/* Process configuration of the door, read once at init. */
typedef struct door_config {
    const char *cors_origin;      /* CORS_ALLOW_ORIGIN, or NULL */
    const char *metrics_ns;       /* TASKS_METRICS_NAMESPACE; NULL when TASKS_METRICS=off */
    const char *service;          /* AWS_LAMBDA_FUNCTION_NAME: the Service dimension */
    bool auth_cognito;            /* TASKS_AUTH=cognito: the owner comes from the claims */
    int64_t idempotency_window_s; /* TASKS_IDEMPOTENCY_WINDOW_S */
} door_config;

/* The trace id stays in inv->trace_id and is never put in the environment: glibc keeps
 * every value ever passed to setenv, and Lambda sends a new id each invocation. */
static void handle_invocation(tapi_runtime *rt, const tapi_app *app, const door_config *door,
                              invocation_watch *watch, bool cold, tapi_invocation *inv)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    watch_reset(watch, inv->trace_id);
    const char *cors_origin = door->cors_origin;
    tapi_apigw_request r;
    char why[200];
    tapi_err err = tapi_apigw_parse(inv->event, inv->event_len, &r, why, sizeof why);
    if (err != TAPI_OK) {
        tapi_log(TAPI_LOG_WARN, "invocation %s: %s", inv->request_id,
                 err == TAPI_ENOMEM ? "out of memory" : why);
        tapi_runtime_fail(rt, inv->request_id,
                          err == TAPI_ENOMEM ? "Runtime.OutOfMemory" : "InvalidEvent",
                          err == TAPI_ENOMEM ? "out of memory parsing the event" : why);
        return;
    }
    /* the id clients see (X-Request-Id): API Gateway's, or Lambda's for a direct call */
    tapi_request_context_begin(tapi_request_id_valid(r.api_request_id) ? r.api_request_id
                                                                       : inv->request_id,
                               r.req.path, r.req.path_len);
    tapi_response resp;
    memset(&resp, 0, sizeof resp);
    tapi_owner owner;
    bool token_sent = false;
    tapi_err owner_err = TAPI_OK;
    if (!r.reject_code && door->auth_cognito) owner_err = tapi_apigw_owner(&r, &owner, &token_sent);
    if (r.reject_code) {
        tapi_response_error(&resp, 400, r.reject_code, r.reject_message);
    } else if (door->auth_cognito && r.authorization_headers > 1) {
        /* RFC 6750 section 3.1: malformed credentials are 400, not a token to try */
        tapi_response_invalid_auth_request(&resp, "Send exactly one Authorization header.");
    } else if (owner_err == TAPI_EINVAL) {
        /* the gateway verifies tokens; an event without claims means a method without
         * the authorizer, and that must not open the data */
        tapi_log(TAPI_LOG_WARN, "invocation %s: no authorizer claims (iss, sub) in the event; "
                 "is the Cognito authorizer on this method?", inv->request_id);
        tapi_response_unauthorized(&resp, token_sent, "Authentication required.");
    } else if (owner_err != TAPI_OK) {
        /* the claims are there but their owner key could not be made (hashing failed):
         * nothing is decided about the caller, so neither 401 nor their data */
        tapi_log(TAPI_LOG_ERROR, "invocation %s: cannot derive the owner: %s", inv->request_id,
                 tapi_strerror(owner_err));
        tapi_response_unavailable(&resp);
    } else {
        if (door->auth_cognito) r.req.owner = owner.key;
        r.req.deadline_ms = inv->deadline_ms ? inv->deadline_ms - RESPONSE_RESERVE_MS : 0;
        tapi_handle(app, &r.req, &resp);
    }
    if (door->auth_cognito) resp.vary = "Authorization"; /* what a shared cache must key on */
    char *json;
    size_t len;
    if (tapi_apigw_response(&resp, cors_origin, &json, &len) == TAPI_OK) {
        tapi_runtime_respond(rt, inv->request_id, json, len);
        free(json);
    } else {
        tapi_runtime_fail(rt, inv->request_id, "Runtime.OutOfMemory",
                          "out of memory building the response");
    }
    /* one line per invocation for CloudWatch, the request log and the EMF metrics in one
     * object (half the log writes and ingested bytes of two lines); never bodies or
     * credentials */
    const tapi_log_field ids[] = {{"requestId", inv->request_id},
                                  {"apiRequestId", r.api_request_id}};
    double elapsed = tapi_elapsed_ms(&start);
    bool logged = tapi_log_enabled(TAPI_LOG_INFO);
    if (logged || door->metrics_ns) {
        tapi_buf line;
        tapi_buf_init(&line);
        if (logged)
            tapi_log_request_open(&line, "invocation", ids, 2, r.req.method, r.req.path,
                                  r.req.path_len, resp.status, elapsed, false);
        else
            tapi_buf_append(&line, "{", 1);
        if (door->metrics_ns) {
            pthread_mutex_lock(&watch->lock); /* shard threads are joined; this orders their writes */
            tapi_invocation_metrics m = {.route = tapi_route_name(&r.req),
                                         .status = resp.status,
                                         .latency_ms = elapsed,
                                         .store_ms = (double)watch->store_us / 1000.0,
                                         .store_calls = watch->calls,
                                         .store_retries = watch->retries,
                                         .store_throttles = watch->throttles,
                                         .cold_start = cold};
            pthread_mutex_unlock(&watch->lock);
            tapi_metrics_members(&line, door->metrics_ns, door->service, tapi_now_ms(), &m,
                                 !logged);
        }
        tapi_buf_append(&line, "}", 1);
        if (!line.failed) tapi_log_raw_line(line.data, line.len);
        tapi_buf_free(&line);
    }
    tapi_response_clear(&resp);
    tapi_apigw_request_free(&r);
    tapi_request_context_end();
}

/* Reads the door's settings; returns a message for /init/error when one is unusable. */
static const char *read_door_config(door_config *d)
{
    d->cors_origin = getenv("CORS_ALLOW_ORIGIN");
    if (d->cors_origin && !*d->cors_origin) d->cors_origin = NULL;
    if (d->cors_origin && !tapi_apigw_origin_valid(d->cors_origin))
        return "CORS_ALLOW_ORIGIN must be * or an origin like https://app.example.com";
    const char *metrics = getenv("TASKS_METRICS");
    d->metrics_ns = getenv("TASKS_METRICS_NAMESPACE");
    if (!d->metrics_ns || !*d->metrics_ns) d->metrics_ns = "TasksApi";
    d->service = getenv("AWS_LAMBDA_FUNCTION_NAME");
    if (!d->service || !*d->service) d->service = "tasks-api";
    if (metrics && *metrics && strcmp(metrics, "off") == 0) d->metrics_ns = NULL;
    else if (metrics && *metrics && strcmp(metrics, "emf") != 0)
        return "TASKS_METRICS must be emf or off";
    const char *auth = getenv("TASKS_AUTH");
    d->auth_cognito = auth && strcmp(auth, "cognito") == 0;
    if (auth && *auth && !d->auth_cognito && strcmp(auth, "none") != 0)
        return "TASKS_AUTH must be cognito (API Gateway's Cognito authorizer), none or unset";
    if (tapi_idempotency_window_parse(getenv("TASKS_IDEMPOTENCY_WINDOW_S"),
                                      &d->idempotency_window_s) != TAPI_OK)
        return "TASKS_IDEMPOTENCY_WINDOW_S must be a number of seconds from 1 to 604800";
    if (d->metrics_ns && (!tapi_metrics_name_valid(d->metrics_ns) || !tapi_metrics_name_valid(d->service)))
        return "TASKS_METRICS_NAMESPACE and the function name must be 1-255 printable ASCII characters";
    return NULL;
}

int main(void)
{
    /* An invocation's buffers (a page of tasks is ~30 KiB of reply and answer) come and go
     * at the top of the heap; glibc's default 128 KiB trim threshold handed them back to
     * the kernel and faulted them in again about every fourth invocation (a brk and page
     * faults). Up to 1 MiB of free heap is kept instead: memory stays flat, just not lower. */
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_TOP_PAD, 256 << 10);
    tapi_log_level level = TAPI_LOG_INFO;
    const char *lv = getenv("LOG_LEVEL");
    bool bad_level = lv && *lv && !tapi_log_level_parse(lv, &level);
    tapi_log_configure(level, stdout);
    tapi_log_configure_request_id_name("apiRequestId"); /* requestId is Lambda's here */
    tapi_runtime *rt = NULL;
    if (tapi_runtime_open(getenv("AWS_LAMBDA_RUNTIME_API"), &rt) != TAPI_OK) {
        tapi_log(TAPI_LOG_ERROR, "AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda?");
        return 1;
    }
    char err[300] = "";
    const char *error_type = "Runtime.InvalidConfiguration";
    tapi_store *store = NULL;
    tapi_err e = TAPI_ECONFIG;
    door_config door;
    const char *config_error = read_door_config(&door);
    if (bad_level)
        snprintf(err, sizeof err, "LOG_LEVEL must be debug, info, warn or error");
    else if (config_error)
        snprintf(err, sizeof err, "%s", config_error);
    else
        e = open_store(&store, &error_type, err, sizeof err);
    if (e != TAPI_OK) {
        tapi_log(TAPI_LOG_ERROR, "init failed: %s", err);
        tapi_runtime_fail(rt, NULL, error_type, err);
        tapi_store_close(store);
        tapi_runtime_close(rt);
        return 1;
    }
    invocation_watch watch = {.region = getenv("AWS_REGION")};
    pthread_mutex_init(&watch.lock, NULL);
    const char *daemon = getenv("AWS_XRAY_DAEMON_ADDRESS");
    if (daemon && *daemon && tapi_xray_open(daemon, &watch.xray) != TAPI_OK)
        tapi_log(TAPI_LOG_WARN, "AWS_XRAY_DAEMON_ADDRESS is unusable; no X-Ray subsegments");
    store->observer = (tapi_store_observer){.begin = watch_begin, .end = watch_end, .ctx = &watch};
    const tapi_app app = {.store = store, .idempotency_window_s = door.idempotency_window_s};
    for (bool cold = true;; cold = false) {
        tapi_invocation inv;
        if (tapi_runtime_next(rt, &inv) != TAPI_OK) break;
        handle_invocation(rt, &app, &door, &watch, cold, &inv);
        free(inv.event);
    }
    tapi_log(TAPI_LOG_ERROR, "runtime api unavailable; exiting so Lambda restarts the sandbox");
    tapi_store_close(store);
    tapi_xray_close(watch.xray);
    pthread_mutex_destroy(&watch.lock);
    tapi_runtime_close(rt);
    return 1;
}
