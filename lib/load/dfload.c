/* dfload.c - the load side of data flow (see dfload.h): templates parsed
 * into the draft, their static checks, matrix axes from params, the
 * layout of sym_workflow.df, and re-expansion for a run's params.
 *
 * Nothing here runs for a workflow without templates, conditions, param
 * axes or max_parallel: compile tests draft.has_df once. Where it runs,
 * the cost follows the templates, not the tasks: the upstream rule looks
 * at a task's direct dependencies first and walks its ancestors only for
 * a reference further up (once per referring task). */
#include "dfload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- parsing ------------------------------------------------------------ */

int sym__dfl_parse_condition(arena *a, const char *s, size_t n, uint32_t line, uint32_t column,
                             diag *dg, expr_template **out)
{
    *out = NULL;
    if (sym__expr_has_template(s, n))
        return sym__expr_template_parse(s, n, line, column, a, dg, out);
    /* GitHub-Actions style: the whole string is one expression. It is
     * parsed inside "${{ " ... " }}", shifted so positions stay exact. */
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '}' && s[i + 1] == '}') {
            sym__diag_add(dg, SYM_ESCHEMA, line, column,
                          "an 'if' without ${{ }} is one expression and cannot hold '}}'");
            return SYM_ESCHEMA;
        }
    char *buf = malloc(n + 8);
    if (!buf)
        return SYM_ENOMEM;
    memcpy(buf, "${{ ", 4);
    memcpy(buf + 4, s, n);
    memcpy(buf + 4 + n, " }}", 3);
    int rc = sym__expr_template_parse(buf, n + 7, line, column > 4 ? column - 4 : 1, a, dg, out);
    free(buf);
    return rc;
}

typedef struct wframe {
    const sym_value *v;
    uint32_t next;
} wframe;

static int add_leaf(draft *d, uint32_t task, const char *key, const sym_value *leaf,
                    dfl_pos_fn pos, void *ctx, diag *dg, bool *bad)
{
    uint32_t line = 1, column = 1;
    if (pos)
        pos(ctx, leaf, &line, &column);
    expr_template *t;
    int rc = sym__expr_template_parse_kept(leaf->u.s, leaf->n, line, column, &d->arena, dg, &t);
    if (rc == SYM_ENOMEM)
        return rc;
    if (rc != SYM_OK) {
        *bad = true;
        return SYM_OK;
    }
    draft_input in = {task, {line, column}, leaf, t, key};
    return sym__draft_add_input(d, &in);
}

int sym__dfl_scan_with(draft *d, uint32_t task, const sym_value *with, dfl_pos_fn pos, void *ctx,
                       diag *dg, bool *bad)
{
    if (!with)
        return SYM_OK;
    if (with->type == SYM_VALUE_STRING)
        return sym__expr_has_template(with->u.s, with->n)
                   ? add_leaf(d, task, NULL, with, pos, ctx, dg, bad)
                   : SYM_OK;
    if (with->type != SYM_VALUE_LIST && with->type != SYM_VALUE_MAP)
        return SYM_OK;
    /* An explicit stack: no input nests deep enough to hurt the C stack. */
    size_t sp = 0, cap = 16;
    wframe *stack = malloc(cap * sizeof *stack);
    if (!stack)
        return SYM_ENOMEM;
    stack[sp++] = (wframe){with, 0};
    int rc = SYM_OK;
    while (sp > 0 && rc == SYM_OK) {
        wframe *f = &stack[sp - 1];
        if (f->next >= f->v->n) {
            sp--;
            continue;
        }
        const sym_value *c = f->v->type == SYM_VALUE_LIST ? &f->v->u.items[f->next]
                                                          : &f->v->u.entries[f->next].value;
        f->next++;
        if ((c->type == SYM_VALUE_LIST || c->type == SYM_VALUE_MAP) && c->n > 0) {
            if (sp == cap) {
                wframe *grown = realloc(stack, 2 * cap * sizeof *grown);
                if (!grown) {
                    rc = SYM_ENOMEM;
                    break;
                }
                stack = grown;
                cap *= 2;
            }
            stack[sp++] = (wframe){c, 0};
        } else if (c->type == SYM_VALUE_STRING && sym__expr_has_template(c->u.s, c->n)) {
            /* The entry of `with` the leaf lies in: the bottom frame's. */
            const char *key = with->type == SYM_VALUE_MAP
                                  ? with->u.entries[stack[0].next - 1].key
                                  : NULL;
            rc = add_leaf(d, task, key, c, pos, ctx, dg, bad);
        }
    }
    free(stack);
    return rc;
}

