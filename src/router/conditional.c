/* Entity-tag lists: RFC 9110's grammar (1#entity-tag, OWS around commas, empty list
 * elements tolerated), strictly; our tags hold decimal digits only. */
#include "conditional.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tapi_etag_format(uint64_t version, char out[TAPI_ETAG_MAX])
{
    snprintf(out, TAPI_ETAG_MAX, "\"%llu\"", (unsigned long long)version);
}

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
    if (len == 0 || len > 19 || strspn(opaque, "0123456789") < len) return; /* not ours */
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
    bool full = false, any_tag = false;
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
        any_tag = true;
        p = skip_ows(p + 1);
        if (*p && *p != ',') return TAPI_EINVAL;
    }
    return any_tag && !full ? TAPI_OK : TAPI_EINVAL;
}
