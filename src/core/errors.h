/* The project's error codes. Every fallible function returns one of these and writes
 * its results through out-parameters; HTTP statuses are derived from them in exactly
 * one place (router.c). */
#ifndef TAPI_ERRORS_H
#define TAPI_ERRORS_H

typedef enum tapi_err {
    TAPI_OK = 0,
    TAPI_ENOTFOUND,    /* the task (or route) does not exist */
    TAPI_ECONFLICT,    /* a write's precondition failed (e.g. the id already exists) */
    TAPI_EINVAL,       /* the caller passed something malformed */
    TAPI_ENOMEM,       /* an allocation failed */
    TAPI_EUNAVAILABLE, /* the storage backend failed or is overloaded; retry later */
    TAPI_ECONFIG,      /* the process is misconfigured */
    TAPI_EPRECONDITION, /* the task exists but is not at a version the caller named */
    TAPI_EKEYREUSED,   /* an idempotency key already used for a different request */
} tapi_err;

/* A short static English description of err; never NULL. */
const char *tapi_strerror(tapi_err err);

#endif
