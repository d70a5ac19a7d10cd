/* DynamoDB store: marshalling tasks to and from DynamoDB's typed JSON, and the table
 * design in dynamodb.h. Every response is checked strictly (UTF-8, types, formats)
 * before it becomes a task, so a corrupt item is reported, never served. */
#include "dynamodb.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../../core/hex.h"
#include "../../core/json_writer.h"
#include "../../core/log.h"
#include "../../core/sha256.h"
#include "../../core/task_json.h"
#include "../../core/timestamp.h"
#include "../../core/utf8.h"
#include "../../core/uuid.h"
#include "query_reply.h"

#define META_KEY_ID "#meta:page-token-key"

enum {
    SK_LEN = TAPI_TIMESTAMP_LEN + 1 + TAPI_ID_LEN,
    INIT_BUDGET_MS = 10000,
    PARTITION_KEY_MAX = TAPI_OWNER_KEY_LEN + 32, /* owner#in_progress#31 */
    WRITE_ID_LEN = 16,                            /* hex of 64 random bits */
    RECORD_ID_MAX = 6 + 64 + 1,                   /* "#idem:" + a key's id */
};

typedef struct ddb_store {
    tapi_store base;
    tapi_ddb_client *client;
    char *table;
    unsigned shards;
} ddb_store;

/* ---- request building ---- */

static void put_key(tapi_buf *b, const char *name)
{
    tapi_buf_json_string(b, name, strlen(name));
    tapi_buf_append(b, ":", 1);
}

static void put_s(tapi_buf *b, const char *name, const char *value)
{
    put_key(b, name);
    tapi_buf_puts(b, "{\"S\":");
    tapi_buf_json_string(b, value, strlen(value));
    tapi_buf_append(b, "}", 1);
}

/* A number attribute: DynamoDB's JSON carries numbers as strings, {"N":"8"}. */
static void put_n(tapi_buf *b, const char *name, uint64_t value)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    put_key(b, name);
    tapi_buf_puts(b, "{\"N\":");
    tapi_buf_json_string(b, text, strlen(text));
    tapi_buf_append(b, "}", 1);
}

static void begin_request(tapi_buf *b, const ddb_store *s)
{
    tapi_buf_init(b);
    tapi_buf_append(b, "{", 1);
    put_key(b, "TableName");
    tapi_buf_json_string(b, s->table, strlen(s->table));
}

static void put_id_key(tapi_buf *b, const char *id)
{
    tapi_buf_puts(b, ",\"Key\":{");
    put_s(b, "id", id);
    tapi_buf_append(b, "}", 1);
}

static unsigned shard_of(const ddb_store *s, const char *id)
{
    /* the id is random, so its first byte spreads tasks evenly over the shards */
    unsigned v = 0;
    for (int i = 0; i < 2; i++) {
        char c = id[i];
        v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c - '0');
    }
    return v % s->shards;
}

/* The index partition of owner's tasks in shard k; the shared owner keeps the plain
 * shard number, so tasks written before owners existed stay in its list. */
static void shard_key(const char *owner, unsigned k, char out[PARTITION_KEY_MAX])
{
    if (tapi_owner_is_shared(owner))
        snprintf(out, PARTITION_KEY_MAX, "%u", k);
    else
        snprintf(out, PARTITION_KEY_MAX, "%.33s#%u", owner, k);
}

/* The by-status partition of owner's tasks of one status in shard k. */
static void status_shard_key(const char *owner, tapi_status status, unsigned k,
                             char out[PARTITION_KEY_MAX])
{
    if (tapi_owner_is_shared(owner))
        snprintf(out, PARTITION_KEY_MAX, "%s#%u", tapi_status_name(status), k);
    else
        snprintf(out, PARTITION_KEY_MAX, "%.33s#%s#%u", owner, tapi_status_name(status), k);
}

static void sort_key(const char *created_at, const char *id, char out[SK_LEN + 1])
{
    snprintf(out, SK_LEN + 1, "%.24s#%.36s", created_at, id);
}

/* The condition that the item is owner's, with "#o" naming "owner" and ":o" its value:
 * items without the attribute are the shared owner's. */
static const char *owner_condition(const char *owner)
{
    return tapi_owner_is_shared(owner) ? "(attribute_not_exists(#o) OR #o = :o)" : "#o = :o";
}

/* ---- response parsing ---- */

