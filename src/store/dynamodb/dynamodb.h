/* The DynamoDB store. Table layout (what Terraform's modules/dynamodb must create):
 *   table TABLE_NAME, partition key "id" (S), on-demand billing; attribute "owner" (S)
 *   on every task (absent on tasks written before owners: the shared owner's);
 *   GSI "by-created": partition key "shard" (S: "<k>" for the shared owner,
 *   "<owner>#<k>" for a user, k in 0..N-1 derived from the id), sort key "sk"
 *   (S, "<createdAt>#<id>"), projection ALL;
 *   GSI "by-status": partition key "statusShard" (S: "<status>#<k>" for the shared owner,
 *   "<owner>#<status>#<k>" for a user; a PATCH of the status moves the task), sort key
 *   "sk", projection ALL: a filtered list reads only the wanted statuses' partitions.
 * Listing queries the owner's N shards newest-first from the cursor, in parallel, and
 * merges them, so a page costs N small queries (one round trip) at any table size,
 * never reads another owner's items, and even one busy owner's writes spread over N
 * index partitions. Reads and writes of one task check "owner" in the same GetItem
 * result or ConditionExpression that reads or changes it.
 * One item with id "#meta:page-token-key" (no shard, so absent from the index) holds the
 * key that authenticates page tokens and the shard count N the table was set up with; a
 * store opened with another N refuses to start (TAPI_ECONFIG). */
#ifndef TAPI_STORE_DYNAMODB_H
#define TAPI_STORE_DYNAMODB_H

#include <stddef.h>

#include "client.h"
#include "../store.h"

#define TAPI_DDB_INDEX "by-created"
#define TAPI_DDB_STATUS_INDEX "by-status"

/* Opens the store (reading or creating the page-token key, so the table must exist) and
 * writes it to *out; release with tapi_store_close. TAPI_ECONFIG, TAPI_EUNAVAILABLE or
 * TAPI_ENOMEM with a reason in errbuf. */
tapi_err tapi_dynamodb_open(const tapi_ddb_config *cfg, tapi_store **out, char *errbuf,
                            size_t errlen);

/* Creates the table and its indexes exactly as described above, unless it exists, and
 * waits (up to wait_s seconds) until table and indexes are ACTIVE. Idempotent. */
tapi_err tapi_dynamodb_create_table(const tapi_ddb_config *cfg, unsigned wait_s, char *errbuf,
                                    size_t errlen);

/* Brings items written by earlier versions up to date: tasks without "statusShard"
 * (from before the by-status index) get it, so filtered lists include them. Reads the
 * shared owner's by-created partitions (where such tasks are) with Query and writes with
 * a conditional UpdateItem per task, so it needs no Scan and can run while the service
 * serves; idempotent and safe to interrupt. *updated counts the tasks changed. */
tapi_err tapi_dynamodb_migrate(const tapi_ddb_config *cfg, size_t *updated, char *errbuf,
                               size_t errlen);

#endif
