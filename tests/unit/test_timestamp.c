/* Unit tests for src/core/timestamp.c: the arithmetic formatter agrees with gmtime_r on
 * every day from 1970 to 2400 (leap days, century rules) at varied times of day, and
 * what it writes is a timestamp the validator accepts. */
#include <stdio.h>
#include <time.h>

#include "test_support.h"

#include "../../src/core/timestamp.h"

static void formats_as_gmtime_does(void **state)
{
    (void)state;
    for (int64_t day = 0; day < 157000; day++) {
        struct timespec t = {.tv_sec = (time_t)(day * 86400 + (day * 7919) % 86400),
                             .tv_nsec = (long)((day * 104729) % 1000000000)};
        struct tm tm;
        assert_non_null(gmtime_r(&t.tv_sec, &tm));
        char want[96], got[25];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t.tv_nsec / 1000000);
        tapi_timestamp_format(&t, got);
        assert_string_equal(got, want);
        assert_true(tapi_timestamp_valid(got, 24));
    }
    char now[25];
    tapi_timestamp_now(now);
    assert_true(tapi_timestamp_valid(now, 24));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_as_gmtime_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
