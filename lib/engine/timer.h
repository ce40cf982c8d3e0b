/* timer.h - one thread that fires timers (retry backoffs, attempt timeouts,
 * run deadlines) when the engine clock reaches them. It waits on a condvar
 * with a real timeout worked out from the clock, so a manual clock only
 * needs sym__timer_poke after it moves. */
#ifndef SYM_TIMER_H
#define SYM_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symphony.h"

typedef struct timer_entry timer_entry;
struct timer_entry {
    int64_t due;                    /* engine clock, ns */
    size_t pos;                     /* heap position + 1; 0 when not queued */
    void (*fire)(timer_entry *e);   /* runs on the timer thread, unlocked */
};

typedef struct timer {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* new entries, pokes, stop */
    pthread_cond_t done_cv; /* a firing finished */
    timer_entry **heap;
    size_t len, cap;
    timer_entry *firing; /* the entry whose fire runs now */
    bool stop, started;
    pthread_t th;
    sym_clock_fn clock;
    void *clock_user;
} timer;

/* The engine clock ms milliseconds after now_ns, saturating instead of
 * overflowing (a duration of any size from any API path is safe here). */
static inline int64_t timer_due(int64_t now_ns, int64_t ms)
{
    if (ms <= 0)
        return now_ns;
    if (ms > INT64_MAX / 1000000)
        return INT64_MAX;
    int64_t ns = ms * 1000000;
    return now_ns > INT64_MAX - ns ? INT64_MAX : now_ns + ns;
}

int sym__timer_init(timer *t, sym_clock_fn clock, void *clock_user);
/* Stops the thread; entries still queued are dropped unfired. */
void sym__timer_destroy(timer *t);
/* Queues e to fire at e->due. SYM_OK or SYM_ENOMEM. */
int sym__timer_add(timer *t, timer_entry *e);
/* Makes sure e will not fire, or has finished firing, when this returns
 * (unless called from e's own fire). True when it was taken off unfired. */
bool sym__timer_cancel(timer *t, timer_entry *e);
/* The clock moved (a manual clock): look again at what is due. */
void sym__timer_poke(timer *t);

#endif
