/* sched.c - the execution hot path: a task is taken off a queue, its
 * limits are taken, its worker is called, and on completion its dependents'
 * counters are decremented; the first dependent that becomes ready runs
 * next on the same thread, the others go onto this thread's deque for idle
 * threads to steal. Retries, timeouts, trigger rules and cancellation are
 * here too, off the common path. */
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dataflow.h"
#include "engine.h"
#include "taskstate.h"

#define EMIT(e, ...)                                                                               \
    do {                                                                                           \
        if (SYM_UNLIKELY((e)->observer != NULL))                                                   \
            sym__engine_emit((e), __VA_ARGS__);                                                    \
    } while (0)

/* What a task without a compiled policy does: the format's defaults. */
static const sym_task_policy default_policy = SYM_TASK_POLICY_INIT;

static inline const sym_task_policy *policy_of(const sym_run *r, uint32_t i)
{
    const sym_task_policy *p = wf_task_policy(r->wf, i);
    return p ? p : &default_policy;
}

/* ---- counting final tasks ---- */

void sym__xctx_flush(xctx *cx)
{
    sym_run *r = cx->batch_run;
    int64_t n = cx->batch_n;
    cx->batch_run = NULL;
    cx->batch_n = 0;
    if (!r)
        return;
    /* Before the count below, which may end the run: sym__run_end reads these.
     * Even when no count is left to give back (holds taken out of the
     * batch used it up: the run is alive while they are out), these
     * belong to r, never to the next run the thread works on. */
    for (int st = 0; st < SYM_TASK_STATE_COUNT; st++)
        if (cx->batch_final[st]) {
            atomic_fetch_add_explicit(&r->final_counts[st], cx->batch_final[st], RLX);
            cx->batch_final[st] = 0;
        }
    if (cx->batch_failed) {
        atomic_fetch_add_explicit(&r->failed_tasks, cx->batch_failed, RLX);
        cx->batch_failed = 0;
    }
    if (!n)
        return;
    int64_t before = atomic_fetch_sub_explicit(&r->remaining, n, memory_order_acq_rel);
    SYM_ASSERT(before >= n); /* never below zero: nothing is counted twice */
    if (before == n)
        sym__run_end(r);
}

/* One more hold on r (a queued range). Taken from this thread's batch of
 * ends not yet counted when it has some, which keeps the count the run
 * sees at or above the true one (so the run cannot end early), without a
 * write to the count that every thread of the run shares. */
static void xctx_hold(xctx *cx, sym_run *r)
{
    if (cx->batch_run == r && cx->batch_n > 0)
        cx->batch_n--;
    else
        atomic_fetch_add_explicit(&r->remaining, 1, RLX);
}

void sym__xctx_count(xctx *cx, sym_run *r, int64_t n)
{
    if (cx->batch_run != r) {
        sym__xctx_flush(cx);
        cx->batch_run = r;
    }
    cx->batch_n += n;
}

/* ---- classification and trigger rules ---- */

enum { CLS_S, CLS_K, CLS_F, CLS_U, CLS_C, CLS_OPEN };

/* How task i's outcome counts for its dependents and for the run:
 * continue_on_error turns a final failure into a success. */
static int classify(const sym_run *r, uint32_t i, uint8_t st)
{
    switch (st) {
    case SYM_TASK_SUCCEEDED:
        return CLS_S;
    case SYM_TASK_FAILED:
    case SYM_TASK_TIMED_OUT:
        return policy_of(r, i)->continue_on_error ? CLS_S : CLS_F;
    case SYM_TASK_SKIPPED:
        return CLS_K;
    case SYM_TASK_UPSTREAM_FAILED:
        return CLS_U;
    case SYM_TASK_CANCELLED:
        return CLS_C;
    default:
        return CLS_OPEN;
    }
}

/* Decided once every dependency of s is final. A task without
 * dependencies always runs: trigger rules speak of dependencies. A task
 * the rule allows then has its `if` evaluated (see cond_allows). Called
 * only when a dependency ended badly or s has a failure trigger: with
 * neither, succ_done knows the answer (yes) without it. */
static bool trigger_allows(const sym_run *r, uint32_t s)
{
    bool bad = atomic_load_explicit(&r->rt[s].bad, RLX);
    const sym_workflow *wf = r->wf;
    uint32_t ndeps = wf_dep_count(wf, s);
    sym_trigger trig = policy_of(r, s)->trigger;
    if (trig == SYM_TRIGGER_ALL_DONE || ndeps == 0)
        return true;
    if (!bad)
        return trig != SYM_TRIGGER_ALL_FAILED && trig != SYM_TRIGGER_ONE_FAILED;
    uint32_t n[CLS_OPEN + 1] = {0};
    const uint32_t *deps = wf->deps + wf_dep_begin(wf, s);
    for (uint32_t j = 0; j < ndeps; j++)
        n[classify(r, deps[j], atomic_load_explicit(&r->rt[deps[j]].state, memory_order_acquire))]++;
    uint32_t failed = n[CLS_F] + n[CLS_U];
    switch (trig) {
    case SYM_TRIGGER_ALL_SUCCESS:
        return n[CLS_S] + n[CLS_K] == ndeps;
    case SYM_TRIGGER_NONE_FAILED:
        return failed == 0 && n[CLS_C] == 0;
    case SYM_TRIGGER_ALL_FAILED:
        return failed == ndeps;
    case SYM_TRIGGER_ONE_FAILED:
        return failed > 0;
    case SYM_TRIGGER_ONE_SUCCESS:
        return n[CLS_S] > 0;
    default:
        return true;
    }
}

/* The engine clock on this thread: the default clock through the
 * thread's counter where it can (ticks.h), never below this thread's
 * previous value. */
static inline int64_t thread_now(xctx *cx)
{
    sym_engine *e = cx->eng;
    return e->ticks ? ticks_now(&cx->ticks, e->clock, e->clock_user) : engine_now(e);
}

/* ---- pushing ---- */

static void push_item(xctx *cx, pool_item it)
{
    /* Out of memory for a queue slot: there is no other place the task can
     * go without being lost, so wait for memory rather than hang the run. */
    while (sym__pool_push(cx->eng->pool, cx->slot, it) != SYM_OK)
        sched_yield();
}

void sym__sched_push(xctx *cx, sym_run *r, uint32_t index)
{
    pool_item it = {r, index, 0};
    push_item(cx, it);
}

/* ---- final states ---- */

static sym_event_type event_of(uint8_t st)
{
    switch (st) {
    case SYM_TASK_SUCCEEDED:
        return SYM_EVENT_TASK_SUCCEEDED;
    case SYM_TASK_FAILED:
        return SYM_EVENT_TASK_FAILED;
    case SYM_TASK_TIMED_OUT:
        return SYM_EVENT_TASK_TIMED_OUT;
    case SYM_TASK_SKIPPED:
        return SYM_EVENT_TASK_SKIPPED;
    case SYM_TASK_UPSTREAM_FAILED:
        return SYM_EVENT_TASK_UPSTREAM_FAILED;
    default:
        return SYM_EVENT_TASK_CANCELLED;
    }
}

