/* test_dataflow.c - the run side of data flow: `if` conditions (skipped
 * and its effect on trigger rules), templated inputs evaluated at
 * dispatch, outputs (string and JSON, size cap, in reports, read
 * downstream, matrix outputs as lists), max_parallel, params-driven
 * matrices and evaluation errors.
 *
 * Two kinds of test: "manual" ones attach a hand-made data-flow layout
 * (lib/workflow.h) to a workflow built in code, so they test the engine
 * alone; "yaml" ones go end to end through sym_workflow_load_buffer. */
#include "check_main.h"
#include "engine_util.h"
#include "expr.h"
#include "value.h"

/* ---- workers ---- */

/* What the `record` worker saw: each task's inputs as JSON. */
typedef struct seen {
    pthread_mutex_t mu;
    char id[64][80];
    char *json[64];
    size_t n;
} seen;

static void seen_init(seen *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

static void seen_free(seen *s)
{
    for (size_t k = 0; k < s->n; k++)
        free(s->json[k]);
    pthread_mutex_destroy(&s->mu);
}

static const char *seen_get(seen *s, const char *id)
{
    const char *r = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t k = 0; k < s->n; k++)
        if (strcmp(s->id[k], id) == 0)
            r = s->json[k];
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* Records its inputs, then sets every entry of its input `out` (a map)
 * as an output value. */
static int w_record(sym_task *t, void *u)
{
    seen *s = u;
    char *json = sym_value_to_json(sym_task_inputs(t));
    ck_assert_ptr_nonnull(json);
    pthread_mutex_lock(&s->mu);
    if (s->n < 64) {
        snprintf(s->id[s->n], sizeof s->id[s->n], "%s", sym_task_id(t));
        s->json[s->n++] = json;
        json = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    sym_free(json);
    const sym_value *out = sym_task_input(t, "out");
    for (size_t k = 0; out && k < sym_value_count(out); k++) {
        int rc = sym_task_set_output_value(t, sym_value_key_at(out, k), sym_value_at(out, k));
        if (rc != SYM_OK)
            return sym_task_fail(t, SYM_FAIL_FATAL, "output: %s", sym_strerror(rc));
    }
    return SYM_OK;
}

/* In-flight counter for max_parallel. */
typedef struct inflight {
    atomic_int now, max, calls;
} inflight;

static int w_count(sym_task *t, void *u)
{
    (void)t;
    inflight *f = u;
    int n = atomic_fetch_add(&f->now, 1) + 1;
    int m = atomic_load(&f->max);
    while (n > m && !atomic_compare_exchange_weak(&f->max, &m, n))
        ;
    sleep_ms(1);
    atomic_fetch_add(&f->calls, 1);
    atomic_fetch_sub(&f->now, 1);
    return SYM_OK;
}

/* Sets one output larger than any small cap. */
static int w_big(sym_task *t, void *u)
{
    (void)u;
    char buf[200];
    memset(buf, 'x', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    int rc = sym_task_set_output(t, "big", buf);
    if (rc != SYM_OK)
        return sym_task_fail(t, SYM_FAIL_FATAL, "output 'big': %s", sym_strerror(rc));
    return SYM_OK;
}

typedef struct fx {
    recorder rec;
    seen s;
    inflight f;
    sym_engine *e;
} fx;

static void fx_init(fx *x, unsigned threads, size_t max_output)
{
    rec_init(&x->rec);
    seen_init(&x->s);
    memset(&x->f, 0, sizeof x->f);
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = threads;
    cfg.seed = 7;
    cfg.observer = rec_observer;
    cfg.observer_userdata = &x->rec;
    if (max_output)
        cfg.max_output_bytes = max_output;
    ck_assert_int_eq(sym_engine_new(&cfg, &x->e), SYM_OK);
    ck_assert_int_eq(sym_engine_register(x->e, "record", w_record, &x->s, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(x->e, "count", w_count, &x->f, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(x->e, "big", w_big, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(x->e, "ok", w_ok, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(x->e, "fail", w_fatal, NULL, NULL), SYM_OK);
}

static void fx_free(fx *x)
{
    sym_engine_free(x->e);
    seen_free(&x->s);
    rec_free(&x->rec);
}

static sym_run *run_params(fx *x, sym_workflow *wf, const char *params_yaml)
{
    sym_run_options o;
    sym_run_options_init(&o);
    sym_value *p = NULL;
    if (params_yaml)
        ck_assert_int_eq(sym_value_parse(params_yaml, strlen(params_yaml), &p, NULL), SYM_OK);
    o.params = p;
    sym_run *r = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_run_start(x->e, wf, &o, &r, err);
    ck_assert_msg(rc == SYM_OK, "start: %s", sym_error_count(err) ? sym_error_text(err, 0) : "?");
    sym_error_free(err);
    sym_value_free(p);
    ck_assert_int_eq(sym_run_wait(r, 20000), SYM_OK);
    return r;
}

static sym_task_result result_of(sym_run *r, const char *id)
{
    const sym_workflow *wf = sym_run_workflow(r);
    for (uint32_t i = 0; i < wf->ntasks; i++)
        if (strcmp(wf_task_id(wf, i), id) == 0) {
            sym_task_result res;
            sym_task_result_init(&res);
            ck_assert_int_eq(sym_run_task_result(r, i, &res), SYM_OK);
            return res;
        }
    ck_abort_msg("no task '%s'", id);
    sym_task_result none;
    sym_task_result_init(&none);
    return none;
}

static char *json_of(const sym_value *v)
{
    char *s = sym_value_to_json(v);
    ck_assert_ptr_nonnull(s);
    return s;
}

#define ASSERT_JSON(v, expect)                                                                     \
    do {                                                                                           \
        char *j_ = json_of(v);                                                                     \
        ck_assert_str_eq(j_, expect);                                                              \
        sym_free(j_);                                                                              \
    } while (0)

/* ---- manual layout ---- */

typedef struct manual {
    arena a;
    wf_dataflow df;
} manual;

static uint32_t index_of(const sym_workflow *wf, const char *id)
{
    for (uint32_t i = 0; i < wf->ntasks; i++)
        if (strcmp(wf_task_id(wf, i), id) == 0)
            return i;
    ck_abort_msg("no task '%s'", id);
    return 0;
}

/* Groups tasks by name (matrix instances together, in index order). */
static void manual_attach(manual *m, sym_workflow *wf)
{
    sym__arena_init(&m->a);
    memset(&m->df, 0, sizeof m->df);
    m->df.tasks = sym__arena_calloc(&m->a, wf->ntasks, sizeof *m->df.tasks);
    m->df.groups = sym__arena_calloc(&m->a, wf->ntasks, sizeof *m->df.groups);
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        uint32_t g = 0;
        while (g < m->df.ngroups && strcmp(m->df.groups[g].name, wf_task_name(wf, i)) != 0)
            g++;
        wf_group *gr = &m->df.groups[g];
        if (g == m->df.ngroups) {
            m->df.ngroups++;
            gr->name = wf_task_name(wf, i);
            gr->instances = sym__arena_calloc(&m->a, wf->ntasks, sizeof(uint32_t));
        }
        ((uint32_t *)gr->instances)[gr->ninstances++] = i;
        gr->is_matrix = wf_task_matrix(wf, i) != NULL;
        m->df.tasks[i].group = g;
    }
    wf->df = &m->df;
}

static expr_task_rel scope_task(void *ctx, const char *id, uint32_t *index)
{
    manual *m = ctx;
    for (uint32_t g = 0; g < m->df.ngroups; g++)
        if (strcmp(m->df.groups[g].name, id) == 0) {
            *index = g;
            return EXPR_TASK_UPSTREAM;
        }
    return EXPR_TASK_UNKNOWN;
}

static const expr_template *manual_tmpl(manual *m, const sym_workflow *wf, const char *text)
{
    expr_template *t = NULL;
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "manual.yaml", 10);
    int rc = sym__expr_template_parse(text, strlen(text), 1, 1, &m->a, &d, &t);
    expr_scope sc = {0};
    sc.params = wf->params;
    sc.task = scope_task;
    sc.ctx = m;
    static const char *const mkeys[] = {"shard"}; /* the matrix key these tests use */
    sc.matrix_keys = mkeys;
    sc.nmatrix = 1;
    sc.matrix_stride = sizeof mkeys[0];
    if (rc == SYM_OK)
        rc = sym__expr_check(t, &sc, &d);
    ck_assert_msg(rc == SYM_OK, "%s: %s", text, sym_error_count(err) ? sym_error_text(err, 0) : "?");
    sym_error_free(err);
    return t;
}

static void manual_input(manual *m, sym_workflow *wf, const char *task, const char *path,
                         const char *text)
{
    wf_task_df *td = &m->df.tasks[index_of(wf, task)];
    const sym_value *leaf = sym_value_path(wf_task_inputs(wf, index_of(wf, task)), path);
    ck_assert_ptr_nonnull(leaf);
    wf_input_tmpl *in = sym__arena_calloc(&m->a, td->ninputs + 1, sizeof *in);
    if (td->ninputs)
        memcpy(in, td->inputs, td->ninputs * sizeof *in);
    in[td->ninputs].leaf = leaf;
    in[td->ninputs].t = manual_tmpl(m, wf, text);
    td->inputs = in;
    td->ninputs++;
}

static void manual_if(manual *m, sym_workflow *wf, const char *task, const char *text)
{
    m->df.tasks[index_of(wf, task)].condition = manual_tmpl(m, wf, text);
}

static sym_value *yv(const char *yaml)
{
    sym_value *v = NULL;
    ck_assert_int_eq(sym_value_parse(yaml, strlen(yaml), &v, NULL), SYM_OK);
    return v;
}

/* load -> use: outputs feed templated inputs (typed and interpolated,
 * nested in lists and maps), with params and run.* */
START_TEST(manual_outputs_feed_inputs)
{
    fx x;
    fx_init(&x, 4, 0);
    sym_builder *b = sym_builder_new("flow");
    ck_assert_int_eq(sym_builder_set_param(b, "date", yv("'2024-01-02'")), SYM_OK);
    size_t load = b_task(b, "load", "record");
    ck_assert_int_eq(sym_builder_set_input(b, load, "out", yv("{rows: 1200, names: [a, b]}")),
                     SYM_OK);
    size_t use = b_task(b, "use", "record");
    ck_assert_int_eq(sym_builder_add_dep(b, use, load), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, use, "n", yv("T1")), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, use, "deep", yv("{list: [T2, 3], keep: plain}")),
                     SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, use, "who", yv("T3")), SYM_OK);
    sym_workflow *wf = b_build(b);
    manual m;
    manual_attach(&m, wf);
    manual_input(&m, wf, "use", "n", "${{ tasks.load.outputs.rows }}");
    manual_input(&m, wf, "use", "deep.list[0]",
                 "s3://b/${{ params.date }}/${{ tasks.load.outputs.names[1] }}");
    manual_input(&m, wf, "use", "who", "${{ run.id }}:${{ run.name }}");
    sym_run_options o;
    sym_run_options_init(&o);
    o.run_id = "r1";
    sym_run *r = NULL;
    ck_assert_int_eq(sym_run_start(x.e, wf, &o, &r, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(r, 10000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    ck_assert_str_eq(seen_get(&x.s, "use"), "{\"n\":1200,\"deep\":{\"list\":[\"s3://b/2024-01-02/b\","
                                            "3],\"keep\":\"plain\"},\"who\":\"r1:flow\"}");
    /* The workflow's own inputs are untouched. */
    ASSERT_JSON(sym_value_get(wf_task_inputs(wf, index_of(wf, "use")), "n"), "\"T1\"");
    /* JSON outputs stay typed in the report. */
    char *rep = sym_run_report_json(r);
    ck_assert_ptr_nonnull(strstr(rep, "\"outputs\":{\"rows\":1200,\"names\":[\"a\",\"b\"]}"));
    sym_free(rep);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);
    fx_free(&x);
}
END_TEST

/* if false: skipped (event, no call), all_success dependents run, a
 * one_success dependent is ruled out; a skipped task's outputs read null. */
START_TEST(manual_condition_skips)
{
    fx x;
    fx_init(&x, 2, 0);
    sym_builder *b = sym_builder_new("branch");
    ck_assert_int_eq(sym_builder_set_param(b, "env", yv("dev")), SYM_OK);
    size_t deploy = b_task(b, "deploy", "record");
    ck_assert_int_eq(sym_builder_set_input(b, deploy, "out", yv("{url: x}")), SYM_OK);
    size_t notify = b_task(b, "notify", "record");
    ck_assert_int_eq(sym_builder_add_dep(b, notify, deploy), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, notify, "url", yv("T")), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, notify, "st", yv("T")), SYM_OK);
    size_t only = b_task(b, "only", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, only, deploy), SYM_OK);
    sym_task_policy pol;
    sym_task_policy_init(&pol);
    pol.trigger = SYM_TRIGGER_ONE_SUCCESS;
    ck_assert_int_eq(sym_builder_set_policy(b, only, &pol), SYM_OK);
    size_t after = b_task(b, "after", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, after, notify), SYM_OK);
    sym_workflow *wf = b_build(b);
    manual m;
    manual_attach(&m, wf);
    manual_if(&m, wf, "deploy", "${{ params.env == 'prod' }}");
    manual_if(&m, wf, "after", "${{ tasks.notify.status == 'succeeded' }}");
    manual_input(&m, wf, "notify", "url", "${{ tasks.deploy.outputs.url }}");
    manual_input(&m, wf, "notify", "st", "${{ tasks.deploy.status }}");

    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(result_of(r, "deploy").state, SYM_TASK_SKIPPED);
    ck_assert_int_eq(result_of(r, "deploy").attempts, 0);
    ck_assert_int_eq(result_of(r, "notify").state, SYM_TASK_SUCCEEDED);
    ck_assert_int_eq(result_of(r, "only").state, SYM_TASK_UPSTREAM_FAILED);
    ck_assert_int_eq(result_of(r, "after").state, SYM_TASK_SUCCEEDED);
    ck_assert_ptr_null(seen_get(&x.s, "deploy"));
    ck_assert_str_eq(seen_get(&x.s, "notify"), "{\"url\":null,\"st\":\"skipped\"}");
    ck_assert_uint_eq(rec_count(&x.rec, SYM_EVENT_TASK_SKIPPED, "deploy"), 1);
    ck_assert_uint_eq(rec_count(&x.rec, SYM_EVENT_TASK_READY, "deploy"), 0);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED); /* `only` */
    sym_run_free(r);

    r = run_params(&x, wf, "{env: prod}");
    ck_assert_int_eq(result_of(r, "deploy").state, SYM_TASK_SUCCEEDED);
    ck_assert_int_eq(result_of(r, "only").state, SYM_TASK_SUCCEEDED);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);
    fx_free(&x);
}
END_TEST

