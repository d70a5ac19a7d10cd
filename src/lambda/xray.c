/* X-Ray over UDP; see xray.h. */
#include "xray.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/hex.h"
#include "../core/json_writer.h"

struct tapi_xray {
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

/* Copies the value of key (e.g. "Root=") from a ';'-separated header into out. */
static bool header_value(const char *header, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = header; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
        while (*p == ' ') p++;
        if (strncmp(p, key, klen) != 0) continue;
        p += klen;
        size_t n = strcspn(p, ";");
        if (n == 0 || n >= cap) return false;
        memcpy(out, p, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

bool tapi_xray_parse(const char *header, tapi_xray_trace *out)
{
    memset(out, 0, sizeof *out);
    if (!header) return false;
    char sampled[4] = "";
    /* Root=1-{8 hex}-{24 hex}; Parent={16 hex} */
    if (!header_value(header, "Root=", out->root, sizeof out->root) ||
        strlen(out->root) != 35 || strncmp(out->root, "1-", 2) != 0 || out->root[10] != '-' ||
        !tapi_hex_valid(out->root + 2, 8) || !tapi_hex_valid(out->root + 11, 24) ||
        !header_value(header, "Parent=", out->parent, sizeof out->parent) ||
        strlen(out->parent) != 16 || !tapi_hex_valid(out->parent, 16)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    out->sampled = header_value(header, "Sampled=", sampled, sizeof sampled) &&
                   strcmp(sampled, "1") == 0;
    return true;
}

tapi_err tapi_xray_open(const char *address, tapi_xray **out)
{
    *out = NULL;
    if (!address || !*address || strlen(address) > 200) return TAPI_ECONFIG;
    char buf[208];
    const char *udp = strstr(address, "udp:");
    snprintf(buf, sizeof buf, "%s", udp ? udp + 4 : address);
    buf[strcspn(buf, " ")] = '\0';
    char *colon = strrchr(buf, ':');
    if (!colon) return TAPI_ECONFIG;
    *colon = '\0';
    const char *host = buf, *port = colon + 1;
    if (host[0] == '[') { /* [::1]:2000 */
        host++;
        size_t n = strlen(host);
        if (n == 0 || host[n - 1] != ']') return TAPI_ECONFIG;
        buf[n] = '\0'; /* drops the ']' (buf[0] is '[') */
    }
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0) return TAPI_ECONFIG;
    tapi_xray *x = calloc(1, sizeof *x);
    if (!x) {
        freeaddrinfo(ai);
        return TAPI_ENOMEM;
    }
    x->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    memcpy(&x->addr, ai->ai_addr, ai->ai_addrlen);
    x->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    if (x->fd < 0) {
        free(x);
        return TAPI_ECONFIG;
    }
    *out = x;
    return TAPI_OK;
}

void tapi_xray_close(tapi_xray *x)
{
    if (!x) return;
    close(x->fd);
    free(x);
}

void tapi_xray_begin(const tapi_xray_trace *trace, tapi_store_call *call)
{
    uint8_t id[8];
    if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id) return;
    tapi_hex_encode(id, sizeof id, call->span_id);
    snprintf(call->trace_header, sizeof call->trace_header, "Root=%s;Parent=%s;Sampled=1",
             trace->root, call->span_id);
}

static void put_seconds(tapi_buf *b, const char *name, int64_t us)
{
    char text[64];
    snprintf(text, sizeof text, ",\"%s\":%lld.%06lld", name, (long long)(us / 1000000),
             (long long)(us % 1000000));
    tapi_buf_puts(b, text);
}

tapi_err tapi_xray_format(const tapi_xray_trace *trace, const char *region,
                          const tapi_store_call *call, char **out, size_t *len)
{
    char num[96];
    tapi_buf b;
    tapi_buf_init(&b);
    tapi_buf_puts(&b, "{\"format\":\"json\",\"version\":1}\n{\"name\":\"DynamoDB\",\"id\":\"");
    tapi_buf_puts(&b, call->span_id);
    tapi_buf_puts(&b, "\",\"trace_id\":\"");
    tapi_buf_puts(&b, trace->root);
    tapi_buf_puts(&b, "\",\"parent_id\":\"");
    tapi_buf_puts(&b, trace->parent);
    tapi_buf_puts(&b, "\",\"type\":\"subsegment\",\"namespace\":\"aws\"");
    put_seconds(&b, "start_time", call->start_us);
    put_seconds(&b, "end_time", call->end_us > call->start_us ? call->end_us : call->start_us);
    tapi_buf_puts(&b, ",\"aws\":{\"operation\":");
    tapi_buf_json_string(&b, call->op, strlen(call->op));
    tapi_buf_puts(&b, ",\"table_name\":");
    tapi_buf_json_string(&b, call->resource, strlen(call->resource));
    if (region) {
        tapi_buf_puts(&b, ",\"region\":");
        tapi_buf_json_string(&b, region, strlen(region));
    }
    snprintf(num, sizeof num, ",\"retries\":%u}", call->attempts > 0 ? call->attempts - 1 : 0);
    tapi_buf_puts(&b, num);
    if (call->status > 0) {
        snprintf(num, sizeof num, ",\"http\":{\"response\":{\"status\":%d}}", call->status);
        tapi_buf_puts(&b, num);
    }
    if (call->error || call->throttled) tapi_buf_puts(&b, ",\"error\":true");
    if (call->throttled) tapi_buf_puts(&b, ",\"throttle\":true");
    if (call->fault) tapi_buf_puts(&b, ",\"fault\":true");
    tapi_buf_append(&b, "}", 1);
    return tapi_buf_take(&b, out, len);
}

void tapi_xray_send(tapi_xray *x, const tapi_xray_trace *trace, const char *region,
                    const tapi_store_call *call)
{
    if (!x || !trace->sampled || !call->span_id[0]) return;
    char *dgram;
    size_t len;
    if (tapi_xray_format(trace, region, call, &dgram, &len) != TAPI_OK) return;
    /* a full socket buffer or an absent daemon loses this subsegment, nothing more */
    (void)sendto(x->fd, dgram, len, MSG_DONTWAIT, (struct sockaddr *)&x->addr, x->addr_len);
    free(dgram);
}
