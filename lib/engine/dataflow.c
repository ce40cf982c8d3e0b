/* dataflow.c - evaluating a run's expressions: `if` conditions, templated
 * inputs, and the env that resolves params, matrix values, run.* and
 * tasks.ID.{outputs,status} for them.
 *
 * Reading another task's outputs needs no lock: expressions may only name
 * upstream tasks (checked at load), which are final before the reader
 * runs. A task's outputs are stored (commit_success, under run->mu) before
 * its final state is published by the state machine's move (end_task in sched.c); the
 * acquire load of that state here makes them visible, and a final task's
 * outputs never change again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataflow.h"
#include "expr.h"
#include "common.h"

typedef struct df_ctx {
    sym_run *r;
    arena *scratch;
    bool oom; /* a list of a matrix's values could not be made */
} df_ctx;

/* Task t's outputs if it succeeded (an empty map when it set none); NULL
 * for a task that has not run or did not succeed. */
static const sym_value *outputs_of(sym_run *r, uint32_t t)
{
    const rtask *rt = &r->rt[t];
    if (atomic_load_explicit(&rt->state, memory_order_acquire) != SYM_TASK_SUCCEEDED)
        return NULL;
    rtask_aux *aux = run_aux(r, t);
    return aux && aux->outputs ? aux->outputs : &sym__engine_empty_map;
}

static void set_static_string(sym_value *v, const char *s)
{
    memset(v, 0, sizeof *v);
    v->type = SYM_VALUE_STRING;
    v->u.s = (char *)s; /* static text, never written through */
    v->n = (uint32_t)strlen(s);
}

/* The value ref asks of one task, into *slot (a shallow copy: it borrows
 * from the run). */
static void one_task_value(sym_run *r, const expr_ref *ref, uint32_t t, sym_value *slot)
{
    if (ref->kind == EXPR_REF_TASK_STATUS) {
        uint8_t st = atomic_load_explicit(&r->rt[t].state, memory_order_acquire);
        set_static_string(slot, sym_task_state_name((sym_task_state)st));
        return;
    }
    const sym_value *outs = outputs_of(r, t);
    const sym_value *v = NULL;
    if (outs)
        v = ref->kind == EXPR_REF_TASK_OUTPUT ? sym_value_get(outs, ref->key) : outs;
    if (v) {
        *slot = *v;
        slot->owned = 0;
    } else {
        sym__value_set_null(slot);
    }
}

/* expr_env.task: ref->index is the group. A single task gives its own
 * value; a matrix gives the list of its instances' values in order. */
static const sym_value *env_task(void *ctx, const expr_ref *ref, sym_value *tmp)
{
    df_ctx *c = ctx;
    sym_run *r = c->r;
    const wf_dataflow *df = r->df;
    if (ref->index == EXPR_NO_INDEX || ref->index >= df->ngroups)
        return NULL;
    const wf_group *g = &df->groups[ref->index];
    if (!g->is_matrix) {
        if (g->ninstances == 0)
            return NULL;
        one_task_value(r, ref, g->instances[0], tmp);
        return tmp;
    }
    sym_value *items = g->ninstances ? sym__arena_alloc(c->scratch, g->ninstances * sizeof *items)
                                     : NULL;
    if (g->ninstances && !items) {
        c->oom = true;
        return NULL;
    }
    for (uint32_t k = 0; k < g->ninstances; k++)
        one_task_value(r, ref, g->instances[k], &items[k]);
    memset(tmp, 0, sizeof *tmp);
    tmp->type = SYM_VALUE_LIST;
    tmp->n = g->ninstances;
    tmp->u.items = items;
    return tmp;
}

static void env_init(expr_env *env, df_ctx *c, sym_run *r, uint32_t i, arena *scratch)
{
    c->r = r;
    c->scratch = scratch;
    c->oom = false;
    memset(env, 0, sizeof *env);
    env->params = r->params;
    env->matrix = wf_task_matrix(r->wf, i);
    env->run_id = r->id;
    env->run_name = r->wf->name;
    env->task = env_task;
    env->ctx = c;
}

static char *fmt_error(sym_run *r, uint32_t i, const char *what, const expr_error *e)
{
    const char *file = r->wf->source ? r->wf->source : "<memory>";
    const char *id = wf_task_id(r->wf, i);
    int n = snprintf(NULL, 0, "task '%s': %s at %s:%u:%u: %s", id, what, file, e->line, e->column,
                     e->message);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        snprintf(s, (size_t)n + 1, "task '%s': %s at %s:%u:%u: %s", id, what, file, e->line,
                 e->column, e->message);
    return s;
}

static int fail_oom(expr_error *e)
{
    memset(e, 0, sizeof *e);
    e->code = SYM_ENOMEM;
    snprintf(e->message, sizeof e->message, "out of memory");
    return SYM_ENOMEM;
}

