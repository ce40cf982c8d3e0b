/* limit.c - counting limits with FIFO hand-over. */
#include "limit.h"

#include <stdlib.h>

#include "symphony.h"

void sym__limiter_init(limiter *l, unsigned max)
{
    *l = (limiter){0};
    pthread_mutex_init(&l->mu, NULL);
    l->max = max;
}

void sym__limiter_destroy(limiter *l)
{
    free(l->q);
    pthread_mutex_destroy(&l->mu);
}

static int enqueue(limiter *l, pool_item it)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        pool_item *q = malloc(cap * sizeof *q);
        if (!q)
            return SYM_ENOMEM;
        for (size_t i = 0; i < l->len; i++)
            q[i] = l->q[(l->head + i) % l->cap];
        free(l->q);
        l->q = q;
        l->head = 0;
        l->cap = cap;
    }
    l->q[(l->head + l->len) % l->cap] = it;
    l->len++;
    return SYM_OK;
}

int sym__limiter_acquire(limiter *l, pool_item it)
{
    pthread_mutex_lock(&l->mu);
    int rc = LIMIT_GOT;
    if (l->used < l->max && l->len == 0)
        l->used++;
    else
        rc = enqueue(l, it) == SYM_OK ? LIMIT_QUEUED : SYM_ENOMEM;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int sym__limiter_release(limiter *l, pool_item *next)
{
    pthread_mutex_lock(&l->mu);
    int handed = 0;
    if (l->len > 0) {
        *next = l->q[l->head];
        l->head = (l->head + 1) % l->cap;
        l->len--;
        handed = 1; /* the slot passes on: used stays */
    } else {
        l->used--;
    }
    pthread_mutex_unlock(&l->mu);
    return handed;
}

void sym__limiter_flush(limiter *l, const void *owner, void (*fn)(pool_item it, void *arg),
                        void *arg)
{
    pthread_mutex_lock(&l->mu);
    size_t kept = 0;
    for (size_t i = 0; i < l->len; i++) {
        pool_item it = l->q[(l->head + i) % l->cap];
        if (!owner || it.ptr == owner)
            fn(it, arg);
        else
            l->q[(l->head + kept++) % l->cap] = it;
    }
    l->len = kept;
    pthread_mutex_unlock(&l->mu);
}
