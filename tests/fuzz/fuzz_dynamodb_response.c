/* libFuzzer target: parsing what DynamoDB sends back (GetItem/UpdateItem/Query replies)
 * into tasks. Includes the store's .c to reach its static parsers. Anything accepted
 * must be a task that passes the API's own checks. */
#include "../../src/store/dynamodb/dynamodb.c"

#include "../../src/core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tapi_ddb_reply reply = {.body = malloc(size + 1), .body_len = size};
    if (!reply.body) return 0;
    memcpy(reply.body, data, size);
    reply.body[size] = '\0';
    /* the tree-free reader of GetItem's and UpdateItem's replies, on its own copy */
    const char *members[] = {"Item", "Attributes"};
    for (size_t m = 0; m < 2; m++) {
        tapi_ddb_reply copy = {.body = malloc(size + 1), .body_len = size};
        if (!copy.body) break;
        memcpy(copy.body, data, size);
        copy.body[size] = '\0';
        tapi_task task;
        bool live = false;
        tapi_err err = read_task_reply(&copy, "Fuzz", members[m], m ? NULL : "fuzz-owner", &task, &live);
        if (copy.body || (err != TAPI_OK && live)) __builtin_trap();
        if (live) {
            if (!tapi_uuid_valid(task.id, strlen(task.id)) ||
                !tapi_utf8_valid(task.title, strlen(task.title), NULL))
                __builtin_trap();
            tapi_task_clear(&task);
        }
    }
    cJSON *root;
    if (parse_reply(&reply, "Fuzz", &root) != TAPI_OK) return 0;
    const char *fields[] = {"Item", "Attributes"};
    for (size_t f = 0; f < 2; f++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, fields[f]);
        tapi_task task;
        if (cJSON_IsObject(item) && item_to_task(item, &task) == TAPI_OK) {
            if (!tapi_uuid_valid(task.id, strlen(task.id)) ||
                !tapi_utf8_valid(task.title, strlen(task.title), NULL))
                __builtin_trap();
            tapi_task_clear(&task);
        }
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "Items"), *it;
    cJSON_ArrayForEach(it, (cJSON_IsArray(items) ? items : NULL)) {
        tapi_task task;
        if (item_to_task(it, &task) == TAPI_OK) tapi_task_clear(&task);
    }
    cJSON_Delete(root);
    return 0;
}
