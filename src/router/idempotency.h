/* Idempotency-Key on POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field"):
 * the key's syntax, and what identifies a keyed create for the store: a record name
 * scoped to the owner, the method and path and the key, and a fingerprint of the
 * validated input (not of the raw bytes: the same task asked for with other spacing or
 * key order is the same request). */
#ifndef TAPI_IDEMPOTENCY_H
#define TAPI_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/page_token.h"
#include "../core/task.h"
#include "../store/store.h"

enum {
    TAPI_IDEMPOTENCY_KEY_MAX = 255,        /* characters */
    TAPI_IDEMPOTENCY_WINDOW_S = 24 * 3600, /* how long a key answers, unless configured */
};

/* TASKS_IDEMPOTENCY_WINDOW_S as a door reads it: whole seconds from 1 to
 * TAPI_IDEMPOTENCY_WINDOW_MAX_S (7 days). NULL or "" gives the default. TAPI_EINVAL
 * otherwise. */
tapi_err tapi_idempotency_window_parse(const char *text, int64_t *out);

/* Parses an Idempotency-Key value: the draft's sf-string (RFC 8941 section 3.3.3: "..."
 * of printable ASCII where \" and \\ are the only escapes, so "a\"b" is the key a"b), or
 * a bare key of visible ASCII without '"' and '\', which names the same key as its
 * quoted form. 1..255 characters once unescaped. Writes the key, NUL-terminated, to out.
 * TAPI_EINVAL otherwise (an unbalanced quote, a bad escape, anything after the string). */
tapi_err tapi_idempotency_key_parse(const char *value, char out[TAPI_IDEMPOTENCY_KEY_MAX + 1]);

/* Fills *out for owner's create of task (its title, description and status are the
 * validated input) under key, at now_s, for window_s seconds. The record name is a plain
 * SHA-256 of owner, method, path and key: no secret goes into it, so rotating the
 * page-token key leaves every live record where retries look for it. TAPI_EUNAVAILABLE
 * when hashing fails (nothing usable is in *out). */
tapi_err tapi_idempotency_prepare(const char *owner, const char *key, const tapi_task *task,
                                  int64_t now_s, int64_t window_s, tapi_idempotency *out);

#endif
