/* Body parsing runs in three strict passes — UTF-8, JSON syntax (json_check.c), then
 * the tree (cJSON) checked field by field — so every rejection has a precise message. */
#include "task_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "limits.h"
#include "utf8.h"

enum { FIELD_NAME_SHOWN = 40 }; /* bytes of an unknown field's name echoed back */

static bool is_trim_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Control characters (C0, DEL, C1) never belong in a title; a description may hold
 * tabs and line breaks. */
static bool has_forbidden_control(const char *s, size_t len, bool allow_whitespace)
{
    for (size_t i = 0; i < len;) {
        unsigned cp;
        i += tapi_utf8_decode(s + i, len - i, &cp);
        bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
        if (control && !(allow_whitespace && (cp == '\t' || cp == '\n' || cp == '\r')))
            return true;
    }
    return false;
}

static tapi_err take_title(const cJSON *item, tapi_task_patch *out, tapi_problem *problem)
{
    const char *s = item->valuestring;
    size_t len = strlen(s);
    while (len > 0 && is_trim_space((unsigned char)s[len - 1])) len--;
    while (len > 0 && is_trim_space((unsigned char)*s)) {
        s++;
        len--;
    }
    size_t chars = tapi_utf8_count(s, len);
    if (chars == 0) {
        tapi_problem_set(problem, 400, "invalid_field", "Field 'title' must not be empty.");
        return TAPI_EINVAL;
    }
    if (chars > TAPI_TITLE_MAX_CHARS) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'title' must be at most %d characters long (got %zu).",
                         TAPI_TITLE_MAX_CHARS, chars);
        return TAPI_EINVAL;
    }
    if (has_forbidden_control(s, len, false)) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'title' must not contain control characters.");
        return TAPI_EINVAL;
    }
    out->title = strndup(s, len);
    return out->title ? TAPI_OK : TAPI_ENOMEM;
}

static tapi_err take_description(const cJSON *item, tapi_task_patch *out,
                                 tapi_problem *problem)
{
    const char *s = item->valuestring;
    size_t len = strlen(s);
    size_t chars = tapi_utf8_count(s, len);
    if (chars > TAPI_DESCRIPTION_MAX_CHARS) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'description' must be at most %d characters long (got %zu).",
                         TAPI_DESCRIPTION_MAX_CHARS, chars);
        return TAPI_EINVAL;
    }
    if (has_forbidden_control(s, len, true)) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'description' must not contain control characters other "
                         "than tab and line breaks.");
        return TAPI_EINVAL;
    }
    out->description = strndup(s, len);
    return out->description ? TAPI_OK : TAPI_ENOMEM;
}

static tapi_err take_status(const cJSON *item, tapi_task_patch *out, tapi_problem *problem)
{
    const char *s = item->valuestring;
    if (!tapi_status_parse(s, strlen(s), &out->status)) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'status' must be one of 'todo', 'in_progress', 'done'.");
        return TAPI_EINVAL;
    }
    out->has_status = true;
    return TAPI_OK;
}

static bool seen_before(const cJSON *root, const cJSON *item)
{
    for (const cJSON *p = root->child; p != item; p = p->next)
        if (strcmp(p->string, item->string) == 0) return true;
    return false;
}

static tapi_err take_field(const cJSON *root, const cJSON *item, tapi_task_patch *out,
                           tapi_problem *problem)
{
    const char *name = item->string;
    bool known = strcmp(name, "title") == 0 || strcmp(name, "description") == 0 ||
                 strcmp(name, "status") == 0;
    if (!known) {
        tapi_problem_set(problem, 400, "unknown_field",
                         "Unknown field '%.*s'; allowed fields are title, description "
                         "and status.",
                         (int)tapi_utf8_prefix(name, strlen(name), FIELD_NAME_SHOWN), name);
        return TAPI_EINVAL;
    }
    if (seen_before(root, item)) {
        tapi_problem_set(problem, 400, "invalid_json", "Field '%s' appears more than once.",
                         name);
        return TAPI_EINVAL;
    }
    if (!cJSON_IsString(item)) {
        tapi_problem_set(problem, 400, "invalid_field", "Field '%s' must be a string.", name);
        return TAPI_EINVAL;
    }
    if (name[0] == 't') return take_title(item, out, problem);
    if (name[0] == 'd') return take_description(item, out, problem);
    return take_status(item, out, problem);
}

