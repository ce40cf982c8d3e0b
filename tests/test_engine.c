/* test_engine.c - the engine API: configuration, names, lifecycle,
 * registration and unregistration with calls in flight, concurrency
 * limits, resizing while running, outputs, metrics. */
#include "check_main.h"
#include "engine_util.h"

START_TEST(config_defaults_and_names)
{
    sym_engine_config cfg;
    memset(&cfg, 0xff, sizeof cfg);
    sym_engine_config_init(&cfg);
    ck_assert_uint_eq(cfg.threads, 0);
    ck_assert(cfg.clock == NULL);
    ck_assert(cfg.observer == NULL);
    ck_assert_uint_eq(cfg.max_output_bytes, 1u << 20);
    sym_worker_options wo;
    memset(&wo, 0xff, sizeof wo);
    sym_worker_options_init(&wo);
    ck_assert_uint_eq(wo.concurrency, 0);
    ck_assert(wo.release == NULL);
    sym_run_options ro;
    memset(&ro, 0xff, sizeof ro);
    sym_run_options_init(&ro);
    ck_assert_ptr_null(ro.run_id);
    ck_assert_ptr_null(ro.params);
    ck_assert_str_eq(sym_task_state_name(SYM_TASK_UPSTREAM_FAILED), "upstream_failed");
    ck_assert_str_eq(sym_task_state_name(SYM_TASK_RETRYING), "retrying");
    ck_assert_ptr_null(sym_task_state_name(SYM_TASK_STATE_COUNT));
    ck_assert_str_eq(sym_run_status_name(SYM_RUN_CANCELLED), "cancelled");
    ck_assert_str_eq(sym_event_type_name(SYM_EVENT_TASK_TIMED_OUT), "task_timed_out");
    ck_assert_str_eq(sym_event_type_name(SYM_EVENT_RUN_STARTED), "run_started");
    ck_assert_ptr_null(sym_event_type_name((sym_event_type)99));
}
END_TEST

START_TEST(lifecycle_and_registration)
{
    sym_engine_free(NULL);
    sym_run_free(NULL);
    ck_assert_int_eq(sym_engine_new(NULL, NULL), SYM_EINVAL);
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(NULL, &e), SYM_OK);
    ck_assert_uint_ge(sym_engine_threads(e), 1);
    ck_assert_int_eq(sym_engine_register(e, "a.b-c_1", w_ok, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "a.b-c_1", w_ok, NULL, NULL), SYM_EEXIST);
    ck_assert_int_eq(sym_engine_register(e, "bad name", w_ok, NULL, NULL), SYM_EINVAL);
    ck_assert_int_eq(sym_engine_register(e, "x", NULL, NULL, NULL), SYM_EINVAL);
    ck_assert_int_eq(sym_engine_unregister(e, "nope"), SYM_ENOTFOUND);
    ck_assert_int_eq(sym_engine_unregister(e, "a.b-c_1"), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "a.b-c_1", w_ok, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_set_threads(e, 0), SYM_EINVAL);
    size_t n = 0;
    ck_assert_int_eq(sym_engine_worker_metrics(e, NULL, 0, &n), SYM_OK);
    ck_assert_uint_eq(n, 1);
    sym_engine_free(e);
}
END_TEST

/* ---- unregister with calls in flight ---- */

typedef struct held {
    gate g;
    atomic_int entered;
    atomic_int released;
} held;

static int w_held(sym_task *t, void *u)
{
    (void)t;
    held *h = u;
    atomic_fetch_add(&h->entered, 1);
    gate_wait(&h->g);
    return SYM_OK;
}

static void on_release(void *u)
{
    held *h = u;
    atomic_fetch_add(&h->released, 1);
}

