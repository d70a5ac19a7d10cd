/* Reads DynamoDB replies that carry items — a Query's {"Items":[{"name":{"S":"..."},...},
 * ...],"LastEvaluatedKey":{...},...}, a GetItem's {"Item":{...}}, an UpdateItem's
 * {"Attributes":{...}} — in one pass, without building a tree: they are most of what the
 * Lambda function parses, and a tree cost an allocation per value.
 * Strict JSON (RFC 8259: no raw control characters, no "\u0000", no lone surrogates),
 * nesting bounded. */
#ifndef TAPI_QUERY_REPLY_H
#define TAPI_QUERY_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "../../core/errors.h"

enum { TAPI_QR_MAX_FIELDS = 16 };

/* The attributes a reader wants of each item, each with the type its value must have:
 * 'S' (string) or 'N' (number). */
typedef struct tapi_qr_want {
    const char *const *names;
    const char *types; /* one character per name */
    size_t count;      /* <= TAPI_QR_MAX_FIELDS */
} tapi_qr_want;

/* One item: values[i] is the value of names[i], unescaped and NUL-terminated, or NULL
 * when the item does not have it with the wanted type (wrong_type[i] says it has it
 * with another; present[i] that it has it at all). The first of repeated names counts.
 * The strings belong to the scan and last until the callback returns. */
typedef struct tapi_qr_item {
    const char *values[TAPI_QR_MAX_FIELDS];
    bool wrong_type[TAPI_QR_MAX_FIELDS];
    bool present[TAPI_QR_MAX_FIELDS];
} tapi_qr_item;

typedef tapi_err (*tapi_qr_item_fn)(void *ctx, const tapi_qr_item *item);

/* Scans json[0..len), which must be valid UTF-8, calling fn for each item of "Items" in
 * order (the first error fn returns ends the scan and is returned). *last_key and
 * *last_key_len: the text of the "LastEvaluatedKey" object, pointing into json, or NULL
 * and 0 without one. TAPI_EINVAL when the text is not one JSON object, or "Items" is
 * missing or not an array of objects; TAPI_ENOMEM. */
tapi_err tapi_query_reply_scan(const char *json, size_t len, const tapi_qr_want *want,
                               tapi_qr_item_fn fn, void *ctx, const char **last_key,
                               size_t *last_key_len);

/* Scans json[0..len) (valid UTF-8), a reply with at most one item, under member ("Item",
 * "Attributes"): fn is called with it when there is one (the first, if repeated), and
 * *found says whether there was. TAPI_EINVAL when the text is not one JSON object or the
 * member is not an object; fn's error; TAPI_ENOMEM. fn may have been called when an
 * error is returned (the reply went wrong after the item). */
tapi_err tapi_item_reply_scan(const char *json, size_t len, const char *member,
                              const tapi_qr_want *want, tapi_qr_item_fn fn, void *ctx,
                              bool *found);

#endif
