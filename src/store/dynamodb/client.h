/* A DynamoDB JSON-protocol client: SigV4 signing (sigv4.c, the day's key kept),
 * kept-alive connections per pool slot (opened by libcurl: DNS, proxy tunnel, TLS),
 * calls of one batch run at once on one thread (one poll loop), per-attempt timeouts
 * clipped to the caller's deadline, and retries with exponential backoff and full jitter
 * on throttling, 5xx and network errors. Conditional-check failures and validation errors
 * are never retried. Every request is written by this client, once per attempt, so
 * maybe_applied is true whenever a request may have reached DynamoDB more than once. */
#ifndef TAPI_DYNAMODB_CLIENT_H
#define TAPI_DYNAMODB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../core/errors.h"

typedef struct tapi_ddb_config {
    const char *table;         /* TABLE_NAME */
    const char *region;        /* AWS_REGION */
    const char *endpoint;      /* AWS_ENDPOINT_URL_DYNAMODB, or NULL for AWS's */
    const char *access_key;    /* AWS_ACCESS_KEY_ID */
    const char *secret_key;    /* AWS_SECRET_ACCESS_KEY (never logged) */
    const char *session_token; /* AWS_SESSION_TOKEN, or NULL */
    const char *ca_bundle;     /* AWS_CA_BUNDLE: PEM file of trusted CAs, or NULL (system's) */
    unsigned shards;           /* TASKS_DDB_SHARDS: list-index partitions, 1..32 */
    unsigned pool_size;        /* concurrent connections */
    unsigned max_attempts;     /* per operation, >= 1 (TASKS_DDB_MAX_ATTEMPTS, default 5) */
    unsigned base_backoff_ms;
    unsigned max_backoff_ms;
    unsigned connect_timeout_ms;
    unsigned attempt_timeout_ms; /* TASKS_DDB_TIMEOUT_MS, default 3000 */
} tapi_ddb_config;

/* Fills cfg from the environment (the strings point into it) with defaults for the
 * rest. TAPI_ECONFIG with a reason in errbuf if something required is missing/invalid. */
tapi_err tapi_ddb_config_from_env(tapi_ddb_config *cfg, char *errbuf, size_t errlen);

typedef struct tapi_ddb_client tapi_ddb_client;

typedef struct tapi_ddb_reply {
    char *body;            /* response JSON, NUL-terminated, owned: free() */
    size_t body_len;
    char error_type[64];   /* e.g. "ConditionalCheckFailedException"; "" on success */
    char failure[192];     /* the last attempt's transport failure, "" if it had none */
    unsigned attempts;
    long http_status;      /* of the last attempt; 0 when it got no answer */
    bool throttled;        /* some attempt was throttled */
    bool maybe_applied;    /* an earlier attempt's request was sent and its outcome is unknown */
    int64_t end_us;        /* when the call finished (tapi_now_us) */
} tapi_ddb_reply;

typedef struct tapi_ddb_request {
    const char *op;           /* "Query", ... */
    const char *json;         /* the request body; read until the call returns */
    size_t len;
    const char *trace_header; /* sent as X-Amzn-Trace-Id (X-Ray), or NULL */
    /* Never sent again after an attempt whose outcome is unknown (no answer after the
     * request left, or a 5xx): the call then ends TAPI_EUNAVAILABLE with maybe_applied
     * set, and the caller finds out what happened. For a write that a second delivery
     * could apply twice. Attempts known not to have been applied (throttled, refused
     * connection) are retried as usual. */
    bool once;
} tapi_ddb_request;

/* Opens a client (copies what it needs from cfg). TAPI_ECONFIG / TAPI_ENOMEM. */
tapi_err tapi_ddb_client_open(const tapi_ddb_config *cfg, tapi_ddb_client **out, char *errbuf,
                              size_t errlen);
void tapi_ddb_client_close(tapi_ddb_client *client);

/* Calls operation op ("PutItem", ...) with the JSON request body. Returns:
 * TAPI_OK (HTTP 200, reply->body holds the result); TAPI_ECONFLICT for
 * ConditionalCheckFailedException; TAPI_EINVAL for other non-retryable client errors
 * (reply->error_type says which); TAPI_EUNAVAILABLE when retries or the deadline ran
 * out; TAPI_ENOMEM. Details of failures are logged. The caller frees reply->body (set
 * only on TAPI_OK) with free(). trace_header, when not NULL, is sent as X-Amzn-Trace-Id
 * (X-Ray). Thread-safe. */
tapi_err tapi_ddb_call(tapi_ddb_client *client, const char *op, const char *json, size_t len,
                       int64_t deadline_ms, const char *trace_header, tapi_ddb_reply *reply);

/* n calls at once on one thread and one pool slot, each retried on its own as
 * tapi_ddb_call retries; errs[i] and replies[i] are what tapi_ddb_call would give for
 * reqs[i] (the caller frees each replies[i].body set on TAPI_OK). Up to 32 run at once,
 * the rest as those finish. Thread-safe. */
void tapi_ddb_call_many(tapi_ddb_client *client, size_t n, const tapi_ddb_request *reqs,
                        int64_t deadline_ms, tapi_ddb_reply *replies, tapi_err *errs);

#endif