static const char *get_s(const cJSON *item, const char *name)
{
    const cJSON *attr = cJSON_GetObjectItemCaseSensitive(item, name);
    const cJSON *s = cJSON_IsObject(attr) ? cJSON_GetObjectItemCaseSensitive(attr, "S") : NULL;
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

static bool owned_by(const cJSON *item, const char *owner)
{
    const char *stored = get_s(item, "owner");
    return strcmp(stored ? stored : TAPI_OWNER_SHARED, owner) == 0;
}

/* A deleted keyed task kept (until its key's window ends) to replay the key. */
static bool is_tombstone(const cJSON *item)
{
    return cJSON_GetObjectItemCaseSensitive(item, "tomb") != NULL;
}

/* A plain decimal that fits: what a version or a time in seconds is stored as. */
static bool parse_n(const char *t, uint64_t *out)
{
    size_t n = strlen(t);
    if (!n || n > 19 || strspn(t, "0123456789") != n) return false;
    *out = strtoull(t, NULL, 10);
    return true;
}

/* A non-negative number attribute; absent is 0 (items from before it existed). False
 * when it is there but not a plain decimal that fits. */
static bool get_n(const cJSON *item, const char *name, uint64_t *out)
{
    const cJSON *attr = cJSON_GetObjectItemCaseSensitive(item, name);
    *out = 0;
    if (!attr) return true;
    const cJSON *n = cJSON_IsObject(attr) ? cJSON_GetObjectItemCaseSensitive(attr, "N") : NULL;
    return cJSON_IsString(n) && parse_n(n->valuestring, out);
}

/* A task's attributes as read from an item, whatever parsed it: NULL where absent (or
 * of another type); version_bad when "version" is there but not a number. */
typedef struct task_fields {
    const char *id, *title, *description, *status, *created, *updated, *version;
    bool version_bad;
} task_fields;

static tapi_err fields_to_task(const task_fields *f, tapi_task *out)
{
    memset(out, 0, sizeof *out);
    if (!f->id || !f->title || !f->description || !f->status || !f->created || !f->updated ||
        !tapi_uuid_valid(f->id, strlen(f->id)) || !tapi_timestamp_valid(f->created, strlen(f->created)) ||
        !tapi_timestamp_valid(f->updated, strlen(f->updated)) ||
        !tapi_status_parse(f->status, strlen(f->status), &out->status) || f->version_bad ||
        (f->version && !parse_n(f->version, &out->version))) {
        tapi_log(TAPI_LOG_ERROR, "dynamodb: malformed task item %.36s", f->id ? f->id : "(no id)");
        return TAPI_EUNAVAILABLE;
    }
    memcpy(out->id, f->id, TAPI_ID_LEN + 1);
    memcpy(out->created_at, f->created, TAPI_TIMESTAMP_LEN + 1);
    memcpy(out->updated_at, f->updated, TAPI_TIMESTAMP_LEN + 1);
    out->title = strdup(f->title);
    out->description = strdup(f->description);
    if (!out->title || !out->description) {
        tapi_task_clear(out);
        return TAPI_ENOMEM;
    }
    return TAPI_OK;
}

static tapi_err item_to_task(const cJSON *item, tapi_task *out)
{
    task_fields f = {.id = get_s(item, "id"),
                     .title = get_s(item, "title"),
                     .description = get_s(item, "description"),
                     .status = get_s(item, "status"),
                     .created = get_s(item, "createdAt"),
                     .updated = get_s(item, "updatedAt")};
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(item, "version");
    if (version) {
        const cJSON *n = cJSON_IsObject(version) ? cJSON_GetObjectItemCaseSensitive(version, "N") : NULL;
        f.version = cJSON_IsString(n) ? n->valuestring : NULL;
        f.version_bad = !f.version;
    }
    return fields_to_task(&f, out);
}

/* Parses a successful reply body (consumed) strictly; *root is freed by the caller. */
static tapi_err parse_reply(tapi_ddb_reply *reply, const char *op, cJSON **root)
{
    *root = NULL;
    if (tapi_utf8_valid(reply->body, reply->body_len, NULL))
        *root = cJSON_ParseWithLength(reply->body, reply->body_len);
    free(reply->body);
    reply->body = NULL;
    if (!cJSON_IsObject(*root)) {
        tapi_log(TAPI_LOG_ERROR, "dynamodb %s: response is not a JSON object", op);
        cJSON_Delete(*root);
        *root = NULL;
        return TAPI_EUNAVAILABLE;
    }
    return TAPI_OK;
}

/* Sends the n requests in bs (each consumed) at once and parses each reply: errs[i] and
 * roots[i] (freed by the caller) are what call() gives for bs[i]. With roots NULL the
 * replies are not parsed: each replies[i].body set on TAPI_OK is the caller's to free.
 * reqs and scs are the caller's scratch space, n of each. */
static void call_many(ddb_store *s, const char *op, size_t n, tapi_buf *bs, int64_t deadline_ms,
                      cJSON **roots, tapi_ddb_reply *replies, tapi_err *errs,
                      tapi_ddb_request *reqs, tapi_store_call *scs, bool once)
{
    bool taken = true;
    for (size_t i = 0; i < n; i++) {
        if (roots) roots[i] = NULL;
        tapi_buf_append(&bs[i], "}", 1);
        char *json = NULL;
        size_t len = 0;
        if (tapi_buf_take(&bs[i], &json, &len) != TAPI_OK) taken = false;
        reqs[i] = (tapi_ddb_request){.op = op, .json = json, .len = len, .once = once};
    }
    if (!taken) {
        for (size_t i = 0; i < n; i++) {
            free((char *)reqs[i].json);
            memset(&replies[i], 0, sizeof replies[i]);
            errs[i] = TAPI_ENOMEM;
        }
        return;
    }
    const tapi_store_observer *obs = &s->base.observer;
    for (size_t i = 0; i < n; i++) {
        scs[i] = (tapi_store_call){.op = op, .resource = s->table};
        if (obs->begin) obs->begin(obs->ctx, &scs[i]);
        if (scs[i].trace_header[0]) reqs[i].trace_header = scs[i].trace_header;
        scs[i].start_us = tapi_now_us();
    }
    tapi_ddb_call_many(s->client, n, reqs, deadline_ms, replies, errs);
    for (size_t i = 0; i < n; i++) {
        free((char *)reqs[i].json);
        if (obs->end) {
            tapi_store_call *sc = &scs[i];
            sc->end_us = replies[i].end_us;
            sc->attempts = replies[i].attempts;
            sc->status = (int)replies[i].http_status;
            sc->throttled = replies[i].throttled;
            sc->error = sc->status >= 400 && sc->status < 500;
            sc->fault = errs[i] != TAPI_OK && !sc->error;
            obs->end(obs->ctx, sc);
        }
        if (errs[i] == TAPI_OK && roots) errs[i] = parse_reply(&replies[i], op, &roots[i]);
    }
}

/* The attributes the tree-free readers take of an item: a listed task's seven first, then
 * what a single item's reader also needs to know whose it is and whether it is deleted. */
static const char *const TASK_ATTRS[] = {"id",        "title",   "description", "status", "createdAt",
                                         "updatedAt", "version", "owner",       "tomb"};
enum { LISTED_ATTRS = 7, ATTR_OWNER = 7, ATTR_TOMB = 8 };

/* A task's fields as the tree-free reader found them (TASK_ATTRS' first seven). */
static tapi_err qr_item_to_task(const tapi_qr_item *it, tapi_task *out)
{
    task_fields f = {.id = it->values[0], .title = it->values[1], .description = it->values[2],
                     .status = it->values[3], .created = it->values[4], .updated = it->values[5],
                     .version = it->values[6], .version_bad = it->wrong_type[6]};
    return fields_to_task(&f, out);
}

/* What take_task found of a reply's item. */
typedef struct task_reply {
    const char *owner; /* whose the task must be; NULL: anyone's */
    tapi_task *out;
    bool live;         /* the item is a task, not a tombstone, the owner's: out holds it */
} task_reply;

static tapi_err take_task(void *ctx, const tapi_qr_item *it)
{
    task_reply *r = ctx;
    const char *stored = it->values[ATTR_OWNER];
    if (it->present[ATTR_TOMB] || (r->owner && strcmp(stored ? stored : TAPI_OWNER_SHARED, r->owner) != 0))
        return TAPI_OK; /* a tombstone, or another owner's task */
    tapi_err err = qr_item_to_task(it, r->out);
    r->live = err == TAPI_OK;
    return err;
}

/* Reads the task under member ("Item", "Attributes") of a successful reply (the body,
 * consumed) without a tree (query_reply.c): TAPI_OK with *live set when it is there, not
 * a tombstone and owner's (owner NULL: anyone's), out then holding it; TAPI_EUNAVAILABLE
 * when the reply or the item is malformed; TAPI_ENOMEM. */
static tapi_err read_task_reply(tapi_ddb_reply *reply, const char *op, const char *member,
                                const char *owner, tapi_task *out, bool *live)
{
    static const tapi_qr_want want = {.names = TASK_ATTRS, .types = "SSSSSSNSS",
                                      .count = sizeof TASK_ATTRS / sizeof TASK_ATTRS[0]};
    task_reply r = {.owner = owner, .out = out};
    memset(out, 0, sizeof *out);
    bool found;
    tapi_err err = TAPI_EINVAL;
    if (tapi_utf8_valid(reply->body, reply->body_len, NULL))
        err = tapi_item_reply_scan(reply->body, reply->body_len, member, &want, take_task, &r, &found);
    free(reply->body);
    reply->body = NULL;
    *live = err == TAPI_OK && r.live;
    if (err != TAPI_OK && r.live) tapi_task_clear(out); /* the reply went wrong after it */
    if (err == TAPI_EINVAL) tapi_log(TAPI_LOG_ERROR, "dynamodb %s: response is not a reply with an item", op);
    return err == TAPI_EINVAL ? TAPI_EUNAVAILABLE : err;
}

/* Sends the request in b (consumed) and parses the reply into *root; with root NULL the
 * reply is not parsed and its body, on TAPI_OK, is the caller's to read and free. once as
 * tapi_ddb_request's. */
static tapi_err call_opt(ddb_store *s, const char *op, tapi_buf *b, int64_t deadline_ms,
                         cJSON **root, tapi_ddb_reply *reply, bool once)
{
    tapi_ddb_request req;
    tapi_store_call sc;
    tapi_err err;
    call_many(s, op, 1, b, deadline_ms, root, reply, &err, &req, &sc, once);
    return err;
}

static tapi_err call(ddb_store *s, const char *op, tapi_buf *b, int64_t deadline_ms,
                     cJSON **root, tapi_ddb_reply *reply)
{
    return call_opt(s, op, b, deadline_ms, root, reply, false);
}

/* Maps a non-retryable client error that is not a condition failure: our request was
 * wrong or the table is missing; either way the caller can only retry later. */
static tapi_err unavailable_if_invalid(tapi_err err)
{
    return err == TAPI_EINVAL ? TAPI_EUNAVAILABLE : err;
}

/* ---- operations ---- */

static void build_get_item(ddb_store *s, const char *id, tapi_buf *b)
{
    begin_request(b, s);
    put_id_key(b, id);
    tapi_buf_puts(b, ",\"ConsistentRead\":true");
}

/* A strongly consistent GetItem; reply tells what went wrong when it failed. */
static tapi_err get_item_reply(ddb_store *s, int64_t deadline_ms, const char *id, cJSON **root,
                               tapi_ddb_reply *reply)
{
    tapi_buf b;
    build_get_item(s, id, &b);
    return unavailable_if_invalid(call(s, "GetItem", &b, deadline_ms, root, reply));
}

static tapi_err get_item(ddb_store *s, int64_t deadline_ms, const char *id, cJSON **root)
{
    tapi_ddb_reply reply;
    return get_item_reply(s, deadline_ms, id, root, &reply);
}

static tapi_err op_get(tapi_store *base, int64_t deadline_ms, const char *owner, const char *id,
                       tapi_task *out)
{
    ddb_store *s = (ddb_store *)base;
    tapi_buf b;
    build_get_item(s, id, &b);
    tapi_ddb_reply reply;
    tapi_err err = unavailable_if_invalid(call_opt(s, "GetItem", &b, deadline_ms, NULL, &reply, false));
    bool live = false;
    if (err == TAPI_OK) err = read_task_reply(&reply, "GetItem", "Item", owner, out, &live);
    return err == TAPI_OK && !live ? TAPI_ENOTFOUND : err;
}

/* Writes string attributes as name/value pairs, comma-separated. */
typedef struct s_attr {
    const char *name, *value;
} s_attr;

static void put_s_all(tapi_buf *b, const s_attr *attrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) tapi_buf_append(b, ",", 1);
        put_s(b, attrs[i].name, attrs[i].value);
    }
}