START_TEST(unregister_waits_for_calls_in_flight)
{
    sym_engine *e = new_engine(2, NULL, NULL);
    held h;
    gate_init(&h.g);
    atomic_init(&h.entered, 0);
    atomic_init(&h.released, 0);
    sym_worker_options o;
    sym_worker_options_init(&o);
    o.release = on_release;
    ck_assert_int_eq(sym_engine_register(e, "held", w_held, &h, &o), SYM_OK);
    sym_builder *b = sym_builder_new("unreg");
    size_t a = b_task(b, "a", "held");
    size_t c = b_task(b, "c", "held");
    sym_builder_add_dep(b, c, a);
    sym_workflow *wf = b_build(b);
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
    while (atomic_load(&h.entered) == 0)
        sleep_ms(1);
    sym_worker_metrics m;
    sym_worker_metrics_init(&m);
    size_t n = 0;
    ck_assert_int_eq(sym_engine_worker_metrics(e, &m, 1, &n), SYM_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(m.in_flight, 1);
    ck_assert_int_eq(sym_engine_unregister(e, "held"), SYM_OK);
    ck_assert_int_eq(atomic_load(&h.released), 0); /* a call is in flight */
    gate_open(&h.g);
    ck_assert_int_eq(sym_run_wait(r, 10000), SYM_OK);
    ck_assert_int_eq(atomic_load(&h.released), 1);
    sym_task_result res;
    sym_task_result_init(&res);
    sym_run_task_result(r, a, &res);
    ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED); /* its result counts */
    sym_run_task_result(r, c, &res);
    ck_assert_int_eq(res.state, SYM_TASK_FAILED);
    ck_assert_int_eq(res.attempts, 0);
    ck_assert_str_eq(res.error, "worker 'held' is not registered");
    ck_assert_int_eq(atomic_load(&h.entered), 1);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym_engine_free(e);
    ck_assert_int_eq(atomic_load(&h.released), 1);
    gate_free(&h.g);
}
END_TEST

START_TEST(release_on_unregister_without_calls_and_on_engine_free)
{
    sym_engine *e = new_engine(1, NULL, NULL);
    held h1, h2;
    atomic_init(&h1.released, 0);
    atomic_init(&h2.released, 0);
    sym_worker_options o;
    sym_worker_options_init(&o);
    o.release = on_release;
    sym_engine_register(e, "one", w_ok, &h1, &o);
    sym_engine_register(e, "two", w_ok, &h2, &o);
    sym_engine_unregister(e, "one");
    ck_assert_int_eq(atomic_load(&h1.released), 1);
    ck_assert_int_eq(atomic_load(&h2.released), 0);
    sym_engine_free(e);
    ck_assert_int_eq(atomic_load(&h2.released), 1);
}
END_TEST

/* ---- limits ---- */

typedef struct counter {
    atomic_int now, max, calls;
    atomic_int *run_now, *run_max; /* shared across workers, per run */
} counter;

static void bump_max(atomic_int *max, int v)
{
    int m = atomic_load(max);
    while (v > m && !atomic_compare_exchange_weak(max, &m, v))
        ;
}

static int w_count(sym_task *t, void *u)
{
    (void)t;
    counter *c = u;
    atomic_fetch_add(&c->calls, 1);
    bump_max(&c->max, atomic_fetch_add(&c->now, 1) + 1);
    if (c->run_now)
        bump_max(c->run_max, atomic_fetch_add(c->run_now, 1) + 1);
    sleep_ms(2);
    if (c->run_now)
        atomic_fetch_sub(c->run_now, 1);
    atomic_fetch_sub(&c->now, 1);
    return SYM_OK;
}

static sym_workflow *wide(const char *worker, int n, unsigned run_conc, unsigned wf_limit)
{
    sym_builder *b = sym_builder_new("wide");
    char id[16];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t%d", i);
        b_task(b, id, worker);
    }
    if (run_conc)
        sym_builder_set_concurrency(b, run_conc);
    if (wf_limit)
        sym_builder_set_worker_limit(b, worker, wf_limit);
    return b_build(b);
}

static int run_wide(sym_engine *e, sym_workflow *wf, int runs)
{
    sym_run *r[4];
    for (int i = 0; i < runs; i++)
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &r[i], NULL), SYM_OK);
    int ok = 0;
    for (int i = 0; i < runs; i++) {
        ck_assert_int_eq(sym_run_wait(r[i], 20000), SYM_OK);
        ok += sym_run_get_status(r[i]) == SYM_RUN_SUCCEEDED;
        sym_run_free(r[i]);
    }
    return ok;
}

