/* Shared helpers for the cmocka unit tests: a scratch directory per test binary holding
 * real SQLite files, removed at exit. */
#ifndef TAPI_TEST_SUPPORT_H
#define TAPI_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_dir[256];

static void test_dir_cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    if (test_dir[0] && system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", test_dir);
}

/* A fresh database path inside the scratch directory (unique per call). */
static inline void test_db_path(char *out, size_t cap)
{
    static int counter;
    if (!test_dir[0]) {
        snprintf(test_dir, sizeof test_dir, "%s/tapi-unit-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        assert_non_null(mkdtemp(test_dir));
        atexit(test_dir_cleanup);
    }
    snprintf(out, cap, "%s/db-%d.sqlite", test_dir, ++counter);
}

#endif