/* A condition on a non-root that is false; skipped counts as success for
 * all_success further down. */
START_TEST(manual_condition_on_dependent)
{
    fx x;
    fx_init(&x, 2, 0);
    sym_builder *b = sym_builder_new("gate");
    size_t load = b_task(b, "load", "record");
    ck_assert_int_eq(sym_builder_set_input(b, load, "out", yv("{rows: 0}")), SYM_OK);
    size_t tr = b_task(b, "transform", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, tr, load), SYM_OK);
    size_t fin = b_task(b, "final", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, fin, tr), SYM_OK);
    sym_workflow *wf = b_build(b);
    manual m;
    manual_attach(&m, wf);
    manual_if(&m, wf, "transform", "${{ tasks.load.outputs.rows > 0 }}");
    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(result_of(r, "transform").state, SYM_TASK_SKIPPED);
    ck_assert_int_eq(result_of(r, "final").state, SYM_TASK_SUCCEEDED);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    char *rep = sym_run_report_json(r);
    ck_assert_ptr_nonnull(strstr(rep, "\"id\":\"transform\",\"worker\":\"ok\",\"status\":\"skipped\""));
    sym_free(rep);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);
    fx_free(&x);
}
END_TEST

/* Evaluation errors: an `if` fails its task (not retried) and an input
 * fails the attempt fatally, both with task, position and problem. */
