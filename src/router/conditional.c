/* Entity-tag lists: RFC 9110's grammar (1#entity-tag, OWS around commas, empty list
 * elements tolerated), strictly; our tags are a version in canonical decimal, a dot and
 * the representation's generation. */
#include "conditional.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* etagc: %x21 / %x23-7E / obs-text */
static bool etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

static void add_version(tapi_version_set *out, const char *opaque, size_t len, bool *full)
{
    static const char suffix[] = "." TAPI_REPRESENTATION_GENERATION;
    const size_t suffix_len = sizeof suffix - 1;
    /* not ours: another generation, or not the one spelling we send (no leading zeros) */
    if (len <= suffix_len || memcmp(opaque + len - suffix_len, suffix, suffix_len) != 0) return;
    len -= suffix_len;
    if (len > 19 || strspn(opaque, "0123456789") < len || (len > 1 && opaque[0] == '0')) return;
    char digits[20];
    memcpy(digits, opaque, len);
    digits[len] = '\0';
    uint64_t v = strtoull(digits, NULL, 10);
    if (tapi_version_set_has(out, v)) return;
    if (out->count == TAPI_VERSION_SET_MAX) {
        *full = true;
        return;
    }
    out->versions[out->count++] = v;
}

tapi_err tapi_condition_parse(const char *value, bool weak, tapi_version_set *out)
{
    memset(out, 0, sizeof *out);
    if (strlen(value) > TAPI_CONDITION_MAX_BYTES) return TAPI_EINVAL;
    const char *p = skip_ows(value);
    if (*p == '*' && *skip_ows(p + 1) == '\0') {
        out->any = true;
        return TAPI_OK;
    }
    bool full = false;
    size_t tags = 0;
    while (*p) {
        if (*p == ',') { /* an empty list element */
            p = skip_ows(p + 1);
            continue;
        }
        bool is_weak = strncmp(p, "W/", 2) == 0;
        if (is_weak) p += 2;
        if (*p != '"') return TAPI_EINVAL;
        const char *opaque = ++p;
        while (*p && *p != '"') {
            if (!etagc((unsigned char)*p)) return TAPI_EINVAL;
            p++;
        }
        if (*p != '"') return TAPI_EINVAL;
        if (!is_weak || weak) add_version(out, opaque, (size_t)(p - opaque), &full);
        if (++tags > TAPI_VERSION_SET_MAX) return TAPI_EINVAL; /* ours or not: bounded */
        p = skip_ows(p + 1);
        if (*p && *p != ',') return TAPI_EINVAL;
    }
    return tags > 0 && !full ? TAPI_OK : TAPI_EINVAL;
}
