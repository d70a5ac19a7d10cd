/* The task's JSON: request bodies in (strictly validated) and tasks/pages out. */
#ifndef TAPI_TASK_JSON_H
#define TAPI_TASK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "json_writer.h"
#include "problem.h"
#include "task.h"

typedef enum tapi_body_kind {
    TAPI_BODY_CREATE, /* title required */
    TAPI_BODY_PATCH,  /* at least one field required */
} tapi_body_kind;

/* Parses and validates a POST/PATCH body into *out (which the caller clears with
 * tapi_task_patch_clear). Titles come back trimmed. On invalid input returns TAPI_EINVAL
 * with *problem describing it (status 400); TAPI_ENOMEM on allocation failure. For
 * TAPI_BODY_CREATE a missing description is returned as "" and a missing status as todo. */
tapi_err tapi_task_body_parse(const char *body, size_t len, tapi_body_kind kind,
                              tapi_task_patch *out, tapi_problem *problem);

/* The representation's generation: raised whenever a release changes the bytes a task's
 * JSON holds for the same stored task (a field added, renamed or formatted anew). */
#define TAPI_REPRESENTATION_GENERATION "1"

enum { TAPI_ETAG_MAX = 32 }; /* "18446744073709551615.<generation>" and NUL */

/* Writes the ETag of a task at version in this representation: the version and the
 * generation in quotes ("3.1"). Strong; it changes on every change of the task because
 * the version does, and on every release that changes how a task is represented because
 * the generation does (so no client keeps a stale copy on 304s). */
void tapi_etag_format(uint64_t version, char out[TAPI_ETAG_MAX]);

/* Appends the task as a JSON object, its ETag included ("etag"), so a client can make a
 * conditional request on a task it saw in a list. */
void tapi_task_json_write(tapi_buf *b, const tapi_task *task);

/* Appends {"items":[...],"nextToken":token-or-null}. */
void tapi_page_json_write(tapi_buf *b, const tapi_task_page *page, const char *next_token);

#endif