/* ---- reports ------------------------------------------------------------ */

static void note(int *first, int code)
{
    if (*first == SYM_OK)
        *first = code;
}

static void report(draft *d, int *first, int code, draft_pos pos, const char *fmt, ...)
    SYM_PRINTF(5, 6);

static void report(draft *d, int *first, int code, draft_pos pos, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    note(first, code);
    if (d->diag)
        sym__diag_add(d->diag, code, pos.line, pos.column, "%s", msg);
}

/* A builder's template was parsed at 1:1 of its own string: its errors
 * say which string and where inside it, with the builder's codes. */
static void relay(draft *d, const sym_error *tmp, const char *what, int *first)
{
    for (size_t i = 0; i < tmp->count; i++) {
        const error_entry *e = &tmp->entries[i];
        int code = e->code == SYM_ESCHEMA ? SYM_EINVAL : e->code;
        char where[64];
        sym__error_where_in_string(e, where, sizeof where);
        report(d, first, code, (draft_pos){0, 0}, "%s: %s%s", what, e->message, where);
    }
}

/* sym__expr_check into d's diag (a file) or relayed (the builder). */
static int check_one(draft *d, expr_template *t, const expr_scope *sc, const char *what,
                     int *first)
{
    if (!d->from_code) {
        int rc = sym__expr_check(t, sc, d->diag);
        if (rc != SYM_OK)
            note(first, rc);
        return rc;
    }
    sym_error *tmp = sym_error_new();
    if (!tmp)
        return SYM_ENOMEM;
    diag td;
    sym__diag_init(&td, tmp, NULL, 0);
    int rc = sym__expr_check(t, sc, &td);
    relay(d, tmp, what, first);
    sym_error_free(tmp);
    return rc;
}

/* ---- static checks ------------------------------------------------------ */

/* True for a template in the `shell` input of an `exec` task: exec hands
 * that text to /bin/sh -c, so a value put into it (a param, an upstream
 * output) would run as shell code. Values reach a script safely through
 * `env`. The rule goes by the worker's name: it is exec's input format. */
static bool in_exec_shell(const draft *d, const draft_input *in)
{
    const char *worker = draft_worker(d, in->task);
    return in->key && strcmp(in->key, "shell") == 0 && worker && strcmp(worker, "exec") == 0;
}

/* The upstream rule for one referring task at a time. */
typedef struct upstream {
    draft *d;
    uint32_t n, self;
    const uint32_t *dbeg, *dcnt, *ddep;
    uint32_t *mark;  /* n: self + 1 on each ancestor of self, once walked */
    uint32_t *stack; /* n + 1 */
    bool walked;
    bool nomem;
} upstream;

static void walk_ancestors(upstream *u)
{
    u->walked = true;
    if (!u->mark) {
        u->mark = calloc(u->n ? u->n : 1, sizeof *u->mark);
        u->stack = malloc(((size_t)u->n + 1) * sizeof *u->stack);
        if (!u->mark || !u->stack) {
            u->nomem = true;
            return;
        }
    }
    uint32_t stamp = u->self + 1, sp = 0;
    u->stack[sp++] = u->self;
    while (sp > 0) {
        uint32_t x = u->stack[--sp];
        for (uint32_t k = u->dbeg[x], end = k + u->dcnt[x]; k < end; k++) {
            uint32_t y = u->ddep[k];
            if (u->mark[y] != stamp) {
                u->mark[y] = stamp;
                u->stack[sp++] = y;
            }
        }
    }
}

