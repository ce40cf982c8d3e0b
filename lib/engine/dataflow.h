/* dataflow.h - the run side of `${{ }}` expressions: a task's `if` when it
 * becomes ready, its templated `with` values at each attempt, and reads of
 * upstream outputs and states for both. Called by sched.c only when the
 * workflow has data flow (sym_run.df not NULL), so workflows without it
 * pay nothing here. */
#ifndef SYM_DATAFLOW_H
#define SYM_DATAFLOW_H

#include <stdbool.h>

#include "common.h"
#include "engine.h"

/* Evaluates task i's `if` (it must have one): *go tells whether it runs.
 * SYM_OK, or an error code with *msg (owned; NULL when out of memory) the
 * reason, naming the task and the expression's position. */
int sym__dataflow_condition(sym_run *r, uint32_t i, bool *go, char **msg);

/* Task i's inputs for one attempt (it must have templated leaves): a copy
 * of its `with` tree in scratch where each templated string is replaced by
 * its value. *out borrows from scratch, the run and the workflow. Errors as
 * for sym__dataflow_condition. */
int sym__dataflow_inputs(sym_run *r, uint32_t i, arena *scratch, const sym_value **out, char **msg);

/* The run's per-group max_parallel limiters (sym_run.glims), when the
 * workflow has any. SYM_OK or SYM_ENOMEM. */
int sym__dataflow_run_init(sym_run *r);
void sym__dataflow_run_fini(sym_run *r);

/* The max_parallel limiter of task i's group, or NULL. */
static inline limiter *dataflow_group_limiter(const sym_run *r, uint32_t i)
{
    if (!r->glims)
        return NULL;
    uint32_t g = r->df->tasks[i].group;
    return r->df->groups[g].max_parallel ? &r->glims[g] : NULL;
}

#endif
