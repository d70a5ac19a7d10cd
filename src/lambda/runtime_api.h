/* A client for the AWS Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API: the
 * loop's only link to Lambda. One kept-alive connection serves every call. /next has no
 * timeout because the sandbox may be frozen between invocations; posts are retried a
 * few times before they are given up. */
#ifndef TAPI_RUNTIME_API_H
#define TAPI_RUNTIME_API_H

#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"

enum { TAPI_RUNTIME_MAX_EVENT = 6 * 1024 * 1024 + 65536 }; /* Lambda's 6 MB payload cap */

typedef struct tapi_runtime tapi_runtime;

typedef struct tapi_invocation {
    char request_id[128]; /* Lambda-Runtime-Aws-Request-Id */
    char trace_id[512];   /* Lambda-Runtime-Trace-Id, "" if absent */
    int64_t deadline_ms;  /* Lambda-Runtime-Deadline-Ms, 0 if absent */
    char *event;          /* NUL-terminated, owned: free() */
    size_t event_len;
} tapi_invocation;

/* Opens a client for host:port (the value of AWS_LAMBDA_RUNTIME_API). */
tapi_err tapi_runtime_open(const char *api, tapi_runtime **out);
void tapi_runtime_close(tapi_runtime *rt);

/* Blocks until the next invocation arrives. TAPI_EUNAVAILABLE if the Runtime API keeps
 * failing (the caller should exit: Lambda then restarts the sandbox). */
tapi_err tapi_runtime_next(tapi_runtime *rt, tapi_invocation *out);

/* Posts the invocation's result. */
tapi_err tapi_runtime_respond(tapi_runtime *rt, const char *request_id, const char *body,
                              size_t len);

/* Posts an error for an invocation, or for init when request_id is NULL, with
 * {"errorMessage","errorType","stackTrace":[]} and the Lambda-Runtime-Function-Error-Type
 * header. */
tapi_err tapi_runtime_fail(tapi_runtime *rt, const char *request_id, const char *error_type,
                           const char *message);

#endif
