/* Routing, query validation and the single mapping from tapi_err to HTTP status. */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/json_writer.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/problem.h"
#include "../core/task_json.h"
#include "../core/timestamp.h"
#include "../core/uri.h"
#include "../core/utf8.h"
#include "../core/uuid.h"
#include "conditional.h"
#include "idempotency.h"

enum {
    CREATE_ATTEMPTS = 3, /* a v4 UUID collision twice in a row is not going to happen */
    NAME_SHOWN = 40,     /* bytes of a client's parameter name echoed in an error */
};

/* The 503 when even its body cannot be made (out of memory): a problem without the
 * request's id and path. */
static const char OOM_BODY[] =
    "{\"type\":\"" TAPI_PROBLEM_TYPE_PREFIX "service_unavailable\",\"title\":\"Service "
    "unavailable\",\"status\":503,\"detail\":\"The service is temporarily unable to handle "
    "the request; retry later.\",\"code\":\"service_unavailable\",\"error\":{\"code\":"
    "\"service_unavailable\",\"message\":\"The service is temporarily unable to handle the "
    "request; retry later.\"}}";

static const char ALLOW_COLLECTION[] = "GET, HEAD, POST";
static const char ALLOW_ITEM[] = "GET, HEAD, PATCH, DELETE";

void tapi_response_clear(tapi_response *resp)
{
    if (!resp->body_static) free(resp->body);
    memset(resp, 0, sizeof *resp);
}

static void set_oom(tapi_response *resp)
{
    if (!resp->body_static) free(resp->body);
    resp->status = 503;
    resp->body = (char *)OOM_BODY;
    resp->body_len = sizeof OOM_BODY - 1;
    resp->body_static = true;
    resp->problem = true;
    resp->retry_after = 1;
}

/* Moves a finished buffer into the response, or degrades to a static 503. */
static void set_body(tapi_response *resp, int status, tapi_buf *b)
{
    resp->status = status;
    if (tapi_buf_take(b, &resp->body, &resp->body_len) != TAPI_OK) set_oom(resp);
}

static void respond_problem(tapi_response *resp, const tapi_problem *p)
{
    if (!resp->body_static) free(resp->body);
    resp->body = NULL;
    resp->body_static = false;
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_problem_json_write(&b, p);
    set_body(resp, p->status, &b);
    resp->problem = true;
}

void tapi_response_error(tapi_response *resp, int status, const char *code, const char *message)
{
    tapi_problem p;
    tapi_problem_set(&p, status, code, "%s", message);
    respond_problem(resp, &p);
}

static void set_unavailable(tapi_response *resp)
{
    tapi_response_error(resp, 503, "service_unavailable",
                        "The service is temporarily unable to handle the request; retry later.");
    resp->retry_after = 1;
}

void tapi_response_unavailable(tapi_response *resp)
{
    set_unavailable(resp);
}

void tapi_response_unauthorized(tapi_response *resp, bool token_sent, const char *message)
{
    tapi_response_error(resp, 401, "unauthorized", message);
    resp->www_authenticate = token_sent ? "Bearer error=\"invalid_token\"" : "Bearer";
}

void tapi_response_invalid_auth_request(tapi_response *resp, const char *message)
{
    tapi_response_error(resp, 400, "invalid_request", message);
    resp->www_authenticate = "Bearer error=\"invalid_request\"";
}

/* The owner key whose tasks this request may see. */
static const char *owner_of(const tapi_request *req)
{
    return req->owner ? req->owner : TAPI_OWNER_SHARED;
}

static void respond_not_found(tapi_response *resp, bool task)
{
    tapi_response_error(resp, 404, "not_found",
                        task ? "Task not found." : "The requested resource does not exist.");
}

/* The one place a store/core error becomes an HTTP status. Details were logged where
 * they happened; the client gets a generic sentence. */