static const char *aux_error(sym_run *r, uint32_t i)
{
    rtask_aux *aux = run_aux(r, i);
    return aux ? aux->error : NULL;
}

/* Task i has just moved into final state st: its event, and one more
 * final task of the run (batched). Only the thread that made the move. */
static void count_end(xctx *cx, sym_run *r, uint32_t i, uint8_t st)
{
    EMIT(cx->eng, event_of(st), r, i, atomic_load_explicit(&r->rt[i].attempts, RLX), 0,
         st == SYM_TASK_SUCCEEDED ? NULL : aux_error(r, i));
    sym__xctx_count(cx, r, 1);
    cx->batch_final[st]++;
    if (SYM_UNLIKELY(st != SYM_TASK_SUCCEEDED)) {
        int cls = classify(r, i, st);
        cx->batch_failed += cls == CLS_F || cls == CLS_U || cls == CLS_C;
    }
}

/* Moves task i from `from` into final state st and counts it. False, with
 * nothing done, when the task was no longer in `from` (a stop's sweep or
 * another dependency's end took it). */
static bool end_task(xctx *cx, sym_run *r, uint32_t i, uint8_t from, uint8_t st, int64_t when)
{
    SYM_ASSERT(taskstate_final(st));
    rtask *t = &r->rt[i];
    if (!task_move(&t->state, from, st))
        return false;
    atomic_store_explicit(&t->end_ns, when, RLX);
    count_end(cx, r, i, st);
    return true;
}

/* end_task for a task this thread owns (ready or running), which no other
 * thread can move: see task_move_owned. */
static void end_owned(xctx *cx, sym_run *r, uint32_t i, uint8_t from, uint8_t st, int64_t when)
{
    SYM_ASSERT(taskstate_final(st));
    rtask *t = &r->rt[i];
    atomic_store_explicit(&t->end_ns, when, RLX);
    task_move_owned(&t->state, from, st);
    count_end(cx, r, i, st);
}

static void check_fail_fast(xctx *cx, sym_run *r, uint32_t i, uint8_t st)
{
    int cls = classify(r, i, st);
    if ((cls == CLS_F || cls == CLS_U) && SYM_UNLIKELY(r->wf->fail_fast))
        sym__sched_stop(cx, r, STOP_FAILFAST);
}

static bool work_push(xctx *cx, uint32_t k)
{
    if (cx->nwork == cx->capwork) {
        size_t cap = cx->capwork ? cx->capwork * 2 : 64;
        uint32_t *w = realloc(cx->work, cap * sizeof *w);
        if (!w)
            return false;
        cx->work = w;
        cx->capwork = cap;
    }
    cx->work[cx->nwork++] = k;
    return true;
}

static rtask_aux *record_failure(sym_run *r, uint32_t i, char *err, uint32_t attempt, int64_t t0,
                                 int64_t t1, uint16_t tid, uint8_t outcome, bool retrying);

/* Task s (now READY, owned by the caller) has an `if`: true when it is to
 * run; otherwise it has ended skipped (false) or failed (an evaluation
 * error, not retried) and its dependents must learn. */
static bool cond_allows(xctx *cx, sym_run *r, uint32_t s, int64_t when)
{
    bool go;
    char *msg;
    int rc = sym__dataflow_condition(r, s, &go, &msg);
    if (rc == SYM_OK && go)
        return true;
    if (!when)
        when = engine_now(cx->eng);
    if (rc == SYM_OK) {
        end_owned(cx, r, s, SYM_TASK_READY, SYM_TASK_SKIPPED, when);
        return false;
    }
    record_failure(r, s, msg ? msg : sym__str_printf("out of memory"), 0, when, when,
                   (uint16_t)cx->tid, SYM_TASK_FAILED, false);
    end_owned(cx, r, s, SYM_TASK_READY, SYM_TASK_FAILED, when);
    check_fail_fast(cx, r, s, SYM_TASK_FAILED);
    return false;
}

/* What became of successor s when one more of its dependencies ended. */
enum { SUCC_WAIT, SUCC_READY, SUCC_UPSTREAM };

static int fanin_add(xctx *cx, sym_run *r, uint32_t s);

/* Every dependency of s has ended: the caller counted the last. As
 * succ_done returns. */
static inline int succ_ready(xctx *cx, sym_run *r, uint32_t s, int64_t when)
{
    rtask *ts = &r->rt[s];
    /* Every dependency effectively succeeded and s has no failure
     * trigger: the rule allows s without a look at its dependencies. */
    bool plain = !atomic_load_explicit(&ts->bad, RLX) && !(r->hot[s].flags & WF_HOT_ON_FAILURE);
    if (SYM_UNLIKELY(!plain) && !trigger_allows(r, s)) {
        if (!end_task(cx, r, s, SYM_TASK_PENDING, SYM_TASK_UPSTREAM_FAILED,
                      when ? when : engine_now(cx->eng)))
            return SUCC_WAIT; /* swept to cancelled by a stop */
        check_fail_fast(cx, r, s, SYM_TASK_UPSTREAM_FAILED);
        return SUCC_UPSTREAM;
    }
    if (!task_move(&ts->state, SYM_TASK_PENDING, SYM_TASK_READY))
        return SUCC_WAIT; /* swept to cancelled by a stop */
    if (SYM_UNLIKELY(r->df != NULL) && r->df->tasks[s].condition && !cond_allows(cx, r, s, when))
        return SUCC_UPSTREAM;
    EMIT(cx->eng, SYM_EVENT_TASK_READY, r, s, 0, 0, NULL);
    return SUCC_READY;
}

/* A task with this many dependencies or more is a fan-in: successes
 * toward it are counted on each thread first, and added to its count
 * FANIN_BATCH at a time (or sooner: see fanin_flush). */
enum { FANIN_MIN = 64, FANIN_BATCH = 256 };

/* One more dependency of s ended (ok: it counts as a success). On
 * SUCC_READY the caller owns s (now READY) and runs or pushes it; on
 * SUCC_UPSTREAM s ended without running (upstream_failed, or skipped or
 * failed by its `if`) and its dependents must learn. */
static inline int succ_done(xctx *cx, sym_run *r, uint32_t s, bool ok, int64_t when)
{
    rtask *ts = &r->rt[s];
    if (SYM_UNLIKELY(!ok))
        atomic_store_explicit(&ts->bad, 1, RLX);
    /* A single dependency needs no count: its end is the one that counts
     * (and the state's compare-exchange in succ_ready still decides who
     * owns s). */
    uint32_t need = r->hot[s].dep_count;
    if (need != 1) {
        if (SYM_UNLIKELY(need >= FANIN_MIN) && ok && cx->slot)
            return fanin_add(cx, r, s);
        if (atomic_fetch_add_explicit(&ts->deps_done, 1, memory_order_acq_rel) + 1 != need)
            return SUCC_WAIT;
    }
    return succ_ready(cx, r, s, when);
}

