/* HTTP/1.1 response reader; see http_reply.h. Strict where the peer could smuggle: lines
 * end in CRLF, one framing only, chunk sizes in plain hex. */
#include "http_reply.h"

#include <string.h>
#include <strings.h>

/* The header lines of the head: past the status line. */
static const char *fields(const char *data, const tapi_http_reply *r)
{
    const char *lf = memchr(data + r->head, '\n', r->head_end - r->head);
    return lf ? lf + 1 : data + r->head_end;
}

/* The value of line [line, eol) if it is a field named name (nl bytes), else NULL; *len
 * gets the value's length, outer whitespace trimmed. */
static const char *field_value(const char *line, const char *eol, const char *name, size_t nl,
                               size_t *len)
{
    if ((size_t)(eol - line) <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return NULL;
    const char *v = line + nl + 1, *ve = eol;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    *len = (size_t)(ve - v);
    return v;
}

const char *tapi_http_header(const char *data, const tapi_http_reply *r, const char *name,
                             size_t *len)
{
    size_t nl = strlen(name);
    for (const char *at = fields(data, r), *end = data + r->head_end; at < end;) {
        const char *line = at, *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        at = eol + 1;
        const char *v = field_value(line, eol, name, nl, len);
        if (v) return v;
    }
    return NULL;
}

/* The body's framing from the head (section 6), in one pass over its lines; false when it
 * is not one we accept. */
static bool framing(const char *data, tapi_http_reply *r)
{
    const char *at = fields(data, r), *end = data + r->head_end, *v;
    size_t n;
    unsigned codings = 0;
    bool have_length = false, close = false;
    r->length = 0;
    while (at < end) {
        const char *line = at, *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        at = eol + 1;
        if ((v = field_value(line, eol, "Transfer-Encoding", 17, &n))) {
            if (++codings > 1 || n != 7 || strncasecmp(v, "chunked", 7) != 0) return false;
        } else if ((v = field_value(line, eol, "Content-Length", 14, &n))) {
            if (n == 0 || n > 18) return false;
            unsigned long long value = 0;
            for (size_t i = 0; i < n; i++) {
                if (v[i] < '0' || v[i] > '9') return false;
                value = value * 10 + (unsigned)(v[i] - '0');
            }
            if (have_length && value != r->length) return false;
            have_length = true;
            r->length = value;
        } else if ((v = field_value(line, eol, "Connection", 10, &n))) {
            close = close || (n == 5 && strncasecmp(v, "close", 5) == 0);
        }
    }
    r->chunked = codings == 1;
    if (r->chunked && have_length) return false;
    r->until_close = !r->chunked && !have_length && r->status != 204 && r->status != 304;
    r->close = r->until_close || close;
    return true;
}

/* A CRLF-terminated line at data[p..len): *eol gets the offset of its CR. MORE while
 * incomplete, BAD when a bare LF ends it. */
static tapi_http_state line_at(const char *data, size_t len, size_t p, size_t *eol)
{
    const char *lf = memchr(data + p, '\n', len - p);
    if (!lf) return TAPI_HTTP_MORE;
    size_t at = (size_t)(lf - data);
    if (at == p || data[at - 1] != '\r') return TAPI_HTTP_BAD;
    *eol = at - 1;
    return TAPI_HTTP_DONE;
}

/* Checks the chunks from r->scanned on (section 7.1: chunk-size is 1*HEXDIG, then
 * extensions, ignored, then CRLF; the data then CRLF; the last chunk then trailer lines
 * and an empty line), keeping in r->scanned and r->length how far the whole chunks go,
 * so each byte is looked at once however the body arrives. DONE sets r->consumed. */
static tapi_http_state check_chunks(const char *data, size_t len, size_t max_body,
                                    tapi_http_reply *r)
{
    for (;;) {
        size_t p = r->scanned, eol;
        tapi_http_state s = line_at(data, len, p, &eol);
        if (s != TAPI_HTTP_DONE) return s;
        unsigned long long size = 0;
        size_t digits = 0;
        for (; p + digits < eol; digits++) {
            char c = data[p + digits];
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0) break;
            if (digits >= 15) return TAPI_HTTP_TOO_BIG; /* far past any cap */
            size = size * 16 + (unsigned)v;
        }
        if (digits == 0 || (p + digits < eol && data[p + digits] != ';')) return TAPI_HTTP_BAD;
        if (size > max_body || r->length + size > max_body) return TAPI_HTTP_TOO_BIG;
        p = eol + 2;
        if (size == 0) { /* the last chunk: trailer lines, then an empty line */
            for (;;) {
                if ((s = line_at(data, len, p, &eol)) != TAPI_HTTP_DONE) return s;
                bool empty = eol == p;
                p = eol + 2;
                if (empty) break;
            }
            r->consumed = p;
            return TAPI_HTTP_DONE;
        }
        if (len - p < size + 2) return TAPI_HTTP_MORE;
        if (memcmp(data + p + size, "\r\n", 2) != 0) return TAPI_HTTP_BAD;
        r->length += size;
        r->scanned = p + (size_t)size + 2;
    }
}