START_TEST(manual_evaluation_errors)
{
    fx x;
    fx_init(&x, 2, 0);
    sym_builder *b = sym_builder_new("errs");
    size_t load = b_task(b, "load", "record");
    ck_assert_int_eq(sym_builder_set_input(b, load, "out", yv("{list: [1, 2]}")), SYM_OK);
    sym_task_policy pol;
    sym_task_policy_init(&pol);
    pol.retry.attempts = 3;
    pol.retry.delay_ms = 0;
    size_t c = b_task(b, "cond", "ok");
    ck_assert_int_eq(sym_builder_add_dep(b, c, load), SYM_OK);
    ck_assert_int_eq(sym_builder_set_policy(b, c, &pol), SYM_OK);
    size_t in = b_task(b, "inp", "record");
    ck_assert_int_eq(sym_builder_add_dep(b, in, load), SYM_OK);
    ck_assert_int_eq(sym_builder_set_policy(b, in, &pol), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, in, "x", yv("T")), SYM_OK);
    sym_workflow *wf = b_build(b);
    manual m;
    manual_attach(&m, wf);
    manual_if(&m, wf, "cond", "${{ tasks.load.outputs.list > 0 }}");
    manual_input(&m, wf, "inp", "x", "n=${{ tasks.load.outputs.list < 1 }}");
    sym_run *r = run_params(&x, wf, NULL);
    sym_task_result rc = result_of(r, "cond");
    ck_assert_int_eq(rc.state, SYM_TASK_FAILED);
    ck_assert_int_eq(rc.attempts, 0);
    ck_assert_ptr_nonnull(rc.error);
    ck_assert_msg(strstr(rc.error, "task 'cond'") && strstr(rc.error, ":1:") &&
                      strstr(rc.error, "list"),
                  "%s", rc.error);
    sym_task_result ri = result_of(r, "inp");
    ck_assert_int_eq(ri.state, SYM_TASK_FAILED);
    ck_assert_msg(strstr(ri.error, "task 'inp'") && strstr(ri.error, "input") &&
                      strstr(ri.error, ":1:"),
                  "%s", ri.error);
    ck_assert_ptr_null(seen_get(&x.s, "inp"));
    ck_assert_uint_eq(rec_count(&x.rec, SYM_EVENT_TASK_RETRYING, NULL), 0);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_FAILED);
    sym_run_free(r);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);
    fx_free(&x);
}
END_TEST

