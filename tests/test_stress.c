/* test_stress.c - thousands of random DAGs with random trigger rules,
 * failures, retries, continue_on_error, fail_fast, limits and host cancels,
 * many runs at once on one engine, some with a task of 64 or more
 * dependents. The workers check the invariants as they run (dependencies
 * final and allowed by the trigger rule, attempts within the policy, no
 * limit exceeded); every run must end with every task final and
 * consistent. */
#include "check_main.h"
#include "engine_util.h"

enum { THREADS = 4, WORKER_LIMIT = 3, PARALLEL = 8 };

typedef struct shared {
    atomic_int pool_now;     /* callbacks in flight, all workers */
    atomic_int limited_now;  /* callbacks in flight of the limited worker */
    atomic_int violations;
    atomic_int calls;
    char first[160];         /* the first violation, for the message */
    pthread_mutex_t mu;
    uint64_t ended[SYM_TASK_STATE_COUNT]; /* final states of ended runs (main thread) */
} shared;

typedef struct wctx {
    shared *sh;
    bool limited;
} wctx;

static void violation(shared *sh, const char *what, const sym_task *t)
{
    if (atomic_fetch_add(&sh->violations, 1) == 0) {
        pthread_mutex_lock(&sh->mu);
        snprintf(sh->first, sizeof sh->first, "%s (task %s)", what, sym_task_id(t));
        pthread_mutex_unlock(&sh->mu);
    }
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDu;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53u;
    return x ^ (x >> 33);
}

static bool is_final(sym_task_state s)
{
    return s >= SYM_TASK_SUCCEEDED;
}

/* Counts dependency outcomes the way the trigger rules see them. */
static void dep_classes(sym_run *r, uint32_t i, int *ok, int *bad, int *n)
{
    *ok = *bad = *n = 0;
    for (uint32_t j = 0; j < wf_dep_count(r->wf, i); j++) {
        uint32_t d = r->wf->deps[wf_dep_begin(r->wf, i) + j];
        sym_task_result res;
        sym_task_result_init(&res);
        sym_run_task_result(r, d, &res);
        const sym_task_policy *p = wf_task_policy(r->wf, d);
        bool coe = p && p->continue_on_error;
        if (res.state == SYM_TASK_SUCCEEDED || res.state == SYM_TASK_SKIPPED ||
            ((res.state == SYM_TASK_FAILED || res.state == SYM_TASK_TIMED_OUT) && coe))
            (*ok)++;
        else if (res.state == SYM_TASK_FAILED || res.state == SYM_TASK_TIMED_OUT ||
                 res.state == SYM_TASK_UPSTREAM_FAILED)
            (*bad)++;
        (*n)++;
    }
}

static bool allowed(sym_trigger trig, int ok, int bad, int n)
{
    if (n == 0)
        return true;
    switch (trig) {
    case SYM_TRIGGER_ALL_SUCCESS:
        return ok == n;
    case SYM_TRIGGER_ALL_DONE:
        return true;
    case SYM_TRIGGER_ALL_FAILED:
        return bad == n;
    case SYM_TRIGGER_ONE_FAILED:
        return bad > 0;
    case SYM_TRIGGER_ONE_SUCCESS:
        return ok > 0;
    case SYM_TRIGGER_NONE_FAILED:
        return bad == 0 && ok == n;
    }
    return false;
}

static int w_random(sym_task *t, void *u)
{
    wctx *w = u;
    shared *sh = w->sh;
    atomic_fetch_add(&sh->calls, 1);
    if (atomic_fetch_add(&sh->pool_now, 1) + 1 > THREADS)
        violation(sh, "more callbacks than threads", t);
    if (w->limited && atomic_fetch_add(&sh->limited_now, 1) + 1 > WORKER_LIMIT)
        violation(sh, "worker limit exceeded", t);
    sym_run *r = t->run;
    uint32_t i = t->index;
    int ok, bad, n;
    dep_classes(r, i, &ok, &bad, &n);
    for (uint32_t j = 0; j < wf_dep_count(r->wf, i); j++) {
        sym_task_result res;
        sym_task_result_init(&res);
        sym_run_task_result(r, r->wf->deps[wf_dep_begin(r->wf, i) + j], &res);
        if (!is_final(res.state))
            violation(sh, "started before a dependency was final", t);
    }
    if (!allowed(wf_task_policy(r->wf, i)->trigger, ok, bad, n))
        violation(sh, "started against its trigger rule", t);
    if ((uint32_t)sym_task_attempt(t) > wf_task_policy(r->wf, i)->retry.attempts)
        violation(sh, "too many attempts", t);
    /* From the run's id ("s<k>", the k-th run), the task and the attempt:
     * the same outcomes every time the test runs, cancels aside. */
    uint64_t run_k = strtoull(sym_task_run_id(t) + 1, NULL, 10);
    uint64_t h = mix(run_k << 40 ^ ((uint64_t)i << 20) ^ (uint64_t)sym_task_attempt(t));
    int rc = SYM_OK;
    if (h % 100 < 4)
        rc = sym_task_fail(t, SYM_FAIL_FATAL, "fatal");
    else if (h % 100 < 25)
        rc = sym_task_fail(t, 0, "random failure");
    else if (h % 7 == 0)
        rc = sym_task_set_output(t, "k", "v");
    if (w->limited)
        atomic_fetch_sub(&sh->limited_now, 1);
    atomic_fetch_sub(&sh->pool_now, 1);
    return rc;
}

