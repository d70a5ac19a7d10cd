/* SQLite store. Why it looks like this:
 * - WAL lets readers run beside the single writer; synchronous=NORMAL in WAL mode keeps
 *   every committed transaction across a process crash (kill -9); only an OS crash or
 *   power loss can drop the last commits.
 * - Connections are pooled (one per server thread) because an sqlite3 handle must not be
 *   used by two threads at once; statements are prepared once per connection.
 * - Writes take an in-process mutex: SQLite allows one writer anyway, and waiting on a
 *   mutex is fair and immediate where SQLite's busy handler would sleep in steps of up
 *   to 100 ms (the busy timeout still covers other processes on the same file).
 * - Listing walks the index tasks_by_owner (owner, created_at DESC, id DESC) with a
 *   row-value comparison, so a page of one owner's tasks costs O(log n + limit) at any
 *   depth, however many tasks other owners have.
 * - Every statement on one task has "AND owner = ?" in its WHERE clause: another owner's
 *   task is not found by the same statement that would read or change it.
 * - A conditional write (If-Match) is one UPDATE/DELETE whose WHERE also names the
 *   accepted versions, so the check and the write cannot be separated; only when it
 *   changes nothing does a read tell "missing" (404) from "other version" (412). */
#include "sqlite.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <pthread.h>

#include "../core/json_writer.h"
#include "../core/log.h"
#include "../core/task_json.h"
#include "slot_pool.h"

enum { BUSY_TIMEOUT_MS = 5000 };

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS tasks ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " title TEXT NOT NULL,"
    " description TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('todo','in_progress','done')),"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " owner TEXT NOT NULL DEFAULT '" TAPI_OWNER_SHARED "',"
    " version INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)"
    " WITHOUT ROWID;"
    /* Idempotency-Key records: written in the task's own transaction; the body is the
     * 201 a retry gets back. Expired ones are purged a few at a time by keyed creates. */
    "CREATE TABLE IF NOT EXISTS idempotency ("
    " owner TEXT NOT NULL, key_id TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " task_id TEXT NOT NULL, body TEXT NOT NULL, expires_at INTEGER NOT NULL,"
    " PRIMARY KEY (owner, key_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS idempotency_by_expiry ON idempotency (expires_at);";

/* Run once per open, in one write transaction, after SCHEMA: a database from before
 * owners or versions gets the columns (its tasks become the shared owner's, at version
 * 0) and the owner-led index replaces the old one. */
static const struct {
    const char *column, *ddl;
} ADDED_COLUMNS[] = {
    {"owner", "ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT '" TAPI_OWNER_SHARED "'"},
    {"version", "ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 0"},
};
static const char OWNER_INDEX[] =
    "CREATE INDEX IF NOT EXISTS tasks_by_owner ON tasks (owner, created_at DESC, id DESC);"
    "CREATE INDEX IF NOT EXISTS tasks_by_owner_status"
    " ON tasks (owner, status, created_at DESC, id DESC);"
    "DROP INDEX IF EXISTS tasks_by_created;";

#define TASK_COLUMNS "id, title, description, status, created_at, updated_at, version"

/* The version condition: the parameter is NULL (any version) or ",v1,v2,...,". */
#define VERSION_IN(p) "(" p " IS NULL OR instr(" p ", ',' || version || ',') > 0)"
/* If-None-Match: "*" excludes every version. */
#define VERSION_NOT_IN(p) "(" p " IS NULL OR (" p " <> '*' AND instr(" p ", ',' || version || ',') = 0))"