/* A matrix read from outside: a list in instance order; max_parallel
 * bounds its instances in flight, per run, with several runs at once. */
START_TEST(manual_matrix_list_and_max_parallel)
{
    fx x;
    fx_init(&x, 8, 0);
    sym_builder *b = sym_builder_new("mx");
    size_t work = b_task(b, "work", "record");
    ck_assert_int_eq(sym_builder_add_matrix(b, work, "shard", yv("[3, 1, 2]")), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, work, "out", yv("{n: T}")), SYM_OK);
    size_t sum = b_task(b, "sum", "record");
    ck_assert_int_eq(sym_builder_add_dep(b, sum, work), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, sum, "all", yv("T")), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, sum, "st", yv("T")), SYM_OK);
    sym_workflow *wf = b_build(b);
    manual m;
    manual_attach(&m, wf);
    for (uint32_t i = 0; i < wf->ntasks; i++)
        if (wf_task_matrix(wf, i))
            manual_input(&m, wf, wf_task_id(wf, i), "out.n", "${{ matrix.shard }}");
    manual_input(&m, wf, "sum", "all", "${{ tasks.work.outputs.n }}");
    manual_input(&m, wf, "sum", "st", "${{ tasks.work.status }}");
    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    ck_assert_str_eq(seen_get(&x.s, "sum"),
                     "{\"all\":[3,1,2],\"st\":[\"succeeded\",\"succeeded\",\"succeeded\"]}");
    sym_run_free(r);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);

    /* max_parallel 3 over 40 instances, four runs at once. */
    b = sym_builder_new("mp");
    size_t many = b_task(b, "many", "count");
    sym_value *vals = sym_value_new_list();
    for (int k = 0; k < 40; k++)
        sym_value_list_append(vals, sym_value_new_int(k));
    ck_assert_int_eq(sym_builder_add_matrix(b, many, "k", vals), SYM_OK);
    wf = b_build(b);
    manual_attach(&m, wf);
    m.df.groups[0].max_parallel = 3;
    m.df.has_max_parallel = true;
    sym_run *rs[4];
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(sym_run_start(x.e, wf, NULL, &rs[k], NULL), SYM_OK);
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(sym_run_wait(rs[k], 20000), SYM_OK);
        ck_assert_int_eq(sym_run_get_status(rs[k]), SYM_RUN_SUCCEEDED);
        sym_run_free(rs[k]);
    }
    ck_assert_int_eq(atomic_load(&x.f.calls), 160);
    ck_assert_int_le(atomic_load(&x.f.max), 12);
    ck_assert_int_ge(atomic_load(&x.f.max), 2);
    /* One run alone: never more than 3. */
    atomic_store(&x.f.max, 0);
    sym_run *one = run_params(&x, wf, NULL);
    ck_assert_int_eq(sym_run_get_status(one), SYM_RUN_SUCCEEDED);
    ck_assert_int_le(atomic_load(&x.f.max), 3);
    sym_run_free(one);
    sym_workflow_free(wf);
    sym__arena_free(&m.a);
    fx_free(&x);
}
END_TEST

