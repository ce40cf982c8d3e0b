/* run.c - a run's life: checks and set-up at start, the end (status,
 * counts, releasing what belongs to the engine), waiting, cancelling,
 * freeing, and the accessors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "dataflow.h"
#include "engine.h"

/* ---- workflow limit groups (under e->mu) ---- */

static wfgroup *group_get(sym_engine *e, const sym_workflow *wf)
{
    for (wfgroup *g = e->groups; g; g = g->next)
        if (g->wf == wf) {
            g->runs++;
            return g;
        }
    wfgroup *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->lims = calloc(wf->nworkers ? wf->nworkers : 1, sizeof *g->lims);
    g->has = calloc(wf->nworkers ? wf->nworkers : 1, sizeof *g->has);
    if (!g->lims || !g->has) {
        free(g->lims);
        free(g->has);
        free(g);
        return NULL;
    }
    g->wf = wf;
    g->runs = 1;
    for (uint32_t j = 0; j < wf->nlimits; j++) {
        for (uint32_t k = 0; k < wf->nworkers; k++) {
            if (strcmp(wf->workers[k], wf->limits[j].worker) != 0 || !wf->limits[j].concurrency)
                continue;
            if (!g->has[k])
                sym__limiter_init(&g->lims[k], wf->limits[j].concurrency);
            else if (wf->limits[j].concurrency < g->lims[k].max)
                g->lims[k].max = wf->limits[j].concurrency;
            g->has[k] = true;
        }
    }
    g->next = e->groups;
    e->groups = g;
    return g;
}

static void group_put(sym_engine *e, wfgroup *g)
{
    if (!g || --g->runs > 0)
        return;
    for (wfgroup **p = &e->groups; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    for (uint32_t k = 0; k < g->wf->nworkers; k++)
        if (g->has[k])
            sym__limiter_destroy(&g->lims[k]);
    free(g->lims);
    free(g->has);
    free(g);
}

/* ---- start ---- */

static int check_params(const sym_workflow *wf, const sym_value *ov, sym_error *err)
{
    if (!ov)
        return SYM_OK;
    if (sym_value_type_of(ov) != SYM_VALUE_MAP)
        return sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "params must be a map");
    int rc = SYM_OK;
    for (size_t i = 0; i < sym_value_count(ov); i++) {
        const char *key = sym_value_key_at(ov, i);
        if (!sym_value_get(wf->params, key))
            rc = sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "unknown param '%s'", key);
        else if (sym__value_has_nul(sym_value_at(ov, i)))
            rc = sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "param '%s': %s", key,
                                VALUE_NUL_REFUSED);
    }
    return rc;
}

static sym_value *effective_params(const sym_workflow *wf, const sym_value *ov)
{
    sym_value *p = sym_value_new_map();
    if (!p)
        return NULL;
    for (size_t i = 0; i < sym_value_count(wf->params); i++) {
        const char *key = sym_value_key_at(wf->params, i);
        const sym_value *v = ov ? sym_value_get(ov, key) : NULL;
        sym_value *copy = sym_value_copy(v ? v : sym_value_at(wf->params, i));
        if (!copy || sym_value_map_set(p, key, copy) != SYM_OK) {
            sym_value_free(p);
            return NULL;
        }
    }
    return p;
}

