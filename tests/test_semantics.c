/* test_semantics.c - the run semantics of DESIGN.md §3 over a manual
 * clock: trigger rules against every upstream outcome, retries and their
 * exact backoff delays, retry_on, fatal failures, timeouts with abandoned
 * attempts, deadline, host cancel, fail_fast, continue_on_error, params,
 * missing workers, and the report and trace JSON. */
#include "check_main.h"
#include "engine_util.h"

typedef struct env {
    mclock clk;
    recorder rec;
    sym_engine *e;
} env;

static void env_init(env *v, unsigned threads)
{
    atomic_init(&v->clk.now, 1000000000);
    rec_init(&v->rec);
    v->e = new_engine(threads, &v->clk, &v->rec);
    ck_assert_int_eq(sym_engine_register(v->e, "ok", w_ok, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(v->e, "fail", w_fail, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(v->e, "fatal", w_fatal, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(v->e, "block", w_until_cancelled, NULL, NULL), SYM_OK);
}

static void env_free(env *v)
{
    sym_engine_free(v->e);
    rec_free(&v->rec);
}

static sym_run *start(env *v, sym_workflow *wf)
{
    sym_run *r = NULL;
    ck_assert_int_eq(sym_run_start(v->e, wf, NULL, &r, NULL), SYM_OK);
    return r;
}

static void finish(sym_run *r)
{
    ck_assert_int_eq(sym_run_wait(r, 10000), SYM_OK);
}

static void set_policy(sym_builder *b, size_t t, sym_trigger trig, bool coe)
{
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.trigger = trig;
    p.continue_on_error = coe;
    ck_assert_int_eq(sym_builder_set_policy(b, t, &p), SYM_OK);
}

/* ---- trigger rules ---- */

enum { UP_SUCCEEDED, UP_FAILED, UP_COE_FAILED, UP_UPSTREAM_FAILED, UP_TIMED_OUT, UP_KINDS };

/* One upstream task `up` ending as `kind`, and `dn` needing it with
 * trigger trig. Returns dn's final state. */
static sym_task_state run_trigger(env *v, int kind, sym_trigger trig)
{
    sym_builder *b = sym_builder_new("trig");
    size_t up, dn;
    if (kind == UP_UPSTREAM_FAILED) {
        size_t root = b_task(b, "root", "fail");
        up = b_task(b, "up", "ok");
        sym_builder_add_dep(b, up, root);
    } else {
        up = b_task(b, "up", kind == UP_SUCCEEDED ? "ok" : kind == UP_TIMED_OUT ? "block" : "fail");
    }
    if (kind == UP_COE_FAILED)
        set_policy(b, up, SYM_TRIGGER_ALL_SUCCESS, true);
    if (kind == UP_TIMED_OUT) {
        sym_task_policy p;
        sym_task_policy_init(&p);
        p.timeout_ms = 500;
        sym_builder_set_policy(b, up, &p);
    }
    dn = b_task(b, "dn", "ok");
    sym_builder_add_dep(b, dn, up);
    set_policy(b, dn, trig, false);
    sym_workflow *wf = b_build(b);
    /* Counted before the start: "up" may have started by the time the run
     * handle comes back. */
    size_t ups = rec_count(&v->rec, SYM_EVENT_TASK_STARTED, "up");
    sym_run *r = start(v, wf);
    if (kind == UP_TIMED_OUT) {
        ck_assert(rec_wait(&v->rec, SYM_EVENT_TASK_STARTED, "up", ups + 1));
        mclock_advance(v->e, &v->clk, 500);
    }
    finish(r);
    sym_task_state st = task_state(r, "dn");
    sym_task_state upst = task_state(r, "up");
    static const sym_task_state want_up[UP_KINDS] = {SYM_TASK_SUCCEEDED, SYM_TASK_FAILED,
                                                      SYM_TASK_FAILED, SYM_TASK_UPSTREAM_FAILED,
                                                      SYM_TASK_TIMED_OUT};
    ck_assert_int_eq(upst, want_up[kind]);
    sym_run_free(r);
    sym_workflow_free(wf);
    return st;
}

START_TEST(trigger_rules_against_each_upstream_outcome)
{
    env v;
    env_init(&v, 2);
    const sym_task_state R = SYM_TASK_SUCCEEDED, U = SYM_TASK_UPSTREAM_FAILED;
    /* rows: trigger; columns: succeeded, failed, failed+coe, upstream_failed, timed_out */
    static const sym_trigger trig[] = {SYM_TRIGGER_ALL_SUCCESS, SYM_TRIGGER_ALL_DONE,
                                       SYM_TRIGGER_ALL_FAILED,  SYM_TRIGGER_ONE_FAILED,
                                       SYM_TRIGGER_ONE_SUCCESS, SYM_TRIGGER_NONE_FAILED};
    const sym_task_state want[6][UP_KINDS] = {
        {R, U, R, U, U}, /* all_success */
        {R, R, R, R, R}, /* all_done */
        {U, R, U, R, R}, /* all_failed */
        {U, R, U, R, R}, /* one_failed */
        {R, U, R, U, U}, /* one_success */
        {R, U, R, U, U}, /* none_failed */
    };
    for (int t = 0; t < 6; t++)
        for (int k = 0; k < UP_KINDS; k++)
            ck_assert_msg(run_trigger(&v, k, trig[t]) == want[t][k], "trigger %s upstream kind %d",
                          sym_trigger_name(trig[t]), k);
    env_free(&v);
}
END_TEST

START_TEST(trigger_rules_with_mixed_upstreams)
{
    env v;
    env_init(&v, 2);
    static const sym_trigger trig[] = {SYM_TRIGGER_ALL_SUCCESS, SYM_TRIGGER_ALL_DONE,
                                       SYM_TRIGGER_ALL_FAILED,  SYM_TRIGGER_ONE_FAILED,
                                       SYM_TRIGGER_ONE_SUCCESS, SYM_TRIGGER_NONE_FAILED};
    static const bool runs[] = {false, true, false, true, true, false};
    for (int t = 0; t < 6; t++) {
        sym_builder *b = sym_builder_new("mixed");
        size_t a = b_task(b, "a", "ok"), f = b_task(b, "f", "fail"), d = b_task(b, "d", "ok");
        sym_builder_add_dep(b, d, a);
        sym_builder_add_dep(b, d, f);
        set_policy(b, d, trig[t], false);
        sym_workflow *wf = b_build(b);
        sym_run *r = start(&v, wf);
        finish(r);
        ck_assert_int_eq(task_state(r, "d"), runs[t] ? SYM_TASK_SUCCEEDED : SYM_TASK_UPSTREAM_FAILED);
        ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
        sym_run_free(r);
        sym_workflow_free(wf);
    }
    env_free(&v);
}
END_TEST

START_TEST(upstream_failed_cascades_down_a_chain)
{
    env v;
    env_init(&v, 2);
    sym_builder *b = sym_builder_new("cascade");
    size_t prev = b_task(b, "t0", "fail");
    char id[16];
    for (int i = 1; i < 2000; i++) {
        snprintf(id, sizeof id, "t%d", i);
        size_t t = b_task(b, id, "ok");
        sym_builder_add_dep(b, t, prev);
        prev = t;
    }
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    ck_assert_int_eq(task_state(r, "t1999"), SYM_TASK_UPSTREAM_FAILED);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_UPSTREAM_FAILED, NULL), 1999);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* ---- retries ---- */

static void check_backoff(sym_backoff kind, int64_t delay, int64_t max_delay, uint32_t attempts,
                          const int64_t *want)
{
    env v;
    env_init(&v, 2);
    sym_builder *b = sym_builder_new("retry");
    size_t t = b_task(b, "t", "fail");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.retry.attempts = attempts;
    p.retry.backoff = kind;
    p.retry.delay_ms = delay;
    p.retry.max_delay_ms = max_delay;
    sym_builder_set_policy(b, t, &p);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    for (uint32_t k = 0; k + 1 < attempts; k++) {
        ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_RETRYING, "t", k + 1));
        rec_event ev = {0};
        ck_assert(rec_get(&v.rec, SYM_EVENT_TASK_RETRYING, "t", k, &ev));
        ck_assert_int_eq(ev.delay_ms, want[k]);
        ck_assert_int_eq(ev.attempt, (int)k + 1);
        ck_assert_str_eq(ev.error, k == 0 ? "boom 1" : k == 1 ? "boom 2" : ev.error);
        /* Nothing runs before the wait is over. */
        if (want[k] > 1) {
            mclock_advance(v.e, &v.clk, want[k] - 1);
            sleep_ms(5);
            ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_STARTED, "t"), k + 1);
            mclock_advance(v.e, &v.clk, 1);
        } else {
            mclock_advance(v.e, &v.clk, want[k]);
        }
    }
    finish(r);
    sym_task_result res;
    sym_task_result_init(&res);
    sym_run_task_result(r, 0, &res);
    ck_assert_int_eq(res.state, SYM_TASK_FAILED);
    ck_assert_int_eq(res.attempts, (int)attempts);
    ck_assert_str_eq(res.error, attempts == 4 ? "boom 4" : res.error);
    sym_metrics m;
    sym_metrics_init(&m);
    sym_engine_metrics(v.e, &m);
    ck_assert_uint_eq(m.retries, attempts - 1);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}

