/* RFC 3339 UTC timestamps with milliseconds ("2026-11-25T03:19:15.123Z"). Their fixed
 * width makes byte order equal time order, which both stores' indexes rely on. */
#ifndef TAPI_TIMESTAMP_H
#define TAPI_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Writes the current time and a NUL into out[25]. */
void tapi_timestamp_now(char out[25]);
/* Writes t (UTC, years 0..9999) and a NUL into out[25]. Pure arithmetic: gmtime_r takes
 * glibc's process-wide time-zone lock on every call, which the server's threads then
 * contend for on every request. */
void tapi_timestamp_format(const struct timespec *t, char out[25]);

/* Wall-clock time as Unix epoch milliseconds (the unit of request deadlines). */
int64_t tapi_now_ms(void);
/* The same in microseconds (X-Ray's start and end times). */
int64_t tapi_now_us(void);

/* Milliseconds since start, a CLOCK_MONOTONIC reading. */
double tapi_elapsed_ms(const struct timespec *start);

/* True if s[0..len) has exactly the form above with in-range fields. */
bool tapi_timestamp_valid(const char *s, size_t len);

#endif
