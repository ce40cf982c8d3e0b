/* draft.c - the draft model's storage: tasks, needs, matrix axes, worker
 * limits and edges by index, grown geometrically so that adding is
 * amortised O(1). */
#include "draft.h"

#include <stdlib.h>
#include <string.h>

#include "ids.h"

void draft_init(draft *d, diag *dg, const sym_load_options *opts, const char *source)
{
    memset(d, 0, sizeof *d);
    arena_init(&d->arena);
    d->diag = dg;
    sym_load_options_init(&d->default_opts);
    d->opts = opts ? opts : &d->default_opts;
    sym_task_policy_init(&d->defaults);
    /* A failed copy leaves source NULL; messages then go without it. */
    d->source = source ? arena_strdup(&d->arena, source) : NULL;
}

void draft_free(draft *d)
{
    for (size_t i = 0; i < d->ntasks; i++) {
        free(d->tasks[i].needs);
        free(d->tasks[i].axes);
    }
    free(d->tasks);
    free(d->limits);
    free(d->edges);
    ids_free(d->ids);
    d->ids = NULL;
    arena_free(&d->arena);
    d->tasks = NULL;
    d->limits = NULL;
    d->edges = NULL;
    d->ntasks = d->tasks_cap = d->nlimits = d->limits_cap = d->nedges = d->edges_cap = 0;
}

/* arr (moved, maybe) with room for element `count` of `size` bytes, *cap
 * updated; NULL when out of memory or past max elements (arr is then
 * untouched). */
static void *grow(void *arr, size_t count, size_t *cap, size_t size, size_t max)
{
    if (count < *cap)
        return arr;
    if (count >= max)
        return NULL;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > max)
        ncap = max;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *p = realloc(arr, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

draft_task *draft_add_task(draft *d, const char *id, size_t id_len)
{
    /* Task indices are uint32_t in the compiled layout. */
    draft_task *tasks = grow(d->tasks, d->ntasks, &d->tasks_cap, sizeof *tasks, UINT32_MAX - 1);
    if (!tasks)
        return NULL;
    d->tasks = tasks;
    char *copy = arena_strndup(&d->arena, id, id_len);
    if (!copy)
        return NULL;
    draft_task *t = &d->tasks[d->ntasks++];
    memset(t, 0, sizeof *t);
    t->id = copy;
    sym_task_policy_init(&t->policy);
    return t;
}

int draft_add_need(draft *d, draft_task *t, const draft_need *need)
{
    (void)d;
    size_t cap = t->needs_cap;
    draft_need *needs = grow(t->needs, t->nneeds, &cap, sizeof *needs, UINT32_MAX);
    if (!needs)
        return SYM_ENOMEM;
    t->needs = needs;
    t->needs_cap = (uint32_t)cap;
    t->needs[t->nneeds++] = *need;
    return SYM_OK;
}

int draft_add_axis(draft *d, draft_task *t, const draft_axis *axis)
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

int draft_add_limit(draft *d, const draft_limit *limit)
{
    draft_limit *limits = grow(d->limits, d->nlimits, &d->limits_cap, sizeof *limits, UINT32_MAX);
    if (!limits)
        return SYM_ENOMEM;
    d->limits = limits;
    d->limits[d->nlimits++] = *limit;
    return SYM_OK;
}

int draft_add_edge(draft *d, uint32_t task, uint32_t dep)
{
    draft_edge *edges = grow(d->edges, d->nedges, &d->edges_cap, sizeof *edges, UINT32_MAX);
    if (!edges)
        return SYM_ENOMEM;
    d->edges = edges;
    d->edges[d->nedges++] = (draft_edge){task, dep};
    return SYM_OK;
}
