/* The floor of the Lambda benchmark: what an invocation cannot cost less than. Plain C and
 * libc sockets; per invocation it makes exactly the exchanges the bootstrap makes for the
 * same event — GET the next event, the same number of DynamoDB requests of about the same
 * size (canned bodies, a dummy signature), POST a canned answer — on kept-alive
 * connections, with no parsing beyond finding the route, no signing and no logging. The
 * bootstrap's CPU per invocation divided by this one's is how much of its cost is its own.
 * Built by `make bench` (not part of the product). Environment: AWS_LAMBDA_RUNTIME_API,
 * AWS_ENDPOINT_URL_DYNAMODB (http://host:port), TABLE_NAME. */
#define _GNU_SOURCE /* strcasestr */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF = 1 << 20, SHARDS = 4 };

typedef struct conn {
    int fd;
    char *buf;
    size_t len; /* bytes read and not yet consumed */
} conn;

static int dial(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0) return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one HTTP response into c->buf; *body points at its body of *body_len bytes (a
 * chunked body as it came: one chunk, searched as it is). The headers and body usually
 * arrive in one read. */
static int read_reply(conn *c, char **body, size_t *body_len)
{
    c->len = 0;
    char *end = NULL;
    size_t want = 0;
    int chunked = 0;
    for (;;) {
        c->buf[c->len] = '\0';
        if (!end) {
            end = strstr(c->buf, "\r\n\r\n");
            if (end) {
                const char *cl = strcasestr(c->buf, "\ncontent-length:");
                size_t n = cl ? strtoul(cl + 16, NULL, 10) : 0;
                want = (size_t)(end + 4 - c->buf) + n;
                chunked = !cl && strcasestr(c->buf, "\ntransfer-encoding: chunked") != NULL;
            }
        }
        if (end && chunked && c->len >= 5 && memcmp(c->buf + c->len - 5, "0\r\n\r\n", 5) == 0) {
            want = c->len;
            break;
        }
        if (end && !chunked && c->len >= want) break;
        ssize_t r = read(c->fd, c->buf + c->len, BUF - 1 - c->len);
        if (r <= 0) return -1;
        c->len += (size_t)r;
    }
    *body = end + 4;
    *body_len = want - (size_t)(end + 4 - c->buf);
    return 0;
}

static const char *ddb_host, *ddb_port, *table;
static conn ddb[SHARDS];

