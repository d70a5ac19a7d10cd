/* JSON-lines logger. Each line goes out in one writev(2) — text and newline together —
 * so lines from concurrent threads never interleave, and a request costs one syscall.
 * A line written while a door serves a request names it (requestId). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <string.h>
#include <strings.h>

#include "json_writer.h"
#include "request_context.h"
#include "timestamp.h"
#include "utf8.h"

/* Process configuration, written once before threads start. */
static tapi_log_level threshold = TAPI_LOG_INFO;
static FILE *out_stream;
static const char *request_id_name = "requestId";

void tapi_log_configure(tapi_log_level level, FILE *stream)
{
    threshold = level;
    out_stream = stream;
}

void tapi_log_configure_request_id_name(const char *name) { request_id_name = name; }

bool tapi_log_level_parse(const char *s, tapi_log_level *out)
{
    static const struct {
        const char *name;
        tapi_log_level level;
    } names[] = {{"debug", TAPI_LOG_DEBUG}, {"info", TAPI_LOG_INFO},   {"warn", TAPI_LOG_WARN},
                 {"warning", TAPI_LOG_WARN}, {"error", TAPI_LOG_ERROR}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return true;
        }
    }
    return false;
}

bool tapi_log_enabled(tapi_log_level level) { return level >= threshold; }

void tapi_log_raw_line(const char *json, size_t len)
{
    FILE *f = out_stream ? out_stream : stderr;
    /* anything stdio still holds goes first; stderr holds nothing (it is unbuffered),
     * and flushing it would take its lock on every line, which the server's threads
     * then contend for */
    if (f != stderr) fflush(f);
    struct iovec iov[2] = {{.iov_base = (void *)json, .iov_len = len},
                           {.iov_base = (void *)"\n", .iov_len = 1}};
    ssize_t n;
    do {
        n = writev(fileno(f), iov, 2);
    } while (n < 0 && errno == EINTR);
}

void tapi_log(tapi_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (!tapi_log_enabled(level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    size_t bad;
    if (!tapi_utf8_valid(msg, len, &bad)) len = bad; /* never emit invalid JSON */
    char now[25];
    tapi_timestamp_now(now);
    char line[1400];
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_buf_puts(&b, "{\"time\":\"");
    tapi_buf_puts(&b, now);
    tapi_buf_puts(&b, "\",\"level\":\"");
    tapi_buf_puts(&b, names[level]);
    tapi_buf_puts(&b, "\",\"msg\":");
    tapi_buf_json_string(&b, msg, len);
    const char *request_id = tapi_request_context_id();
    if (*request_id) { /* valid ids need no escaping */
        tapi_buf_puts(&b, ",\"");
        tapi_buf_puts(&b, request_id_name);
        tapi_buf_puts(&b, "\":\"");
        tapi_buf_puts(&b, request_id);
        tapi_buf_append(&b, "\"", 1);
    }
    tapi_buf_puts(&b, "}");
    if (!b.failed) {
        tapi_log_raw_line(b.data, b.len);
    } else {
        int n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"(log allocation failed)\"}",
                         names[level]);
        tapi_log_raw_line(line, (size_t)n);
    }
    tapi_buf_free(&b);
}

void tapi_log_request_open(tapi_buf *b, const char *msg, const tapi_log_field *fields,
                           size_t nfields, const char *method, const char *path,
                           size_t path_len, int status, double duration_ms, bool aborted)
{
    char now[25];
    tapi_timestamp_now(now);
    size_t bad;
    if (path_len > 256) path_len = 256;
    if (!tapi_utf8_valid(path, path_len, &bad)) path_len = bad;
    tapi_buf_puts(b, "{\"time\":\"");
    tapi_buf_puts(b, now);
    tapi_buf_puts(b, "\",\"level\":\"info\",\"msg\":");
    tapi_buf_json_string(b, msg, strlen(msg));
    for (size_t i = 0; i < nfields; i++) {
        tapi_buf_append(b, ",", 1);
        tapi_buf_json_string(b, fields[i].name, strlen(fields[i].name));
        tapi_buf_append(b, ":", 1);
        tapi_buf_json_string(b, fields[i].value, strlen(fields[i].value));
    }
    tapi_buf_puts(b, ",\"method\":");
    tapi_buf_json_string(b, method, strlen(method));
    tapi_buf_puts(b, ",\"path\":");
    tapi_buf_json_string(b, path, path_len);
    tapi_buf_puts(b, ",\"status\":");
    tapi_buf_put_u64(b, status > 0 ? (unsigned long long)status : 0);
    tapi_buf_puts(b, ",\"durationMs\":");
    tapi_buf_put_fixed3(b, duration_ms);
    if (aborted) tapi_buf_puts(b, ",\"aborted\":true");
}

void tapi_log_request(const char *msg, const tapi_log_field *fields, size_t nfields,
                      const char *method, const char *path, size_t path_len, int status,
                      double duration_ms, bool aborted)
{
    if (!tapi_log_enabled(TAPI_LOG_INFO)) return;
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_log_request_open(&b, msg, fields, nfields, method, path, path_len, status, duration_ms,
                          aborted);
    tapi_buf_append(&b, "}", 1);
    if (!b.failed) tapi_log_raw_line(b.data, b.len);
    tapi_buf_free(&b);
}
