// baseline_tbb.cpp - the engine benchmark's oneTBB baseline: a flow graph
// with one continue_node per task and one make_edge per dependency, run in
// a task_arena of the asked thread count. "build" is constructing the nodes
// and edges, "run" is putting a message into every source node and waiting
// for the graph, as for libsymphony's build and run.
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <deque>
#include <exception>
#include <vector>

#include "bench_graph.h"

namespace {

using tbb::flow::continue_msg;
using node_t = tbb::flow::continue_node<continue_msg>;

// One counter per arena slot, a cache line apart.
struct alignas(64) padded_count {
    uint64_t n = 0;
};

struct body {
    padded_count *counts;
    continue_msg operator()(const continue_msg &) const
    {
        counts[tbb::this_task_arena::current_thread_index()].n++;
        return continue_msg();
    }
};

void one_rep(const bench_graph *g, padded_count *counts, unsigned threads, bench_sample *s)
{
    for (unsigned t = 0; t < threads; t++)
        counts[t].n = 0;
    tbb::flow::graph fg;
    // deque: nodes never move once made, and emplace needs no copy.
    std::deque<node_t> nodes;
    double t0 = bench_now_ns();
    for (uint32_t i = 0; i < g->n; i++) {
        nodes.emplace_back(fg, body{counts});
        for (uint32_t e = g->pred_off[i]; e < g->pred_off[i + 1]; e++)
            tbb::flow::make_edge(nodes[g->preds[e]], nodes[i]);
    }
    double t1 = bench_now_ns();
    for (uint32_t i = 0; i < g->n; i++)
        if (g->pred_off[i] == g->pred_off[i + 1])
            nodes[i].try_put(continue_msg());
    fg.wait_for_all();
    double t2 = bench_now_ns();
    s->build_ns = t1 - t0;
    s->run_ns = t2 - t1;
    s->calls = 0;
    for (unsigned t = 0; t < threads; t++)
        s->calls += counts[t].n;
}

} // namespace

extern "C" int bench_tbb(const bench_graph *g, unsigned threads, unsigned reps,
                         bench_sample *samples, char *err, size_t errlen)
{
    try {
        // Lets the arena have `threads` threads even past the CPU count,
        // as the other libraries do when asked.
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
        tbb::task_arena arena(static_cast<int>(threads));
        std::vector<padded_count> counts(threads);
        for (unsigned r = 0; r < reps; r++)
            arena.execute([&] { one_rep(g, counts.data(), threads, &samples[r]); });
        return 0;
    } catch (const std::exception &e) {
        std::snprintf(err, errlen, "%s", e.what());
        return -1;
    }
}
