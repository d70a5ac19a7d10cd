/* The task model shared by the core and every store: the task itself, a partial update,
 * a page of tasks and the keyset cursor that orders them (createdAt, then id, newest
 * first). */
#ifndef TAPI_TASK_H
#define TAPI_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

typedef enum tapi_status {
    TAPI_STATUS_TODO = 0,
    TAPI_STATUS_IN_PROGRESS,
    TAPI_STATUS_DONE,
} tapi_status;

typedef struct tapi_task {
    char id[TAPI_ID_LEN + 1];
    char *title;       /* owned, NUL-terminated UTF-8 */
    char *description; /* owned, NUL-terminated UTF-8 */
    tapi_status status;
    char created_at[TAPI_TIMESTAMP_LEN + 1];
    char updated_at[TAPI_TIMESTAMP_LEN + 1];
    /* 1 when created, +1 on every change, checked inside the write that makes it (the
     * ETag is derived from it); tasks stored before versions existed read as 0. */
    uint64_t version;
} tapi_task;

/* Read-only fields a PATCH body sent back (a GET's body, edited): each one present must
 * equal the task's, since the client cannot change it. */
typedef struct tapi_read_only {
    bool has_id, has_created_at, has_updated_at, has_version, has_etag;
    char id[TAPI_ID_LEN + 1];
    char created_at[TAPI_TIMESTAMP_LEN + 1];
    char updated_at[TAPI_TIMESTAMP_LEN + 1];
    uint64_t version;
    char etag[32];
} tapi_read_only;

/* A PATCH: NULL strings / has_status == false mean "leave unchanged". The strings are
 * owned by the patch. */
typedef struct tapi_task_patch {
    char *title;
    char *description;
    bool has_status;
    tapi_status status;
    tapi_read_only read_only;
} tapi_task_patch;

/* Position after which the next page starts: everything strictly older in
 * (created_at, id) order. */
typedef struct tapi_cursor {
    char created_at[TAPI_TIMESTAMP_LEN + 1];
    char id[TAPI_ID_LEN + 1];
} tapi_cursor;

typedef struct tapi_task_page {
    tapi_task *items; /* owned array of count tasks */
    size_t count;
    bool has_more;    /* when true, next is the cursor for the following page */
    tapi_cursor next;
} tapi_task_page;

/* The versions a conditional write accepts (If-Match): any existing version, or one of
 * count listed (count 0 and !any: none). */
enum { TAPI_VERSION_SET_MAX = 16 };
typedef struct tapi_version_set {
    bool any;
    size_t count;
    uint64_t versions[TAPI_VERSION_SET_MAX];
} tapi_version_set;

bool tapi_version_set_has(const tapi_version_set *set, uint64_t version);

/* What a conditional request asks of a task's version (RFC 9110 section 13.2.2): in match
 * (If-Match; NULL: any version) and not in none_match (If-None-Match; NULL: none
 * excluded; "*" excludes every version, so an existing task never passes). */
typedef struct tapi_condition {
    const tapi_version_set *match;
    const tapi_version_set *none_match;
} tapi_condition;

/* Whether a task at version passes cond (NULL: always). */
bool tapi_condition_holds(const tapi_condition *cond, uint64_t version);

/* Whether applying patch to task would change any field (a PATCH that changes nothing
 * leaves the version, updatedAt and so the ETag as they are). */
bool tapi_task_patch_changes(const tapi_task_patch *patch, const tapi_task *task);

/* A set of statuses for a filtered list: bit (1 << status); 0 means every status. */
#define TAPI_STATUS_BIT(s) (1u << (unsigned)(s))
enum { TAPI_STATUS_ALL = 7u };

/* mask as a list filters it: TAPI_STATUS_ALL (every status) is the same as 0. */
unsigned tapi_status_mask_normalize(unsigned mask);
/* How many statuses mask names. */
unsigned tapi_status_mask_count(unsigned mask);

/* "todo", "in_progress" or "done"; never NULL. */
const char *tapi_status_name(tapi_status status);
/* Parses exactly one of the status names (case-sensitive). */
bool tapi_status_parse(const char *s, size_t len, tapi_status *out);

/* Free the owned strings/items; the struct is left zeroed and may be reused. */
void tapi_task_clear(tapi_task *task);
void tapi_task_patch_clear(tapi_task_patch *patch);
void tapi_task_page_clear(tapi_task_page *page);

/* qsort comparator of tapi_task: the list order, (created_at, id) descending. */
int tapi_task_newest_first(const void *a, const void *b);

/* The cursor that points just past task. */
void tapi_cursor_from_task(const tapi_task *task, tapi_cursor *out);

#endif
