/* Bearer-token authentication for the local server: verifies a JWT (RS256, signed by a
 * key of a JWKS file, e.g. the one a Cognito user pool publishes) and turns its issuer
 * and subject into the caller's owner key. On AWS, API Gateway's Cognito authorizer does
 * this job and the Lambda door reads the verified claims instead. */
#ifndef TAPI_JWT_AUTH_H
#define TAPI_JWT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/owner.h"

enum {
    TAPI_JWT_LEEWAY_S = 30,             /* clock skew allowed on exp, nbf and iat */
    TAPI_JWT_MAX_TOKEN_BYTES = 8192,    /* longer Authorization values are refused */
    TAPI_JWT_MAX_JWKS_BYTES = 1 << 20,  /* a JWKS file larger than this is refused */
    TAPI_JWT_MAX_KEYS = 100,
    TAPI_JWT_MIN_RSA_BITS = 2048,
};

typedef struct tapi_jwt_config {
    const char *jwks_path; /* a JSON Web Key Set file ({"keys":[...]}) */
    const char *issuer;    /* "iss" must equal this exactly */
    const char *audience;  /* "aud" (ID tokens) or "client_id" (access tokens) */
} tapi_jwt_config;

typedef struct tapi_jwt_verifier tapi_jwt_verifier;

/* Loads the key set (its RSA signing keys, each with a kid) and writes the verifier to
 * *out; release with tapi_jwt_verifier_close. TAPI_ECONFIG with a reason in errbuf when
 * the file cannot be read, is not a key set or holds no usable key. */
tapi_err tapi_jwt_verifier_open(const tapi_jwt_config *cfg, tapi_jwt_verifier **out,
                                char *errbuf, size_t errlen);
void tapi_jwt_verifier_close(tapi_jwt_verifier *v);

/* The number of keys loaded. */
size_t tapi_jwt_key_count(const tapi_jwt_verifier *v);

typedef enum tapi_auth_result {
    TAPI_AUTH_OK,       /* *owner is the caller */
    TAPI_AUTH_MISSING,  /* no bearer token: no Authorization header, or another scheme */
    TAPI_AUTH_INVALID,  /* a bearer token that is malformed, forged, expired, or not for us */
    TAPI_AUTH_UNAVAILABLE, /* the token could not be hashed (no memory): answer 503 */
} tapi_auth_result;

/* Authenticates an Authorization header value (NULL when absent) at time now_s (Unix
 * seconds). On failure *reason is a static sentence for the client and the log, which
 * never contains the token. Thread-safe; tokens that passed are remembered (by hash)
 * until they expire, so a client's repeated token costs one SHA-256. */
tapi_auth_result tapi_jwt_authenticate(tapi_jwt_verifier *v, const char *authorization,
                                       int64_t now_s, tapi_owner *owner, const char **reason);

#endif