/* A task with this many successors or more hands them on as ranges of its
 * successor list, split in halves as they are taken (thieves get big
 * shares, and nothing is pushed per successor). The tasks ready at the
 * start go the same way, as ranges of run->roots. A range item's count
 * is its length, with RANGE_OF_ROOTS set for a range of run->roots; no
 * item is longer than RANGE_MAX. */
enum { RANGE_MIN = 64, RANGE_GRAIN = 32 };
#define RANGE_OF_ROOTS (UINT32_C(1) << 31)
#define RANGE_MAX (UINT32_C(1) << 30)
/* sym__sched_start queues the roots it has found every this many. */
enum { ROOTS_CHUNK = 1024 };

/* Queues positions [pos, pos + n) of the successor list (kind 0) or of
 * run->roots (kind RANGE_OF_ROOTS), in items of at most RANGE_MAX: on
 * this thread's deque, or from a thread outside the pool (no slot) on the
 * injection queue. Each item holds the run (one more "remaining") until
 * it is done. */
static void push_range(xctx *cx, sym_run *r, uint32_t pos, uint32_t n, uint32_t kind)
{
    while (n > 0) {
        uint32_t part = n < RANGE_MAX ? n : RANGE_MAX;
        xctx_hold(cx, r);
        pool_item it = {r, pos, part | kind};
        push_item(cx, it);
        pos += part;
        n -= part;
    }
}

/* Task i is final: its dependents learn of it. Tasks ruled out by their
 * trigger rule end upstream_failed and are handled from a worklist (a long
 * chain of them must not recurse). The first ready dependent goes to *next
 * when the caller can run it inline. */
static void propagate(xctx *cx, sym_run *r, uint32_t i, int64_t when, uint32_t *next)
{
    const sym_workflow *wf = r->wf;
    size_t base = cx->nwork;
    uint32_t k = i;
    for (;;) {
        /* A stopping run's pending tasks are swept to cancelled. */
        if (SYM_UNLIKELY(atomic_load_explicit(&r->stop, RLX)))
            break;
        uint8_t st = atomic_load_explicit(&r->rt[k].state, RLX);
        bool ok = st == SYM_TASK_SUCCEEDED || classify(r, k, st) == CLS_S;
        uint32_t sbegin = wf_succ_begin(wf, k), scount = wf_succ_count(wf, k);
        const uint32_t *succ = wf->succs + sbegin;
        if (SYM_UNLIKELY(scount >= RANGE_MIN) && ok && cx->slot) {
            push_range(cx, r, sbegin, scount, 0);
        } else {
            for (uint32_t j = 0; j < scount; j++) {
                uint32_t s = succ[j];
                int got = succ_done(cx, r, s, ok, when);
                if (got == SUCC_READY) {
                    if (*next == TASK_NONE && cx->slot)
                        *next = s;
                    else
                        sym__sched_push(cx, r, s);
                } else if (SYM_UNLIKELY(got == SUCC_UPSTREAM) && !work_push(cx, s)) {
                    propagate(cx, r, s, when, next);
                }
            }
        }
        if (cx->nwork == base)
            break;
        k = cx->work[--cx->nwork];
    }
    cx->nwork = base;
}

/* ---- fan-in counts ---- */

/* Adds the successes this thread holds to their task's count, and gives
 * back the hold on its run; as succ_done returns for that task. */
static int fanin_apply(xctx *cx)
{
    sym_run *r = cx->fan_run;
    uint32_t s = cx->fan_task, n = cx->fan_n;
    cx->fan_run = NULL;
    cx->fan_n = 0;
    int got = SUCC_WAIT;
    if (atomic_fetch_add_explicit(&r->rt[s].deps_done, n, memory_order_acq_rel) + n ==
        r->hot[s].dep_count)
        got = succ_ready(cx, r, s, 0);
    /* Into the batch: r stays alive until this thread flushes it, after
     * its caller is done with s. */
    sym__xctx_count(cx, r, 1);
    return got;
}

/* Adds what this thread holds, if anything, and queues the task when that
 * readied it: on the own deque, or (idle: the thread may be leaving the
 * pool) through the injection queue. Called before anything that could
 * keep the held successes from their task for long: another fan-in, a
 * callback that is not one of its dependencies, going idle. */
static void fanin_flush(xctx *cx, bool idle)
{
    if (!cx->fan_run)
        return;
    sym_run *r = cx->fan_run;
    uint32_t s = cx->fan_task, next = TASK_NONE;
    int got = fanin_apply(cx);
    if (got == SUCC_READY)
        next = s;
    else if (SYM_UNLIKELY(got == SUCC_UPSTREAM))
        propagate(cx, r, s, 0, &next);
    if (next != TASK_NONE) {
        pool_item it = {r, next, 0};
        while (sym__pool_push(cx->eng->pool, idle ? NULL : cx->slot, it) != SYM_OK)
            sched_yield(); /* as push_item */
    }
}

/* A success toward fan-in s, held on this thread (which takes a hold on
 * the run meanwhile, so that a cancelled run cannot end and be freed
 * under it) until FANIN_BATCH are held; then added, as succ_done. */
static int fanin_add(xctx *cx, sym_run *r, uint32_t s)
{
    if (cx->fan_run != r || cx->fan_task != s) {
        fanin_flush(cx, false);
        xctx_hold(cx, r);
        cx->fan_run = r;
        cx->fan_task = s;
    }
    if (++cx->fan_n < FANIN_BATCH)
        return SUCC_WAIT;
    return fanin_apply(cx);
}

/* Whether task i's only dependent is the fan-in this thread holds
 * successes for: its callback then cannot delay that fan-in, which needs
 * its end anyway. */
static bool feeds_held_fanin(const xctx *cx, const sym_run *r, uint32_t i)
{
    const wf_hot *h = &r->hot[i];
    return cx->fan_run == r && h[1].succ_begin - h->succ_begin == 1 &&
           r->wf->succs[h->succ_begin] == cx->fan_task;
}

static void task_final(xctx *cx, sym_run *r, uint32_t i, uint8_t from, uint8_t st, int64_t when,
                       uint32_t *next)
{
    end_owned(cx, r, i, from, st, when);
    if (st != SYM_TASK_SUCCEEDED)
        check_fail_fast(cx, r, i, st);
    propagate(cx, r, i, when, next);
}

/* ---- per-task extras (rare path, under run->mu) ---- */

