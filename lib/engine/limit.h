/* limit.h - a counting limit with a FIFO of waiting tasks: the per-run,
 * per-workflow-worker and per-registration concurrency limits. A released
 * slot passes straight to the oldest waiter, so waiters are never
 * overtaken and the count never exceeds the limit. Locked: used only where
 * a limit is set. */
#ifndef SYM_LIMIT_H
#define SYM_LIMIT_H

#include <pthread.h>
#include <stddef.h>

#include "pool.h"

typedef struct limiter {
    pthread_mutex_t mu;
    unsigned max, used;
    pool_item *q; /* waiters, a ring */
    size_t head, len, cap;
} limiter;

void sym__limiter_init(limiter *l, unsigned max);
void sym__limiter_destroy(limiter *l);

enum { LIMIT_GOT = 0, LIMIT_QUEUED = 1 };
/* LIMIT_GOT: a slot is held. LIMIT_QUEUED: it is queued and will be handed
 * a slot by a release. SYM_ENOMEM: neither. */
int sym__limiter_acquire(limiter *l, pool_item it);
/* Gives a slot back. Returns 1 with *next set when a waiter took it over
 * (the caller dispatches that waiter), else 0. */
int sym__limiter_release(limiter *l, pool_item *next);
/* Removes the waiters whose ptr is owner (or every waiter when owner is
 * NULL) and calls fn on each; they got no slot. */
void sym__limiter_flush(limiter *l, const void *owner, void (*fn)(pool_item it, void *arg),
                        void *arg);

#endif
