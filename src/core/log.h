/* Structured logging: one JSON object per line. The level threshold and the output
 * stream are process configuration, set once at start-up before any thread runs. Never
 * pass request bodies or credentials to these functions. */
#ifndef TAPI_LOG_H
#define TAPI_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "json_writer.h"

typedef enum tapi_log_level {
    TAPI_LOG_DEBUG = 0,
    TAPI_LOG_INFO,
    TAPI_LOG_WARN,
    TAPI_LOG_ERROR,
} tapi_log_level;

/* Sets the threshold and stream (NULL keeps stderr). */
void tapi_log_configure(tapi_log_level level, FILE *stream);
/* Names the member in which a line written during a request carries its id (the thread's
 * request context): "requestId" unless set (the Lambda door says "apiRequestId", its
 * requestId being Lambda's). Static string; set once at start-up. */
void tapi_log_configure_request_id_name(const char *name);
/* Parses "debug", "info", "warn"/"warning", "error" (case-insensitive). */
bool tapi_log_level_parse(const char *s, tapi_log_level *out);
bool tapi_log_enabled(tapi_log_level level);
/* Writes {"time","level","msg"} where msg is the formatted text, JSON-escaped. */
__attribute__((format(printf, 2, 3))) void tapi_log(tapi_log_level level, const char *fmt, ...);
/* Writes a pre-built JSON object line (already contains level and fields) atomically. */
void tapi_log_raw_line(const char *json, size_t len);

/* A string field of a request line, e.g. {"requestId", "..."}. */
typedef struct tapi_log_field {
    const char *name;
    const char *value;
} tapi_log_field;

/* The one line per request (local server) or invocation (Lambda), at info level:
 * {"time","level","msg",<fields...>,"method","path","status","durationMs"[,"aborted"]}.
 * The path is cut to 256 bytes at a character boundary. Never pass bodies here. */
void tapi_log_request(const char *msg, const tapi_log_field *fields, size_t nfields,
                      const char *method, const char *path, size_t path_len, int status,
                      double duration_ms, bool aborted);

/* The same request line written into b (initialised by the caller) as an open object,
 * without its closing brace, for a caller that adds members before writing it with
 * tapi_log_raw_line (the Lambda door puts its EMF metrics there: one line per
 * invocation). */
void tapi_log_request_open(tapi_buf *b, const char *msg, const tapi_log_field *fields,
                           size_t nfields, const char *method, const char *path,
                           size_t path_len, int status, double duration_ms, bool aborted);

#endif
