/* The HTTP-agnostic core: a plain request in, a plain response out. The local server and
 * the Lambda runtime only translate their wire format to and from these structs, so the
 * API contract (routes, validation, status codes, error shape) lives here once. */
#ifndef TAPI_ROUTER_H
#define TAPI_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"
#include "../core/errors.h"
#include "../core/page_token.h"

/* A decoded query parameter; not NUL-terminated, may contain any bytes. */
typedef struct tapi_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} tapi_param;

typedef struct tapi_request {
    const char *method;       /* NUL-terminated, case-sensitive ("GET") */
    const char *path;         /* decoded path without the query string */
    size_t path_len;
    const tapi_param *query;  /* query_count decoded parameters, in order */
    size_t query_count;
    const char *content_type; /* NULL when the header is absent */
    const char *body;         /* body_len bytes, need not be NUL-terminated */
    size_t body_len;
    bool body_too_large;      /* the door saw more than TAPI_MAX_BODY_BYTES */
    int64_t deadline_ms;      /* epoch ms by which the answer is needed; 0 = none */
} tapi_request;

enum { TAPI_LOCATION_MAX = 64 };

typedef struct tapi_response {
    int status;
    char *body;               /* JSON; NULL for 204. Owned unless body_static */
    size_t body_len;
    bool body_static;
    char location[TAPI_LOCATION_MAX]; /* "" when absent */
    const char *allow;        /* static; NULL when absent */
    int retry_after;          /* seconds; 0 when absent */
} tapi_response;

/* Headers every response carries, for the doors to add. */
#define TAPI_CONTENT_TYPE "application/json; charset=utf-8"
#define TAPI_NOSNIFF "nosniff"

typedef struct tapi_app {
    tapi_store *store; /* borrowed; its token_key authenticates page tokens */
} tapi_app;

/* Handles one request. Always fills *resp (on internal failure with a static 503); the
 * caller releases it with tapi_response_clear. Safe to call from many threads at once. */
void tapi_handle(const tapi_app *app, const tapi_request *req, tapi_response *resp);

void tapi_response_clear(tapi_response *resp);

/* Fills *resp with an error in the API's shape; used by doors for errors they detect
 * before the core can run (e.g. a request that cannot be read). */
void tapi_response_error(tapi_response *resp, int status, const char *code, const char *message);

#endif
