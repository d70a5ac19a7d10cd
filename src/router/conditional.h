/* Conditional requests (RFC 9110 section 13): the ETags the API sends and the If-Match /
 * If-None-Match lists it reads. A task's ETag is its version in quotes ("3"): strong, and
 * it changes on every change of the task because the version does. */
#ifndef TAPI_CONDITIONAL_H
#define TAPI_CONDITIONAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/task.h"

enum {
    TAPI_ETAG_MAX = 24,              /* "18446744073709551615" and NUL */
    TAPI_CONDITION_MAX_BYTES = 1024, /* longer If-Match / If-None-Match values are 400 */
};

/* Writes the ETag of a task at version. */
void tapi_etag_format(uint64_t version, char out[TAPI_ETAG_MAX]);

/* Parses an If-Match (weak = false: strong comparison, so W/ tags never match) or an
 * If-None-Match value (weak = true: W/"3" matches "3") into the versions it names. "*"
 * sets out->any. Tags that are not of our form are kept out of the set: they match no
 * task. TAPI_EINVAL when the value is not "*" or a list of entity tags, is longer than
 * TAPI_CONDITION_MAX_BYTES, or names more than TAPI_VERSION_SET_MAX versions. */
tapi_err tapi_condition_parse(const char *value, bool weak, tapi_version_set *out);

#endif
