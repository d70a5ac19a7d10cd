/* Random (version 4) UUIDs for task ids, in lowercase canonical text form. */
#ifndef TAPI_UUID_H
#define TAPI_UUID_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* Writes a new UUID v4 and a NUL into out[37]. TAPI_EUNAVAILABLE if the kernel's random
 * source fails. */
tapi_err tapi_uuid_v4(char out[37]);

/* True if s[0..len) is a lowercase canonical UUID (8-4-4-4-12 hex digits). Anything else
 * cannot be a task id, so the router answers 404 without touching the store. */
bool tapi_uuid_valid(const char *s, size_t len);

#endif