/* Moves the chunks' data (checked whole) together at the body's start. */
static void join_chunks(char *data, tapi_http_reply *r)
{
    size_t p = r->head_end, out = r->head_end;
    for (;;) {
        unsigned long long size = 0;
        for (char c; (c = data[p]) != '\r' && c != ';'; p++)
            size = size * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        p = (size_t)((char *)memchr(data + p, '\n', r->consumed - p) - data) + 1;
        if (size == 0) break;
        memmove(data + out, data + p, (size_t)size);
        out += (size_t)size;
        p += (size_t)size + 2;
    }
    r->body = r->head_end;
    r->body_len = out - r->head_end;
}

/* Finds the end of the head from r->scanned on; reads its status line. */
static tapi_http_state read_head(const char *data, size_t len, tapi_http_reply *r)
{
    while (!r->head_end) { /* from each LF, look back for the CRLF CRLF it may end */
        /* nothing to look at yet: data may still be NULL, which memchr must not see */
        const char *lf = r->scanned < len ? memchr(data + r->scanned, '\n', len - r->scanned) : NULL;
        if (!lf) {
            r->scanned = len;
            break;
        }
        size_t at = (size_t)(lf - data);
        if (at >= r->head + 3 && memcmp(lf - 3, "\r\n\r", 3) == 0) r->head_end = at + 1;
        r->scanned = at + 1;
    }
    if (!r->head_end)
        return len - r->head > TAPI_HTTP_HEAD_MAX ? TAPI_HTTP_TOO_BIG : TAPI_HTTP_MORE;
    if (r->head_end - r->head > TAPI_HTTP_HEAD_MAX) return TAPI_HTTP_TOO_BIG;
    /* HTTP/1.x NNN, then a space or the line's end */
    const char *sl = data + r->head;
    if (strncmp(sl, "HTTP/1.", 7) != 0 || (sl[7] != '0' && sl[7] != '1') || sl[8] != ' ' ||
        sl[9] < '1' || sl[9] > '5' || sl[10] < '0' || sl[10] > '9' || sl[11] < '0' ||
        sl[11] > '9' || (sl[12] != ' ' && sl[12] != '\r'))
        return TAPI_HTTP_BAD;
    r->status = (sl[9] - '0') * 100 + (sl[10] - '0') * 10 + (sl[11] - '0');
    return TAPI_HTTP_DONE;
}

tapi_http_state tapi_http_reply_read(char *data, size_t len, bool eof, size_t max_body,
                                     tapi_http_reply *r)
{
    while (!r->head_end) {
        if (r->scanned < r->head) r->scanned = r->head;
        tapi_http_state s = read_head(data, len, r);
        if (s == TAPI_HTTP_BAD) r->why = "malformed status line";
        if (s != TAPI_HTTP_DONE) return s;
        if (r->status == 101) { /* we never ask to switch protocols */
            r->why = "unasked-for 101 Switching Protocols";
            return TAPI_HTTP_BAD;
        }
        if (r->status >= 200) {
            if (!framing(data, r)) {
                r->why = "response framing refused (Transfer-Encoding other than chunked, or "
                         "a malformed or conflicting Content-Length)";
                return TAPI_HTTP_BAD;
            }
            r->scanned = r->head_end;
            break;
        }
        r->head = r->scanned = r->head_end; /* an interim response: the final one follows */
        r->head_end = 0;
    }
    if (r->chunked) {
        tapi_http_state s = check_chunks(data, len, max_body, r);
        if (s == TAPI_HTTP_DONE) join_chunks(data, r);
        if (s == TAPI_HTTP_BAD) r->why = "malformed chunked body";
        return s;
    }
    size_t have = len - r->head_end;
    if (r->until_close) {
        if (have > max_body) return TAPI_HTTP_TOO_BIG;
        if (!eof) return TAPI_HTTP_MORE;
        r->length = have;
    }
    if (r->length > max_body) return TAPI_HTTP_TOO_BIG;
    if (have < r->length) return TAPI_HTTP_MORE;
    r->body = r->head_end;
    r->body_len = (size_t)r->length;
    r->consumed = r->head_end + (size_t)r->length;
    return TAPI_HTTP_DONE;
}
