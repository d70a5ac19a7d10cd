/* The embedded SQLite store: one WAL-mode database file, a pool of connections (one per
 * server thread) each with its statements prepared once, keyset pagination on an index
 * over (created_at, id). */
#ifndef TAPI_STORE_SQLITE_H
#define TAPI_STORE_SQLITE_H

#include <stddef.h>

#include "store.h"

/* Opens (creating if absent) the database at path with pool_size connections (>= 1) and
 * writes the store to *out; the caller releases it with tapi_store_close. On failure
 * returns TAPI_EUNAVAILABLE or TAPI_ENOMEM and writes a reason into errbuf. */
tapi_err tapi_sqlite_open(const char *path, size_t pool_size, tapi_store **out, char *errbuf,
                          size_t errlen);

#endif
