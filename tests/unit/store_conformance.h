/* The store contract as tests, written once against tapi_store_ops so every backend runs
 * the same suite: a backend's test file defines open_fresh_store() and includes this. */
#ifndef TAPI_STORE_CONFORMANCE_H
#define TAPI_STORE_CONFORMANCE_H

#include "test_support.h"

#include <pthread.h>

#include "../../src/core/timestamp.h"
#include "../../src/core/uuid.h"
#include "../../src/store/store.h"

/* Provided by the backend's test file: an empty store. */

/* The condition of an If-Match naming the versions of set. */
#define IF_MATCH(set) (&(tapi_condition){.match = (set)})

static tapi_store *open_fresh_store(void);

static void make_task(tapi_task *t, const char *title, const char *created_at)
{
    memset(t, 0, sizeof *t);
    assert_int_equal(tapi_uuid_v4(t->id), TAPI_OK);
    t->title = strdup(title);
    t->description = strdup("desc \xc3\xa9");
    t->status = TAPI_STATUS_TODO;
    snprintf(t->created_at, sizeof t->created_at, "%s", created_at);
    snprintf(t->updated_at, sizeof t->updated_at, "%s", created_at);
}

static void create_then_get_returns_same_task(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "first", "2026-01-01T00:00:00.000Z");
    t.status = TAPI_STATUS_IN_PROGRESS;
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
    assert_string_equal(got.id, t.id);
    assert_string_equal(got.title, "first");
    assert_string_equal(got.description, t.description);
    assert_int_equal(got.status, TAPI_STATUS_IN_PROGRESS);
    assert_string_equal(got.created_at, t.created_at);
    assert_string_equal(got.updated_at, t.updated_at);
    tapi_task_clear(&got);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

static void create_refuses_existing_id(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "original", "2026-01-01T00:00:00.000Z");
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    free(t.title);
    t.title = strdup("impostor");
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_ECONFLICT);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
    assert_string_equal(got.title, "original");
    tapi_task_clear(&got);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

static void missing_task_is_not_found_everywhere(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    const char *id = "00000000-0000-4000-8000-000000000000";
    tapi_task got;
    tapi_task_patch p = {.has_status = true, .status = TAPI_STATUS_DONE};
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, id, &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, id, NULL, &p, "2026-01-01T00:00:00.000Z", &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, id, NULL, NULL), TAPI_ENOTFOUND);
    tapi_store_close(s);
}

static void update_changes_only_given_fields(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "before", "2026-01-01T00:00:00.000Z");
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    tapi_task_patch p = {.title = strdup("after"), .has_status = true,
                         .status = TAPI_STATUS_DONE};
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, NULL, &p, "2026-02-02T00:00:00.000Z", &got), TAPI_OK);
    assert_string_equal(got.title, "after");
    assert_string_equal(got.description, t.description);
    assert_int_equal(got.status, TAPI_STATUS_DONE);
    assert_string_equal(got.created_at, "2026-01-01T00:00:00.000Z");
    assert_string_equal(got.updated_at, "2026-02-02T00:00:00.000Z");
    tapi_task_clear(&got);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
    assert_string_equal(got.title, "after");
    assert_string_equal(got.updated_at, "2026-02-02T00:00:00.000Z");
    tapi_task_clear(&got);
    tapi_task_patch_clear(&p);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

static void remove_deletes_once(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "doomed", "2026-01-01T00:00:00.000Z");
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, NULL, NULL), TAPI_OK);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, NULL, NULL), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_ENOTFOUND);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

static int compare_newest_first(const void *a, const void *b)
{
    const tapi_task *x = a, *y = b;
    int c = strcmp(y->created_at, x->created_at);
    return c ? c : strcmp(y->id, x->id);
}

enum { PAGED_TASKS = 257 };