static void respond_error(tapi_response *resp, tapi_err err)
{
    switch (err) {
    case TAPI_ENOTFOUND: respond_not_found(resp, true); return;
    case TAPI_EKEYREUSED:
        tapi_response_error(resp, 422, "idempotency_key_reused",
                            "This Idempotency-Key was used for a different request; use a new "
                            "key for a new request.");
        return;
    case TAPI_EPRECONDITION:
        tapi_response_error(resp, 412, "precondition_failed",
                            "The task's current version (its ETag) does not meet the "
                            "request's If-Match or If-None-Match; GET it again, then retry "
                            "with its current ETag.");
        return;
    case TAPI_OK:
    case TAPI_EINVAL:
    case TAPI_ECONFLICT:
    case TAPI_ENOMEM:
    case TAPI_EUNAVAILABLE:
    case TAPI_ECONFIG: break;
    }
    tapi_log(TAPI_LOG_WARN, "request failed: %s", tapi_strerror(err));
    set_unavailable(resp);
}

static void respond_task(tapi_response *resp, int status, const tapi_task *task)
{
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_task_json_write(&b, task);
    set_body(resp, status, &b);
    if (resp->status == status) tapi_etag_format(task->version, resp->etag);
}

/* Parses a conditional header, or answers 400 for a malformed one. *set is NULL when the
 * header is absent. */
static bool parse_condition(const char *name, const char *value, bool weak,
                            tapi_version_set *storage, const tapi_version_set **set,
                            tapi_response *resp)
{
    *set = NULL;
    if (!value) return true;
    if (tapi_condition_parse(value, weak, storage) != TAPI_OK) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%s must be * or a list of at most %d entity tags such as \"3\" (at most %d "
                 "bytes).",
                 name, TAPI_VERSION_SET_MAX, TAPI_CONDITION_MAX_BYTES);
        tapi_response_error(resp, 400, "invalid_header", msg);
        return false;
    }
    *set = storage;
    return true;
}

/* The request's If-Match (strong comparison) and If-None-Match (weak), or a 400. */
typedef struct conditions {
    tapi_version_set match_storage, none_storage;
    tapi_condition cond;
} conditions;

static bool parse_conditions(const tapi_request *req, conditions *c, tapi_response *resp)
{
    return parse_condition("If-Match", req->if_match, false, &c->match_storage, &c->cond.match,
                           resp) &&
           parse_condition("If-None-Match", req->if_none_match, true, &c->none_storage,
                           &c->cond.none_match, resp);
}

/* 412 with the task's current ETag, so the client sees which version it missed. */
static void respond_precondition_failed(tapi_response *resp, uint64_t version)
{
    respond_error(resp, TAPI_EPRECONDITION);
    tapi_etag_format(version, resp->etag);
}

/* The patch formats PATCH accepts (RFC 5789's Accept-Patch): a JSON body is read as an
 * RFC 7396 merge patch under either name. */
static const char ACCEPT_PATCH[] = "application/merge-patch+json, application/json";

static bool type_is(const char *ct, size_t len, const char *type)
{
    return len == strlen(type) && strncasecmp(ct, type, len) == 0;
}

/* Accepts application/json (any case, optional parameters) and, for a create, the +json
 * suffix types; a PATCH takes only the formats of ACCEPT_PATCH (JSON Patch and other
 * formats mean something else). A charset parameter, if present, must be UTF-8 because
 * that is all we decode. */
static bool is_json_content_type(const char *ct, bool patch)
{
    while (*ct == ' ' || *ct == '\t') ct++;
    const char *semi = strchr(ct, ';');
    size_t type_len = semi ? (size_t)(semi - ct) : strlen(ct);
    while (type_len > 0 && (ct[type_len - 1] == ' ' || ct[type_len - 1] == '\t')) type_len--;
    bool json = type_is(ct, type_len, "application/json") ||
                (patch ? type_is(ct, type_len, "application/merge-patch+json")
                       : type_len > 17 && strncasecmp(ct, "application/", 12) == 0 &&
                             strncasecmp(ct + type_len - 5, "+json", 5) == 0 &&
                             !type_is(ct, type_len, "application/json-patch+json"));
    if (!json || !semi) return json;
    for (const char *p = semi; p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t') q++;
        if (strncasecmp(q, "charset=", 8) == 0) {
            q += 8;
            if (*q == '"') q++;
            if (strncasecmp(q, "utf-8", 5) != 0 || (q[5] && q[5] != ';' && q[5] != '"' &&
                                                    q[5] != ' ' && q[5] != '\t'))
                return false;
        }
    }
    return true;
}

