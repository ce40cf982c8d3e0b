/* pool.h - the engine's threads. Each thread owns a work-stealing deque
 * (Chase-Lev): it pushes and pops at the bottom without locks, idle threads
 * steal from the top. Items pushed from outside the pool (the host thread,
 * the timer) go through a small locked injection queue. Idle threads sleep
 * on an event count, so a push wakes one only when someone sleeps. The
 * pool knows nothing of runs: an item is an opaque pointer and a number,
 * handed to the exec hook. */
#ifndef SYM_POOL_H
#define SYM_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define POOL_MAX_THREADS 1024

typedef struct pool_item {
    void *ptr;
    uint32_t index;
    uint32_t count; /* free for the engine (it marks ranges); fills padding */
} pool_item;

typedef struct pool pool;
typedef struct pool_slot pool_slot;

/* exec runs one item on a pool thread; local says it came off the thread's
 * own deque, so it was pushed by this thread (or taken in by it) before it
 * last called exec. idle is called on that thread before it looks for work
 * elsewhere or sleeps (to flush per-thread batches). */
typedef struct pool_hooks {
    void (*exec)(pool_slot *slot, pool_item item, bool local, void *user);
    void (*idle)(pool_slot *slot, void *user);
    void *user;
    size_t slot_data_size;            /* per-slot engine data, zeroed */
    void (*slot_init)(void *data);    /* may be NULL */
    void (*slot_fini)(void *data);    /* may be NULL */
} pool_hooks;

/* n threads started at once. SYM_OK, SYM_ENOMEM or SYM_EINVAL. */
int sym__pool_new(unsigned n, const pool_hooks *hooks, pool **out);
/* Stops and joins every thread; items still queued are dropped (the engine
 * makes sure none are). */
void sym__pool_free(pool *p);
int sym__pool_set_threads(pool *p, unsigned n);
unsigned sym__pool_threads(pool *p);

/* Pushes an item: onto slot's own deque when slot is the calling pool
 * thread's, else onto the injection queue. SYM_OK or SYM_ENOMEM. */
int sym__pool_push(pool *p, pool_slot *slot, pool_item item);
/* Pushes many items onto the injection queue under one lock. */
int sym__pool_push_many(pool *p, const pool_item *items, size_t n);
/* True while some thread is looking for work (spinning or asleep): a
 * hint, read without a fence, for a thread holding work it could share. */
bool sym__pool_has_idle(pool *p);

/* The slot's index (for traces), and the per-slot data the engine keeps
 * beside it (hazard pointer, statistics...), sized by pool_hooks. */
unsigned sym__pool_slot_index(const pool_slot *slot);
void *sym__pool_slot_data(pool_slot *slot);
/* Calls fn for every slot ever started (live or not) under the pool lock,
 * so fn may read slot data without racing a resize. */
void sym__pool_each_slot(pool *p, void (*fn)(void *data, void *arg), void *arg);

#endif
