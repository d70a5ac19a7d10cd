/* EMF members; see metrics.h. The declaration (which metrics, which dimensions) is a fixed
 * string; only values change per line. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "../core/json_writer.h"

bool tapi_metrics_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') return false;
    return true;
}

static void put_string(tapi_buf *b, const char *name, const char *value)
{
    tapi_buf_puts(b, ",\"");
    tapi_buf_puts(b, name);
    tapi_buf_puts(b, "\":");
    tapi_buf_json_string(b, value, strlen(value));
}

static void put_number(tapi_buf *b, const char *name, double value)
{
    tapi_buf_puts(b, ",\"");
    tapi_buf_puts(b, name);
    tapi_buf_puts(b, "\":");
    tapi_buf_put_fixed3(b, value);
}

static void declare(tapi_buf *b, const char *ns, const char *dims, const char *metrics, bool first)
{
    if (!first) tapi_buf_append(b, ",", 1);
    tapi_buf_puts(b, "{\"Namespace\":");
    tapi_buf_json_string(b, ns, strlen(ns));
    tapi_buf_puts(b, ",\"Dimensions\":[");
    tapi_buf_puts(b, dims);
    tapi_buf_puts(b, "],\"Metrics\":[");
    tapi_buf_puts(b, metrics);
    tapi_buf_puts(b, "]}");
}

void tapi_metrics_members(tapi_buf *b, const char *ns, const char *service, int64_t now_ms,
                          const tapi_invocation_metrics *m, bool first)
{
    char status_class[4] = {(char)('0' + (unsigned)m->status / 100 % 10), 'x', 'x', '\0'};
    tapi_buf_puts(b, first ? "\"_aws\":{\"Timestamp\":" : ",\"_aws\":{\"Timestamp\":");
    tapi_buf_put_u64(b, now_ms > 0 ? (unsigned long long)now_ms : 0);
    tapi_buf_puts(b, ",\"CloudWatchMetrics\":[");
    declare(b, ns, "[\"Service\",\"Route\",\"StatusClass\"]",
            "{\"Name\":\"Requests\",\"Unit\":\"Count\"}", true);
    declare(b, ns, "[\"Service\",\"Route\"]",
            "{\"Name\":\"Latency\",\"Unit\":\"Milliseconds\"}", false);
    declare(b, ns, "[\"Service\"]",
            "{\"Name\":\"StoreLatency\",\"Unit\":\"Milliseconds\"},"
            "{\"Name\":\"StoreCalls\",\"Unit\":\"Count\"},"
            "{\"Name\":\"StoreRetries\",\"Unit\":\"Count\"},"
            "{\"Name\":\"StoreThrottles\",\"Unit\":\"Count\"},"
            "{\"Name\":\"ColdStart\",\"Unit\":\"Count\"}",
            false);
    tapi_buf_puts(b, "]}");
    put_string(b, "Service", service);
    put_string(b, "Route", m->route);
    put_string(b, "StatusClass", status_class);
    put_number(b, "Requests", 1);
    put_number(b, "Latency", m->latency_ms);
    put_number(b, "StoreLatency", m->store_ms);
    put_number(b, "StoreCalls", m->store_calls);
    put_number(b, "StoreRetries", m->store_retries);
    put_number(b, "StoreThrottles", m->store_throttles);
    put_number(b, "ColdStart", m->cold_start ? 1 : 0);
}
