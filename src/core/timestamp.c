/* Timestamps; see timestamp.h. */
#include "timestamp.h"

#include <stdio.h>
#include <time.h>

void tapi_timestamp_now(char out[25])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* unsigned and reduced so the compiler can prove the text fits in 24 bytes */
    snprintf(out, 25, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
             (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

int64_t tapi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tapi_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double tapi_elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static bool digits(const char *s, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

bool tapi_timestamp_valid(const char *s, size_t len)
{
    if (len != 24) return false;
    return digits(s, 4, 0, 9999) && s[4] == '-' && digits(s + 5, 2, 1, 12) && s[7] == '-' &&
           digits(s + 8, 2, 1, 31) && s[10] == 'T' && digits(s + 11, 2, 0, 23) &&
           s[13] == ':' && digits(s + 14, 2, 0, 59) && s[16] == ':' &&
           digits(s + 17, 2, 0, 60) && s[19] == '.' && digits(s + 20, 3, 0, 999) &&
           s[23] == 'Z';
}