static rtask_aux *aux_get(sym_run *r, uint32_t i)
{
    rtask_aux *aux = atomic_load_explicit(&r->aux[i], RLX);
    if (!aux) {
        aux = calloc(1, sizeof *aux);
        if (!aux)
            return NULL;
        aux->run = r;
        aux->index = i;
        aux->next = r->aux_list;
        r->aux_list = aux;
        atomic_store_explicit(&r->aux[i], aux, memory_order_release);
    }
    return aux;
}

static void aux_slice(rtask_aux *aux, int64_t start, int64_t end, uint16_t tid, uint8_t outcome)
{
    if (aux->nslices == aux->capslices) {
        uint32_t cap = aux->capslices ? aux->capslices * 2 : 4;
        slice *s = realloc(aux->slices, cap * sizeof *s);
        if (!s)
            return; /* the trace loses a slice; the run goes on */
        aux->slices = s;
        aux->capslices = cap;
    }
    aux->slices[aux->nslices++] = (slice){start, end, tid, outcome};
}

/* A single-attempt task's slice is its first_ns..end_ns on its tid; only
 * a task with several attempts keeps a list (the first attempt is noted
 * when it is retried). */
static void note_attempt(rtask_aux *aux, uint32_t attempt, int64_t t0, int64_t t1, uint16_t tid,
                         uint8_t outcome, bool more)
{
    if (attempt > 1 || more)
        aux_slice(aux, t0, t1, tid, outcome);
}

