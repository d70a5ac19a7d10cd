/* A client error as the API reports it: HTTP status, a stable snake_case code and a
 * human sentence. Validation code fills one in; the router turns it into the
 * {"error":{"code","message"}} body. */
#ifndef TAPI_PROBLEM_H
#define TAPI_PROBLEM_H

#include <stdarg.h>
#include <stdio.h>

typedef struct tapi_problem {
    int status;       /* 4xx */
    const char *code; /* static string */
    char message[240];
} tapi_problem;

__attribute__((format(printf, 4, 5))) static inline void
tapi_problem_set(tapi_problem *p, int status, const char *code, const char *fmt, ...)
{
    p->status = status;
    p->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

#endif
