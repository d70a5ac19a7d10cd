/* libFuzzer target: the request-body parser and validator (UTF-8, JSON syntax, fields). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/core/task_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int kind = 0; kind < 2; kind++) {
        tapi_task_patch patch;
        tapi_problem problem;
        tapi_err err = tapi_task_body_parse((const char *)data, size, (tapi_body_kind)kind, &patch,
                                            &problem);
        if (err == TAPI_OK) {
            /* what validation accepts must respect every bound */
            if (patch.title && (strlen(patch.title) == 0 || strlen(patch.title) > 4 * 200))
                __builtin_trap();
            if (kind == TAPI_BODY_CREATE && (!patch.title || !patch.description))
                __builtin_trap();
            tapi_task_patch_clear(&patch);
        } else if (err == TAPI_EINVAL && (problem.status != 400 || !problem.code)) {
            __builtin_trap();
        }
    }
    return 0;
}