START_TEST(backoff_fixed)
{
    const int64_t want[] = {100, 100, 100};
    check_backoff(SYM_BACKOFF_FIXED, 100, 0, 4, want);
}
END_TEST

START_TEST(backoff_linear)
{
    const int64_t want[] = {100, 200, 300};
    check_backoff(SYM_BACKOFF_LINEAR, 100, 0, 4, want);
}
END_TEST

START_TEST(backoff_exponential_capped)
{
    const int64_t want[] = {100, 200, 400, 500, 500};
    check_backoff(SYM_BACKOFF_EXPONENTIAL, 100, 500, 6, want);
}
END_TEST

START_TEST(backoff_jitter_stays_in_range)
{
    env v;
    env_init(&v, 2);
    sym_builder *b = sym_builder_new("jitter");
    size_t t = b_task(b, "t", "fail");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.retry.attempts = 6;
    p.retry.backoff = SYM_BACKOFF_EXPONENTIAL;
    p.retry.delay_ms = 1000;
    p.retry.jitter = true;
    sym_builder_set_policy(b, t, &p);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    int64_t cap = 1000;
    for (int k = 0; k < 5; k++, cap *= 2) {
        ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_RETRYING, "t", (size_t)k + 1));
        rec_event ev = {0};
        ck_assert(rec_get(&v.rec, SYM_EVENT_TASK_RETRYING, "t", (size_t)k, &ev));
        ck_assert(ev.delay_ms >= 0 && ev.delay_ms <= cap);
        mclock_advance(v.e, &v.clk, ev.delay_ms);
    }
    finish(r);
    ck_assert_int_eq(task_state(r, "t"), SYM_TASK_FAILED);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

