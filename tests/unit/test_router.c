/* Unit tests for src/router/router.c: routes, statuses, headers and query validation, with
 * the core running on a real SQLite file. */
#include "test_support.h"

#include "../../src/router/router.h"
#include "../../src/core/utf8.h"
#include "../../src/store/sqlite.h"

static tapi_store *store;
static tapi_app app;

static int setup(void **state)
{
    (void)state;
    char path[300], err[256];
    test_db_path(path, sizeof path);
    if (tapi_sqlite_open(path, 2, &store, err, sizeof err) != TAPI_OK) return -1;
    app.store = store;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tapi_store_close(store);
    return 0;
}

typedef struct call {
    const char *method;
    const char *path;
    const char *collection_path; /* how the client addressed the collection; NULL: path */
    const char *body;
    const char *content_type;
    tapi_param query[4];
    size_t query_count;
    bool too_large;
} call;

static void run(const call *c, tapi_response *resp)
{
    const char *collection = c->collection_path ? c->collection_path : c->path;
    tapi_request req = {.method = c->method,
                        .collection_path = collection,
                        .collection_path_len = strlen(collection),
                        .path = c->path,
                        .path_len = strlen(c->path),
                        .query = c->query,
                        .query_count = c->query_count,
                        .content_type = c->content_type,
                        .body = c->body ? c->body : "",
                        .body_len = c->body ? strlen(c->body) : 0,
                        .body_too_large = c->too_large};
    req.route = tapi_route_path(c->path, strlen(c->path), &req.id, &req.id_len);
    tapi_handle(&app, &req, resp);
}

static tapi_param qp(const char *name, const char *value)
{
    return (tapi_param){name, strlen(name), value, strlen(value)};
}

static void expect(const call *c, int status, const char *code)
{
    tapi_response resp;
    run(c, &resp);
    if (resp.status != status)
        fail_msg("%s %s: status %d, want %d: %s", c->method, c->path, resp.status, status,
                 resp.body ? resp.body : "");
    if (code) {
        /* problem details: the type names the code, and so does the code member */
        char type[96], member[80];
        snprintf(type, sizeof type, "{\"type\":\"tag:tasks-api,2026:problem/%s\",", code);
        snprintf(member, sizeof member, ",\"code\":\"%s\",", code);
        if (!resp.body || strncmp(resp.body, type, strlen(type)) != 0 || !strstr(resp.body, member) ||
            !resp.problem)
            fail_msg("body %s is not the problem %s", resp.body ? resp.body : "(none)", code);
    }
    tapi_response_clear(&resp);
}

/* Creates a task and returns its id in out[37]. */
static void create(const char *title, char out[37])
{
    char body[256];
    snprintf(body, sizeof body, "{\"title\":\"%s\"}", title);
    call c = {.method = "POST", .path = "/tasks", .body = body};
    tapi_response resp;
    run(&c, &resp);
    assert_int_equal(resp.status, 201);
    assert_int_equal(strncmp(resp.location, "/tasks/", 7), 0);
    assert_int_equal(strlen(resp.location), 7 + 36);
    memcpy(out, resp.location + 7, 37);
    assert_non_null(strstr(resp.body, out));
    tapi_response_clear(&resp);
}

static void create_get_patch_delete_cycle(void **state)
{
    (void)state;
    char id[37], path[64];
    create("cycle", id);
    snprintf(path, sizeof path, "/tasks/%s", id);
    expect(&(call){.method = "GET", .path = path}, 200, NULL);
    call patch = {.method = "PATCH", .path = path, .body = "{\"status\":\"done\"}",
                  .content_type = "application/merge-patch+json"};
    tapi_response resp;
    run(&patch, &resp);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"status\":\"done\""));
    assert_non_null(strstr(resp.body, "\"title\":\"cycle\""));
    tapi_response_clear(&resp);
    run(&(call){.method = "DELETE", .path = path}, &resp);
    assert_int_equal(resp.status, 204);
    assert_null(resp.body);
    tapi_response_clear(&resp);
    expect(&(call){.method = "GET", .path = path}, 404, "not_found");
    expect(&(call){.method = "DELETE", .path = path}, 404, "not_found");
    expect(&patch, 404, "not_found");
}

static void wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    tapi_response resp;
    run(&(call){.method = "PUT", .path = "/tasks"}, &resp);
    assert_int_equal(resp.status, 405);
    assert_string_equal(resp.allow, "GET, HEAD, POST");
    tapi_response_clear(&resp);
    run(&(call){.method = "POST", .path = "/tasks/00000000-0000-4000-8000-000000000000"}, &resp);
    assert_int_equal(resp.status, 405);
    assert_string_equal(resp.allow, "GET, HEAD, PATCH, DELETE");
    tapi_response_clear(&resp);
}

