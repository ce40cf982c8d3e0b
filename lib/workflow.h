/* workflow.h - the layout of a compiled sym_workflow, shared by the modules
 * that read it (the engine, exports). Built only by draft_compile; read-only
 * afterwards, so any thread may read it without locks. */
#ifndef SYM_WORKFLOW_H
#define SYM_WORKFLOW_H

#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "symphony.h"

typedef struct wf_task {
    const char *id;                /* "transform[shard=1]" */
    const char *name;              /* "transform" (== id when no matrix) */
    const sym_value *inputs;       /* `with` map, or NULL */
    const sym_value *matrix;       /* this instance's values (map), or NULL */
    const char *condition;         /* `if` text, or NULL */
    const sym_task_policy *policy; /* shared between tasks with equal policies */
    uint32_t worker;               /* index into sym_workflow.workers */
    uint32_t dep_begin, dep_count; /* range in sym_workflow.deps */
    uint32_t succ_begin, succ_count; /* range in sym_workflow.succs */
    uint32_t line, column;         /* 0 when built in code */
} wf_task;

typedef struct wf_limit {
    const char *worker;
    unsigned concurrency;
} wf_limit;

struct wf_id; /* the id index, private to ids.c (keys: tasks[i].id) */

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
    wf_task *tasks; /* in topological order */
    uint32_t ntasks;
    uint32_t *deps;  /* flat predecessor lists (task indices) */
    uint32_t *succs; /* flat successor lists */
    uint32_t nedges;
    /* The tasks without dependencies, ascending, for the engine's run start
     * (no scan over every task); NULL when compile did not list them, and
     * the engine then scans. */
    const uint32_t *roots;
    uint32_t nroots;
    struct wf_id *ids; /* id -> index */
};

/* Takes one more reference (a run holds one while it lives). */
void workflow_retain(sym_workflow *wf);
/* Drops one reference; frees at zero. sym_workflow_free is this. */
void workflow_release(sym_workflow *wf);

#endif