static int fail_then_ok(sym_task *t, void *u)
{
    (void)u;
    return sym_task_attempt(t) < 3 ? sym_task_fail(t, 0, "not yet") : SYM_OK;
}

/* sym_task_fail_message takes its message as it is: no format. */
static int w_literal(sym_task *t, void *u)
{
    (void)u;
    return sym_task_attempt(t) == 1 ? sym_task_fail_message(t, 0, "100% of %s %d")
                                     : sym_task_fail_message(t, SYM_FAIL_FATAL, NULL);
}

START_TEST(fail_message_is_taken_as_it_is)
{
    env v;
    env_init(&v, 2);
    sym_engine_register(v.e, "literal", w_literal, NULL, NULL);
    sym_builder *b = sym_builder_new("literal");
    size_t a = b_task(b, "a", "literal");
    b_retry_at_once(b, a, 5);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_RETRYING, "a"), 1);
    rec_event ev;
    ck_assert(rec_get(&v.rec, SYM_EVENT_TASK_RETRYING, "a", 0, &ev));
    ck_assert_str_eq(ev.error, "100% of %s %d");
    sym_task_result res;
    sym_task_result_init(&res);
    sym_run_task_result(r, a, &res);
    ck_assert_int_eq(res.attempts, 2); /* the second was fatal */
    ck_assert_int_eq(res.state, SYM_TASK_FAILED);
    ck_assert_str_eq(res.error, "task failed");
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* A worker failing with a huge message (u: the text), through the printf
 * path or as it is. */
