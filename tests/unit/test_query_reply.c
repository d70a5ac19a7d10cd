/* Unit tests for src/store/dynamodb/query_reply.c: the one-pass reader of DynamoDB Query
 * replies, and of the one item of GetItem's and UpdateItem's.
 * Its values are checked against cJSON's reading of the same text, every cut-short copy
 * of a reply is refused, and so is each way a reply can be malformed. */
#include "test_support.h"

#include <cjson/cJSON.h>

#include "../../src/store/dynamodb/query_reply.h"

static const char *const NAMES[] = {"id", "title", "description", "status", "createdAt", "updatedAt", "version"};
static const tapi_qr_want WANT = {.names = NAMES, .types = "SSSSSSN", .count = 7};

/* Everything the callback saw, copied out (the scan's strings do not outlive it). */
typedef struct seen {
    size_t items;
    char *values[8][7];
    bool wrong_type[8][7];
    tapi_err fail_at_item; /* returned for item 1 when not TAPI_OK */
} seen;

static tapi_err record(void *ctx, const tapi_qr_item *it)
{
    seen *s = ctx;
    if (s->items == 1 && s->fail_at_item != TAPI_OK) return s->fail_at_item;
    assert_true(s->items < 8);
    for (size_t i = 0; i < 7; i++) {
        s->values[s->items][i] = it->values[i] ? strdup(it->values[i]) : NULL;
        s->wrong_type[s->items][i] = it->wrong_type[i];
    }
    s->items++;
    return TAPI_OK;
}

static tapi_err copy_presence(void *ctx, const tapi_qr_item *it)
{
    tapi_qr_item **out = ctx;
    **out = *it; /* only its flags are looked at: the strings end with the scan */
    return TAPI_OK;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < 8; i++)
        for (size_t k = 0; k < 7; k++) free(s->values[i][k]);
    memset(s, 0, sizeof *s);
}

static tapi_err scan(const char *json, seen *s, const char **last, size_t *last_len)
{
    return tapi_query_reply_scan(json, strlen(json), &WANT, record, s, last, last_len);
}

/* What DynamoDB sends: keys in any order, attributes the reader does not want (maps,
 * lists, numbers, booleans, null), escapes of every kind, raw UTF-8, the counts. */
static const char REPLY[] =
    "{\"Count\":2,\"Items\":[{\"shard\":{\"S\":\"3\"},\"id\":{\"S\":\"0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d\"},"
    "\"title\":{\"S\":\"say \\\"hi\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\\u20AC \\ud83d\\ude00 \xc3\xa9\"},"
    "\"description\":{\"S\":\"\"},\"status\":{\"S\":\"todo\"},\"createdAt\":{\"S\":\"2026-11-25T03:19:15.123Z\"},"
    "\"updatedAt\":{\"S\":\"2026-11-25T03:19:15.123Z\"},\"version\":{\"N\":\"12\"},"
    "\"tags\":{\"L\":[{\"S\":\"a\"},{\"M\":{\"x\":{\"N\":\"-1.5e+3\"},\"y\":{\"BOOL\":true},\"z\":{\"NULL\":true}}}]}},\n"
    " {\"version\":{\"S\":\"7\"},\"title\":{\"N\":\"5\"},\"id\":{\"S\":\"second\"},\"weird\":[1,2,{\"k\":[]}],"
    "\"description\":{\"S\":\"d\",\"N\":\"1\"}}],"
    "\"LastEvaluatedKey\":{\"id\":{\"S\":\"x\\\"y\"},\"sk\":{\"S\":\"2026\"}},\"ScannedCount\":2,"
    "\"ConsumedCapacity\":null}  \n";

static void reads_the_wanted_attributes_of_every_item(void **state)
{
    (void)state;
    seen s = {0};
    const char *last;
    size_t last_len;
    assert_int_equal(scan(REPLY, &s, &last, &last_len), TAPI_OK);
    assert_int_equal(s.items, 2);
    assert_string_equal(s.values[0][0], "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d");
    assert_string_equal(s.values[0][1], "say \"hi\" \\ / \b\f\n\r\t \xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9");
    assert_string_equal(s.values[0][2], "");
    assert_string_equal(s.values[0][3], "todo");
    assert_string_equal(s.values[0][6], "12");
    for (size_t k = 0; k < 7; k++) assert_false(s.wrong_type[0][k]);
    /* the second item: absent, and present with another type */
    assert_null(s.values[1][6]);
    assert_true(s.wrong_type[1][6]);
    assert_null(s.values[1][1]);
    assert_true(s.wrong_type[1][1]);
    assert_string_equal(s.values[1][2], "d"); /* the wanted type wins over another one */
    assert_false(s.wrong_type[1][2]);
    assert_null(s.values[1][3]);
    assert_false(s.wrong_type[1][3]);
    static const char lek[] = "{\"id\":{\"S\":\"x\\\"y\"},\"sk\":{\"S\":\"2026\"}}";
    assert_int_equal(last_len, strlen(lek));
    assert_memory_equal(last, lek, last_len);
    seen_free(&s);
}

