/* Paths as URI references: what a client sent, made safe to put in a header or a JSON
 * member whatever bytes it held. */
#ifndef TAPI_URI_H
#define TAPI_URI_H

#include <stddef.h>

/* Writes path[0..len) to out, keeping RFC 3986 pchar and '/' (and '%' where it starts a
 * valid escape) and percent-encoding every other byte, then a NUL. out must hold 3 * len + 1
 * bytes. Returns the length written (without the NUL). */
size_t tapi_uri_path_escape(const char *path, size_t len, char *out);

#endif
