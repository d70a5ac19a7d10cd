/* X-Ray subsegments for the store's calls, sent to the X-Ray daemon over UDP in the
 * documented segment-document format (a {"format":"json","version":1} header line, then
 * the document). Lambda runs the daemon and names it in AWS_XRAY_DAEMON_ADDRESS, and
 * hands each invocation's trace in Lambda-Runtime-Trace-Id. Sending is fire-and-forget:
 * a datagram that cannot be sent is dropped, never an error for the request. */
#ifndef TAPI_XRAY_H
#define TAPI_XRAY_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/errors.h"
#include "../store/store.h"

typedef struct tapi_xray tapi_xray;

/* The parts of a trace header ("Root=1-...;Parent=...;Sampled=1") a subsegment needs. */
typedef struct tapi_xray_trace {
    char root[40];   /* "1-5759e988-bd862e3fe1be46a994272793" */
    char parent[17]; /* the function segment's id, 16 hex digits */
    bool sampled;
} tapi_xray_trace;

/* Parses a trace header. False (and *out not sampled) when it lacks a valid Root or
 * Parent; ids are checked character by character, since they go into JSON and headers. */
bool tapi_xray_parse(const char *header, tapi_xray_trace *out);

/* Opens a UDP socket for the daemon at address ("127.0.0.1:2000", or the
 * "udp:127.0.0.1:2000 tcp:127.0.0.1:2000" form; numeric hosts only). TAPI_ECONFIG when
 * the address is unusable; TAPI_ENOMEM. Release with tapi_xray_close. */
tapi_err tapi_xray_open(const char *address, tapi_xray **out);
void tapi_xray_close(tapi_xray *x);

/* For a call about to be made in a sampled trace: a new span id in call->span_id and
 * the header for the request in call->trace_header. */
void tapi_xray_begin(const tapi_xray_trace *trace, tapi_store_call *call);

/* Sends the subsegment of a finished call (namespace "aws", the operation, the table,
 * retries, error/throttle/fault). region may be NULL. */
void tapi_xray_send(tapi_xray *x, const tapi_xray_trace *trace, const char *region,
                    const tapi_store_call *call);

/* Builds that datagram into *out (caller frees); for tests and tapi_xray_send. */
tapi_err tapi_xray_format(const tapi_xray_trace *trace, const char *region,
                          const tapi_store_call *call, char **out, size_t *len);

#endif