/* One DynamoDB request of the bootstrap's size and shape (headers as it sends them). */
static int ddb_send(conn *c, const char *target, const char *body)
{
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: %s:%s\r\nAccept: */*\r\n"
                     "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.%s\r\n"
                     "X-Amz-Date: 20261201T000000Z\r\nX-Amz-Security-Token: bench-token\r\n"
                     "Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20261201/us-east-1/dynamodb/"
                     "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;"
                     "x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     ddb_host, ddb_port, target, strlen(body));
    return send_all(c->fd, head, (size_t)n) || send_all(c->fd, body, strlen(body));
}

static int ddb_call(conn *c, const char *target, const char *body)
{
    char *reply;
    size_t len;
    return ddb_send(c, target, body) || read_reply(c, &reply, &len);
}

static const char ITEM_KEY[] = "00000000-0000-4000-8000-00000000f100";

static int put_item(void)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"Item\":{\"id\":{\"S\":\"%s\"},\"owner\":{\"S\":\"floor\"},"
             "\"title\":{\"S\":\"bench task\"},\"description\":{\"S\":\"measured\"},\"status\":{\"S\":\"todo\"},"
             "\"createdAt\":{\"S\":\"2026-12-01T00:00:00.000Z\"},\"updatedAt\":{\"S\":\"2026-12-01T00:00:00.000Z\"},"
             "\"version\":{\"N\":\"1\"},\"creator\":{\"S\":\"0123456789abcdef0123456789abcdef\"}}}",
             table, ITEM_KEY);
    return ddb_call(&ddb[0], "PutItem", body);
}

static int get_item(void)
{
    char body[256];
    snprintf(body, sizeof body, "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"%s\"}},\"ConsistentRead\":true}",
             table, ITEM_KEY);
    return ddb_call(&ddb[0], "GetItem", body);
}

static int update_item(void)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"%s\"}},\"UpdateExpression\":\"SET #u = :u, "
             "#w = :w, #s = :s ADD #v :one\",\"ConditionExpression\":\"attribute_exists(#id)\","
             "\"ExpressionAttributeNames\":{\"#id\":\"id\",\"#u\":\"updatedAt\",\"#w\":\"writeId\",\"#s\":"
             "\"status\",\"#v\":\"version\"},\"ExpressionAttributeValues\":{\":u\":{\"S\":"
             "\"2026-12-01T00:00:01.000Z\"},\":w\":{\"S\":\"0123456789abcdef0123456789abcdef\"},\":s\":"
             "{\"S\":\"done\"},\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}",
             table, ITEM_KEY);
    return ddb_call(&ddb[0], "UpdateItem", body);
}

/* A list: one Query per shard, all sent before any reply is read (as the bootstrap's curl
 * multi does), each asking for its share of the page; *found is how many items came back
 * (DynamoDB's "Count" of each reply), so the answer can hold as many tasks as the
 * bootstrap's page does. */
static int query_shards(int *found)
{
    *found = 0;
    for (int k = 0; k < SHARDS; k++) {
        char body[768];
        snprintf(body, sizeof body,
                 "{\"TableName\":\"%s\",\"IndexName\":\"by-created\",\"KeyConditionExpression\":\"#sh = :sh\","
                 "\"ExpressionAttributeNames\":{\"#sh\":\"shard\",\"#i\":\"id\",\"#t\":\"title\",\"#d\":"
                 "\"description\",\"#s\":\"status\",\"#c\":\"createdAt\",\"#u\":\"updatedAt\",\"#v\":\"version\"},"
                 "\"ExpressionAttributeValues\":{\":sh\":{\"S\":\"%d\"}},\"ProjectionExpression\":"
                 "\"#i, #t, #d, #s, #c, #u, #v\",\"ScanIndexForward\":false,\"Limit\":21}",
                 table, k);
        if (ddb_send(&ddb[k], "Query", body)) return -1;
    }
    for (int k = 0; k < SHARDS; k++) {
        char *reply;
        size_t len;
        if (read_reply(&ddb[k], &reply, &len)) return -1;
        const char *count = strstr(reply, "\"Count\":");
        if (count) *found += atoi(count + 8);
    }
    return 0;
}

/* The answers, canned, of the sizes the bootstrap sends. */
enum { LIST_MAX = 50 }; /* the page size the bench's lists ask for */
static const char TASK[] =
    "{\\\"id\\\":\\\"00000000-0000-4000-8000-00000000f100\\\",\\\"title\\\":\\\"bench task\\\",\\\"description\\\":"
    "\\\"measured\\\",\\\"status\\\":\\\"todo\\\",\\\"createdAt\\\":\\\"2026-12-01T00:00:00.000Z\\\",\\\"updatedAt\\\":"
    "\\\"2026-12-01T00:00:00.000Z\\\",\\\"version\\\":1,\\\"etag\\\":\\\"\\\\\\\"1.1\\\\\\\"\\\"}";

/* A page of n canned tasks into out (sized for LIST_MAX), as a proxy response's body. */
static const char *page(char *out, int n)
{
    char *p = out + sprintf(out, "{\\\"items\\\":[");
    for (int i = 0; i < n; i++) p += sprintf(p, "%s%s", i ? "," : "", TASK);
    sprintf(p, "],\\\"nextToken\\\":\\\"bmV4dA\\\"}");
    return out;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API"), *endpoint = getenv("AWS_ENDPOINT_URL_DYNAMODB");
    table = getenv("TABLE_NAME");
    if (!api || !endpoint || !table || strncmp(endpoint, "http://", 7) != 0) return 2;
    static char api_host[256], ddb_hostbuf[256];
    snprintf(api_host, sizeof api_host, "%s", api);
    char *colon = strrchr(api_host, ':');
    if (!colon) return 2;
    *colon = '\0';
    snprintf(ddb_hostbuf, sizeof ddb_hostbuf, "%s", endpoint + 7);
    char *dcolon = strrchr(ddb_hostbuf, ':');
    if (!dcolon) return 2;
    *dcolon = '\0';
    ddb_host = ddb_hostbuf;
    ddb_port = dcolon + 1;
    conn rt = {.fd = dial(api_host, colon + 1), .buf = malloc(BUF)};
    for (int k = 0; k < SHARDS; k++) ddb[k] = (conn){.fd = dial(ddb_host, ddb_port), .buf = malloc(BUF)};
    if (rt.fd < 0 || !rt.buf) return 3;
    static char list[LIST_MAX * sizeof TASK + 64], answer[sizeof list + 512], req[512];
    for (;;) {
        static const char NEXT[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: rt\r\n\r\n";
        char *event;
        size_t event_len;
        if (send_all(rt.fd, NEXT, sizeof NEXT - 1) || read_reply(&rt, &event, &event_len)) return 0;
        if (strncmp(rt.buf, "HTTP/1.1 200", 12) != 0) return 0; /* the Runtime API gave up on us */
        char id[128] = "";
        const char *h = strcasestr(rt.buf, "\nLambda-Runtime-Aws-Request-Id:");
        if (h) sscanf(h + 31, " %127[^\r\n]", id);
        event[event_len] = '\0';
        /* the route, from what API Gateway matched */
        const char *m = strstr(event, "\"httpMethod\":\"");
        char method = m ? m[14] : '?'; /* P(OST|ATCH), G(ET), D(ELETE) */
        if (method == 'P' && m[15] == 'A') method = 'A';
        int item = strstr(event, "\"resource\":\"/tasks/{id}\"") != NULL;
        int status = 200, rc = 0;
        const char *body = TASK;
        if (method == 'P') { /* create: the malformed one needs no store */
            const char *b = strstr(event, "\"body\":\"");
            if (b && strstr(b, "\\\"title\\\": \"")) {
                status = 400;
                body = "{\\\"type\\\":\\\"tag:tasks-api,2026:problem/invalid_json\\\",\\\"status\\\":400}";
            } else {
                status = 201;
                rc = put_item();
            }
        } else if (method == 'G') {
            int found = 0;
            rc = item ? get_item() : query_shards(&found);
            if (!item) body = page(list, found < LIST_MAX ? found : LIST_MAX);
        } else if (method == 'A') {
            rc = update_item();
        } else if (method == 'D') {
            rc = update_item();
            status = 204;
            body = "";
        }
        if (rc) return 4;
        int n = snprintf(answer, sizeof answer,
                         "{\"statusCode\":%d,\"headers\":{\"Content-Type\":\"application/json; charset=utf-8\","
                         "\"X-Content-Type-Options\":\"nosniff\",\"Cache-Control\":\"no-store\"},\"body\":\"%s\","
                         "\"isBase64Encoded\":false}",
                         status, body);
        int hn = snprintf(req, sizeof req,
                          "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: rt\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                          id, n);
        char *reply;
        size_t reply_len;
        if (send_all(rt.fd, req, (size_t)hn) || send_all(rt.fd, answer, (size_t)n) ||
            read_reply(&rt, &reply, &reply_len))
            return 0;
    }
}
