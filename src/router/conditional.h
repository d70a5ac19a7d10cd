/* Conditional requests (RFC 9110 section 13): the If-Match / If-None-Match lists the API
 * reads, against the ETags core/task_json.h makes. */
#ifndef TAPI_CONDITIONAL_H
#define TAPI_CONDITIONAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/task.h"
#include "../core/task_json.h"

enum {
    TAPI_CONDITION_MAX_BYTES = 1024, /* longer If-Match / If-None-Match values are 400 */
};

/* Parses an If-Match (weak = false: strong comparison, so W/ tags never match) or an
 * If-None-Match value (weak = true: W/"3.1" matches "3.1") into the versions it names.
 * "*" sets out->any. Tags are compared character by character (RFC 9110 section 8.8.3.2):
 * those not exactly of our form ("03.1", "3", another generation's) are kept out of the
 * set: they match no task. TAPI_EINVAL when the value is not "*" or a list of entity tags, is longer than
 * TAPI_CONDITION_MAX_BYTES, or names more than TAPI_VERSION_SET_MAX versions. */
tapi_err tapi_condition_parse(const char *value, bool weak, tapi_version_set *out);

#endif
