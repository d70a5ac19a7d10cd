/* UUID v4 from getrandom(2): no seeding, no shared PRNG state between threads. Each thread
 * draws 512 random bytes at a time and hands them out 16 per id, wiping what it hands
 * out: one system call per 32 ids instead of one per id (every request takes an id for
 * its X-Request-Id, so this was a system call per request on both doors). */
#include "uuid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

enum { POOL_BYTES = 512 };

static _Thread_local unsigned char pool[POOL_BYTES];
static _Thread_local size_t pool_left; /* unused bytes at the end of pool */

static bool refill(void)
{
    size_t got = 0;
    while (got < sizeof pool) {
        ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        got += (size_t)n;
    }
    pool_left = sizeof pool;
    return true;
}

tapi_err tapi_uuid_v4(char out[37])
{
    unsigned char r[16];
    if (pool_left < sizeof r && !refill()) return TAPI_EUNAVAILABLE;
    unsigned char *take = pool + sizeof pool - pool_left;
    memcpy(r, take, sizeof r);
    memset(take, 0, sizeof r); /* an id handed out is not kept */
    pool_left -= sizeof r;
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[r[i] >> 4];
        *o++ = hex[r[i] & 0xF];
    }
    *o = '\0';
    return TAPI_OK;
}

/* 1 for the bytes a UUID's digits may be (lowercase hex), 0 for every other byte. */
static const unsigned char HEX_DIGIT[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

/* Every listed task's id is checked, so this is on the hot path of a page: the digits are
 * looked up and folded together without a branch per byte (a branch per byte, on random
 * hex, was mispredicted often enough to cost 2% of a Lambda invocation's CPU). */
bool tapi_uuid_valid(const char *s, size_t len)
{
    if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    const unsigned char *u = (const unsigned char *)s;
    unsigned ok = 1;
    for (size_t i = 0; i < 8; i++) ok &= HEX_DIGIT[u[i]];
    for (size_t i = 9; i < 13; i++) ok &= HEX_DIGIT[u[i]];
    for (size_t i = 14; i < 18; i++) ok &= HEX_DIGIT[u[i]];
    for (size_t i = 19; i < 23; i++) ok &= HEX_DIGIT[u[i]];
    for (size_t i = 24; i < 36; i++) ok &= HEX_DIGIT[u[i]];
    return ok;
}
