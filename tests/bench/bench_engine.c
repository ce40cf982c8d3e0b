/* bench_engine.c - the engine benchmark (`make bench-engine`): the overhead
 * of libsymphony per task, with an empty worker, on four graph shapes, beside
 * oneTBB's flow graph and OpenMP tasks running the same graphs.
 *
 *   chain    1,000,000 tasks, each needing the one before
 *   fan      one source, 999,998 independent tasks, one sink (1,000,000
 *            in all: the load options' default task limit)
 *   wave     a 1000 x 1000 wavefront: each task needs its left and upper
 *            neighbours
 *   random   1,000,000 tasks, each needing 0-3 distinct random tasks among
 *            the 1000 before it (a fixed seed: the same graph every run)
 *
 * For libsymphony, "build" is sym_builder_new, one add_task per task and one
 * add_dep (by index) per edge, sym_builder_build and sym_builder_free;
 * "run" is sym_run_start + sym_run_wait on an engine started beforehand.
 * Each figure is the median over the repetitions (after at least a second
 * of warm-up repetitions, left out: see run_cell), in ns per task; every
 * repetition checks that the worker ran once per task and the run
 * succeeded. Memory is the peak RSS growth over the repetitions, per task
 * (builder, workflow and run together), and the compiled workflow's own
 * bytes per task.
 *
 * Each (library, shape, threads) cell runs in a child process of its own
 * (this program again, with --cell), so no library's idle threads or heap
 * disturb another's figures, and a cell that hangs or crashes is reported
 * rather than taking the table down.
 *
 * Options (or environment variables):
 *   --threads 1,2,16   SYM_BENCH_THREADS  default 1,2 and, when the machine
 *                                          has more, the online CPU count
 *   --reps N           SYM_BENCH_REPS     default 11 (after a warm-up of at
 *                                          least a second, left out)
 *   --tasks N          SYM_BENCH_TASKS    default 1000000 (the wavefront
 *                                          uses the largest square below)
 *   --omp-fan N        SYM_BENCH_OMP_FAN  OpenMP's fan size, default 10000
 *   --shapes LIST      SYM_BENCH_SHAPES   default chain,fan,wave,random
 *   --libs LIST        SYM_BENCH_LIBS     default sym,tbb,omp
 *   --cell LIB SHAPE THREADS REPS TASKS   one cell, its result line on
 *                                          stdout (for profiling one case)
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_graph.h"
#include "symphony.h"
#include "workflow.h"

enum { MAX_LIST = 16, RANDOM_WINDOW = 1000, CELL_TIMEOUT_S = 300 };
static const double WARM_UP_NS = 1e9;
static const double TARGET_NS = 100.0;

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Graphs                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct graph_buf {
    bench_graph g;
    uint32_t *off, *preds;
} graph_buf;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Writes task i's predecessors to out and returns how many. */
static uint32_t preds_of(const char *shape, uint32_t n, uint32_t side, uint32_t i, uint32_t *out,
                         uint64_t *rng)
{
    uint32_t k = 0;
    if (strcmp(shape, "chain") == 0) {
        if (i > 0)
            out[k++] = i - 1;
    } else if (strcmp(shape, "fan") == 0) {
        if (i == n - 1)
            for (uint32_t p = 1; p + 1 < n; p++)
                out[k++] = p;
        else if (i > 0)
            out[k++] = 0;
    } else if (strcmp(shape, "wave") == 0) {
        if (i >= side)
            out[k++] = i - side;
        if (i % side != 0)
            out[k++] = i - 1;
    } else { /* random */
        uint32_t lo = i > RANDOM_WINDOW ? i - RANDOM_WINDOW : 0;
        uint32_t want = (uint32_t)(xorshift(rng) % 4);
        for (uint32_t tries = 0; i > lo && k < want && tries < 16; tries++) {
            uint32_t p = lo + (uint32_t)(xorshift(rng) % (i - lo));
            bool dup = false;
            for (uint32_t j = 0; j < k; j++)
                dup = dup || out[j] == p;
            if (!dup)
                out[k++] = p;
        }
    }
    return k;
}

static bool known_shape(const char *s)
{
    return strcmp(s, "chain") == 0 || strcmp(s, "fan") == 0 || strcmp(s, "wave") == 0 ||
           strcmp(s, "random") == 0;
}

/* The shape's graph of about n tasks (the wavefront: the largest square).
 * Two passes (count, then fill) so the arrays are allocated once at their
 * size and the RSS baseline is not inflated by growth. */
