/* draft.h - a workflow as written, before validation: the YAML schema layer
 * (schema.c) and the builder API (builder.c) both fill a draft, and
 * compile.c turns a draft into a sym_workflow, so files and code get the
 * same checks. Names are kept as text here; compile resolves them. */
#ifndef SYM_DRAFT_H
#define SYM_DRAFT_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "symphony.h"

/* The longest duration a workflow may give (a timeout, a retry delay or
 * cap, a deadline): 876000h, 100 years of 365 days, far below the point
 * where an engine clock in nanoseconds plus a duration overflows. */
#define DRAFT_DURATION_MAX_MS ((int64_t)876000 * 3600 * 1000)

typedef struct draft_pos {
    uint32_t line, column; /* 0 = no position (built in code) */
} draft_pos;

/* A dependency named in `needs` (or by sym_builder_add_dep_id; one by
 * index is a draft_edge). 16 bytes: a big file has one per edge. */
typedef struct draft_need {
    const char *name;
    draft_pos pos;
} draft_need;

struct expr_template;

/* One matrix axis: key with a literal list, or an expression over params
 * that compile evaluates against the param defaults (and again per run
 * whose params change it: sym__workflow_expand_for_params). */
typedef struct draft_axis {
    const char *key;
    const sym_value *values; /* a list, or NULL when expr is set */
    const char *expr;        /* "${{ params.shards }}", or NULL */
    draft_pos pos;
    struct expr_template *tmpl; /* expr parsed (NULL when it did not parse) */
    bool bad;                   /* tmpl failed its checks: not evaluated */
} draft_axis;

/* A string inside a task's `with` tree that holds `${{ }}`: the leaf (by
 * identity, inside draft_task.with) and its parsed template. One flat
 * array per draft, in no particular task order. */
typedef struct draft_input {
    uint32_t task; /* draft index (a builder slot, or tasks[]) */
    draft_pos pos; /* where the string starts */
    const sym_value *leaf;
    struct expr_template *tmpl;
    const char *key; /* the `with` entry it lies in (`shell`), or NULL */
} draft_input;

/* Which policy fields were written (so defaults fill only the others). */
enum {
    DRAFT_SET_TIMEOUT = 1u << 0,
    DRAFT_SET_ATTEMPTS = 1u << 1,
    DRAFT_SET_BACKOFF = 1u << 2,
    DRAFT_SET_DELAY = 1u << 3,
    DRAFT_SET_MAX_DELAY = 1u << 4,
    DRAFT_SET_JITTER = 1u << 5,
    DRAFT_SET_RETRY_ON = 1u << 6,
    DRAFT_SET_TRIGGER = 1u << 7,
    DRAFT_SET_CONTINUE = 1u << 8,
    DRAFT_SET_ALL = (1u << 9) - 1
};

typedef struct draft_task {
    const char *id; /* in the arena */
    draft_pos pos;
    const char *worker; /* NULL when missing */
    draft_pos worker_pos;
    draft_need *needs; /* in the draft's flat store; see sym__draft_add_need */
    uint32_t nneeds, needs_at; /* needs_at: where needs starts in the store */
    const sym_value *with; /* a map in the arena, or NULL */
    const char *condition; /* `if` text, or NULL */
    draft_pos condition_pos;
    struct expr_template *cond; /* condition parsed, or NULL */
    draft_pos max_parallel_pos;
    draft_axis *axes; /* malloc'd; see sym__draft_add_axis */
    uint32_t naxes, axes_cap;
    /* The task's own policy fields (those named in `set`), in the arena;
     * NULL while it sets none, as most tasks do: 8 bytes instead of 48 per
     * record keeps a large file's load under 3x its size. */
    sym_task_policy *policy;
    unsigned set;           /* DRAFT_SET_* */
    unsigned max_parallel;  /* 0 = none (beside set: no padding) */
} draft_task;

/* A task added in code: only its id and worker, until a setter gives it
 * more (a full draft_task then, see draft_full). 16 bytes, so a
 * million-task graph costs 16 MB here instead of 144. */
typedef struct draft_slot {
    const char *id; /* in the arena; first, as ids.h wants */
    const char *worker;
} draft_slot;

#define DRAFT_NONE UINT32_MAX

/* A dependency added by task index in code (sym_builder_add_dep): kept in
 * one flat array for the whole draft so a million-task graph costs no
 * allocation per task. */
typedef struct draft_edge {
    uint32_t task, dep;
} draft_edge;

typedef struct draft_limit {
    const char *worker;
    unsigned concurrency;
    draft_pos pos;
} draft_limit;

struct wf_id;