/* Outputs: the size cap (strings and JSON), typed JSON in the report. */
START_TEST(outputs_capped_and_typed)
{
    fx x;
    fx_init(&x, 2, 64);
    sym_builder *b = sym_builder_new("cap");
    size_t t = b_task(b, "t", "big");
    size_t j = b_task(b, "j", "record");
    ck_assert_int_eq(sym_builder_set_input(b, j, "out",
                                           yv("{n: 5, s: '7', l: [1, {a: true}], z: null}")),
                     SYM_OK);
    size_t k = b_task(b, "k", "record");
    ck_assert_int_eq(sym_builder_set_input(b, k, "out", yv("{l: [aaaaaaaaaaaaaaaaaaaa, "
                                                           "bbbbbbbbbbbbbbbbbbbbbbbbb, "
                                                           "cccccccccccccccccccccc]}")),
                     SYM_OK);
    (void)t;
    sym_workflow *wf = b_build(b);
    sym_run *r = run_params(&x, wf, NULL);
    sym_task_result rt = result_of(r, "t");
    ck_assert_int_eq(rt.state, SYM_TASK_FAILED);
    ck_assert_ptr_nonnull(strstr(rt.error, sym_strerror(SYM_ETOOBIG)));
    ck_assert_int_eq(result_of(r, "j").state, SYM_TASK_SUCCEEDED);
    ASSERT_JSON(result_of(r, "j").outputs, "{\"n\":5,\"s\":\"7\",\"l\":[1,{\"a\":true}],\"z\":null}");
    ck_assert_int_eq(result_of(r, "k").state, SYM_TASK_FAILED); /* its JSON text is > 64 */
    char *rep = sym_run_report_json(r);
    ck_assert_ptr_nonnull(strstr(rep, "\"outputs\":{\"n\":5,\"s\":\"7\",\"l\":[1,{\"a\":true}],"
                                      "\"z\":null}"));
    sym_free(rep);
    sym_run_free(r);
    sym_workflow_free(wf);
    fx_free(&x);
}
END_TEST