/* A task of a wide fan-out or fan-in. Its failures (random, as every
 * task's) do not fail the run: with 64 or more such tasks in a DAG, a run
 * would otherwise almost never succeed, and the test needs every outcome
 * among the few runs it makes under valgrind. */
static size_t wide_task(sym_builder *b, const char *id, const char *worker, uint32_t attempts)
{
    size_t ix = b_task(b, id, worker);
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.continue_on_error = true;
    p.retry.attempts = attempts;
    p.retry.delay_ms = 0;
    ck_assert_int_eq(sym_builder_set_policy(b, ix, &p), SYM_OK);
    return ix;
}

static sym_workflow *random_dag(uint64_t seed)
{
    uint64_t s = seed;
#define RND(m) ((s = mix(s + 0x9E3779B97F4A7C15u)) % (m))
    sym_builder *b = sym_builder_new("stress");
    int n = 2 + (int)RND(40);
    char id[16];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t%d", i);
        size_t ix = b_task(b, id, RND(3) == 0 ? "limited" : "plain");
        int deps = (int)RND(4);
        size_t chosen[4];
        int nchosen = 0;
        for (int d = 0; d < deps && i > 0; d++) {
            size_t dep = (size_t)RND((uint64_t)i);
            bool dup = false;
            for (int c = 0; c < nchosen; c++)
                dup |= chosen[c] == dep;
            if (dup)
                continue;
            chosen[nchosen++] = dep;
            ck_assert_int_eq(sym_builder_add_dep(b, ix, dep), SYM_OK);
        }
        sym_task_policy p;
        sym_task_policy_init(&p);
        p.trigger = (sym_trigger)RND(6);
        p.continue_on_error = RND(6) == 0;
        p.retry.attempts = 1 + (uint32_t)RND(3);
        p.retry.delay_ms = 0;
        sym_builder_set_policy(b, ix, &p);
    }
    size_t count = (size_t)n; /* tasks added */
    /* Now and then a wide fan-out: 64 or more dependents of one task are
     * queued as ranges (sched.c), which cancels and stops must reach too. */
    if (RND(8) == 0) {
        size_t hub = (size_t)RND((uint64_t)n);
        int wide = 64 + (int)RND(40);
        for (int i = 0; i < wide; i++) {
            snprintf(id, sizeof id, "w%d", i);
            const char *worker = RND(3) == 0 ? "limited" : "plain";
            size_t ix = wide_task(b, id, worker, 1 + (uint32_t)RND(3));
            ck_assert_int_eq(sym_builder_add_dep(b, ix, hub), SYM_OK);
        }
        count += (size_t)wide;
    }
    /* And a wide fan-in: a task with 64 or more dependencies has their
     * successes counted per thread first (sched.c), then added. */
    if (RND(8) == 0) {
        int wide = 64 + (int)RND(40);
        size_t sink = b_task(b, "sink", RND(3) == 0 ? "limited" : "plain");
        for (int i = 0; i < wide; i++) {
            snprintf(id, sizeof id, "f%d", i);
            const char *worker = RND(3) == 0 ? "limited" : "plain";
            size_t ix = wide_task(b, id, worker, 1 + (uint32_t)RND(3));
            if (RND(2) == 0) /* some under a task of the graph above */
                ck_assert_int_eq(sym_builder_add_dep(b, ix, (size_t)RND(count)), SYM_OK);
            ck_assert_int_eq(sym_builder_add_dep(b, sink, ix), SYM_OK);
        }
        sym_task_policy p;
        sym_task_policy_init(&p);
        p.trigger = (sym_trigger)RND(6);
        sym_builder_set_policy(b, sink, &p);
    }
    if (RND(4) == 0)
        sym_builder_set_concurrency(b, 1 + (unsigned)RND(3));
    if (RND(5) == 0)
        sym_builder_set_fail_fast(b, true);
    if (RND(4) == 0)
        sym_builder_set_worker_limit(b, "limited", 1 + (unsigned)RND(2));
#undef RND
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    return wf;
}