static expr_task_rel task_rel(void *ctx, const char *id, uint32_t *index)
{
    upstream *u = ctx;
    size_t stride;
    const void *base = draft_id_base(u->d, &stride);
    uint32_t j = sym__ids_find(u->d->ids, id, strlen(id), base, stride);
    if (j == IDS_NONE || j >= u->n)
        return EXPR_TASK_UNKNOWN;
    *index = j; /* the group: draft task j */
    if (j == u->self)
        return EXPR_TASK_NOT_UPSTREAM;
    for (uint32_t k = u->dbeg[u->self], end = k + u->dcnt[u->self]; k < end; k++)
        if (u->ddep[k] == j)
            return EXPR_TASK_UPSTREAM;
    if (!u->walked)
        walk_ancestors(u);
    if (u->nomem)
        return EXPR_TASK_UNKNOWN;
    return u->mark[j] == u->self + 1 ? EXPR_TASK_UPSTREAM : EXPR_TASK_NOT_UPSTREAM;
}

static const draft_task no_task;

static void set_self(upstream *u, expr_scope *sc, uint32_t i)
{
    if (u->self == i && sc->self)
        return;
    const draft_task *t = draft_full(u->d, i);
    if (!t)
        t = &no_task;
    u->self = i;
    u->walked = false;
    sc->self = draft_id(u->d, i);
    sc->matrix_keys = t->axes;
    sc->nmatrix = t->naxes;
    sc->matrix_stride = sizeof(draft_axis);
}

static const char *ref_text(const expr_ref *r, char *buf, size_t cap)
{
    switch (r->kind) {
    case EXPR_REF_MATRIX: snprintf(buf, cap, "matrix.%s", r->name); break;
    case EXPR_REF_RUN_ID: snprintf(buf, cap, "run.id"); break;
    case EXPR_REF_RUN_NAME: snprintf(buf, cap, "run.name"); break;
    default: snprintf(buf, cap, "tasks.%s", r->name ? r->name : "?"); break;
    }
    return buf;
}

/* An axis is expanded before the run starts: it may read params only. */
static int check_axis(draft *d, uint32_t i, draft_axis *ax, const expr_scope *params_only,
                      int *first)
{
    const char *id = draft_id(d, i);
    const expr_ref *refs;
    size_t nrefs = sym__expr_template_refs(ax->tmpl, &refs);
    for (size_t k = 0; k < nrefs; k++) {
        if (refs[k].kind == EXPR_REF_PARAM)
            continue;
        char buf[96];
        draft_pos pos = d->from_code ? (draft_pos){0, 0}
                                     : (draft_pos){refs[k].line, refs[k].column};
        report(d, first, d->from_code ? SYM_EINVAL : SYM_ESCHEMA, pos,
               "matrix axis '%s' of task '%s' may read only params (it is expanded before "
               "the run starts), not %s",
               ax->key, id, ref_text(&refs[k], buf, sizeof buf));
        ax->bad = true;
    }
    if (ax->bad)
        return SYM_OK;
    char what[160];
    snprintf(what, sizeof what, "matrix axis '%s' of task '%s'", ax->key, id);
    int rc = check_one(d, ax->tmpl, params_only, what, first);
    if (rc == SYM_ENOMEM)
        return rc;
    ax->bad = rc != SYM_OK;
    return SYM_OK;
}