/* Writes the attributes of a new task item (inside "Item":{...}). */
static void put_task_item(tapi_buf *b, const ddb_store *s, const char *owner, const tapi_task *t)
{
    char shard[PARTITION_KEY_MAX], status_shard[PARTITION_KEY_MAX], sk[SK_LEN + 1];
    shard_key(owner, shard_of(s, t->id), shard);
    status_shard_key(owner, t->status, shard_of(s, t->id), status_shard);
    sort_key(t->created_at, t->id, sk);
    const s_attr attrs[] = {{"id", t->id}, {"title", t->title}, {"description", t->description},
                            {"status", tapi_status_name(t->status)}, {"createdAt", t->created_at},
                            {"updatedAt", t->updated_at}, {"owner", owner}, {"shard", shard},
                            {"statusShard", status_shard}, {"sk", sk}};
    put_s_all(b, attrs, sizeof attrs / sizeof attrs[0]);
    tapi_buf_append(b, ",", 1);
    put_n(b, "version", t->version);
}

/* A random 64-bit mark, in hex, that a write leaves in the item it changes, so that after
 * a lost reply a read tells whether that write was applied. */
static tapi_err new_write_id(char out[WRITE_ID_LEN + 1])
{
    uint8_t raw[WRITE_ID_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(raw, sizeof raw, out);
    return TAPI_OK;
}

/* Whether item's string attribute name holds exactly value. */
static bool attr_is(const cJSON *item, const char *name, const char *value)
{
    const char *v = get_s(item, name);
    return v && strcmp(v, value) == 0;
}

/* Puts a new task item (its id not taken yet), marked with creator. A reply lost after
 * the write was applied makes the retry fail its condition; the item is then read: only
 * this call can have written an item under its fresh random id with its creator mark,
 * so finding the mark means the write was applied. A read that fails leaves the outcome
 * unknown (TAPI_EUNAVAILABLE): never TAPI_ECONFLICT, which would have the caller create
 * the task again under another id. */
static tapi_err put_new_task(ddb_store *s, int64_t deadline_ms, const char *owner,
                             const tapi_task *t, const char *creator, const char *idem_record)
{
    tapi_buf b;
    begin_request(&b, s);
    tapi_buf_puts(&b, ",\"Item\":{");
    put_task_item(&b, s, owner, t);
    tapi_buf_append(&b, ",", 1);
    put_s(&b, "creator", creator);
    if (idem_record) {
        tapi_buf_append(&b, ",", 1);
        put_s(&b, "idemRecord", idem_record);
    }
    tapi_buf_puts(&b, "},\"ConditionExpression\":\"attribute_not_exists(id)\"");
    cJSON *root;
    tapi_ddb_reply reply;
    tapi_err err = call(s, "PutItem", &b, deadline_ms, &root, &reply);
    cJSON_Delete(root);
    if (err != TAPI_ECONFLICT) return unavailable_if_invalid(err);
    err = get_item(s, deadline_ms, t->id, &root);
    if (err != TAPI_OK) return TAPI_EUNAVAILABLE;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "Item");
    if (!cJSON_IsObject(item))
        err = TAPI_EUNAVAILABLE; /* taken, then gone: cannot say whose it was */
    else if (attr_is(item, "creator", creator) ||
             (idem_record && attr_is(item, "idemRecord", idem_record)))
        err = TAPI_OK; /* ours (live, or since deleted: then a tombstone) */
    else
        err = TAPI_ECONFLICT; /* another item holds the id: ours was never written */
    cJSON_Delete(root);
    return err;
}

static tapi_err op_create(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const tapi_task *t)
{
    char creator[WRITE_ID_LEN + 1];
    tapi_err err = new_write_id(creator);
    return err == TAPI_OK ? put_new_task((ddb_store *)base, deadline_ms, owner, t, creator, NULL)
                          : err;
}

/* One version list of a condition as ":<prefix><i>" values, comma-separated. */
static void put_version_refs(tapi_buf *b, const tapi_version_set *set, char prefix)
{
    for (size_t i = 0; i < set->count; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s:%c%u", i ? ", " : "", prefix, (unsigned)(i % 100));
        tapi_buf_puts(b, name);
    }
}

/* The version part of a condition, with "#v" naming "version", ":v<i>" the versions
 * If-Match accepts and ":n<i>" those If-None-Match excludes; "" for any version. Items
 * stored before versions have none: version 0. */
static void put_version_condition(tapi_buf *b, const tapi_condition *cond)
{
    const tapi_version_set *match = cond ? cond->match : NULL;
    const tapi_version_set *none = cond ? cond->none_match : NULL;
    if (match && !match->any && match->count == 0) {
        tapi_buf_puts(b, " AND attribute_not_exists(#id)"); /* matches nothing that exists */
        return;
    }
    if (match && !match->any) {
        tapi_buf_puts(b, tapi_version_set_has(match, 0) ? " AND (attribute_not_exists(#v) OR #v IN ("
                                                        : " AND (#v IN (");
        put_version_refs(b, match, 'v');
        tapi_buf_puts(b, "))");
    }
    if (none && none->any) {
        tapi_buf_puts(b, " AND attribute_not_exists(#id)"); /* excludes everything that exists */
    } else if (none && none->count) {
        tapi_buf_puts(b, tapi_version_set_has(none, 0) ? " AND attribute_exists(#v) AND NOT (#v IN ("
                                                       : " AND NOT (#v IN (");
        put_version_refs(b, none, 'n');
        tapi_buf_puts(b, "))");
    }
}

/* The "#v" name put_version_condition uses, when it uses one. */
static void put_version_name(tapi_buf *b, const tapi_condition *cond)
{
    const tapi_version_set *match = cond ? cond->match : NULL;
    const tapi_version_set *none = cond ? cond->none_match : NULL;
    if ((match && !match->any && match->count) || (none && !none->any && none->count))
        tapi_buf_puts(b, ",\"#v\":\"version\"");
}

static void put_version_values(tapi_buf *b, const tapi_condition *cond)
{
    const tapi_version_set *sets[2] = {cond ? cond->match : NULL, cond ? cond->none_match : NULL};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; sets[k] && !sets[k]->any && i < sets[k]->count; i++) {
            char name[16];
            snprintf(name, sizeof name, ":%c%u", k ? 'n' : 'v', (unsigned)(i % 100));
            tapi_buf_append(b, ",", 1);
            put_n(b, name, sets[k]->versions[i]);
        }
    }
}

/* After a write failed or its outcome is unknown: reads the item to tell what happened.
 * *state says whether it is absent (or deleted), another owner's, or the owner's; *ours
 * whether mark_attr holds write_id (the write was applied); *item_out, when not NULL,
 * gets the owner's task. */
typedef enum item_state { ITEM_ABSENT, ITEM_OTHER_OWNER, ITEM_OWNED } item_state;

static tapi_err read_back(ddb_store *s, int64_t deadline_ms, const char *owner, const char *id,
                          const char *mark_attr, const char *write_id, item_state *state,
                          bool *ours, tapi_task *item_out)
{
    cJSON *root;
    *ours = false;
    tapi_err err = get_item(s, deadline_ms, id, &root);
    if (err != TAPI_OK) return err;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "Item");
    bool owned = cJSON_IsObject(item) && owned_by(item, owner);
    *ours = owned && attr_is(item, mark_attr, write_id);
    *state = !cJSON_IsObject(item) || is_tombstone(item) ? ITEM_ABSENT
             : owned                                     ? ITEM_OWNED
                                                         : ITEM_OTHER_OWNER;
    if (*state == ITEM_OWNED && item_out) err = item_to_task(item, item_out);
    cJSON_Delete(root);
    return err;
}

/* How often a write whose condition failed for a reason gone by the time it is read back
 * is tried again before the caller gets 503. */
enum { WRITE_ROUNDS = 3 };

/* What a write answers when its condition failed, or its outcome is unknown (`unknown`),
 * from the item read back: `ours` (its write id is there) means applied. *again is set
 * when the condition failed for a reason gone by now (a version moved into the set). */
static tapi_err settle(item_state state, bool ours, uint64_t version,
                       const tapi_condition *cond, bool unknown, bool *again)
{
    *again = false;
    if (ours) return TAPI_OK;
    if (state == ITEM_OTHER_OWNER) return TAPI_ENOTFOUND; /* never ours to change */
    if (unknown) return TAPI_EUNAVAILABLE; /* not there: not applied, or replaced since */
    /* the condition failed, so this write was not applied: tell why, as of now */
    if (state != ITEM_OWNED) return TAPI_ENOTFOUND;
    if (!tapi_condition_holds(cond, version)) return TAPI_EPRECONDITION;
    *again = true;
    return TAPI_EUNAVAILABLE;
}