static int make_graph(const char *shape, uint32_t n, graph_buf *gb)
{
    uint32_t side = 1;
    while ((uint64_t)(side + 1) * (side + 1) <= n)
        side++;
    if (strcmp(shape, "wave") == 0)
        n = side * side;
    if (n < 3)
        return -1;
    uint32_t *scratch = malloc(sizeof *scratch * n);
    gb->off = malloc(sizeof *gb->off * ((size_t)n + 1));
    if (!scratch || !gb->off)
        goto oom;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += preds_of(shape, n, side, i, scratch, &rng);
    gb->preds = malloc(sizeof *gb->preds * (total ? total : 1));
    if (!gb->preds)
        goto oom;
    rng = 0x9E3779B97F4A7C15u;
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        gb->off[i] = at;
        at += preds_of(shape, n, side, i, gb->preds + at, &rng);
    }
    gb->off[n] = at;
    free(scratch);
    gb->g = (bench_graph){.n = n, .pred_off = gb->off, .preds = gb->preds};
    return 0;
oom:
    free(scratch);
    free(gb->off);
    return -1;
}

static void free_graph(graph_buf *gb)
{
    free(gb->off);
    free(gb->preds);
}

/* ------------------------------------------------------------------------ */
/* libsymphony                                                               */
/* ------------------------------------------------------------------------ */

/* One counter per engine thread, a cache line apart; each thread finds its
 * slot once (thread-local) so counting costs no shared write. */
typedef struct padded_count {
    _Alignas(64) _Atomic uint64_t n;
} padded_count;

typedef struct sym_counts {
    padded_count slot[BENCH_MAX_THREADS + 1]; /* the last: overflow, shared */
    atomic_uint next;
} sym_counts;

static _Thread_local padded_count *my_slot;

static int empty_worker(sym_task *task, void *userdata)
{
    (void)task;
    sym_counts *c = userdata;
    padded_count *s = my_slot;
    if (!s) {
        unsigned k = atomic_fetch_add(&c->next, 1);
        s = my_slot = &c->slot[k < BENCH_MAX_THREADS ? k : BENCH_MAX_THREADS];
        if (k >= BENCH_MAX_THREADS) {
            atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
            return SYM_OK;
        }
    }
    if (s == &c->slot[BENCH_MAX_THREADS])
        atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);
    else /* only this thread writes its slot: no read-modify-write needed */
        atomic_store_explicit(&s->n, atomic_load_explicit(&s->n, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    return SYM_OK;
}

static uint64_t total_calls(sym_counts *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i <= BENCH_MAX_THREADS; i++)
        sum += atomic_exchange(&c->slot[i].n, 0);
    return sum;
}

/* The id every task gets: "t" and its index in decimal. Counting up in
 * place costs a digit or two per task; formatting each index afresh
 * (snprintf, or a division per digit) would be a fair part of what the
 * engine is allowed per task, and it is the host's cost, not the
 * engine's. buf holds "t0" to start with; len is its length. */
static void next_id(char *buf, size_t *len)
{
    size_t k = *len;
    while (k > 1 && buf[k - 1] == '9')
        buf[--k] = '0';
    if (k > 1) {
        buf[k - 1]++;
        return;
    }
    /* All nines: one more digit, "t10...0". */
    buf[1] = '1';
    buf[*len] = '0';
    buf[++*len] = '\0';
}

static int fail_with(char *err, size_t errlen, const char *what, int rc, sym_error *e)
{
    const char *detail = e && sym_error_count(e) ? sym_error_text(e, 0) : sym_strerror(rc);
    snprintf(err, errlen, "%s: %s", what, detail ? detail : "?");
    return -1;
}

static int sym_build(const bench_graph *g, sym_workflow **wf, sym_error *e, char *err,
                     size_t errlen)
{
    sym_builder *b = sym_builder_new("bench");
    if (!b)
        return fail_with(err, errlen, "sym_builder_new", SYM_ENOMEM, NULL);
    char id[16] = "t0";
    size_t id_len = 2;
    for (uint32_t i = 0; i < g->n; i++) {
        size_t index;
        if (i > 0)
            next_id(id, &id_len);
        int rc = sym_builder_add_task(b, id, "empty", &index);
        for (uint32_t k = g->pred_off[i]; rc == SYM_OK && k < g->pred_off[i + 1]; k++)
            rc = sym_builder_add_dep(b, index, g->preds[k]);
        if (rc != SYM_OK) {
            sym_builder_free(b);
            return fail_with(err, errlen, "sym_builder_add_*", rc, NULL);
        }
    }
    int rc = sym_builder_build(b, wf, e);
    sym_builder_free(b);
    return rc == SYM_OK ? 0 : fail_with(err, errlen, "sym_builder_build", rc, e);
}

