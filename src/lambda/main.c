/* build/bootstrap: the Lambda composition root. Everything expensive (configuration, the
 * store with its connections and TLS context, the page-token key) happens once at init;
 * then the Runtime API loop turns each API Gateway event into a core request and posts
 * the proxy response. Bad configuration is reported to /init/error before exiting. */
/* The deployable package is built without SQLite (TAPI_WITH_SQLITE=0): Lambda has no
 * durable disk, and leaving it out keeps lambda.zip under 3 MB. Test builds keep it. */
#ifndef TAPI_WITH_SQLITE
#define TAPI_WITH_SQLITE 1
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../router/router.h"
#include "../core/timestamp.h"
#include "../store/dynamodb.h"
#if TAPI_WITH_SQLITE
#include "../store/sqlite.h"
#endif
#include "apigw_event.h"
#include "runtime_api.h"

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

/* The trace id stays in inv->trace_id and is never put in the environment: glibc keeps
 * every value ever passed to setenv, and Lambda sends a new id each invocation. */
static void handle_invocation(tapi_runtime *rt, const tapi_app *app, const char *cors_origin,
                              tapi_invocation *inv)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
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
    tapi_response resp;
    if (r.reject_code) {
        memset(&resp, 0, sizeof resp);
        tapi_response_error(&resp, 400, r.reject_code, r.reject_message);
    } else {
        r.req.deadline_ms = inv->deadline_ms ? inv->deadline_ms - RESPONSE_RESERVE_MS : 0;
        tapi_handle(app, &r.req, &resp);
    }
    char *json;
    size_t len;
    if (tapi_apigw_response(&resp, cors_origin, &json, &len) == TAPI_OK) {
        tapi_runtime_respond(rt, inv->request_id, json, len);
        free(json);
    } else {
        tapi_runtime_fail(rt, inv->request_id, "Runtime.OutOfMemory",
                          "out of memory building the response");
    }
    /* one line per invocation for CloudWatch; never bodies or credentials */
    const tapi_log_field ids[] = {{"requestId", inv->request_id},
                                  {"apiRequestId", r.api_request_id}};
    tapi_log_request("invocation", ids, 2, r.req.method, r.req.path, r.req.path_len,
                     resp.status, tapi_elapsed_ms(&start), false);
    tapi_response_clear(&resp);
    tapi_apigw_request_free(&r);
}

int main(void)
{
    tapi_log_level level = TAPI_LOG_INFO;
    const char *lv = getenv("LOG_LEVEL");
    bool bad_level = lv && *lv && !tapi_log_level_parse(lv, &level);
    tapi_log_configure(level, stdout);
    tapi_runtime *rt = NULL;
    if (tapi_runtime_open(getenv("AWS_LAMBDA_RUNTIME_API"), &rt) != TAPI_OK) {
        tapi_log(TAPI_LOG_ERROR, "AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda?");
        return 1;
    }
    char err[300] = "";
    const char *error_type = "Runtime.InvalidConfiguration";
    tapi_store *store = NULL;
    tapi_err e = TAPI_ECONFIG;
    const char *cors_origin = getenv("CORS_ALLOW_ORIGIN");
    if (cors_origin && !*cors_origin) cors_origin = NULL;
    if (bad_level)
        snprintf(err, sizeof err, "LOG_LEVEL must be debug, info, warn or error");
    else if (cors_origin && !tapi_apigw_origin_valid(cors_origin))
        snprintf(err, sizeof err, "CORS_ALLOW_ORIGIN must be * or an origin like https://app.example.com");
    else
        e = open_store(&store, &error_type, err, sizeof err);
    if (e != TAPI_OK) {
        tapi_log(TAPI_LOG_ERROR, "init failed: %s", err);
        tapi_runtime_fail(rt, NULL, error_type, err);
        tapi_store_close(store);
        tapi_runtime_close(rt);
        return 1;
    }
    const tapi_app app = {.store = store};
    for (;;) {
        tapi_invocation inv;
        if (tapi_runtime_next(rt, &inv) != TAPI_OK) break;
        handle_invocation(rt, &app, cors_origin, &inv);
        free(inv.event);
    }
    tapi_log(TAPI_LOG_ERROR, "runtime api unavailable; exiting so Lambda restarts the sandbox");
    tapi_store_close(store);
    tapi_runtime_close(rt);
    return 1;
}