static int expand_for_run(const sym_workflow *wf, const sym_run_options *opts, sym_workflow **own,
                          sym_error *err)
{
    sym_value *p = effective_params(wf, opts ? opts->params : NULL);
    if (!p)
        return sym__error_add(err, SYM_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = sym__workflow_expand_for_params(wf, p, own, err);
    sym_value_free(p);
    return rc;
}

/* Takes a reference on every worker the workflow names; one error per
 * missing name. */
static int resolve_workers(sym_engine *e, sym_run *r, sym_error *err)
{
    int rc = SYM_OK;
    sym__registry_lock(&e->reg);
    for (uint32_t k = 0; k < r->wf->nworkers; k++) {
        r->w[k] = sym__registry_get_locked(&e->reg, r->wf->workers[k]);
        if (!r->w[k])
            rc = sym__error_add(err, SYM_ENOWORKER, NULL, 0, 0, "worker '%s' is not registered",
                           r->wf->workers[k]);
    }
    sym__registry_unlock(&e->reg);
    return rc;
}

static void put_workers(sym_engine *e, sym_run *r)
{
    for (uint32_t k = 0; k < r->wf->nworkers; k++)
        if (r->w[k]) {
            sym__registry_put(&e->reg, r->w[k]);
            r->w[k] = NULL;
        }
}

static void stamp_wall_clock(sym_run *r)
{
    /* The only wall-clock read: for display in the report. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(r->started_at, sizeof r->started_at - 6, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
    char *p = r->started_at + n;
    p[0] = '.';
    p[1] = (char)('0' + ms / 100);
    p[2] = (char)('0' + ms / 10 % 10);
    p[3] = (char)('0' + ms % 10);
    p[4] = 'Z';
    p[5] = '\0';
}

/* Two records per cache line, none across two (see engine.h). */
_Static_assert(sizeof(rtask) == 32, "rtask is 32 bytes");

static sym_run *run_alloc(sym_engine *e, sym_workflow *wf)
{
    size_t n = wf->ntasks;
    if (n > SIZE_MAX / sizeof(rtask))
        return NULL;
    sym_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t nw = wf->nworkers ? wf->nworkers : 1;
    r->w = calloc(nw, sizeof *r->w);
    r->wlim = calloc(nw, sizeof *r->wlim);
    /* The run touches every record once: a big array in huge pages, kept
     * for the next run when freed (bigmem.h). The extras stay in malloc's
     * zero pages: most runs never touch them. */
    r->rt = sym__mem_big_calloc(n, sizeof *r->rt);
    r->aux = calloc(n ? n : 1, sizeof *r->aux);
    if (!r->w || !r->wlim || !r->rt || !r->aux) {
        free(r->w);
        free(r->wlim);
        sym__mem_big_free(r->rt);
        free((void *)r->aux);
        free(r);
        return NULL;
    }
    r->eng = e;
    r->wf = wf;
    r->hot = wf->hot;
    r->df = wf->df;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    sym__limiter_init(&r->runlim, wf->concurrency);
    atomic_init(&r->status, SYM_RUN_RUNNING);
    return r;
}

static int run_setup(sym_engine *e, sym_run *r, const sym_run_options *opts, sym_error *err)
{
    const sym_workflow *wf = r->wf;
    int rc = resolve_workers(e, r, err);
    if (rc != SYM_OK)
        return rc;
    r->params = effective_params(wf, opts ? opts->params : NULL);
    if (opts && opts->run_id) {
        r->id = strdup(opts->run_id);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "run-%016llx", (unsigned long long)sym__engine_random(e));
        r->id = strdup(buf);
    }
    if (!r->params || !r->id)
        return sym__error_add(err, SYM_ENOMEM, NULL, 0, 0, "out of memory");
    r->has_limits = wf->concurrency > 0;
    for (uint32_t k = 0; k < wf->nworkers; k++)
        r->has_limits |= r->w[k]->concurrency > 0;
    if (SYM_UNLIKELY(r->df != NULL) && sym__dataflow_run_init(r) != SYM_OK)
        return sym__error_add(err, SYM_ENOMEM, NULL, 0, 0, "out of memory");
    return SYM_OK;
}

void sym__run_free_memory(sym_run *r)
{
    for (rtask_aux *aux = r->aux_list, *next; aux; aux = next) {
        next = aux->next;
        free(aux->error);
        sym_value_free(aux->outputs);
        free(aux->slices);
        free(aux);
    }
    sym__dataflow_run_fini(r);
    sym_value_free(r->params);
    free(r->id);
    free(r->w);
    free(r->wlim);
    sym__limiter_destroy(&r->runlim);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    sym__workflow_release(r->wf);
    sym__mem_big_free(r->rt);
    free((void *)r->aux);
    sym__mem_big_free(r->roots);
    free(r);
}

/* Links r into the engine (and its workflow's limit group). */
static int run_link(sym_engine *e, sym_run *r)
{
    pthread_mutex_lock(&e->mu);
    if (r->wf->nlimits > 0) {
        r->group = group_get(e, r->wf);
        if (!r->group) {
            pthread_mutex_unlock(&e->mu);
            return SYM_ENOMEM;
        }
        for (uint32_t k = 0; k < r->wf->nworkers; k++)
            if (r->group->has[k]) {
                r->wlim[k] = &r->group->lims[k];
                r->has_limits = true;
            }
    }
    r->next = e->runs;
    if (e->runs)
        e->runs->prev = r;
    e->runs = r;
    e->runs_active++;
    pthread_mutex_unlock(&e->mu);
    return SYM_OK;
}

int sym_run_start(sym_engine *engine, sym_workflow *wf, const sym_run_options *opts,
                  sym_run **out, sym_error *err)
{
    if (out)
        *out = NULL;
    if (!engine || !wf || !out)
        return sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "engine, workflow and out are required");
    sym_run_options given = SYM_RUN_OPTIONS_INIT;
    if (opts) {
        if (!sym__abi_known(ABI_RUN_OPTIONS, opts->version))
            return sym__abi_refuse(err, "sym_run_start", ABI_RUN_OPTIONS, opts->version);
        sym__abi_read(ABI_RUN_OPTIONS, &given, opts);
    }
    opts = &given;
    int rc = check_params(wf, opts ? opts->params : NULL, err);
    if (rc != SYM_OK)
        return rc;
    /* Matrix axes over params: a run whose params change one gets its own
     * workflow, expanded for them (it holds that one's only reference). */
    sym_workflow *own = NULL;
    if (SYM_UNLIKELY(wf->df != NULL) && wf->df->has_param_matrix &&
        (rc = expand_for_run(wf, opts, &own, err)) != SYM_OK)
        return rc;
    sym_run *r = run_alloc(engine, own ? own : wf);
    if (!r) {
        if (own)
            sym__workflow_release(own);
        return sym__error_add(err, SYM_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (!own)
        sym__workflow_retain(wf);
    wf = r->wf;
    rc = run_setup(engine, r, opts, err);
    if (rc == SYM_OK && (rc = run_link(engine, r)) != SYM_OK)
        sym__error_add(err, rc, NULL, 0, 0, "out of memory");
    if (rc != SYM_OK) {
        put_workers(engine, r);
        sym__run_free_memory(r);
        return rc;
    }
    stamp_wall_clock(r);
    r->start_ns = engine_now(engine);
    /* Every task, plus a hold for the start itself. */
    atomic_store(&r->remaining, (int64_t)wf->ntasks + 1);
    if (engine->observer)
        sym__engine_emit(engine, SYM_EVENT_RUN_STARTED, r, TASK_NONE, 0, 0, NULL);
    if (wf->deadline_ms > 0) {
        r->deadline.due = timer_due(r->start_ns, wf->deadline_ms);
        r->deadline.fire = sym__sched_deadline_fire;
        r->has_deadline = sym__timer_add(&engine->timer, &r->deadline) == SYM_OK;
    }
    sym__sched_start(r);
    *out = r;
    sym__sched_release(r); /* the start's own hold */
    return SYM_OK;
}

/* ---- end ---- */

void sym__run_end(sym_run *r)
{
    sym_engine *e = r->eng;
    if (r->has_deadline)
        sym__timer_cancel(&e->timer, &r->deadline);
    sym_run_status status = sym__sched_status(r);
#ifdef SYM_ASSERTS
    /* Every task reached exactly one final state, counted once. */
    uint64_t ended = 0;
    for (int s = 0; s < SYM_TASK_STATE_COUNT; s++)
        ended += atomic_load_explicit(&r->final_counts[s], memory_order_relaxed);
    SYM_ASSERT(ended == r->wf->ntasks);
#endif
    r->end_ns = engine_now(e);
    atomic_store(&r->status, status);
    if (e->observer)
        sym__engine_emit(e, SYM_EVENT_RUN_FINISHED, r, TASK_NONE, 0, 0, NULL);
    put_workers(e, r);
    pthread_mutex_lock(&e->mu);
    group_put(e, r->group);
    r->group = NULL;
    memset(r->wlim, 0, (r->wf->nworkers ? r->wf->nworkers : 1) * sizeof *r->wlim);
    if (r->prev)
        r->prev->next = r->next;
    else
        e->runs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    for (int s = 0; s < SYM_TASK_STATE_COUNT; s++)
        e->ended_counts[s] += atomic_load_explicit(&r->final_counts[s], memory_order_relaxed);
    if (--e->runs_active == 0)
        pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    /* From here the engine may be gone; the run stays readable. */
    pthread_mutex_lock(&r->mu);
    r->eng = NULL;
    r->ended = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int sym_run_wait(sym_run *run, int64_t timeout_ms)
{
    if (!run)
        return SYM_EINVAL;
    struct timespec ts;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (timeout_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
    }
    int rc = SYM_OK;
    pthread_mutex_lock(&run->mu);
    while (!run->ended) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&run->cv, &run->mu);
        } else if (pthread_cond_timedwait(&run->cv, &run->mu, &ts) != 0 && !run->ended) {
            rc = SYM_ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&run->mu);
    return rc;
}

int sym_run_cancel(sym_run *run)
{
    if (!run)
        return SYM_EINVAL;
    /* The hold keeps the run (and its engine) alive while it is stopped. */
    if (!sym__run_hold(run))
        return SYM_ESTATE;
    sym__sched_stop_held(run, STOP_CANCEL);
    return SYM_OK;
}

void sym_run_free(sym_run *run)
{
    if (!run)
        return;
    sym_run_cancel(run);
    sym_run_wait(run, -1);
    sym__run_free_memory(run);
}

/* ---- accessors ---- */

sym_run_status sym_run_get_status(const sym_run *run)
{
    return run ? (sym_run_status)atomic_load(&((sym_run *)run)->status) : SYM_RUN_RUNNING;
}

const char *sym_run_id(const sym_run *run)
{
    return run ? run->id : NULL;
}

const sym_workflow *sym_run_workflow(const sym_run *run)
{
    return run ? run->wf : NULL;
}

const sym_value *sym_run_params(const sym_run *run)
{
    return run ? run->params : NULL;
}

void sym__run_task_result_locked(sym_run *run, uint32_t index, sym_task_result *out)
{
    rtask *t = &run->rt[index];
    *out = (sym_task_result)SYM_TASK_RESULT_INIT;
    out->id = wf_task_id(run->wf, index);
    out->worker = run->wf->workers[wf_task_worker(run->wf, index)];
    out->state = (sym_task_state)atomic_load_explicit(&t->state, memory_order_acquire);
    out->attempts = (int)atomic_load_explicit(&t->attempts, RLX);
    int64_t first = atomic_load_explicit(&t->first_ns, RLX);
    int64_t end = atomic_load_explicit(&t->end_ns, RLX);
    if (out->attempts > 0 && out->state >= SYM_TASK_SUCCEEDED && end >= first)
        out->duration_ns = end - first;
    out->outputs = &sym__engine_empty_map;
    rtask_aux *aux = run_aux(run, index);
    if (aux) {
        out->error = aux->error;
        if (aux->outputs && out->state == SYM_TASK_SUCCEEDED)
            out->outputs = aux->outputs;
    }
}

int sym_run_task_result(sym_run *run, size_t index, sym_task_result *out)
{
    if (!run || !out || !sym__abi_known(ABI_TASK_RESULT, out->version))
        return SYM_EINVAL;
    if (index >= run->wf->ntasks)
        return SYM_ENOTFOUND;
    sym_task_result res;
    pthread_mutex_lock(&run->mu);
    sym__run_task_result_locked(run, (uint32_t)index, &res);
    pthread_mutex_unlock(&run->mu);
    sym__abi_write(ABI_TASK_RESULT, out, &res);
    return SYM_OK;
}