static void build_update(ddb_store *s, const char *owner, const char *id,
                         const tapi_condition *cond, const tapi_task_patch *p,
                         const char *updated_at, const char *write_id, tapi_buf *b)
{
    begin_request(b, s);
    put_id_key(b, id);
    tapi_buf_puts(b, ",\"UpdateExpression\":\"SET #u = :u, #w = :w");
    if (p->title) tapi_buf_puts(b, ", #t = :t");
    if (p->description) tapi_buf_puts(b, ", #d = :d");
    if (p->has_status) tapi_buf_puts(b, ", #s = :s, #ss = :ss"); /* moves it in by-status */
    tapi_buf_puts(b, " ADD #v :one\",\"ConditionExpression\":\"attribute_exists(#id) AND ");
    tapi_buf_puts(b, owner_condition(owner));
    tapi_buf_puts(b, " AND attribute_not_exists(#tomb)");
    put_version_condition(b, cond);
    /* a patch that changes nothing fails here and is answered from the item read back */
    if (p->title || p->description || p->has_status) {
        tapi_buf_puts(b, " AND (");
        const char *sep = "";
        if (p->title) {
            tapi_buf_puts(b, "#t <> :t");
            sep = " OR ";
        }
        if (p->description) {
            tapi_buf_puts(b, sep);
            tapi_buf_puts(b, "#d <> :d");
            sep = " OR ";
        }
        if (p->has_status) {
            tapi_buf_puts(b, sep);
            tapi_buf_puts(b, "#s <> :s");
        }
        tapi_buf_puts(b, ")");
    } else {
        tapi_buf_puts(b, " AND attribute_not_exists(#id)");
    }
    tapi_buf_puts(b, "\",\"ExpressionAttributeNames\":{\"#id\":\"id\",\"#u\":\"updatedAt\","
                     "\"#o\":\"owner\",\"#w\":\"writeId\",\"#v\":\"version\",\"#tomb\":\"tomb\"");
    if (p->title) tapi_buf_puts(b, ",\"#t\":\"title\"");
    if (p->description) tapi_buf_puts(b, ",\"#d\":\"description\"");
    if (p->has_status) tapi_buf_puts(b, ",\"#s\":\"status\",\"#ss\":\"statusShard\"");
    tapi_buf_puts(b, "},\"ExpressionAttributeValues\":{");
    put_s(b, ":u", updated_at);
    tapi_buf_append(b, ",", 1);
    put_s(b, ":o", owner);
    tapi_buf_append(b, ",", 1);
    put_s(b, ":w", write_id);
    if (p->has_status) {
        char status_shard[PARTITION_KEY_MAX];
        status_shard_key(owner, p->status, shard_of(s, id), status_shard);
        tapi_buf_append(b, ",", 1);
        put_s(b, ":ss", status_shard);
    }
    tapi_buf_append(b, ",", 1);
    put_n(b, ":one", 1);
    put_version_values(b, cond);
    if (p->title) {
        tapi_buf_append(b, ",", 1);
        put_s(b, ":t", p->title);
    }
    if (p->description) {
        tapi_buf_append(b, ",", 1);
        put_s(b, ":d", p->description);
    }
    if (p->has_status) {
        tapi_buf_append(b, ",", 1);
        put_s(b, ":s", tapi_status_name(p->status));
    }
    tapi_buf_puts(b, "},\"ReturnValues\":\"ALL_NEW\"");
}

/* A PATCH adds 1 to the version, so a second delivery of one applied request would add 2:
 * it is sent `once` (never again after an attempt whose outcome is unknown). Then the
 * item is read: our write id in it means applied, and nobody wrote since (every write
 * replaces the id), so the item is exactly our result; anything else leaves the outcome
 * unknown (TAPI_EUNAVAILABLE: 503), since another write may have replaced ours. */
static tapi_err op_update(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const char *id, const tapi_condition *cond,
                          const tapi_task_patch *p, const char *updated_at, tapi_task *out)
{
    ddb_store *s = (ddb_store *)base;
    memset(out, 0, sizeof *out);
    for (int round = 0; round < WRITE_ROUNDS; round++) {
        char write_id[WRITE_ID_LEN + 1];
        tapi_err err = new_write_id(write_id);
        if (err != TAPI_OK) return err;
        tapi_buf b;
        build_update(s, owner, id, cond, p, updated_at, write_id, &b);
        tapi_ddb_reply reply;
        err = call_opt(s, "UpdateItem", &b, deadline_ms, NULL, &reply, true);
        if (err == TAPI_OK) {
            bool live;
            err = read_task_reply(&reply, "UpdateItem", "Attributes", NULL, out, &live);
            return err == TAPI_OK && !live ? TAPI_EUNAVAILABLE : err;
        }
        bool unknown = err == TAPI_EUNAVAILABLE && reply.maybe_applied;
        if (err != TAPI_ECONFLICT && !unknown) return unavailable_if_invalid(err);
        item_state state;
        bool ours, again;
        if (read_back(s, deadline_ms, owner, id, "writeId", write_id, &state, &ours, out) != TAPI_OK)
            return TAPI_EUNAVAILABLE;
        if (ours) return TAPI_OK; /* out is the item: exactly our result */
        if (!unknown && state == ITEM_OWNED && tapi_condition_holds(cond, out->version) &&
            !tapi_task_patch_changes(p, out))
            return TAPI_OK; /* nothing to change: out is the task as it is */
        uint64_t version = state == ITEM_OWNED ? out->version : 0;
        tapi_task_clear(out);
        err = settle(state, ours, version, cond, unknown, &again);
        if (err == TAPI_EPRECONDITION) out->version = version;
        if (!again) return err;
    }
    return TAPI_EUNAVAILABLE;
}

/* A tombstone outlives every retry of the request that made it and every window of an
 * Idempotency-Key (at most TAPI_IDEMPOTENCY_WINDOW_MAX_S), so neither a retried DELETE
 * nor a keyed create's retry can mistake a deleted task for one never written. */
enum { TOMB_TTL_S = TAPI_IDEMPOTENCY_WINDOW_MAX_S + 24 * 3600 };

/* A DELETE turns the task into a tombstone naming the deleting write: no title,
 * description or status, out of both indexes, invisible to every read, and removed by
 * DynamoDB's TTL (expiresAt). A retry after a lost reply (or a second delivery) finds its
 * own write id in the tombstone: 204; another's: 404. Nothing can change a tombstone, so
 * the answer is exact whatever ran in between. */
static tapi_err op_remove(tapi_store *base, int64_t deadline_ms, const char *owner,
                          const char *id, const tapi_condition *cond, uint64_t *current_version)
{
    ddb_store *s = (ddb_store *)base;
    for (int round = 0; round < WRITE_ROUNDS; round++) {
        char write_id[WRITE_ID_LEN + 1];
        tapi_err err = new_write_id(write_id);
        if (err != TAPI_OK) return err;
        tapi_buf b;
        begin_request(&b, s);
        put_id_key(&b, id);
        tapi_buf_puts(&b, ",\"UpdateExpression\":\"REMOVE #ti, #de, #s, #sh, #ss, #sk, #w, #ib, #ik, #if"
                          " SET #tomb = :w, #e = :e\",\"ConditionExpression\":\"attribute_exists(#id)"
                          " AND attribute_not_exists(#tomb) AND ");
        tapi_buf_puts(&b, owner_condition(owner));
        put_version_condition(&b, cond);
        tapi_buf_puts(&b, "\",\"ExpressionAttributeNames\":{\"#id\":\"id\",\"#o\":\"owner\",\"#s\":\"status\","
                          "\"#tomb\":\"tomb\",\"#ti\":\"title\",\"#de\":\"description\",\"#sh\":\"shard\","
                          "\"#ss\":\"statusShard\",\"#sk\":\"sk\",\"#w\":\"writeId\",\"#e\":\"expiresAt\","
                          "\"#ib\":\"idemBody\",\"#ik\":\"idemKey\",\"#if\":\"idemFp\"");
        put_version_name(&b, cond);
        tapi_buf_puts(&b, "},\"ExpressionAttributeValues\":{");
        put_s(&b, ":o", owner);
        tapi_buf_append(&b, ",", 1);
        put_s(&b, ":w", write_id);
        tapi_buf_append(&b, ",", 1);
        put_n(&b, ":e", (uint64_t)(tapi_now_ms() / 1000 + TOMB_TTL_S));
        put_version_values(&b, cond);
        tapi_buf_append(&b, "}", 1);
        cJSON *root;
        tapi_ddb_reply reply;
        err = call(s, "UpdateItem", &b, deadline_ms, &root, &reply);
        cJSON_Delete(root);
        bool unknown = err == TAPI_EUNAVAILABLE && reply.maybe_applied;
        if (err != TAPI_ECONFLICT && !unknown) return unavailable_if_invalid(err);
        item_state state;
        bool ours, again;
        tapi_task now = {0};
        if (read_back(s, deadline_ms, owner, id, "tomb", write_id, &state, &ours, &now) != TAPI_OK)
            return TAPI_EUNAVAILABLE;
        uint64_t version = state == ITEM_OWNED ? now.version : 0;
        tapi_task_clear(&now);
        err = settle(state, ours, version, cond, unknown, &again);
        if (err == TAPI_EPRECONDITION && current_version) *current_version = version;
        if (!again) return err;
    }
    return TAPI_EUNAVAILABLE;
}

