/* CloudWatch Embedded Metric Format: the "_aws" member of the invocation's one log line
 * declares the metrics the line carries, so CloudWatch Logs extracts them with no API
 * call and no extra latency. Dimensions are kept few and bounded (the service, the route
 * name, the status class) so the metric count stays small: never ids or users. */
#ifndef TAPI_METRICS_H
#define TAPI_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/errors.h"
#include "../core/json_writer.h"

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

/* Appends m as EMF members (the "_aws" declaration under namespace ns with the dimension
 * Service = service at epoch time now_ms, then the dimension and metric values) to the
 * JSON object open in b; first says whether they are its first members. EMF allows other
 * top-level members, so the door writes these into its request log line. */
void tapi_metrics_members(tapi_buf *b, const char *ns, const char *service, int64_t now_ms,
                          const tapi_invocation_metrics *m, bool first);

/* True if s can be a namespace or a dimension value: 1..255 printable ASCII, no '"'. */
bool tapi_metrics_name_valid(const char *s);

#endif