static bool check_json_body(const tapi_request *req, bool patch, tapi_response *resp)
{
    if (req->content_type && !is_json_content_type(req->content_type, patch)) {
        tapi_response_error(resp, 415, "unsupported_media_type",
                            patch ? "Content-Type must be application/merge-patch+json or "
                                    "application/json (see Accept-Patch)."
                                  : "Content-Type must be application/json.");
        if (patch) resp->accept_patch = ACCEPT_PATCH;
        return false;
    }
    return true;
}

static bool param_is(const tapi_param *p, const char *name)
{
    size_t n = strlen(name);
    return p->name_len == n && memcmp(p->name, name, n) == 0;
}

typedef struct list_query {
    size_t limit;
    const tapi_param *token; /* NULL for the first page */
    unsigned status_mask;    /* TAPI_STATUS_BIT bits; 0 = every status */
} list_query;

/* status=todo or a comma list (status=todo,in_progress); every status listed is the same
 * list as no filter. */
static bool parse_status_filter(const tapi_param *p, unsigned *mask)
{
    *mask = 0;
    const char *s = p->value, *end = p->value + p->value_len;
    if (s == end) return false;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        tapi_status st;
        if (!tapi_status_parse(s, (size_t)(stop - s), &st)) return false;
        *mask |= TAPI_STATUS_BIT(st);
        if (!comma) break;
        s = comma + 1;
    }
    *mask = tapi_status_mask_normalize(*mask);
    return true;
}

static bool parse_limit(const tapi_param *p, size_t *out)
{
    if (p->value_len == 0 || p->value_len > 3 || p->value[0] == '0') return false;
    size_t v = 0;
    for (size_t i = 0; i < p->value_len; i++) {
        if (p->value[i] < '0' || p->value[i] > '9') return false;
        v = v * 10 + (size_t)(p->value[i] - '0');
    }
    if (v < 1 || v > TAPI_LIST_MAX_LIMIT) return false;
    *out = v;
    return true;
}

/* Validates the query string against the parameters a route accepts (names is a
 * NULL-terminated list); rejects unknown, repeated, or non-UTF-8 parameters. */
static bool check_query(const tapi_request *req, const char *const *names, tapi_problem *pb)
{
    if (req->query_count > TAPI_MAX_QUERY_PARAMS) {
        tapi_problem_set(pb, 400, "invalid_query", "Too many query parameters.");
        return false;
    }
    for (size_t i = 0; i < req->query_count; i++) {
        const tapi_param *p = &req->query[i];
        if (!tapi_utf8_valid(p->name, p->name_len, NULL) ||
            !tapi_utf8_valid(p->value, p->value_len, NULL)) {
            tapi_problem_set(pb, 400, "invalid_query", "Query parameters must be valid UTF-8.");
            return false;
        }
        bool known = false;
        for (const char *const *n = names; *n && !known; n++) known = param_is(p, *n);
        if (!known) {
            tapi_problem_set(pb, 400, "invalid_query", "Unknown query parameter '%.*s'.",
                             (int)tapi_utf8_prefix(p->name, p->name_len, NAME_SHOWN), p->name);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (req->query[j].name_len == p->name_len &&
                memcmp(req->query[j].name, p->name, p->name_len) == 0) {
                tapi_problem_set(pb, 400, "invalid_query",
                                 "Query parameter '%.*s' is given more than once.",
                                 (int)p->name_len, p->name); /* a known, short name */
                return false;
            }
        }
    }
    return true;
}