/* Many tasks share a timestamp so that ties must be broken by id. */
static void list_pages_every_task_once_in_order(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task *all = calloc(PAGED_TASKS, sizeof *all);
    for (int i = 0; i < PAGED_TASKS; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-01-01T00:00:%02d.000Z", i % 7);
        make_task(&all[i], "t", ts);
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &all[i]), TAPI_OK);
    }
    qsort(all, PAGED_TASKS, sizeof *all, compare_newest_first);
    size_t seen = 0;
    tapi_cursor cur;
    bool first = true;
    for (;;) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, first ? NULL : &cur, 10, &page), TAPI_OK);
        assert_true(page.count <= 10);
        for (size_t i = 0; i < page.count; i++, seen++) {
            assert_true(seen < PAGED_TASKS);
            assert_string_equal(page.items[i].id, all[seen].id);
        }
        bool more = page.has_more;
        if (more) cur = page.next;
        if (more) assert_int_equal(page.count, 10);
        tapi_task_page_clear(&page);
        first = false;
        if (!more) break;
    }
    assert_int_equal(seen, PAGED_TASKS);
    for (int i = 0; i < PAGED_TASKS; i++) tapi_task_clear(&all[i]);
    free(all);
    tapi_store_close(s);
}

static void list_of_empty_store_is_empty(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task_page page;
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 50, &page), TAPI_OK);
    assert_int_equal(page.count, 0);
    assert_false(page.has_more);
    tapi_task_page_clear(&page);
    tapi_store_close(s);
}

/* Creates and deletes while paging: every task that existed at the start and was not
 * deleted is seen exactly once; nothing is seen twice. */
static void paging_survives_concurrent_writes(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    enum { N = 60 };
    tapi_task orig[N];
    for (int i = 0; i < N; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-01-01T00:%02d:00.000Z", i);
        make_task(&orig[i], "o", ts);
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &orig[i]), TAPI_OK);
    }
    bool deleted[N] = {false};
    int seen[N] = {0};
    tapi_cursor cur;
    bool first = true, more = true;
    for (int round = 0; more; round++) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, first ? NULL : &cur, 7, &page), TAPI_OK);
        for (size_t i = 0; i < page.count; i++)
            for (int k = 0; k < N; k++)
                if (strcmp(page.items[i].id, orig[k].id) == 0) seen[k]++;
        more = page.has_more;
        if (more) cur = page.next;
        tapi_task_page_clear(&page);
        first = false;
        /* a newer task appears and an older, not yet listed one disappears */
        tapi_task fresh;
        char now[25];
        tapi_timestamp_now(now);
        make_task(&fresh, "new", now);
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &fresh), TAPI_OK);
        tapi_task_clear(&fresh);
        int victim = round * 3 % N;
        if (!deleted[victim] && s->ops->remove(s, 0, TAPI_OWNER_SHARED, orig[victim].id, NULL, NULL) == TAPI_OK) deleted[victim] = true;
    }
    for (int k = 0; k < N; k++) {
        assert_true(seen[k] <= 1);
        if (!deleted[k]) assert_int_equal(seen[k], 1);
        tapi_task_clear(&orig[k]);
    }
    tapi_store_close(s);
}

/* Each store's key is random: tokens from one store's data are foreign to another's. */
static void token_key_is_random_per_store(void **state)
{
    (void)state;
    tapi_store *a = open_fresh_store(), *b = open_fresh_store();
    const uint8_t zero[TAPI_TOKEN_KEY_BYTES] = {0};
    assert_memory_not_equal(a->token_key, zero, TAPI_TOKEN_KEY_BYTES);
    assert_memory_not_equal(a->token_key, b->token_key, TAPI_TOKEN_KEY_BYTES);
    tapi_store_close(a);
    tapi_store_close(b);
}

typedef struct writer_arg {
    tapi_store *store;
    int created;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    for (int i = 0; i < 50; i++) {
        tapi_task t;
        char now[25];
        tapi_timestamp_now(now);
        make_task(&t, "concurrent", now);
        if (w->store->ops->create(w->store, 0, TAPI_OWNER_SHARED, &t) == TAPI_OK) w->created++;
        tapi_task_clear(&t);
    }
    return NULL;
}