/* After the end: every task final and consistent with its dependencies. */
static void check_end(sym_run *r, shared *sh)
{
    sym_run_status status = sym_run_get_status(r);
    ck_assert(status != SYM_RUN_RUNNING);
    bool any_bad = false;
    for (uint32_t i = 0; i < r->wf->ntasks; i++) {
        sym_task_result res;
        sym_task_result_init(&res);
        sym_run_task_result(r, i, &res);
        ck_assert_msg(is_final(res.state), "task %s ended %s", res.id, sym_task_state_name(res.state));
        sh->ended[res.state]++;
        ck_assert_ptr_nonnull(res.outputs);
        const sym_task_policy *p = wf_task_policy(r->wf, i);
        ck_assert_int_le(res.attempts, (int)p->retry.attempts);
        if (res.state == SYM_TASK_UPSTREAM_FAILED) {
            int ok, bad, n;
            dep_classes(r, i, &ok, &bad, &n);
            ck_assert(!allowed(p->trigger, ok, bad, n));
        }
        bool coe = p->continue_on_error;
        any_bad |= res.state == SYM_TASK_UPSTREAM_FAILED || res.state == SYM_TASK_CANCELLED ||
                   ((res.state == SYM_TASK_FAILED || res.state == SYM_TASK_TIMED_OUT) && !coe);
    }
    if (status == SYM_RUN_SUCCEEDED)
        ck_assert(!any_bad);
    if (status == SYM_RUN_FAILED)
        ck_assert(any_bad);
}

START_TEST(random_dags_many_runs)
{
    shared sh;
    memset(&sh, 0, sizeof sh);
    pthread_mutex_init(&sh.mu, NULL);
    sym_engine *e = new_engine(THREADS, NULL, NULL);
    wctx plain = {&sh, false}, limited = {&sh, true};
    sym_worker_options o;
    sym_worker_options_init(&o);
    ck_assert_int_eq(sym_engine_register(e, "plain", w_random, &plain, NULL), SYM_OK);
    o.concurrency = WORKER_LIMIT;
    ck_assert_int_eq(sym_engine_register(e, "limited", w_random, &limited, &o), SYM_OK);
    int total = under_valgrind() ? 400 : 2000;
    sym_run *live[PARALLEL] = {0};
    sym_workflow *wfs[PARALLEL] = {0};
    int ended[4] = {0};
    for (int k = 0; k < total + PARALLEL; k++) {
        int slot = k % PARALLEL;
        if (live[slot]) {
            ck_assert_int_eq(sym_run_wait(live[slot], 30000), SYM_OK);
            check_end(live[slot], &sh);
            ended[sym_run_get_status(live[slot])]++;
            sym_run_free(live[slot]);
            sym_workflow_free(wfs[slot]);
            live[slot] = NULL;
        }
        if (k >= total)
            continue;
        wfs[slot] = random_dag(mix((uint64_t)k + 1));
        char run_id[24];
        snprintf(run_id, sizeof run_id, "s%d", k);
        sym_run_options ro;
        sym_run_options_init(&ro);
        ro.run_id = run_id;
        ck_assert_int_eq(sym_run_start(e, wfs[slot], &ro, &live[slot], NULL), SYM_OK);
        /* Cancel some runs at once, some a moment later. */
        if (k % 11 == 0)
            sym_run_cancel(live[slot]);
        if (k % 13 == 0 && live[(slot + 3) % PARALLEL])
            sym_run_cancel(live[(slot + 3) % PARALLEL]);
        if (k == total / 2) {
            ck_assert_int_eq(sym_engine_set_threads(e, 2), SYM_OK);
            ck_assert_int_eq(sym_engine_set_threads(e, THREADS), SYM_OK);
        }
    }
    ck_assert_msg(atomic_load(&sh.violations) == 0, "%d violations, first: %s",
                  atomic_load(&sh.violations), sh.first);
    ck_assert_int_gt(ended[SYM_RUN_SUCCEEDED], 0);
    ck_assert_int_gt(ended[SYM_RUN_FAILED], 0);
    ck_assert_int_gt(ended[SYM_RUN_CANCELLED], 0);
    sym_metrics m;
    sym_metrics_init(&m);
    sym_engine_metrics(e, &m);
    ck_assert_uint_eq(m.runs_active, 0);
    /* The engine's counts of ended runs' tasks, state by state, are what
     * the runs' results say. */
    for (int st = 0; st < SYM_TASK_STATE_COUNT; st++)
        ck_assert_msg(m.tasks[st] == sh.ended[st], "%s: metrics %llu, results %llu",
                      sym_task_state_name((sym_task_state)st), (unsigned long long)m.tasks[st],
                      (unsigned long long)sh.ended[st]);
    sym_worker_metrics wm[2];
    sym_worker_metrics_init(&wm[0]);
    sym_worker_metrics_init(&wm[1]);
    size_t nw = 0;
    ck_assert_int_eq(sym_engine_worker_metrics(e, wm, 2, &nw), SYM_OK);
    ck_assert_uint_eq(nw, 2);
    ck_assert_uint_eq(wm[0].calls + wm[1].calls, (uint64_t)atomic_load(&sh.calls));
    sym_engine_free(e);
    pthread_mutex_destroy(&sh.mu);
}
END_TEST

static Suite *stress_suite(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, random_dags_many_runs);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(stress_suite)
