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

/* Whether s[0..len) holds a code point tapi_utf8_is_spoofing refuses. */
static bool has_spoofing(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned cp;
        i += tapi_utf8_decode(s + i, len - i, &cp);
        if (tapi_utf8_is_spoofing(cp)) return true;
    }
    return false;
}

/* A title is trimmed of ASCII whitespace at both ends, then put in NFC, then counted and
 * checked, so that titles that look alike are stored alike. */
static tapi_err take_title(const cJSON *item, tapi_task_patch *out, tapi_problem *problem)
{
    const char *s = item->valuestring;
    size_t len = strlen(s);
    while (len > 0 && is_trim_space((unsigned char)s[len - 1])) len--;
    while (len > 0 && is_trim_space((unsigned char)*s)) {
        s++;
        len--;
    }
    char *nfc;
    tapi_err err = tapi_utf8_nfc(s, len, &nfc, &len);
    if (err != TAPI_OK) return err == TAPI_EINVAL ? TAPI_ENOMEM : err; /* valid UTF-8 already */
    size_t chars = tapi_utf8_count(nfc, len);
    if (chars == 0) {
        tapi_problem_set(problem, 400, "invalid_field", "Field 'title' must not be empty.");
    } else if (chars > TAPI_TITLE_MAX_CHARS) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'title' must be at most %d characters long (got %zu).",
                         TAPI_TITLE_MAX_CHARS, chars);
    } else if (has_forbidden_control(nfc, len, false)) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'title' must not contain control characters.");
    } else if (has_spoofing(nfc, len)) {
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field 'title' must not contain bidirectional formatting controls "
                         "(U+202A-U+202E, U+2066-U+2069) or noncharacters.");
    } else {
        out->title = nfc;
        return TAPI_OK;
    }
    free(nfc);
    return TAPI_EINVAL;
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

static const char *const READ_ONLY[] = {"id", "createdAt", "updatedAt", "version", "etag", NULL};

static bool is_read_only(const char *name)
{
    for (const char *const *n = READ_ONLY; *n; n++)
        if (strcmp(name, *n) == 0) return true;
    return false;
}

/* Copies a string field of at most cap - 1 bytes; false when it is not one. */
static bool copy_string(const cJSON *item, char *out, size_t cap)
{
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= cap) return false;
    strcpy(out, item->valuestring);
    return true;
}

/* A read-only field sent back in a PATCH: kept, to be compared with the task. One that
 * cannot be the task's value (wrong type or size) is refused now. */
static tapi_err take_read_only(const cJSON *item, tapi_body_kind kind, tapi_read_only *ro,
                               tapi_problem *problem)
{
    const char *name = item->string;
    bool ok = kind == TAPI_BODY_PATCH;
    if (ok && strcmp(name, "id") == 0) ok = ro->has_id = copy_string(item, ro->id, sizeof ro->id);
    else if (ok && strcmp(name, "createdAt") == 0)
        ok = ro->has_created_at = copy_string(item, ro->created_at, sizeof ro->created_at);
    else if (ok && strcmp(name, "updatedAt") == 0)
        ok = ro->has_updated_at = copy_string(item, ro->updated_at, sizeof ro->updated_at);
    else if (ok && strcmp(name, "etag") == 0)
        ok = ro->has_etag = copy_string(item, ro->etag, sizeof ro->etag);
    else if (ok) {
        double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
        ok = ro->has_version = v >= 0 && v <= 9007199254740991.0 && v == (double)(uint64_t)v;
        ro->version = ok ? (uint64_t)v : 0;
    }
    if (ok) return TAPI_OK;
    tapi_problem_set(problem, 400, "read_only_field",
                     kind == TAPI_BODY_PATCH
                         ? "Field '%s' is read-only; send it unchanged or leave it out."
                         : "Field '%s' is read-only; the server sets it.",
                     name);
    return TAPI_EINVAL;
}

/* null in a PATCH removes a field (RFC 7396): only the description can go (it becomes
 * empty); a task always has a title and a status. */
static tapi_err take_null(const char *name, tapi_body_kind kind, tapi_task_patch *out,
                          tapi_problem *problem)
{
    if (kind == TAPI_BODY_PATCH && name[0] == 'd') {
        out->description = strdup("");
        return out->description ? TAPI_OK : TAPI_ENOMEM;
    }
    if (kind == TAPI_BODY_PATCH)
        tapi_problem_set(problem, 400, "invalid_field",
                         "Field '%s' cannot be removed (null); every task has one.", name);
    else
        tapi_problem_set(problem, 400, "invalid_field", "Field '%s' must be a string.", name);
    return TAPI_EINVAL;
}