static int w_huge_fmt(sym_task *t, void *u)
{
    return sym_task_fail(t, SYM_FAIL_FATAL, "%s", (const char *)u);
}

static int w_huge_lit(sym_task *t, void *u)
{
    return sym_task_fail_message(t, SYM_FAIL_FATAL, (const char *)u);
}

/* err is a message of `full` bytes of "é" (2 bytes each), cut to the cap:
 * the cut fell inside a character and moved back to its start. */
static void check_cut(const char *err, size_t full)
{
    ck_assert_ptr_nonnull(err);
    char mark[64];
    snprintf(mark, sizeof mark, "... (truncated, %zu bytes)", full);
    size_t n = strlen(err), m = strlen(mark);
    ck_assert_uint_le(n, SYM_MAX_ERROR_BYTES);
    ck_assert_uint_ge(n, SYM_MAX_ERROR_BYTES - 3);
    ck_assert_str_eq(err + n - m, mark);
    ck_assert_uint_eq((n - m) % 2, 0); /* whole characters only */
    for (size_t i = 0; i < n - m; i += 2)
        ck_assert(err[i] == '\xc3' && err[i + 1] == '\xa9');
}

START_TEST(error_messages_are_capped)
{
    const size_t full = 10u << 20;
    char *huge = malloc(full + 1);
    ck_assert_ptr_nonnull(huge);
    for (size_t i = 0; i < full; i += 2)
        memcpy(huge + i, "\xc3\xa9", 2);
    huge[full] = '\0';
    env v;
    env_init(&v, 2);
    sym_engine_register(v.e, "huge_fmt", w_huge_fmt, huge, NULL);
    sym_engine_register(v.e, "huge_lit", w_huge_lit, huge, NULL);
    sym_builder *b = sym_builder_new("huge");
    size_t a = b_task(b, "a", "huge_fmt");
    size_t c = b_task(b, "c", "huge_lit");
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    sym_task_result res;
    sym_task_result_init(&res);
    ck_assert_int_eq(sym_run_task_result(r, a, &res), SYM_OK);
    check_cut(res.error, full);
    ck_assert_int_eq(sym_run_task_result(r, c, &res), SYM_OK);
    check_cut(res.error, full);
    char *json = sym_run_report_json(r);
    ck_assert_ptr_nonnull(json);
    ck_assert_uint_lt(strlen(json), 3 * SYM_MAX_ERROR_BYTES);
    sym_value *rep = NULL;
    ck_assert_int_eq(sym_value_parse(json, strlen(json), &rep, NULL), SYM_OK);
    const sym_value *tasks = sym_value_get(rep, "tasks");
    check_cut(sym_value_string(sym_value_get(sym_value_at(tasks, a), "error"), NULL), full);
    check_cut(sym_value_string(sym_value_get(sym_value_at(tasks, c), "error"), NULL), full);
    sym_value_free(rep);
    sym_free(json);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
    free(huge);
}
END_TEST

START_TEST(retry_on_filters_and_fatal_is_final)
{
    env v;
    env_init(&v, 2);
    sym_engine_register(v.e, "flaky", fail_then_ok, NULL, NULL);
    sym_builder *b = sym_builder_new("filter");
    size_t a = b_task(b, "only_timeouts", "fail");
    size_t f = b_task(b, "fatal", "fatal");
    size_t k = b_task(b, "flaky", "flaky");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.retry.attempts = 5;
    p.retry.delay_ms = 0;
    p.retry.retry_on = SYM_RETRY_ON_TIMEOUT;
    sym_builder_set_policy(b, a, &p);
    p.retry.retry_on = SYM_RETRY_ON_ERROR;
    sym_builder_set_policy(b, f, &p);
    sym_builder_set_policy(b, k, &p);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    sym_task_result res;
    sym_task_result_init(&res);
    sym_run_task_result(r, a, &res);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_int_eq(res.state, SYM_TASK_FAILED);
    sym_run_task_result(r, f, &res);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_str_eq(res.error, "fatal");
    sym_run_task_result(r, k, &res);
    ck_assert_int_eq(res.attempts, 3);
    ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED);
    ck_assert_str_eq(res.error, "not yet");
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* ---- timeouts ---- */

