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
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    uint8_t k1[TAPI_TOKEN_KEY_BYTES];
    memcpy(k1, s->token_key, sizeof k1);
    tapi_store_close(s);
    s = open_at(last_path);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
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
        "SELECT * FROM tasks WHERE id = ?1 AND owner = ?2",
        "UPDATE tasks SET title = coalesce(?1, title) WHERE id = ?5 AND owner = ?6",
        "DELETE FROM tasks WHERE id = ?1 AND owner = ?2",
        "SELECT * FROM tasks WHERE owner = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        "SELECT * FROM tasks WHERE owner = ?1 AND (created_at, id) < (?2, ?3)"
        " ORDER BY created_at DESC, id DESC LIMIT ?4",
        "SELECT * FROM tasks WHERE owner = ?1 AND status = ?2 ORDER BY created_at DESC, id DESC LIMIT ?3",
        "SELECT * FROM tasks WHERE owner = ?1 AND status = ?2 AND (created_at, id) < (?3, ?4)"
        " ORDER BY created_at DESC, id DESC LIMIT ?5",
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

/* A database written before owners existed: opening it adds the owner column and index
 * in place, and every task it had is the shared owner's, listed and changeable there. */
static void database_from_before_owners_is_migrated(void **state)
{
    (void)state;
    test_db_path(last_path, sizeof last_path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(last_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL,"
                     " description TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN"
                     " ('todo','in_progress','done')), created_at TEXT NOT NULL,"
                     " updated_at TEXT NOT NULL) WITHOUT ROWID;"
                     "CREATE INDEX tasks_by_created ON tasks (created_at DESC, id DESC);"
                     "INSERT INTO tasks VALUES ('0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d', 'old',"
                     " '', 'todo', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    tapi_store *s = open_at(last_path);
    tapi_task got;
    tapi_task_page page;
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d", &got),
                     TAPI_OK);
    assert_string_equal(got.title, "old");
    assert_int_equal(got.version, 0); /* from before versions */
    tapi_task_clear(&got);
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    tapi_task_page_clear(&page);
    tapi_owner u;
    assert_int_equal(tapi_owner_from_identity("i", 1, "s", 1, &u), TAPI_OK);
    assert_int_equal(s->ops->get(s, 0, u.key, "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d", &got),
                     TAPI_ENOTFOUND);
    tapi_store_close(s);
    s = open_at(last_path); /* a second open finds nothing left to do */
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d", NULL, NULL),
                     TAPI_OK);
    tapi_store_close(s);
    assert_int_equal(sqlite3_open(last_path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                        " AND name IN ('tasks_by_owner', 'tasks_by_owner_status',"
                                        " 'tasks_by_created')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2); /* the new ones only */
    sqlite3_finalize(st);
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
        cmocka_unit_test(database_from_before_owners_is_migrated),
        cmocka_unit_test(opening_an_unwritable_path_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