int sym__dataflow_condition(sym_run *r, uint32_t i, bool *go, char **msg)
{
    *go = false;
    *msg = NULL;
    arena scratch;
    sym__arena_init(&scratch);
    expr_env env;
    df_ctx c;
    env_init(&env, &c, r, i, &scratch);
    expr_error e;
    memset(&e, 0, sizeof e);
    int rc = sym__expr_eval_bool(r->df->tasks[i].condition, &env, &scratch, go, &e);
    if (rc == SYM_OK && c.oom)
        rc = fail_oom(&e);
    sym__arena_free(&scratch);
    if (rc != SYM_OK) {
        *go = false;
        *msg = fmt_error(r, i, "`if`", &e);
    }
    return rc;
}

/* ---- inputs ---- */

typedef struct copy_ctx {
    const wf_task_df *td;
    const sym_value *vals; /* the evaluated leaves, like td->inputs */
    arena *a;
} copy_ctx;

/* Copies src into *dst: containers anew in the arena, leaves shallowly,
 * each templated leaf replaced by its value. */
static int copy_tree(const copy_ctx *c, sym_value *dst, const sym_value *src)
{
    if (src->type == SYM_VALUE_STRING) {
        for (uint32_t k = 0; k < c->td->ninputs; k++)
            if (c->td->inputs[k].leaf == src) {
                *dst = c->vals[k];
                dst->owned = 0;
                return SYM_OK;
            }
    }
    *dst = *src;
    dst->owned = 0;
    dst->room = 0;
    if (src->type == SYM_VALUE_LIST && src->n) {
        sym_value *items = sym__arena_alloc(c->a, src->n * sizeof *items);
        if (!items)
            return SYM_ENOMEM;
        for (uint32_t k = 0; k < src->n; k++)
            if (copy_tree(c, &items[k], &src->u.items[k]) != SYM_OK)
                return SYM_ENOMEM;
        dst->u.items = items;
    } else if (src->type == SYM_VALUE_MAP && src->n) {
        value_entry *ents = sym__arena_alloc(c->a, src->n * sizeof *ents);
        if (!ents)
            return SYM_ENOMEM;
        for (uint32_t k = 0; k < src->n; k++) {
            ents[k].key = src->u.entries[k].key;
            if (copy_tree(c, &ents[k].value, &src->u.entries[k].value) != SYM_OK)
                return SYM_ENOMEM;
        }
        dst->u.entries = ents;
    }
    return SYM_OK;
}

int sym__dataflow_inputs(sym_run *r, uint32_t i, arena *scratch, const sym_value **out, char **msg)
{
    *out = NULL;
    *msg = NULL;
    const wf_task_df *td = &r->df->tasks[i];
    const sym_value *with = wf_task_inputs(r->wf, i);
    sym_value *vals = sym__arena_alloc(scratch, (td->ninputs + 1) * sizeof *vals);
    sym_value *root = vals ? &vals[td->ninputs] : NULL;
    expr_error e;
    memset(&e, 0, sizeof e);
    int rc = vals ? SYM_OK : fail_oom(&e);
    expr_env env;
    df_ctx c;
    env_init(&env, &c, r, i, scratch);
    for (uint32_t k = 0; rc == SYM_OK && k < td->ninputs; k++) {
        rc = sym__expr_eval(td->inputs[k].t, &env, scratch, &vals[k], &e);
        if (rc == SYM_OK && c.oom)
            rc = fail_oom(&e);
    }
    if (rc != SYM_OK) {
        *msg = fmt_error(r, i, "input", &e);
        return rc;
    }
    if (!with) /* nothing to copy into (a contract slip): leave inputs empty */
        return SYM_OK;
    copy_ctx cc = {td, vals, scratch};
    if (copy_tree(&cc, root, with) != SYM_OK) {
        *msg = strdup("out of memory");
        return SYM_ENOMEM;
    }
    *out = root;
    return SYM_OK;
}

/* ---- max_parallel ---- */

int sym__dataflow_run_init(sym_run *r)
{
    const wf_dataflow *df = r->df;
    if (!df || !df->has_max_parallel || df->ngroups == 0)
        return SYM_OK;
    r->glims = calloc(df->ngroups, sizeof *r->glims);
    if (!r->glims)
        return SYM_ENOMEM;
    for (uint32_t g = 0; g < df->ngroups; g++)
        if (df->groups[g].max_parallel)
            sym__limiter_init(&r->glims[g], df->groups[g].max_parallel);
    r->has_limits = true;
    return SYM_OK;
}

void sym__dataflow_run_fini(sym_run *r)
{
    if (!r->glims)
        return;
    for (uint32_t g = 0; g < r->df->ngroups; g++)
        if (r->df->groups[g].max_parallel)
            sym__limiter_destroy(&r->glims[g]);
    free(r->glims);
    r->glims = NULL;
}
