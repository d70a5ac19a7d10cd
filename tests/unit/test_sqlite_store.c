/* The store conformance suite on a real SQLite file, plus SQLite-only properties:
 * persistence, per-database token keys and index-only query plans. */
#include "store_conformance.h"

#include <sqlite3.h>

#include "../../src/store/sqlite.h"

static char last_path[300];

static tapi_store *open_at(const char *path)
{
    tapi_store *s = NULL;
    char err[256];
    if (tapi_sqlite_open(path, 4, &s, err, sizeof err) != TAPI_OK) fail_msg("open: %s", err);
    return s;
}

static tapi_store *open_fresh_store(void)
{
    test_db_path(last_path, sizeof last_path);
    return open_at(last_path);
}

static void data_and_token_key_survive_reopen(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "durable", "2026-01-01T00:00:00.000Z");
    assert_int_equal(s->ops->create(s, 0, &t), TAPI_OK);
    uint8_t k1[TAPI_TOKEN_KEY_BYTES];
    memcpy(k1, s->token_key, sizeof k1);
    tapi_store_close(s);
    s = open_at(last_path);
    assert_int_equal(s->ops->get(s, 0, t.id, &got), TAPI_OK);
    assert_string_equal(got.title, "durable");
    assert_memory_equal(k1, s->token_key, sizeof k1);
    tapi_store_close(s);
    s = open_fresh_store(); /* another database: another key, so its tokens are foreign */
    assert_memory_not_equal(k1, s->token_key, sizeof k1);
    tapi_task_clear(&got);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

/* Every statement the store runs must use an index: no full scans on any path. */
static void no_query_scans_the_table(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(last_path, &db), SQLITE_OK);
    static const char *const queries[] = {
        "SELECT * FROM tasks WHERE id = ?1",
        "UPDATE tasks SET title = coalesce(?1, title) WHERE id = ?5",
        "DELETE FROM tasks WHERE id = ?1",
        "SELECT * FROM tasks ORDER BY created_at DESC, id DESC LIMIT ?1",
        "SELECT * FROM tasks WHERE (created_at, id) < (?1, ?2) ORDER BY created_at DESC, id DESC "
        "LIMIT ?3",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", queries[i]);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        bool uses_index = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            if (strstr(detail, "SCAN") && !strstr(detail, "USING INDEX") &&
                !strstr(detail, "USING COVERING INDEX"))
                fail_msg("full scan in '%s': %s", queries[i], detail);
            if (strstr(detail, "INDEX") || strstr(detail, "PRIMARY KEY")) uses_index = true;
            if (strstr(detail, "TEMP B-TREE")) fail_msg("sort without index in '%s'", queries[i]);
        }
        assert_true(uses_index);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void opening_an_unwritable_path_fails_cleanly(void **state)
{
    (void)state;
    tapi_store *s = (tapi_store *)1;
    char err[256] = "";
    assert_int_equal(tapi_sqlite_open("/nonexistent-dir/x/tasks.db", 2, &s, err, sizeof err),
                     TAPI_EUNAVAILABLE);
    assert_null(s);
    assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS,
        cmocka_unit_test(data_and_token_key_survive_reopen),
        cmocka_unit_test(no_query_scans_the_table),
        cmocka_unit_test(opening_an_unwritable_path_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
