/* The store conformance suite against the DynamoDB store on dynalite (started by
 * tests/dynamodb/run.sh), plus DynamoDB-only properties: pagination across shards at
 * scale, the shared page-token key, and clear failures for a missing table. */
#include "../unit/store_conformance.h"

#include "../../src/store/dynamodb/dynamodb.h"

static tapi_ddb_config base_config(const char *table)
{
    char err[256];
    tapi_ddb_config cfg;
    if (tapi_ddb_config_from_env(&cfg, err, sizeof err) != TAPI_OK) fail_msg("config: %s", err);
    cfg.table = table;
    cfg.pool_size = 4;
    return cfg;
}

static tapi_store *open_table(const char *table, unsigned shards, bool create)
{
    tapi_ddb_config cfg = base_config(table);
    cfg.shards = shards;
    char err[256] = "";
    if (create && tapi_dynamodb_create_table(&cfg, 30, err, sizeof err) != TAPI_OK)
        fail_msg("create-table: %s", err);
    tapi_store *s = NULL;
    if (tapi_dynamodb_open(&cfg, &s, err, sizeof err) != TAPI_OK) fail_msg("open: %s", err);
    return s;
}

static char table_names[64][32];
static int tables_made;

static tapi_store *open_fresh_store(void)
{
    char *name = table_names[tables_made % 64];
    snprintf(name, 32, "conformance-%d-%d", (int)getpid(), ++tables_made);
    return open_table(name, 4, true);
}

/* Reads every page of owner's list (status_mask 0: all) and checks it is exactly
 * expected[0..n), newest first. */
static void assert_pages_equal(tapi_store *s, unsigned status_mask, size_t limit,
                               const tapi_task *expected, size_t n)
{
    size_t seen = 0;
    tapi_cursor cur;
    bool first = true, more = true;
    while (more) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, status_mask, first ? NULL : &cur, limit,
                                      &page), TAPI_OK);
        assert_true(page.count == limit || !page.has_more);
        for (size_t i = 0; i < page.count; i++, seen++) {
            assert_true(seen < n);
            assert_string_equal(page.items[i].id, expected[seen].id);
        }
        more = page.has_more;
        if (more) cur = page.next;
        tapi_task_page_clear(&page);
        first = false;
    }
    assert_int_equal(seen, n);
}

/* Stores tasks[0..n) and sorts them as a list orders them. */
static void create_all_sorted(tapi_store *s, tapi_task *tasks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &tasks[i]), TAPI_OK);
    qsort(tasks, n, sizeof *tasks, compare_newest_first);
}

/* The tasks of all[0..n) whose status is in mask, in order, into out (shallow copies). */
static size_t with_status(const tapi_task *all, size_t n, unsigned mask, tapi_task *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mask & TAPI_STATUS_BIT(all[i].status)) out[k++] = all[i];
    return k;
}

static void free_tasks(tapi_task *tasks, size_t n)
{
    for (size_t i = 0; i < n; i++) tapi_task_clear(&tasks[i]);
    free(tasks);
}

/* Thousands of tasks over 8 shards with colliding timestamps: every task exactly once,
 * globally ordered, whatever the page size. */
static void pages_thousands_of_tasks_across_shards(void **state)
{
    (void)state;
    enum { N = 2000 };
    tapi_store *s = open_table("scale-test", 8, true);
    tapi_task *all = calloc(N, sizeof *all);
    for (int i = 0; i < N; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-03-01T00:%02d:%02d.000Z", (i / 60) % 60, i % 13);
        make_task(&all[i], "scale", ts);
    }
    create_all_sorted(s, all, N);
    assert_pages_equal(s, 0, 100, all, N);
    free_tasks(all, N);
    tapi_store_close(s);
}

/* A list first reads each shard's share of a page plus a margin. When one shard holds
 * all the newest tasks, that share falls short and the list must read that shard on:
 * here the 40 newest tasks are all in shard 0 (ids chosen so), and every page, plain and
 * filtered by status, must still be exactly the newest tasks in order. */
static void pages_stay_exact_when_one_shard_holds_the_newest(void **state)
{
    (void)state;
    enum { N = 100, SKEWED = 40 };
    tapi_store *s = open_table("skewed-shards", 4, true);
    tapi_task *all = calloc(N, sizeof *all), *done = calloc(N, sizeof *done);
    for (int i = 0; i < N; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-03-01T%02d:%02d:00.000Z", i / 60, i % 60);
        make_task(&all[i], "skewed", ts);
        /* the store's shard is the id's first byte mod 4: 0x00 for the newest 40, and
         * 0x01..0x03 (shards 1-3) for the older ones */
        char lead[3];
        snprintf(lead, sizeof lead, "%02x", i >= N - SKEWED ? 0 : 1 + i % 3);
        memcpy(all[i].id, lead, 2);
        all[i].status = i % 2 ? TAPI_STATUS_DONE : TAPI_STATUS_TODO;
    }
    create_all_sorted(s, all, N);
    size_t n_done = with_status(all, N, TAPI_STATUS_BIT(TAPI_STATUS_DONE), done);
    for (size_t limit = 5; limit <= 60; limit += 11) assert_pages_equal(s, 0, limit, all, N);
    assert_pages_equal(s, TAPI_STATUS_BIT(TAPI_STATUS_DONE), 20, done, n_done);
    assert_pages_equal(s, TAPI_STATUS_BIT(TAPI_STATUS_DONE) | TAPI_STATUS_BIT(TAPI_STATUS_TODO), 50,
                       all, N);
    free_tasks(all, N);
    free(done);
    tapi_store_close(s);
}

/* Many partitions: 32 shards x 2 statuses = 64 queries, more than the client runs at
 * once (32); the rest start as those finish, and the pages stay exact. */
static void lists_over_more_partitions_than_run_at_once(void **state)
{
    (void)state;
    enum { N = 60 };
    tapi_store *s = open_table("many-partitions", 32, true);
    tapi_task *all = calloc(N, sizeof *all);
    for (int i = 0; i < N; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-04-01T00:%02d:%02d.000Z", i / 60, i % 60);
        make_task(&all[i], "wide", ts);
        all[i].status = (tapi_status)(i % 3);
    }
    create_all_sorted(s, all, N);
    unsigned two_statuses = TAPI_STATUS_BIT(TAPI_STATUS_TODO) | TAPI_STATUS_BIT(TAPI_STATUS_DONE);
    tapi_task *two = calloc(N, sizeof *two);
    size_t n_two = with_status(all, N, two_statuses, two);
    assert_pages_equal(s, two_statuses, 7, two, n_two);
    assert_pages_equal(s, 0, 25, all, N);
    free_tasks(all, N);
    free(two);
    tapi_store_close(s);
}

/* Every instance of the service on one table must accept the others' tokens. */
static void instances_share_the_token_key(void **state)
{
    (void)state;
    tapi_store *a = open_table("shared-key", 4, true), *b = open_table("shared-key", 4, false);
    assert_memory_equal(a->token_key, b->token_key, TAPI_TOKEN_KEY_BYTES);
    tapi_store_close(a);
    tapi_store_close(b);
}

static void missing_table_fails_to_open_with_a_reason(void **state)
{
    (void)state;
    tapi_ddb_config cfg = base_config("no-such-table");
    cfg.max_attempts = 1;
    tapi_store *s = NULL;
    char err[256] = "";
    assert_int_equal(tapi_dynamodb_open(&cfg, &s, err, sizeof err), TAPI_EUNAVAILABLE);
    assert_null(s);
    assert_non_null(strstr(err, "no-such-table"));
    assert_non_null(strstr(err, "ResourceNotFoundException"));
}

static void create_table_is_idempotent(void **state)
{
    (void)state;
    tapi_ddb_config cfg = base_config("idempotent");
    char err[256] = "";
    assert_int_equal(tapi_dynamodb_create_table(&cfg, 30, err, sizeof err), TAPI_OK);
    assert_int_equal(tapi_dynamodb_create_table(&cfg, 30, err, sizeof err), TAPI_OK);
}

