/* test_stop.c - stopping runs while they start, fail and retry: fail_fast,
 * deadlines and cancels that race run start (tens of thousands of roots
 * being queued) and backoff timers. Every run must end, and an observer
 * must see exactly one final event per task. Sized for valgrind and the
 * sanitizer builds too (SYM_UNDER_VALGRIND shrinks the rounds). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "engine_util.h"
#include "symphony.h"

/* ---- counting final events per task ---- */

typedef struct finals {
    _Atomic uint32_t *per_task; /* final events seen, per task index */
    size_t ntasks;
    _Atomic int run_finished;
    /* Cancel the run from the observer at the k-th ready event (0: never):
     * a cancel at a chosen moment in the middle of run start. */
    _Atomic long cancel_at;
    _Atomic long readies;
} finals;

static bool is_final_event(sym_event_type t)
{
    return t >= SYM_EVENT_TASK_SUCCEEDED && t <= SYM_EVENT_TASK_CANCELLED;
}

static void count_finals(const sym_event *ev, void *user)
{
    finals *f = user;
    if (ev->type == SYM_EVENT_RUN_FINISHED) {
        atomic_fetch_add(&f->run_finished, 1);
        return;
    }
    if (ev->type == SYM_EVENT_TASK_READY) {
        long k = atomic_fetch_add(&f->readies, 1) + 1;
        if (k == atomic_load(&f->cancel_at))
            sym_run_cancel(ev->run);
    }
    if (is_final_event(ev->type) && ev->task_index < f->ntasks)
        atomic_fetch_add(&f->per_task[ev->task_index], 1);
}

static void finals_reset(finals *f, size_t ntasks, long cancel_at)
{
    free((void *)f->per_task);
    f->per_task = calloc(ntasks, sizeof *f->per_task);
    ck_assert_ptr_nonnull((void *)f->per_task);
    f->ntasks = ntasks;
    atomic_store(&f->run_finished, 0);
    atomic_store(&f->cancel_at, cancel_at);
    atomic_store(&f->readies, 0);
}

/* Exactly one final event per task, one run_finished, and every task in a
 * final state in the results. */
static void assert_one_end_each(finals *f, sym_run *run)
{
    ck_assert_int_eq(atomic_load(&f->run_finished), 1);
    for (size_t i = 0; i < f->ntasks; i++) {
        if (atomic_load(&f->per_task[i]) != 1)
            ck_abort_msg("task %zu had %u final events", i, atomic_load(&f->per_task[i]));
        sym_task_result res;
        sym_task_result_init(&res);
        ck_assert_int_eq(sym_run_task_result(run, i, &res), SYM_OK);
        ck_assert_int_ge(res.state, SYM_TASK_SUCCEEDED);
    }
}

/* ---- workers and workflows ---- */

/* n independent tasks of worker; fail_fast, deadline (0: none) and a
 * retry policy when attempts > 1 (fixed backoff of delay_ms). */
static sym_workflow *roots(size_t n, const char *worker, bool fail_fast, int64_t deadline_ms,
                           int attempts, int64_t delay_ms)
{
    sym_builder *b = sym_builder_new("roots");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(sym_builder_set_fail_fast(b, fail_fast), SYM_OK);
    if (deadline_ms)
        ck_assert_int_eq(sym_builder_set_deadline_ms(b, deadline_ms), SYM_OK);
    if (attempts > 1) {
        sym_task_policy p;
        sym_task_policy_init(&p);
        p.retry.attempts = attempts;
        p.retry.backoff = SYM_BACKOFF_FIXED;
        p.retry.delay_ms = delay_ms;
        ck_assert_int_eq(sym_builder_set_defaults(b, &p), SYM_OK);
    }
    char id[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t%zu", i);
        ck_assert_int_eq(sym_builder_add_task(b, id, worker, NULL), SYM_OK);
    }
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    return wf;
}

static sym_engine *engine_with(finals *f, unsigned threads)
{
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = threads;
    cfg.observer = count_finals;
    cfg.observer_userdata = f;
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "fail", w_fail, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "fatal", w_fatal, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "noop", w_ok, NULL, NULL), SYM_OK);
    return e;
}

/* Starts wf and waits for its end: a run that never ends fails the test
 * here rather than hanging it. */
static sym_run *run_to_end(sym_engine *e, sym_workflow *wf)
{
    sym_run *run = NULL;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &run, NULL), SYM_OK);
    int rc = sym_run_wait(run, under_valgrind() ? 300000 : 30000);
    ck_assert_msg(rc == SYM_OK, "the run did not end");
    return run;
}

/* Runs wf `rounds` times on e and checks each run ended, with `want` as its
 * status (-1: any) and one final event per task. cancel_seed not 0: each
 * run is cancelled from the observer at a random ready event (seeded). */
static void rounds_end(sym_engine *e, finals *f, sym_workflow *wf, int rounds, int want,
                       unsigned cancel_seed)
{
    size_t n = sym_workflow_task_count(wf);
    srand(cancel_seed);
    for (int k = 0; k < rounds; k++) {
        finals_reset(f, n, cancel_seed ? 1 + rand() % (long)n : 0);
        sym_run *run = run_to_end(e, wf);
        if (want >= 0)
            ck_assert_int_eq(sym_run_get_status(run), want);
        assert_one_end_each(f, run);
        sym_run_free(run);
    }
}

/* roots(n, ...) on a 4-thread engine, run as rounds_end says. */
static void roots_rounds(size_t n, const char *worker, bool fail_fast, int64_t deadline_ms,
                         int attempts, int rounds, int want, unsigned cancel_seed)
{
    finals f = {0};
    sym_engine *e = engine_with(&f, 4);
    sym_workflow *wf = roots(n, worker, fail_fast, deadline_ms, attempts, 1);
    rounds_end(e, &f, wf, rounds, want, cancel_seed);
    sym_workflow_free(wf);
    sym_engine_free(e);
    free((void *)f.per_task);
}

