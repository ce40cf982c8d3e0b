/* draft.c - the draft model's storage: tasks, needs, matrix axes, worker
 * limits and edges by index, grown geometrically so that adding is
 * amortised O(1). */
#include "draft.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"


void sym__draft_init(draft *d, diag *dg, const sym_load_options *opts, const char *source)
{
    memset(d, 0, sizeof *d);
    sym__arena_init(&d->arena);
    d->diag = dg;
    sym_load_options_init(&d->default_opts);
    d->opts = opts ? opts : &d->default_opts;
    sym_task_policy_init(&d->defaults);
    /* A failed copy leaves source NULL; messages then go without it. */
    d->source = source ? sym__arena_strdup(&d->arena, source) : NULL;
}

void sym__draft_free(draft *d)
{
    for (size_t i = 0; i < d->ntasks; i++)
        free(d->tasks[i].axes);
    free(d->tasks);
    free(d->limits);
    sym__mem_big_free(d->edges);
    sym__mem_big_free(d->edge_at);
    sym__mem_big_free(d->edge_dep);
    d->edge_at = d->edge_dep = NULL;
    d->nedge_dep = d->edge_dep_cap = d->edge_at_cap = 0;
    d->edge_pairs = d->edge_long = false;
    free(d->need_store);
    sym__mem_big_free(d->slots);
    free(d->full);
    sym__mem_big_free(d->inputs);
    d->inputs = NULL;
    d->ninputs = d->inputs_cap = 0;
    sym__ids_free(d->ids);
    d->ids = NULL;
    sym__arena_free(&d->arena);
    d->tasks = NULL;
    d->limits = NULL;
    d->edges = NULL;
    d->need_store = NULL;
    d->slots = NULL;
    d->full = NULL;
    d->ntasks = d->tasks_cap = d->nlimits = d->limits_cap = d->nedges = d->edges_cap = 0;
    d->nneed_store = d->need_store_cap = d->nslots = d->slots_cap = 0;
}

/* arr (moved, maybe) with room for element `count` of `size` bytes, *cap
 * updated; NULL when out of memory or past max elements (arr is then
 * untouched). */
static void *grow_slow(void *arr, size_t count, size_t *cap, size_t size, size_t max,
                       bool huge)
{
    if (count >= max)
        return NULL;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > max)
        ncap = max;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *p = huge ? sym__mem_big_realloc(arr, ncap * size) : realloc(arr, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

/* The common case inline: room left. */
static inline void *grow(void *arr, size_t count, size_t *cap, size_t size, size_t max)
{
    return count < *cap ? arr : grow_slow(arr, count, cap, size, max, false);
}

/* The builder's arrays, which reach a million entries and more: their
 * growth asks for huge pages (see sym__mem_big_realloc). */
static inline void *grow_big(void *arr, size_t count, size_t *cap, size_t size, size_t max)
{
    return count < *cap ? arr : grow_slow(arr, count, cap, size, max, true);
}

draft_task *sym__draft_add_task(draft *d, const char *id, size_t id_len)
{
    /* Task indices are uint32_t in the compiled layout. */
    draft_task *tasks = grow(d->tasks, d->ntasks, &d->tasks_cap, sizeof *tasks, UINT32_MAX - 1);
    if (!tasks)
        return NULL;
    d->tasks = tasks;
    char *copy = sym__arena_strndup(&d->arena, id, id_len);
    if (!copy)
        return NULL;
    draft_task *t = &d->tasks[d->ntasks++];
    memset(t, 0, sizeof *t);
    t->id = copy;
    return t;
}

/* Each task's needs are one run in d->need_store. A file adds a task's
 * needs one after the other, so its run is at the end of the store and
 * grows in place; code may add to any task at any time: a run that is not
 * last moves to the end first (its old place is left unused). When the
 * store moves, every task's pointer moves with it. One flat array instead
 * of a malloc per task: a 100,000-task file costs 100,000 fewer blocks. */
int sym__draft_add_need(draft *d, draft_task *t, const draft_need *need)
{
    bool last = t->nneeds > 0 && t->needs_at + t->nneeds == d->nneed_store;
    size_t room = last ? 1 : (size_t)t->nneeds + 1;
    if (d->nneed_store + room > d->need_store_cap) {
        size_t cap = d->need_store_cap ? d->need_store_cap * 2 : 16;
        while (cap < d->nneed_store + room)
            cap *= 2;
        if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof *d->need_store)
            return SYM_ENOMEM;
        draft_need *grown = realloc(d->need_store, cap * sizeof *grown);
        if (!grown)
            return SYM_ENOMEM;
        d->need_store = grown;
        d->need_store_cap = cap;
        for (size_t i = 0; i < d->ntasks; i++)
            if (d->tasks[i].nneeds > 0)
                d->tasks[i].needs = grown + d->tasks[i].needs_at;
    }
    if (!last) {
        if (t->nneeds > 0)
            memcpy(d->need_store + d->nneed_store, t->needs, t->nneeds * sizeof *t->needs);
        t->needs_at = (uint32_t)d->nneed_store;
        d->nneed_store += t->nneeds;
    }
    t->needs = d->need_store + t->needs_at;
    t->needs[t->nneeds++] = *need;
    d->nneed_store++;
    return SYM_OK;
}

int sym__draft_add_axis(draft *d, draft_task *t, const draft_axis *axis)
{
    (void)d;
    size_t cap = t->axes_cap;
    draft_axis *axes = grow(t->axes, t->naxes, &cap, sizeof *axes, UINT32_MAX);
    if (!axes)
        return SYM_ENOMEM;
    t->axes = axes;
    t->axes_cap = (uint32_t)cap;
    t->axes[t->naxes++] = *axis;
    return SYM_OK;
}