static bool parse_list_query(const tapi_request *req, list_query *q, tapi_problem *pb)
{
    static const char *const names[] = {"limit", "nextToken", "status", NULL};
    q->limit = TAPI_LIST_DEFAULT_LIMIT;
    q->token = NULL;
    q->status_mask = 0;
    if (!check_query(req, names, pb)) return false;
    for (size_t i = 0; i < req->query_count; i++) {
        const tapi_param *p = &req->query[i];
        if (param_is(p, "limit") && !parse_limit(p, &q->limit)) {
            tapi_problem_set(pb, 400, "invalid_query",
                             "Query parameter 'limit' must be an integer from 1 to %d.",
                             TAPI_LIST_MAX_LIMIT);
            return false;
        }
        if (param_is(p, "nextToken")) q->token = p;
        if (param_is(p, "status") && !parse_status_filter(p, &q->status_mask)) {
            tapi_problem_set(pb, 400, "invalid_query",
                             "Query parameter 'status' must be todo, in_progress or done, or "
                             "a comma-separated list of them.");
            return false;
        }
    }
    return true;
}

static void handle_list(const tapi_app *app, const tapi_request *req, tapi_response *resp)
{
    tapi_problem pb;
    list_query q;
    if (!parse_list_query(req, &q, &pb)) {
        respond_problem(resp, &pb);
        return;
    }
    tapi_cursor after;
    tapi_err err = TAPI_OK;
    if (q.token)
        err = q.token->value_len > TAPI_MAX_TOKEN_CHARS
                  ? TAPI_EINVAL
                  : tapi_page_token_decode(app->store->token_key, owner_of(req), q.status_mask,
                                           q.token->value, q.token->value_len, &after);
    if (err == TAPI_EUNAVAILABLE) {
        set_unavailable(resp);
        return;
    }
    if (err != TAPI_OK) {
        tapi_response_error(resp, 400, "invalid_page_token",
                            "Query parameter 'nextToken' is not a token this API issued for "
                            "this list (the same user and status filter).");
        return;
    }
    tapi_task_page page;
    err = app->store->ops->list(app->store, req->deadline_ms, owner_of(req), q.status_mask, q.token ? &after : NULL, q.limit, &page);
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    char token[TAPI_TOKEN_TEXT_MAX];
    if (page.has_more &&
        tapi_page_token_encode(app->store->token_key, owner_of(req), q.status_mask, &page.next,
                               token) != TAPI_OK) {
        tapi_task_page_clear(&page);
        set_unavailable(resp);
        return;
    }
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_page_json_write(&b, &page, page.has_more ? token : NULL);
    tapi_task_page_clear(&page);
    set_body(resp, 200, &b);
}

/* Location: the collection as the client addressed it (stage or base path included),
 * then the new id, so the header leads to the task on whatever host the client used. */
static void set_location(tapi_response *resp, const tapi_request *req, const char *id)
{
    const char *base = req->collection_path;
    size_t len = req->collection_path_len;
    while (base && len > 0 && base[len - 1] == '/') len--;
    if (!base || len == 0 || base[0] != '/' || len > TAPI_COLLECTION_PATH_MAX) {
        base = "/tasks";
        len = 6;
    }
    /* percent-encoded, so the header is a clean URI reference whatever the door passed */
    size_t o = tapi_uri_path_escape(base, len, resp->location);
    snprintf(resp->location + o, sizeof resp->location - o, "/%s", id);
}

/* A keyed create: done once per key (the store writes the task and the key's record
 * together), replayed with the original body for a retry. */
