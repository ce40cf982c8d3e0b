/* bench_graph.h - what the engine benchmark's three sides share: the task
 * graph (generated once, in C, so every library runs the same edges) and
 * one entry point per library that builds and runs it `reps` times.
 * Plain C, so baseline_tbb.cpp includes it too. */
#ifndef BENCH_GRAPH_H
#define BENCH_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tasks 0..n-1 in a topological order: task i's predecessors are
 * preds[pred_off[i] .. pred_off[i+1]), all below i and distinct. */
typedef struct bench_graph {
    uint32_t n;
    const uint32_t *pred_off; /* n + 1 entries */
    const uint32_t *preds;    /* pred_off[n] entries */
} bench_graph;

/* One repetition: build (construct the library's graph) and run (execute it
 * until every task is done) in nanoseconds, and how many times the empty
 * task body was called. */
typedef struct bench_sample {
    double build_ns;
    double run_ns;
    uint64_t calls;
} bench_sample;

/* The most repetitions and threads a cell may ask for. */
#define BENCH_MAX_REPS 64
#define BENCH_MAX_THREADS 256

/* Each builds and runs g `reps` times on `threads` threads, filling
 * samples[0..reps). 0 on success; otherwise -1 with a message in
 * err[0..errlen). The task bodies only count their calls. */
int bench_tbb(const bench_graph *g, unsigned threads, unsigned reps, bench_sample *samples,
              char *err, size_t errlen);
int bench_omp(const bench_graph *g, unsigned threads, unsigned reps, bench_sample *samples,
              char *err, size_t errlen);

/* The monotonic clock in nanoseconds (bench_engine.c). */
double bench_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif
