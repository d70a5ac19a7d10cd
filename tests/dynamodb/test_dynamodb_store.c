/* The store conformance suite against the DynamoDB store on dynalite (started by
 * tests/dynamodb/run.sh), plus DynamoDB-only properties: pagination across shards at
 * scale, the shared page-token key, and clear failures for a missing table. */
#include "../unit/store_conformance.h"

#include "../../src/store/dynamodb.h"

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
        assert_int_equal(s->ops->create(s, 0, &all[i]), TAPI_OK);
    }
    qsort(all, N, sizeof *all, compare_newest_first);
    size_t seen = 0;
    tapi_cursor cur;
    bool first = true, more = true;
    while (more) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, first ? NULL : &cur, 100, &page), TAPI_OK);
        for (size_t i = 0; i < page.count; i++, seen++) {
            assert_true(seen < N);
            assert_string_equal(page.items[i].id, all[seen].id);
        }
        more = page.has_more;
        if (more) cur = page.next;
        tapi_task_page_clear(&page);
        first = false;
    }
    assert_int_equal(seen, N);
    for (int i = 0; i < N; i++) tapi_task_clear(&all[i]);
    free(all);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS,
        cmocka_unit_test(pages_thousands_of_tasks_across_shards),
        cmocka_unit_test(instances_share_the_token_key),
        cmocka_unit_test(missing_table_fails_to_open_with_a_reason),
        cmocka_unit_test(create_table_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
