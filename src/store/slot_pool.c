/* Slot pool: a mutex-guarded stack of free indexes; see slot_pool.h. */
#include "slot_pool.h"

#include <stdlib.h>
#include <string.h>

tapi_err tapi_slot_pool_init(tapi_slot_pool *pool, size_t n)
{
    memset(pool, 0, sizeof *pool);
    pool->free_slots = calloc(n ? n : 1, sizeof *pool->free_slots);
    if (!pool->free_slots) return TAPI_ENOMEM;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->available, NULL);
    for (size_t i = 0; i < n; i++) pool->free_slots[pool->free_count++] = n - 1 - i;
    return TAPI_OK;
}

size_t tapi_slot_pool_acquire(tapi_slot_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    while (pool->free_count == 0) pthread_cond_wait(&pool->available, &pool->mu);
    size_t slot = pool->free_slots[--pool->free_count];
    pthread_mutex_unlock(&pool->mu);
    return slot;
}

void tapi_slot_pool_release(tapi_slot_pool *pool, size_t slot)
{
    pthread_mutex_lock(&pool->mu);
    pool->free_slots[pool->free_count++] = slot;
    pthread_cond_signal(&pool->available);
    pthread_mutex_unlock(&pool->mu);
}

void tapi_slot_pool_destroy(tapi_slot_pool *pool)
{
    if (!pool->free_slots) return;
    pthread_cond_destroy(&pool->available);
    pthread_mutex_destroy(&pool->mu);
    free(pool->free_slots);
    memset(pool, 0, sizeof *pool);
}