static void create_once(const tapi_app *app, const tapi_request *req, tapi_task *task,
                        tapi_response *resp)
{
    char key[TAPI_IDEMPOTENCY_KEY_MAX + 1];
    if (tapi_idempotency_key_parse(req->idempotency_key, key) != TAPI_OK) {
        tapi_response_error(resp, 400, "invalid_idempotency_key",
                            "Idempotency-Key must be a string of 1 to 255 printable ASCII "
                            "characters in double quotes (RFC 8941: escape \\\" and \\\\), "
                            "or 1 to 255 visible ASCII characters without quotes, backslashes "
                            "or spaces.");
        return;
    }
    tapi_idempotency idem;
    tapi_idem_result out = {0};
    int64_t window = app->idempotency_window_s ? app->idempotency_window_s
                                               : TAPI_IDEMPOTENCY_WINDOW_S;
    tapi_err err = tapi_idempotency_prepare(owner_of(req), key, task, tapi_now_ms() / 1000,
                                            window, &idem);
    if (err == TAPI_OK) err = tapi_uuid_v4(task->id);
    if (err == TAPI_OK)
        err = app->store->ops->create_once(app->store, req->deadline_ms, owner_of(req), task,
                                           &idem, &out);
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    resp->status = 201;
    resp->body = out.body;
    resp->body_len = out.body_len;
    resp->idempotent_replayed = out.replayed;
    tapi_etag_format(1, resp->etag); /* the body is the task as created */
    set_location(resp, req, out.id);
}

static void handle_create(const tapi_app *app, const tapi_request *req, tapi_response *resp)
{
    if (!check_json_body(req, false, resp)) return;
    tapi_problem pb;
    tapi_task_patch in;
    tapi_err err = tapi_task_body_parse(req->body, req->body_len, TAPI_BODY_CREATE, &in, &pb);
    if (err == TAPI_EINVAL) {
        respond_problem(resp, &pb);
        return;
    }
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    tapi_task task = {.title = in.title, .description = in.description, .status = in.status,
                      .version = 1};
    tapi_timestamp_now(task.created_at);
    memcpy(task.updated_at, task.created_at, sizeof task.updated_at);
    if (req->idempotency_key) {
        create_once(app, req, &task, resp);
        tapi_task_patch_clear(&in);
        return;
    }
    err = TAPI_ECONFLICT;
    for (int i = 0; i < CREATE_ATTEMPTS && err == TAPI_ECONFLICT; i++) {
        err = tapi_uuid_v4(task.id);
        if (err == TAPI_OK) err = app->store->ops->create(app->store, req->deadline_ms, owner_of(req), &task);
    }
    if (err == TAPI_OK) {
        respond_task(resp, 201, &task);
        set_location(resp, req, task.id);
    } else {
        respond_error(resp, err);
    }
    tapi_task_patch_clear(&in); /* owns the strings task borrowed */
}

/* A task may be cached but must be revalidated (If-None-Match) before each use. */
static const char CACHE_REVALIDATE[] = "private, no-cache";

static void handle_get(const tapi_app *app, const tapi_request *req, const char *id,
                       tapi_response *resp)
{
    conditions c;
    if (!parse_conditions(req, &c, resp)) return;
    tapi_task task;
    tapi_err err = app->store->ops->get(app->store, req->deadline_ms, owner_of(req), id, &task);
    if (err != TAPI_OK) { /* 404 before 304 or 412: a condition never reveals a task */
        respond_error(resp, err);
        return;
    }
    /* RFC 9110 section 13.2.2: If-Match first (412), then If-None-Match (304 on GET) */
    if (c.cond.match && !tapi_version_set_has(c.cond.match, task.version)) {
        respond_precondition_failed(resp, task.version);
    } else if (c.cond.none_match && tapi_version_set_has(c.cond.none_match, task.version)) {
        respond_task(resp, 200, &task);
        if (resp->status == 200) resp->status = 304;
        resp->cache_control = CACHE_REVALIDATE;
    } else {
        respond_task(resp, 200, &task);
        resp->cache_control = CACHE_REVALIDATE;
    }
    tapi_task_clear(&task);
}

/* The first read-only field of ro that differs from task's, or NULL. */
static const char *changed_read_only(const tapi_read_only *ro, const tapi_task *task)
{
    char etag[TAPI_ETAG_MAX];
    tapi_etag_format(task->version, etag);
    if (ro->has_id && strcmp(ro->id, task->id) != 0) return "id";
    if (ro->has_created_at && strcmp(ro->created_at, task->created_at) != 0) return "createdAt";
    if (ro->has_updated_at && strcmp(ro->updated_at, task->updated_at) != 0) return "updatedAt";
    if (ro->has_version && ro->version != task->version) return "version";
    if (ro->has_etag && strcmp(ro->etag, etag) != 0) return "etag";
    return NULL;
}

