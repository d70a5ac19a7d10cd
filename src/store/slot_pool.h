/* A blocking pool of slot indexes 0..n-1, used by stores to hand each concurrent caller
 * its own connection (an sqlite3 handle or a curl easy handle), which must never be used
 * by two threads at once. */
#ifndef TAPI_SLOT_POOL_H
#define TAPI_SLOT_POOL_H

#include <pthread.h>
#include <stddef.h>

#include "../core/errors.h"

typedef struct tapi_slot_pool {
    pthread_mutex_t mu;
    pthread_cond_t available;
    size_t *free_slots;
    size_t free_count;
} tapi_slot_pool;

/* All n slots start free. TAPI_ENOMEM on allocation failure. */
tapi_err tapi_slot_pool_init(tapi_slot_pool *pool, size_t n);
/* Takes a free slot, waiting until one is released if none is. */
size_t tapi_slot_pool_acquire(tapi_slot_pool *pool);
void tapi_slot_pool_release(tapi_slot_pool *pool, size_t slot);
/* Frees the pool; no slot may be in use. Safe on a zeroed pool. */
void tapi_slot_pool_destroy(tapi_slot_pool *pool);

#endif