/* ---- keyed creates ---- */

/* A keyed create is one record item per owner and key ("#idem:" + the key's id), written
 * first and conditionally (absent, or its window over), naming the task it creates under
 * a fresh random id; then the task item, if absent. The record decides: every request
 * with the key inside its window finds it and answers with its task, whatever happened
 * to earlier uses of the key or to the task since (a deleted task is a tombstone, so a
 * retry never writes it again). A crash between the two writes leaves a record whose
 * task the next retry writes. */
static void record_id(const char *key_id, char out[RECORD_ID_MAX])
{
    snprintf(out, RECORD_ID_MAX, "#idem:%s", key_id);
}

/* The task a record's 201 body describes (what the key's create wrote, or will). */
static tapi_err body_to_task(const char *body, tapi_task *out)
{
    cJSON *root = cJSON_Parse(body);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    char version[24] = "";
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
        snprintf(version, sizeof version, "%.0f", v->valuedouble);
    task_fields f = {.version = version[0] ? version : NULL, .version_bad = !version[0]};
    static const char *const names[] = {"id", "title", "description", "status", "createdAt",
                                        "updatedAt"};
    const char **slots[] = {&f.id, &f.title, &f.description, &f.status, &f.created, &f.updated};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        *slots[i] = cJSON_IsString(s) ? s->valuestring : NULL;
    }
    tapi_err err = fields_to_task(&f, out);
    cJSON_Delete(root);
    return err;
}

static void build_record(ddb_store *s, const char *owner, const char *rid, const tapi_task *t,
                         const tapi_idempotency *idem, const char *writer, const char *body,
                         size_t body_len, tapi_buf *b)
{
    uint64_t until = (uint64_t)(idem->now_s + idem->window_s);
    begin_request(b, s);
    tapi_buf_puts(b, ",\"Item\":{");
    const s_attr attrs[] = {{"id", rid}, {"owner", owner}, {"taskId", t->id},
                            {"idemFp", idem->fingerprint}, {"idemWriter", writer}};
    put_s_all(b, attrs, sizeof attrs / sizeof attrs[0]);
    tapi_buf_append(b, ",", 1);
    put_n(b, "idemUntil", until);
    tapi_buf_append(b, ",", 1);
    put_n(b, "expiresAt", until);
    tapi_buf_append(b, ",", 1);
    put_key(b, "idemBody");
    tapi_buf_puts(b, "{\"S\":");
    tapi_buf_json_string(b, body, body_len);
    tapi_buf_puts(b, "}},\"ConditionExpression\":\"attribute_not_exists(#id) OR #iu <= :now\","
                     "\"ExpressionAttributeNames\":{\"#id\":\"id\",\"#iu\":\"idemUntil\"},"
                     "\"ExpressionAttributeValues\":{");
    put_n(b, ":now", (uint64_t)idem->now_s);
    tapi_buf_append(b, "}", 1);
}

/* What a record read back says. */
typedef enum record_state { RECORD_GONE, RECORD_EXPIRED, RECORD_OTHER, RECORD_SAME } record_state;

static tapi_err read_record(ddb_store *s, int64_t deadline_ms, const char *rid,
                            const tapi_idempotency *idem, const char *writer,
                            record_state *state, tapi_idem_result *out, tapi_task *task)
{
    cJSON *root;
    tapi_err err = get_item(s, deadline_ms, rid, &root);
    if (err != TAPI_OK) return TAPI_EUNAVAILABLE;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "Item");
    uint64_t until = 0;
    const char *fp = get_s(item, "idemFp"), *body = get_s(item, "idemBody"),
               *task_id = get_s(item, "taskId");
    if (!cJSON_IsObject(item)) {
        *state = RECORD_GONE;
    } else if (!get_n(item, "idemUntil", &until) || !fp || !body || !task_id ||
               !tapi_uuid_valid(task_id, strlen(task_id))) {
        tapi_log(TAPI_LOG_ERROR, "dynamodb: malformed idempotency record");
        err = TAPI_EUNAVAILABLE;
    } else if ((int64_t)until <= idem->now_s) {
        *state = RECORD_EXPIRED;
    } else if (strcmp(fp, idem->fingerprint) != 0) {
        *state = RECORD_OTHER;
    } else {
        *state = RECORD_SAME;
        out->replayed = !attr_is(item, "idemWriter", writer); /* ours: a lost reply */
        free(out->body);
        out->body = strdup(body);
        out->body_len = out->body ? strlen(out->body) : 0;
        err = out->body ? body_to_task(body, task) : TAPI_ENOMEM;
        if (err == TAPI_OK && strcmp(task->id, task_id) != 0) {
            tapi_task_clear(task);
            err = TAPI_EUNAVAILABLE;
        }
    }
    cJSON_Delete(root);
    return err;
}

static tapi_err op_create_once(tapi_store *base, int64_t deadline_ms, const char *owner,
                               const tapi_task *task, const tapi_idempotency *idem,
                               tapi_idem_result *out)
{
    ddb_store *s = (ddb_store *)base;
    memset(out, 0, sizeof *out);
    char writer[WRITE_ID_LEN + 1], rid[RECORD_ID_MAX];
    tapi_err err = new_write_id(writer);
    if (err != TAPI_OK) return err;
    record_id(idem->key_id, rid);
    tapi_buf body;
    tapi_buf_init(&body);
    tapi_task_json_write(&body, task);
    if (tapi_buf_take(&body, &out->body, &out->body_len) != TAPI_OK) return TAPI_ENOMEM;
    tapi_task named = {0}; /* the task the record names, when another request wrote it */
    const tapi_task *t = task;
    err = TAPI_EUNAVAILABLE;
    for (int round = 0; round < WRITE_ROUNDS; round++) {
        tapi_buf b;
        build_record(s, owner, rid, task, idem, writer, out->body, out->body_len, &b);
        cJSON *root;
        tapi_ddb_reply reply;
        err = call(s, "PutItem", &b, deadline_ms, &root, &reply);
        cJSON_Delete(root);
        if (err != TAPI_ECONFLICT) {
            err = unavailable_if_invalid(err);
            break;
        }
        /* a live record for the key: ours (a lost reply), a retry's, or another request's */
        record_state state;
        err = read_record(s, deadline_ms, rid, idem, writer, &state, out, &named);
        if (err != TAPI_OK) break;
        if (state == RECORD_OTHER) {
            err = TAPI_EKEYREUSED;
            break;
        }
        if (state == RECORD_SAME) {
            t = &named;
            break;
        }
        err = TAPI_EUNAVAILABLE; /* gone or expired meanwhile: write it again */
    }
    /* the record names the task: write it unless it is there (or deleted) already */
    if (err == TAPI_OK) err = put_new_task(s, deadline_ms, owner, t, writer, rid);
    if (err == TAPI_ECONFLICT) err = TAPI_EUNAVAILABLE; /* its id is another item's */
    if (err == TAPI_OK) {
        memcpy(out->id, t->id, sizeof out->id);
    } else {
        free(out->body);
        memset(out, 0, sizeof *out);
    }
    tapi_task_clear(&named);
    return err;
}

/* One index partition a list reads: by-created's "shard" (all of an owner's tasks in
 * shard k) or by-status's "statusShard" (those of one status); and how far its reading
 * has got: up to want newest tasks (older than the cursor, if any) go to view. */
typedef struct partition {
    const char *index;
    const char *attr;
    char value[PARTITION_KEY_MAX];
    size_t want;     /* at most: the page's size + 1 */
    size_t target;   /* what this round reads it up to (<= want) */
    char *start_key; /* LastEvaluatedKey of its previous query, as JSON; NULL at first */
    tapi_task_page view;
    bool exhausted;  /* DynamoDB said there is no more */
    bool done;       /* needs no query this round */
} partition;

