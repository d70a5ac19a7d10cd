/* A client error as the API reports it: RFC 9457 problem details. Validation code fills a
 * tapi_problem in (status, a stable snake_case code, a sentence, and for a body every
 * field that failed); tapi_problem_json_write renders it with the request's id and path
 * (core/request_context.h). */
#ifndef TAPI_PROBLEM_H
#define TAPI_PROBLEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "json_writer.h"

/* The media type of every error body (RFC 9457). */
#define TAPI_PROBLEM_CONTENT_TYPE "application/problem+json"
/* The problem type URIs are this prefix and the code: stable identifiers (RFC 4151 tag
 * URIs, which RFC 9457 suggests for types not meant to be dereferenced), documented in
 * docs/errors.md. */
#define TAPI_PROBLEM_TYPE_PREFIX "tag:tasks-api,2026:problem/"

enum { TAPI_PROBLEM_ERRORS_MAX = 8 };

/* One failure within a request body: where (a JSON Pointer, RFC 6901), what, why. */
typedef struct tapi_field_error {
    char pointer[64];
    const char *code; /* static */
    char detail[240];
} tapi_field_error;

typedef struct tapi_problem {
    int status;       /* 4xx or 5xx */
    const char *code; /* static string */
    char message[240];
    size_t error_count; /* body failures, at most TAPI_PROBLEM_ERRORS_MAX listed */
    tapi_field_error errors[TAPI_PROBLEM_ERRORS_MAX];
} tapi_problem;

/* Sets the problem's status, code and sentence (no field list). */
__attribute__((format(printf, 4, 5))) static inline void
tapi_problem_set(tapi_problem *p, int status, const char *code, const char *fmt, ...)
{
    p->status = status;
    p->code = code;
    p->error_count = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

/* A short summary of the problem type of code, the same for every occurrence (its
 * "title"); "Error" for a code the API does not define. Static. */
const char *tapi_problem_title(const char *code);

/* Appends p as a problem details object: type, title, status, detail, instance (the
 * request's path), code, requestId, errors (when any) and, for clients written against the
 * earlier error shape, error {code, message}. */
void tapi_problem_json_write(tapi_buf *b, const tapi_problem *p);

#endif
