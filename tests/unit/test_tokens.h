/* RS256 bearer tokens for the unit tests, signed here with a key the test made. */
#ifndef TAPI_TEST_TOKENS_H
#define TAPI_TEST_TOKENS_H

#include <cjose/cjose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Bearer <RS256 token>" for claims under key (kid "k1"), in a buffer the caller frees. */
static inline char *test_bearer(cjose_jwk_t *key, const char *claims)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RS256, &err);
    cjose_header_set(h, CJOSE_HDR_KID, "k1", &err);
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)claims, strlen(claims), &err);
    const char *compact = NULL;
    char *out = NULL;
    if (jws && cjose_jws_export(jws, &compact, &err) && (out = malloc(strlen(compact) + 8)))
        sprintf(out, "Bearer %s", compact);
    cjose_jws_release(jws);
    cjose_header_release(h);
    if (!out) {
        fprintf(stderr, "test_bearer: cannot sign a token\n");
        abort();
    }
    return out;
}

#endif