/* The partition's next Query: newest first, from the cursor (sort key sk) if given. */
static void build_query(ddb_store *s, const partition *part, const char *sk, tapi_buf *b)
{
    begin_request(b, s);
    tapi_buf_puts(b, ",\"IndexName\":\"");
    tapi_buf_puts(b, part->index);
    tapi_buf_puts(b, "\",\"KeyConditionExpression\":");
    tapi_buf_puts(b, sk ? "\"#h = :h AND #k < :k\"" : "\"#h = :h\"");
    /* only what a task in a list shows: half the bytes to send and parse */
    tapi_buf_puts(b, ",\"ProjectionExpression\":\"#i,#t,#d,#s,#c,#u,#v\""
                     ",\"ExpressionAttributeNames\":{\"#i\":\"id\",\"#t\":\"title\","
                     "\"#d\":\"description\",\"#s\":\"status\",\"#c\":\"createdAt\","
                     "\"#u\":\"updatedAt\",\"#v\":\"version\",\"#h\":\"");
    tapi_buf_puts(b, part->attr);
    tapi_buf_append(b, "\"", 1);
    if (sk) tapi_buf_puts(b, ",\"#k\":\"sk\"");
    tapi_buf_puts(b, "},\"ExpressionAttributeValues\":{");
    put_s(b, ":h", part->value);
    if (sk) {
        tapi_buf_append(b, ",", 1);
        put_s(b, ":k", sk);
    }
    char limit[64];
    snprintf(limit, sizeof limit, "},\"ScanIndexForward\":false,\"Limit\":%zu",
             part->target - part->view.count);
    tapi_buf_puts(b, limit);
    if (part->start_key) {
        tapi_buf_puts(b, ",\"ExclusiveStartKey\":");
        tapi_buf_puts(b, part->start_key);
    }
}

static tapi_err take_item(void *ctx, const tapi_qr_item *it)
{
    partition *part = ctx;
    if (part->view.count == part->target) return TAPI_OK; /* read on only to check the rest */
    tapi_err err = qr_item_to_task(it, &part->view.items[part->view.count]);
    if (err == TAPI_OK) part->view.count++;
    return err;
}

/* Takes a Query reply's items (the body, consumed) into the partition; it is done for
 * this round unless DynamoDB stopped early (1 MB read) before the round's target. The
 * reply is read without a tree (query_reply.c): lists are most of the parsing. */
static tapi_err absorb_query(partition *part, tapi_ddb_reply *reply)
{
    static const tapi_qr_want want = {.names = TASK_ATTRS, .types = "SSSSSSN", .count = LISTED_ATTRS};
    free(part->start_key);
    part->start_key = NULL;
    part->done = true;
    const char *last = NULL;
    size_t last_len = 0;
    tapi_err err = TAPI_EINVAL;
    if (tapi_utf8_valid(reply->body, reply->body_len, NULL))
        err = tapi_query_reply_scan(reply->body, reply->body_len, &want, take_item, part, &last, &last_len);
    if (err == TAPI_EINVAL) tapi_log(TAPI_LOG_ERROR, "dynamodb Query: response is not a Query reply");
    part->exhausted = !last;
    if (err == TAPI_OK && last) {
        part->start_key = strndup(last, last_len);
        err = part->start_key ? TAPI_OK : TAPI_ENOMEM;
        part->done = part->view.count == part->target;
    }
    free(reply->body);
    reply->body = NULL;
    return err == TAPI_EINVAL ? TAPI_EUNAVAILABLE : err;
}

/* What a partition reads first: its even share of the page plus twice the square root of
 * that share. Tasks fall into shards at random, so a share rarely runs past that margin
 * (about one list in 40 at 50 per page over 4 shards); reading limit+1 from every
 * partition, as a plain merge must, read 4 times what a page shows. */
static size_t first_target(size_t want, unsigned n)
{
    size_t share = (want + n - 1) / n, root = 1;
    while (root * root < share) root++;
    return share + 2 * root < want ? share + 2 * root : want;
}

static int newest_first_ref(const void *a, const void *b)
{
    return tapi_task_newest_first(*(const tapi_task *const *)a, *(const tapi_task *const *)b);
}

/* After a round: a partition that stopped at its target while its oldest task read is
 * still newer than the page's last (the want-th newest of all read) may hold more of
 * the page, and reads on up to want. Says whether any must. */
static bool extend_cut_partitions(partition *parts, unsigned n, size_t want, const tapi_task **refs)
{
    size_t total = 0;
    for (unsigned k = 0; k < n; k++)
        for (size_t i = 0; i < parts[k].view.count; i++) refs[total++] = &parts[k].view.items[i];
    const tapi_task *cut = NULL;
    if (total >= want) {
        qsort(refs, total, sizeof *refs, newest_first_ref);
        cut = refs[want - 1];
    }
    bool more = false;
    for (unsigned k = 0; k < n; k++) {
        partition *p = &parts[k];
        if (p->exhausted || p->view.count < p->target || p->target == p->want) continue;
        const tapi_task *oldest = &p->view.items[p->view.count - 1];
        if (!cut || tapi_task_newest_first(oldest, cut) < 0) {
            p->target = p->want;
            p->done = false;
            more = true;
        }
    }
    return more;
}

/* Per round of a list: one request, reply and parse per partition still reading. */
typedef struct round_space {
    tapi_buf *bufs;
    tapi_ddb_reply *replies;
    tapi_err *errs;
    tapi_ddb_request *reqs;
    tapi_store_call *scs;
    unsigned *which;
    const tapi_task **refs; /* every task read, to find the page's last */
} round_space;

/* Reads the partitions until the page is certain: each round queries all that need more
 * at once (curl multi, one thread), so a page costs one round trip, rarely two. */
static tapi_err read_partitions(ddb_store *s, int64_t deadline_ms, partition *parts, unsigned n,
                                const tapi_cursor *after, round_space *r)
{
    char sk[SK_LEN + 1];
    if (after) sort_key(after->created_at, after->id, sk);
    for (;;) {
        unsigned m = 0;
        for (unsigned k = 0; k < n; k++) {
            if (parts[k].done) continue;
            build_query(s, &parts[k], after ? sk : NULL, &r->bufs[m]);
            r->which[m++] = k;
        }
        if (m == 0 && !extend_cut_partitions(parts, n, parts[0].want, r->refs)) return TAPI_OK;
        if (m == 0) continue;
        call_many(s, "Query", m, r->bufs, deadline_ms, NULL, r->replies, r->errs, r->reqs, r->scs, false);
        tapi_err err = TAPI_OK;
        for (unsigned j = 0; j < m; j++) {
            tapi_err e = unavailable_if_invalid(r->errs[j]);
            if (r->errs[j] == TAPI_OK) e = absorb_query(&parts[r->which[j]], &r->replies[j]);
            if (err == TAPI_OK) err = e;
        }
        if (err != TAPI_OK) return err;
    }
}

/* A list reads the owner's N shards of by-created, or, filtered, N shards of by-status
 * for each wanted status; either way each partition is read newest first from the
 * cursor and the results are merged. */
static tapi_err op_list(tapi_store *base, int64_t deadline_ms, const char *owner,
                        unsigned status_mask, const tapi_cursor *after, size_t limit,
                        tapi_task_page *out)
{
    ddb_store *s = (ddb_store *)base;
    memset(out, 0, sizeof *out);
    status_mask = tapi_status_mask_normalize(status_mask);
    unsigned statuses = tapi_status_mask_count(status_mask);
    unsigned n = s->shards * (statuses ? statuses : 1);
    /* the global top limit+1 is within the union of every partition's top limit+1; not
     * zeroed (tens of KB a list): a slot is written whole before it is counted */
    out->items = malloc(n * (limit + 1) * sizeof *out->items);
    partition *parts = calloc(n, sizeof *parts);
    round_space r = {.bufs = calloc(n, sizeof *r.bufs),
                     .replies = calloc(n, sizeof *r.replies),
                     .errs = calloc(n, sizeof *r.errs),
                     .reqs = calloc(n, sizeof *r.reqs),
                     .scs = calloc(n, sizeof *r.scs),
                     .which = calloc(n, sizeof *r.which),
                     .refs = malloc(n * (limit + 1) * sizeof *r.refs)};
    tapi_err err = TAPI_ENOMEM;
    if (out->items && parts && r.bufs && r.replies && r.errs && r.reqs && r.scs &&
        r.which && r.refs) {
        size_t first = first_target(limit + 1, n);
        unsigned k = 0;
        for (unsigned st = 0; st < 3; st++) {
            /* unfiltered: one pass over by-created; filtered: one per wanted status */
            if (statuses ? !(status_mask & TAPI_STATUS_BIT(st)) : st > 0) continue;
            for (unsigned sh = 0; sh < s->shards; sh++, k++) {
                parts[k] = (partition){.want = limit + 1, .target = first,
                                       .view = {.items = out->items + k * (limit + 1)}};
                if (statuses) {
                    parts[k].index = TAPI_DDB_STATUS_INDEX;
                    parts[k].attr = "statusShard";
                    status_shard_key(owner, (tapi_status)st, sh, parts[k].value);
                } else {
                    parts[k].index = TAPI_DDB_INDEX;
                    parts[k].attr = "shard";
                    shard_key(owner, sh, parts[k].value);
                }
            }
        }
        err = read_partitions(s, deadline_ms, parts, n, after, &r);
        for (k = 0; k < n; k++) {
            free(parts[k].start_key);
            /* compact into a prefix; the destination never passes the source */
            for (size_t i = 0; i < parts[k].view.count; i++) out->items[out->count++] = parts[k].view.items[i];
        }
    }
    free(parts);
    free(r.bufs);
    free(r.replies);
    free(r.errs);
    free(r.reqs);
    free(r.scs);
    free(r.which);
    free(r.refs);
    if (err != TAPI_OK) {
        tapi_task_page_clear(out);
        return err;
    }
    qsort(out->items, out->count, sizeof *out->items, tapi_task_newest_first);
    while (out->count > limit) {
        out->has_more = true;
        tapi_task_clear(&out->items[--out->count]);
    }
    if (out->has_more) tapi_cursor_from_task(&out->items[out->count - 1], &out->next);
    return TAPI_OK;
}

