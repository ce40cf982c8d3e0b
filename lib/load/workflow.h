/* workflow.h - the layout of a compiled sym_workflow, shared by the modules
 * that read it (the engine, exports). Built only by sym__draft_compile; read-only
 * afterwards, so any thread may read it without locks.
 *
 * This is what lib/load offers the folder above it (lib/engine): the
 * compiled workflow, its references and sym__workflow_expand_for_params. The
 * rest of lib/load (reader, schema, draft, compile, builder, export) is
 * its own. */
#ifndef SYM_WORKFLOW_H
#define SYM_WORKFLOW_H

#include <stdatomic.h>
#include <stdint.h>

#include "common.h"
#include "symphony.h"

/* 64 bytes: the tasks array is aligned to a cache line (see compile.c), so
 * reading a task costs one line (the engine's common path reads wf_hot
 * instead). Successor counts: wf_succ_count; positions are in
 * sym_workflow.pos. */
typedef struct wf_task {
    const char *id;                /* "transform[shard=1]" */
    const char *name;              /* "transform" (== id when no matrix) */
    const sym_value *inputs;       /* `with` map, or NULL */
    const sym_value *matrix;       /* this instance's values (map), or NULL */
    const char *condition;         /* `if` text, or NULL */
    const sym_task_policy *policy; /* shared between tasks with equal policies */
    uint32_t worker;               /* index into sym_workflow.workers */
    uint32_t dep_begin, dep_count; /* range in sym_workflow.deps */
    uint32_t succ_begin;           /* successors in sym_workflow.succs, in order */
} wf_task;

/* What the engine's hot path reads of a task, apart from wf_task: four to
 * a cache line, so the successors a finished task updates (a random DAG's
 * lie up to a thousand tasks apart) are found in a few lines that stay in
 * cache, and a task without a timeout or a failure trigger is run without
 * its wf_task being read at all. Copies of wf_task fields, written by
 * compile; sym_workflow.hot has ntasks + 1 entries, the last holding only
 * succ_begin = nedges. */
typedef struct wf_hot {
    uint32_t succ_begin; /* == the wf_task's; the next entry's ends the list */
    uint32_t dep_count;  /* == the wf_task's */
    uint32_t worker;     /* == the wf_task's */
    uint32_t flags;      /* WF_HOT_* from the task's policy */
} wf_hot;

enum {
    WF_HOT_TIMEOUT = 1u << 0,    /* policy timeout_ms > 0 */
    WF_HOT_ON_FAILURE = 1u << 1, /* trigger all_failed or one_failed */
};

/* A task's place in its file. */
typedef struct wf_pos {
    uint32_t line, column;
} wf_pos;

typedef struct wf_limit {
    const char *worker;
    unsigned concurrency;
} wf_limit;

struct wf_id; /* the id index, private to ids.c (keys: tasks[i].id) */
struct expr_template;

/* ---- data flow --------------------------------------------------------
 * What the `${{ }}` expressions, `if` conditions, matrix groups and
 * max_parallel of a workflow need at run time. Kept out of wf_task so the
 * engine's hot path stays as small as it is: sym_workflow.df is NULL for a
 * workflow that uses none of it, and then costs one pointer test. */

/* A string inside a task's `with` tree that holds `${{ }}`: at dispatch the
 * evaluated value replaces that leaf (found by identity) in a copy. */
typedef struct wf_input_tmpl {
    const sym_value *leaf;          /* the string in wf_task.inputs */
    const struct expr_template *t;  /* parsed and checked at load */
} wf_input_tmpl;

/* A task as written: one instance, or every instance of a matrix. `tasks.ID`
 * in an expression names a group (expr_ref.index is the group index). */
typedef struct wf_group {
    const char *name;           /* the task's key in the file */
    const uint32_t *instances;  /* task indices, in instance order */
    uint32_t ninstances;
    bool is_matrix;             /* outputs read from outside: a list, one per instance */
    unsigned max_parallel;      /* instances of one run in flight; 0 = no limit */
} wf_group;

typedef struct wf_task_df {
    uint32_t group;                       /* index into wf_dataflow.groups */
    const struct expr_template *condition; /* `if`; NULL when none */
    const wf_input_tmpl *inputs;          /* templated `with` strings */
    uint32_t ninputs;
} wf_task_df;

/* A matrix axis given by an expression over params (`${{ params.shards }}`):
 * the workflow is expanded with the param defaults; a run whose params
 * change an axis gets a workflow expanded for its own values (see
 * sym__workflow_expand_for_params). */
typedef struct wf_dataflow {
    wf_task_df *tasks; /* per task, indexed like sym_workflow.tasks */
    wf_group *groups;
    uint32_t ngroups;
    bool has_param_matrix;   /* some axis is an expression over params */
    bool has_max_parallel;   /* some group has max_parallel */
    void *expand_source;     /* what compile keeps to re-expand; private to compile.c */
} wf_dataflow;

