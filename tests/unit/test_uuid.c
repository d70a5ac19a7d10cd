/* Unit tests for src/core/uuid.c: version 4 ids, well formed and never repeated, across
 * many refills of each thread's random pool and from several threads at once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "../../src/core/uuid.h"

enum { PER_THREAD = 2000, THREADS = 4 };

static int by_text(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void *make_ids(void *arg)
{
    char(*ids)[37] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        if (tapi_uuid_v4(ids[i]) != TAPI_OK) return (void *)1;
    return NULL;
}

static void ids_are_v4_well_formed_and_distinct(void **state)
{
    (void)state;
    char(*ids)[37] = calloc(PER_THREAD * THREADS, 37);
    assert_non_null(ids);
    pthread_t t[THREADS];
    for (int k = 0; k < THREADS; k++) assert_int_equal(pthread_create(&t[k], NULL, make_ids, ids[k * PER_THREAD]), 0);
    for (int k = 0; k < THREADS; k++) {
        void *failed;
        pthread_join(t[k], &failed);
        assert_null(failed);
    }
    for (int i = 0; i < PER_THREAD * THREADS; i++) {
        assert_true(tapi_uuid_valid(ids[i], strlen(ids[i])));
        assert_int_equal(ids[i][14], '4');                   /* version */
        assert_non_null(strchr("89ab", ids[i][19]));         /* RFC 4122 variant */
    }
    qsort(ids, PER_THREAD * THREADS, 37, by_text);
    for (int i = 1; i < PER_THREAD * THREADS; i++) assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    free(ids);
}

/* The definition, spelled out byte by byte, for the check to be compared with. */
static bool reference_valid(const char *s, size_t len)
{
    if (len != 36) return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]) || s[i] == '\0') return false;
    }
    return true;
}

/* Every byte value at every position of a valid id, and every length around 36: accepted
 * exactly when the definition accepts it (uppercase, a dash out of place, NUL, bytes above
 * 0x7f all refused). */
static void validity_is_exactly_the_canonical_lowercase_form(void **state)
{
    (void)state;
    char id[40] = "0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d";
    assert_true(tapi_uuid_valid(id, 36));
    for (size_t at = 0; at < 36; at++) {
        char saved = id[at];
        for (int b = 0; b < 256; b++) {
            id[at] = (char)b;
            if (tapi_uuid_valid(id, 36) != reference_valid(id, 36))
                fail_msg("byte 0x%02x at %zu judged wrongly", b, at);
        }
        id[at] = saved;
    }
    for (size_t len = 0; len < sizeof id; len++)
        assert_int_equal(tapi_uuid_valid(id, len), len == 36);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_are_v4_well_formed_and_distinct),
        cmocka_unit_test(validity_is_exactly_the_canonical_lowercase_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
