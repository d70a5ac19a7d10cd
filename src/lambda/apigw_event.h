/* Translation between API Gateway REST API proxy events (payload format 1.0) and the
 * core's plain request/response. Real events carry null, not {}, for absent query
 * strings, path parameters, headers and body; all of that is accepted. */
#ifndef TAPI_APIGW_EVENT_H
#define TAPI_APIGW_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/errors.h"
#include "../core/limits.h"
#include "../core/owner.h"
#include "../router/conditional.h"
#include "../router/idempotency.h"
#include "../router/router.h"

/* The API Gateway resources (modules/api-gateway) the function serves. */
#define TAPI_RESOURCE_COLLECTION "/tasks"
#define TAPI_RESOURCE_ITEM "/tasks/{id}"

/* Response headers a browser script may read, with CORS on (modules/api-gateway sends
 * the same list on the gateway's own responses). */
#define TAPI_CORS_EXPOSE_HEADERS                                                                   \
    "Location, Retry-After, WWW-Authenticate, ETag, Idempotent-Replayed, Accept-Patch, Allow, "     \
    "X-Request-Id"

typedef struct tapi_apigw_request {
    tapi_request req;        /* points into the fields below and the parsed event */
    char api_request_id[128]; /* requestContext.requestId, "" if absent */
    char stage[64];
    unsigned authorization_headers; /* how many Authorization values the client sent */
    /* If-Match / If-None-Match, every line joined with ", " (req points here) */
    char if_match[TAPI_CONDITION_MAX_BYTES + 2];
    char if_none_match[TAPI_CONDITION_MAX_BYTES + 2];
    char idempotency_key[TAPI_IDEMPOTENCY_KEY_MAX + 8];
    bool authorization_sent;      /* an Authorization header is in the event */
    const char *claim_iss, *claim_sub; /* the authorizer's claims, NULL if absent */
    /* owned storage */
    char *text;                   /* the checked event, then room for decoded strings */
    char *strings;                /* that room: strings_len of strings_cap used */
    size_t strings_len, strings_cap;
    void *extra;                  /* further decoded strings, a list (rarely any) */
    bool nomem;
    char *body;                   /* decoded body when it was base64 */
    tapi_param query[TAPI_MAX_QUERY_PARAMS + 1];
    /* set when the event is an API Gateway event but its client input is unusable
     * (NUL characters, invalid UTF-8, bad base64): answer with this 400 directly */
    const char *reject_code;
    const char *reject_message;
} tapi_apigw_request;

/* Parses event[0..len). TAPI_EINVAL with a reason in why when it is not an API Gateway
 * proxy event at all (the runtime reports an invocation error); TAPI_ENOMEM. On TAPI_OK
 * the caller frees out with tapi_apigw_request_free. */
tapi_err tapi_apigw_parse(const char *event, size_t len, tapi_apigw_request *out, char *why,
                          size_t whylen);
void tapi_apigw_request_free(tapi_apigw_request *r);

/* The caller as API Gateway's Cognito authorizer verified it: the owner of
 * requestContext.authorizer.claims' iss and sub. TAPI_EINVAL when the event has no such
 * claims (a method without the authorizer: the caller must not get in), TAPI_ENOMEM when
 * the owner key cannot be made (hashing failed: nothing is decided). *token_sent says
 * whether the event carries an Authorization header. */
tapi_err tapi_apigw_owner(const tapi_apigw_request *r, tapi_owner *out, bool *token_sent);

/* Serialises resp as a proxy response {"statusCode","headers","body",
 * "isBase64Encoded":false} into *json (caller frees). cors_origin, when not NULL, is sent
 * as Access-Control-Allow-Origin (API Gateway answers the CORS preflight itself, but the
 * actual responses come from here). */
tapi_err tapi_apigw_response(const tapi_response *resp, const char *cors_origin, char **json,
                             size_t *len);

/* True if s is "*" or an origin "http(s)://host[:port]" (the CORS_ALLOW_ORIGIN setting). */
bool tapi_apigw_origin_valid(const char *s);

#endif