typedef struct draft {
    arena arena; /* strings and values; adopted by the workflow */
    diag *diag;
    const sym_load_options *opts; /* never NULL after sym__draft_init */
    sym_load_options default_opts;
    const char *source;           /* file or buffer name, in the arena */
    const char *name;             /* NULL when missing */
    draft_pos name_pos;
    const char *description;
    sym_value *params; /* a map in the arena, or NULL */
    unsigned concurrency;
    int64_t deadline_ms;
    bool fail_fast;
    sym_task_policy defaults;
    unsigned defaults_set; /* DRAFT_SET_* */
    draft_limit *limits; /* malloc'd */
    size_t nlimits, limits_cap;
    draft_task *tasks; /* malloc'd, in the order written (with slots: the
                          full records only, see draft_full) */
    size_t ntasks, tasks_cap;
    draft_need *need_store; /* malloc'd: every task's needs, each task's
                               contiguous (tasks[].needs point here) */
    size_t nneed_store, need_store_cap;
    /* Tasks added in code (sym__draft_add_slot): slots[i] is task i, and
     * full[i] the index in tasks of its full record or DRAFT_NONE (full is
     * NULL while no task has one). NULL for drafts from a file. */
    draft_slot *slots;
    uint32_t *full;
    size_t nslots, slots_cap;
    struct wf_id *ids; /* the id index, made by compile (ids.h) */
    /* Dependencies by index (sym__draft_add_edge). While every one is added to
     * the newest task, as a host building in order adds them, they are
     * kept as CSR already: task i's are edge_dep[edge_at[i] .. edge_at[i +
     * 1]) (the last task's end at nedge_dep), which compile takes over as
     * its own. The first one added to an earlier task turns them all into
     * (task, dep) pairs in edges, and edge_at is NULL from then on. */
    uint32_t *edge_at;  /* per slot */
    size_t edge_at_cap;
    uint32_t *edge_dep;
    size_t nedge_dep, edge_dep_cap;
    draft_edge *edges; /* malloc'd pairs, once edge_at is NULL */
    size_t nedges, edges_cap;
    bool edge_pairs;   /* edges hold them all (edge_at is NULL) */
    bool edge_long;    /* some CSR list passed EDGE_SHORT_LIST: may repeat */
    bool from_code;    /* built by sym_builder: errors carry SYM_EINVAL,
                          SYM_EEXIST, SYM_ENOTFOUND instead of SYM_ESCHEMA */
    /* Data flow (dfload.h). has_df: some template, condition, expression
     * axis or max_parallel was added, so compile checks them and builds
     * wf->df; false keeps compile's cost for plain graphs at one test. */
    bool has_df;
    draft_input *inputs; /* malloc'd; see sym__draft_add_input */
    size_t ninputs, inputs_cap;
    /* Set when re-expanding for a run's params (dfload.c): axes evaluate
     * against these instead of the defaults, and the templates (shared
     * with the first workflow) were checked already. */
    const sym_value *expand_params;
    bool prechecked;
} draft;

/* opts may be NULL (defaults); source is copied. */
void sym__draft_init(draft *d, diag *dg, const sym_load_options *opts, const char *source);
/* Frees everything the draft still owns. */
void sym__draft_free(draft *d);
/* A new zeroed task with its id copied into the arena, or NULL (ENOMEM). The
 * pointer is valid until the next sym__draft_add_task. */
draft_task *sym__draft_add_task(draft *d, const char *id, size_t id_len);
int sym__draft_add_need(draft *d, draft_task *t, const draft_need *need);
int sym__draft_add_axis(draft *d, draft_task *t, const draft_axis *axis);
int sym__draft_add_limit(draft *d, const draft_limit *limit);
/* Records a templated `with` leaf of draft task `task` (sets has_df). */
int sym__draft_add_input(draft *d, const draft_input *input);
/* CSR lists shorter than this are checked for repeats as they grow. */
enum { EDGE_SHORT_LIST = 8 };

/* Task index `task` needs task index `dep` (both < draft_count): SYM_OK,
 * SYM_ENOMEM, or SYM_EEXIST when dep is among task's already and that
 * could be told at once (it was not added again); other repeats are left
 * for compile to report. */
int sym__draft_add_edge(draft *d, uint32_t task, uint32_t dep);
/* Moves the CSR dependencies into (task, dep) pairs (see edge_at); SYM_OK
 * or SYM_ENOMEM. */
int sym__draft_edges_to_pairs(draft *d);
/* A task with an id (not copied: the caller's arena string) and a worker
 * only (the builder's way); SYM_OK or SYM_ENOMEM. A draft holds slots or
 * tasks added by sym__draft_add_task, not both. */
int sym__draft_add_slot(draft *d, const char *id, const char *worker);
/* Slot i's full record, made on first need (NULL: out of memory). The
 * pointer is valid until the next sym__draft_slot_full. */
draft_task *sym__draft_slot_full(draft *d, size_t i);

/* Frees every task's needs (compile, once it has resolved them), so that
 * their memory is back before the workflow is laid out. */
void sym__draft_drop_needs(draft *d);

/* How many tasks, either way. */
static inline size_t draft_count(const draft *d)
{
    return d->slots ? d->nslots : d->ntasks;
}
static inline const char *draft_id(const draft *d, size_t i)
{
    return d->slots ? d->slots[i].id : d->tasks[i].id;
}
static inline const char *draft_worker(const draft *d, size_t i)
{
    return d->slots ? d->slots[i].worker : d->tasks[i].worker;
}
/* Task i's full record, or NULL for a slot with nothing but id and worker
 * (every other field as if zero). With slots, its id and worker fields are
 * copies: draft_id and draft_worker are the ones to read. */
static inline const draft_task *draft_full(const draft *d, size_t i)
{
    if (!d->slots)
        return &d->tasks[i];
    return d->full && d->full[i] != DRAFT_NONE ? &d->tasks[d->full[i]] : NULL;
}
/* The array of structs whose first member is each task's id, for ids.h
 * and sym__did_you_mean. */
static inline const void *draft_id_base(const draft *d, size_t *stride)
{
    *stride = d->slots ? sizeof(draft_slot) : sizeof(draft_task);
    return d->slots ? (const void *)d->slots : (const void *)d->tasks;
}

/* Validates the draft (names, ids, references, cycles, limits), merges the
 * defaults, expands matrices and builds the DAG. Every error goes to
 * d->diag. On SYM_OK *out is the new workflow, which has taken over the
 * arena. The draft must still be freed with sym__draft_free either way. */
int sym__draft_compile(draft *d, sym_workflow **out);

#endif
