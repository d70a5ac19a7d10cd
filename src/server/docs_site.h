/* The interactive API documentation the local server can serve at /docs: a fixed set of
 * files (the page, its script, the OpenAPI viewer's bundle and style, the contract)
 * read once from a directory the build fills (build/docs), then served from memory. Only
 * these names are ever served, so no request path reaches the file system. */
#ifndef TAPI_DOCS_SITE_H
#define TAPI_DOCS_SITE_H

#include <stddef.h>

#include "../core/errors.h"

typedef struct tapi_docs_site tapi_docs_site;

/* One file of the site: its bytes (owned by the site) and media type (static). */
typedef struct tapi_docs_file {
    const char *data;
    size_t len;
    const char *content_type;
} tapi_docs_file;

/* Reads every file of the site from dir into *out. TAPI_ECONFIG with a reason in errbuf
 * when one is missing or unreadable (the build makes them: `make docs`); TAPI_ENOMEM. */
tapi_err tapi_docs_site_open(const char *dir, tapi_docs_site **out, char *errbuf, size_t errlen);
void tapi_docs_site_close(tapi_docs_site *site);

/* The file a request path names: "/docs" and "/docs/" are the page, "/docs/<name>" the
 * file of that name. NULL for anything else. */
const tapi_docs_file *tapi_docs_site_find(const tapi_docs_site *site, const char *path);

/* The Content-Security-Policy the site's responses carry: its own scripts, styles and
 * images only, and requests to this origin (the page's "try it" sends them). */
#define TAPI_DOCS_CSP                                                                             \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                  \
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "                 \
    "form-action 'none'; frame-ancestors 'none'"

#endif
