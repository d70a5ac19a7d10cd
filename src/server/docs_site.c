/* The documentation site: a whitelist of files, loaded at start-up. */
#include "docs_site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *content_type;
} FILES[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"init.js", "text/javascript; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"openapi.yaml", "application/yaml; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"LICENSE", "text/plain; charset=utf-8"},
    {"NOTICE", "text/plain; charset=utf-8"},
};
enum { FILE_COUNT = sizeof FILES / sizeof FILES[0], FILE_MAX_BYTES = 16 * 1024 * 1024 };

struct tapi_docs_site {
    tapi_docs_file files[FILE_COUNT];
};

void tapi_docs_site_close(tapi_docs_site *site)
{
    if (!site) return;
    for (size_t i = 0; i < FILE_COUNT; i++) free((char *)site->files[i].data);
    free(site);
}

static tapi_err read_file(const char *dir, const char *name, tapi_docs_file *out, char *errbuf,
                          size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "cannot read %s (make docs builds the documentation site)", path);
        return TAPI_ECONFIG;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    tapi_err err = TAPI_OK;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 64 * 1024;
            char *grown = cap <= FILE_MAX_BYTES ? realloc(data, cap) : NULL;
            if (!grown) {
                snprintf(errbuf, errlen, "%s is too large or memory is short", path);
                err = cap <= FILE_MAX_BYTES ? TAPI_ENOMEM : TAPI_ECONFIG;
                break;
            }
            data = grown;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                snprintf(errbuf, errlen, "cannot read %s", path);
                err = TAPI_ECONFIG;
            }
            break;
        }
    }
    fclose(f);
    if (err != TAPI_OK) {
        free(data);
        return err;
    }
    out->data = data;
    out->len = len;
    return TAPI_OK;
}

tapi_err tapi_docs_site_open(const char *dir, tapi_docs_site **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    tapi_docs_site *site = calloc(1, sizeof *site);
    if (!site) return TAPI_ENOMEM;
    for (size_t i = 0; i < FILE_COUNT; i++) {
        tapi_err err = read_file(dir, FILES[i].name, &site->files[i], errbuf, errlen);
        if (err != TAPI_OK) {
            tapi_docs_site_close(site);
            return err;
        }
        site->files[i].content_type = FILES[i].content_type;
    }
    *out = site;
    return TAPI_OK;
}

const tapi_docs_file *tapi_docs_site_find(const tapi_docs_site *site, const char *path)
{
    if (strcmp(path, "/docs") == 0 || strcmp(path, "/docs/") == 0) return &site->files[0];
    if (strncmp(path, "/docs/", 6) != 0) return NULL;
    for (size_t i = 0; i < FILE_COUNT; i++)
        if (strcmp(path + 6, FILES[i].name) == 0) return &site->files[i];
    return NULL;
}