typedef struct slow_ctx {
    gate late;
    atomic_int returned;
} slow_ctx;

/* Attempt 1 outlives its timeout, then returns success with an output that
 * must be discarded; attempt 2 succeeds at once. */
static int slow_first(sym_task *t, void *u)
{
    slow_ctx *c = u;
    if (sym_task_attempt(t) == 1) {
        while (!sym_task_cancelled(t))
            sleep_ms(1);
        gate_wait(&c->late);
        sym_task_set_output(t, "v", "late");
        atomic_fetch_add(&c->returned, 1);
        return SYM_OK;
    }
    sym_task_set_output(t, "v", "second");
    return SYM_OK;
}

START_TEST(timeout_abandons_attempt_and_discards_late_result)
{
    env v;
    env_init(&v, 2);
    slow_ctx c;
    gate_init(&c.late);
    atomic_init(&c.returned, 0);
    sym_engine_register(v.e, "slow", slow_first, &c, NULL);
    sym_builder *b = sym_builder_new("timeout");
    size_t t = b_task(b, "t", "slow");
    size_t after = b_task(b, "after", "ok");
    sym_builder_add_dep(b, after, t);
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.timeout_ms = 1000;
    p.retry.attempts = 2;
    p.retry.delay_ms = 0;
    sym_builder_set_policy(b, t, &p);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_STARTED, "t", 1));
    mclock_advance(v.e, &v.clk, 999);
    sleep_ms(10);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_RETRYING, "t"), 0);
    mclock_advance(v.e, &v.clk, 1);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_SUCCEEDED, "after", 1));
    rec_event ev = {0};
    rec_get(&v.rec, SYM_EVENT_TASK_RETRYING, "t", 0, &ev);
    ck_assert_str_eq(ev.error, "timed out after 1000 ms");
    /* The abandoned callback still runs: the run waits for it. */
    ck_assert_int_eq(sym_run_wait(r, 50), SYM_ETIMEDOUT);
    gate_open(&c.late);
    finish(r);
    ck_assert_int_eq(atomic_load(&c.returned), 1);
    sym_task_result res;
    sym_task_result_init(&res);
    sym_run_task_result(r, t, &res);
    ck_assert_int_eq(res.state, SYM_TASK_SUCCEEDED);
    ck_assert_int_eq(res.attempts, 2);
    ck_assert_str_eq(sym_value_string(sym_value_get(res.outputs, "v"), NULL), "second");
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    gate_free(&c.late);
    env_free(&v);
}
END_TEST

START_TEST(timeout_without_retry_fails_the_run)
{
    env v;
    env_init(&v, 2);
    sym_builder *b = sym_builder_new("timeout");
    size_t t = b_task(b, "t", "block");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.timeout_ms = 200;
    p.retry.attempts = 3;
    p.retry.retry_on = SYM_RETRY_ON_ERROR;
    sym_builder_set_policy(b, t, &p);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_STARTED, "t", 1));
    mclock_advance(v.e, &v.clk, 200);
    finish(r);
    ck_assert_int_eq(task_state(r, "t"), SYM_TASK_TIMED_OUT);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_TIMED_OUT, "t"), 1);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* ---- deadline, cancel, fail_fast, continue_on_error ---- */

static sym_workflow *blocking_pair(int64_t deadline_ms, bool fail_fast)
{
    sym_builder *b = sym_builder_new("stop");
    size_t a = b_task(b, "a", "block");
    size_t c = b_task(b, "c", "ok");
    sym_builder_add_dep(b, c, a);
    b_task(b, "f", fail_fast ? "fail" : "ok");
    if (deadline_ms)
        sym_builder_set_deadline_ms(b, deadline_ms);
    sym_builder_set_fail_fast(b, fail_fast);
    return b_build(b);
}