/* ---- end to end, through the loader ---- */

static sym_workflow *load_yaml(const char *text)
{
    sym_workflow *wf = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_workflow_load_buffer(text, strlen(text), "flow.yaml", NULL, &wf, err);
    ck_assert_msg(rc == SYM_OK, "load: %s", sym_error_count(err) ? sym_error_text(err, 0) : "?");
    sym_error_free(err);
    return wf;
}

static const char *pipeline_yaml =
    "symphony: 1\n"
    "name: pipe\n"
    "params:\n"
    "  date: '2024-01-02'\n"
    "  shards: [1, 2]\n"
    "  env: dev\n"
    "tasks:\n"
    "  load:\n"
    "    worker: record\n"
    "    with: { out: { rows: 1200, table: orders } }\n"
    "  transform:\n"
    "    worker: record\n"
    "    needs: load\n"
    "    matrix: { shard: \"${{ params.shards }}\" }\n"
    "    if: \"${{ tasks.load.outputs.rows > 0 }}\"\n"
    "    with:\n"
    "      path: \"s3://bucket/${{ params.date }}/part-${{ matrix.shard }}\"\n"
    "      shard: \"${{ matrix.shard }}\"\n"
    "      out: { n: \"${{ matrix.shard }}\" }\n"
    "  sum:\n"
    "    worker: record\n"
    "    needs: transform\n"
    "    with:\n"
    "      parts: \"${{ tasks.transform.outputs.n }}\"\n"
    "      rows: \"${{ tasks.load.outputs.rows }}\"\n"
    "      label: \"${{ tasks.load.outputs.table }} of ${{ run.name }}\"\n"
    "  deploy:\n"
    "    worker: record\n"
    "    needs: sum\n"
    "    if: \"${{ params.env == 'prod' }}\"\n"
    "  notify:\n"
    "    worker: record\n"
    "    needs: deploy\n"
    "    with: { deployed: \"${{ tasks.deploy.status }}\" }\n";