static int check_task(draft *d, uint32_t i, upstream *u, expr_scope *sc,
                      const expr_scope *params_only, int *first)
{
    draft_task *t = (draft_task *)draft_full(d, i);
    if (!t)
        return SYM_OK;
    int rc = SYM_OK;
    char what[160];
    if (t->cond) {
        set_self(u, sc, i);
        snprintf(what, sizeof what, "condition of task '%s'", draft_id(d, i));
        rc = check_one(d, t->cond, sc, what, first);
        if (rc == SYM_ENOMEM)
            return rc;
    }
    for (uint32_t a = 0; a < t->naxes; a++)
        if (t->axes[a].tmpl && !t->axes[a].bad &&
            check_axis(d, i, &t->axes[a], params_only, first) == SYM_ENOMEM)
            return SYM_ENOMEM;
    if (t->max_parallel && t->naxes == 0)
        report(d, first, d->from_code ? SYM_EINVAL : SYM_ESCHEMA, t->max_parallel_pos,
               "task '%s' has max_parallel but no matrix (it bounds a matrix's instances in "
               "flight)",
               draft_id(d, i));
    return SYM_OK;
}

int sym__dfl_check(draft *d, uint32_t n, const uint32_t *dbeg, const uint32_t *dcnt,
                   const uint32_t *ddep, int *first)
{
    if (d->prechecked)
        return SYM_OK;
    size_t stride;
    const void *base = draft_id_base(d, &stride);
    upstream u = {d, n, UINT32_MAX, dbeg, dcnt, ddep, NULL, NULL, false, false};
    expr_scope sc = {.params = d->params, .task = task_rel, .ctx = &u, .task_ids = base,
                     .ntasks = n, .task_stride = stride};
    const expr_scope params_only = {.params = d->params, .task_ids = base, .ntasks = n,
                                    .task_stride = stride};
    int rc = SYM_OK;
    char what[160];
    for (size_t k = 0; k < d->ninputs && rc != SYM_ENOMEM; k++) {
        const draft_input *in = &d->inputs[k];
        if (in->task >= n)
            continue;
        if (in_exec_shell(d, in)) {
            report(d, first, d->from_code ? SYM_EINVAL : SYM_ESCHEMA,
                   d->from_code ? (draft_pos){0, 0} : in->pos,
                   "task '%s': '${{ }}' in exec's 'shell' text would run data as shell code; "
                   "pass the value through 'env:' (env: { NAME: \"${{ params.x }}\" }) and "
                   "use \"$NAME\" in the script",
                   draft_id(d, in->task));
            continue;
        }
        set_self(&u, &sc, in->task);
        snprintf(what, sizeof what, "an input of task '%s'", draft_id(d, in->task));
        rc = check_one(d, in->tmpl, &sc, what, first);
    }
    /* Conditions, axes and max_parallel live in full records only. */
    for (uint32_t i = 0; i < n && rc != SYM_ENOMEM; i++)
        if (draft_full(d, i))
            rc = check_task(d, i, &u, &sc, &params_only, first);
    if (u.nomem)
        rc = SYM_ENOMEM;
    free(u.mark);
    free(u.stack);
    return rc == SYM_ENOMEM ? rc : SYM_OK;
}

/* ---- param axes --------------------------------------------------------- */

static bool is_scalar(const sym_value *v)
{
    return v->type == SYM_VALUE_STRING || v->type == SYM_VALUE_BOOL ||
           v->type == SYM_VALUE_INT || v->type == SYM_VALUE_FLOAT;
}

/* The axis's value for params; *why set (static text) when it is no list
 * of scalars, *e filled when evaluation failed. Borrows from scratch. */
static int eval_axis(const draft_axis *ax, const sym_value *params, arena *scratch,
                     sym_value *out, expr_error *e)
{
    expr_env env = {.params = params};
    return sym__expr_eval(ax->tmpl, &env, scratch, out, e);
}

