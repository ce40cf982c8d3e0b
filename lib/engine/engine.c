/* engine.c - the engine's life, configuration, worker registration,
 * observer events, metrics and the names of states and events. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "engine.h"

static int64_t monotonic_ns(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t sym__engine_random(sym_engine *e)
{
    /* splitmix64 over an atomic counter: lock-free and good enough for
     * jitter and run ids. */
    uint64_t z = atomic_fetch_add_explicit(&e->rng, 0x9E3779B97F4A7C15u, RLX) +
                 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

void sym__engine_emit(sym_engine *e, sym_event_type type, sym_run *r, uint32_t index,
                      uint32_t attempt, int64_t delay_ms, const char *error)
{
    sym_event ev = {0};
    ev.version = SYM_EVENT_VERSION;
    ev.type = type;
    ev.run = r;
    ev.run_id = r->id;
    ev.task_id = index == TASK_NONE ? NULL : wf_task_id(r->wf, index);
    ev.task_index = index == TASK_NONE ? (size_t)-1 : index;
    ev.attempt = (int)attempt;
    ev.time_ns = engine_now(e);
    ev.delay_ms = delay_ms;
    ev.error = error;
    ev.status = (sym_run_status)atomic_load(&r->status);
    e->observer(&ev, e->cfg.observer_userdata);
}

void sym__engine_clock_advanced(sym_engine *engine)
{
    if (engine)
        sym__timer_poke(&engine->timer);
}

void sym__xctx_init(xctx *cx, sym_engine *e, pool_slot *slot)
{
    memset(cx, 0, sizeof *cx);
    cx->eng = e;
    cx->slot = slot;
    cx->tid = slot ? sym__pool_slot_index(slot) : 0;
}

void sym__xctx_fini(xctx *cx)
{
    free(cx->work);
    cx->work = NULL;
    cx->nwork = cx->capwork = 0;
}

/* ---- per-slot data ---- */

static void slot_init(void *data)
{
    slot_data *sd = data;
    pthread_mutex_init(&sd->stats_mu, NULL);
}

static void slot_fini(void *data)
{
    slot_data *sd = data;
    free(atomic_load(&sd->stats));
    sym__xctx_fini(&sd->cx);
    pthread_mutex_destroy(&sd->stats_mu);
}

typedef struct hazard_count {
    const reg_worker *w; /* NULL: count the threads inside any callback */
    unsigned n;
} hazard_count;

static void count_hazard(void *data, void *arg)
{
    slot_data *sd = data;
    hazard_count *hc = arg;
    if (hc->w ? atomic_load(&sd->hazard) == hc->w : atomic_load_explicit(&sd->busy, RLX))
        hc->n++;
}

static unsigned in_flight(const reg_worker *w, void *arg)
{
    sym_engine *e = arg;
    if (!e->pool)
        return 0;
    hazard_count hc = {w, 0};
    sym__pool_each_slot(e->pool, count_hazard, &hc);
    return hc.n;
}

static void clear_stats(void *data, void *arg)
{
    slot_data *sd = data;
    uint32_t id = *(const uint32_t *)arg;
    pthread_mutex_lock(&sd->stats_mu);
    if (id < atomic_load_explicit(&sd->nstats, RLX)) {
        wstat *s = &atomic_load_explicit(&sd->stats, RLX)[id];
        atomic_store_explicit(&s->calls, 0, RLX);
        atomic_store_explicit(&s->failures, 0, RLX);
        atomic_store_explicit(&s->lat_sum, 0, RLX);
        atomic_store_explicit(&s->lat_max, 0, RLX);
    }
    pthread_mutex_unlock(&sd->stats_mu);
}

/* A worker id is free for reuse: the next worker given it starts at zero. */
static void forget_worker(uint32_t id, void *arg)
{
    sym_engine *e = arg;
    if (e->pool)
        sym__pool_each_slot(e->pool, clear_stats, &id);
}

/* ---- life ---- */

