/* bench_dataflow.c - what data flow costs at run time:
 *
 *  1. ns per evaluation of a typical `if` (tasks.load.outputs.rows > 0)
 *     and of a templated input ("s3://bucket/${{ params.date }}/part-
 *     ${{ matrix.shard }}"), as the engine evaluates them (a fresh scratch
 *     arena each time); medians of several batches.
 *  2. the engine overhead of a 100,000-task workflow whose tasks each
 *     template one input from an upstream output, against the same
 *     workflow (same workers, same outputs) without templates, run by the
 *     same engine; medians of several runs, alternating.
 *
 *   bench_dataflow [TASKS [REPETITIONS [THREADS]]]   defaults 100000 7 4
 *
 * Not a test: it prints a table and exits 0 unless something fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "error.h"
#include "expr.h"
#include "symphony.h"
#include "value.h"
#include "workflow.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_dataflow: %s\n", what);
    exit(1);
}

/* ---- 1. evaluations ---- */

static const char *const matrix_keys[] = {"shard"};

static expr_task_rel one_task(void *ctx, const char *id, uint32_t *index)
{
    (void)ctx;
    *index = 0;
    return strcmp(id, "load") == 0 ? EXPR_TASK_UPSTREAM : EXPR_TASK_UNKNOWN;
}

static const sym_value *load_outputs(void *ctx, const expr_ref *ref, sym_value *tmp)
{
    (void)tmp;
    const sym_value *outs = ctx;
    return ref->kind == EXPR_REF_TASK_OUTPUT ? sym_value_get(outs, ref->key) : outs;
}

static expr_template *parse(arena *a, const sym_value *params, const char *text)
{
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "bench", 10);
    expr_template *t = NULL;
    expr_scope sc = {0};
    sc.params = params;
    sc.matrix_keys = matrix_keys;
    sc.nmatrix = 1;
    sc.matrix_stride = sizeof matrix_keys[0];
    sc.task = one_task;
    if (sym__expr_template_parse(text, strlen(text), 1, 1, a, &d, &t) != SYM_OK ||
        sym__expr_check(t, &sc, &d) != SYM_OK)
        die(sym_error_count(err) ? sym_error_text(err, 0) : "parse");
    sym_error_free(err);
    return t;
}

static double eval_ns(const expr_template *t, const expr_env *env, bool as_bool, int reps)
{
    enum { N = 200000 };
    double *per = malloc((size_t)reps * sizeof *per);
    if (!per)
        die("out of memory");
    for (int r = 0; r < reps; r++) {
        int64_t t0 = now_ns();
        for (int k = 0; k < N; k++) {
            arena scratch;
            sym__arena_init(&scratch);
            sym_value v;
            bool b;
            int rc = as_bool ? sym__expr_eval_bool(t, env, &scratch, &b, NULL)
                             : sym__expr_eval(t, env, &scratch, &v, NULL);
            if (rc != SYM_OK || (as_bool && !b) || (!as_bool && v.type != SYM_VALUE_STRING))
                die("evaluation");
            sym__arena_free(&scratch);
        }
        per[r] = (double)(now_ns() - t0) / N;
    }
    double m = median(per, reps);
    free(per);
    return m;
}

/* ---- 2. the engine ---- */

static int w_out(sym_task *t, void *u)
{
    (void)u;
    static const sym_value one = {.type = SYM_VALUE_INT, .u.i = 1};
    const sym_value *in = sym_task_input(t, "x");
    if (!in)
        return sym_task_fail(t, SYM_FAIL_FATAL, "no input");
    return sym_task_set_output_value(t, "v", &one);
}

/* Chains of 100: task k needs task k-1 in its chain and has input x. */
static sym_workflow *build(uint32_t n)
{
    sym_builder *b = sym_builder_new("flow");
    if (!b)
        die("out of memory");
    char id[32];
    for (uint32_t k = 0; k < n; k++) {
        snprintf(id, sizeof id, "t%u", k);
        size_t ix;
        if (sym_builder_add_task(b, id, "out", &ix) != SYM_OK ||
            sym_builder_set_input(b, ix, "x", sym_value_new_string("x")) != SYM_OK ||
            (k % 100 && sym_builder_add_dep(b, ix, ix - 1) != SYM_OK))
            die("build");
    }
    sym_workflow *wf = NULL;
    if (sym_builder_build(b, &wf, NULL) != SYM_OK)
        die("build");
    sym_builder_free(b);
    return wf;
}

typedef struct layout {
    arena a;
    wf_dataflow df;
} layout;

static expr_task_rel by_name(void *ctx, const char *id, uint32_t *index)
{
    const sym_workflow *wf = ctx;
    unsigned k;
    if (sscanf(id, "t%u", &k) != 1 || k >= wf->ntasks)
        return EXPR_TASK_UNKNOWN;
    *index = k; /* one group per task, numbered like the tasks */
    return EXPR_TASK_UPSTREAM;
}