enum stmt_id {
    ST_INSERT, ST_GET, ST_UPDATE, ST_DELETE, ST_LIST_FIRST, ST_LIST_AFTER,
    ST_LIST_STATUS_FIRST, ST_LIST_STATUS_AFTER, ST_IDEM_GET, ST_IDEM_PUT, ST_IDEM_PURGE,
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_COUNT
};

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_INSERT] = "INSERT INTO tasks (" TASK_COLUMNS ", owner)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_GET] = "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?1 AND owner = ?2",
    [ST_UPDATE] = "UPDATE tasks SET title = coalesce(?1, title),"
                  " description = coalesce(?2, description), status = coalesce(?3, status),"
                  " updated_at = ?4, version = version + 1"
                  " WHERE id = ?5 AND owner = ?6 AND " VERSION_IN("?7") " AND " VERSION_NOT_IN("?8")
                  " AND (coalesce(?1, title) IS NOT title OR coalesce(?2, description) IS NOT"
                  " description OR coalesce(?3, status) IS NOT status)"
                  " RETURNING " TASK_COLUMNS,
    [ST_DELETE] = "DELETE FROM tasks WHERE id = ?1 AND owner = ?2 AND " VERSION_IN("?3")
                  " AND " VERSION_NOT_IN("?4"),
    [ST_LIST_FIRST] = "SELECT " TASK_COLUMNS " FROM tasks WHERE owner = ?1"
                      " ORDER BY created_at DESC, id DESC LIMIT ?2",
    [ST_LIST_AFTER] = "SELECT " TASK_COLUMNS " FROM tasks"
                      " WHERE owner = ?1 AND (created_at, id) < (?2, ?3)"
                      " ORDER BY created_at DESC, id DESC LIMIT ?4",
    [ST_IDEM_GET] = "SELECT fingerprint, task_id, body, expires_at FROM idempotency"
                    " WHERE owner = ?1 AND key_id = ?2",
    [ST_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency"
                    " (owner, key_id, fingerprint, task_id, body, expires_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_IDEM_PURGE] = "DELETE FROM idempotency WHERE (owner, key_id) IN"
                      " (SELECT owner, key_id FROM idempotency WHERE expires_at <= ?1 LIMIT 16)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* one status of a filtered list, on tasks_by_owner_status; ?2 is the status */
    [ST_LIST_STATUS_FIRST] = "SELECT " TASK_COLUMNS " FROM tasks WHERE owner = ?1 AND status = ?2"
                             " ORDER BY created_at DESC, id DESC LIMIT ?3",
    [ST_LIST_STATUS_AFTER] = "SELECT " TASK_COLUMNS " FROM tasks WHERE owner = ?1 AND status = ?2"
                             " AND (created_at, id) < (?3, ?4)"
                             " ORDER BY created_at DESC, id DESC LIMIT ?5",
};

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
} conn;

typedef struct sqlite_store {
    tapi_store base;
    tapi_slot_pool pool; /* which connections are idle */
    pthread_mutex_t write_mu;
    conn *conns;
    size_t conn_count;
} sqlite_store;

static tapi_err map_error(sqlite3 *db, int rc, const char *what)
{
    int base = rc & 0xFF;
    if (base == SQLITE_NOMEM) return TAPI_ENOMEM;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return TAPI_ECONFLICT;
    tapi_log(TAPI_LOG_ERROR, "sqlite %s failed: %s (code %d)", what,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    return TAPI_EUNAVAILABLE;
}

static conn *acquire(sqlite_store *s) { return &s->conns[tapi_slot_pool_acquire(&s->pool)]; }

static void release(sqlite_store *s, conn *c)
{
    tapi_slot_pool_release(&s->pool, (size_t)(c - s->conns));
}

/* Resets a statement so it holds no read transaction open between requests. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    int len = sqlite3_column_bytes(st, col);
    return text ? strndup((const char *)text, (size_t)len) : NULL;
}

static void column_fixed(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", text ? (const char *)text : "");
}

static tapi_err read_row(sqlite3_stmt *st, tapi_task *out)
{
    memset(out, 0, sizeof *out);
    column_fixed(st, 0, out->id, sizeof out->id);
    const unsigned char *status = sqlite3_column_text(st, 3);
    if (!status ||
        !tapi_status_parse((const char *)status, (size_t)sqlite3_column_bytes(st, 3), &out->status))
        out->status = TAPI_STATUS_TODO; /* the CHECK constraint makes this unreachable */
    column_fixed(st, 4, out->created_at, sizeof out->created_at);
    column_fixed(st, 5, out->updated_at, sizeof out->updated_at);
    out->version = (uint64_t)sqlite3_column_int64(st, 6);
    out->title = column_dup(st, 1);
    out->description = column_dup(st, 2);
    if (!out->title || !out->description) {
        tapi_task_clear(out);
        return TAPI_ENOMEM;
    }
    return TAPI_OK;
}