START_TEST(yaml_pipeline_defaults)
{
    fx x;
    fx_init(&x, 4, 0);
    sym_workflow *wf = load_yaml(pipeline_yaml);
    ck_assert_ptr_nonnull(wf->df);
    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    ck_assert_str_eq(seen_get(&x.s, "transform[shard=2]"),
                     "{\"path\":\"s3://bucket/2024-01-02/part-2\",\"shard\":2,\"out\":{\"n\":2}}");
    ck_assert_str_eq(seen_get(&x.s, "sum"),
                     "{\"parts\":[1,2],\"rows\":1200,\"label\":\"orders of pipe\"}");
    ck_assert_int_eq(result_of(r, "deploy").state, SYM_TASK_SKIPPED);
    ck_assert_str_eq(seen_get(&x.s, "notify"), "{\"deployed\":\"skipped\"}");
    char *rep = sym_run_report_json(r);
    ck_assert_ptr_nonnull(strstr(rep, "\"outputs\":{\"rows\":1200,\"table\":\"orders\"}"));
    sym_free(rep);
    sym_run_free(r);
    sym_workflow_free(wf);
    fx_free(&x);
}
END_TEST

/* Params per run: a wider matrix and the other branch, in the same
 * workflow, with a run at the defaults beside it. */
START_TEST(yaml_pipeline_overridden)
{
    fx x;
    fx_init(&x, 4, 0);
    sym_workflow *wf = load_yaml(pipeline_yaml);
    sym_run *r = run_params(&x, wf, "{shards: [5, 6, 7, 8], env: prod, date: '2025-12-31'}");
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    const sym_workflow *own = sym_run_workflow(r);
    ck_assert_uint_eq(own->ntasks, 8);
    ck_assert_str_eq(seen_get(&x.s, "transform[shard=8]"),
                     "{\"path\":\"s3://bucket/2025-12-31/part-8\",\"shard\":8,\"out\":{\"n\":8}}");
    ck_assert_str_eq(seen_get(&x.s, "sum"),
                     "{\"parts\":[5,6,7,8],\"rows\":1200,\"label\":\"orders of pipe\"}");
    ck_assert_int_eq(result_of(r, "deploy").state, SYM_TASK_SUCCEEDED);
    ck_assert_str_eq(seen_get(&x.s, "notify"), "{\"deployed\":\"succeeded\"}");
    char *rep = sym_run_report_json(r);
    ck_assert_ptr_nonnull(strstr(rep, "transform[shard=7]"));
    sym_free(rep);
    sym_run_free(r);
    /* The shared workflow is as loaded. */
    ck_assert_uint_eq(wf->ntasks, 6);
    sym_run *d = run_params(&x, wf, NULL);
    ck_assert_uint_eq(sym_run_workflow(d)->ntasks, 6);
    ck_assert_int_eq(sym_run_get_status(d), SYM_RUN_SUCCEEDED);
    sym_run_free(d);
    /* A matrix axis that is not a list: the start fails, nothing runs. */
    sym_value *p = yv("{shards: 3}");
    sym_run_options o;
    sym_run_options_init(&o);
    o.params = p;
    sym_run *bad = NULL;
    sym_error *err = sym_error_new();
    ck_assert_int_ne(sym_run_start(x.e, wf, &o, &bad, err), SYM_OK);
    ck_assert_ptr_null(bad);
    ck_assert_uint_ge(sym_error_count(err), 1);
    sym_error_free(err);
    sym_value_free(p);
    sym_workflow_free(wf);
    fx_free(&x);
}
END_TEST

