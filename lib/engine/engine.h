/* engine.h - the internals of sym_engine, sym_run and sym_task, shared by
 * engine.c (lifecycle, registry front, metrics), run.c (run lifecycle and
 * accessors), sched.c (the hot path: dispatch, completion, trigger rules,
 * retries, timeouts, cancellation), task.c (the worker API) and report.c.
 *
 * The hot path touches only a run's flat array of rtask records: an atomic
 * count of finished dependencies, a state byte and a few relaxed fields.
 * Counting finished tasks is batched per thread (see xctx), so no shared
 * counter is hit per task. */
#ifndef SYM_ENGINE_H
#define SYM_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "limit.h"
#include "pool.h"
#include "registry.h"
#include "ticks.h"
#include "symphony.h"
#include "timer.h"
#include "workflow.h"

#if defined(__GNUC__)
#define SYM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SYM_UNLIKELY(x) (x)
#endif

#define RLX memory_order_relaxed
#define TASK_NONE UINT32_MAX

/* Per-thread, per-worker counters; written by the owning thread only
 * (relaxed load + store, no read-modify-write), summed on snapshot. */
typedef struct wstat {
    _Atomic uint64_t calls, failures, lat_sum, lat_max;
} wstat;

/* An execution context: one per pool thread, or a short-lived one on any
 * other thread (timer, host). It batches the "one more task is final"
 * count of the run it last worked on. */
typedef struct xctx {
    sym_engine *eng;
    pool_slot *slot; /* NULL off the pool: pushes go to the injection queue */
    unsigned tid;    /* trace thread id */
    struct slot_data *sd; /* NULL off the pool */
    sym_run *batch_run;
    int64_t batch_n;
    /* Of batch_n, the tasks that ended in each state, and those of them
     * whose end fails the run (see end_task). */
    uint32_t batch_final[SYM_TASK_STATE_COUNT];
    uint32_t batch_failed;
    /* Successes counted toward one task of many dependencies (fan-in) and
     * not yet added to its shared count, which every thread ending one of
     * them would otherwise fight over (see fanin_add in sched.c). */
    sym_run *fan_run; /* NULL: none held */
    uint32_t fan_task, fan_n;
    uint32_t *work; /* propagation worklist (no recursion on long chains) */
    size_t nwork, capwork;
    /* The engine clock when this thread's latest attempt ended, or 0 once
     * it has gone idle since: a task it pops off its own deque became
     * ready before then, so its attempt starts then (see attempt_task). */
    int64_t last_end;
    ticks_clock ticks; /* this thread's reading of the default clock */
} xctx;

/* What the engine keeps beside each pool slot. The hazard stays on the
 * worker this thread last called until it calls another or goes idle, so
 * the seq_cst store it takes is paid once per switch, not per task; busy
 * says whether a call is in progress now (for metrics only). */
typedef struct slot_data {
    _Atomic(reg_worker *) hazard; /* the worker this thread may be calling */
    reg_worker *cur;              /* == hazard; owner only */
    atomic_bool busy;             /* inside a callback now */
    pthread_mutex_t stats_mu;     /* guards growing stats against snapshots */
    _Atomic(wstat *) stats;       /* indexed by reg_worker.id */
    _Atomic uint32_t nstats;
    xctx cx;
} slot_data;

/* A group of runs of one workflow on one engine: the `workers:` limits of
 * the workflow are shared by all of them. */
typedef struct wfgroup {
    const sym_workflow *wf;
    unsigned runs;
    limiter *lims;  /* per wf worker index */
    bool *has;      /* which of lims are set */
    struct wfgroup *next;
} wfgroup;

