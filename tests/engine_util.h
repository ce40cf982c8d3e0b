/* engine_util.h - helpers shared by the engine tests: a manual clock, an
 * event recorder that tests can wait on, a gate for holding workers, and
 * small builders. Header-only (static functions) so every test program
 * gets its own copy. */
#ifndef ENGINE_UTIL_H
#define ENGINE_UTIL_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "symphony.h"

/* ---- manual clock ---- */

typedef struct mclock {
    _Atomic int64_t now;
} mclock;

static inline int64_t mclock_read(void *user)
{
    return atomic_load(&((mclock *)user)->now);
}

/* Moves the clock on and lets the timer look at what is now due. */
static inline void mclock_advance(sym_engine *e, mclock *c, int64_t ms)
{
    atomic_fetch_add(&c->now, ms * 1000000);
    sym__engine_clock_advanced(e);
}

/* ---- waiting in real time ---- */

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- events ---- */

typedef struct rec_event {
    sym_event_type type;
    char task[80];
    int attempt;
    int64_t delay_ms;
    int64_t time_ns;
    char error[128];
    sym_run_status status;
} rec_event;

typedef struct recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rec_event *ev;
    size_t n, cap;
} recorder;

static inline void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

static inline void rec_free(recorder *r)
{
    free(r->ev);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static inline void rec_observer(const sym_event *e, void *user)
{
    recorder *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        rec_event *ev = realloc(r->ev, cap * sizeof *ev);
        if (!ev) {
            pthread_mutex_unlock(&r->mu);
            return;
        }
        r->ev = ev;
        r->cap = cap;
    }
    rec_event *x = &r->ev[r->n++];
    memset(x, 0, sizeof *x);
    x->type = e->type;
    if (e->task_id)
        snprintf(x->task, sizeof x->task, "%s", e->task_id);
    x->attempt = e->attempt;
    x->delay_ms = e->delay_ms;
    x->time_ns = e->time_ns;
    if (e->error)
        snprintf(x->error, sizeof x->error, "%s", e->error);
    x->status = e->status;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* How many recorded events match (task NULL: any task). Locked. */
static inline size_t rec_count_locked(recorder *r, sym_event_type type, const char *task)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i].type == type && (!task || strcmp(r->ev[i].task, task) == 0))
            k++;
    return k;
}

static inline size_t rec_count(recorder *r, sym_event_type type, const char *task)
{
    pthread_mutex_lock(&r->mu);
    size_t k = rec_count_locked(r, type, task);
    pthread_mutex_unlock(&r->mu);
    return k;
}

/* Waits (10 s at most) until at least n such events were seen. */
static inline bool rec_wait(recorder *r, sym_event_type type, const char *task, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&r->mu);
    bool ok = true;
    while (rec_count_locked(r, type, task) < n)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) {
            ok = rec_count_locked(r, type, task) >= n;
            break;
        }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* The k-th (0-based) event of that type for task, copied; false if none. */
static inline bool rec_get(recorder *r, sym_event_type type, const char *task, size_t k,
                           rec_event *out)
{
    pthread_mutex_lock(&r->mu);
    bool found = false;
    for (size_t i = 0; i < r->n && !found; i++)
        if (r->ev[i].type == type && (!task || strcmp(r->ev[i].task, task) == 0) && k-- == 0) {
            *out = r->ev[i];
            found = true;
        }
    pthread_mutex_unlock(&r->mu);
    return found;
}

/* ---- a gate workers can wait at ---- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
} gate;

static inline void gate_init(gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->open = false;
}

static inline void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static inline void gate_wait(gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static inline void gate_free(gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* ---- common workers ---- */

static inline int w_ok(sym_task *t, void *u)
{
    (void)t;
    (void)u;
    return SYM_OK;
}

static inline int w_fail(sym_task *t, void *u)
{
    (void)u;
    return sym_task_fail(t, 0, "boom %d", sym_task_attempt(t));
}

static inline int w_fatal(sym_task *t, void *u)
{
    (void)u;
    return sym_task_fail(t, SYM_FAIL_FATAL, "fatal");
}

/* Spins (politely) until its attempt is cancelled, then fails. */
static inline int w_until_cancelled(sym_task *t, void *u)
{
    (void)u;
    while (!sym_task_cancelled(t))
        sleep_ms(1);
    return sym_task_fail(t, 0, "stopped");
}

/* ---- building ---- */

static inline size_t b_task(sym_builder *b, const char *id, const char *worker)
{
    size_t ix = (size_t)-1;
    ck_assert_int_eq(sym_builder_add_task(b, id, worker, &ix), SYM_OK);
    return ix;
}

/* Gives task t up to `attempts` attempts, each retry at once (no delay). */
static inline void b_retry_at_once(sym_builder *b, size_t t, uint32_t attempts)
{
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.retry.attempts = attempts;
    p.retry.delay_ms = 0;
    ck_assert_int_eq(sym_builder_set_policy(b, t, &p), SYM_OK);
}

static inline sym_workflow *b_build(sym_builder *b)
{
    sym_workflow *wf = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_builder_build(b, &wf, err);
    ck_assert_msg(rc == SYM_OK, "build: %s", sym_error_count(err) ? sym_error_text(err, 0) : "?");
    sym_error_free(err);
    sym_builder_free(b);
    return wf;
}

static inline sym_engine *new_engine(unsigned threads, mclock *clk, recorder *rec)
{
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = threads;
    cfg.seed = 42;
    if (clk) {
        cfg.clock = mclock_read;
        cfg.clock_userdata = clk;
    }
    if (rec) {
        cfg.observer = rec_observer;
        cfg.observer_userdata = rec;
    }
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_OK);
    return e;
}

static inline sym_task_state task_state(sym_run *r, const char *id)
{
    size_t ix;
    ck_assert_int_eq(sym_workflow_find_task(sym_run_workflow(r), id, &ix), SYM_OK);
    sym_task_result res;
    sym_task_result_init(&res);
    ck_assert_int_eq(sym_run_task_result(r, ix, &res), SYM_OK);
    return res.state;
}

static inline bool under_valgrind(void)
{
    const char *v = getenv("SYM_UNDER_VALGRIND");
    return v && *v && strcmp(v, "0") != 0;
}

#endif