/* ---- tests ---- */

/* Every root fails for good under fail_fast: the first failure sweeps the
 * run while run start is still queueing the others. */
START_TEST(fail_fast_during_start_ends)
{
    roots_rounds(under_valgrind() ? 5000 : 50000, "fatal", true, 0, 1, under_valgrind() ? 2 : 8,
                 SYM_RUN_FAILED, 0);
}
END_TEST

/* A 1 ms deadline over tens of thousands of roots: it fires while they are
 * being queued and run. */
START_TEST(tiny_deadline_during_start_ends)
{
    roots_rounds(under_valgrind() ? 5000 : 50000, "noop", false, 1, 1, under_valgrind() ? 2 : 8,
                 -1, 0);
}
END_TEST

/* Cancelled from the observer at a random ready event: at a random point
 * of run start's queueing, while other threads already run roots. */
START_TEST(cancel_at_random_moments_during_start_ends)
{
    roots_rounds(under_valgrind() ? 3000 : 20000, "noop", false, 0, 1, under_valgrind() ? 3 : 20,
                 SYM_RUN_CANCELLED, 7);
}
END_TEST

/* n roots failing with a 1 ms backoff (1000 attempts) on `threads`
 * threads, each run cancelled after a random pause of step_us times 0 to
 * steps - 1 (seeded), then waited for and freed at once, `rounds` times. */
static void cancel_in_backoff_rounds(size_t n, unsigned threads, int rounds, unsigned seed,
                                     int steps, long step_us)
{
    finals f = {0};
    sym_engine *e = engine_with(&f, threads);
    sym_workflow *wf = roots(n, "fail", false, 0, 1000, 1);
    srand(seed);
    for (int k = 0; k < rounds; k++) {
        finals_reset(&f, n, 0);
        sym_run *run = NULL;
        ck_assert_int_eq(sym_run_start(e, wf, NULL, &run, NULL), SYM_OK);
        long pause_us = (rand() % steps) * step_us;
        struct timespec ts = {pause_us / 1000000, (pause_us % 1000000) * 1000L};
        nanosleep(&ts, NULL);
        ck_assert_int_eq(sym_run_cancel(run), SYM_OK);
        ck_assert_msg(sym_run_wait(run, under_valgrind() ? 300000 : 30000) == SYM_OK,
                      "the run did not end");
        ck_assert_int_eq(sym_run_get_status(run), SYM_RUN_CANCELLED);
        assert_one_end_each(&f, run);
        sym_run_free(run);
    }
    sym_workflow_free(wf);
    sym_engine_free(e);
    free((void *)f.per_task);
}

/* Tasks failing with a real backoff (1 ms), cancelled at random moments
 * (0 to 5 ms in): the stop races tasks going into and out of their backoff
 * timers. */
START_TEST(cancel_during_backoff_ends)
{
    cancel_in_backoff_rounds(under_valgrind() ? 200 : 2000, 4, under_valgrind() ? 5 : 40, 11, 6,
                             1000);
}
END_TEST

/* The same, stopped by fail_fast: the first task out of retries stops the
 * run while the others sit in their backoffs. */
START_TEST(fail_fast_during_backoff_ends)
{
    roots_rounds(under_valgrind() ? 200 : 2000, "fail", true, 0, 3, under_valgrind() ? 3 : 20,
                 SYM_RUN_FAILED, 0);
}
END_TEST

/* One task failing with a 1 ms backoff, cancelled again and again at
 * random moments near its failure, the run freed at once: a stop that
 * lands between the task becoming retrying and its timer being queued
 * must not free the run under the timer (run under ASan). */
START_TEST(cancel_between_failure_and_timer_then_free)
{
    cancel_in_backoff_rounds(1, 2, under_valgrind() ? 50 : 400, 13, 300, 1);
}
END_TEST

/* A backoff far longer than the test: cancel must end the run at once,
 * not when the timer would have fired. */
START_TEST(cancel_ends_long_backoff_at_once)
{
    finals f = {0};
    sym_engine *e = engine_with(&f, 2);
    sym_workflow *wf = roots(50, "fail", false, 0, 3, 3600 * 1000);
    finals_reset(&f, 50, 0);
    sym_run *run = NULL;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &run, NULL), SYM_OK);
    /* Wait until every task is in its backoff. */
    for (int k = 0; k < 5000; k++) {
        sym_metrics m;
        sym_metrics_init(&m);
        ck_assert_int_eq(sym_engine_metrics(e, &m), SYM_OK);
        if (m.tasks[SYM_TASK_RETRYING] == 50)
            break;
        sleep_ms(1);
    }
    ck_assert_int_eq(sym_run_cancel(run), SYM_OK);
    ck_assert_int_eq(sym_run_wait(run, 5000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(run), SYM_RUN_CANCELLED);
    assert_one_end_each(&f, run);
    sym_run_free(run);
    sym_workflow_free(wf);
    sym_engine_free(e);
    free((void *)f.per_task);
}
END_TEST

static Suite *stop_suite(void)
{
    Suite *s = suite_create("stop");
    TCase *tc = tcase_create("races");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fail_fast_during_start_ends);
    tcase_add_test(tc, tiny_deadline_during_start_ends);
    tcase_add_test(tc, cancel_at_random_moments_during_start_ends);
    tcase_add_test(tc, cancel_during_backoff_ends);
    tcase_add_test(tc, fail_fast_during_backoff_ends);
    tcase_add_test(tc, cancel_between_failure_and_timer_then_free);
    tcase_add_test(tc, cancel_ends_long_backoff_at_once);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(stop_suite)