static void op_close(tapi_store *base)
{
    ddb_store *s = (ddb_store *)base;
    tapi_ddb_client_close(s->client);
    free(s->table);
    free(s);
}

static const tapi_store_ops OPS = {
    .create = op_create,
    .create_once = op_create_once,
    .get = op_get,
    .update = op_update,
    .remove = op_remove,
    .list = op_list,
    .close = op_close,
};

/* The shard count decides which index partitions hold which tasks, so it is part of the
 * table, not of one process's configuration: a store opened with another count would
 * silently miss tasks in lists. The meta item records it; a meta item written before it
 * did (no "shards") adopts the count of the first instance that opens it now. */
static tapi_err check_shards(ddb_store *s, const cJSON *item, int64_t deadline, bool reread,
                             char *errbuf, size_t errlen)
{
    const cJSON *attr = cJSON_GetObjectItemCaseSensitive(item, "shards");
    const cJSON *n = cJSON_IsObject(attr) ? cJSON_GetObjectItemCaseSensitive(attr, "N") : NULL;
    if (!cJSON_IsString(n) && reread) {
        snprintf(errbuf, errlen, "the meta item of table %s has no shard count", s->table);
        return TAPI_EUNAVAILABLE;
    }
    if (!cJSON_IsString(n)) {
        tapi_buf b;
        begin_request(&b, s);
        put_id_key(&b, META_KEY_ID);
        tapi_buf_puts(&b, ",\"UpdateExpression\":\"SET shards = :n\","
                          "\"ConditionExpression\":\"attribute_not_exists(shards)\","
                          "\"ExpressionAttributeValues\":{");
        put_n(&b, ":n", s->shards);
        tapi_buf_append(&b, "}", 1);
        cJSON *root;
        tapi_ddb_reply reply;
        tapi_err err = call(s, "UpdateItem", &b, deadline, &root, &reply);
        cJSON_Delete(root);
        if (err == TAPI_OK) return TAPI_OK;
        if (err != TAPI_ECONFLICT) {
            snprintf(errbuf, errlen, "cannot record the shard count in table %s (%s)", s->table,
                     tapi_strerror(err));
            return err == TAPI_ENOMEM ? err : TAPI_EUNAVAILABLE;
        }
        /* another instance recorded one first: compare with that */
        err = get_item(s, deadline, META_KEY_ID, &root);
        if (err != TAPI_OK) {
            snprintf(errbuf, errlen, "cannot read the shard count of table %s", s->table);
            return err;
        }
        err = check_shards(s, cJSON_GetObjectItemCaseSensitive(root, "Item"), deadline, true,
                           errbuf, errlen);
        cJSON_Delete(root);
        return err;
    }
    char *end;
    unsigned long stored = strtoul(n->valuestring, &end, 10);
    if (*end || stored != s->shards) {
        snprintf(errbuf, errlen,
                 "table %s was set up with TASKS_DDB_SHARDS=%.8s but this instance has %u; "
                 "set TASKS_DDB_SHARDS=%.8s (another count would leave tasks out of lists)",
                 s->table, n->valuestring, s->shards, n->valuestring);
        return TAPI_ECONFIG;
    }
    return TAPI_OK;
}

/* Writes a fresh meta item (page-token key and shard count) unless one exists: the first
 * instance to start on a table wins, every other keeps what it wrote. TAPI_OK when this
 * one did (the key it wrote is then the store's: nothing needs reading back);
 * TAPI_ECONFLICT when another's was there first. */
static tapi_err create_meta(ddb_store *s, int64_t deadline, tapi_ddb_reply *reply)
{
    uint8_t fresh[TAPI_TOKEN_KEY_BYTES];
    char hex[2 * TAPI_TOKEN_KEY_BYTES + 1];
    if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh) return TAPI_EUNAVAILABLE;
    tapi_hex_encode(fresh, sizeof fresh, hex);
    tapi_buf b;
    begin_request(&b, s);
    tapi_buf_puts(&b, ",\"Item\":{");
    put_s(&b, "id", META_KEY_ID);
    tapi_buf_append(&b, ",", 1);
    put_s(&b, "key", hex);
    tapi_buf_append(&b, ",", 1);
    put_n(&b, "shards", s->shards);
    tapi_buf_puts(&b, "},\"ConditionExpression\":\"attribute_not_exists(id)\"");
    cJSON *root;
    tapi_err err = call(s, "PutItem", &b, deadline, &root, reply);
    cJSON_Delete(root);
    if (err == TAPI_OK) memcpy(s->base.token_key, fresh, sizeof fresh);
    OPENSSL_cleanse(fresh, sizeof fresh);
    OPENSSL_cleanse(hex, sizeof hex);
    return err;
}

/* Reads the meta item; only on a table that has none yet is it created (conditionally),
 * and read again only when another instance created it first. A cold start on a set-up
 * table so costs one GetItem and no write; the first start on a new table one GetItem and
 * one conditional PutItem. */
static tapi_err load_meta(ddb_store *s, char *errbuf, size_t errlen)
{
    int64_t deadline = tapi_now_ms() + INIT_BUDGET_MS;
    cJSON *root;
    tapi_ddb_reply reply = {0};
    tapi_err err = get_item_reply(s, deadline, META_KEY_ID, &root, &reply);
    if (err == TAPI_OK && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "Item"))) {
        cJSON_Delete(root);
        err = create_meta(s, deadline, &reply);
        if (err == TAPI_OK) return TAPI_OK; /* its key and shard count are ours */
        /* another instance's is as good: read it */
        if (err == TAPI_ECONFLICT) err = get_item_reply(s, deadline, META_KEY_ID, &root, &reply);
    }
    if (err != TAPI_OK && reply.failure[0]) {
        snprintf(errbuf, errlen, "cannot reach DynamoDB for table %s: %s", s->table,
                 reply.failure);
        return err == TAPI_ENOMEM ? err : TAPI_EUNAVAILABLE;
    }
    if (err != TAPI_OK) {
        snprintf(errbuf, errlen,
                 "cannot read or create the page-token key in table %s (%s%s%s): does the "
                 "table exist and may these credentials use it?",
                 s->table, tapi_strerror(err), reply.error_type[0] ? ", " : "",
                 reply.error_type);
        return err == TAPI_ENOMEM ? err : TAPI_EUNAVAILABLE;
    }
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "Item");
    const char *stored = get_s(item, "key");
    err = stored && strlen(stored) == 2 * TAPI_TOKEN_KEY_BYTES &&
                  tapi_hex_decode(stored, TAPI_TOKEN_KEY_BYTES, s->base.token_key)
              ? TAPI_OK
              : TAPI_EUNAVAILABLE;
    if (err != TAPI_OK)
        snprintf(errbuf, errlen, "the stored page-token key is malformed");
    else
        err = check_shards(s, item, deadline, false, errbuf, errlen);
    cJSON_Delete(root);
    return err;
}