static void unknown_routes_and_ids_are_404(void **state)
{
    (void)state;
    expect(&(call){.method = "GET", .path = "/"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasksx"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasks//"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasks//x"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasks/a/b"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasks/not-a-uuid"}, 404, "not_found");
    expect(&(call){.method = "GET", .path = "/tasks/00000000-0000-4000-8000-00000000000A"}, 404,
           "not_found");
    expect(&(call){.method = "DELETE", .path = "/tasks/1"}, 404, "not_found");
}

static void content_type_rules(void **state)
{
    (void)state;
    const char *body = "{\"title\":\"ct\"}";
    expect(&(call){.method = "POST", .path = "/tasks", .body = body}, 201, NULL);
    expect(&(call){.method = "POST", .path = "/tasks", .body = body,
                   .content_type = "Application/JSON; charset=\"UTF-8\""}, 201, NULL);
    expect(&(call){.method = "POST", .path = "/tasks", .body = body,
                   .content_type = "text/plain"}, 415, "unsupported_media_type");
    expect(&(call){.method = "POST", .path = "/tasks", .body = body,
                   .content_type = "application/json; charset=latin1"}, 415,
           "unsupported_media_type");
    expect(&(call){.method = "POST", .path = "/tasks", .body = body,
                   .content_type = "application/jsonp"}, 415, "unsupported_media_type");
    expect(&(call){.method = "PATCH", .path = "/tasks/whatever", .body = body,
                   .content_type = "application/x-www-form-urlencoded"}, 415,
           "unsupported_media_type");
}

static void oversized_body_is_413(void **state)
{
    (void)state;
    expect(&(call){.method = "POST", .path = "/tasks", .too_large = true}, 413,
           "payload_too_large");
}

static void bad_patch_body_is_400_even_for_unknown_id(void **state)
{
    (void)state;
    expect(&(call){.method = "PATCH", .path = "/tasks/nope", .body = "{"}, 400, "invalid_json");
    expect(&(call){.method = "PATCH", .path = "/tasks/nope", .body = "{}"}, 400, "invalid_body");
    expect(&(call){.method = "PATCH", .path = "/tasks/nope", .body = "{\"title\":\"x\"}"}, 404,
           "not_found");
}

static void list_query_validation(void **state)
{
    (void)state;
    static const char *const bad_limits[] = {"0", "101", "-1", "abc", "", "1.5", "050", " 5", "1000"};
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++)
        expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", bad_limits[i])},
                       .query_count = 1}, 400, "invalid_query");
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", "100")},
                   .query_count = 1}, 200, NULL);
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", "1"), qp("limit", "2")},
                   .query_count = 2}, 400, "invalid_query");
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("sort", "asc")},
                   .query_count = 1}, 400, "invalid_query");
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", "\xff")},
                   .query_count = 1}, 400, "invalid_query");
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("nextToken", "abc")},
                   .query_count = 1}, 400, "invalid_page_token");
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("nextToken", "")},
                   .query_count = 1}, 400, "invalid_page_token");
    /* an item ignores parameters (a cache-buster is common): here the id decides */
    expect(&(call){.method = "GET", .path = "/tasks/x", .query = {qp("limit", "5")},
                   .query_count = 1}, 404, "not_found");
}

/* Names echoed back are cut short at a character boundary, so the error stays UTF-8. */
static void echoed_parameter_names_are_short_valid_utf8(void **state)
{
    (void)state;
    char name[1 + 2 * 300 + 1] = "a";
    for (int i = 0; i < 300; i++) memcpy(name + 1 + 2 * i, "\xc3\xa9", 2);
    name[sizeof name - 1] = '\0';
    tapi_response resp;
    run(&(call){.method = "GET", .path = "/tasks", .query = {qp(name, "1")}, .query_count = 1},
        &resp);
    assert_int_equal(resp.status, 400);
    assert_true(tapi_utf8_valid(resp.body, resp.body_len, NULL));
    assert_true(resp.body_len < 400);
    tapi_response_clear(&resp);
}

static void list_returns_token_that_pages_on(void **state)
{
    (void)state;
    char id[37];
    for (int i = 0; i < 3; i++) create("page", id);
    tapi_response resp;
    run(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", "2")}, .query_count = 1},
        &resp);
    assert_int_equal(resp.status, 200);
    const char *tok = strstr(resp.body, "\"nextToken\":\"");
    assert_non_null(tok);
    char token[200];
    tok += strlen("\"nextToken\":\"");
    size_t n = (size_t)(strchr(tok, '"') - tok);
    memcpy(token, tok, n);
    token[n] = '\0';
    tapi_response_clear(&resp);
    run(&(call){.method = "GET", .path = "/tasks", .query = {qp("limit", "2"), qp("nextToken", token)},
                .query_count = 2},
        &resp);
    assert_int_equal(resp.status, 200);
    tapi_response_clear(&resp);
    token[10] = token[10] == 'A' ? 'B' : 'A';
    expect(&(call){.method = "GET", .path = "/tasks", .query = {qp("nextToken", token)},
                   .query_count = 1}, 400, "invalid_page_token");
}

