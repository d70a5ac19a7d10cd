/* CloudWatch Embedded Metric Format: one JSON log line per invocation whose "_aws" member
 * declares the metrics the line carries, so CloudWatch Logs extracts them with no API
 * call and no extra latency. Dimensions are kept few and bounded (the service, the route
 * name, the status class) so the metric count stays small: never ids or users. */
#ifndef TAPI_METRICS_H
#define TAPI_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"

/* What one invocation did. */
typedef struct tapi_invocation_metrics {
    const char *route;        /* tapi_route_name() of the request */
    int status;               /* HTTP status answered */
    double latency_ms;        /* the invocation, start to response */
    double store_ms;          /* time inside store (DynamoDB) calls, summed: a list's
                               * concurrent shard queries each count */
    unsigned store_calls;
    unsigned store_retries;   /* attempts beyond the first, summed */
    unsigned store_throttles; /* calls that met throttling */
    bool cold_start;          /* the first invocation of this sandbox */
} tapi_invocation_metrics;

/* Writes the EMF line for m to the log stream, under namespace ns with the dimension
 * Service = service, at epoch time now_ms. TAPI_ENOMEM if it could not be built. */
tapi_err tapi_metrics_emit(const char *ns, const char *service, int64_t now_ms,
                           const tapi_invocation_metrics *m);

/* Builds the same line into *json (caller frees); for tests and tapi_metrics_emit. */
tapi_err tapi_metrics_format(const char *ns, const char *service, int64_t now_ms,
                             const tapi_invocation_metrics *m, char **json, size_t *len);

/* True if s can be a namespace or a dimension value: 1..255 printable ASCII, no '"'. */
bool tapi_metrics_name_valid(const char *s);

#endif