static int bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    return s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
}

/* Inserts t; the caller holds the write lock. */
static tapi_err insert_task(conn *c, const char *owner, const tapi_task *t)
{
    sqlite3_stmt *st = c->stmt[ST_INSERT];
    bind_text(st, 1, t->id);
    bind_text(st, 2, t->title);
    bind_text(st, 3, t->description);
    bind_text(st, 4, tapi_status_name(t->status));
    bind_text(st, 5, t->created_at);
    bind_text(st, 6, t->updated_at);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)t->version);
    bind_text(st, 8, owner);
    int rc = sqlite3_step(st);
    tapi_err err = rc == SQLITE_DONE ? TAPI_OK : map_error(c->db, sqlite3_extended_errcode(c->db), "insert");
    done(st);
    return err;
}

static tapi_err op_create(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const tapi_task *t)
{
    (void)deadline_ms; /* local disk: busy_timeout bounds the wait */
    sqlite_store *s = (sqlite_store *)base;
    conn *c = acquire(s);
    pthread_mutex_lock(&s->write_mu);
    tapi_err err = insert_task(c, owner, t);
    pthread_mutex_unlock(&s->write_mu);
    release(s, c);
    return err;
}

/* Runs a statement that returns no rows. */
static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The task JSON a keyed create answers with, then and on every replay. */
static tapi_err task_body(const tapi_task *t, char **body, size_t *len)
{
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_task_json_write(&b, t);
    return tapi_buf_take(&b, body, len);
}

/* The key's record, if one answers at now: TAPI_OK with the replay in *out or
 * TAPI_EKEYREUSED; TAPI_ENOTFOUND when there is none (or it expired). */
static tapi_err idem_lookup(conn *c, const char *owner, const tapi_idempotency *idem,
                            tapi_idem_result *out)
{
    sqlite3_stmt *st = c->stmt[ST_IDEM_GET];
    bind_text(st, 1, owner);
    bind_text(st, 2, idem->key_id);
    tapi_err err = TAPI_ENOTFOUND;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 3) > idem->now_s) {
        const char *fp = (const char *)sqlite3_column_text(st, 0);
        if (!fp || strcmp(fp, idem->fingerprint) != 0) {
            err = TAPI_EKEYREUSED;
        } else {
            column_fixed(st, 1, out->id, sizeof out->id);
            out->body = column_dup(st, 2);
            out->body_len = out->body ? strlen(out->body) : 0;
            out->replayed = true;
            err = out->body ? TAPI_OK : TAPI_ENOMEM;
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = map_error(c->db, sqlite3_extended_errcode(c->db), "idempotency lookup");
    }
    done(st);
    return err;
}

/* One IMMEDIATE transaction under the write lock: look the key up, or insert the task
 * and its record together. A concurrent call with the same key waits for the lock and
 * then finds the record. */