/* The same strings cJSON reads from the same text. */
static void agrees_with_cjson(void **state)
{
    (void)state;
    seen s = {0};
    const char *last;
    size_t last_len;
    assert_int_equal(scan(REPLY, &s, &last, &last_len), TAPI_OK);
    cJSON *root = cJSON_Parse(REPLY);
    assert_non_null(root);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "Items"), *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, items) {
        for (size_t k = 0; k < 7; k++) {
            const cJSON *attr = cJSON_GetObjectItemCaseSensitive(it, NAMES[k]);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(attr, k == 6 ? "N" : "S");
            if (cJSON_IsString(v)) assert_string_equal(s.values[i][k], v->valuestring);
            else assert_null(s.values[i][k]);
        }
        i++;
    }
    assert_int_equal(i, s.items);
    cJSON *lek = cJSON_ParseWithLength(last, last_len);
    assert_true(cJSON_Compare(lek, cJSON_GetObjectItemCaseSensitive(root, "LastEvaluatedKey"), true));
    cJSON_Delete(lek);
    cJSON_Delete(root);
    seen_free(&s);
}

/* A reply cut short anywhere (a connection that died mid-body) is never taken. */
static void refuses_every_prefix(void **state)
{
    (void)state;
    size_t n = strlen(REPLY);
    while (n > 0 && strchr(" \n", REPLY[n - 1])) n--; /* trailing space is not content */
    for (size_t cut = 0; cut < n; cut++) {
        seen s = {0};
        const char *last;
        size_t last_len;
        char *copy = strndup(REPLY, cut); /* exactly cut bytes: ASan sees any overread */
        assert_int_equal(tapi_query_reply_scan(copy, cut, &WANT, record, &s, &last, &last_len), TAPI_EINVAL);
        assert_null(last);
        free(copy);
        seen_free(&s);
    }
}

/* Keys are read in place when they hold no escape; one spelled with escapes (the member,
 * an attribute's name, its type, LastEvaluatedKey) names the same thing, and a key with a
 * raw control character or a cut-short escape is refused as a value would be. */
static void reads_escaped_keys_as_their_text(void **state)
{
    (void)state;
    static const char escaped[] =
        "{\"It\\u0065ms\":[{\"\\u0069d\":{\"\\u0053\":\"a\"},\"t\\u0069tle\":{\"S\":\"T\"},"
        "\"version\":{\"\\u004e\":\"3\"}}],\"LastEval\\u0075atedKey\":{\"id\":{\"S\":\"a\"}}}";
    seen s = {0};
    const char *last = NULL;
    size_t last_len = 0;
    assert_int_equal(scan(escaped, &s, &last, &last_len), TAPI_OK);
    assert_int_equal(s.items, 1);
    assert_string_equal(s.values[0][0], "a");
    assert_string_equal(s.values[0][1], "T");
    assert_string_equal(s.values[0][6], "3");
    assert_non_null(last);
    assert_int_equal(last_len, strlen("{\"id\":{\"S\":\"a\"}}"));
    seen_free(&s);
    static const char *const bad[] = {
        "{\"Items\":[{\"i\td\":{\"S\":\"a\"}}]}",     /* raw tab in an attribute's name */
        "{\"Items\":[{\"id\":{\"S\x01\":\"a\"}}]}",   /* raw control character in a type */
        "{\"Ite\nms\":[]}",                              /* and in a member's name */
        "{\"Items\":[{\"i\\u00\":{\"S\":\"a\"}}]}", /* an escape cut short */
        "{\"Items\":[{\"id",                            /* a key the reply ends in */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seen b = {0};
        if (scan(bad[i], &b, &last, &last_len) != TAPI_EINVAL) fail_msg("accepted: %s", bad[i]);
        seen_free(&b);
    }
}

static void refuses_malformed_replies(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{}",                                            /* no Items */
        "{\"Items\":{}}",                                /* not an array */
        "{\"Items\":[1]}",                               /* an item that is not an object */
        "{\"Items\":[],}",                               /* trailing comma */
        "{\"Items\":[]} x",                              /* trailing text */
        "{\"Items\":[{\"id\":{\"S\":\"\\ud83d\"}}]}",    /* lone high surrogate */
        "{\"Items\":[{\"id\":{\"S\":\"\\ude00\"}}]}",    /* lone low surrogate */
        "{\"Items\":[{\"id\":{\"S\":\"\\ud83d\\u0041\"}}]}", /* high half then not a low one */
        "{\"Items\":[{\"id\":{\"S\":\"a\\u0000b\"}}]}",  /* NUL */
        "{\"Items\":[{\"id\":{\"S\":\"a\tb\"}}]}",       /* raw control character */
        "{\"Items\":[{\"id\":{\"S\":\"\\x41\"}}]}",      /* no such escape */
        "{\"Items\":[{\"id\":{\"S\":\"\\u12G4\"}}]}",    /* not hex */
        "{\"Items\":[{\"n\":01}]}",                      /* leading zero */
        "{\"Items\":[{\"n\":1.}]}",
        "{\"Items\":[{\"n\":-}]}",
        "{\"Items\":[{\"n\":1e}]}",
        "{\"Items\":[{\"n\":tru}]}",
        "{\"Items\":[{\"id\" {\"S\":\"a\"}}]}",          /* missing colon */
        "{\"Items\":[{\"id\":{\"S\":\"a\"}]}",           /* unclosed attribute */
        "{\"Items\":[],\"LastEvaluatedKey\":[1]}",       /* a key that is not an object */
        "{\"Items\":[],\"LastEvaluatedKey\":{\"a\":}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seen s = {0};
        const char *last;
        size_t last_len;
        if (scan(bad[i], &s, &last, &last_len) != TAPI_EINVAL) fail_msg("accepted: %s", bad[i]);
        seen_free(&s);
    }
}