START_TEST(deadline_cancels_the_run)
{
    env v;
    env_init(&v, 2);
    sym_workflow *wf = blocking_pair(5000, false);
    sym_run *r = start(&v, wf);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_STARTED, "a", 1));
    mclock_advance(v.e, &v.clk, 4999);
    ck_assert_int_eq(sym_run_wait(r, 20), SYM_ETIMEDOUT);
    mclock_advance(v.e, &v.clk, 1);
    finish(r);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_CANCELLED);
    ck_assert_int_eq(task_state(r, "a"), SYM_TASK_CANCELLED);
    ck_assert_int_eq(task_state(r, "c"), SYM_TASK_CANCELLED);
    ck_assert_int_eq(task_state(r, "f"), SYM_TASK_SUCCEEDED);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_RUN_FINISHED, NULL, 1));
    ck_assert_int_eq(sym_run_cancel(r), SYM_ESTATE);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

START_TEST(host_cancel)
{
    env v;
    env_init(&v, 2);
    sym_workflow *wf = blocking_pair(0, false);
    sym_run *r = start(&v, wf);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_TASK_STARTED, "a", 1));
    ck_assert_int_eq(sym_run_cancel(r), SYM_OK);
    finish(r);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_CANCELLED);
    ck_assert_int_eq(task_state(r, "c"), SYM_TASK_CANCELLED);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_STARTED, "c"), 0);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