static tapi_err check_syntax(const char *body, size_t len, tapi_problem *problem)
{
    if (len == 0) {
        tapi_problem_set(problem, 400, "invalid_json",
                         "Request body is empty; a JSON object is required.");
        return TAPI_EINVAL;
    }
    size_t bad;
    if (!tapi_utf8_valid(body, len, &bad)) {
        tapi_problem_set(problem, 400, "invalid_utf8",
                         "Request body is not valid UTF-8 (first bad byte at offset %zu).",
                         bad);
        return TAPI_EINVAL;
    }
    tapi_json_error jerr;
    if (tapi_json_check(body, len, TAPI_JSON_MAX_DEPTH, &jerr) != TAPI_OK) {
        tapi_problem_set(problem, 400, "invalid_json",
                         "Request body is not valid JSON: %s at line %zu, column %zu.",
                         jerr.what, jerr.line, jerr.column);
        return TAPI_EINVAL;
    }
    return TAPI_OK;
}

static tapi_err fill_defaults(tapi_body_kind kind, const cJSON *root, tapi_task_patch *out,
                              tapi_problem *problem)
{
    if (kind == TAPI_BODY_PATCH) {
        if (!root->child) {
            tapi_problem_set(problem, 400, "invalid_body",
                             "PATCH body must set at least one of title, description, "
                             "status.");
            return TAPI_EINVAL;
        }
        return TAPI_OK;
    }
    if (!out->title) {
        tapi_problem_set(problem, 400, "missing_field", "Field 'title' is required.");
        return TAPI_EINVAL;
    }
    if (!out->description && !(out->description = strdup(""))) return TAPI_ENOMEM;
    if (!out->has_status) {
        out->has_status = true;
        out->status = TAPI_STATUS_TODO;
    }
    return TAPI_OK;
}

tapi_err tapi_task_body_parse(const char *body, size_t len, tapi_body_kind kind,
                              tapi_task_patch *out, tapi_problem *problem)
{
    memset(out, 0, sizeof *out);
    tapi_err rc = check_syntax(body, len, problem);
    if (rc != TAPI_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) return TAPI_ENOMEM; /* syntax is already known good */
    if (!cJSON_IsObject(root)) {
        tapi_problem_set(problem, 400, "invalid_body", "Request body must be a JSON object.");
        rc = TAPI_EINVAL;
    }
    for (const cJSON *item = root->child; rc == TAPI_OK && item; item = item->next)
        rc = take_field(root, item, out, problem);
    if (rc == TAPI_OK) rc = fill_defaults(kind, root, out, problem);
    cJSON_Delete(root);
    if (rc != TAPI_OK) tapi_task_patch_clear(out);
    return rc;
}

void tapi_task_json_write(tapi_buf *b, const tapi_task *task)
{
    tapi_buf_puts(b, "{\"id\":\"");
    tapi_buf_puts(b, task->id);
    tapi_buf_puts(b, "\",\"title\":");
    tapi_buf_json_string(b, task->title, strlen(task->title));
    tapi_buf_puts(b, ",\"description\":");
    tapi_buf_json_string(b, task->description, strlen(task->description));
    tapi_buf_puts(b, ",\"status\":\"");
    tapi_buf_puts(b, tapi_status_name(task->status));
    tapi_buf_puts(b, "\",\"createdAt\":\"");
    tapi_buf_puts(b, task->created_at);
    tapi_buf_puts(b, "\",\"updatedAt\":\"");
    tapi_buf_puts(b, task->updated_at);
    char version[48];
    snprintf(version, sizeof version, "\",\"version\":%llu}", (unsigned long long)task->version);
    tapi_buf_puts(b, version);
}

void tapi_page_json_write(tapi_buf *b, const tapi_task_page *page, const char *next_token)
{
    tapi_buf_puts(b, "{\"items\":[");
    for (size_t i = 0; i < page->count; i++) {
        if (i) tapi_buf_append(b, ",", 1);
        tapi_task_json_write(b, &page->items[i]);
    }
    tapi_buf_puts(b, "],\"nextToken\":");
    if (next_token) {
        tapi_buf_append(b, "\"", 1);
        tapi_buf_puts(b, next_token);
        tapi_buf_append(b, "\"", 1);
    } else {
        tapi_buf_puts(b, "null");
    }
    tapi_buf_append(b, "}", 1);
}