tapi_err tapi_dynamodb_open(const tapi_ddb_config *cfg, tapi_store **out, char *errbuf,
                            size_t errlen)
{
    *out = NULL;
    ddb_store *s = calloc(1, sizeof *s);
    if (!s) return TAPI_ENOMEM;
    s->base.ops = &OPS;
    s->shards = cfg->shards ? cfg->shards : 1;
    s->table = strdup(cfg->table);
    /* one pool slot per concurrent caller: a list's shard queries share its slot */
    tapi_err err = s->table ? tapi_ddb_client_open(cfg, &s->client, errbuf, errlen) : TAPI_ENOMEM;
    if (err == TAPI_OK) err = load_meta(s, errbuf, errlen);
    if (err != TAPI_OK) {
        op_close(&s->base);
        return err;
    }
    *out = &s->base;
    return TAPI_OK;
}

/* ---- create-table ---- */

static const char CREATE_TABLE_BODY[] =
    ",\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"shard\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"statusShard\",\"AttributeType\":\"S\"}],"
    "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"" TAPI_DDB_INDEX "\","
    "\"KeySchema\":[{\"AttributeName\":\"shard\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}},"
    "{\"IndexName\":\"" TAPI_DDB_STATUS_INDEX "\","
    "\"KeySchema\":[{\"AttributeName\":\"statusShard\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}}]";

/* 1: table and indexes active; 0: not yet; -1: the table lacks one of our indexes. */
static int table_ready(const cJSON *root)
{
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(root, "Table");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(table, "TableStatus");
    const cJSON *gsis = cJSON_GetObjectItemCaseSensitive(table, "GlobalSecondaryIndexes");
    static const char *const wanted[] = {TAPI_DDB_INDEX, TAPI_DDB_STATUS_INDEX};
    int ready = cJSON_IsString(status) && strcmp(status->valuestring, "ACTIVE") == 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        const cJSON *g;
        int found = -1;
        cJSON_ArrayForEach(g, gsis) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "IndexName");
            if (cJSON_IsString(name) && strcmp(name->valuestring, wanted[i]) == 0) {
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(g, "IndexStatus");
                found = cJSON_IsString(st) && strcmp(st->valuestring, "ACTIVE") == 0 ? 1 : 0;
            }
        }
        if (found < 0) return -1;
        ready = ready && found;
    }
    return ready;
}

tapi_err tapi_dynamodb_create_table(const tapi_ddb_config *cfg, unsigned wait_s, char *errbuf,
                                    size_t errlen)
{
    ddb_store s = {.table = (char *)cfg->table, .shards = cfg->shards};
    errbuf[0] = '\0';
    tapi_err err = tapi_ddb_client_open(cfg, &s.client, errbuf, errlen);
    if (err != TAPI_OK) return err;
    int64_t deadline = tapi_now_ms() + (int64_t)wait_s * 1000;
    tapi_buf b;
    begin_request(&b, &s);
    tapi_buf_puts(&b, CREATE_TABLE_BODY);
    cJSON *root;
    tapi_ddb_reply reply;
    err = call(&s, "CreateTable", &b, deadline, &root, &reply);
    cJSON_Delete(root);
    if (err == TAPI_EINVAL && strcmp(reply.error_type, "ResourceInUseException") == 0) {
        tapi_log(TAPI_LOG_INFO, "table %s already exists", cfg->table);
        err = TAPI_OK;
    } else if (err == TAPI_OK) {
        tapi_log(TAPI_LOG_INFO, "creating table %s", cfg->table);
    }
    int ready = 0;
    while (err == TAPI_OK && !ready) {
        begin_request(&b, &s);
        err = call(&s, "DescribeTable", &b, deadline, &root, &reply);
        if (err != TAPI_OK) break;
        ready = table_ready(root);
        cJSON_Delete(root);
        if (ready < 0) {
            snprintf(errbuf, errlen, "table %s exists but lacks index '%s' or '%s' (Terraform's "
                     "modules/dynamodb has both; then run tasks-api migrate)", cfg->table,
                     TAPI_DDB_INDEX, TAPI_DDB_STATUS_INDEX);
            err = TAPI_ECONFIG;
        } else if (!ready && tapi_now_ms() > deadline) {
            snprintf(errbuf, errlen, "table %s is not ACTIVE after %u s", cfg->table, wait_s);
            err = TAPI_EUNAVAILABLE;
        } else if (!ready) {
            nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
        }
    }
    if (err != TAPI_OK && !errbuf[0])
        snprintf(errbuf, errlen, "cannot create table %s: %s %s", cfg->table, tapi_strerror(err),
                 reply.error_type);
    tapi_ddb_client_close(s.client);
    return err;
}

/* ---- migrate ---- */

/* Gives one legacy task its statusShard, unless it has one (then a newer write did). */
static tapi_err add_status_shard(ddb_store *s, int64_t deadline, const cJSON *item, bool *changed)
{
    tapi_task t;
    *changed = false;
    if (get_s(item, "statusShard")) return TAPI_OK;
    tapi_err err = item_to_task(item, &t);
    if (err != TAPI_OK) return err;
    char status_shard[PARTITION_KEY_MAX];
    status_shard_key(TAPI_OWNER_SHARED, t.status, shard_of(s, t.id), status_shard);
    tapi_buf b;
    begin_request(&b, s);
    put_id_key(&b, t.id);
    tapi_buf_puts(&b, ",\"UpdateExpression\":\"SET #ss = :ss\","
                      "\"ConditionExpression\":\"attribute_exists(#id) AND attribute_not_exists(#ss)"
                      " AND #s = :s\",\"ExpressionAttributeNames\":{\"#id\":\"id\","
                      "\"#ss\":\"statusShard\",\"#s\":\"status\"},\"ExpressionAttributeValues\":{");
    put_s(&b, ":ss", status_shard);
    tapi_buf_append(&b, ",", 1);
    put_s(&b, ":s", tapi_status_name(t.status));
    tapi_buf_append(&b, "}", 1);
    tapi_task_clear(&t);
    cJSON *root;
    tapi_ddb_reply reply;
    err = call(s, "UpdateItem", &b, deadline, &root, &reply);
    cJSON_Delete(root);
    if (err == TAPI_OK) *changed = true;
    /* changed, deleted or given one meanwhile: nothing left to do for it */
    return err == TAPI_ECONFLICT ? TAPI_OK : unavailable_if_invalid(err);
}

tapi_err tapi_dynamodb_migrate(const tapi_ddb_config *cfg, size_t *updated, char *errbuf,
                               size_t errlen)
{
    *updated = 0;
    tapi_store *base = NULL;
    tapi_err err = tapi_dynamodb_open(cfg, &base, errbuf, errlen);
    if (err != TAPI_OK) return err;
    ddb_store *s = (ddb_store *)base;
    for (unsigned k = 0; k < s->shards && err == TAPI_OK; k++) {
        partition part = {.index = TAPI_DDB_INDEX, .attr = "shard"};
        shard_key(TAPI_OWNER_SHARED, k, part.value);
        char *start_key = NULL;
        do {
            tapi_buf b;
            begin_request(&b, s);
            tapi_buf_puts(&b, ",\"IndexName\":\"" TAPI_DDB_INDEX "\",\"KeyConditionExpression\":"
                              "\"#h = :h\",\"ExpressionAttributeNames\":{\"#h\":\"shard\"},"
                              "\"ExpressionAttributeValues\":{");
            put_s(&b, ":h", part.value);
            tapi_buf_puts(&b, "},\"Limit\":200");
            if (start_key) {
                tapi_buf_puts(&b, ",\"ExclusiveStartKey\":");
                tapi_buf_puts(&b, start_key);
                free(start_key);
                start_key = NULL;
            }
            cJSON *root;
            tapi_ddb_reply reply;
            int64_t deadline = tapi_now_ms() + INIT_BUDGET_MS;
            err = unavailable_if_invalid(call(s, "Query", &b, deadline, &root, &reply));
            if (err != TAPI_OK) break;
            const cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "Items")) {
                bool changed;
                if (err == TAPI_OK) err = add_status_shard(s, deadline, it, &changed);
                if (err == TAPI_OK && changed) ++*updated;
            }
            const cJSON *last = cJSON_GetObjectItemCaseSensitive(root, "LastEvaluatedKey");
            if (err == TAPI_OK && cJSON_IsObject(last)) {
                start_key = cJSON_PrintUnformatted(last);
                if (!start_key) err = TAPI_ENOMEM;
            }
            cJSON_Delete(root);
        } while (err == TAPI_OK && start_key);
        free(start_key);
    }
    if (err != TAPI_OK)
        snprintf(errbuf, errlen, "migrating table %s stopped after %zu task(s): %s", cfg->table,
                 *updated, tapi_strerror(err));
    tapi_store_close(base);
    return err;
}