struct sym_engine {
    sym_engine_config cfg;
    sym_clock_fn clock;
    void *clock_user;
    sym_observer_fn observer; /* NULL: the hot path tests one pointer */
    /* The default clock and no observer: an attempt popped off a thread's
     * own deque starts when that thread's previous attempt ended (one
     * clock read per attempt). A custom clock or an observer gets a fresh
     * read at each start. */
    bool fast_clock;
    bool ticks; /* fast_clock, read through the counter (ticks.h) */
    pool *pool;
    timer timer;
    registry reg;
    pthread_mutex_t mu; /* runs, groups, ended counts */
    pthread_cond_t cv;  /* runs_active reached 0 */
    sym_run *runs;      /* live runs, linked */
    unsigned runs_active;
    wfgroup *groups;
    uint64_t ended_counts[SYM_TASK_STATE_COUNT]; /* final states of ended runs */
    _Atomic uint64_t retries;
    _Atomic uint64_t rng;
    _Atomic uint64_t run_seq;
};

/* One attempt slice for the trace. */
typedef struct slice {
    int64_t start, end;
    uint16_t tid;
    uint8_t outcome; /* sym_task_state */
} slice;

/* Rarely needed per-task data, made on first need under run->mu. */
typedef struct rtask_aux {
    timer_entry retry; /* first: the backoff wait */
    sym_run *run;
    uint32_t index;
    char *error;        /* the last error */
    sym_value *outputs; /* owned map, or NULL */
    slice *slices;      /* every attempt once there was more than one */
    uint32_t nslices, capslices;
    struct rtask_aux *next; /* the run's list of them, for freeing */
} rtask_aux;

/* The per-task record. Zeroed memory is a valid pending task. 32 bytes,
 * so a record never straddles two cache lines: its rare extras live in a
 * separate array (sym_run.aux) that the hot path never touches. */
typedef struct rtask {
    _Atomic uint32_t deps_done;
    _Atomic uint8_t state; /* sym_task_state */
    _Atomic uint8_t bad;   /* a dependency ended other than (effectively) succeeded */
    uint8_t held;          /* limit slots held: LIM_* bits; owner only */
    _Atomic uint16_t tid;  /* thread of the latest attempt */
    _Atomic uint32_t attempts;
    _Atomic int64_t first_ns, end_ns;
} rtask;

/* Limit slots, taken in this order (the most specific first, so a task
 * waiting for its matrix's max_parallel holds no other slot). */
enum { LIM_GROUP = 1, LIM_RUN = 2, LIM_WF = 4, LIM_REG = 8 };
enum { STOP_NONE = 0, STOP_CANCEL = 1, STOP_FAILFAST = 2 };

/* The per-attempt control block of an attempt with a timeout. */
typedef struct attempt_ctl {
    timer_entry te; /* first */
    sym_run *run;
    uint32_t index;
    uint32_t attempt;
    int64_t start;
    uint16_t tid;
    atomic_bool cancel;
    atomic_int decided; /* 0 open, 1 the callback returned first, 2 timed out */
} attempt_ctl;

struct sym_task {
    sym_run *run;
    uint32_t index;
    uint32_t attempt;
    attempt_ctl *ctl;
    char *error;
    bool fatal;
    sym_value *outputs; /* owned map, made on first output */
    size_t out_bytes;
    const sym_value *inputs; /* evaluated `with` (data flow only), or NULL */
    arena *scratch;          /* where inputs live for this attempt, or NULL */
};

