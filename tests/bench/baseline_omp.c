/* baseline_omp.c - the engine benchmark's OpenMP baseline: one explicit task
 * per graph task, ordered by depend clauses on one byte per task (a task
 * writes its own byte, depend(out:), and reads its predecessors' bytes,
 * depend(in:)). Built with gcc -fopenmp (libgomp).
 *
 * OpenMP has no separate build step: one thread creates the tasks while
 * the team already runs them, and libgomp runs tasks in the creating
 * thread once more than 64 per thread are pending. So "build" here is the
 * time to create every task (some of them run meanwhile) and "run" the
 * time from the last creation until the team is done; only their sum
 * compares with the other libraries. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_graph.h"

/* One counter per thread, a cache line apart so counting costs no sharing. */
enum { PAD = 64 / sizeof(uint64_t) };

static inline void count_call(uint64_t *counts)
{
    counts[(size_t)omp_get_thread_num() * PAD]++;
}

/* Creates task i with the depend clause its predecessor count calls for:
 * the common counts (0..3) are spelled out; more (the fan-in's sink) use
 * an iterator over the list. */
static void spawn(const bench_graph *g, uint32_t i, char *slot, uint64_t *counts)
{
    const uint32_t *p = g->preds + g->pred_off[i];
    int k = (int)(g->pred_off[i + 1] - g->pred_off[i]);
    (void)slot; /* gcc 12 misses its use inside depend(iterator(...)) */
    switch (k) {
    case 0:
#pragma omp task depend(out : slot[i])
        count_call(counts);
        break;
    case 1:
#pragma omp task depend(in : slot[p[0]]) depend(out : slot[i])
        count_call(counts);
        break;
    case 2:
#pragma omp task depend(in : slot[p[0]], slot[p[1]]) depend(out : slot[i])
        count_call(counts);
        break;
    case 3:
#pragma omp task depend(in : slot[p[0]], slot[p[1]], slot[p[2]]) depend(out : slot[i])
        count_call(counts);
        break;
    default:
#pragma omp task depend(iterator(j = 0 : k), in : slot[p[j]]) depend(out : slot[i])
        count_call(counts);
        break;
    }
}

static void one_rep(const bench_graph *g, unsigned threads, char *slot, uint64_t *counts,
                    bench_sample *s)
{
    double t0 = 0, t1 = 0;
    memset(counts, 0, sizeof *counts * PAD * threads);
#pragma omp parallel num_threads(threads)
#pragma omp single
    {
        t0 = bench_now_ns();
        for (uint32_t i = 0; i < g->n; i++)
            spawn(g, i, slot, counts);
        t1 = bench_now_ns();
    } /* the barrier here waits for every task */
    double t2 = bench_now_ns();
    s->build_ns = t1 - t0;
    s->run_ns = t2 - t1;
    s->calls = 0;
    for (unsigned t = 0; t < threads; t++)
        s->calls += counts[(size_t)t * PAD];
}

int bench_omp(const bench_graph *g, unsigned threads, unsigned reps, bench_sample *samples,
              char *err, size_t errlen)
{
    char *slot = calloc(g->n ? g->n : 1, 1);
    uint64_t *counts = calloc((size_t)threads * PAD, sizeof *counts);
    if (!slot || !counts) {
        free(slot);
        free(counts);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    omp_set_dynamic(0); /* exactly `threads` threads, as asked */
    for (unsigned r = 0; r < reps; r++)
        one_rep(g, threads, slot, counts, &samples[r]);
    free(slot);
    free(counts);
    return 0;
}
