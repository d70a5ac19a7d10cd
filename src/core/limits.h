/* Every bound the API enforces, named once. Doors and stores check against these
 * constants at the edge so that no input can grow memory, time or storage unboundedly. */
#ifndef TAPI_LIMITS_H
#define TAPI_LIMITS_H

enum {
    TAPI_MAX_BODY_BYTES = 64 * 1024,   /* larger request bodies get 413 */
    TAPI_TITLE_MAX_CHARS = 200,        /* Unicode code points, after trimming */
    TAPI_DESCRIPTION_MAX_CHARS = 2000, /* Unicode code points */
    TAPI_LIST_DEFAULT_LIMIT = 50,
    TAPI_LIST_MAX_LIMIT = 100,
    TAPI_JSON_MAX_DEPTH = 32,          /* request bodies are flat; deep nesting is an attack */
    TAPI_MAX_QUERY_PARAMS = 16,
    TAPI_MAX_PATH_BYTES = 2048,
    TAPI_MAX_TOKEN_CHARS = 256,        /* a valid nextToken is far shorter */
    TAPI_ID_LEN = 36,                  /* UUID text form */
    TAPI_TIMESTAMP_LEN = 24,           /* 2026-11-25T03:19:15.123Z */
};

#endif