int sym_engine_new(const sym_engine_config *cfg, sym_engine **out)
{
    if (!out)
        return SYM_EINVAL;
    *out = NULL;
    sym_engine_config own = SYM_ENGINE_CONFIG_INIT;
    if (cfg) {
        if (!sym__abi_known(ABI_ENGINE_CONFIG, cfg->version))
            return SYM_EINVAL;
        sym__abi_read(ABI_ENGINE_CONFIG, &own, cfg);
    }
    cfg = &own;
    unsigned threads = cfg->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
    }
    if (threads > POOL_MAX_THREADS)
        return SYM_EINVAL;
    sym_engine *e = calloc(1, sizeof *e);
    if (!e)
        return SYM_ENOMEM;
    e->cfg = *cfg;
    if (e->cfg.max_output_bytes == 0)
        e->cfg.max_output_bytes = (size_t)1 << 20;
    e->clock = cfg->clock ? cfg->clock : monotonic_ns;
    e->clock_user = cfg->clock ? cfg->clock_userdata : NULL;
    e->observer = cfg->observer;
    e->fast_clock = !cfg->clock && !cfg->observer;
    e->ticks = e->fast_clock && sym__ticks_usable();
    uint64_t seed = cfg->seed ? cfg->seed : (uint64_t)monotonic_ns(NULL) ^ (uintptr_t)e;
    atomic_init(&e->rng, seed);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    sym__registry_init(&e->reg, in_flight, forget_worker, e);
    int rc = sym__timer_init(&e->timer, e->clock, e->clock_user);
    if (rc != SYM_OK) {
        sym__registry_destroy(&e->reg);
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
        free(e);
        return rc;
    }
    pool_hooks hooks = {sym__sched_exec,   sym__sched_idle, e,
                        sizeof(slot_data), slot_init,       slot_fini};
    rc = sym__pool_new(threads, &hooks, &e->pool);
    if (rc != SYM_OK) {
        sym__timer_destroy(&e->timer);
        sym__registry_destroy(&e->reg);
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
        free(e);
        return rc;
    }
    *out = e;
    return SYM_OK;
}

/* Takes a hold on r (so it cannot end) unless it has already finished. */
bool sym__run_hold(sym_run *r)
{
    int64_t v = atomic_load(&r->remaining);
    while (v > 0)
        if (atomic_compare_exchange_weak(&r->remaining, &v, v + 1))
            return true;
    return false;
}