const sym_value *sym__dfl_axis_list(draft *d, const char *id, draft_axis *ax, int *first)
{
    if (!ax->tmpl || ax->bad)
        return NULL; /* refused already */
    arena scratch;
    sym__arena_init(&scratch);
    sym_value v;
    expr_error e;
    const sym_value *params = d->expand_params ? d->expand_params : d->params;
    int code = d->from_code ? SYM_ETYPE : SYM_ESCHEMA;
    const sym_value *list = NULL;
    char text[80];
    snprintf(text, sizeof text, "%.*s%s", 60, ax->expr ? ax->expr : "",
             ax->expr && strlen(ax->expr) > 60 ? "..." : "");
    int rc = eval_axis(ax, params, &scratch, &v, &e);
    if (rc == SYM_ENOMEM) {
        note(first, rc);
    } else if (rc != SYM_OK) {
        report(d, first, d->from_code ? rc : SYM_ESCHEMA,
               d->from_code ? (draft_pos){0, 0} : (draft_pos){e.line, e.column},
               "matrix '%s' of task '%s' (%s): %s", ax->key, id, text, e.message);
    } else if (v.type != SYM_VALUE_LIST) {
        report(d, first, code, ax->pos,
               "matrix '%s' of task '%s' is %s, which gives %s %s, not a list", ax->key, id,
               text, v.type == SYM_VALUE_INT ? "an" : "a",
               sym_value_type_name((sym_value_type)v.type));
    } else if (v.n == 0) {
        report(d, first, d->from_code ? SYM_EINVAL : SYM_ESCHEMA, ax->pos,
               "matrix '%s' of task '%s' is %s, which gives an empty list (it would make no "
               "instances)",
               ax->key, id, text);
    } else {
        uint32_t bad = 0;
        while (bad < v.n && is_scalar(&v.u.items[bad]))
            bad++;
        sym_value *copy = NULL;
        if (bad < v.n) {
            report(d, first, code, ax->pos,
                   "matrix '%s' of task '%s' is %s, whose value %u is a %s: matrix values "
                   "must be strings, numbers or booleans",
                   ax->key, id, text, (unsigned)bad + 1,
                   sym_value_type_name((sym_value_type)v.u.items[bad].type));
        } else if (!(copy = sym__arena_alloc(&d->arena, sizeof *copy)) ||
                   sym__value_copy_to_arena(copy, &v, &d->arena) != SYM_OK) {
            note(first, SYM_ENOMEM);
        } else {
            list = copy;
            ax->values = copy; /* what re-expansion compares a run's values with */
        }
    }
    sym__arena_free(&scratch);
    return list;
}

/* ---- the layout --------------------------------------------------------- */

/* What re-expansion needs: the draft as compile saw it, in the first
 * workflow's arena (its strings, values and templates stay there). */
typedef struct dfl_root {
    sym_load_options opts;
    bool from_code;
    const char *name, *description, *source;
    sym_value *params;
    unsigned concurrency;
    int64_t deadline_ms;
    bool fail_fast;
    sym_task_policy defaults;
    unsigned defaults_set;
    draft_limit *limits;
    size_t nlimits;
    draft_task *tasks; /* every draft task, with its id and worker */
    uint32_t n;
    draft_edge *edges; /* the resolved dependencies, draft indices */
    size_t nedges;
    draft_input *inputs;
    size_t ninputs;
} dfl_root;

/* wf_dataflow.expand_source. */
typedef struct dfl_source {
    const dfl_root *root;
    sym_workflow *parent; /* a re-expanded workflow: the first one (held) */
    /* The list each param axis (in task, then axis order) expanded over in
     * this workflow: a run's values are compared with these. */
    const sym_value **loaded;
    uint32_t nloaded;
} dfl_source;

static void *dup_arena(arena *a, const void *p, size_t size)
{
    void *q = sym__arena_alloc(a, size ? size : 1);
    if (q && size)
        memcpy(q, p, size);
    return q;
}

