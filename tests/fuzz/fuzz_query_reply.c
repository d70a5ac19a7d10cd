/* libFuzzer target: the one-pass Query reply reader, checked against cJSON's reading of
 * the same bytes. Whatever it accepts cJSON must parse too, with the same strings for
 * every wanted attribute of every item, and each string must be valid UTF-8 with no NUL
 * inside it. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/utf8.h"
#include "../../src/store/dynamodb/query_reply.h"

static const char *const NAMES[] = {"id", "title", "version"};
static const tapi_qr_want WANT = {.names = NAMES, .types = "SSN", .count = 3};

typedef struct check {
    bool parsed;       /* cJSON read the text: the items must match */
    const cJSON *item; /* the same item as cJSON read it */
} check;

static tapi_err compare(void *ctx, const tapi_qr_item *it)
{
    check *c = ctx;
    for (size_t k = 0; k < WANT.count; k++)
        if (it->values[k] && !tapi_utf8_valid(it->values[k], strlen(it->values[k]), NULL)) __builtin_trap();
    /* cJSON refused the text: the reader may go some way before it finds out why */
    if (!c->parsed) return TAPI_OK;
    if (!cJSON_IsObject(c->item)) __builtin_trap();
    for (size_t k = 0; k < WANT.count; k++) {
        const char *v = it->values[k];
        const cJSON *attr = cJSON_GetObjectItemCaseSensitive(c->item, NAMES[k]);
        const cJSON *want = cJSON_IsObject(attr) ? cJSON_GetObjectItemCaseSensitive(attr, k == 2 ? "N" : "S") : NULL;
        /* duplicate names may make the two readers pick different members: compare only
         * where the text has one of each */
        if (cJSON_GetArraySize(c->item) == 0) continue;
        if (v && cJSON_IsString(want) && strcmp(v, want->valuestring) != 0) {
            size_t same = 0;
            const cJSON *m;
            cJSON_ArrayForEach(m, c->item) same += m->string && strcmp(m->string, NAMES[k]) == 0;
            if (same == 1 && cJSON_GetArraySize(attr) == 1) __builtin_trap();
        }
    }
    c->item = c->item->next;
    return TAPI_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    if (!tapi_utf8_valid(text, size, NULL)) return 0;
    cJSON *root = cJSON_ParseWithLength(text, size);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "Items");
    check c = {.parsed = root != NULL, .item = cJSON_IsArray(items) ? items->child : NULL};
    const char *last;
    size_t last_len;
    /* a copy of exactly size bytes, so any read past the end is caught */
    char *copy = malloc(size ? size : 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    tapi_err err = cJSON_IsArray(items) || !root
                       ? tapi_query_reply_scan(copy, size, &WANT, compare, &c, &last, &last_len)
                       : TAPI_EINVAL;
    if (err == TAPI_OK) {
        if (!root) __builtin_trap(); /* accepted what cJSON cannot parse */
        if (last && (last < copy || last + last_len > copy + size || *last != '{')) __builtin_trap();
    }
    free(copy);
    cJSON_Delete(root);
    return 0;
}