static void commit_success(sym_run *r, uint32_t i, sym_task *task, int64_t t0, int64_t t1,
                           uint16_t tid)
{
    pthread_mutex_lock(&r->mu);
    rtask_aux *aux = aux_get(r, i);
    if (aux) {
        if (task->outputs) {
            sym_value_free(aux->outputs);
            aux->outputs = task->outputs;
            task->outputs = NULL;
        }
        note_attempt(aux, task->attempt, t0, t1, tid, SYM_TASK_SUCCEEDED, false);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Keeps err (owned) as the task's last error and notes the attempt. */
static rtask_aux *record_failure(sym_run *r, uint32_t i, char *err, uint32_t attempt, int64_t t0,
                                 int64_t t1, uint16_t tid, uint8_t outcome, bool retrying)
{
    pthread_mutex_lock(&r->mu);
    rtask_aux *aux = aux_get(r, i);
    if (aux) {
        free(aux->error);
        aux->error = err;
        if (attempt > 0)
            note_attempt(aux, attempt, t0, t1, tid, outcome, retrying);
    } else {
        free(err);
    }
    pthread_mutex_unlock(&r->mu);
    return aux;
}

/* ---- retries ---- */

static int64_t backoff_ms(sym_engine *e, const sym_retry_policy *p, uint32_t n)
{
    int64_t d = p->delay_ms > 0 ? p->delay_ms : 0;
    int64_t w = d;
    if (p->backoff == SYM_BACKOFF_LINEAR) {
        w = d > INT64_MAX / (int64_t)n ? INT64_MAX : d * (int64_t)n;
    } else if (p->backoff == SYM_BACKOFF_EXPONENTIAL) {
        for (uint32_t k = 1; k < n && w < INT64_MAX / 2; k++)
            w *= 2;
    }
    if (p->max_delay_ms > 0 && w > p->max_delay_ms)
        w = p->max_delay_ms;
    if (p->jitter && w > 0)
        w = (int64_t)(sym__engine_random(e) % ((uint64_t)w + 1));
    return w;
}

/* ---- holds given back, stops from outside the pool ---- */

void sym__sched_release(sym_run *r)
{
    xctx cx;
    sym__xctx_init(&cx, r->eng, NULL);
    sym__xctx_count(&cx, r, 1);
    sym__xctx_flush(&cx); /* may end the run: the last access to it */
    sym__xctx_fini(&cx);
}

void sym__sched_stop_held(sym_run *r, int reason)
{
    xctx cx;
    sym__xctx_init(&cx, r->eng, NULL);
    sym__sched_stop(&cx, r, reason);
    sym__xctx_count(&cx, r, 1); /* the caller's hold */
    sym__xctx_flush(&cx);
    sym__xctx_fini(&cx);
}

/* The backoff timer of a retrying task holds the run (one more
 * "remaining") from before the task is published as retrying until the
 * timer has fired or been taken off: a stop may end the task meanwhile,
 * and the run must outlive the timer that points into it. */
static void retry_fire(timer_entry *te)
{
    rtask_aux *aux = (rtask_aux *)te;
    sym_run *r = aux->run;
    uint32_t i = aux->index;
    if (task_move(&r->rt[i].state, SYM_TASK_RETRYING, SYM_TASK_READY)) {
        /* Ready, the task itself keeps the run alive until it ends. */
        sym_engine *e = r->eng;
        EMIT(e, SYM_EVENT_TASK_READY, r, i, 0, 0, NULL);
        pool_item it = {r, i, 0};
        while (sym__pool_push(e->pool, NULL, it) != SYM_OK)
            sched_yield();
    }
    sym__sched_release(r);
}

/* Takes the backoff timer of a retrying task off, if it is still queued,
 * and gives back its hold on the run. */
static void retry_timer_cancel(xctx *cx, sym_run *r, rtask_aux *aux)
{
    if (sym__timer_cancel(&cx->eng->timer, &aux->retry))
        sym__xctx_count(cx, r, 1);
}

/* Task i (running) waits out a backoff of delay ms after t1, then goes
 * back to ready. */
static void retry_later(xctx *cx, sym_run *r, uint32_t i, rtask_aux *aux, int64_t delay,
                        int64_t t1)
{
    rtask *t = &r->rt[i];
    aux->retry.due = timer_due(t1, delay);
    aux->retry.fire = retry_fire;
    xctx_hold(cx, r); /* the timer's, given back by whoever ends it */
    /* A compare-and-swap that cannot lose, for its order against the
     * sweep's load of the state (see the check of stop below). */
    bool moved = task_move(&t->state, SYM_TASK_RUNNING, SYM_TASK_RETRYING);
    SYM_ASSERT(moved);
    (void)moved;
    if (sym__timer_add(&cx->eng->timer, &aux->retry) != SYM_OK) {
        /* No timer: retry at once rather than never. */
        if (task_move(&t->state, SYM_TASK_RETRYING, SYM_TASK_READY))
            sym__sched_push(cx, r, i);
        sym__xctx_count(cx, r, 1);
        return;
    }
    /* A stop's sweep that came before the timer was queued ended the task
     * (or will: the move above and the sweep's load are both seq_cst with
     * its store of stop) but found no timer to take off: take it off here. */
    if (atomic_load(&r->stop) != STOP_NONE) {
        end_task(cx, r, i, SYM_TASK_RETRYING, SYM_TASK_CANCELLED, t1);
        retry_timer_cancel(cx, r, aux);
    }
}

/* An attempt failed (outcome FAILED) or timed out: retry it if the policy
 * says so, else the task is final. The task is in state `from`: running,
 * or ready when it failed before its worker was called (attempt 0). err is
 * owned. Returns the task to run next inline, if any. */
static uint32_t retry_or_final(xctx *cx, sym_run *r, uint32_t i, uint8_t from, uint32_t attempt,
                               uint8_t outcome, bool fatal, char *err, int64_t t0, int64_t t1,
                               uint16_t tid)
{
    sym_engine *e = cx->eng;
    const sym_retry_policy *p = &policy_of(r, i)->retry;
    bool stopping = atomic_load(&r->stop) != STOP_NONE;
    unsigned flag = outcome == SYM_TASK_TIMED_OUT ? SYM_RETRY_ON_TIMEOUT : SYM_RETRY_ON_ERROR;
    bool retry = !fatal && !stopping && attempt > 0 && attempt < p->attempts && (p->retry_on & flag);
    rtask_aux *aux = record_failure(r, i, err, attempt, t0, t1, tid, outcome, retry);
    uint32_t next = TASK_NONE;
    if (!retry || !aux) {
        task_final(cx, r, i, from, stopping ? SYM_TASK_CANCELLED : outcome, t1, &next);
        return next;
    }
    SYM_ASSERT(from == SYM_TASK_RUNNING);
    int64_t delay = backoff_ms(e, p, attempt);
    atomic_fetch_add_explicit(&e->retries, 1, RLX);
    EMIT(e, SYM_EVENT_TASK_RETRYING, r, i, attempt, delay, aux->error);
    if (delay > 0) {
        retry_later(cx, r, i, aux, delay, t1);
        return TASK_NONE;
    }
    task_move_owned(&r->rt[i].state, SYM_TASK_RUNNING, SYM_TASK_READY);
    EMIT(e, SYM_EVENT_TASK_READY, r, i, 0, 0, NULL);
    if (cx->slot)
        return i;
    sym__sched_push(cx, r, i);
    return TASK_NONE;
}

/* Task i (ready) fails for good before its worker is called. */
static uint32_t fail_now(xctx *cx, sym_run *r, uint32_t i, char *err)
{
    int64_t now = engine_now(cx->eng);
    return retry_or_final(cx, r, i, SYM_TASK_READY, 0, SYM_TASK_FAILED, true, err, now, now,
                          (uint16_t)cx->tid);
}

/* ---- timeouts ---- */

static void timeout_fire(timer_entry *te)
{
    attempt_ctl *c = (attempt_ctl *)te;
    int exp = 0;
    if (!atomic_compare_exchange_strong(&c->decided, &exp, 2))
        return; /* the callback returned first */
    atomic_store(&c->cancel, true);
    sym_run *r = c->run;
    /* The abandoned callback still runs: it holds the run until it returns. */
    atomic_fetch_add(&r->remaining, 1);
    xctx cx;
    sym__xctx_init(&cx, r->eng, NULL);
    int64_t now = engine_now(cx.eng);
    const sym_task_policy *p = policy_of(r, c->index);
    char *err = sym__str_printf("timed out after %lld ms", (long long)p->timeout_ms);
    retry_or_final(&cx, r, c->index, SYM_TASK_RUNNING, c->attempt, SYM_TASK_TIMED_OUT, false, err,
                   c->start, now, c->tid);
    sym__xctx_flush(&cx);
    sym__xctx_fini(&cx);
}

static attempt_ctl *arm_timeout(xctx *cx, sym_run *r, uint32_t i, uint32_t attempt, int64_t t0,
                                int64_t timeout_ms)
{
    attempt_ctl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL; /* out of memory: this attempt runs without its timeout */
    c->run = r;
    c->index = i;
    c->attempt = attempt;
    c->start = t0;
    c->tid = (uint16_t)cx->tid;
    c->te.due = timer_due(t0, timeout_ms);
    c->te.fire = timeout_fire;
    if (sym__timer_add(&cx->eng->timer, &c->te) != SYM_OK) {
        free(c);
        return NULL;
    }
    return c;
}

/* The callback returned: true when its result counts (the timeout did not
 * win). Frees the control block either way. */
static bool settle_timeout(sym_engine *e, sym_task *task)
{
    attempt_ctl *c = task->ctl;
    sym__timer_cancel(&e->timer, &c->te); /* waits out a firing in progress */
    int exp = 0;
    bool mine = atomic_compare_exchange_strong(&c->decided, &exp, 1);
    free(c);
    task->ctl = NULL;
    return mine;
}

/* ---- limits ---- */

enum { NLIMITS = 4 };

/* In LIM_* bit order: matrix group, run, workflow worker, registration. */
static void limiters_of(sym_run *r, uint32_t i, limiter *ls[NLIMITS])
{
    uint32_t worker = wf_task_worker(r->wf, i);
    reg_worker *w = r->w[worker];
    ls[0] = dataflow_group_limiter(r, i);
    ls[1] = r->wf->concurrency ? &r->runlim : NULL;
    ls[2] = r->wlim[worker];
    ls[3] = w->concurrency ? &w->lim : NULL;
}

static void requeue(pool_item it, void *arg)
{
    push_item(arg, it);
}

/* Takes the limit slots task i still lacks, in a fixed order (matrix
 * group, run, workflow worker, registration) so that waiting can never
 * deadlock. */
static int take_limits(xctx *cx, sym_run *r, uint32_t i)
{
    rtask *t = &r->rt[i];
    limiter *ls[NLIMITS];
    limiters_of(r, i, ls);
    pool_item me = {r, i, 0};
    for (int b = 0; b < NLIMITS; b++) {
        uint8_t bit = (uint8_t)(1u << b);
        if (!ls[b] || (t->held & bit))
            continue;
        int rc = sym__limiter_acquire(ls[b], me);
        if (rc != LIMIT_GOT) {
            /* Queued after a stop swept the waiters: take it back out. */
            if (rc == LIMIT_QUEUED && atomic_load(&r->stop) != STOP_NONE)
                sym__limiter_flush(ls[b], r, requeue, cx);
            return rc;
        }
        t->held |= bit;
    }
    return LIMIT_GOT;
}

static void release_limits(xctx *cx, sym_run *r, uint32_t i, uint8_t held)
{
    limiter *ls[NLIMITS];
    limiters_of(r, i, ls);
    for (int b = 0; b < NLIMITS; b++) {
        uint8_t bit = (uint8_t)(1u << b);
        pool_item nx;
        if (!(held & bit) || !sym__limiter_release(ls[b], &nx))
            continue;
        /* The slot passed to a waiter, which now holds it. */
        sym_run *r2 = nx.ptr;
        r2->rt[nx.index].held |= bit;
        push_item(cx, nx);
    }
}

/* ---- statistics ---- */

static void note_stats(slot_data *sd, reg_worker *w, bool failed, int64_t ns)
{
    uint32_t id = w->id;
    if (SYM_UNLIKELY(id >= atomic_load_explicit(&sd->nstats, RLX))) {
        uint32_t cap = id + 16;
        wstat *s = calloc(cap, sizeof *s);
        if (!s)
            return;
        pthread_mutex_lock(&sd->stats_mu);
        wstat *old = atomic_load_explicit(&sd->stats, RLX);
        uint32_t n = atomic_load_explicit(&sd->nstats, RLX);
        for (uint32_t k = 0; k < n; k++) {
            atomic_init(&s[k].calls, atomic_load_explicit(&old[k].calls, RLX));
            atomic_init(&s[k].failures, atomic_load_explicit(&old[k].failures, RLX));
            atomic_init(&s[k].lat_sum, atomic_load_explicit(&old[k].lat_sum, RLX));
            atomic_init(&s[k].lat_max, atomic_load_explicit(&old[k].lat_max, RLX));
        }
        atomic_store_explicit(&sd->stats, s, RLX);
        atomic_store_explicit(&sd->nstats, cap, RLX);
        pthread_mutex_unlock(&sd->stats_mu);
        free(old);
    }
    wstat *s = &atomic_load_explicit(&sd->stats, RLX)[id];
    uint64_t lat = ns > 0 ? (uint64_t)ns : 0;
    atomic_store_explicit(&s->calls, atomic_load_explicit(&s->calls, RLX) + 1, RLX);
    if (failed)
        atomic_store_explicit(&s->failures, atomic_load_explicit(&s->failures, RLX) + 1, RLX);
    atomic_store_explicit(&s->lat_sum, atomic_load_explicit(&s->lat_sum, RLX) + lat, RLX);
    if (lat > atomic_load_explicit(&s->lat_max, RLX))
        atomic_store_explicit(&s->lat_max, lat, RLX);
}

/* ---- one attempt ---- */

/* Points this thread's hazard at w (or NULL), leaving the worker it was
 * on; a worker left after it was unregistered may be released now. The
 * seq_cst store pairs with unregister's store of gone and its scan of the
 * hazards (see registry.h). */
static void hazard_set(sym_engine *e, slot_data *sd, reg_worker *w)
{
    reg_worker *old = sd->cur;
    sd->cur = w;
    atomic_store(&sd->hazard, w);
    if (old && atomic_load(&old->gone))
        sym__registry_reap(&e->reg, old);
}

/* A ready task of a stopping run: it ends cancelled without running. */
static void drop_ready(xctx *cx, sym_run *r, uint32_t i)
{
    rtask *t = &r->rt[i];
    uint8_t held = t->held;
    t->held = 0;
    if (held)
        release_limits(cx, r, i, held);
    end_owned(cx, r, i, SYM_TASK_READY, SYM_TASK_CANCELLED, engine_now(cx->eng));
}

static uint32_t attempt_done(xctx *cx, sym_run *r, uint32_t i, sym_task *task, int rc,
                             int64_t t0, int64_t t1)
{
    uint32_t next = TASK_NONE;
    if (rc == SYM_OK) {
        if (SYM_UNLIKELY(task->outputs != NULL || task->attempt > 1))
            commit_success(r, i, task, t0, t1, (uint16_t)cx->tid);
        if (SYM_UNLIKELY(task->error != NULL || task->outputs != NULL))
            sym__task_discard(task); /* an error set, yet the callback succeeded */
        task_final(cx, r, i, SYM_TASK_RUNNING, SYM_TASK_SUCCEEDED, t1, &next);
        return next;
    }
    char *err = task->error;
    task->error = NULL;
    if (!err)
        err = sym__str_printf("%s", rc == SYM_EFAILED ? "task failed" : sym_strerror(rc));
    bool fatal = task->fatal;
    sym__task_discard(task);
    return retry_or_final(cx, r, i, SYM_TASK_RUNNING, task->attempt, SYM_TASK_FAILED, fatal, err,
                          t0, t1, (uint16_t)cx->tid);
}

/* How many tasks ahead of the one starting its records are fetched: far
 * enough that a task is fetched before its first dependency ends in
 * graphs whose edges reach back a few thousand tasks, near enough that
 * the fetched lines (48 bytes a task) stay in a core's cache meanwhile. */
enum { PREFETCH_AHEAD = 4096 };

/* *clk: when the previous attempt on this thread ended (0 = unknown): a
 * task that was ready by then starts then, which saves a clock read per
 * task; its duration is measured from the later of its readiness and the
 * thread being free. *stale: *clk was not read just before this task (it
 * came off the deque), so a timeout needs a fresh reading. */
static uint32_t attempt_task(xctx *cx, sym_run *r, uint32_t i, int64_t *clk, bool *stale)
{
    sym_engine *e = cx->eng;
    rtask *t = &r->rt[i];
    const wf_hot *h = &r->hot[i];
    if (SYM_UNLIKELY(atomic_load_explicit(&r->stop, RLX) != STOP_NONE)) {
        drop_ready(cx, r, i);
        return TASK_NONE;
    }
    if (SYM_UNLIKELY(r->has_limits)) {
        int rc = take_limits(cx, r, i);
        if (rc == LIMIT_QUEUED)
            return TASK_NONE;
        if (rc != LIMIT_GOT)
            return fail_now(cx, r, i, sym__str_printf("out of memory"));
    }
    /* The attempt owns its slots from here; a retry started after a
     * timeout takes its own while this callback may still run. */
    uint8_t held = t->held;
    t->held = 0;
    reg_worker *w = r->w[h->worker];
    slot_data *sd = cx->sd;
    if (SYM_UNLIKELY(sd->cur != w))
        hazard_set(e, sd, w);
    /* The hazard was published (seq_cst) before this load: either this
     * sees gone, or unregister's scan sees the hazard and leaves the
     * release to hazard_set. */
    if (SYM_UNLIKELY(atomic_load_explicit(&w->gone, memory_order_acquire))) {
        hazard_set(e, sd, NULL);
        if (held)
            release_limits(cx, r, i, held);
        return fail_now(cx, r, i, sym__str_printf("worker '%s' is not registered", w->name));
    }
    sym_task task = {.run = r, .index = i};
    arena scratch;
    if (SYM_UNLIKELY(r->df != NULL) && r->df->tasks[i].ninputs) {
        /* Templated inputs: evaluated per attempt, kept for the callback. */
        sym__arena_init(&scratch);
        task.scratch = &scratch;
        char *msg;
        if (sym__dataflow_inputs(r, i, &scratch, &task.inputs, &msg) != SYM_OK) {
            sym__arena_free(&scratch);
            if (held)
                release_limits(cx, r, i, held);
            return fail_now(cx, r, i, msg ? msg : sym__str_printf("out of memory"));
        }
    }
    uint32_t attempt = atomic_load_explicit(&t->attempts, RLX) + 1;
    atomic_store_explicit(&t->attempts, attempt, RLX);
    atomic_store_explicit(&t->tid, (uint16_t)cx->tid, RLX);
    task_move_owned(&t->state, SYM_TASK_READY, SYM_TASK_RUNNING);
    int64_t timeout =
        SYM_UNLIKELY(h->flags & WF_HOT_TIMEOUT) ? policy_of(r, i)->timeout_ms : 0;
    /* A timeout is armed from a fresh reading, never a reused one. */
    int64_t t0 = *clk && (timeout <= 0 || !*stale) ? *clk : thread_now(cx);
    *stale = false;
    if (attempt == 1)
        atomic_store_explicit(&t->first_ns, t0, RLX);
    EMIT(e, SYM_EVENT_TASK_STARTED, r, i, attempt, 0, NULL);
    task.attempt = attempt;
    if (SYM_UNLIKELY(timeout > 0))
        task.ctl = arm_timeout(cx, r, i, attempt, t0, timeout);
    /* The records of this task's first successors, which its end reads
     * (their dependency counts and states): fetched while the callback and
     * the clock read run, rather than missed one after another afterwards
     * (a random DAG's successors lie far apart in memory). Written out
     * here: in a function of its own, the optimiser drops the prefetches
     * as code without effects. */
    {
        /* h[1] (the next entry, in the same line or the next) ends this
         * task's list; a list entry past its own is another task's, and
         * fetching for it is harmless. */
        const sym_workflow *wf = r->wf;
        uint32_t b = h->succ_begin;
        __builtin_prefetch(h + 1);
        if (b < wf->nedges) {
            __builtin_prefetch(&r->hot[wf->succs[b]]);
            __builtin_prefetch(&r->rt[wf->succs[b]], 1);
        }
        if (b + 1 < wf->nedges) {
            __builtin_prefetch(&r->hot[wf->succs[b + 1]]);
            __builtin_prefetch(&r->rt[wf->succs[b + 1]], 1);
        }
        /* Runs reach tasks roughly in index (topological) order, and a
         * task's records are first touched when its first dependency
         * ends: in a random DAG, at places no hardware prefetcher
         * guesses, a miss each. Fetched PREFETCH_AHEAD tasks ahead of
         * this one, they are in cache by then; the successor list is
         * fetched half as far ahead, through the entry fetched before. */
        if (i + PREFETCH_AHEAD < wf->ntasks) {
            __builtin_prefetch(&r->hot[i + PREFETCH_AHEAD]);
            __builtin_prefetch(&r->rt[i + PREFETCH_AHEAD], 1);
            __builtin_prefetch(&wf->succs[r->hot[i + PREFETCH_AHEAD / 2].succ_begin]);
        }
    }
    if (SYM_UNLIKELY(cx->fan_run != NULL) && !feeds_held_fanin(cx, r, i))
        fanin_flush(cx, false);
    atomic_store_explicit(&sd->busy, true, RLX);
    int rc = w->fn(&task, w->userdata);
    atomic_store_explicit(&sd->busy, false, RLX);
    if (SYM_UNLIKELY(task.scratch != NULL)) {
        sym__arena_free(task.scratch);
        task.inputs = NULL;
        task.scratch = NULL;
    }
    int64_t t1 = thread_now(cx);
    *clk = t1;
    cx->last_end = t1;
    /* Counted while the hazard still points at w: once no hazard does, w
     * may be released and its id (which indexes the stats) reused. */
    note_stats(sd, w, rc != SYM_OK, t1 - t0);
    /* Unregistered during the call: leave it now, so its release need not
     * wait for this thread to go idle. */
    if (SYM_UNLIKELY(atomic_load_explicit(&w->gone, memory_order_acquire)))
        hazard_set(e, sd, NULL);
    if (held)
        release_limits(cx, r, i, held);
    if (SYM_UNLIKELY(task.ctl != NULL) && !settle_timeout(e, &task)) {
        /* Abandoned at its timeout: the result is discarded. */
        sym__task_discard(&task);
        sym__xctx_count(cx, r, 1);
        return TASK_NONE;
    }
    return attempt_done(cx, r, i, &task, rc, t0, t1);
}

/* Runs positions [pos, pos + n) of a range (kind as in push_range): the
 * upper halves go back on the deque for thieves (each a range of its
 * own), down to a grain; the rest run here, each with the chain it
 * readies inline, sharing what is left as below. In a range of the
 * successor list each task learns that its predecessor succeeded; a
 * range of roots holds tasks already ready, which a stopping run ends
 * cancelled one by one (attempt_task). */
static void run_range(xctx *cx, sym_run *r, uint32_t pos, uint32_t n, uint32_t kind,
                      int64_t *clk, bool *stale)
{
    bool roots = kind == RANGE_OF_ROOTS;
    if (SYM_UNLIKELY(atomic_load_explicit(&r->stop, RLX)) && !roots)
        n = 0;
    while (n > RANGE_GRAIN) {
        uint32_t half = n / 2;
        push_range(cx, r, pos + n - half, half, kind);
        n -= half;
    }
    const uint32_t *list = roots ? r->roots : r->wf->succs;
    pool *p = cx->eng->pool;
    /* With other threads, what is left of the range goes back on the
     * deque before each task runs: a task may take long, or wait for
     * the run's cancellation (a sensor), and the tasks after it must not
     * wait for it while a thread is free. Alone, the thread keeps the
     * grain, unless the pool has grown and a thread looks for work. */
    bool share = sym__pool_threads(p) > 1;
    for (uint32_t k = pos, end = pos + n; k < end; k++) {
        if (SYM_UNLIKELY(end - k > 1) && (share || sym__pool_has_idle(p))) {
            /* A thread looking for work gets the upper half (thieves take
             * the oldest item); the lower part comes back to this one. */
            if (sym__pool_has_idle(p)) {
                uint32_t half = (end - k) / 2;
                push_range(cx, r, end - half, half, kind);
                end -= half;
            }
            if (share && end - k > 1) {
                push_range(cx, r, k + 1, end - k - 1, kind);
                end = k + 1;
            }
        }
        uint32_t s = list[k], next = TASK_NONE;
        if (roots) {
            next = s;
        } else {
            if (SYM_UNLIKELY(atomic_load_explicit(&r->stop, RLX)))
                break;
            int got = succ_done(cx, r, s, true, 0);
            if (got == SUCC_READY)
                next = s;
            else if (SYM_UNLIKELY(got == SUCC_UPSTREAM))
                propagate(cx, r, s, 0, &next);
        }
        while (next != TASK_NONE)
            next = attempt_task(cx, r, next, clk, stale);
    }
    sym__xctx_count(cx, r, 1); /* the range's hold on the run */
}

void sym__sched_exec(pool_slot *slot, pool_item item, bool local, void *user)
{
    slot_data *sd = sym__pool_slot_data(slot);
    xctx *cx = &sd->cx;
    if (SYM_UNLIKELY(cx->slot == NULL)) {
        sym__xctx_init(cx, user, slot);
        cx->sd = sd;
    }
    sym_run *r = item.ptr;
    /* A batch of another run must not wait behind this task's callback. */
    if (cx->batch_run && cx->batch_run != r)
        sym__xctx_flush(cx);
    /* Off the own deque the item was ready when the last attempt here
     * ended; otherwise (taken from elsewhere) read the clock afresh. */
    int64_t clk = local && cx->eng->fast_clock ? cx->last_end : 0;
    bool stale = true;
    if (SYM_UNLIKELY(item.count != 0)) {
        run_range(cx, r, item.index, item.count & ~(uint32_t)RANGE_OF_ROOTS,
                  item.count & RANGE_OF_ROOTS, &clk, &stale);
        return;
    }
    uint32_t i = item.index;
    while (i != TASK_NONE)
        i = attempt_task(cx, r, i, &clk, &stale);
}

void sym__sched_idle(pool_slot *slot, void *user)
{
    sym_engine *e = user;
    slot_data *sd = sym__pool_slot_data(slot);
    sd->cx.last_end = 0;
    /* Off the worker before the batch may end a run: its release then
     * runs before the run is seen to end. */
    if (sd->cur)
        hazard_set(e, sd, NULL);
    fanin_flush(&sd->cx, true);
    sym__xctx_flush(&sd->cx);
}

/* ---- run start and stop ---- */

/* Roots with an `if`: evaluated now (their trigger rule has nothing to
 * wait for); a root that does not run lets its dependents know. The run
 * cannot end meanwhile: its start still holds it. */
static void start_conditional_roots(sym_run *r)
{
    const sym_workflow *wf = r->wf;
    xctx cx;
    sym__xctx_init(&cx, r->eng, NULL);
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        if (r->hot[i].dep_count != 0 || !r->df->tasks[i].condition)
            continue;
        if (!task_move(&r->rt[i].state, SYM_TASK_PENDING, SYM_TASK_READY))
            continue; /* swept to cancelled by a stop */
        if (cond_allows(&cx, r, i, 0)) {
            EMIT(cx.eng, SYM_EVENT_TASK_READY, r, i, 0, 0, NULL);
            sym__sched_push(&cx, r, i);
        } else {
            uint32_t next = TASK_NONE;
            propagate(&cx, r, i, 0, &next);
        }
    }
    sym__xctx_flush(&cx);
    sym__xctx_fini(&cx);
}

/* Marks every root ready and queues it: as ranges of run->roots, a chunk
 * at a time so that threads start while the scan goes on, or, with no
 * memory for that list, one item per root. */
void sym__sched_start(sym_run *r)
{
    sym_engine *e = r->eng;
    enum { CHUNK = 256 };
    pool_item items[CHUNK];
    size_t n = 0;
    const sym_workflow *wf = r->wf;
    xctx cx;
    sym__xctx_init(&cx, e, NULL);
    r->roots = sym__mem_big_alloc(((size_t)wf->ntasks + 1) * sizeof *r->roots);
    uint32_t nroots = 0, queued = 0;
    bool conds = false;
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        if (r->hot[i].dep_count != 0)
            continue;
        if (SYM_UNLIKELY(r->df != NULL) && r->df->tasks[i].condition) {
            conds = true; /* decided below, once the others are queued */
            continue;
        }
        /* A stop (fail_fast in a root already running, the deadline) may
         * have swept this root to cancelled and counted it: it is not
         * queued then. */
        if (!task_move(&r->rt[i].state, SYM_TASK_PENDING, SYM_TASK_READY))
            continue;
        EMIT(e, SYM_EVENT_TASK_READY, r, i, 0, 0, NULL);
        if (r->roots) {
            r->roots[nroots++] = i;
            if (nroots - queued == ROOTS_CHUNK) {
                push_range(&cx, r, queued, nroots - queued, RANGE_OF_ROOTS);
                queued = nroots;
            }
            continue;
        }
        items[n++] = (pool_item){r, i, 0};
        if (n == CHUNK) {
            while (sym__pool_push_many(e->pool, items, n) != SYM_OK)
                sched_yield();
            n = 0;
        }
    }
    push_range(&cx, r, queued, nroots - queued, RANGE_OF_ROOTS);
    sym__xctx_fini(&cx);
    while (sym__pool_push_many(e->pool, items, n) != SYM_OK)
        sched_yield();
    if (SYM_UNLIKELY(conds))
        start_conditional_roots(r);
}