/* Each non-head task's input x becomes ${{ tasks.<previous>.outputs.v }}. */
static void attach(layout *l, sym_workflow *wf)
{
    sym__arena_init(&l->a);
    memset(&l->df, 0, sizeof l->df);
    uint32_t n = wf->ntasks;
    l->df.tasks = sym__arena_calloc(&l->a, n, sizeof *l->df.tasks);
    l->df.groups = sym__arena_calloc(&l->a, n, sizeof *l->df.groups);
    uint32_t *inst = sym__arena_alloc(&l->a, n * sizeof *inst);
    wf_input_tmpl *ins = sym__arena_calloc(&l->a, n, sizeof *ins);
    if (!l->df.tasks || !l->df.groups || !inst || !ins)
        die("out of memory");
    l->df.ngroups = n;
    for (uint32_t i = 0; i < n; i++) {
        unsigned k;
        sscanf(wf->tasks[i].id, "t%u", &k);
        inst[k] = i;
        l->df.groups[k].name = wf->tasks[i].id;
        l->df.groups[k].instances = &inst[k];
        l->df.groups[k].ninstances = 1;
        l->df.tasks[i].group = k;
    }
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "bench", 10);
    expr_scope sc = {0};
    sc.task = by_name;
    sc.ctx = wf;
    for (uint32_t i = 0; i < n; i++) {
        unsigned k;
        sscanf(wf->tasks[i].id, "t%u", &k);
        if (k % 100 == 0)
            continue;
        char text[64];
        snprintf(text, sizeof text, "${{ tasks.t%u.outputs.v }}", k - 1);
        expr_template *t = NULL;
        if (sym__expr_template_parse(text, strlen(text), 1, 1, &l->a, &d, &t) != SYM_OK ||
            sym__expr_check(t, &sc, &d) != SYM_OK)
            die("template");
        ins[i].leaf = sym_value_get(wf->tasks[i].inputs, "x");
        ins[i].t = t;
        l->df.tasks[i].inputs = &ins[i];
        l->df.tasks[i].ninputs = 1;
    }
    sym_error_free(err);
}

static double run_ns(sym_engine *e, sym_workflow *wf)
{
    sym_run *r = NULL;
    int64_t t0 = now_ns();
    if (sym_run_start(e, wf, NULL, &r, NULL) != SYM_OK || sym_run_wait(r, -1) != SYM_OK)
        die("run");
    double ns = (double)(now_ns() - t0);
    if (sym_run_get_status(r) != SYM_RUN_SUCCEEDED)
        die("the run failed");
    sym_run_free(r);
    return ns / wf->ntasks;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 4;
    if (n < 100 || reps < 1)
        die("usage: bench_dataflow [TASKS>=100 [REPETITIONS [THREADS]]]");

    /* 1. */
    arena a;
    sym__arena_init(&a);
    sym_value *params = NULL, *matrix = NULL, *outs = NULL;
    if (sym_value_parse("{date: '2024-01-02'}", 20, &params, NULL) != SYM_OK ||
        sym_value_parse("{shard: 7}", 10, &matrix, NULL) != SYM_OK ||
        sym_value_parse("{rows: 1200}", 12, &outs, NULL) != SYM_OK)
        die("values");
    expr_template *cond = parse(&a, params, "${{ tasks.load.outputs.rows > 0 }}");
    expr_template *input =
        parse(&a, params, "s3://bucket/${{ params.date }}/part-${{ matrix.shard }}");
    expr_env env = {0};
    env.params = params;
    env.matrix = matrix;
    env.task = load_outputs;
    env.ctx = outs;
    double if_ns = eval_ns(cond, &env, true, reps);
    double in_ns = eval_ns(input, &env, false, reps);

    /* 2. */
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = threads;
    sym_engine *e = NULL;
    if (sym_engine_new(&cfg, &e) != SYM_OK ||
        sym_engine_register(e, "out", w_out, NULL, NULL) != SYM_OK)
        die("engine");
    sym_workflow *plain = build(n), *tmpl = build(n);
    layout l;
    attach(&l, tmpl);
    tmpl->df = &l.df;
    double *p = malloc((size_t)reps * sizeof *p), *t = malloc((size_t)reps * sizeof *t);
    if (!p || !t)
        die("out of memory");
    run_ns(e, plain); /* warm up */
    run_ns(e, tmpl);
    for (int r = 0; r < reps; r++) {
        p[r] = run_ns(e, plain);
        t[r] = run_ns(e, tmpl);
    }
    double pm = median(p, reps), tm = median(t, reps);

    printf("data flow (medians of %d)\n", reps);
    printf("%-58s %12s\n", "what", "ns");
    printf("%-58s %12.1f\n", "`if` ${{ tasks.load.outputs.rows > 0 }} per evaluation", if_ns);
    printf("%-58s %12.1f\n", "input s3://bucket/${{ params.date }}/part-${{ matrix.shard }}",
           in_ns);
    printf("%-58s %12.1f\n", "engine, no templates, per task", pm);
    printf("%-58s %12.1f\n", "engine, one templated input per task, per task", tm);
    printf("%-58s %12.1f\n", "overhead of the templated input, per task", tm - pm);
    printf("(%u tasks in chains of 100, %u threads; every task sets one JSON output)\n", n,
           threads);

    free(p);
    free(t);
    sym_workflow_free(plain);
    sym_workflow_free(tmpl);
    sym__arena_free(&l.a);
    sym_engine_free(e);
    sym_value_free(params);
    sym_value_free(matrix);
    sym_value_free(outs);
    sym__arena_free(&a);
    return 0;
}