static void concurrent_creates_all_land(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    enum { THREADS = 4 };
    pthread_t th[THREADS];
    writer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (writer_arg){.store = s};
        pthread_create(&th[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].created, 50);
    }
    size_t total = 0;
    tapi_cursor cur;
    bool first = true, more = true;
    while (more) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, first ? NULL : &cur, 100, &page), TAPI_OK);
        total += page.count;
        more = page.has_more;
        if (more) cur = page.next;
        tapi_task_page_clear(&page);
        first = false;
    }
    assert_int_equal(total, THREADS * 50);
    tapi_store_close(s);
}

/* Another owner's task is not found by any operation, is left unchanged, and never shows
 * up in another owner's list (nor in the shared one). */
static void owners_are_isolated(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_owner alice, bob;
    assert_int_equal(tapi_owner_from_identity("https://idp.example", 19, "alice", 5, &alice), TAPI_OK);
    assert_int_equal(tapi_owner_from_identity("https://idp.example", 19, "bob", 3, &bob), TAPI_OK);
    tapi_task a[3], mine, got;
    for (int i = 0; i < 3; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-03-0%dT00:00:00.000Z", i + 1);
        make_task(&a[i], "alice's", ts);
        assert_int_equal(s->ops->create(s, 0, alice.key, &a[i]), TAPI_OK);
    }
    make_task(&mine, "bob's", "2026-03-09T00:00:00.000Z");
    assert_int_equal(s->ops->create(s, 0, bob.key, &mine), TAPI_OK);
    const char *const strangers[] = {bob.key, TAPI_OWNER_SHARED};
    for (int k = 0; k < 2; k++) {
        tapi_task_patch p = {.title = strdup("stolen"), .has_status = true, .status = TAPI_STATUS_DONE};
        assert_int_equal(s->ops->get(s, 0, strangers[k], a[0].id, &got), TAPI_ENOTFOUND);
        assert_int_equal(s->ops->update(s, 0, strangers[k], a[0].id, NULL, &p, "2026-04-01T00:00:00.000Z", &got),
                         TAPI_ENOTFOUND);
        assert_int_equal(s->ops->remove(s, 0, strangers[k], a[0].id, NULL, NULL), TAPI_ENOTFOUND);
        tapi_task_patch_clear(&p);
    }
    assert_int_equal(s->ops->get(s, 0, alice.key, a[0].id, &got), TAPI_OK);
    assert_string_equal(got.title, "alice's");
    assert_int_equal(got.status, TAPI_STATUS_TODO);
    assert_string_equal(got.updated_at, a[0].updated_at);
    tapi_task_clear(&got);
    /* lists: each owner sees exactly their own, newest first, paged */
    tapi_task_page page;
    assert_int_equal(s->ops->list(s, 0, alice.key, 0, NULL, 2, &page), TAPI_OK);
    assert_int_equal(page.count, 2);
    assert_true(page.has_more);
    assert_string_equal(page.items[0].id, a[2].id);
    assert_string_equal(page.items[1].id, a[1].id);
    tapi_cursor cur = page.next;
    tapi_task_page_clear(&page);
    assert_int_equal(s->ops->list(s, 0, alice.key, 0, &cur, 2, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    assert_false(page.has_more);
    assert_string_equal(page.items[0].id, a[0].id);
    tapi_task_page_clear(&page);
    assert_int_equal(s->ops->list(s, 0, bob.key, 0, NULL, 50, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].id, mine.id);
    tapi_task_page_clear(&page);
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 50, &page), TAPI_OK);
    assert_int_equal(page.count, 0);
    tapi_task_page_clear(&page);
    /* the owner can still change and delete it */
    assert_int_equal(s->ops->remove(s, 0, alice.key, a[0].id, NULL, NULL), TAPI_OK);
    for (int i = 0; i < 3; i++) tapi_task_clear(&a[i]);
    tapi_task_clear(&mine);
    tapi_store_close(s);
}

/* Versions: 1 at create, +1 per update; If-Match writes only at a listed version, and a
 * missing task stays 404 whatever the condition. */
