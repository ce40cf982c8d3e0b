/* taskstate.h - the task state machine: which transitions exist, which
 * states are final, and the one function that changes a task's state.
 *
 *   pending  -> ready | upstream_failed | cancelled
 *   ready    -> running | skipped | failed | cancelled
 *   running  -> succeeded | failed | timed_out | cancelled | retrying | ready
 *   retrying -> ready | cancelled
 *
 * ready -> failed is a task that fails before its worker is called (its
 * `if` or inputs could not be evaluated, its worker is gone); running ->
 * ready is a retry without backoff. Final states have no way out.
 *
 * Every change goes through task_move: a compare-and-swap from the state
 * the caller expects, so two threads racing for a task (a stop's sweep and
 * a dependency ending, a backoff timer and a cancel) cannot both win: the
 * loser sees false and leaves the task alone. A move only the owner of a
 * ready or running task can make goes through task_move_owned, which test
 * builds check the same way. Whoever moves a task into a
 * final state counts it, once: that is what keeps a run's count of
 * unfinished tasks exact (sched.c, end_task). Pending and retrying tasks
 * are the only ones a stop's sweep takes; a ready or running task belongs
 * to the thread that readied or started it. */
#ifndef SYM_TASKSTATE_H
#define SYM_TASKSTATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "symphony.h"

static inline bool taskstate_final(uint8_t st)
{
    return st >= SYM_TASK_SUCCEEDED && st < SYM_TASK_STATE_COUNT;
}

#define TS_BIT(s) (1u << (s))
#define TS_FINAL_BITS                                                                              \
    (TS_BIT(SYM_TASK_SUCCEEDED) | TS_BIT(SYM_TASK_FAILED) | TS_BIT(SYM_TASK_TIMED_OUT) |           \
     TS_BIT(SYM_TASK_SKIPPED) | TS_BIT(SYM_TASK_UPSTREAM_FAILED) | TS_BIT(SYM_TASK_CANCELLED))

/* Whether from -> to is a transition of the machine above. */
static inline bool taskstate_edge(uint8_t from, uint8_t to)
{
    static const uint16_t next[SYM_TASK_STATE_COUNT] = {
        [SYM_TASK_PENDING] = TS_BIT(SYM_TASK_READY) | TS_BIT(SYM_TASK_UPSTREAM_FAILED) |
                             TS_BIT(SYM_TASK_CANCELLED),
        [SYM_TASK_READY] = TS_BIT(SYM_TASK_RUNNING) | TS_BIT(SYM_TASK_SKIPPED) |
                           TS_BIT(SYM_TASK_FAILED) | TS_BIT(SYM_TASK_CANCELLED),
        [SYM_TASK_RUNNING] = (TS_FINAL_BITS & ~(TS_BIT(SYM_TASK_SKIPPED) |
                                                TS_BIT(SYM_TASK_UPSTREAM_FAILED))) |
                             TS_BIT(SYM_TASK_RETRYING) | TS_BIT(SYM_TASK_READY),
        [SYM_TASK_RETRYING] = TS_BIT(SYM_TASK_READY) | TS_BIT(SYM_TASK_CANCELLED),
    };
    return from < SYM_TASK_STATE_COUNT && to < SYM_TASK_STATE_COUNT && (next[from] & TS_BIT(to));
}

/* Moves *state from `from` to `to`: true when this call made the move,
 * false when the task was no longer in `from` (another thread took it).
 * Sequentially consistent: what the mover wrote before (outputs, errors)
 * is visible to whoever reads the new state with acquire, and a stop's
 * sweep (which stores the run's stop flag, then loads states) and a task
 * moving into a state the sweep takes (which then loads the flag) cannot
 * both miss each other. */
static inline bool task_move(_Atomic uint8_t *state, uint8_t from, uint8_t to)
{
    SYM_ASSERT(taskstate_edge(from, to));
    return atomic_compare_exchange_strong_explicit(state, &from, to, memory_order_seq_cst,
                                                   memory_order_acquire);
}

/* A move only the task's owner can make: the thread that readied or
 * started it, since no sweep or other thread moves a ready or running
 * task. It cannot lose, so it is a release store, not a compare-and-swap:
 * two locked instructions per task (ready -> running -> succeeded) cost a
 * third of the engine's time per task. Test builds (SYM_ASSERTS) make it
 * a compare-and-swap and stop if it lost, which would mean another thread
 * moved a task it does not own. */
static inline void task_move_owned(_Atomic uint8_t *state, uint8_t from, uint8_t to)
{
#ifdef SYM_ASSERTS
    bool moved = task_move(state, from, to);
    SYM_ASSERT(moved);
#else
    (void)from;
    atomic_store_explicit(state, to, memory_order_release);
#endif
}

#endif
