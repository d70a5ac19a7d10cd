/* Task model helpers: status names and ownership cleanup. */
#include "task.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"todo", "in_progress", "done"};

const char *tapi_status_name(tapi_status status)
{
    if ((unsigned)status < sizeof status_names / sizeof status_names[0])
        return status_names[status];
    return "todo";
}

bool tapi_status_parse(const char *s, size_t len, tapi_status *out)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (strlen(status_names[i]) == len && memcmp(status_names[i], s, len) == 0) {
            *out = (tapi_status)i;
            return true;
        }
    }
    return false;
}

void tapi_task_clear(tapi_task *task)
{
    free(task->title);
    free(task->description);
    memset(task, 0, sizeof *task);
}

void tapi_task_patch_clear(tapi_task_patch *patch)
{
    free(patch->title);
    free(patch->description);
    memset(patch, 0, sizeof *patch);
}

void tapi_task_page_clear(tapi_task_page *page)
{
    for (size_t i = 0; i < page->count; i++) tapi_task_clear(&page->items[i]);
    free(page->items);
    memset(page, 0, sizeof *page);
}

void tapi_cursor_from_task(const tapi_task *task, tapi_cursor *out)
{
    memcpy(out->created_at, task->created_at, sizeof out->created_at);
    memcpy(out->id, task->id, sizeof out->id);
}

bool tapi_version_set_has(const tapi_version_set *set, uint64_t version)
{
    if (set->any) return true;
    for (size_t i = 0; i < set->count; i++)
        if (set->versions[i] == version) return true;
    return false;
}

bool tapi_condition_holds(const tapi_condition *cond, uint64_t version)
{
    if (!cond) return true;
    if (cond->match && !tapi_version_set_has(cond->match, version)) return false;
    return !cond->none_match || !tapi_version_set_has(cond->none_match, version);
}

bool tapi_task_patch_changes(const tapi_task_patch *patch, const tapi_task *task)
{
    return (patch->title && strcmp(patch->title, task->title) != 0) ||
           (patch->description && strcmp(patch->description, task->description) != 0) ||
           (patch->has_status && patch->status != task->status);
}

unsigned tapi_status_mask_normalize(unsigned mask)
{
    mask &= TAPI_STATUS_ALL;
    return mask == TAPI_STATUS_ALL ? 0 : mask;
}

unsigned tapi_status_mask_count(unsigned mask)
{
    unsigned n = 0;
    for (unsigned k = 0; k < 3; k++) n += (mask >> k) & 1u;
    return n;
}

int tapi_task_newest_first(const void *a, const void *b)
{
    const tapi_task *x = a, *y = b;
    int c = strcmp(y->created_at, x->created_at);
    return c ? c : strcmp(y->id, x->id);
}