START_TEST(yaml_max_parallel_and_errors)
{
    fx x;
    fx_init(&x, 8, 0);
    sym_workflow *wf = load_yaml("symphony: 1\n"
                                 "name: mp\n"
                                 "params: { n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }\n"
                                 "tasks:\n"
                                 "  work:\n"
                                 "    worker: count\n"
                                 "    matrix: { k: \"${{ params.n }}\" }\n"
                                 "    max_parallel: 2\n"
                                 "  list:\n"
                                 "    worker: record\n"
                                 "    with: { out: { v: [1, 2] } }\n"
                                 "  bad:\n"
                                 "    worker: ok\n"
                                 "    needs: list\n"
                                 "    if: \"${{ tasks.list.outputs.v > 1 }}\"\n");
    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(atomic_load(&x.f.calls), 12);
    ck_assert_int_le(atomic_load(&x.f.max), 2);
    sym_task_result rb = result_of(r, "bad");
    ck_assert_int_eq(rb.state, SYM_TASK_FAILED);
    ck_assert_msg(strstr(rb.error, "flow.yaml:15:") != NULL, "%s", rb.error);
    sym_run_free(r);
    sym_workflow_free(wf);
    fx_free(&x);
}
END_TEST

/* The example workflow with params, outputs and conditions runs (with
 * stand-in workers) and its branches go as its params say. */
START_TEST(example_workflow_runs)
{
    fx x;
    fx_init(&x, 4, 0);
    ck_assert_int_eq(sym_engine_register(x.e, "exec", w_ok, NULL, NULL), SYM_OK);
    sym_workflow *wf = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_workflow_load_file("examples/data-flow.yaml", NULL, &wf, err);
    ck_assert_msg(rc == SYM_OK, "load: %s", sym_error_count(err) ? sym_error_text(err, 0) : "?");
    sym_error_free(err);
    sym_run *r = run_params(&x, wf, NULL);
    ck_assert_int_eq(sym_run_get_status(r), SYM_RUN_SUCCEEDED);
    sym_run_free(r);
    sym_workflow_free(wf);
    fx_free(&x);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataflow");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, manual_outputs_feed_inputs);
    tcase_add_test(tc, manual_condition_skips);
    tcase_add_test(tc, manual_condition_on_dependent);
    tcase_add_test(tc, manual_evaluation_errors);
    tcase_add_test(tc, manual_matrix_list_and_max_parallel);
    tcase_add_test(tc, outputs_capped_and_typed);
    tcase_add_test(tc, yaml_pipeline_defaults);
    tcase_add_test(tc, yaml_pipeline_overridden);
    tcase_add_test(tc, yaml_max_parallel_and_errors);
    tcase_add_test(tc, example_workflow_runs);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
