/* Thread-local request context (see the header for why thread-local). */
#include "request_context.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "uri.h"
#include "uuid.h"

typedef struct context {
    char id[TAPI_REQUEST_ID_MAX + 1];
    char path[3 * TAPI_REQUEST_PATH_MAX + 1];
} context;

static _Thread_local context current;

bool tapi_request_id_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= TAPI_REQUEST_ID_MAX &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:") == n;
}

static bool lower_hex(const char *s, size_t n, bool nonzero)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
        any |= s[i] != '0';
    }
    return any || !nonzero;
}

bool tapi_traceparent_valid(const char *s)
{
    return strlen(s) == 55 && strncmp(s, "00-", 3) == 0 && lower_hex(s + 3, 32, true) &&
           s[35] == '-' && lower_hex(s + 36, 16, true) && s[52] == '-' &&
           lower_hex(s + 53, 2, false);
}

tapi_err tapi_request_id_new(char out[TAPI_REQUEST_ID_MAX + 1])
{
    char id[TAPI_ID_LEN + 1];
    tapi_err err = tapi_uuid_v4(id);
    snprintf(out, TAPI_REQUEST_ID_MAX + 1, "%s", err == TAPI_OK ? id : "");
    return err;
}

void tapi_request_context_begin(const char *id, const char *path, size_t path_len)
{
    snprintf(current.id, sizeof current.id, "%s", id && tapi_request_id_valid(id) ? id : "");
    if (path_len > TAPI_REQUEST_PATH_MAX) path_len = TAPI_REQUEST_PATH_MAX;
    tapi_uri_path_escape(path ? path : "", path ? path_len : 0, current.path);
}

void tapi_request_context_end(void)
{
    current.id[0] = '\0';
    current.path[0] = '\0';
}

const char *tapi_request_context_id(void) { return current.id; }

const char *tapi_request_context_path(void) { return current.path; }