static void conditional_writes_check_the_version(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    tapi_task t, got;
    make_task(&t, "versioned", "2026-05-01T00:00:00.000Z");
    t.version = 1;
    assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
    tapi_task_patch p = {.has_status = true, .status = TAPI_STATUS_DONE};
    tapi_version_set v1 = {.count = 1, .versions = {1}}, v7 = {.count = 2, .versions = {7, 9}},
                     any = {.any = true}, none = {.count = 0}, v3_set = {.count = 1, .versions = {3}};
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v7), &p, "2026-05-02T00:00:00.000Z", &got),
                     TAPI_EPRECONDITION);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&none), &p, "2026-05-02T00:00:00.000Z", &got),
                     TAPI_EPRECONDITION);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v7), NULL), TAPI_EPRECONDITION);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
    assert_int_equal(got.version, 1);
    assert_int_equal(got.status, TAPI_STATUS_TODO); /* nothing changed */
    tapi_task_clear(&got);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v1), &p, "2026-05-02T00:00:00.000Z", &got), TAPI_OK);
    assert_int_equal(got.version, 2);
    tapi_task_clear(&got);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v1), &p, "2026-05-03T00:00:00.000Z", &got),
                     TAPI_EPRECONDITION);
    p.status = TAPI_STATUS_IN_PROGRESS;
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, NULL, &p, "2026-05-03T00:00:00.000Z", &got), TAPI_OK);
    assert_int_equal(got.version, 3);
    tapi_task_clear(&got);
    /* If-None-Match: a listed version or "*" stops the write (412 with the version) */
    uint64_t current = 0;
    tapi_condition not_v3 = {.none_match = &v3_set}, not_any = {.none_match = &any},
                   not_v7 = {.none_match = &v7};
    p.status = TAPI_STATUS_TODO;
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, &not_v3, &p, "2026-05-03T00:00:01.000Z", &got),
                     TAPI_EPRECONDITION);
    assert_int_equal(got.version, 3);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, &not_any, &current), TAPI_EPRECONDITION);
    assert_int_equal(current, 3);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, &not_v3, NULL), TAPI_EPRECONDITION);
    /* a patch that changes nothing writes nothing, yet still honours its condition */
    p.status = TAPI_STATUS_IN_PROGRESS;
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, &not_v7, &p, "2026-05-03T00:00:02.000Z", &got), TAPI_OK);
    assert_int_equal(got.version, 3);
    assert_string_equal(got.updated_at, "2026-05-03T00:00:00.000Z");
    tapi_task_clear(&got);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, &not_any, &p, "2026-05-03T00:00:02.000Z", &got),
                     TAPI_EPRECONDITION);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v7), &p, "2026-05-03T00:00:02.000Z", &got),
                     TAPI_EPRECONDITION);
    assert_int_equal(got.version, 3);
    /* another owner, with any condition: 404 */
    tapi_owner u;
    assert_int_equal(tapi_owner_from_identity("i", 1, "other", 5, &u), TAPI_OK);
    tapi_version_set v3 = {.count = 1, .versions = {3}};
    assert_int_equal(s->ops->update(s, 0, u.key, t.id, IF_MATCH(&v3), &p, "2026-05-04T00:00:00.000Z", &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->remove(s, 0, u.key, t.id, IF_MATCH(&any), NULL), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&v3), NULL), TAPI_OK);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&any), NULL), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, t.id, IF_MATCH(&any), &p, "2026-05-04T00:00:00.000Z", &got),
                     TAPI_ENOTFOUND);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

typedef struct racer_arg {
    tapi_store *store;
    const char *id;
    tapi_err result;
    pthread_barrier_t *start;
} racer_arg;

static void *racer(void *arg)
{
    racer_arg *r = arg;
    tapi_version_set v = {.count = 1, .versions = {1}};
    tapi_task_patch p = {.title = "raced"};
    tapi_task got;
    pthread_barrier_wait(r->start);
    r->result = r->store->ops->update(r->store, 0, TAPI_OWNER_SHARED, r->id, IF_MATCH(&v), &p,
                                      "2026-06-01T00:00:00.000Z", &got);
    if (r->result == TAPI_OK) tapi_task_clear(&got);
    return NULL;
}

