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
#include "../core/problem.h"

/* A decoded query parameter; not NUL-terminated, may contain any bytes. */
typedef struct tapi_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} tapi_param;

/* Which resource a door matched: the local server from the path (tapi_route_path), the
 * Lambda door from what API Gateway matched (resource + pathParameters), never from a
 * path that may carry a stage or a custom domain's base path. */
typedef enum tapi_route {
    TAPI_ROUTE_NONE,       /* no such resource: 404 */
    TAPI_ROUTE_COLLECTION, /* /tasks (and /tasks/) */
    TAPI_ROUTE_ITEM,       /* /tasks/{id} */
} tapi_route;

typedef struct tapi_request {
    const char *method;       /* NUL-terminated, case-sensitive ("GET") */
    tapi_route route;
    const char *id;           /* TAPI_ROUTE_ITEM: the decoded {id} segment, id_len bytes */
    size_t id_len;
    /* The collection's path as the client addressed it ("/tasks", "/dev/tasks",
     * "/v1/tasks"), without a trailing slash; Location is built on it. NULL: "/tasks". */
    const char *collection_path;
    size_t collection_path_len;
    const char *path;         /* the request's path, for logs only */
    size_t path_len;
    const tapi_param *query;  /* query_count decoded parameters, in order */
    size_t query_count;
    const char *content_type; /* NULL when the header is absent */
    const char *body;         /* body_len bytes, need not be NUL-terminated */
    size_t body_len;
    bool body_too_large;      /* the door saw more than TAPI_MAX_BODY_BYTES */
    int64_t deadline_ms;      /* epoch ms by which the answer is needed; 0 = none */
    /* The caller's owner key (core/owner.h), set by the door once it has authenticated
     * the caller; NULL = the shared owner (authentication off). */
    const char *owner;
    /* Conditional request headers, NUL-terminated, NULL when absent; a door joins
     * repeated header lines with ", " (RFC 9110 list semantics). */
    const char *if_match;
    const char *if_none_match;
    const char *idempotency_key; /* Idempotency-Key, as sent; NULL when absent */
    /* A header that must come once ("Content-Type") that came more than once: the request
     * is refused (400) rather than one of its values trusted, since a proxy on the way
     * may have picked the other. NULL when none. */
    const char *repeated_header;
} tapi_request;

/* Longest collection path honoured for Location (longer ones fall back to "/tasks"). */
enum { TAPI_COLLECTION_PATH_MAX = 1024, TAPI_LOCATION_MAX = 3 * TAPI_COLLECTION_PATH_MAX + 64 };

typedef struct tapi_response {
    int status;
    char *body;               /* JSON; NULL for 204. Owned unless body_static */
    bool problem;             /* body is problem details: TAPI_PROBLEM_CONTENT_TYPE */
    size_t body_len;
    bool body_static;
    char location[TAPI_LOCATION_MAX]; /* "" when absent */
    const char *allow;        /* static; NULL when absent */
    const char *accept_patch; /* static; NULL when absent (set on a PATCH's 415) */
    /* static; NULL when absent. Doors set "Authorization" when authentication is on: the
     * answer depends on who asks, and a shared cache must not give one user's to another. */
    const char *vary;
    int retry_after;          /* seconds; 0 when absent */
    const char *www_authenticate; /* static; NULL when absent (set on 401) */
    char etag[32];            /* the task's ETag (TAPI_ETAG_MAX); "" when absent */
    /* static; NULL means "no-store". A 304 has no Content-Type: doors send only ETag and
     * Cache-Control with it. */
    const char *cache_control;
    bool idempotent_replayed; /* send Idempotent-Replayed: true */
    /* A 304 or the answer to a HEAD: send the status and headers only. body still holds
     * what a GET would send, so a door that writes Content-Length writes the GET's. */
    bool headers_only;
} tapi_response;

/* Headers every response carries, for the doors to add. */
#define TAPI_CONTENT_TYPE "application/json; charset=utf-8"
#define TAPI_NOSNIFF "nosniff"

typedef struct tapi_app {
    tapi_store *store; /* borrowed; its token_key authenticates page tokens */
    /* How long an Idempotency-Key answers (seconds); 0: TAPI_IDEMPOTENCY_WINDOW_S. */
    int64_t idempotency_window_s;
} tapi_app;

/* Handles one request. Always fills *resp (on internal failure with a static 503); the
 * caller releases it with tapi_response_clear. Safe to call from many threads at once. */
void tapi_handle(const tapi_app *app, const tapi_request *req, tapi_response *resp);

void tapi_response_clear(tapi_response *resp);

/* Matches a decoded local path: "/tasks" and "/tasks/" are the collection; "/tasks/{id}"
 * with a non-empty id and no further '/' is an item (*id points into path); anything else
 * is TAPI_ROUTE_NONE. */
tapi_route tapi_route_path(const char *path, size_t len, const char **id, size_t *id_len);

/* A low-cardinality name of what the request asked for, for metrics: "POST /tasks",
 * "GET /tasks", "GET /tasks/{id}", "HEAD /tasks", "HEAD /tasks/{id}", "PATCH /tasks/{id}",
 * "DELETE /tasks/{id}", or "other" (unknown paths and methods). Never an id. Static storage. */
const char *tapi_route_name(const tapi_request *req);

/* Fills *resp with an error in the API's shape (RFC 9457 problem details naming the
 * thread's current request, core/request_context.h); used by doors for errors they
 * detect before the core can run (e.g. a request that cannot be read). *resp must be
 * zeroed or hold a response (whose body this replaces); so for the two below. */
void tapi_response_error(tapi_response *resp, int status, const char *code, const char *message);

/* Fills *resp with the API's 503 (Retry-After: 1): a door could not check the request
 * now; retrying later may succeed. */
void tapi_response_unavailable(tapi_response *resp);

/* Fills *resp with 400 invalid_request and its WWW-Authenticate challenge (RFC 6750
 * section 3.1): the credentials are malformed (e.g. two Authorization headers), which no
 * token can fix. message says why. */
void tapi_response_invalid_auth_request(tapi_response *resp, const char *message);

/* Fills *resp with 401 unauthorized and its WWW-Authenticate challenge (RFC 6750):
 * "Bearer" when no credentials came, with error="invalid_token" when a token came and
 * was refused. message says why, without echoing the token. */
void tapi_response_unauthorized(tapi_response *resp, bool token_sent, const char *message);

#endif
