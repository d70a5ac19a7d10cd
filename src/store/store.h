/* The storage contract. Every backend (sqlite.c, dynamodb/dynamodb.c) fills in one ops table;
 * only a door's main() chooses which. All operations may be called concurrently from
 * any thread; a backend serialises internally where it must.
 *
 * Every operation takes deadline_ms: the wall-clock time (Unix epoch, milliseconds) after
 * which the caller can no longer use an answer (0 = no deadline). A networked backend
 * stops retrying and gives up by then.
 *
 * Every task operation takes owner: an owner key (see core/owner.h). A task is visible
 * to its owner only; another owner's task is TAPI_ENOTFOUND, decided inside the one
 * read or conditional write, and a list holds the owner's tasks only, read from an
 * index that leads with the owner.
 *
 * Versions: create stores task->version (1); every update that changes the task adds 1
 * in the same atomic step. update and remove take cond (NULL: unconditional): the write
 * happens only if the task's version passes it (tapi_condition_holds), checked inside
 * that write; a task that exists (for this owner) and fails it is TAPI_EPRECONDITION, a
 * missing one TAPI_ENOTFOUND (which wins: the caller learns nothing about other owners'
 * tasks).
 *
 * Errors: TAPI_ENOTFOUND (no such task), TAPI_ECONFLICT (create: id exists),
 * TAPI_EUNAVAILABLE (backend failed; details already logged), TAPI_ENOMEM. */
#ifndef TAPI_STORE_H
#define TAPI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/owner.h"
#include "../core/page_token.h"
#include "../core/task.h"

typedef struct tapi_store tapi_store;

/* One call a store made to its backend (a DynamoDB operation), as reported to an observer
 * for metrics and traces. */
typedef struct tapi_store_call {
    const char *op;        /* backend operation, e.g. "GetItem" */
    const char *resource;  /* the table */
    int64_t start_us;      /* epoch microseconds */
    int64_t end_us;
    unsigned attempts;     /* 1 + retries */
    int status;            /* last HTTP status; 0 when no answer came */
    bool throttled;        /* an attempt was throttled */
    bool error;            /* the call ended in a 4xx (conditional check included) */
    bool fault;            /* the call ended in a 5xx or no answer */
    /* Filled by the observer's begin, if it wants: a trace header for the request
     * (X-Amzn-Trace-Id) and the id of the span it opened; "" for none. */
    char trace_header[160];
    char span_id[17];
} tapi_store_call;

/* Set by a door before the store is used; called around every backend call, possibly
 * from several threads at once (the local server's). A list's shard queries run at once:
 * every begin comes before the first of their ends. Both may be NULL. Neither may block
 * or fail the call. */
typedef struct tapi_store_observer {
    void (*begin)(void *ctx, tapi_store_call *call);
    void (*end)(void *ctx, const tapi_store_call *call);
    void *ctx;
} tapi_store_observer;

/* The longest window an Idempotency-Key's record may be given (window_s below). */
enum { TAPI_IDEMPOTENCY_WINDOW_MAX_S = 7 * 24 * 3600 };

/* What an Idempotency-Key asks of a create (router/idempotency.h makes it). */
typedef struct tapi_idempotency {
    char key_id[65];      /* hex; names the record: SHA-256 of owner, method, path and key */
    char fingerprint[65]; /* hex SHA-256 of the validated input */
    int64_t now_s;        /* Unix seconds */
    int64_t window_s;     /* how long the record answers for the key (<= the max above) */
} tapi_idempotency;

/* What a keyed create did. */
typedef struct tapi_idem_result {
    bool replayed;            /* the key's earlier create answered; nothing was written */
    char id[TAPI_ID_LEN + 1]; /* the task the key names */
    char *body;               /* the 201 body: the task as it was created (owned: free) */
    size_t body_len;
} tapi_idem_result;

typedef struct tapi_store_ops {
    /* Inserts task (all fields set) unless its id exists. Atomic: after a crash the task
     * is either fully present or absent. TAPI_ECONFLICT only when the id is certainly
     * another task's (the caller may try a new id); TAPI_EUNAVAILABLE when whether the
     * write was applied is unknown (never TAPI_ECONFLICT then). */
    tapi_err (*create)(tapi_store *store, int64_t deadline_ms, const char *owner,
                       const tapi_task *task);
    /* create, done once per idempotency key within its window: the task and the key's
     * record (the 201 body, the fingerprint) are written in one atomic step, so a crash
     * leaves both or neither. A key already recorded (and within its window) with the
     * same fingerprint replays: nothing is written and out holds the original body; with
     * another fingerprint it is TAPI_EKEYREUSED. Concurrent calls with one key create
     * one task; the others replay it. Every call within the window of the record that
     * answers it (the window starts when the record is written) replays that record's
     * task, whatever happened to earlier uses of the key or to the task since. The store
     * may choose the task's id (out->id says which); task->id is a fresh random one it
     * may use. TAPI_EUNAVAILABLE when the outcome is unknown (a retry settles it). */
    tapi_err (*create_once)(tapi_store *store, int64_t deadline_ms, const char *owner,
                            const tapi_task *task, const tapi_idempotency *idem,
                            tapi_idem_result *out);
    /* Reads one task into *out (the caller clears it with tapi_task_clear). */
    tapi_err (*get)(tapi_store *store, int64_t deadline_ms, const char *owner, const char *id,
                    tapi_task *out);
    /* Applies patch, sets updated_at and adds 1 to the version atomically; the new task
     * goes to *out. A patch that would change nothing writes nothing: TAPI_OK with the
     * task as it is (when it passes cond). On TAPI_EPRECONDITION out->version is the
     * task's current version (its other fields empty). Applied at most once per call:
     * when the backend's answer is lost and the store cannot tell whether the write was
     * applied, TAPI_EUNAVAILABLE (never a second application, nor a 412/404 that may be
     * false). */
    tapi_err (*update)(tapi_store *store, int64_t deadline_ms, const char *owner,
                       const char *id, const tapi_condition *cond,
                       const tapi_task_patch *patch, const char *updated_at, tapi_task *out);
    /* Deletes one task; applied at most once per call, and TAPI_OK only for the call
     * that deleted it. On TAPI_EPRECONDITION *current_version (when not NULL) is the
     * task's version. */
    tapi_err (*remove)(tapi_store *store, int64_t deadline_ms, const char *owner,
                       const char *id, const tapi_condition *cond, uint64_t *current_version);
    /* Up to limit of owner's tasks strictly after *after (NULL: from the newest), newest
     * first by (created_at, id); status_mask (TAPI_STATUS_BIT bits; 0 = all) keeps only
     * those statuses, read from an index keyed by status (never filtered after the
     * read, so a page is full whenever more tasks match). The caller clears *out with
     * tapi_task_page_clear. */
    tapi_err (*list)(tapi_store *store, int64_t deadline_ms, const char *owner,
                     unsigned status_mask, const tapi_cursor *after, size_t limit,
                     tapi_task_page *out);
    /* Releases everything; store is invalid afterwards. */
    void (*close)(tapi_store *store);
} tapi_store_ops;

struct tapi_store {
    const tapi_store_ops *ops;
    /* The key that authenticates page tokens, read (or created) once at open and kept
     * with the data, so tokens survive restarts and work across instances. */
    uint8_t token_key[TAPI_TOKEN_KEY_BYTES];
    tapi_store_observer observer; /* zero: nobody is told */
};

static inline void tapi_store_close(tapi_store *store)
{
    if (store) store->ops->close(store);
}

#endif