/* The run ended, succeeded, and every task says so, under its id. */
static int sym_check(sym_run *run, uint32_t n, char *err, size_t errlen)
{
    if (sym_run_get_status(run) != SYM_RUN_SUCCEEDED) {
        snprintf(err, errlen, "run ended %s", sym_run_status_name(sym_run_get_status(run)));
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        sym_task_result r;
        sym_task_result_init(&r);
        char id[16];
        snprintf(id, sizeof id, "t%u", (unsigned)i);
        if (sym_run_task_result(run, i, &r) != SYM_OK || r.state != SYM_TASK_SUCCEEDED ||
            r.attempts != 1 || strcmp(r.id, id) != 0) {
            snprintf(err, errlen, "task %u (%s) not succeeded once", (unsigned)i, id);
            return -1;
        }
    }
    return 0;
}

static int sym_rep(sym_engine *eng, const bench_graph *g, sym_counts *counts, bench_sample *s,
                   size_t *wf_bytes, char *err, size_t errlen)
{
    sym_error *e = sym_error_new();
    sym_workflow *wf = NULL;
    sym_run *run = NULL;
    if (!e)
        return fail_with(err, errlen, "sym_error_new", SYM_ENOMEM, NULL);
    double t0 = bench_now_ns();
    int ok = sym_build(g, &wf, e, err, errlen);
    double t1 = bench_now_ns();
    if (ok == 0) {
        int rc = sym_run_start(eng, wf, NULL, &run, e);
        if (rc == SYM_OK)
            rc = sym_run_wait(run, (int64_t)CELL_TIMEOUT_S * 1000);
        if (rc != SYM_OK)
            ok = fail_with(err, errlen, "sym_run_start/wait", rc, e);
    }
    double t2 = bench_now_ns();
    s->build_ns = t1 - t0;
    s->run_ns = t2 - t1;
    s->calls = total_calls(counts);
    if (ok == 0)
        ok = sym_check(run, g->n, err, errlen);
    if (wf)
        *wf_bytes = wf->arena.bytes;
    sym_run_free(run);
    sym_workflow_free(wf);
    sym_error_free(e);
    return ok;
}