struct sym_workflow {
    atomic_uint refs; /* the host's reference + one per run */
    arena arena;      /* everything below lives here */
    const char *name;
    const char *description; /* NULL when none */
    const char *source;
    const sym_value *params; /* a map, never NULL */
    unsigned concurrency;    /* 0 = no limit */
    int64_t deadline_ms;     /* 0 = none */
    bool fail_fast;
    wf_limit *limits;
    uint32_t nlimits;
    const char **workers; /* distinct worker names, in first-use order */
    uint32_t nworkers;
    wf_task *tasks; /* in topological order; NULL in a compact workflow */
    wf_hot *hot;    /* ntasks + 1, malloc'd; see wf_hot */
    /* Task i's id is the first member of the struct at id_base + i *
     * id_stride: wf->tasks, or in a compact workflow the builder's slots.
     * Read a task through the wf_task_* accessors below, never tasks[i]. */
    const void *id_base;
    size_t id_stride;
    /* A compact workflow is one built in code whose tasks have nothing but
     * an id, a worker and dependencies (no inputs, condition, matrix or
     * policy of their own): it keeps no wf_task records, which a million
     * such tasks would otherwise spend 64 MB on. Every task's policy is
     * policy0, task i's dependencies start at dep_at[i] (n + 1 entries),
     * and the ids stay in the builder's slots (slots_block). NULL fields
     * in any other workflow. */
    const sym_task_policy *policy0;
    uint32_t *dep_at;  /* malloc'd */
    void *slots_block; /* malloc'd */
    uint32_t ntasks;
    wf_pos *pos;    /* per task, malloc'd; NULL when built in code (every one 0) */
    uint32_t *deps;  /* flat predecessor lists (task indices) */
    uint32_t *succs; /* flat successor lists */
    uint32_t nedges;
    struct wf_id *ids; /* id -> index */
    void *deps_block;  /* malloc'd block deps lives in when not in the arena
                          (compile hands its dependency lists over), or NULL */
    void *tasks_block; /* malloc'd block tasks lives in when not in the arena
                          (compile lays a file's tasks out over its draft
                          records), freed with the workflow; or NULL */
    const wf_dataflow *df; /* NULL: no expressions, conditions, groups to read */
};

/* ---- reading a task (any workflow, compact or not) ---- */

static inline const char *wf_task_id(const sym_workflow *wf, uint32_t i)
{
    return *(const char *const *)(const void *)((const char *)wf->id_base +
                                                 (size_t)i * wf->id_stride);
}
/* The task's key in the file ("transform" for "transform[shard=1]"). */
static inline const char *wf_task_name(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].name : wf_task_id(wf, i);
}
static inline const sym_value *wf_task_inputs(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].inputs : NULL;
}
static inline const sym_value *wf_task_matrix(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].matrix : NULL;
}
static inline const char *wf_task_condition(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].condition : NULL;
}
/* Never NULL in a compiled workflow. */
static inline const sym_task_policy *wf_task_policy(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].policy : wf->policy0;
}
static inline uint32_t wf_task_worker(const sym_workflow *wf, uint32_t i)
{
    return wf->hot[i].worker;
}
/* Dependencies of task i: wf->deps[wf_dep_begin .. + wf_dep_count). */
static inline uint32_t wf_dep_begin(const sym_workflow *wf, uint32_t i)
{
    return wf->tasks ? wf->tasks[i].dep_begin : wf->dep_at[i];
}
static inline uint32_t wf_dep_count(const sym_workflow *wf, uint32_t i)
{
    return wf->hot[i].dep_count;
}
/* Successors of task i: wf->succs[wf_succ_begin .. + wf_succ_count). */
static inline uint32_t wf_succ_begin(const sym_workflow *wf, uint32_t i)
{
    return wf->hot[i].succ_begin;
}

/* How many successors task i has. */
static inline uint32_t wf_succ_count(const sym_workflow *wf, uint32_t i)
{
    return wf->hot[i + 1].succ_begin - wf->hot[i].succ_begin;
}

/* Takes one more reference (a run holds one while it lives). */
void sym__workflow_retain(sym_workflow *wf);
/* Drops one reference; frees at zero. sym_workflow_free is this. */
void sym__workflow_release(sym_workflow *wf);

/* For a run: when wf has matrix axes over params and the run's params
 * (defaults merged with overrides, a map) give an axis other values than
 * the defaults did, *out is a new workflow expanded for those params (free
 * with sym__workflow_release); otherwise *out is NULL and the run uses wf. Errors
 * (an axis that is not a list, past max_matrix...) go to err without a
 * file position, and nothing is made. */
int sym__workflow_expand_for_params(const sym_workflow *wf, const sym_value *params,
                                    sym_workflow **out, sym_error *err);

#endif
