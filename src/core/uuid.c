/* UUID v4 from getrandom(2): no seeding, no shared PRNG state between threads. Each thread
 * draws 512 random bytes at a time and hands them out 16 per id, wiping what it hands
 * out: one system call per 32 ids instead of one per id (every request takes an id for
 * its X-Request-Id, so this was a system call per request on both doors). */
#include "uuid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "hex.h"

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

bool tapi_uuid_valid(const char *s, size_t len)
{
    return len == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
           tapi_hex_valid(s, 8) && tapi_hex_valid(s + 9, 4) && tapi_hex_valid(s + 14, 4) &&
           tapi_hex_valid(s + 19, 4) && tapi_hex_valid(s + 24, 12);
}
