/* The request the calling thread is serving: its id (X-Request-Id) and path, set by a
 * door for the span of one request, so that every log line written meanwhile (by any
 * layer) and every error body name the request without each function passing it on.
 * Thread-local: a door sets and clears it around work that runs on one thread without
 * interleaving another request's (the local server's dispatch, a Lambda invocation). */
#ifndef TAPI_REQUEST_CONTEXT_H
#define TAPI_REQUEST_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

enum {
    TAPI_REQUEST_ID_MAX = 128, /* characters of an id, ours or a client's */
    TAPI_REQUEST_PATH_MAX = 256,
};

/* Whether s (a client's X-Request-Id) may be used as the request id: 1 to
 * TAPI_REQUEST_ID_MAX characters of A-Z a-z 0-9 and "-._:", so it can go into headers,
 * logs and URIs as it is. */
bool tapi_request_id_valid(const char *s);

/* Whether s is a W3C Trace Context traceparent of version 00: "00-" 32 hex digits (not all
 * zero) "-" 16 hex digits (not all zero) "-" 2 hex digits, lowercase. */
bool tapi_traceparent_valid(const char *s);

/* A fresh random request id (a UUID v4) into out. */
tapi_err tapi_request_id_new(char out[TAPI_REQUEST_ID_MAX + 1]);

/* Starts the thread's request: id (valid, copied) and its path (as received, copied up to
 * TAPI_REQUEST_PATH_MAX bytes, percent-encoding what a URI reference cannot hold). */
void tapi_request_context_begin(const char *id, const char *path, size_t path_len);
/* Ends it: nothing is named until the next begin. */
void tapi_request_context_end(void);

/* The current request's id and path (a URI reference); "" when none. Valid until the
 * thread's next begin or end. */
const char *tapi_request_context_id(void);
const char *tapi_request_context_path(void);

#endif
