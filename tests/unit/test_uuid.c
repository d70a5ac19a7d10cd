/* Unit tests for src/core/uuid.c: version 4 ids, well formed and never repeated, across
 * many refills of each thread's random pool and from several threads at once. */
#include <pthread.h>
#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_are_v4_well_formed_and_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