/* Writers released together on the same version: exactly one write happens. */
static void racing_conditional_writers_one_wins(void **state)
{
    (void)state;
    enum { RACERS = 4, ROUNDS = 5 };
    tapi_store *s = open_fresh_store();
    for (int round = 0; round < ROUNDS; round++) {
        tapi_task t;
        make_task(&t, "race", "2026-06-01T00:00:00.000Z");
        t.version = 1;
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &t), TAPI_OK);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, RACERS);
        pthread_t th[RACERS];
        racer_arg args[RACERS];
        for (int i = 0; i < RACERS; i++) {
            args[i] = (racer_arg){.store = s, .id = t.id, .start = &start};
            pthread_create(&th[i], NULL, racer, &args[i]);
        }
        int wins = 0, refused = 0;
        for (int i = 0; i < RACERS; i++) {
            pthread_join(th[i], NULL);
            wins += args[i].result == TAPI_OK;
            refused += args[i].result == TAPI_EPRECONDITION;
        }
        pthread_barrier_destroy(&start);
        assert_int_equal(wins, 1);
        assert_int_equal(refused, RACERS - 1);
        tapi_task got;
        assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, t.id, &got), TAPI_OK);
        assert_int_equal(got.version, 2);
        tapi_task_clear(&got);
        tapi_task_clear(&t);
    }
    tapi_store_close(s);
}

/* Walks a filtered list to the end in pages of page_size; writes the ids in order. */
static size_t walk_filtered(tapi_store *s, unsigned mask, size_t page_size, char ids[][TAPI_ID_LEN + 1],
                            size_t cap)
{
    size_t n = 0;
    tapi_cursor cur;
    bool first = true, more = true;
    while (more) {
        tapi_task_page page;
        assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, mask, first ? NULL : &cur, page_size, &page), TAPI_OK);
        if (page.has_more) assert_int_equal(page.count, page_size); /* never a short page mid-list */
        for (size_t i = 0; i < page.count; i++) {
            if (mask) assert_true(mask & TAPI_STATUS_BIT(page.items[i].status));
            assert_true(n < cap);
            memcpy(ids[n++], page.items[i].id, TAPI_ID_LEN + 1);
        }
        more = page.has_more;
        if (more) cur = page.next;
        tapi_task_page_clear(&page);
        first = false;
    }
    return n;
}

/* Status-filtered lists: only those statuses, newest first, full pages, and a status
 * change moves a task from one list to the other. */
static void filtered_lists_page_by_status(void **state)
{
    (void)state;
    enum { N = 30 };
    tapi_store *s = open_fresh_store();
    tapi_task all[N];
    for (int i = 0; i < N; i++) {
        char ts[48];
        snprintf(ts, sizeof ts, "2026-07-01T00:00:%02d.000Z", i);
        make_task(&all[i], "filtered", ts);
        all[i].status = (tapi_status)(i % 3 == 0 ? TAPI_STATUS_DONE : i % 3 == 1 ? TAPI_STATUS_TODO : TAPI_STATUS_IN_PROGRESS);
        all[i].version = 1;
        assert_int_equal(s->ops->create(s, 0, TAPI_OWNER_SHARED, &all[i]), TAPI_OK);
    }
    const unsigned todo = TAPI_STATUS_BIT(TAPI_STATUS_TODO),
                   not_done = todo | TAPI_STATUS_BIT(TAPI_STATUS_IN_PROGRESS);
    char ids[N][TAPI_ID_LEN + 1];
    for (size_t page = 1; page <= 7; page += 3) {
        size_t n = walk_filtered(s, todo, page, ids, N);
        assert_int_equal(n, N / 3);
        for (size_t k = 0; k < n; k++) assert_string_equal(ids[k], all[N - 2 - 3 * k].id); /* newest first */
        assert_int_equal(walk_filtered(s, not_done, page, ids, N), 2 * N / 3);
        assert_int_equal(walk_filtered(s, 0, page, ids, N), N);
    }
    /* the newest done task becomes todo: it leaves one list and joins the other */
    tapi_task_patch p = {.has_status = true, .status = TAPI_STATUS_TODO};
    tapi_task got;
    assert_int_equal(s->ops->update(s, 0, TAPI_OWNER_SHARED, all[27].id, NULL, &p, "2026-07-02T00:00:00.000Z", &got), TAPI_OK);
    tapi_task_clear(&got);
    assert_int_equal(walk_filtered(s, todo, 4, ids, N), N / 3 + 1);
    assert_string_equal(ids[1], all[27].id);
    assert_int_equal(walk_filtered(s, TAPI_STATUS_BIT(TAPI_STATUS_DONE), 4, ids, N), N / 3 - 1);
    for (int i = 0; i < N; i++) tapi_task_clear(&all[i]);
    tapi_store_close(s);
}