static const dfl_root *keep_root(draft *d, uint32_t n, const uint32_t *dbeg,
                                 const uint32_t *dcnt, const uint32_t *ddep)
{
    arena *a = &d->arena;
    dfl_root *r = sym__arena_calloc(a, 1, sizeof *r);
    if (!r)
        return NULL;
    r->opts = *d->opts;
    r->from_code = d->from_code;
    r->name = d->name;
    r->description = d->description;
    r->source = d->source;
    r->params = d->params;
    r->concurrency = d->concurrency;
    r->deadline_ms = d->deadline_ms;
    r->fail_fast = d->fail_fast;
    r->defaults = d->defaults;
    r->defaults_set = d->defaults_set;
    r->nlimits = d->nlimits;
    r->limits = dup_arena(a, d->limits, d->nlimits * sizeof *d->limits);
    r->n = n;
    r->tasks = sym__arena_alloc(a, (n ? n : 1) * sizeof *r->tasks);
    size_t nedges = 0;
    for (uint32_t i = 0; i < n; i++)
        nedges += dcnt[i];
    r->nedges = nedges;
    r->edges = sym__arena_alloc(a, (nedges ? nedges : 1) * sizeof *r->edges);
    r->ninputs = d->ninputs;
    r->inputs = dup_arena(a, d->inputs, d->ninputs * sizeof *d->inputs);
    if (!r->limits || !r->tasks || !r->edges || !r->inputs)
        return NULL;
    size_t e = 0;
    for (uint32_t i = 0; i < n; i++) {
        const draft_task *t = draft_full(d, i);
        draft_task *c = &r->tasks[i];
        if (t) {
            *c = *t;
        } else {
            memset(c, 0, sizeof *c);
        }
        c->id = draft_id(d, i);
        c->worker = draft_worker(d, i);
        c->needs = NULL;
        c->nneeds = c->needs_at = 0;
        c->axes_cap = c->naxes;
        if (c->naxes && !(c->axes = dup_arena(a, c->axes, c->naxes * sizeof *c->axes)))
            return NULL;
        for (uint32_t k = dbeg[i]; k < dbeg[i] + dcnt[i]; k++)
            r->edges[e++] = (draft_edge){i, ddep[k]};
    }
    return r;
}

int sym__dfl_build(draft *d, sym_workflow *wf, uint32_t n, const uint32_t *base,
                   const uint32_t *ninst, const uint32_t *dbeg, const uint32_t *dcnt,
                   const uint32_t *ddep)
{
    arena *a = &d->arena;
    size_t nt = wf->ntasks;
    wf_dataflow *df = sym__arena_calloc(a, 1, sizeof *df);
    uint32_t *ident = sym__arena_alloc(a, (nt ? nt : 1) * sizeof *ident);
    wf_input_tmpl *tmpls = sym__arena_alloc(a, (d->ninputs ? d->ninputs : 1) * sizeof *tmpls);
    uint32_t *start = calloc((size_t)n + 1, sizeof *start);
    if (!df || !ident || !tmpls || !start) {
        free(start);
        return SYM_ENOMEM;
    }
    df->tasks = sym__arena_alloc(a, (nt ? nt : 1) * sizeof *df->tasks);
    df->groups = sym__arena_alloc(a, (n ? n : 1) * sizeof *df->groups);
    if (!df->tasks || !df->groups) {
        free(start);
        return SYM_ENOMEM;
    }
    for (size_t k = 0; k < nt; k++)
        ident[k] = (uint32_t)k;
    /* The inputs grouped by task, in the order found (counting sort). */
    for (size_t k = 0; k < d->ninputs; k++)
        start[d->inputs[k].task + 1]++;
    for (uint32_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    for (size_t k = 0; k < d->ninputs; k++) {
        const draft_input *in = &d->inputs[k];
        tmpls[start[in->task]++] = (wf_input_tmpl){in->leaf, in->tmpl};
    }
    /* start[i] is now the end of task i's run (the start of i + 1's). */
    df->ngroups = n;
    for (uint32_t i = 0; i < n; i++) {
        const draft_task *t = draft_full(d, i);
        uint32_t b = base ? base[i] : i, m = ninst ? ninst[i] : 1;
        uint32_t from = i > 0 ? start[i - 1] : 0;
        unsigned mp = t ? t->max_parallel : 0;
        df->groups[i] = (wf_group){draft_id(d, i), &ident[b], m, t && t->naxes > 0, mp};
        df->has_max_parallel |= mp > 0;
        for (uint32_t a2 = 0; t && a2 < t->naxes; a2++)
            df->has_param_matrix |= t->axes[a2].tmpl != NULL;
        for (uint32_t k = 0; k < m; k++)
            df->tasks[b + k] = (wf_task_df){i, t ? t->cond : NULL, &tmpls[from], start[i] - from};
    }
    free(start);
    if (df->has_param_matrix) {
        dfl_source *src = sym__arena_calloc(a, 1, sizeof *src);
        if (!src)
            return SYM_ENOMEM;
        /* A re-expansion gets its root from sym__workflow_expand_for_params. */
        if (!d->expand_params && !(src->root = keep_root(d, n, dbeg, dcnt, ddep)))
            return SYM_ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
            const draft_task *t = draft_full(d, i);
            for (uint32_t k = 0; t && k < t->naxes; k++)
                src->nloaded += t->axes[k].tmpl != NULL;
        }
        src->loaded = sym__arena_alloc(a, src->nloaded * sizeof *src->loaded);
        if (!src->loaded)
            return SYM_ENOMEM;
        uint32_t at = 0;
        for (uint32_t i = 0; i < n; i++) {
            const draft_task *t = draft_full(d, i);
            for (uint32_t k = 0; t && k < t->naxes; k++)
                if (t->axes[k].tmpl)
                    src->loaded[at++] = t->axes[k].values;
        }
        df->expand_source = src;
    }
    wf->df = df;
    return SYM_OK;
}