static tapi_err op_create_once(tapi_store *base, int64_t deadline_ms, const char *owner,
                               const tapi_task *t, const tapi_idempotency *idem,
                               tapi_idem_result *out)
{
    (void)deadline_ms;
    sqlite_store *s = (sqlite_store *)base;
    memset(out, 0, sizeof *out);
    conn *c = acquire(s);
    pthread_mutex_lock(&s->write_mu);
    int rc = run(c->stmt[ST_BEGIN]);
    tapi_err err = rc == SQLITE_OK ? idem_lookup(c, owner, idem, out)
                                   : map_error(c->db, sqlite3_extended_errcode(c->db), "begin");
    bool write = err == TAPI_ENOTFOUND;
    if (write) err = task_body(t, &out->body, &out->body_len);
    if (write && err == TAPI_OK) {
        memcpy(out->id, t->id, sizeof out->id);
        err = insert_task(c, owner, t);
    }
    if (write && err == TAPI_OK) {
        sqlite3_stmt *st = c->stmt[ST_IDEM_PUT];
        bind_text(st, 1, owner);
        bind_text(st, 2, idem->key_id);
        bind_text(st, 3, idem->fingerprint);
        bind_text(st, 4, t->id);
        sqlite3_bind_text(st, 5, out->body, (int)out->body_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, idem->now_s + idem->window_s);
        if (run(st) != SQLITE_OK) err = map_error(c->db, sqlite3_extended_errcode(c->db), "idempotency record");
        sqlite3_bind_int64(c->stmt[ST_IDEM_PURGE], 1, idem->now_s);
        if (err == TAPI_OK && run(c->stmt[ST_IDEM_PURGE]) != SQLITE_OK)
            err = map_error(c->db, sqlite3_extended_errcode(c->db), "idempotency purge");
    }
    if (rc == SQLITE_OK && (!write || err != TAPI_OK)) run(c->stmt[ST_ROLLBACK]);
    if (rc == SQLITE_OK && write && err == TAPI_OK && run(c->stmt[ST_COMMIT]) != SQLITE_OK) {
        err = map_error(c->db, sqlite3_extended_errcode(c->db), "commit");
        run(c->stmt[ST_ROLLBACK]);
    }
    pthread_mutex_unlock(&s->write_mu);
    release(s, c);
    if (err != TAPI_OK) {
        free(out->body);
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* Steps a statement expected to yield at most one task row. */
static tapi_err step_one(conn *c, sqlite3_stmt *st, const char *what, tapi_task *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return read_row(st, out);
    if (rc == SQLITE_DONE) return TAPI_ENOTFOUND;
    return map_error(c->db, sqlite3_extended_errcode(c->db), what);
}

static tapi_err op_get(tapi_store *base, int64_t deadline_ms, const char *owner, const char *id,
                       tapi_task *out)
{
    (void)deadline_ms;
    sqlite_store *s = (sqlite_store *)base;
    conn *c = acquire(s);
    sqlite3_stmt *st = c->stmt[ST_GET];
    bind_text(st, 1, id);
    bind_text(st, 2, owner);
    tapi_err err = step_one(c, st, "get", out);
    done(st);
    release(s, c);
    return err;
}

/* ",v1,v2,...," for the versions the write accepts; NULL for any version. */
static const char *version_list(const tapi_version_set *set, char *buf, size_t cap)
{
    if (!set || set->any) return NULL;
    size_t o = (size_t)snprintf(buf, cap, ",");
    for (size_t i = 0; i < set->count && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%llu,", (unsigned long long)set->versions[i]);
    if (set->count == 0) snprintf(buf, cap, ",,"); /* matches nothing */
    return buf;
}

/* The versions If-None-Match excludes, for VERSION_NOT_IN: "*", ",v1,...,", or NULL. */
static const char *excluded_list(const tapi_version_set *set, char *buf, size_t cap)
{
    if (!set || (!set->any && set->count == 0)) return NULL;
    return set->any ? "*" : version_list(set, buf, cap);
}

enum { VERSION_LIST_MAX = TAPI_VERSION_SET_MAX * 21 + 2 };

/* After a write changed nothing: the task as it is now into *now (TAPI_OK), or
 * TAPI_ENOTFOUND. Called with the write lock held, so no write of ours interleaves. */
static tapi_err read_unchanged(conn *c, const char *owner, const char *id, tapi_task *now)
{
    sqlite3_stmt *st = c->stmt[ST_GET];
    bind_text(st, 1, id);
    bind_text(st, 2, owner);
    tapi_err err = step_one(c, st, "get", now);
    done(st);
    return err;
}

/* Why a conditional write changed nothing, from the task as it is: missing (404), failing
 * cond (412, with its version), or neither (TAPI_OK: nothing needed changing). */
static tapi_err why_unchanged(const tapi_condition *cond, const tapi_task *now,
                              uint64_t *current_version)
{
    if (tapi_condition_holds(cond, now->version)) return TAPI_OK;
    if (current_version) *current_version = now->version;
    return TAPI_EPRECONDITION;
}

static tapi_err op_update(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const char *id, const tapi_condition *cond,
                          const tapi_task_patch *p, const char *updated_at, tapi_task *out)
{
    (void)deadline_ms;
    sqlite_store *s = (sqlite_store *)base;
    char versions[VERSION_LIST_MAX], excluded[VERSION_LIST_MAX];
    conn *c = acquire(s);
    sqlite3_stmt *st = c->stmt[ST_UPDATE];
    bind_text(st, 1, p->title);
    bind_text(st, 2, p->description);
    bind_text(st, 3, p->has_status ? tapi_status_name(p->status) : NULL);
    bind_text(st, 4, updated_at);
    bind_text(st, 5, id);
    bind_text(st, 6, owner);
    bind_text(st, 7, version_list(cond ? cond->match : NULL, versions, sizeof versions));
    bind_text(st, 8, excluded_list(cond ? cond->none_match : NULL, excluded, sizeof excluded));
    pthread_mutex_lock(&s->write_mu);
    tapi_err err = step_one(c, st, "update", out);
    /* RETURNING: the change is committed when the statement runs to completion */
    if (err == TAPI_OK && sqlite3_step(st) != SQLITE_DONE) {
        tapi_task_clear(out);
        err = map_error(c->db, sqlite3_extended_errcode(c->db), "update");
    }
    done(st);
    if (err == TAPI_ENOTFOUND) {
        err = read_unchanged(c, owner, id, out);
        uint64_t version = 0;
        if (err == TAPI_OK) err = why_unchanged(cond, out, &version);
        if (err == TAPI_EPRECONDITION) {
            tapi_task_clear(out);
            out->version = version;
        }
    }
    pthread_mutex_unlock(&s->write_mu);
    release(s, c);
    return err;
}

static tapi_err op_remove(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const char *id, const tapi_condition *cond, uint64_t *current_version)
{
    (void)deadline_ms;
    sqlite_store *s = (sqlite_store *)base;
    char versions[VERSION_LIST_MAX], excluded[VERSION_LIST_MAX];
    conn *c = acquire(s);
    sqlite3_stmt *st = c->stmt[ST_DELETE];
    bind_text(st, 1, id);
    bind_text(st, 2, owner);
    bind_text(st, 3, version_list(cond ? cond->match : NULL, versions, sizeof versions));
    bind_text(st, 4, excluded_list(cond ? cond->none_match : NULL, excluded, sizeof excluded));
    pthread_mutex_lock(&s->write_mu);
    int rc = sqlite3_step(st);
    int changes = sqlite3_changes(c->db);
    tapi_err err;
    if (rc != SQLITE_DONE)
        err = map_error(c->db, sqlite3_extended_errcode(c->db), "delete");
    else
        err = changes > 0 ? TAPI_OK : TAPI_ENOTFOUND;
    done(st);
    if (err == TAPI_ENOTFOUND && cond) {
        tapi_task now;
        if (read_unchanged(c, owner, id, &now) == TAPI_OK) {
            err = why_unchanged(cond, &now, current_version);
            /* it passes cond now, yet the delete saw none: cannot be under the lock */
            if (err == TAPI_OK) err = TAPI_EUNAVAILABLE;
            tapi_task_clear(&now);
        }
    }
    pthread_mutex_unlock(&s->write_mu);
    release(s, c);
    return err;
}

/* Appends up to want of owner's tasks (of one status, unless status is NULL) after the
 * cursor to page, newest first, from the matching index. */
static tapi_err list_rows(conn *c, const char *owner, const char *status,
                          const tapi_cursor *after, size_t want, tapi_task_page *page)
{
    sqlite3_stmt *st = c->stmt[status ? (after ? ST_LIST_STATUS_AFTER : ST_LIST_STATUS_FIRST)
                                      : (after ? ST_LIST_AFTER : ST_LIST_FIRST)];
    int i = 1;
    bind_text(st, i++, owner);
    if (status) bind_text(st, i++, status);
    if (after) {
        bind_text(st, i++, after->created_at);
        bind_text(st, i++, after->id);
    }
    sqlite3_bind_int64(st, i, (sqlite3_int64)want);
    tapi_err err = TAPI_OK;
    int rc;
    while (err == TAPI_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = read_row(st, &page->items[page->count]);
        if (err == TAPI_OK) page->count++;
    }
    if (err == TAPI_OK && rc != SQLITE_DONE)
        err = map_error(c->db, sqlite3_extended_errcode(c->db), "list");
    done(st);
    return err;
}

/* A filtered list reads each wanted status's own index range (limit + 1 rows each) and
 * merges them: O(statuses x page) rows, never a page emptied by filtering. */
static tapi_err op_list(tapi_store *base, int64_t deadline_ms, const char *owner,
                        unsigned status_mask, const tapi_cursor *after, size_t limit,
                        tapi_task_page *out)
{
    (void)deadline_ms;
    sqlite_store *s = (sqlite_store *)base;
    memset(out, 0, sizeof *out);
    status_mask = tapi_status_mask_normalize(status_mask);
    size_t parts = tapi_status_mask_count(status_mask);
    if (parts == 0) parts = 1;
    /* one extra row (per part) tells whether another page exists */
    out->items = calloc(parts * (limit + 1), sizeof *out->items);
    if (!out->items) return TAPI_ENOMEM;
    conn *c = acquire(s);
    tapi_err err = TAPI_OK;
    if (status_mask == 0) {
        err = list_rows(c, owner, NULL, after, limit + 1, out);
    } else {
        for (unsigned k = 0; k < 3 && err == TAPI_OK; k++)
            if (status_mask & TAPI_STATUS_BIT(k))
                err = list_rows(c, owner, tapi_status_name((tapi_status)k), after, limit + 1, out);
        qsort(out->items, out->count, sizeof *out->items, tapi_task_newest_first);
    }
    release(s, c);
    if (err != TAPI_OK) {
        tapi_task_page_clear(out);
        return err;
    }
    while (out->count > limit) {
        out->has_more = true;
        tapi_task_clear(&out->items[--out->count]);
    }
    if (out->has_more) tapi_cursor_from_task(&out->items[out->count - 1], &out->next);
    return TAPI_OK;
}

static void close_conn(conn *c)
{
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->stmt[i]);
    /* the last connection to close checkpoints the WAL and removes it */
    sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

static void op_close(tapi_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    for (size_t i = 0; i < s->conn_count; i++) close_conn(&s->conns[i]);
    tapi_slot_pool_destroy(&s->pool);
    pthread_mutex_destroy(&s->write_mu);
    free(s->conns);
    free(s);
}

static const tapi_store_ops OPS = {
    .create = op_create,
    .create_once = op_create_once,
    .get = op_get,
    .update = op_update,
    .remove = op_remove,
    .list = op_list,
    .close = op_close,
};

static int exec_or_report(sqlite3 *db, const char *sql, char *errbuf, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
    return rc;
}

/* Opens the file with the connection settings every connection needs. */
static int open_db(const char *path, conn *c, char *errbuf, size_t errlen)
{
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        return rc;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    rc = exec_or_report(c->db,
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        " PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;",
                        errbuf, errlen);
    return rc;
}

/* Opens (unless open) and prepares the statements of one pooled connection. */
static int open_conn(const char *path, conn *c, char *errbuf, size_t errlen)
{
    int rc = c->db ? SQLITE_OK : open_db(path, c, errbuf, errlen);
    for (int i = 0; rc == SQLITE_OK && i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(c->db, STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[i],
                                NULL);
        if (rc != SQLITE_OK) snprintf(errbuf, errlen, "prepare: %s", sqlite3_errmsg(c->db));
    }
    return rc;
}

/* Brings the file to the current schema. One IMMEDIATE transaction: two processes
 * opening an old file at once do not both add the column. */
static int migrate(sqlite3 *db, char *errbuf, size_t errlen)
{
    int rc = exec_or_report(db, "BEGIN IMMEDIATE", errbuf, errlen);
    if (rc != SQLITE_OK) return rc;
    rc = exec_or_report(db, SCHEMA, errbuf, errlen);
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof ADDED_COLUMNS / sizeof ADDED_COLUMNS[0]; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %s FROM tasks LIMIT 0", ADDED_COLUMNS[i].column);
        sqlite3_stmt *probe = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &probe, NULL) != SQLITE_OK) {
            tapi_log(TAPI_LOG_INFO, "sqlite: adding the %s column to existing tasks",
                     ADDED_COLUMNS[i].column);
            rc = exec_or_report(db, ADDED_COLUMNS[i].ddl, errbuf, errlen);
        }
        sqlite3_finalize(probe);
    }
    if (rc == SQLITE_OK) rc = exec_or_report(db, OWNER_INDEX, errbuf, errlen);
    if (rc == SQLITE_OK) rc = exec_or_report(db, "COMMIT", errbuf, errlen);
    if (rc != SQLITE_OK) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Reads the database's page-token key, creating it on first use from the kernel's CSPRNG. */
static int load_token_key(sqlite3 *db, uint8_t key[TAPI_TOKEN_KEY_BYTES], char *errbuf,
                          size_t errlen)
{
    uint8_t fresh[TAPI_TOKEN_KEY_BYTES];
    if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh) {
        snprintf(errbuf, errlen, "getrandom: %s", strerror(errno));
        return SQLITE_ERROR;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "INSERT OR IGNORE INTO meta (name, value) VALUES ('page_token_key', ?1)", -1, &st,
        NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st, 1, fresh, sizeof fresh, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = 'page_token_key'", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == TAPI_TOKEN_KEY_BYTES)
            memcpy(key, sqlite3_column_blob(st, 0), TAPI_TOKEN_KEY_BYTES);
        else
            rc = SQLITE_CORRUPT;
    }
    if (rc != SQLITE_OK) snprintf(errbuf, errlen, "page token key: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

tapi_err tapi_sqlite_open(const char *path, size_t pool_size, tapi_store **out, char *errbuf,
                          size_t errlen)
{
    *out = NULL;
    if (pool_size == 0) pool_size = 1;
    /* SQLite counts its memory under one process-wide mutex on every allocation unless
     * told not to; the server's threads, each on its own connection, then contend for
     * it on every statement. Only possible before SQLite's first use (else ignored). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s) return TAPI_ENOMEM;
    s->base.ops = &OPS;
    pthread_mutex_init(&s->write_mu, NULL);
    s->conns = calloc(pool_size, sizeof *s->conns);
    if (!s->conns || tapi_slot_pool_init(&s->pool, pool_size) != TAPI_OK) {
        op_close(&s->base);
        snprintf(errbuf, errlen, "out of memory");
        return TAPI_ENOMEM;
    }
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < pool_size; i++) {
        s->conn_count = i + 1;
        /* the schema must be current before any statement is prepared against it */
        if (i == 0) rc = open_db(path, &s->conns[0], errbuf, errlen);
        if (i == 0 && rc == SQLITE_OK) rc = migrate(s->conns[0].db, errbuf, errlen);
        if (rc == SQLITE_OK) rc = open_conn(path, &s->conns[i], errbuf, errlen);
    }
    if (rc == SQLITE_OK) rc = load_token_key(s->conns[0].db, s->base.token_key, errbuf, errlen);
    if (rc != SQLITE_OK) {
        op_close(&s->base);
        return (rc & 0xFF) == SQLITE_NOMEM ? TAPI_ENOMEM : TAPI_EUNAVAILABLE;
    }
    *out = &s->base;
    return TAPI_OK;
}