static tapi_idempotency make_idem(const char *name, const char *fp, int64_t now_s)
{
    tapi_idempotency idem = {.now_s = now_s, .window_s = 86400};
    snprintf(idem.key_id, sizeof idem.key_id, "%064x", (unsigned)strlen(name) * 7919u + (unsigned)name[0]);
    snprintf(idem.fingerprint, sizeof idem.fingerprint, "%s", fp);
    return idem;
}

/* A keyed create happens once: a retry replays it, another fingerprint is refused, a
 * deleted task's key still replays within the window, and after the window the key
 * creates anew. */
static void keyed_creates_happen_once(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    const int64_t now = 1800000000;
    tapi_task t;
    make_task(&t, "keyed", "2026-08-01T00:00:00.000Z");
    t.version = 1;
    tapi_idempotency idem = make_idem("key-a", "fp1", now);
    tapi_idem_result first, again;
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &idem, &first), TAPI_OK);
    assert_false(first.replayed);
    assert_non_null(strstr(first.body, "\"title\":\"keyed\""));
    tapi_task got;
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, first.id, &got), TAPI_OK);
    tapi_task_clear(&got);
    /* a retry (another random id offered) replays the first */
    assert_int_equal(tapi_uuid_v4(t.id), TAPI_OK);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &idem, &again), TAPI_OK);
    assert_true(again.replayed);
    assert_string_equal(again.id, first.id);
    assert_string_equal(again.body, first.body);
    free(again.body);
    tapi_idempotency other = make_idem("key-a", "fp2", now + 10);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &other, &again), TAPI_EKEYREUSED);
    /* deleted: still replays within the window, and stays deleted */
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, first.id, NULL, NULL), TAPI_OK);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, first.id, &got), TAPI_ENOTFOUND);
    idem.now_s = now + 100;
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &idem, &again), TAPI_OK);
    assert_true(again.replayed);
    assert_string_equal(again.id, first.id);
    free(again.body);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, first.id, &got), TAPI_ENOTFOUND);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, first.id, NULL, NULL), TAPI_ENOTFOUND);
    /* after the window the key is forgotten: a new task */
    idem.now_s = now + 86400 + 1;
    assert_int_equal(tapi_uuid_v4(t.id), TAPI_OK);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &idem, &again), TAPI_OK);
    assert_false(again.replayed);
    assert_int_equal(s->ops->get(s, 0, TAPI_OWNER_SHARED, again.id, &got), TAPI_OK);
    tapi_task_clear(&got);
    /* a key reused after its window while its task still exists: yet another task */
    tapi_idempotency later = make_idem("key-a", "fp3", now + 3 * 86400);
    tapi_idem_result third;
    assert_int_equal(tapi_uuid_v4(t.id), TAPI_OK);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &later, &third), TAPI_OK);
    assert_false(third.replayed);
    assert_string_not_equal(third.id, again.id);
    free(third.body);
    free(again.body);
    free(first.body);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

/* Every retry inside a record's window replays that record's task, whatever happened
 * to older uses of the key: here the key's first task (its window over) is deleted
 * between the second use and that use's retry. */