void sym__dfl_release(sym_workflow *wf)
{
    if (!wf->df || !wf->df->expand_source)
        return;
    dfl_source *src = wf->df->expand_source;
    if (src->parent)
        sym__workflow_release(src->parent);
}

/* ---- re-expansion ------------------------------------------------------- */

static bool same_scalar(const sym_value *a, const sym_value *b)
{
    if (a->type != b->type)
        return false;
    switch ((sym_value_type)a->type) {
    case SYM_VALUE_STRING: return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case SYM_VALUE_BOOL: return a->u.b == b->u.b;
    case SYM_VALUE_INT: return a->u.i == b->u.i;
    case SYM_VALUE_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    default: return true;
    }
}

static bool same_list(const sym_value *a, const sym_value *b)
{
    if (!a || !b || a->type != SYM_VALUE_LIST || b->type != SYM_VALUE_LIST || a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!same_scalar(&a->u.items[i], &b->u.items[i]))
            return false;
    return true;
}

/* Whether some param axis of root gives other values for params than
 * src's workflow was expanded with; the names of the params they read go
 * to names (for messages). */
static int axes_changed(const dfl_source *src, const sym_value *params, bool *changed,
                        char *names, size_t cap)
{
    const dfl_root *root = src->root;
    uint32_t at = 0;
    *changed = false;
    names[0] = '\0';
    arena scratch;
    sym__arena_init(&scratch);
    for (uint32_t i = 0; i < root->n; i++) {
        const draft_task *t = &root->tasks[i];
        for (uint32_t a = 0; a < t->naxes; a++) {
            const draft_axis *ax = &t->axes[a];
            if (!ax->tmpl)
                continue;
            sym_value v;
            expr_error e;
            int rc = eval_axis(ax, params, &scratch, &v, &e);
            if (rc == SYM_ENOMEM) {
                sym__arena_free(&scratch);
                return rc;
            }
            const sym_value *had = at < src->nloaded ? src->loaded[at] : NULL;
            at++;
            if (rc == SYM_OK && same_list(&v, had))
                continue;
            *changed = true;
            const expr_ref *refs;
            size_t nrefs = sym__expr_template_refs(ax->tmpl, &refs);
            for (size_t k = 0; k < nrefs; k++) {
                size_t len = strlen(names);
                if (strstr(names, refs[k].name) == NULL && len + strlen(refs[k].name) + 10 < cap)
                    snprintf(names + len, cap - len, "%sparams.%s", len ? ", " : "",
                             refs[k].name);
            }
        }
    }
    sym__arena_free(&scratch);
    return SYM_OK;
}

