/* Who a task belongs to. Every task has one owner key: a user's is derived from the
 * token's issuer and subject (a `sub` is unique only per issuer); without authentication
 * every task belongs to the one shared owner, as do tasks written before owners existed. */
#ifndef TAPI_OWNER_H
#define TAPI_OWNER_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* The shared owner's key; no user's key can equal it (theirs start with 'u' and are
 * followed by hex digits only). */
#define TAPI_OWNER_SHARED "shared"

enum {
    TAPI_OWNER_KEY_LEN = 33,      /* "u" + 32 lowercase hex digits */
    TAPI_OWNER_MAX_ISSUER = 512,  /* bytes; longer issuers are refused */
    TAPI_OWNER_MAX_SUBJECT = 255, /* bytes; Cognito's are UUIDs (36) */
};

typedef struct tapi_owner {
    char key[TAPI_OWNER_KEY_LEN + 1]; /* NUL-terminated */
} tapi_owner;

/* The key of user (iss, sub): "u" + the first 128 bits of SHA-256(iss "\n" sub) in hex.
 * Fixed size whatever the issuer's length, and the same on both doors for the same user.
 * TAPI_EINVAL when either is empty, too long, or holds a control character; TAPI_ENOMEM
 * when hashing fails (a caller refuses the request either way). */
tapi_err tapi_owner_from_identity(const char *iss, size_t iss_len, const char *sub,
                                  size_t sub_len, tapi_owner *out);

/* The shared owner. */
void tapi_owner_shared(tapi_owner *out);

/* True for the shared owner's key. */
bool tapi_owner_is_shared(const char *key);

#endif