START_TEST(registration_limit_holds)
{
    sym_engine *e = new_engine(4, NULL, NULL);
    counter c = {0};
    sym_worker_options o;
    sym_worker_options_init(&o);
    o.concurrency = 2;
    sym_engine_register(e, "c", w_count, &c, &o);
    sym_workflow *wf = wide("c", 24, 0, 0);
    ck_assert_int_eq(run_wide(e, wf, 2), 2);
    ck_assert_int_le(atomic_load(&c.max), 2);
    ck_assert_int_ge(atomic_load(&c.max), 1);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(workflow_worker_limit_is_shared_by_runs)
{
    sym_engine *e = new_engine(4, NULL, NULL);
    counter c = {0};
    sym_worker_options o;
    sym_worker_options_init(&o);
    o.concurrency = 3; /* the smaller of 3 and 1 applies */
    sym_engine_register(e, "c", w_count, &c, &o);
    sym_workflow *wf = wide("c", 12, 0, 1);
    ck_assert_int_eq(run_wide(e, wf, 3), 3);
    ck_assert_int_eq(atomic_load(&c.max), 1);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(run_concurrency_holds)
{
    sym_engine *e = new_engine(4, NULL, NULL);
    atomic_int run_now = 0, run_max = 0;
    counter c = {0};
    c.run_now = &run_now;
    c.run_max = &run_max;
    sym_engine_register(e, "c", w_count, &c, NULL);
    sym_workflow *wf = wide("c", 30, 2, 0);
    ck_assert_int_eq(run_wide(e, wf, 1), 1);
    ck_assert_int_le(atomic_load(&run_max), 2);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(pool_size_holds_and_resizes_while_running)
{
    sym_engine *e = new_engine(1, NULL, NULL);
    counter c = {0};
    sym_engine_register(e, "c", w_count, &c, NULL);
    sym_workflow *wf = wide("c", 150, 0, 0);
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
    sleep_ms(20);
    ck_assert_int_eq(atomic_load(&c.max), 1);
    ck_assert_int_eq(sym_engine_set_threads(e, 4), SYM_OK);
    ck_assert_uint_eq(sym_engine_threads(e), 4);
    sleep_ms(40);
    ck_assert_int_eq(sym_engine_set_threads(e, 2), SYM_OK);
    ck_assert_int_eq(sym_engine_set_threads(e, 3), SYM_OK);
    ck_assert_int_eq(sym_engine_set_threads(e, 1), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, 20000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    ck_assert_int_le(atomic_load(&c.max), 4);
    sym_metrics m;
    sym_metrics_init(&m);
    sym_engine_metrics(e, &m);
    ck_assert_uint_eq(m.threads, 1);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

/* Many slow tasks ready at once, as roots or as the successors of one
 * task, are queued as ranges; idle threads must still get them, so most
 * threads of the pool end up running one at the same time (kept as whole
 * grains, 8 roots would run one by one, and 64 successors two by two).
 * At least 3 of 4, not 4: a thread waking late under valgrind may find
 * the rest taken. */
START_TEST(wide_ranges_spread_over_the_pool)
{
    sym_engine *e = new_engine(4, NULL, NULL);
    counter c = {0};
    sym_engine_register(e, "c", w_count, &c, NULL);
    sym_engine_register(e, "ok", w_ok, NULL, NULL);
    sym_workflow *roots = wide("c", 8, 0, 0); /* one range, under a grain */
    ck_assert_int_eq(run_wide(e, roots, 1), 1);
    ck_assert_int_ge(atomic_load(&c.max), 3);

    atomic_store(&c.max, 0);
    sym_builder *b = sym_builder_new("fan");
    size_t src = b_task(b, "src", "ok");
    char id[16];
    for (int i = 0; i < 64; i++) { /* two grains */
        snprintf(id, sizeof id, "t%d", i);
        ck_assert_int_eq(sym_builder_add_dep(b, b_task(b, id, "c"), src), SYM_OK);
    }
    sym_workflow *fan = b_build(b);
    ck_assert_int_eq(run_wide(e, fan, 1), 1);
    ck_assert_int_ge(atomic_load(&c.max), 3);
    sym_workflow_free(roots);
    sym_workflow_free(fan);
    sym_engine_free(e);
}
END_TEST

/* ---- fan-in: successes counted per thread first ---- */

/* A builder with task "sink" (worker "count", trigger as given) needing
 * the roots d0, d1, ... (worker dep_worker, but odd_worker for d<odd>). */
static sym_builder *fan_in(int deps, const char *dep_worker, int odd, const char *odd_worker,
                           sym_trigger trigger)
{
    sym_builder *b = sym_builder_new("fan-in");
    size_t sink = b_task(b, "sink", "count");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.trigger = trigger;
    ck_assert_int_eq(sym_builder_set_policy(b, sink, &p), SYM_OK);
    char id[16];
    for (int i = 0; i < deps; i++) {
        snprintf(id, sizeof id, "d%d", i);
        size_t d = b_task(b, id, i == odd ? odd_worker : dep_worker);
        ck_assert_int_eq(sym_builder_add_dep(b, sink, d), SYM_OK);
    }
    return b;
}

static sym_task_result sink_result(sym_run *r, const sym_workflow *wf)
{
    size_t ix;
    ck_assert_int_eq(sym_workflow_find_task(wf, "sink", &ix), SYM_OK);
    sym_task_result res;
    sym_task_result_init(&res);
    ck_assert_int_eq(sym_run_task_result(r, ix, &res), SYM_OK);
    ck_assert_str_eq(res.id, "sink");
    return res;
}

START_TEST(fan_in_counts_every_dependency)
{
    /* More dependencies than a thread holds at once (256), and not a
     * multiple of it; threads race to end them. */
    sym_engine *e = new_engine(4, NULL, NULL);
    counter c = {0};
    sym_engine_register(e, "count", w_count, &c, NULL);
    sym_engine_register(e, "ok", w_ok, NULL, NULL);
    sym_engine_register(e, "fatal", w_fatal, NULL, NULL);
    sym_workflow *all_ok = b_build(fan_in(1000, "ok", -1, NULL, SYM_TRIGGER_ALL_SUCCESS));
    for (int k = 0; k < 20; k++) {
        sym_run *r;
        ck_assert_int_eq(sym_run_start(e, all_ok, NULL, &r, NULL), SYM_OK);
        ck_assert_int_eq(sym_run_wait(r, 30000), SYM_OK);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
        ck_assert_int_eq(sink_result(r, all_ok).state, SYM_TASK_SUCCEEDED);
        sym_run_free(r);
    }
    ck_assert_int_eq(atomic_load(&c.calls), 20);
    /* One failure among them: the sink is ruled out, or runs when its
     * rule allows it. */
    sym_workflow *one_bad = b_build(fan_in(700, "ok", 333, "fatal", SYM_TRIGGER_ALL_SUCCESS));
    sym_workflow *all_done = b_build(fan_in(700, "ok", 333, "fatal", SYM_TRIGGER_ALL_DONE));
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, one_bad, NULL, &r, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, 30000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
    ck_assert_int_eq(sink_result(r, one_bad).state, SYM_TASK_UPSTREAM_FAILED);
    sym_run_free(r);
    ck_assert_int_eq(sym_run_start(e, all_done, NULL, &r, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, 30000), SYM_OK);
    ck_assert_int_eq(sink_result(r, all_done).state, SYM_TASK_SUCCEEDED);
    sym_run_free(r);
    ck_assert_int_eq(atomic_load(&c.calls), 21);
    sym_workflow_free(all_ok);
    sym_workflow_free(one_bad);
    sym_workflow_free(all_done);
    sym_engine_free(e);
}
END_TEST

/* Waits until the sink has run (c->calls > 0), for at most 10 s. */
static int w_wait_for_sink(sym_task *t, void *u)
{
    counter *c = u;
    for (int ms = 0; ms < 10000 && atomic_load(&c->calls) == 0; ms++)
        sleep_ms(1);
    return atomic_load(&c->calls) ? SYM_OK : sym_task_fail(t, 0, "the sink never ran");
}

START_TEST(fan_in_is_not_held_back_by_other_tasks)
{
    /* The thread that ends the last dependency goes on to a task that
     * waits for the sink. The successes it counted must reach the sink
     * before that callback starts, or the sink never becomes ready and
     * the other thread never gets to run it. */
    sym_engine *e = new_engine(2, NULL, NULL);
    counter c = {0};
    sym_engine_register(e, "count", w_count, &c, NULL);
    sym_engine_register(e, "ok", w_ok, NULL, NULL);
    sym_engine_register(e, "waiter", w_wait_for_sink, &c, NULL);
    sym_builder *b = fan_in(100, "ok", -1, NULL, SYM_TRIGGER_ALL_SUCCESS);
    size_t sink = 0; /* the first task added */
    size_t last = b_task(b, "last", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, sink, last), SYM_OK);
    /* The waiter becomes ready with the last dependency, after the rest. */
    ck_assert_int_eq(sym_builder_add_dep(b, b_task(b, "waiter", "waiter"), last), SYM_OK);
    sym_workflow *wf = b_build(b);
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, 30000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(fan_in_run_cancelled_midway_ends)
{
    /* Some dependencies end, one never does until cancelled: the counts
     * held for the sink must not keep the run from ending, nor outlive
     * it. */
    sym_engine *e = new_engine(2, NULL, NULL);
    counter c = {0};
    sym_engine_register(e, "count", w_count, &c, NULL);
    sym_engine_register(e, "ok", w_ok, NULL, NULL);
    sym_engine_register(e, "spin", w_until_cancelled, NULL, NULL);
    sym_workflow *wf = b_build(fan_in(300, "ok", 150, "spin", SYM_TRIGGER_ALL_SUCCESS));
    for (int k = 0; k < 5; k++) {
        sym_run *r;
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
        sleep_ms(20);
        ck_assert_int_eq(sym_run_cancel(r), SYM_OK);
        ck_assert_int_eq(sym_run_wait(r, 30000), SYM_OK);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_CANCELLED);
        ck_assert_int_eq(sink_result(r, wf).state, SYM_TASK_CANCELLED);
        sym_run_free(r);
    }
    ck_assert_int_eq(atomic_load(&c.calls), 0);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

/* ---- outputs ---- */

static int w_big(sym_task *t, void *u)
{
    (void)u;
    ck_assert_int_eq(sym_task_set_output(t, "k", "0123456789"), SYM_OK);
    ck_assert_int_eq(sym_task_set_output(t, "k", "01234567890123"), SYM_OK); /* replaces */
    ck_assert_int_eq(sym_task_set_output(t, "j", "0123456789"), SYM_ETOOBIG);
    ck_assert_int_eq(sym_task_set_output(t, NULL, "x"), SYM_EINVAL);
    ck_assert_str_eq(sym_task_id(t), "a");
    ck_assert_str_eq(sym_task_worker(t), "big");
    ck_assert_str_eq(sym_task_run_id(t), "r1");
    ck_assert_int_eq(sym_task_attempt(t), 1);
    ck_assert_uint_eq(sym_value_count(sym_task_inputs(t)), 0);
    ck_assert(!sym_task_cancelled(t));
    return SYM_OK;
}

START_TEST(outputs_capped_per_task)
{
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = 1;
    cfg.max_output_bytes = 20;
    sym_engine *e;
    ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_OK);
    sym_engine_register(e, "big", w_big, NULL, NULL);
    sym_builder *b = sym_builder_new("out");
    b_task(b, "a", "big");
    sym_workflow *wf = b_build(b);
    sym_run_options o;
    sym_run_options_init(&o);
    o.run_id = "r1";
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, wf, &o, &r, NULL), SYM_OK);
    sym_run_wait(r, -1);
    sym_task_result res;
    sym_task_result_init(&res);
    ck_assert_int_eq(sym_run_task_result(r, 0, &res), SYM_OK);
    ck_assert_int_eq(sym_run_task_result(r, 1, &res), SYM_ENOTFOUND);
    sym_run_task_result(r, 0, &res);
    ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED);
    ck_assert_str_eq(sym_value_string(sym_value_get(res.outputs, "k"), NULL), "01234567890123");
    ck_assert_uint_eq(sym_value_count(res.outputs), 1);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

/* ---- versioned structs ---- */

static void count_event_versions(const sym_event *ev, void *user)
{
    atomic_int *bad = user;
    if (ev->version != SYM_EVENT_VERSION)
        atomic_fetch_add(bad, 1);
}

/* Fills s with a pattern and gives it version v. */
#define SPOIL(s, v)                                                                                \
    do {                                                                                           \
        memset(&(s), 0xab, sizeof(s));                                                             \
        (s).version = (v);                                                                         \
    } while (0)

START_TEST(unknown_struct_versions_are_refused)
{
    const unsigned bad[] = {0, 2, 0xffffffffu};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        unsigned v = bad[k];
        sym_engine_config cfg;
        SPOIL(cfg, v);
        sym_engine *e = (sym_engine *)&cfg;
        ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_EINVAL);
        ck_assert_ptr_null(e);
        ck_assert_int_eq(sym_engine_config_init_version(&cfg, v), SYM_EINVAL);
        ck_assert_uint_eq(cfg.threads, 0xababababu); /* nothing written */
    }
    atomic_int wrong_events = 0;
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = 2;
    cfg.observer = count_event_versions;
    cfg.observer_userdata = &wrong_events;
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_OK);
    sym_builder *b = sym_builder_new("v");
    b_task(b, "a", "ok");
    sym_workflow *wf = b_build(b);
    sym_error *err = sym_error_new();
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        unsigned v = bad[k];
        sym_worker_options wo;
        SPOIL(wo, v);
        ck_assert_int_eq(sym_engine_register(e, "ok", w_ok, NULL, &wo), SYM_EINVAL);
        ck_assert_int_eq(sym_worker_options_init_version(&wo, v), SYM_EINVAL);

        sym_run_options ro;
        SPOIL(ro, v);
        sym_run *r = (sym_run *)&ro;
        sym_error_clear(err);
        ck_assert_int_eq(sym_run_start(e, wf, &ro, &r, err), SYM_EINVAL);
        ck_assert_ptr_null(r);
        ck_assert_uint_eq(sym_error_count(err), 1);
        ck_assert_int_eq(sym_error_code(err, 0), SYM_EINVAL);
        char want[96];
        snprintf(want, sizeof want, "sym_run_start: sym_run_options has version %u,", v);
        ck_assert_msg(strstr(sym_error_message(err, 0), want) != NULL, "%s",
                      sym_error_message(err, 0));
        ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "sym_run_options_init"));
        ck_assert_int_eq(sym_run_options_init_version(&ro, v), SYM_EINVAL);

        sym_metrics m;
        SPOIL(m, v);
        ck_assert_int_eq(sym_engine_metrics(e, &m), SYM_EINVAL);
        ck_assert_uint_eq(m.threads, 0xababababu);
        ck_assert_int_eq(sym_metrics_init_version(&m, v), SYM_EINVAL);
    }
    /* Registered with options of a known version, the worker runs. */
    sym_worker_options wo;
    sym_worker_options_init(&wo);
    ck_assert_int_eq(sym_engine_register(e, "ok", w_ok, NULL, &wo), SYM_OK);
    sym_run_options ro;
    sym_run_options_init(&ro);
    sym_run *r = NULL;
    ck_assert_int_eq(sym_run_start(e, wf, &ro, &r, err), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, -1), SYM_OK);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        unsigned v = bad[k];
        sym_task_result res;
        SPOIL(res, v);
        ck_assert_int_eq(sym_run_task_result(r, 0, &res), SYM_EINVAL);
        ck_assert_int_eq(res.attempts, (int)0xabababab);
        ck_assert_int_eq(sym_task_result_init_version(&res, v), SYM_EINVAL);

        /* Every element of the array is checked before any is written. */
        sym_worker_metrics wm[2];
        sym_worker_metrics_init(&wm[0]);
        SPOIL(wm[1], v);
        size_t n = 99;
        ck_assert_int_eq(sym_engine_worker_metrics(e, wm, 2, &n), SYM_EINVAL);
        ck_assert_uint_eq(n, 99);
        ck_assert_str_eq(wm[0].name, "");
        ck_assert_int_eq(sym_engine_worker_metrics(e, &wm[1], 1, &n), SYM_EINVAL);
        ck_assert_int_eq(sym_worker_metrics_init_version(&wm[1], v), SYM_EINVAL);
    }
    sym_task_result res;
    sym_task_result_init(&res);
    ck_assert_int_eq(sym_run_task_result(r, 0, &res), SYM_OK);
    ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED);
    ck_assert_uint_eq(res.version, SYM_TASK_RESULT_VERSION);
    ck_assert_int_eq(sym_run_task_result(r, 0, NULL), SYM_EINVAL);
    ck_assert_int_eq(sym_engine_worker_metrics(e, NULL, 1, &(size_t){0}), SYM_EINVAL);
    ck_assert_int_eq(sym_engine_worker_metrics(e, NULL, 0, NULL), SYM_EINVAL);
    sym_run_free(r);
    ck_assert_int_eq(atomic_load(&wrong_events), 0);
    sym_error_free(err);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(static_initialisers_match_the_init_functions)
{
    /* Static, so that their padding is 0 too, as in the init functions. */
    static const sym_engine_config c1 = SYM_ENGINE_CONFIG_INIT;
    sym_engine_config c2;
    sym_engine_config_init(&c2);
    ck_assert_mem_eq(&c1, &c2, sizeof c1);
    static const sym_worker_options w1 = SYM_WORKER_OPTIONS_INIT;
    sym_worker_options w2;
    sym_worker_options_init(&w2);
    ck_assert_mem_eq(&w1, &w2, sizeof w1);
    static const sym_run_options r1 = SYM_RUN_OPTIONS_INIT;
    sym_run_options r2;
    sym_run_options_init(&r2);
    ck_assert_mem_eq(&r1, &r2, sizeof r1);
    static const sym_task_result t1 = SYM_TASK_RESULT_INIT;
    sym_task_result t2;
    sym_task_result_init(&t2);
    ck_assert_mem_eq(&t1, &t2, sizeof t1);
    static const sym_metrics m1 = SYM_METRICS_INIT;
    sym_metrics m2;
    sym_metrics_init(&m2);
    ck_assert_mem_eq(&m1, &m2, sizeof m1);
    static const sym_worker_metrics k1 = SYM_WORKER_METRICS_INIT;
    sym_worker_metrics k2;
    sym_worker_metrics_init(&k2);
    ck_assert_mem_eq(&k1, &k2, sizeof k1);
    /* NULL options are the defaults. */
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(NULL, &e), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "ok", w_ok, NULL, NULL), SYM_OK);
    sym_engine_free(e);
    ck_assert_int_eq(sym_engine_config_init_version(NULL, SYM_ENGINE_CONFIG_VERSION), SYM_EINVAL);
}
END_TEST

