/* The local HTTP door: libmicrohttpd (thread pool + epoll) translating HTTP to
 * tapi_request/tapi_response. It bounds what a client can make it hold (body size,
 * header memory, connection count, idle time) and writes one access-log line per
 * request to the log stream. */
#ifndef TAPI_HTTP_SERVER_H
#define TAPI_HTTP_SERVER_H

#include <stddef.h>

#include "../core/errors.h"
#include "../router/router.h"
#include "docs_site.h"
#include "jwt_auth.h"

typedef struct tapi_server_config {
    const char *host;          /* numeric address or name to bind */
    unsigned port;             /* 0 picks a free port; see tapi_server_port */
    unsigned threads;          /* worker threads, >= 1 */
    unsigned idle_timeout_s;   /* a connection silent this long is closed */
    unsigned max_connections;  /* further connections are refused */
    int access_log;            /* nonzero: one line per request */
    /* Borrowed; NULL: no authentication (every task is the shared owner's). Otherwise
     * every request needs a valid bearer token and sees its owner's tasks only. */
    tapi_jwt_verifier *auth;
    /* Borrowed; NULL: no documentation. Otherwise served at /docs to anyone (it holds
     * nothing but the public contract), while the API keeps its authentication. */
    const tapi_docs_site *docs;
} tapi_server_config;

typedef struct tapi_server tapi_server;

/* Starts serving app (borrowed; must outlive the server) and writes the server to *out.
 * TAPI_ECONFIG with a reason in errbuf when the address cannot be bound. */
tapi_err tapi_server_start(const tapi_server_config *cfg, const tapi_app *app,
                           tapi_server **out, char *errbuf, size_t errlen);

/* The port actually bound. */
unsigned tapi_server_port(const tapi_server *server);

/* Stops accepting connections, lets in-flight requests finish (waiting at most
 * drain_ms), then closes every connection and frees the server. */
void tapi_server_stop(tapi_server *server, unsigned drain_ms);

#endif