static tapi_err take_field(const cJSON *root, const cJSON *item, tapi_body_kind kind,
                           tapi_task_patch *out, tapi_problem *problem)
{
    const char *name = item->string;
    bool known = strcmp(name, "title") == 0 || strcmp(name, "description") == 0 ||
                 strcmp(name, "status") == 0;
    if (!known && !is_read_only(name)) {
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
    if (!known) return take_read_only(item, kind, &out->read_only, problem);
    if (cJSON_IsNull(item)) return take_null(name, kind, out, problem);
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
                             "status (or send a task's fields back).");
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

/* Adds one field's failure (one, as its take_ function described it) to problem: the
 * first failure is also the problem's code and sentence; every one is in its list, at
 * the field's JSON Pointer (RFC 6901: "~" is "~0", "/" is "~1"). */
static void add_field_error(tapi_problem *problem, const char *name, const tapi_problem *one)
{
    if (problem->error_count == 0) {
        problem->status = one->status;
        problem->code = one->code;
        memcpy(problem->message, one->message, sizeof problem->message);
    }
    if (problem->error_count < TAPI_PROBLEM_ERRORS_MAX) {
        tapi_field_error *e = &problem->errors[problem->error_count];
        size_t o = 0, n = tapi_utf8_prefix(name, strlen(name), FIELD_NAME_SHOWN);
        e->pointer[o++] = '/';
        for (size_t i = 0; i < n && o + 3 < sizeof e->pointer; i++) {
            if (name[i] == '~' || name[i] == '/') {
                e->pointer[o++] = '~';
                e->pointer[o++] = name[i] == '~' ? '0' : '1';
            } else {
                e->pointer[o++] = name[i];
            }
        }
        e->pointer[o] = '\0';
        e->pointer[tapi_utf8_prefix(e->pointer, o, o)] = '\0'; /* never a cut character */
        e->code = one->code;
        snprintf(e->detail, sizeof e->detail, "%s", one->message);
        e->detail[tapi_utf8_prefix(e->detail, strlen(e->detail), sizeof e->detail - 1)] = '\0';
    }
    problem->error_count++;
}

tapi_err tapi_task_body_parse(const char *body, size_t len, tapi_body_kind kind,
                              tapi_task_patch *out, tapi_problem *problem)
{
    memset(out, 0, sizeof *out);
    problem->error_count = 0;
    tapi_err rc = check_syntax(body, len, problem);
    if (rc != TAPI_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) return TAPI_ENOMEM; /* syntax is already known good */
    if (!cJSON_IsObject(root)) {
        tapi_problem_set(problem, 400, "invalid_body", "Request body must be a JSON object.");
        rc = TAPI_EINVAL;
    }
    /* every field is checked, so the client learns of all its mistakes at once */
    for (const cJSON *item = root->child; rc == TAPI_OK && item; item = item->next) {
        tapi_problem one;
        tapi_err field_rc = take_field(root, item, kind, out, &one);
        if (field_rc == TAPI_EINVAL)
            add_field_error(problem, item->string, &one);
        else
            rc = field_rc;
    }
    if (rc == TAPI_OK) {
        tapi_problem one;
        tapi_err defaults = fill_defaults(kind, root, out, &one);
        if (defaults == TAPI_EINVAL && strcmp(one.code, "missing_field") == 0) {
            /* a title sent but refused is already listed; only an absent one is missing */
            if (!cJSON_GetObjectItemCaseSensitive(root, "title")) add_field_error(problem, "title", &one);
        } else if (defaults == TAPI_EINVAL) {
            *problem = one; /* an empty PATCH: nothing else can have failed */
        }
        rc = defaults == TAPI_ENOMEM ? TAPI_ENOMEM
             : defaults == TAPI_EINVAL || problem->error_count > 0 ? TAPI_EINVAL
                                                                  : TAPI_OK;
    }
    cJSON_Delete(root);
    if (rc != TAPI_OK) tapi_task_patch_clear(out);
    return rc;
}

void tapi_etag_format(uint64_t version, char out[TAPI_ETAG_MAX])
{
    static const char tail[] = "." TAPI_REPRESENTATION_GENERATION "\"";
    _Static_assert(1 + 20 + sizeof tail <= TAPI_ETAG_MAX, "TAPI_ETAG_MAX holds any version");
    out[0] = '"';
    size_t n = 1 + tapi_u64_decimal((unsigned long long)version, out + 1);
    memcpy(out + n, tail, sizeof tail); /* with its NUL */
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
    tapi_buf_puts(b, "\",\"version\":");
    tapi_buf_put_u64(b, (unsigned long long)task->version);
    char etag[TAPI_ETAG_MAX];
    tapi_etag_format(task->version, etag);
    tapi_buf_puts(b, ",\"etag\":");
    tapi_buf_json_string(b, etag, strlen(etag));
    tapi_buf_append(b, "}", 1);
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
