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