static void flush_waiters(xctx *cx, sym_run *r)
{
    if (r->glims)
        for (uint32_t g = 0; g < r->df->ngroups; g++)
            if (r->df->groups[g].max_parallel)
                sym__limiter_flush(&r->glims[g], r, requeue, cx);
    if (r->wf->concurrency)
        sym__limiter_flush(&r->runlim, r, requeue, cx);
    for (uint32_t k = 0; k < r->wf->nworkers; k++) {
        if (r->wlim[k])
            sym__limiter_flush(r->wlim[k], r, requeue, cx);
        if (r->w[k]->concurrency)
            sym__limiter_flush(&r->w[k]->lim, r, requeue, cx);
    }
}

void sym__sched_stop(xctx *cx, sym_run *r, int reason)
{
    int exp = STOP_NONE;
    if (!atomic_compare_exchange_strong(&r->stop, &exp, reason))
        return;
    int64_t now = engine_now(cx->eng);
    for (uint32_t i = 0; i < r->wf->ntasks; i++) {
        uint8_t st = atomic_load(&r->rt[i].state);
        if (st != SYM_TASK_PENDING && st != SYM_TASK_RETRYING)
            continue;
        if (end_task(cx, r, i, st, SYM_TASK_CANCELLED, now) && st == SYM_TASK_RETRYING)
            retry_timer_cancel(cx, r, run_aux(r, i));
    }
    /* Ready tasks parked on a limit would wait for a slot: queue them now;
     * whoever takes one ends it cancelled. */
    if (r->has_limits)
        flush_waiters(cx, r);
}

/* Runs on the timer thread; sym__run_end takes the deadline off (waiting out
 * this firing), so r is valid here, and the hold keeps it from ending
 * while it is swept. */
void sym__sched_deadline_fire(timer_entry *te)
{
    sym_run *r = (sym_run *)((char *)te - offsetof(sym_run, deadline));
    if (sym__run_hold(r))
        sym__sched_stop_held(r, STOP_CANCEL);
}

sym_run_status sym__sched_status(const sym_run *r)
{
    if (atomic_load(&r->stop) == STOP_CANCEL)
        return SYM_RUN_CANCELLED;
    return atomic_load_explicit(&r->failed_tasks, RLX) ? SYM_RUN_FAILED : SYM_RUN_SUCCEEDED;
}