/* Items written before owners existed have no "owner" and a plain shard number: they
 * are the shared owner's, listed, readable and deletable there, and nobody else's. */
static void items_from_before_owners_are_the_shared_owners(void **state)
{
    (void)state;
    tapi_store *s = open_table("legacy-items", 4, true);
    tapi_ddb_config cfg = base_config("legacy-items");
    tapi_ddb_client *client;
    char err[256];
    assert_int_equal(tapi_ddb_client_open(&cfg, &client, err, sizeof err), TAPI_OK);
    static const char put[] =
        "{\"TableName\":\"legacy-items\",\"Item\":{"
        "\"id\":{\"S\":\"0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d\"},\"title\":{\"S\":\"old\"},"
        "\"description\":{\"S\":\"\"},\"status\":{\"S\":\"todo\"},"
        "\"createdAt\":{\"S\":\"2025-01-01T00:00:00.000Z\"},"
        "\"updatedAt\":{\"S\":\"2025-01-01T00:00:00.000Z\"},\"shard\":{\"S\":\"0\"},"
        "\"sk\":{\"S\":\"2025-01-01T00:00:00.000Z#0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d\"}}}";
    tapi_ddb_reply reply = {0};
    assert_int_equal(tapi_ddb_call(client, "PutItem", put, sizeof put - 1, 0, NULL, &reply), TAPI_OK);
    free(reply.body);
    tapi_ddb_client_close(client);
    const char *id = "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d";
    tapi_owner u;
    assert_int_equal(tapi_owner_from_identity("i", 1, "s", 1, &u), TAPI_OK);
    tapi_task got;
    tapi_task_page page;
    tapi_task_patch p = {.has_status = true, .status = TAPI_STATUS_DONE};
    assert_int_equal(s->ops->get(s, 0, u.key, id, &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->update(s, 0, u.key, id, NULL, &p, "2026-01-01T00:00:00.000Z", &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->remove(s, 0, u.key, id, NULL, NULL), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->list(s, 0, u.key, 0, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 0);
    tapi_task_page_clear(&page);
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].title, "old");
    tapi_task_page_clear(&page);
    /* not in by-status until migrated, then there */
    const unsigned todo = TAPI_STATUS_BIT(TAPI_STATUS_TODO);
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, todo, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 0);
    tapi_task_page_clear(&page);
    size_t updated = 0;
    char err2[256];
    assert_int_equal(tapi_dynamodb_migrate(&cfg, &updated, err2, sizeof err2), TAPI_OK);
    assert_int_equal(updated, 1);
    assert_int_equal(tapi_dynamodb_migrate(&cfg, &updated, err2, sizeof err2), TAPI_OK);
    assert_int_equal(updated, 0); /* idempotent */
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, todo, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    tapi_task_page_clear(&page);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, id, &got), TAPI_OK);
    assert_int_equal(got.version, 0); /* from before versions */
    tapi_task_clear(&got);
    tapi_version_set v0 = {.count = 1, .versions = {0}};
    tapi_condition at_v0 = {.match = &v0};
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, id, &at_v0, &p, "2026-01-01T00:00:00.000Z", &got), TAPI_OK);
    assert_int_equal(got.status, TAPI_STATUS_DONE);
    assert_int_equal(got.version, 1);
    tapi_task_clear(&got);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, id, NULL, NULL), TAPI_OK);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, id, &got), TAPI_ENOTFOUND);
    tapi_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS,
        cmocka_unit_test(pages_thousands_of_tasks_across_shards),
        cmocka_unit_test(pages_stay_exact_when_one_shard_holds_the_newest),
        cmocka_unit_test(lists_over_more_partitions_than_run_at_once),
        cmocka_unit_test(instances_share_the_token_key),
        cmocka_unit_test(missing_table_fails_to_open_with_a_reason),
        cmocka_unit_test(create_table_is_idempotent),
        cmocka_unit_test(items_from_before_owners_are_the_shared_owners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
