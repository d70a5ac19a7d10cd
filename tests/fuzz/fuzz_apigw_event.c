/* libFuzzer target: the API Gateway event parser and the router behind it, on a real
 * (in-memory) SQLite store. Every event must yield an invocation error or a well-formed
 * proxy response with a status the API uses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/router/router.h"
#include "../../src/lambda/apigw_event.h"
#include "../../src/store/sqlite.h"

static tapi_app app;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tapi_store *store;
    char err[256];
    if (tapi_sqlite_open(":memory:", 1, &store, err, sizeof err) != TAPI_OK) abort();
    app.store = store;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tapi_apigw_request r;
    char why[200];
    if (tapi_apigw_parse((const char *)data, size, &r, why, sizeof why) != TAPI_OK) return 0;
    tapi_response resp;
    if (r.reject_code) {
        memset(&resp, 0, sizeof resp);
        tapi_response_error(&resp, 400, r.reject_code, r.reject_message);
    } else {
        tapi_handle(&app, &r.req, &resp);
    }
    static const int allowed[] = {200, 201, 204, 304, 400, 404, 405, 412, 413, 415, 422, 503};
    int ok = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) ok |= resp.status == allowed[i];
    if (!ok || (resp.status != 204 && !resp.body)) __builtin_trap();
    char *json;
    size_t len;
    if (tapi_apigw_response(&resp, NULL, &json, &len) == TAPI_OK) free(json);
    tapi_response_clear(&resp);
    tapi_apigw_request_free(&r);
    return 0;
}
