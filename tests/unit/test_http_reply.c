/* Unit tests for src/core/http_reply.c: the HTTP/1.1 response reader both of our clients
 * (Lambda's Runtime API, DynamoDB) read every answer with. */
#include "test_support.h"

#include <stdlib.h>

#include "../../src/core/http_reply.h"

/* Feeds text to the reader one byte more at a time, as a slow peer would send it, and
 * returns the state once the whole of it is there; every shorter prefix must be MORE. */
static tapi_http_state read_bytewise(const char *text, size_t max_body, char **copy,
                                     tapi_http_reply *r)
{
    size_t n = strlen(text);
    *copy = malloc(n + 1);
    assert_non_null(*copy);
    memset(r, 0, sizeof *r);
    for (size_t len = 0; len < n; len++) {
        memcpy(*copy, text, len);
        (*copy)[len] = '\0';
        tapi_http_state s = tapi_http_reply_read(*copy, len, false, max_body, r);
        if (s != TAPI_HTTP_MORE) return s; /* refused before the end: the caller checks */
    }
    memcpy(*copy, text, n + 1);
    return tapi_http_reply_read(*copy, n, false, max_body, r);
}

static void reads_a_content_length_body_however_it_arrives(void **state)
{
    (void)state;
    const char *text = "HTTP/1.1 200 OK\r\nx-amzn-RequestId: abc\r\nContent-Length: 5\r\n"
                       "content-type: application/x-amz-json-1.0\r\n\r\n{\"a\":"
                       "HTTP/1.1 200 OK\r\n"; /* what follows is not this response's */
    char *data;
    tapi_http_reply r;
    assert_int_equal(read_bytewise(text, 100, &data, &r), TAPI_HTTP_DONE);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(data + r.body, "{\"a\":", 5);
    assert_int_equal(r.consumed, strstr(text, "{\"a\":") - text + 5);
    assert_false(r.close);
    size_t n;
    const char *v = tapi_http_header(data, &r, "X-Amzn-RequestID", &n);
    assert_non_null(v);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "abc", 3);
    assert_null(tapi_http_header(data, &r, "HTTP/1.1 200 OK", &n));
    free(data);
}

static void decodes_chunks_in_place(void **state)
{
    (void)state;
    const char *text = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n"
                       "Connection: close\r\n\r\n"
                       "4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nextra";
    char *data;
    tapi_http_reply r;
    assert_int_equal(read_bytewise(text, 100, &data, &r), TAPI_HTTP_DONE);
    assert_int_equal(r.status, 400);
    assert_true(r.close);
    assert_int_equal(r.body_len, 14);
    assert_memory_equal(data + r.body, "abcd0123456789", 14);
    assert_int_equal(r.consumed, strlen(text) - strlen("extra"));
    free(data);
}

static void skips_interim_responses_and_knows_bodies_without_a_length(void **state)
{
    (void)state;
    char *data;
    tapi_http_reply r;
    assert_int_equal(read_bytewise("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n"
                                   "Date: x\r\n\r\n",
                                   100, &data, &r),
                     TAPI_HTTP_DONE);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body_len, 0);
    assert_false(r.close);
    assert_null(tapi_http_header(data, &r, "Content-Length", &(size_t){0}));
    free(data);

    /* neither length nor chunks: the body lasts until the connection closes */
    const char *text = "HTTP/1.0 200 OK\r\n\r\n{}";
    assert_int_equal(read_bytewise(text, 100, &data, &r), TAPI_HTTP_MORE);
    assert_int_equal(tapi_http_reply_read(data, strlen(text), true, 100, &r), TAPI_HTTP_DONE);
    assert_true(r.close);
    assert_int_equal(r.body_len, 2);
    free(data);
}

static void a_cut_short_response_is_never_done(void **state)
{
    (void)state;
    /* nothing read yet: a client's empty buffer may have no memory at all */
    tapi_http_reply empty = {0};
    assert_int_equal(tapi_http_reply_read(NULL, 0, false, 100, &empty), TAPI_HTTP_MORE);
    assert_int_equal(tapi_http_reply_read(NULL, 0, true, 100, &empty), TAPI_HTTP_MORE);
    const char *texts[] = {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345",
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
                           "HTTP/1.1 200 OK\r\nContent-"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *data = strdup(texts[i]);
        tapi_http_reply r = {0};
        assert_int_equal(tapi_http_reply_read(data, strlen(data), true, 100, &r), TAPI_HTTP_MORE);
        free(data);
    }
}

static void refuses_what_could_be_smuggled_or_misread(void **state)
{
    (void)state;
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nabcde",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 4\r\n\r\nabcde",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabcde",
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/2 200\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nabcde\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nabcde\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nabcde\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdeXX0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *data;
        tapi_http_reply r;
        tapi_http_state s = read_bytewise(bad[i], 100, &data, &r);
        if (s != TAPI_HTTP_BAD) fail_msg("case %zu: state %d", i, (int)s);
        assert_non_null(r.why);
        free(data);
    }
}

static void bounds_the_head_and_the_body(void **state)
{
    (void)state;
    const char *big[] = {"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n",
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
                         "HTTP/1.1 200 OK\r\n\r\n12345678901"};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        char *data;
        tapi_http_reply r;
        tapi_http_state s = read_bytewise(big[i], 10, &data, &r);
        if (s != TAPI_HTTP_TOO_BIG) fail_msg("case %zu: state %d", i, (int)s);
        free(data);
    }
    /* a head that never ends is refused once it is over the bound, not read forever */
    size_t n = TAPI_HTTP_HEAD_MAX + 64;
    char *head = malloc(n + 1);
    assert_non_null(head);
    memcpy(head, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(head + 20, 'a', n - 20);
    head[n] = '\0';
    tapi_http_reply r = {0};
    assert_int_equal(tapi_http_reply_read(head, n, false, 10, &r), TAPI_HTTP_TOO_BIG);
    free(head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_content_length_body_however_it_arrives),
        cmocka_unit_test(decodes_chunks_in_place),
        cmocka_unit_test(skips_interim_responses_and_knows_bodies_without_a_length),
        cmocka_unit_test(a_cut_short_response_is_never_done),
        cmocka_unit_test(refuses_what_could_be_smuggled_or_misread),
        cmocka_unit_test(bounds_the_head_and_the_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