/* d (initialised, empty) as root says, its arrays malloc'd as the draft's
 * are (sym__draft_free frees them). */
static int fill_draft(draft *d, const dfl_root *root, const sym_value *params)
{
    d->from_code = root->from_code;
    d->name = root->name;
    d->description = root->description;
    d->params = root->params;
    d->concurrency = root->concurrency;
    d->deadline_ms = root->deadline_ms;
    d->fail_fast = root->fail_fast;
    d->defaults = root->defaults;
    d->defaults_set = root->defaults_set;
    d->has_df = true;
    d->prechecked = true;
    d->expand_params = params;
    for (size_t i = 0; i < root->nlimits; i++)
        if (sym__draft_add_limit(d, &root->limits[i]) != SYM_OK)
            return SYM_ENOMEM;
    d->tasks = malloc((root->n ? root->n : 1) * sizeof *d->tasks);
    if (!d->tasks)
        return SYM_ENOMEM;
    d->tasks_cap = root->n;
    for (uint32_t i = 0; i < root->n; i++) {
        draft_task *t = &d->tasks[d->ntasks];
        *t = root->tasks[i];
        t->axes = NULL;
        t->naxes = t->axes_cap = 0;
        d->ntasks++;
        for (uint32_t a = 0; a < root->tasks[i].naxes; a++)
            if (sym__draft_add_axis(d, t, &root->tasks[i].axes[a]) != SYM_OK)
                return SYM_ENOMEM;
    }
    for (size_t e = 0; e < root->nedges; e++)
        if (sym__draft_add_edge(d, root->edges[e].task, root->edges[e].dep) != SYM_OK)
            return SYM_ENOMEM;
    for (size_t k = 0; k < root->ninputs; k++)
        if (sym__draft_add_input(d, &root->inputs[k]) != SYM_OK)
            return SYM_ENOMEM;
    return SYM_OK;
}

int sym__workflow_expand_for_params(const sym_workflow *wf, const sym_value *params,
                                    sym_workflow **out, sym_error *err)
{
    if (!out)
        return SYM_EINVAL;
    *out = NULL;
    if (!wf || !wf->df || !wf->df->has_param_matrix || !wf->df->expand_source)
        return SYM_OK;
    const dfl_source *src = wf->df->expand_source;
    const dfl_root *root = src->root;
    /* The workflow that holds root: wf itself, or the one wf was made from. */
    sym_workflow *owner = src->parent ? src->parent : (sym_workflow *)wf;
    if (!params)
        params = root->params;
    bool changed;
    char names[200];
    int rc = axes_changed(src, params, &changed, names, sizeof names);
    if (rc != SYM_OK || !changed)
        return rc == SYM_ENOMEM ? sym__error_add(err, rc, NULL, 0, 0, "out of memory") : rc;
    sym_error *tmp = sym_error_new();
    if (!tmp)
        return sym__error_add(err, SYM_ENOMEM, NULL, 0, 0, "out of memory");
    diag dg;
    sym__diag_init(&dg, tmp, NULL, root->opts.max_errors);
    draft d;
    sym__draft_init(&d, &dg, &root->opts, NULL);
    d.source = root->source;
    sym_workflow *nwf = NULL;
    rc = fill_draft(&d, root, params);
    if (rc == SYM_OK)
        rc = sym__draft_compile(&d, &nwf);
    else
        sym__diag_add(&dg, rc, 0, 0, "out of memory while expanding the matrix");
    sym__draft_free(&d);
    if (rc == SYM_OK) {
        dfl_source *nsrc = nwf->df->expand_source;
        nsrc->root = root;
        nsrc->parent = owner;
        sym__workflow_retain(owner);
        *out = nwf;
    } else {
        for (size_t i = 0; i < tmp->count; i++)
            sym__error_add(err, tmp->entries[i].code, NULL, 0, 0, "with this run's %s: %s", names,
                           tmp->entries[i].message);
    }
    sym_error_free(tmp);
    return rc;
}