static int bench_sym(const bench_graph *g, unsigned threads, unsigned reps,
                     bench_sample *samples, size_t *wf_bytes, char *err, size_t errlen)
{
    sym_counts *counts = calloc(1, sizeof *counts);
    if (!counts)
        return fail_with(err, errlen, "calloc", SYM_ENOMEM, NULL);
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = threads;
    sym_engine *eng = NULL;
    int rc = sym_engine_new(&cfg, &eng);
    if (rc == SYM_OK)
        rc = sym_engine_register(eng, "empty", empty_worker, counts, NULL);
    int ok = rc == SYM_OK ? 0 : fail_with(err, errlen, "sym_engine_new/register", rc, NULL);
    for (unsigned r = 0; ok == 0 && r < reps; r++)
        ok = sym_rep(eng, g, counts, &samples[r], wf_bytes, err, errlen);
    sym_engine_free(eng);
    free(counts);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* One cell: a library, a shape, a thread count                              */
/* ------------------------------------------------------------------------ */

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* reps repetitions of lib on g (see bench_graph.h). */
static int lib_reps(const char *lib, const bench_graph *g, unsigned threads, unsigned reps,
                    bench_sample *samples, size_t *wf_bytes, char *err, size_t errlen)
{
    if (strcmp(lib, "sym") == 0)
        return bench_sym(g, threads, reps, samples, wf_bytes, err, errlen);
    if (strcmp(lib, "tbb") == 0)
        return bench_tbb(g, threads, reps, samples, err, errlen);
    return bench_omp(g, threads, reps, samples, err, errlen);
}

/* Prints "ok N BUILD RUN TOTAL RSS_BYTES WF_BYTES" (ns and bytes per task;
 * the figures medians) or "error MESSAGE" to stdout. */
static int run_cell(const char *lib, const char *shape, unsigned threads, unsigned reps,
                    uint32_t n)
{
    graph_buf gb;
    char err[256] = "";
    static bench_sample samples[BENCH_MAX_REPS];
    size_t wf_bytes = 0;
    if (make_graph(shape, n, &gb) != 0) {
        printf("error cannot make the %s graph\n", shape);
        return 1;
    }
    const bench_graph *g = &gb.g;
    long rss0 = peak_rss_kb();
    int rc = 0;
    /* Warm-up, left out of the medians, for each library alike: whole
     * repetitions for at least WARM_UP_NS. The first meets every page and
     * cache cold, and this machine runs slower for a while after it was
     * idle or busy with another process (measured: the first few hundred
     * milliseconds of a cell ran at up to three times its later speed). */
    double warm_until = bench_now_ns() + WARM_UP_NS;
    do {
        rc = lib_reps(lib, g, threads, 1, samples, &wf_bytes, err, sizeof err);
    } while (rc == 0 && samples[0].calls == g->n && bench_now_ns() < warm_until);
    unsigned all = reps + 1; /* samples[0]: the last warm-up */
    if (rc == 0)
        rc = lib_reps(lib, g, threads, reps, samples + 1, &wf_bytes, err, sizeof err);
    long rss1 = peak_rss_kb();
    for (unsigned r = 0; rc == 0 && r < all; r++)
        if (samples[r].calls != g->n) {
            snprintf(err, sizeof err, "repetition %u: %llu task calls for %u tasks", r + 1,
                     (unsigned long long)samples[r].calls, (unsigned)g->n);
            rc = -1;
        }
    if (rc != 0) {
        printf("error %s\n", err);
        free_graph(&gb);
        return 1;
    }
    double b[BENCH_MAX_REPS], x[BENCH_MAX_REPS], t[BENCH_MAX_REPS];
    for (unsigned r = 0; r < reps; r++) {
        b[r] = samples[r + 1].build_ns / g->n;
        x[r] = samples[r + 1].run_ns / g->n;
        t[r] = b[r] + x[r];
    }
    printf("ok %u %.1f %.1f %.1f %.1f %.1f\n", (unsigned)g->n, median(b, reps), median(x, reps),
           median(t, reps), (double)(rss1 - rss0) * 1024.0 / g->n, (double)wf_bytes / g->n);
    free_graph(&gb);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The driver                                                                */
/* ------------------------------------------------------------------------ */

typedef struct cell_result {
    bool ok;
    unsigned n;
    double build, run, total, rss, wf;
    char error[256];
} cell_result;

typedef struct options {
    unsigned threads[MAX_LIST], nthreads;
    unsigned reps;
    uint32_t tasks, omp_fan;
    const char *shapes[MAX_LIST];
    unsigned nshapes;
    bool lib_on[3]; /* sym, tbb, omp */
} options;

static const char *const LIBS[3] = {"sym", "tbb", "omp"};

/* Runs this program again with --cell and reads its result line. */
static void spawn_cell(const char *self, const char *lib, const char *shape, unsigned threads,
                       unsigned reps, uint32_t n, cell_result *out)
{
    char a_threads[16], a_reps[16], a_n[16];
    snprintf(a_threads, sizeof a_threads, "%u", threads);
    snprintf(a_reps, sizeof a_reps, "%u", reps);
    snprintf(a_n, sizeof a_n, "%u", (unsigned)n);
    memset(out, 0, sizeof *out);
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(out->error, sizeof out->error, "pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        alarm(CELL_TIMEOUT_S);
        char *argv[] = {(char *)self, "--cell", (char *)lib, (char *)shape,
                        a_threads,    a_reps,   a_n,         NULL};
        execv(self, argv);
        _exit(127);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        snprintf(out->error, sizeof out->error, "fork: %s", strerror(errno));
        return;
    }
    char line[sizeof out->error] = "";
    FILE *f = fdopen(fd[0], "r");
    if (!f || !fgets(line, sizeof line, f))
        line[0] = '\0';
    if (f)
        fclose(f);
    else
        close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    line[strcspn(line, "\n")] = '\0';
    if (sscanf(line, "ok %u %lf %lf %lf %lf %lf", &out->n, &out->build, &out->run, &out->total,
               &out->rss, &out->wf) == 6)
        out->ok = true;
    else if (strncmp(line, "error ", 6) == 0)
        snprintf(out->error, sizeof out->error, "%s", line + 6);
    else if (WIFSIGNALED(status))
        snprintf(out->error, sizeof out->error, "killed by signal %d%s", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (timed out)" : "");
    else
        snprintf(out->error, sizeof out->error, "no result (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int parse_list(const char *text, const char **items, unsigned *count, char *store,
                      size_t cap)
{
    snprintf(store, cap, "%s", text);
    *count = 0;
    for (char *save = NULL, *tok = strtok_r(store, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*count == MAX_LIST)
            return -1;
        items[(*count)++] = tok;
    }
    return *count ? 0 : -1;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > max)
        return false;
    *out = v;
    return true;
}

static const char *opt_value(int argc, char **argv, const char *flag, const char *env)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return argv[i + 1];
    const char *v = getenv(env);
    return v && *v ? v : NULL;
}

static int parse_options(int argc, char **argv, options *o)
{
    static char shapes_store[256], libs_store[256], threads_store[256];
    const char *v;
    unsigned long x;
    o->reps = 11;
    o->tasks = 1000000;
    o->omp_fan = 10000;
    if ((v = opt_value(argc, argv, "--reps", "SYM_BENCH_REPS"))) {
        if (!parse_uint(v, BENCH_MAX_REPS - 1, &x) || x == 0)
            return fprintf(stderr, "bench: bad repetition count '%s'\n", v), -1;
        o->reps = (unsigned)x;
    }
    if ((v = opt_value(argc, argv, "--tasks", "SYM_BENCH_TASKS"))) {
        if (!parse_uint(v, 100000000, &x) || x < 4)
            return fprintf(stderr, "bench: bad task count '%s'\n", v), -1;
        o->tasks = (uint32_t)x;
    }
    if ((v = opt_value(argc, argv, "--omp-fan", "SYM_BENCH_OMP_FAN"))) {
        if (!parse_uint(v, 100000000, &x) || x < 4)
            return fprintf(stderr, "bench: bad OpenMP fan size '%s'\n", v), -1;
        o->omp_fan = (uint32_t)x;
    }
    v = opt_value(argc, argv, "--shapes", "SYM_BENCH_SHAPES");
    if (parse_list(v ? v : "chain,fan,wave,random", o->shapes, &o->nshapes, shapes_store,
                   sizeof shapes_store) != 0)
        return fprintf(stderr, "bench: bad shape list\n"), -1;
    for (unsigned i = 0; i < o->nshapes; i++)
        if (!known_shape(o->shapes[i]))
            return fprintf(stderr, "bench: unknown shape '%s'\n", o->shapes[i]), -1;
    const char *libs[MAX_LIST];
    unsigned nlibs;
    v = opt_value(argc, argv, "--libs", "SYM_BENCH_LIBS");
    if (parse_list(v ? v : "sym,tbb,omp", libs, &nlibs, libs_store, sizeof libs_store) != 0)
        return fprintf(stderr, "bench: bad library list\n"), -1;
    for (unsigned i = 0; i < nlibs; i++) {
        unsigned k = 0;
        while (k < 3 && strcmp(libs[i], LIBS[k]) != 0)
            k++;
        if (k == 3)
            return fprintf(stderr, "bench: unknown library '%s' (sym, tbb, omp)\n", libs[i]), -1;
        o->lib_on[k] = true;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char defaults[64];
    snprintf(defaults, sizeof defaults, cpus > 2 ? "1,2,%ld" : "1,2", cpus);
    v = opt_value(argc, argv, "--threads", "SYM_BENCH_THREADS");
    const char *items[MAX_LIST];
    if (parse_list(v ? v : defaults, items, &o->nthreads, threads_store,
                   sizeof threads_store) != 0)
        return fprintf(stderr, "bench: bad thread list\n"), -1;
    for (unsigned i = 0; i < o->nthreads; i++) {
        if (!parse_uint(items[i], BENCH_MAX_THREADS, &x))
            return fprintf(stderr, "bench: bad thread count '%s'\n", items[i]), -1;
        o->threads[i] = (unsigned)x;
    }
    return 0;
}

static void print_ns(double v, bool ok)
{
    if (ok)
        printf(" %7.1f", v);
    else
        printf(" %7s", "-");
}

static void print_row(const char *shape, unsigned threads, const cell_result r[3])
{
    printf("%-7s %3u", shape, threads);
    for (int k = 0; k < 3; k++) {
        print_ns(r[k].build, r[k].ok);
        print_ns(r[k].run, r[k].ok);
        print_ns(r[k].total, r[k].ok);
        printf(" |");
    }
    if (r[0].ok && r[1].ok && r[1].total > 0)
        printf(" %6.2f", r[0].total / r[1].total);
    else
        printf(" %6s", "-");
    print_ns(r[0].rss, r[0].ok);
    print_ns(r[0].wf, r[0].ok);
    print_ns(r[1].rss, r[1].ok);
    print_ns(r[2].rss, r[2].ok);
    printf("\n");
    for (int k = 0; k < 3; k++)
        if (!r[k].ok && r[k].error[0])
            printf("        %s: %s\n", LIBS[k], r[k].error);
}

static void print_header(const options *o)
{
    printf("engine benchmark: ns per task with an empty worker, medians of %u repetitions "
           "(after at least 1 s of warm-up repetitions, left out)\n",
           o->reps);
    printf("  sym = libsymphony %s (build: sym_builder_* + build; run: sym_run_start + "
           "wait)\n",
           sym_version());
    printf("  tbb = oneTBB flow graph (build: continue_node per task + make_edge; run: "
           "try_put + wait_for_all)\n");
    printf("  omp = OpenMP tasks with depend clauses, libgomp (build: creating the tasks, "
           "which already run meanwhile;\n"
           "        run: the rest until the team is done - only the total compares)\n");
    printf("  omp fan uses %u tasks, not %u: libgomp's depend(in:) on one shared address is "
           "quadratic\n",
           o->omp_fan, o->tasks);
    printf("  chain %u, fan %u (1 source, %u middle, 1 sink), wave the largest square <= %u, "
           "random %u tasks with 0-3 predecessors among the %d before\n",
           o->tasks, o->tasks, o->tasks - 2, o->tasks, o->tasks, RANDOM_WINDOW);
    printf("  memory (bytes/task): peak RSS growth (sym: builder+workflow+run), and the "
           "compiled workflow alone (wf)\n\n");
    printf("%-7s %3s %-26s| %-26s| %-26s| %6s %7s %7s %7s %7s\n", "", "", "     libsymphony",
           "     oneTBB flow graph", "     OpenMP tasks", "sym/", "sym", "sym", "tbb", "omp");
    printf("%-7s %3s", "shape", "thr");
    for (int k = 0; k < 3; k++)
        printf(" %7s %7s %7s |", "build", "run", "total");
    printf(" %6s %7s %7s %7s %7s\n", "tbb", "rss", "wf", "rss", "rss");
}

static int drive(const char *self, const options *o)
{
    print_header(o);
    double start = bench_now_ns();
    int errors = 0, misses = 0, checked = 0;
    for (unsigned s = 0; s < o->nshapes; s++) {
        for (unsigned t = 0; t < o->nthreads; t++) {
            cell_result r[3];
            for (int k = 0; k < 3; k++) {
                memset(&r[k], 0, sizeof r[k]);
                if (!o->lib_on[k])
                    continue;
                uint32_t n = k == 2 && strcmp(o->shapes[s], "fan") == 0 ? o->omp_fan : o->tasks;
                spawn_cell(self, LIBS[k], o->shapes[s], o->threads[t], o->reps, n, &r[k]);
                errors += !r[k].ok;
            }
            print_row(o->shapes[s], o->threads[t], r);
            if (o->threads[t] <= 2 && r[0].ok) {
                checked++;
                misses += r[0].total >= TARGET_NS || (r[1].ok && r[0].total >= r[1].total);
            }
        }
    }
    printf("\ntargets (1 and 2 threads: libsymphony under %.0f ns/task and below oneTBB): "
           "%d of %d cells met\n",
           TARGET_NS, checked - misses, checked);
    printf("wall time %.1f s%s\n", (bench_now_ns() - start) / 1e9,
           errors ? "; some cells FAILED (see above)" : "");
    return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--cell") == 0) {
        unsigned long threads, reps, n;
        if (argc != 7 || !parse_uint(argv[4], BENCH_MAX_THREADS, &threads) ||
            !parse_uint(argv[5], BENCH_MAX_REPS - 1, &reps) || reps == 0 ||
            !parse_uint(argv[6], 100000000, &n) ||
            !known_shape(argv[3]) ||
            (strcmp(argv[2], "sym") && strcmp(argv[2], "tbb") && strcmp(argv[2], "omp"))) {
            fprintf(stderr, "usage: %s --cell sym|tbb|omp chain|fan|wave|random THREADS REPS "
                            "TASKS\n",
                    argv[0]);
            return 2;
        }
        return run_cell(argv[2], argv[3], (unsigned)threads, (unsigned)reps, (uint32_t)n);
    }
    options o;
    memset(&o, 0, sizeof o);
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    /* The cells run this very program: /proc/self/exe survives a relative
     * argv[0] and a changed directory. */
    const char *self = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv[0];
    return drive(self, &o);
}
