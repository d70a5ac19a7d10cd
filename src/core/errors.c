/* Human-readable names for tapi_err, for logs and diagnostics. */
#include "errors.h"

const char *tapi_strerror(tapi_err err)
{
    switch (err) {
    case TAPI_OK: return "success";
    case TAPI_ENOTFOUND: return "not found";
    case TAPI_ECONFLICT: return "conflict";
    case TAPI_EINVAL: return "invalid argument";
    case TAPI_ENOMEM: return "out of memory";
    case TAPI_EUNAVAILABLE: return "storage unavailable";
    case TAPI_ECONFIG: return "invalid configuration";
    case TAPI_EPRECONDITION: return "precondition failed";
    case TAPI_EKEYREUSED: return "idempotency key reused";
    }
    return "unknown error";
}