/* A PATCH that sends read-only fields back (GET, edit, PATCH) passes when each equals the
 * task's as it is now; a changed one is 400 naming it. This is no concurrency control
 * (If-Match is): the comparison reads the task before the write. */
static bool check_read_only(const tapi_app *app, const tapi_request *req, const char *id,
                            const tapi_read_only *ro, tapi_response *resp)
{
    if (!ro->has_id && !ro->has_created_at && !ro->has_updated_at && !ro->has_version &&
        !ro->has_etag)
        return true;
    tapi_task task;
    tapi_err err = app->store->ops->get(app->store, req->deadline_ms, owner_of(req), id, &task);
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return false;
    }
    const char *field = changed_read_only(ro, &task);
    tapi_task_clear(&task);
    if (!field) return true;
    char msg[160];
    snprintf(msg, sizeof msg,
             "Field '%s' is read-only and differs from the task's; send it unchanged or leave "
             "it out.",
             field);
    tapi_response_error(resp, 400, "read_only_field", msg);
    return false;
}

/* The body is validated before the id is looked at, so bad input is 400 whether or not
 * the task exists. */
static void handle_patch(const tapi_app *app, const char *id, bool id_valid,
                         const tapi_request *req, tapi_response *resp)
{
    if (!check_json_body(req, true, resp)) return;
    tapi_problem pb;
    tapi_task_patch patch;
    tapi_err err = tapi_task_body_parse(req->body, req->body_len, TAPI_BODY_PATCH, &patch, &pb);
    if (err == TAPI_EINVAL) {
        respond_problem(resp, &pb);
        return;
    }
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    conditions c;
    if (!parse_conditions(req, &c, resp)) {
        tapi_task_patch_clear(&patch);
        return;
    }
    if (!id_valid) {
        tapi_task_patch_clear(&patch);
        respond_not_found(resp, true);
        return;
    }
    if (!check_read_only(app, req, id, &patch.read_only, resp)) {
        tapi_task_patch_clear(&patch);
        return;
    }
    char now[TAPI_TIMESTAMP_LEN + 1];
    tapi_timestamp_now(now);
    tapi_task task;
    err = app->store->ops->update(app->store, req->deadline_ms, owner_of(req), id, &c.cond,
                                  &patch, now, &task);
    tapi_task_patch_clear(&patch);
    if (err == TAPI_EPRECONDITION) {
        respond_precondition_failed(resp, task.version);
        return;
    }
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    respond_task(resp, 200, &task);
    tapi_task_clear(&task);
}

static void handle_delete(const tapi_app *app, const tapi_request *req, const char *id,
                          tapi_response *resp)
{
    conditions c;
    if (!parse_conditions(req, &c, resp)) return;
    uint64_t version = 0;
    tapi_err err = app->store->ops->remove(app->store, req->deadline_ms, owner_of(req), id,
                                           &c.cond, &version);
    if (err == TAPI_EPRECONDITION) {
        respond_precondition_failed(resp, version);
        return;
    }
    if (err != TAPI_OK) {
        respond_error(resp, err);
        return;
    }
    resp->status = 204;
}

static void method_not_allowed(tapi_response *resp, const char *allow)
{
    char msg[96];
    snprintf(msg, sizeof msg, "Method not allowed; this resource supports %s.", allow);
    tapi_response_error(resp, 405, "method_not_allowed", msg);
    resp->allow = allow;
}