/* ---- metrics ---- */

START_TEST(metrics_after_runs)
{
    sym_engine *e = new_engine(2, NULL, NULL);
    sym_engine_register(e, "ok", w_ok, NULL, NULL);
    sym_engine_register(e, "fail", w_fail, NULL, NULL);
    sym_builder *b = sym_builder_new("m");
    size_t a = b_task(b, "a", "ok");
    size_t f = b_task(b, "f", "fail");
    size_t d = b_task(b, "d", "ok");
    sym_builder_add_dep(b, d, a);
    sym_builder_add_dep(b, d, f);
    b_retry_at_once(b, f, 3);
    sym_workflow *wf = b_build(b);
    for (int i = 0; i < 3; i++) {
        sym_run *r;
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
        sym_run_wait(r, -1);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
        sym_run_free(r);
    }
    sym_metrics m;
    sym_metrics_init(&m);
    ck_assert_int_eq(sym_engine_metrics(e, &m), SYM_OK);
    ck_assert_uint_eq(m.tasks[SYM_TASK_SUCCEEDED], 3);
    ck_assert_uint_eq(m.tasks[SYM_TASK_FAILED], 3);
    ck_assert_uint_eq(m.tasks[SYM_TASK_UPSTREAM_FAILED], 3);
    ck_assert_uint_eq(m.tasks[SYM_TASK_RUNNING], 0);
    ck_assert_uint_eq(m.retries, 6);
    ck_assert_uint_eq(m.runs_active, 0);
    ck_assert_uint_eq(m.threads, 2);
    ck_assert_uint_eq(m.busy_threads, 0);
    ck_assert_uint_eq(m.queue_depth, 0);
    for (int st = SYM_TASK_STATE_COUNT; st < SYM_METRICS_TASK_STATES; st++)
        ck_assert_uint_eq(m.tasks[st], 0); /* room for states to come */
    sym_worker_metrics wm[3];
    for (int i = 0; i < 3; i++)
        sym_worker_metrics_init(&wm[i]);
    size_t n = 0;
    ck_assert_int_eq(sym_engine_worker_metrics(e, wm, 3, &n), SYM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(wm[0].name, "fail");
    ck_assert_uint_eq(wm[0].calls, 9);
    ck_assert_uint_eq(wm[0].failures, 9);
    ck_assert_str_eq(wm[1].name, "ok");
    ck_assert_uint_eq(wm[1].calls, 3);
    ck_assert_uint_eq(wm[1].failures, 0);
    ck_assert_uint_ge(wm[1].latency_sum_ns, wm[1].latency_max_ns);
    ck_assert_uint_eq(wm[1].in_flight, 0);
    ck_assert_str_eq(wm[2].name, ""); /* only two registered */
    ck_assert_uint_eq(wm[2].version, SYM_WORKER_METRICS_VERSION);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

/* The largest per-thread statistics array over the engine's threads. */
static void max_nstats(void *data, void *arg)
{
    slot_data *sd = data;
    uint32_t n = atomic_load(&sd->nstats), *max = arg;
    if (n > *max)
        *max = n;
}

/* Registering, running and unregistering a worker again and again: the
 * per-thread statistics stay as big as the most workers registered at
 * once (worker ids are reused), and a worker given a freed id starts its
 * statistics at zero. */
START_TEST(register_unregister_loop_stays_bounded)
{
    sym_engine *e = new_engine(2, NULL, NULL);
    sym_builder *b = sym_builder_new("cycle");
    b_task(b, "a", "cycled");
    sym_workflow *wf = b_build(b);
    int cycles = under_valgrind() ? 200 : 1000;
    for (int k = 0; k < cycles; k++) {
        ck_assert_int_eq(sym_engine_register(e, "cycled", w_ok, NULL, NULL), SYM_OK);
        sym_run *r;
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
        sym_run_wait(r, -1);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
        sym_run_free(r);
        sym_worker_metrics wm;
        sym_worker_metrics_init(&wm);
        size_t nw = 0;
        ck_assert_int_eq(sym_engine_worker_metrics(e, &wm, 1, &nw), SYM_OK);
        ck_assert_uint_eq(nw, 1);
        ck_assert_uint_eq(wm.calls, 1);
        ck_assert_int_eq(sym_engine_unregister(e, "cycled"), SYM_OK);
    }
    uint32_t max = 0;
    sym__pool_each_slot(e->pool, max_nstats, &max);
    ck_assert_uint_le(max, 64);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(engine_free_cancels_live_runs)
{
    sym_engine *e = new_engine(2, NULL, NULL);
    sym_engine_register(e, "block", w_until_cancelled, NULL, NULL);
    sym_builder *b = sym_builder_new("live");
    size_t a = b_task(b, "a", "block");
    size_t c = b_task(b, "c", "block");
    sym_builder_add_dep(b, c, a);
    sym_workflow *wf = b_build(b);
    sym_run *r1, *r2;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r1, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r2, NULL), SYM_OK);
    sym_metrics m;
    sym_metrics_init(&m);
    sym_engine_metrics(e, &m);
    ck_assert_uint_eq(m.runs_active, 2);
    sym_workflow_free(wf); /* the runs keep it alive */
    sym_engine_free(e);
    ck_assert_int_eq(sym_run_get_status(r1), SYM_RUN_CANCELLED);
    ck_assert_int_eq(sym_run_get_status(r2), SYM_RUN_CANCELLED);
    char *json = sym_run_report_json(r1); /* still readable */
    ck_assert_ptr_nonnull(json);
    sym_free(json);
    ck_assert_int_eq(sym_run_cancel(r1), SYM_ESTATE);
    sym_run_free(r1);
    sym_run_free(r2);
}
END_TEST

/* A big run's task records are kept when it is freed and cleared for the
 * next run: nothing of the first run (its failures, its attempts) shows
 * in the second. */
START_TEST(task_records_are_reused_clean)
{
    /* 4.5 MB of records: big enough to be kept. Under valgrind, which
     * takes half a minute over that many, a small run checks only that
     * records start clean. */
    const size_t big = 140000, n = under_valgrind() ? 2000 : big;
    sym_engine *e = new_engine(2, NULL, NULL);
    ck_assert_int_eq(sym_engine_register(e, "w", w_fatal, NULL, NULL), SYM_OK);
    sym_builder *b = sym_builder_new("reuse");
    char id[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t%zu", i);
        size_t ix = b_task(b, id, "w");
        if (i % 2)
            sym_builder_add_dep(b, ix, ix - 1);
    }
    sym_workflow *wf = b_build(b);
    /* Nothing kept but the first run's records, so the second gets them. */
    sym_release_memory();
    sym_run *r;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, -1), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
    const void *first_records = r->rt;
    sym_run_free(r);

    ck_assert_int_eq(sym_engine_unregister(e, "w"), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "w", w_ok, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
    if (n == big)
        ck_assert_ptr_eq(r->rt, first_records);
    ck_assert_int_eq(sym_run_wait(r, -1), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    for (size_t i = 0; i < n; i++) {
        sym_task_result res;
        sym_task_result_init(&res);
        ck_assert_int_eq(sym_run_task_result(r, i, &res), SYM_OK);
        ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED);
        ck_assert_int_eq(res.attempts, 1);
        ck_assert_ptr_null(res.error);
    }
    sym_run_free(r);
    sym_workflow_free(wf);
    sym_engine_free(e);
}
END_TEST

START_TEST(empty_workflow_succeeds)
{
    sym_engine *e = new_engine(1, NULL, NULL);
    sym_builder *b = sym_builder_new("empty");
    sym_workflow *wf = NULL;
    if (sym_builder_build(b, &wf, NULL) == SYM_OK) {
        sym_run *r;
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &r, NULL), SYM_OK);
        ck_assert_int_eq(sym_run_wait(r, 5000), SYM_OK);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
        sym_run_free(r);
        sym_workflow_free(wf);
    }
    sym_builder_free(b);
    sym_engine_free(e);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, config_defaults_and_names);
    tcase_add_test(tc, lifecycle_and_registration);
    tcase_add_test(tc, unregister_waits_for_calls_in_flight);
    tcase_add_test(tc, release_on_unregister_without_calls_and_on_engine_free);
    tcase_add_test(tc, registration_limit_holds);
    tcase_add_test(tc, workflow_worker_limit_is_shared_by_runs);
    tcase_add_test(tc, run_concurrency_holds);
    tcase_add_test(tc, pool_size_holds_and_resizes_while_running);
    tcase_add_test(tc, wide_ranges_spread_over_the_pool);
    tcase_add_test(tc, fan_in_counts_every_dependency);
    tcase_add_test(tc, fan_in_is_not_held_back_by_other_tasks);
    tcase_add_test(tc, fan_in_run_cancelled_midway_ends);
    tcase_add_test(tc, outputs_capped_per_task);
    tcase_add_test(tc, unknown_struct_versions_are_refused);
    tcase_add_test(tc, static_initialisers_match_the_init_functions);
    tcase_add_test(tc, metrics_after_runs);
    tcase_add_test(tc, register_unregister_loop_stays_bounded);
    tcase_add_test(tc, engine_free_cancels_live_runs);
    tcase_add_test(tc, task_records_are_reused_clean);
    tcase_add_test(tc, empty_workflow_succeeds);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(engine_suite)