/* Nesting is bounded: a deep unknown attribute is refused, not recursed into without end. */
static void bounds_nesting(void **state)
{
    (void)state;
    for (int depth = 50; depth <= 200; depth += 150) {
        char *json = malloc(64 + 2 * (size_t)depth);
        int n = sprintf(json, "{\"Items\":[{\"deep\":");
        for (int i = 0; i < depth; i++) json[n++] = '[';
        for (int i = 0; i < depth; i++) json[n++] = ']';
        strcpy(json + n, "}]}");
        seen s = {0};
        const char *last;
        size_t last_len;
        assert_int_equal(scan(json, &s, &last, &last_len), depth < 60 ? TAPI_OK : TAPI_EINVAL);
        seen_free(&s);
        free(json);
    }
}

static void stops_at_the_callers_error_and_reads_an_empty_page(void **state)
{
    (void)state;
    seen s = {.fail_at_item = TAPI_ENOMEM};
    const char *last;
    size_t last_len;
    assert_int_equal(scan(REPLY, &s, &last, &last_len), TAPI_ENOMEM);
    assert_int_equal(s.items, 1);
    seen_free(&s);
    assert_int_equal(scan("{\"Items\":[],\"Count\":0}", &s, &last, &last_len), TAPI_OK);
    assert_int_equal(s.items, 0);
    assert_null(last);
    assert_int_equal(last_len, 0);
}

/* A GetItem or UpdateItem reply: its one item under the member asked for, the first of
 * repeated members and attributes, any attribute's presence whatever its type, and
 * nothing from a reply that is not whole JSON or whose member is not an object. */
static void reads_the_item_of_a_single_item_reply(void **state)
{
    (void)state;
    seen s = {0};
    bool found = true;
    const char *text = "{\"ConsumedCapacity\":{\"x\":[1,2]},\"Item\":{\"title\":{\"S\":\"first\"},"
                       "\"title\":{\"S\":\"second\"},\"id\":{\"S\":\"a\\u00e9\"},\"version\":{}},"
                       "\"Item\":{\"title\":{\"S\":\"another item\"}}}";
    assert_int_equal(tapi_item_reply_scan(text, strlen(text), "Item", &WANT, record, &s, &found), TAPI_OK);
    assert_true(found);
    assert_int_equal(s.items, 1);
    assert_string_equal(s.values[0][1], "first");
    assert_string_equal(s.values[0][0], "a\xc3\xa9");
    assert_null(s.values[0][6]);
    seen_free(&s);

    /* present even when of no wanted type, or an empty map */
    static const char *const names[] = {"tomb", "owner"};
    static const tapi_qr_want want = {.names = names, .types = "SS", .count = 2};
    tapi_qr_item last;
    const char *tomb = "{\"Attributes\":{\"tomb\":{}}}";
    tapi_qr_item *ctx = &last;
    assert_int_equal(tapi_item_reply_scan(tomb, strlen(tomb), "Attributes", &want,
                                          copy_presence, &ctx, &found), TAPI_OK);
    assert_true(found);
    assert_true(last.present[0]);
    assert_false(last.present[1]);

    const char *absent = "{}";
    assert_int_equal(tapi_item_reply_scan(absent, 2, "Item", &WANT, record, &s, &found), TAPI_OK);
    assert_false(found);
    assert_int_equal(s.items, 0);

    const char *bad[] = {"{\"Item\":[]}", "{\"Item\":\"x\"}", "{\"Item\":{}} x", "{\"Item\":{}",
                         "[{\"Item\":{}}]", "{\"Item\":{\"id\":{\"S\":\"\\u0000\"}}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tapi_item_reply_scan(bad[i], strlen(bad[i]), "Item", &WANT, record, &s, &found),
                         TAPI_EINVAL);
        seen_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_wanted_attributes_of_every_item),
        cmocka_unit_test(agrees_with_cjson),
        cmocka_unit_test(refuses_every_prefix),
        cmocka_unit_test(reads_escaped_keys_as_their_text),
        cmocka_unit_test(refuses_malformed_replies),
        cmocka_unit_test(bounds_nesting),
        cmocka_unit_test(stops_at_the_callers_error_and_reads_an_empty_page),
        cmocka_unit_test(reads_the_item_of_a_single_item_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