/* HEAD is GET without the body (RFC 9110 section 9.3.2): same status and headers. */
static bool is_get(const tapi_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

static void route_collection(const tapi_app *app, const tapi_request *req, tapi_response *resp)
{
    if (is_get(req)) {
        handle_list(app, req, resp);
        return;
    }
    if (strcmp(req->method, "POST") != 0) {
        method_not_allowed(resp, ALLOW_COLLECTION);
        return;
    }
    static const char *const none[] = {NULL};
    tapi_problem pb;
    if (!check_query(req, none, &pb))
        respond_problem(resp, &pb);
    else
        handle_create(app, req, resp);
}

static void route_item(const tapi_app *app, const tapi_request *req, const char *id,
                       size_t id_len, tapi_response *resp)
{
    bool get = is_get(req), patch = strcmp(req->method, "PATCH") == 0,
         del = strcmp(req->method, "DELETE") == 0;
    if (!get && !patch && !del) {
        method_not_allowed(resp, ALLOW_ITEM);
        return;
    }
    /* an item takes no parameters, and ignores any: a cache-buster (?_=123) is common and
     * cannot change what a task is (a list, by contrast, refuses what it does not know,
     * since a misspelt filter would silently list other tasks) */
    bool id_valid = tapi_uuid_valid(id, id_len);
    char key[TAPI_ID_LEN + 1] = "";
    if (id_valid) {
        memcpy(key, id, TAPI_ID_LEN);
        key[TAPI_ID_LEN] = '\0';
    }
    if (patch)
        handle_patch(app, key, id_valid, req, resp);
    else if (!id_valid)
        respond_not_found(resp, true); /* a non-UUID cannot name a task */
    else if (get)
        handle_get(app, req, key, resp);
    else
        handle_delete(app, req, key, resp);
}

tapi_route tapi_route_path(const char *path, size_t len, const char **id, size_t *id_len)
{
    static const char collection[] = "/tasks";
    const size_t clen = sizeof collection - 1;
    *id = NULL;
    *id_len = 0;
    if (len < clen || memcmp(path, collection, clen) != 0) return TAPI_ROUTE_NONE;
    if (len == clen || (len == clen + 1 && path[clen] == '/')) return TAPI_ROUTE_COLLECTION;
    if (path[clen] != '/' || memchr(path + clen + 1, '/', len - clen - 1)) return TAPI_ROUTE_NONE;
    *id = path + clen + 1;
    *id_len = len - clen - 1;
    return TAPI_ROUTE_ITEM;
}

const char *tapi_route_name(const tapi_request *req)
{
    static const struct {
        tapi_route route;
        const char *method, *name;
    } names[] = {
        {TAPI_ROUTE_COLLECTION, "POST", "POST /tasks"},
        {TAPI_ROUTE_COLLECTION, "GET", "GET /tasks"},
        {TAPI_ROUTE_ITEM, "GET", "GET /tasks/{id}"},
        {TAPI_ROUTE_COLLECTION, "HEAD", "HEAD /tasks"},
        {TAPI_ROUTE_ITEM, "HEAD", "HEAD /tasks/{id}"},
        {TAPI_ROUTE_ITEM, "PATCH", "PATCH /tasks/{id}"},
        {TAPI_ROUTE_ITEM, "DELETE", "DELETE /tasks/{id}"},
    };
    for (size_t i = 0; req->method && i < sizeof names / sizeof names[0]; i++)
        if (req->route == names[i].route && strcmp(req->method, names[i].method) == 0)
            return names[i].name;
    return "other";
}

void tapi_handle(const tapi_app *app, const tapi_request *req, tapi_response *resp)
{
    memset(resp, 0, sizeof *resp);
    if (req->route != TAPI_ROUTE_COLLECTION && req->route != TAPI_ROUTE_ITEM) {
        respond_not_found(resp, false);
        return;
    }
    if (req->body_too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "Request body is larger than the limit of %d bytes.",
                 TAPI_MAX_BODY_BYTES);
        tapi_response_error(resp, 413, "payload_too_large", msg);
        return;
    }
    if (req->repeated_header) {
        char msg[96];
        snprintf(msg, sizeof msg, "Send exactly one %.40s header.", req->repeated_header);
        tapi_response_error(resp, 400, "invalid_header", msg);
    } else if (req->route == TAPI_ROUTE_COLLECTION)
        route_collection(app, req, resp);
    else
        route_item(app, req, req->id ? req->id : "", req->id ? req->id_len : 0, resp);
    resp->headers_only = resp->status == 304 || strcmp(req->method, "HEAD") == 0;
}
