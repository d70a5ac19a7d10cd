/* nextToken: the list cursor, authenticated with HMAC-SHA256 under a per-deployment key
 * and base64url-encoded. Clients cannot forge or alter a cursor, and a token minted by
 * another deployment (another key) or for another user's list is rejected rather than
 * silently misread. */
#ifndef TAPI_PAGE_TOKEN_H
#define TAPI_PAGE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "task.h"

enum {
    TAPI_TOKEN_KEY_BYTES = 32,
    TAPI_TOKEN_TEXT_MAX = 112, /* encoded length is fixed: 103 characters */
};

/* Writes the token for cursor in one list, owner's (an owner key, see owner.h; NULL is
 * the shared owner) with a status filter (a tapi_status_mask, 0 = unfiltered), into out,
 * NUL-terminated. TAPI_EUNAVAILABLE (out is "") when the MAC cannot be computed. */
tapi_err tapi_page_token_encode(const uint8_t key[TAPI_TOKEN_KEY_BYTES], const char *owner,
                                unsigned filter, const tapi_cursor *cursor,
                                char out[TAPI_TOKEN_TEXT_MAX]);

/* Decodes and authenticates text[0..len) for that one list. TAPI_EINVAL if it is
 * malformed, was altered, was made under another key, for another owner or filter;
 * TAPI_EUNAVAILABLE when the MAC cannot be computed (nothing is decided then). */
tapi_err tapi_page_token_decode(const uint8_t key[TAPI_TOKEN_KEY_BYTES], const char *owner,
                                unsigned filter, const char *text, size_t len,
                                tapi_cursor *out);

#endif
