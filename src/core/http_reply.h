/* An HTTP/1.1 response reader (RFC 9112) for the two clients of our own: the Lambda
 * Runtime API's and DynamoDB's. It reads from the bytes received so far, so a caller
 * reads from its connection until the reader says the response is whole; nothing is
 * allocated, and a chunked body is decoded in place once all of it is there. */
#ifndef TAPI_HTTP_REPLY_H
#define TAPI_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tapi_http_state {
    TAPI_HTTP_MORE,    /* not whole yet: read more and call again */
    TAPI_HTTP_DONE,    /* whole: the fields below describe it */
    TAPI_HTTP_BAD,     /* not a response we accept (status line, framing, chunks) */
    TAPI_HTTP_TOO_BIG, /* the head over TAPI_HTTP_HEAD_MAX or the body over max_body */
} tapi_http_state;

enum { TAPI_HTTP_HEAD_MAX = 64 * 1024 };

typedef struct tapi_http_reply {
    int status;           /* 100..599, once the head is whole */
    size_t head, head_end; /* the final response's head is data[head..head_end) */
    size_t body, body_len; /* its body, decoded: data[body..body+body_len) (DONE) */
    size_t consumed;      /* bytes of data the response took; more are the peer's error */
    bool close;           /* Connection: close, or a body that ends with the connection */
    const char *why;      /* BAD: a static sentence saying what was refused */
    /* what the reader keeps between calls; zero the struct before the first */
    bool chunked, until_close;
    unsigned long long length;
    size_t scanned;
} tapi_http_reply;

/* Reads the response at the start of data[0..len). eof: the peer closed the connection
 * after these bytes (a body without a length ends there). Interim (1xx) responses are
 * skipped. Framing (section 6): chunked when Transfer-Encoding is exactly "chunked" (no
 * other coding is decoded, so any other is refused), else Content-Length: 1*DIGIT,
 * repeated only with the same value and never beside Transfer-Encoding; without either,
 * 204 and 304 have no body and others last until the connection closes. A chunked body
 * is decoded into data in place when it is whole, so data must be writable. */
tapi_http_state tapi_http_reply_read(char *data, size_t len, bool eof, size_t max_body,
                                     tapi_http_reply *r);

/* The value of the first header named name (any case) in the response's head, outer
 * whitespace trimmed, or NULL; *len gets its length. */
const char *tapi_http_header(const char *data, const tapi_http_reply *r, const char *name,
                             size_t *len);

#endif