static void trailing_slash_is_the_collection(void **state)
{
    (void)state;
    const char *id;
    size_t id_len;
    assert_int_equal(tapi_route_path("/tasks", 6, &id, &id_len), TAPI_ROUTE_COLLECTION);
    assert_int_equal(tapi_route_path("/tasks/", 7, &id, &id_len), TAPI_ROUTE_COLLECTION);
    assert_int_equal(tapi_route_path("/tasks/abc", 10, &id, &id_len), TAPI_ROUTE_ITEM);
    assert_int_equal(id_len, 3);
    assert_memory_equal(id, "abc", 3);
    assert_int_equal(tapi_route_path("/tasks/abc/", 11, &id, &id_len), TAPI_ROUTE_NONE);
    assert_int_equal(tapi_route_path("/task", 5, &id, &id_len), TAPI_ROUTE_NONE);
    expect(&(call){.method = "GET", .path = "/tasks/"}, 200, NULL);
    tapi_response resp;
    run(&(call){.method = "POST", .path = "/tasks/", .body = "{\"title\":\"slash\"}"}, &resp);
    assert_int_equal(resp.status, 201);
    assert_int_equal(strncmp(resp.location, "/tasks/", 7), 0);
    assert_non_null(strstr(resp.body, resp.location + 7));
    assert_int_equal(strlen(resp.location), 7 + 36); /* no "//" from the trailing slash */
    tapi_response_clear(&resp);
}

/* Location is the collection as the client addressed it plus the id: the stage on the
 * execute-api host, the base path on a custom domain; odd bytes are percent-encoded and
 * an unusable collection path falls back to /tasks. */
static void location_follows_the_client_path(void **state)
{
    (void)state;
    static const struct {
        const char *sent, *want_prefix;
    } cases[] = {
        {"/dev/tasks", "/dev/tasks/"},
        {"/v1/tasks/", "/v1/tasks/"},
        {"/a b/t\r\nasks", "/a%20b/t%0D%0Aasks/"},
        {"/ok%2Fx/tasks", "/ok%2Fx/tasks/"},
        {"/bad%zz/tasks", "/bad%25zz/tasks/"},
        {"/caf\xc3\xa9/tasks", "/caf%C3%A9/tasks/"},
        {"tasks", "/tasks/"},
        {"", "/tasks/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tapi_response resp;
        run(&(call){.method = "POST", .path = "/tasks", .collection_path = cases[i].sent,
                    .body = "{\"title\":\"loc\"}"},
            &resp);
        assert_int_equal(resp.status, 201);
        size_t n = strlen(cases[i].want_prefix);
        if (strncmp(resp.location, cases[i].want_prefix, n) != 0 || strlen(resp.location) != n + 36)
            fail_msg("collection path '%s' gave Location '%s'", cases[i].sent, resp.location);
        assert_non_null(strstr(resp.body, resp.location + n));
        tapi_response_clear(&resp);
    }
    char longest[TAPI_COLLECTION_PATH_MAX + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[0] = '/';
    longest[sizeof longest - 1] = '\0';
    tapi_response resp;
    run(&(call){.method = "POST", .path = "/tasks", .collection_path = longest,
                .body = "{\"title\":\"loc\"}"},
        &resp);
    assert_int_equal(strncmp(resp.location, "/tasks/", 7), 0);
    tapi_response_clear(&resp);
    memset(longest, 0x01, sizeof longest - 1); /* every byte encoded: three times longer */
    longest[0] = '/';
    longest[TAPI_COLLECTION_PATH_MAX] = '\0';
    run(&(call){.method = "POST", .path = "/tasks", .collection_path = longest,
                .body = "{\"title\":\"loc\"}"},
        &resp);
    assert_int_equal(strlen(resp.location), 1 + 3 * (TAPI_COLLECTION_PATH_MAX - 1) + 37);
    tapi_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_get_patch_delete_cycle),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(unknown_routes_and_ids_are_404),
        cmocka_unit_test(trailing_slash_is_the_collection),
        cmocka_unit_test(location_follows_the_client_path),
        cmocka_unit_test(content_type_rules),
        cmocka_unit_test(oversized_body_is_413),
        cmocka_unit_test(bad_patch_body_is_400_even_for_unknown_id),
        cmocka_unit_test(list_query_validation),
        cmocka_unit_test(echoed_parameter_names_are_short_valid_utf8),
        cmocka_unit_test(list_returns_token_that_pages_on),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
