/* Problem details (RFC 9457): the titles of the API's problem types and the JSON. */
#include "problem.h"

#include <string.h>

#include "request_context.h"

static const struct {
    const char *code, *title;
} TITLES[] = {
    {"invalid_json", "Request body is not valid JSON"},
    {"invalid_utf8", "Request is not valid UTF-8"},
    {"invalid_body", "Request body is not a valid task"},
    {"invalid_field", "A field has an invalid value"},
    {"unknown_field", "Unknown field"},
    {"read_only_field", "Read-only field"},
    {"missing_field", "Missing field"},
    {"invalid_query", "Invalid query parameter"},
    {"invalid_page_token", "Invalid page token"},
    {"invalid_header", "Invalid header"},
    {"invalid_idempotency_key", "Invalid Idempotency-Key"},
    {"idempotency_key_reused", "Idempotency-Key reused"},
    {"invalid_request", "Malformed credentials"},
    {"unauthorized", "Authentication required"},
    {"forbidden", "Forbidden"},
    {"not_found", "Not found"},
    {"method_not_allowed", "Method not allowed"},
    {"precondition_failed", "Precondition failed"},
    {"payload_too_large", "Request body too large"},
    {"unsupported_media_type", "Unsupported media type"},
    {"request_header_fields_too_large", "Request headers too large"},
    {"too_many_requests", "Too many requests"},
    {"quota_exceeded", "Quota exceeded"},
    {"bad_request", "Bad request"},
    {"service_unavailable", "Service unavailable"},
    {"bad_gateway", "Bad gateway"},
    {"gateway_timeout", "Gateway timeout"},
};

const char *tapi_problem_title(const char *code)
{
    for (size_t i = 0; i < sizeof TITLES / sizeof TITLES[0]; i++)
        if (strcmp(TITLES[i].code, code) == 0) return TITLES[i].title;
    return "Error";
}

static void put_member(tapi_buf *b, const char *name, const char *value)
{
    tapi_buf_append(b, ",\"", 2);
    tapi_buf_puts(b, name);
    tapi_buf_puts(b, "\":");
    tapi_buf_json_string(b, value, strlen(value));
}

void tapi_problem_json_write(tapi_buf *b, const tapi_problem *p)
{
    char status[16];
    snprintf(status, sizeof status, "%d", p->status);
    tapi_buf_puts(b, "{\"type\":\"" TAPI_PROBLEM_TYPE_PREFIX);
    tapi_buf_puts(b, p->code); /* a static snake_case code: nothing to escape */
    tapi_buf_append(b, "\"", 1);
    put_member(b, "title", tapi_problem_title(p->code));
    tapi_buf_puts(b, ",\"status\":");
    tapi_buf_puts(b, status);
    put_member(b, "detail", p->message);
    const char *path = tapi_request_context_path(), *id = tapi_request_context_id();
    if (*path) put_member(b, "instance", path);
    put_member(b, "code", p->code);
    if (*id) put_member(b, "requestId", id);
    if (p->error_count) {
        tapi_buf_puts(b, ",\"errors\":[");
        size_t n = p->error_count < TAPI_PROBLEM_ERRORS_MAX ? p->error_count : TAPI_PROBLEM_ERRORS_MAX;
        for (size_t i = 0; i < n; i++) {
            const tapi_field_error *e = &p->errors[i];
            tapi_buf_puts(b, i ? ",{\"pointer\":" : "{\"pointer\":");
            tapi_buf_json_string(b, e->pointer, strlen(e->pointer));
            put_member(b, "code", e->code);
            put_member(b, "detail", e->detail);
            tapi_buf_append(b, "}", 1);
        }
        tapi_buf_append(b, "]", 1);
    }
    tapi_buf_puts(b, ",\"error\":{\"code\":\"");
    tapi_buf_puts(b, p->code);
    tapi_buf_puts(b, "\",\"message\":");
    tapi_buf_json_string(b, p->message, strlen(p->message));
    tapi_buf_puts(b, "}}");
}