struct sym_run {
    sym_engine *eng;     /* only until the run has ended */
    sym_workflow *wf;    /* one reference held (the run's own when expanded
                            for its params) */
    const wf_hot *hot;     /* wf->hot: what the hot path reads of a task */
    const wf_dataflow *df; /* wf->df: NULL when there are no expressions */
    limiter *glims;        /* per df group: max_parallel limits, or NULL */
    char *id;
    sym_value *params;   /* owned map */
    int64_t start_ns, end_ns;
    char started_at[32]; /* ISO-8601 UTC */
    _Atomic int64_t remaining; /* non-final tasks + abandoned callbacks */
    /* Tasks ended in each state, and those whose end fails the run: added
     * from each thread's batch before its count of remaining, so they are
     * complete when the run ends (no pass over every task then). */
    _Atomic uint64_t final_counts[SYM_TASK_STATE_COUNT];
    _Atomic uint64_t failed_tasks;
    atomic_int stop;           /* STOP_* */
    atomic_int status;         /* sym_run_status */
    pthread_mutex_t mu;        /* aux data; ended */
    pthread_cond_t cv;
    bool ended;
    bool has_limits;
    reg_worker **w;      /* per wf worker index */
    limiter **wlim;      /* per wf worker index: the workflow limit, or NULL */
    limiter runlim;      /* when wf->concurrency > 0 */
    wfgroup *group;
    timer_entry deadline;
    bool has_deadline;
    struct sym_run *next, *prev;
    rtask *rt; /* zeroed, from sym__mem_big_calloc (see run_alloc) */
    /* Per task, its extras or NULL (zeroed; most runs never touch it).
     * Set under mu, read with acquire (run_aux). */
    _Atomic(rtask_aux *) *aux;
    rtask_aux *aux_list; /* every extra made, under mu */
    /* The tasks ready at the start, in index order (sym__sched_start), queued
     * as ranges of this list rather than one by one; NULL when there was
     * no memory for it (they were queued one by one). */
    uint32_t *roots;
};

/* Task i's extras, or NULL. */
static inline rtask_aux *run_aux(const sym_run *r, uint32_t i)
{
    return atomic_load_explicit(&r->aux[i], memory_order_acquire);
}

/* engine.c */
static inline int64_t engine_now(const sym_engine *e)
{
    return e->clock(e->clock_user);
}
uint64_t sym__engine_random(sym_engine *e);
void sym__engine_emit(sym_engine *e, sym_event_type type, sym_run *r, uint32_t index,
                      uint32_t attempt, int64_t delay_ms, const char *error);
/* A test hook: the manual clock moved, fire what is due. */
void sym__engine_clock_advanced(sym_engine *engine);
void sym__xctx_init(xctx *cx, sym_engine *e, pool_slot *slot);
void sym__xctx_fini(xctx *cx);
/* Keeps r from ending (one more "remaining") unless it already has. */
bool sym__run_hold(sym_run *r);

/* sched.c */
void sym__sched_exec(pool_slot *slot, pool_item item, bool local, void *user);
void sym__sched_idle(pool_slot *slot, void *user);
/* Counts n more final tasks of r (batched on pool threads). */
void sym__xctx_count(xctx *cx, sym_run *r, int64_t n);
/* Applies the batch; may end the run (the last access to it). */
void sym__xctx_flush(xctx *cx);
/* Marks the ready roots and queues them (run start). */
void sym__sched_start(sym_run *r);
/* Stops a run: no more dispatch, pending and waiting tasks cancelled. */
void sym__sched_stop(xctx *cx, sym_run *r, int reason);
/* From outside the pool: gives back one hold the caller took on r (see
 * sym__run_hold). May end r: the caller's last access to it. */
void sym__sched_release(sym_run *r);
/* From outside the pool: stops r, on which the caller holds a hold, and
 * gives that hold back (as sym__sched_release). */
void sym__sched_stop_held(sym_run *r, int reason);
void sym__sched_deadline_fire(timer_entry *te);
/* How a finished run ended; counts (when not NULL) gets tasks per state. */
sym_run_status sym__sched_status(const sym_run *r);
/* Pushes a task: inline, own deque or injection queue. */
void sym__sched_push(xctx *cx, sym_run *r, uint32_t index);

/* run.c */
/* Called once when remaining reaches 0. */
void sym__run_end(sym_run *r);
void sym__run_free_memory(sym_run *r);
/* sym_run_task_result with run->mu held by the caller. */
void sym__run_task_result_locked(sym_run *run, uint32_t index, sym_task_result *out);

/* task.c */
extern const sym_value sym__engine_empty_map;
void sym__task_discard(sym_task *t);

#endif
