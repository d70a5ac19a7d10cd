/* Percent-encoding of paths (RFC 3986), in ASCII whatever the locale. */
#include "uri.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool path_char_ok(const char *p, size_t left)
{
    unsigned char c = (unsigned char)*p;
    if (c == '%') return left >= 3 && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~!$&'()*+,;=:@/", c));
}

size_t tapi_uri_path_escape(const char *path, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (path_char_ok(path + i, len - i)) {
            out[o++] = path[i];
        } else {
            snprintf(out + o, 4, "%%%02X", (unsigned char)path[i]);
            o += 3;
        }
    }
    out[o] = '\0';
    return o;
}