void sym_engine_free(sym_engine *e)
{
    if (!e)
        return;
    /* Cancel every live run. A hold keeps each alive while it is stopped
     * outside the engine lock (stopping may end it, which takes the lock). */
    for (;;) {
        pthread_mutex_lock(&e->mu);
        sym_run *victim = NULL;
        for (sym_run *r = e->runs; r; r = r->next)
            if (atomic_load(&r->stop) == STOP_NONE && sym__run_hold(r)) {
                victim = r;
                break;
            }
        pthread_mutex_unlock(&e->mu);
        if (!victim)
            break;
        sym__sched_stop_held(victim, STOP_CANCEL);
    }
    pthread_mutex_lock(&e->mu);
    while (e->runs_active > 0)
        pthread_cond_wait(&e->cv, &e->mu);
    pthread_mutex_unlock(&e->mu);
    sym__pool_free(e->pool);
    e->pool = NULL;
    sym__timer_destroy(&e->timer);
    sym__registry_destroy(&e->reg);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

int sym_engine_set_threads(sym_engine *engine, unsigned n)
{
    if (!engine || n < 1)
        return SYM_EINVAL;
    return sym__pool_set_threads(engine->pool, n);
}

unsigned sym_engine_threads(const sym_engine *engine)
{
    return engine ? sym__pool_threads(engine->pool) : 0;
}

/* ---- workers ---- */

int sym_engine_register(sym_engine *engine, const char *name, sym_worker_fn fn, void *userdata,
                        const sym_worker_options *opts)
{
    if (!engine || (opts && !sym__abi_known(ABI_WORKER_OPTIONS, opts->version)))
        return SYM_EINVAL;
    sym_worker_options own = SYM_WORKER_OPTIONS_INIT;
    if (opts)
        sym__abi_read(ABI_WORKER_OPTIONS, &own, opts);
    return sym__registry_add(&engine->reg, name, fn, userdata, &own);
}

static void requeue_waiter(pool_item it, void *arg)
{
    sym_engine *e = arg;
    while (sym__pool_push(e->pool, NULL, it) != SYM_OK)
        sched_yield();
}

int sym_engine_unregister(sym_engine *engine, const char *name)
{
    if (!engine)
        return SYM_EINVAL;
    reg_worker *w;
    int rc = sym__registry_remove(&engine->reg, name, &w);
    if (rc != SYM_OK)
        return rc;
    /* Tasks waiting for one of its slots would wait for calls that may
     * never come: send them on, to fail as unregistered. */
    if (w->concurrency)
        sym__limiter_flush(&w->lim, NULL, requeue_waiter, engine);
    sym__registry_reap(&engine->reg, w);
    sym__registry_put(&engine->reg, w);
    return SYM_OK;
}

/* ---- metrics ---- */

int sym_engine_metrics(sym_engine *engine, sym_metrics *out)
{
    if (!engine || !out || !sym__abi_known(ABI_METRICS, out->version))
        return SYM_EINVAL;
    sym_metrics m = SYM_METRICS_INIT;
    pthread_mutex_lock(&engine->mu);
    for (int s = 0; s < SYM_TASK_STATE_COUNT; s++)
        m.tasks[s] = engine->ended_counts[s];
    for (sym_run *r = engine->runs; r; r = r->next)
        for (uint32_t i = 0; i < r->wf->ntasks; i++)
            m.tasks[atomic_load_explicit(&r->rt[i].state, RLX)]++;
    m.runs_active = engine->runs_active;
    pthread_mutex_unlock(&engine->mu);
    m.queue_depth = m.tasks[SYM_TASK_READY];
    m.retries = atomic_load(&engine->retries);
    m.threads = sym__pool_threads(engine->pool);
    hazard_count hc = {NULL, 0};
    sym__pool_each_slot(engine->pool, count_hazard, &hc);
    m.busy_threads = hc.n;
    sym__abi_write(ABI_METRICS, out, &m);
    return SYM_OK;
}

typedef struct stat_sum {
    uint32_t id;
    const reg_worker *w;
    sym_worker_metrics *m;
} stat_sum;

static void sum_stats(void *data, void *arg)
{
    slot_data *sd = data;
    stat_sum *ss = arg;
    if (atomic_load(&sd->hazard) == ss->w && atomic_load_explicit(&sd->busy, RLX))
        ss->m->in_flight++;
    pthread_mutex_lock(&sd->stats_mu);
    wstat *s = atomic_load_explicit(&sd->stats, RLX);
    if (ss->id < atomic_load_explicit(&sd->nstats, RLX)) {
        s += ss->id;
        ss->m->calls += atomic_load_explicit(&s->calls, RLX);
        ss->m->failures += atomic_load_explicit(&s->failures, RLX);
        ss->m->latency_sum_ns += atomic_load_explicit(&s->lat_sum, RLX);
        uint64_t mx = atomic_load_explicit(&s->lat_max, RLX);
        if (mx > ss->m->latency_max_ns)
            ss->m->latency_max_ns = mx;
    }
    pthread_mutex_unlock(&sd->stats_mu);
}

/* True when every element of out[0..cap) has out[0]'s version, a known
 * one; *stride gets that version's size (an older version is shorter). */
static bool worker_metrics_array_ok(const sym_worker_metrics *out, size_t cap, size_t *stride)
{
    unsigned v = out->version;
    if (!sym__abi_known(ABI_WORKER_METRICS, v))
        return false;
    *stride = sym__abi_size(ABI_WORKER_METRICS, v);
    for (size_t i = 1; i < cap; i++) {
        unsigned vi;
        memcpy(&vi, (const char *)out + i * *stride, sizeof vi);
        if (vi != v)
            return false;
    }
    return true;
}

int sym_engine_worker_metrics(sym_engine *engine, sym_worker_metrics *out, size_t cap,
                              size_t *count)
{
    if (!engine || !count || (cap > 0 && !out))
        return SYM_EINVAL;
    size_t stride = 0;
    if (cap > 0 && !worker_metrics_array_ok(out, cap, &stride))
        return SYM_EINVAL;
    registry *reg = &engine->reg;
    sym__registry_lock(reg);
    size_t n = reg->n;
    for (size_t i = 0; i < n && i < cap; i++) {
        reg_worker *w = reg->v[i];
        sym_worker_metrics m = SYM_WORKER_METRICS_INIT;
        strcpy(m.name, w->name);
        stat_sum ss = {w->id, w, &m};
        sym__pool_each_slot(engine->pool, sum_stats, &ss);
        sym__abi_write(ABI_WORKER_METRICS, (char *)out + i * stride, &m);
    }
    sym__registry_unlock(reg);
    *count = n;
    return SYM_OK;
}

/* ---- names ---- */

const char *sym_event_type_name(sym_event_type type)
{
    static const char *const names[] = {
        "run_started",   "run_finished",   "task_ready",           "task_started",
        "task_retrying", "task_succeeded", "task_failed",          "task_timed_out",
        "task_skipped",  "task_upstream_failed", "task_cancelled"};
    if ((unsigned)type >= sizeof names / sizeof *names)
        return NULL;
    return names[type];
}

const char *sym_task_state_name(sym_task_state state)
{
    static const char *const names[] = {"pending",   "ready",           "running",  "retrying",
                                        "succeeded", "failed",          "timed_out", "skipped",
                                        "upstream_failed", "cancelled"};
    if ((unsigned)state >= sizeof names / sizeof *names)
        return NULL;
    return names[state];
}

const char *sym_run_status_name(sym_run_status status)
{
    static const char *const names[] = {"running", "succeeded", "failed", "cancelled"};
    if ((unsigned)status >= sizeof names / sizeof *names)
        return NULL;
    return names[status];
}