START_TEST(fail_fast_cancels_the_rest)
{
    env v;
    env_init(&v, 2);
    sym_workflow *wf = blocking_pair(0, true);
    sym_run *r = start(&v, wf);
    finish(r);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
    ck_assert_int_eq(task_state(r, "f"), SYM_TASK_FAILED);
    ck_assert_int_eq(task_state(r, "c"), SYM_TASK_CANCELLED);
    sym_task_state a = task_state(r, "a");
    ck_assert(a == SYM_TASK_CANCELLED);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

START_TEST(continue_on_error_lets_dependents_run)
{
    env v;
    env_init(&v, 2);
    sym_builder *b = sym_builder_new("coe");
    size_t a = b_task(b, "a", "fail");
    size_t c = b_task(b, "c", "ok");
    sym_builder_add_dep(b, c, a);
    set_policy(b, a, SYM_TRIGGER_ALL_SUCCESS, true);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    ck_assert_int_eq(task_state(r, "a"), SYM_TASK_FAILED);
    ck_assert_int_eq(task_state(r, "c"), SYM_TASK_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* ---- start checks ---- */

START_TEST(missing_workers_one_error_each)
{
    env v;
    env_init(&v, 1);
    sym_builder *b = sym_builder_new("missing");
    b_task(b, "a", "nope1");
    b_task(b, "b", "ok");
    b_task(b, "c", "nope2");
    b_task(b, "d", "nope1");
    sym_workflow *wf = b_build(b);
    sym_error *err = sym_error_new();
    sym_run *r = (sym_run *)1;
    ck_assert_int_eq(sym_run_start(v.e, wf, NULL, &r, err), SYM_ENOWORKER);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(sym_error_count(err), 2);
    ck_assert_str_eq(sym_error_message(err, 0), "worker 'nope1' is not registered");
    ck_assert_str_eq(sym_error_message(err, 1), "worker 'nope2' is not registered");
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_TASK_STARTED, NULL), 0);
    ck_assert_uint_eq(rec_count(&v.rec, SYM_EVENT_RUN_STARTED, NULL), 0);
    sym_error_free(err);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

START_TEST(params_overrides_checked_and_merged)
{
    env v;
    env_init(&v, 1);
    sym_builder *b = sym_builder_new("params");
    sym_builder_set_param(b, "date", sym_value_new_string("2026-01-01"));
    sym_builder_set_param(b, "n", sym_value_new_int(3));
    b_task(b, "a", "ok");
    sym_workflow *wf = b_build(b);
    sym_value *ov = sym_value_new_map();
    sym_value_map_set(ov, "n", sym_value_new_int(7));
    sym_value_map_set(ov, "x", sym_value_new_int(1));
    sym_run_options o;
    sym_run_options_init(&o);
    o.params = ov;
    o.run_id = "my-run";
    sym_error *err = sym_error_new();
    sym_run *r = NULL;
    ck_assert_int_eq(sym_run_start(v.e, wf, &o, &r, err), SYM_EINVAL);
    ck_assert_str_eq(sym_error_message(err, 0), "unknown param 'x'");
    sym_value_free(ov);
    /* A string holding a NUL would reach a worker cut short: refused, as
     * the loader and the builder refuse one. */
    sym_error_clear(err);
    ov = sym_value_new_map();
    sym_value_map_set(ov, "date", sym_value_new_stringn("2026\0; rm", 9));
    o.params = ov;
    ck_assert_int_eq(sym_run_start(v.e, wf, &o, &r, err), SYM_EINVAL);
    ck_assert_str_eq(sym_error_message(err, 0),
                     "param 'date': a NUL character (\\0) is not allowed in a string: a "
                     "program given the string would see it cut short there");
    sym_value_free(ov);
    ov = sym_value_new_map();
    sym_value_map_set(ov, "n", sym_value_new_int(7));
    o.params = ov;
    ck_assert_int_eq(sym_run_start(v.e, wf, &o, &r, NULL), SYM_OK);
    sym_value_free(ov);
    finish(r);
    ck_assert_str_eq(sym_run_id(r), "my-run");
    int64_t n = 0;
    ck_assert_int_eq(sym_value_get_int(sym_value_get(sym_run_params(r), "n"), &n), SYM_OK);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(sym_value_string(sym_value_get(sym_run_params(r), "date"), NULL), "2026-01-01");
    sym_run_free(r);
    sym_error_free(err);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

/* ---- report and trace ---- */

static int with_output(sym_task *t, void *u)
{
    (void)u;
    const sym_value *x = sym_task_input(t, "x");
    ck_assert_ptr_nonnull(x);
    return sym_task_set_output(t, "path", "/tmp/\"q\"");
}

START_TEST(report_and_trace_json)
{
    env v;
    env_init(&v, 2);
    sym_engine_register(v.e, "out", with_output, NULL, NULL);
    sym_builder *b = sym_builder_new("rep");
    size_t a = b_task(b, "a", "out");
    sym_builder_set_input(b, a, "x", sym_value_new_int(1));
    size_t f = b_task(b, "f", "fail");
    b_retry_at_once(b, f, 2);
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    char *json = sym_run_report_json(r);
    ck_assert_ptr_nonnull(json);
    sym_value *rep = NULL;
    ck_assert_int_eq(sym_value_parse(json, strlen(json), &rep, NULL), SYM_OK);
    ck_assert_str_eq(sym_value_string(sym_value_get(rep, "workflow"), NULL), "rep");
    ck_assert_str_eq(sym_value_string(sym_value_get(rep, "run_id"), NULL), sym_run_id(r));
    ck_assert_str_eq(sym_value_string(sym_value_get(rep, "status"), NULL), "failed");
    const char *at = sym_value_string(sym_value_get(rep, "started_at"), NULL);
    ck_assert(at && strlen(at) == 24 && at[10] == 'T' && at[23] == 'Z');
    ck_assert_ptr_nonnull(sym_value_get(rep, "duration_ms"));
    const sym_value *tasks = sym_value_get(rep, "tasks");
    ck_assert_uint_eq(sym_value_count(tasks), 2);
    const sym_value *ta = sym_value_at(tasks, a), *tf = sym_value_at(tasks, f);
    ck_assert_str_eq(sym_value_string(sym_value_get(ta, "status"), NULL), "succeeded");
    ck_assert_str_eq(sym_value_string(sym_value_path(ta, "outputs.path"), NULL), "/tmp/\"q\"");
    ck_assert_int_eq(sym_value_type_of(sym_value_get(ta, "error")), SYM_VALUE_NULL);
    ck_assert_str_eq(sym_value_string(sym_value_get(tf, "error"), NULL), "boom 2");
    int64_t att = 0;
    sym_value_get_int(sym_value_get(tf, "attempts"), &att);
    ck_assert_int_eq(att, 2);
    ck_assert_str_eq(sym_value_string(sym_value_get(tf, "worker"), NULL), "fail");
    ck_assert_uint_eq(sym_value_count(sym_value_get(tf, "outputs")), 0);
    sym_value_free(rep);
    sym_free(json);

    json = sym_run_trace_json(r);
    sym_value *tr = NULL;
    ck_assert_int_eq(sym_value_parse(json, strlen(json), &tr, NULL), SYM_OK);
    const sym_value *evs = sym_value_get(tr, "traceEvents");
    size_t slices = 0, meta = 0;
    for (size_t i = 0; i < sym_value_count(evs); i++) {
        const sym_value *ev = sym_value_at(evs, i);
        const char *ph = sym_value_string(sym_value_get(ev, "ph"), NULL);
        if (strcmp(ph, "M") == 0) {
            meta++;
            continue;
        }
        ck_assert_str_eq(ph, "X");
        slices++;
        ck_assert_ptr_nonnull(sym_value_get(ev, "ts"));
        ck_assert_ptr_nonnull(sym_value_get(ev, "dur"));
        ck_assert_ptr_nonnull(sym_value_path(ev, "args.attempt"));
        const char *name = sym_value_string(sym_value_get(ev, "name"), NULL);
        const char *outcome = sym_value_string(sym_value_path(ev, "args.outcome"), NULL);
        ck_assert_str_eq(outcome, strcmp(name, "a") == 0 ? "succeeded" : "failed");
    }
    ck_assert_uint_eq(slices, 3); /* a once, f twice */
    ck_assert_uint_ge(meta, 1);
    sym_value_free(tr);
    sym_free(json);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

START_TEST(events_in_order_for_a_task)
{
    env v;
    env_init(&v, 1);
    sym_builder *b = sym_builder_new("ev");
    b_task(b, "a", "ok");
    sym_workflow *wf = b_build(b);
    sym_run *r = start(&v, wf);
    finish(r);
    ck_assert(rec_wait(&v.rec, SYM_EVENT_RUN_FINISHED, NULL, 1));
    static const sym_event_type want[] = {SYM_EVENT_RUN_STARTED, SYM_EVENT_TASK_READY,
                                          SYM_EVENT_TASK_STARTED, SYM_EVENT_TASK_SUCCEEDED,
                                          SYM_EVENT_RUN_FINISHED};
    ck_assert_uint_eq(v.rec.n, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(sym_event_type_name(v.rec.ev[i].type), sym_event_type_name(want[i]));
    ck_assert_int_eq(v.rec.ev[4].status, SYM_RUN_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    env_free(&v);
}
END_TEST

static Suite *semantics_suite(void)
{
    Suite *s = suite_create("semantics");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, trigger_rules_against_each_upstream_outcome);
    tcase_add_test(tc, trigger_rules_with_mixed_upstreams);
    tcase_add_test(tc, upstream_failed_cascades_down_a_chain);
    tcase_add_test(tc, backoff_fixed);
    tcase_add_test(tc, backoff_linear);
    tcase_add_test(tc, backoff_exponential_capped);
    tcase_add_test(tc, backoff_jitter_stays_in_range);
    tcase_add_test(tc, retry_on_filters_and_fatal_is_final);
    tcase_add_test(tc, timeout_abandons_attempt_and_discards_late_result);
    tcase_add_test(tc, timeout_without_retry_fails_the_run);
    tcase_add_test(tc, deadline_cancels_the_run);
    tcase_add_test(tc, host_cancel);
    tcase_add_test(tc, fail_fast_cancels_the_rest);
    tcase_add_test(tc, fail_message_is_taken_as_it_is);
    tcase_add_test(tc, error_messages_are_capped);
    tcase_add_test(tc, continue_on_error_lets_dependents_run);
    tcase_add_test(tc, missing_workers_one_error_each);
    tcase_add_test(tc, params_overrides_checked_and_merged);
    tcase_add_test(tc, report_and_trace_json);
    tcase_add_test(tc, events_in_order_for_a_task);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(semantics_suite)