static void keyed_retry_replays_whatever_older_uses_did(void **state)
{
    (void)state;
    tapi_store *s = open_fresh_store();
    const int64_t now = 1800000000;
    tapi_task t;
    make_task(&t, "first use", "2026-08-01T00:00:00.000Z");
    t.version = 1;
    tapi_idempotency idem = make_idem("key-g", "fp1", now);
    tapi_idem_result first, second, retry;
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &idem, &first), TAPI_OK);
    /* the key again after its window, the first task still there */
    tapi_idempotency reuse = make_idem("key-g", "fp2", now + 86400 + 1);
    assert_int_equal(tapi_uuid_v4(t.id), TAPI_OK);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &reuse, &second), TAPI_OK);
    assert_false(second.replayed);
    assert_string_not_equal(second.id, first.id);
    assert_int_equal(s->ops->remove(s, 0, TAPI_OWNER_SHARED, first.id, NULL, NULL), TAPI_OK);
    /* the second use's retry, still in its window */
    reuse.now_s += 5;
    assert_int_equal(tapi_uuid_v4(t.id), TAPI_OK);
    assert_int_equal(s->ops->create_once(s, 0, TAPI_OWNER_SHARED, &t, &reuse, &retry), TAPI_OK);
    assert_true(retry.replayed);
    assert_string_equal(retry.id, second.id);
    assert_string_equal(retry.body, second.body);
    tapi_task_page page;
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 10, &page), TAPI_OK);
    assert_int_equal(page.count, 1); /* the second use's task only */
    assert_string_equal(page.items[0].id, second.id);
    tapi_task_page_clear(&page);
    free(first.body);
    free(second.body);
    free(retry.body);
    tapi_task_clear(&t);
    tapi_store_close(s);
}

typedef struct keyed_arg {
    tapi_store *store;
    pthread_barrier_t *start;
    tapi_err err;
    tapi_idem_result out;
} keyed_arg;

static void *keyed_writer(void *arg)
{
    keyed_arg *k = arg;
    tapi_task t;
    make_task(&t, "concurrent keyed", "2026-08-02T00:00:00.000Z");
    t.version = 1;
    tapi_idempotency idem = make_idem("key-concurrent", "fp", 1800000000);
    pthread_barrier_wait(k->start);
    k->err = k->store->ops->create_once(k->store, 0, TAPI_OWNER_SHARED, &t, &idem, &k->out);
    tapi_task_clear(&t);
    return NULL;
}

/* Eight keyed creates at once with one key: one task, seven replays of it. */
static void concurrent_keyed_creates_make_one_task(void **state)
{
    (void)state;
    enum { WRITERS = 8 };
    tapi_store *s = open_fresh_store();
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, WRITERS);
    pthread_t th[WRITERS];
    keyed_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (keyed_arg){.store = s, .start = &start};
        pthread_create(&th[i], NULL, keyed_writer, &args[i]);
    }
    int created = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].err, TAPI_OK);
        created += !args[i].out.replayed;
        assert_string_equal(args[i].out.id, args[0].out.id);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(created, 1);
    for (int i = 0; i < WRITERS; i++) free(args[i].out.body);
    tapi_task_page page;
    assert_int_equal(s->ops->list(s, 0, TAPI_OWNER_SHARED, 0, NULL, 50, &page), TAPI_OK);
    assert_int_equal(page.count, 1);
    tapi_task_page_clear(&page);
    tapi_store_close(s);
}

#define STORE_CONFORMANCE_TESTS                                                               \
    cmocka_unit_test(create_then_get_returns_same_task),                                      \
        cmocka_unit_test(create_refuses_existing_id),                                         \
        cmocka_unit_test(missing_task_is_not_found_everywhere),                               \
        cmocka_unit_test(update_changes_only_given_fields),                                   \
        cmocka_unit_test(remove_deletes_once),                                                \
        cmocka_unit_test(list_pages_every_task_once_in_order),                                \
        cmocka_unit_test(list_of_empty_store_is_empty),                                       \
        cmocka_unit_test(paging_survives_concurrent_writes),                                  \
        cmocka_unit_test(token_key_is_random_per_store),                                      \
        cmocka_unit_test(concurrent_creates_all_land),                                       \
        cmocka_unit_test(owners_are_isolated),                                               \
        cmocka_unit_test(conditional_writes_check_the_version),                              \
        cmocka_unit_test(racing_conditional_writers_one_wins),                               \
        cmocka_unit_test(filtered_lists_page_by_status),                                     \
        cmocka_unit_test(keyed_creates_happen_once),                                         \
        cmocka_unit_test(keyed_retry_replays_whatever_older_uses_did),                       \
        cmocka_unit_test(concurrent_keyed_creates_make_one_task)

#endif