int sym__draft_add_limit(draft *d, const draft_limit *limit)
{
    draft_limit *limits = grow(d->limits, d->nlimits, &d->limits_cap, sizeof *limits, UINT32_MAX);
    if (!limits)
        return SYM_ENOMEM;
    d->limits = limits;
    d->limits[d->nlimits++] = *limit;
    return SYM_OK;
}

int sym__draft_add_input(draft *d, const draft_input *input)
{
    /* One per template of a `with`: a big file has millions. */
    draft_input *inputs =
        grow_big(d->inputs, d->ninputs, &d->inputs_cap, sizeof *inputs, UINT32_MAX);
    if (!inputs)
        return SYM_ENOMEM;
    d->inputs = inputs;
    d->inputs[d->ninputs++] = *input;
    d->has_df = true;
    return SYM_OK;
}

int sym__draft_edges_to_pairs(draft *d)
{
    if (d->edge_pairs)
        return SYM_OK;
    draft_edge *pairs = d->nedge_dep ? sym__mem_big_alloc(d->nedge_dep * sizeof *pairs) : NULL;
    if (d->nedge_dep && !pairs)
        return SYM_ENOMEM;
    for (size_t i = 0, e = 0; i < d->nslots; i++) {
        size_t end = i + 1 < d->nslots ? d->edge_at[i + 1] : d->nedge_dep;
        for (; e < end; e++)
            pairs[e] = (draft_edge){(uint32_t)i, d->edge_dep[e]};
    }
    sym__mem_big_free(d->edges);
    d->edges = pairs;
    d->nedges = d->edges_cap = d->nedge_dep;
    sym__mem_big_free(d->edge_at);
    sym__mem_big_free(d->edge_dep);
    d->edge_at = d->edge_dep = NULL;
    d->nedge_dep = d->edge_dep_cap = d->edge_at_cap = 0;
    d->edge_pairs = true;
    return SYM_OK;
}

int sym__draft_add_edge(draft *d, uint32_t task, uint32_t dep)
{
    if (!d->edge_pairs && d->edge_at && task + 1 == d->nslots) {
        /* A short list is checked for the repeat here, where it is in
         * cache; once one grows long, compile checks them all. */
        uint32_t first = d->edge_at[task];
        if (d->nedge_dep - first < EDGE_SHORT_LIST) {
            for (size_t k = first; k < d->nedge_dep; k++)
                if (d->edge_dep[k] == dep)
                    return SYM_EEXIST;
        } else {
            d->edge_long = true;
        }
        uint32_t *deps =
            grow_big(d->edge_dep, d->nedge_dep, &d->edge_dep_cap, sizeof *deps, UINT32_MAX);
        if (!deps)
            return SYM_ENOMEM;
        d->edge_dep = deps;
        d->edge_dep[d->nedge_dep++] = dep;
        return SYM_OK;
    }
    if (sym__draft_edges_to_pairs(d) != SYM_OK)
        return SYM_ENOMEM;
    draft_edge *edges = grow_big(d->edges, d->nedges, &d->edges_cap, sizeof *edges, UINT32_MAX);
    if (!edges)
        return SYM_ENOMEM;
    d->edges = edges;
    d->edges[d->nedges++] = (draft_edge){task, dep};
    return SYM_OK;
}

int sym__draft_add_slot(draft *d, const char *id, const char *worker)
{
    if (d->nslots == d->slots_cap) {
        size_t cap = d->slots_cap;
        draft_slot *slots = grow_big(d->slots, d->nslots, &cap, sizeof *slots, UINT32_MAX - 1);
        if (!slots)
            return SYM_ENOMEM;
        d->slots = slots;
        if (d->full) {
            uint32_t *full = realloc(d->full, cap * sizeof *full);
            if (!full)
                return SYM_ENOMEM; /* slots stays bigger: harmless */
            d->full = full;
        }
        d->slots_cap = cap;
    }
    if (d->full)
        d->full[d->nslots] = DRAFT_NONE;
    if (!d->edge_pairs) {
        uint32_t *at = grow_big(d->edge_at, d->nslots, &d->edge_at_cap, sizeof *at, UINT32_MAX - 1);
        if (!at)
            return SYM_ENOMEM;
        d->edge_at = at;
        d->edge_at[d->nslots] = (uint32_t)d->nedge_dep;
    }
    d->slots[d->nslots++] = (draft_slot){id, worker};
    return SYM_OK;
}

draft_task *sym__draft_slot_full(draft *d, size_t i)
{
    if (!d->full) {
        d->full = malloc((d->slots_cap ? d->slots_cap : 1) * sizeof *d->full);
        if (!d->full)
            return NULL;
        for (size_t k = 0; k < d->nslots; k++)
            d->full[k] = DRAFT_NONE;
    }
    if (d->full[i] != DRAFT_NONE)
        return &d->tasks[d->full[i]];
    draft_task *tasks = grow(d->tasks, d->ntasks, &d->tasks_cap, sizeof *tasks, UINT32_MAX - 1);
    if (!tasks)
        return NULL;
    d->tasks = tasks;
    /* Needs pointers point into the store, not into tasks: nothing moves. */
    draft_task *t = &d->tasks[d->ntasks];
    memset(t, 0, sizeof *t);
    t->id = d->slots[i].id;
    t->worker = d->slots[i].worker;
    d->full[i] = (uint32_t)d->ntasks++;
    return t;
}

void sym__draft_drop_needs(draft *d)
{
    for (size_t i = 0; i < d->ntasks; i++) {
        d->tasks[i].needs = NULL;
        d->tasks[i].nneeds = 0;
    }
    free(d->need_store);
    d->need_store = NULL;
    d->nneed_store = d->need_store_cap = 0;
}
