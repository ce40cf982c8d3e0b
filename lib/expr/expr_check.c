/* expr_check.c - the load-time checks of a template: every reference names
 * something the referring task may read, and operations whose operand
 * types are known statically are applicable. Types the loader cannot know
 * (outputs, matrix values, fromJSON, `.x`/`[i]` results) are "unknown" and
 * left to evaluation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr_int.h"
#include "common.h"

typedef enum stype { ST_UNKNOWN, ST_NULL, ST_BOOL, ST_NUMBER, ST_STRING, ST_LIST, ST_MAP } stype;

static const char *stype_name(stype t)
{
    static const char *const names[] = {"value", "null", "bool", "number", "string", "list", "map"};
    return names[t];
}

static stype stype_of(const sym_value *v)
{
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_NULL: return ST_UNKNOWN; /* a null default says nothing of the run's value */
    case SYM_VALUE_BOOL: return ST_BOOL;
    case SYM_VALUE_INT:
    case SYM_VALUE_FLOAT: return ST_NUMBER;
    case SYM_VALUE_STRING: return ST_STRING;
    case SYM_VALUE_LIST: return ST_LIST;
    case SYM_VALUE_MAP: return ST_MAP;
    }
    return ST_UNKNOWN;
}

typedef struct checker {
    expr_template *t;
    const expr_scope *scope;
    diag *d;
    int first;
} checker;

static void report(checker *c, uint32_t line, uint32_t column, const char *fmt, ...)
    SYM_PRINTF(4, 5);

static void report(checker *c, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__diag_addv(c->d, SYM_ESCHEMA, line, column, fmt, ap);
    va_end(ap);
    if (c->first == SYM_OK)
        c->first = SYM_ESCHEMA;
}

/* " (did you mean 'x'?)" or "". */
static const char *hint_text(const char *hint, char *buf, size_t len)
{
    if (!hint)
        return "";
    snprintf(buf, len, " (did you mean '%s'?)", hint);
    return buf;
}

static stype check_param(checker *c, expr_ref *r)
{
    const sym_value *params = c->scope->params;
    char hb[96];
    if (params && params->type == SYM_VALUE_MAP) {
        for (uint32_t i = 0; i < params->n; i++)
            if (strcmp(params->u.entries[i].key, r->name) == 0) {
                r->index = i;
                return stype_of(&params->u.entries[i].value);
            }
        const char *hint =
            sym__did_you_mean(r->name, params->u.entries, params->n, sizeof(value_entry));
        report(c, r->line, r->column, "unknown param '%s'%s", r->name, hint_text(hint, hb, sizeof hb));
    } else {
        report(c, r->line, r->column, "unknown param '%s' (the workflow declares no params)",
               r->name);
    }
    return ST_UNKNOWN;
}

static void check_matrix(checker *c, const expr_ref *r)
{
    const expr_scope *s = c->scope;
    const char *self = s->self ? s->self : "?";
    if (s->nmatrix == 0) {
        report(c, r->line, r->column, "'matrix.%s': task '%s' has no matrix", r->name, self);
        return;
    }
    const char *base = s->matrix_keys;
    for (size_t i = 0; i < s->nmatrix; i++) {
        const char *key = *(const char *const *)(const void *)(base + i * s->matrix_stride);
        if (key && strcmp(key, r->name) == 0)
            return;
    }
    char hb[96];
    const char *hint = sym__did_you_mean(r->name, s->matrix_keys, s->nmatrix, s->matrix_stride);
    report(c, r->line, r->column, "unknown matrix key '%s' in task '%s'%s", r->name, self,
           hint_text(hint, hb, sizeof hb));
}

static void check_task(checker *c, expr_ref *r)
{
    const expr_scope *s = c->scope;
    uint32_t index = EXPR_NO_INDEX;
    expr_task_rel rel = s->task ? s->task(s->ctx, r->name, &index) : EXPR_TASK_UNKNOWN;
    if (rel == EXPR_TASK_UPSTREAM) {
        r->index = index;
        return;
    }
    char hb[96];
    if (rel == EXPR_TASK_NOT_UPSTREAM) {
        if (s->self && strcmp(s->self, r->name) == 0)
            report(c, r->line, r->column, "task '%s' refers to its own %s", r->name,
                   r->kind == EXPR_REF_TASK_STATUS ? "status" : "outputs");
        else
            report(c, r->line, r->column,
                   "task '%s' is not upstream of task '%s' (add it to 'needs')", r->name,
                   s->self ? s->self : "?");
        return;
    }
    const char *hint =
        s->task_ids ? sym__did_you_mean(r->name, s->task_ids, s->ntasks, s->task_stride) : NULL;
    report(c, r->line, r->column, "task '%s' does not exist%s", r->name,
           hint_text(hint, hb, sizeof hb));
}

static stype check_ref(checker *c, expr_ref *r)
{
    switch (r->kind) {
    case EXPR_REF_PARAM: return check_param(c, r);
    case EXPR_REF_MATRIX: check_matrix(c, r); return ST_UNKNOWN;
    case EXPR_REF_RUN_ID:
    case EXPR_REF_RUN_NAME: return ST_STRING;
    case EXPR_REF_TASK_STATUS: check_task(c, r); return ST_STRING;
    case EXPR_REF_TASK_OUTPUTS: check_task(c, r); return ST_MAP;
    case EXPR_REF_TASK_OUTPUT: check_task(c, r); return ST_UNKNOWN;
    }
    return ST_UNKNOWN;
}

static bool is_text(stype t) { return t != ST_LIST && t != ST_MAP; }

static stype check_node(checker *c, const expr_node *n);

static stype check_call(checker *c, const expr_node *n)
{
    stype a[EXPR_MAX_ARGS];
    for (uint16_t i = 0; i < n->nargs; i++)
        a[i] = check_node(c, n->u.args[i]);
    const char *name = sym__expr_fn_name((expr_fn)n->op);
    switch ((expr_fn)n->op) {
    case FN_CONTAINS:
        if (a[0] == ST_MAP)
            report(c, n->line, n->column, "contains needs a string or a list to search, not a map");
        else if (a[0] != ST_LIST && !is_text(a[1]))
            report(c, n->line, n->column, "contains needs text to look for in a %s, not a %s",
                   stype_name(a[0]), stype_name(a[1]));
        return ST_BOOL;
    case FN_STARTSWITH:
    case FN_ENDSWITH:
        for (int i = 0; i < 2; i++)
            if (!is_text(a[i])) {
                report(c, n->line, n->column, "%s needs text, not a %s", name, stype_name(a[i]));
                break;
            }
        return ST_BOOL;
    case FN_FORMAT:
        if (a[0] != ST_UNKNOWN && a[0] != ST_STRING)
            report(c, n->line, n->column, "format needs a format string, not a %s",
                   stype_name(a[0]));
        return ST_STRING;
    case FN_TOJSON: return ST_STRING;
    case FN_FROMJSON:
        if (a[0] != ST_UNKNOWN && a[0] != ST_STRING)
            report(c, n->line, n->column, "fromJSON needs a string, not a %s", stype_name(a[0]));
        return ST_UNKNOWN;
    default: return ST_UNKNOWN;
    }
}

static stype check_node(checker *c, const expr_node *n)
{
    switch ((expr_node_kind)n->kind) {
    case N_LIT:
        return n->u.lit.type == SYM_VALUE_NULL ? ST_NULL : stype_of(&n->u.lit);
    case N_REF: return check_ref(c, &c->t->refs[n->u.ref]);
    case N_NOT: check_node(c, n->u.bin.l); return ST_BOOL;
    case N_AND:
    case N_OR: {
        stype l = check_node(c, n->u.bin.l), r = check_node(c, n->u.bin.r);
        return l == r ? l : ST_UNKNOWN;
    }
    case N_CMP: {
        stype l = check_node(c, n->u.bin.l), r = check_node(c, n->u.bin.r);
        if (n->op != CMP_EQ && n->op != CMP_NE) {
            bool bad_l = l == ST_BOOL || l == ST_LIST || l == ST_MAP;
            bool bad_r = r == ST_BOOL || r == ST_LIST || r == ST_MAP;
            if (bad_l || bad_r)
                report(c, n->line, n->column, "cannot order a %s and a %s", stype_name(l),
                       stype_name(r));
        }
        return ST_BOOL;
    }
    case N_CALL: return check_call(c, n);
    case N_MEMBER: check_node(c, n->u.member.obj); return ST_UNKNOWN;
    case N_INDEX:
        check_node(c, n->u.bin.l);
        check_node(c, n->u.bin.r);
        return ST_UNKNOWN;
    }
    return ST_UNKNOWN;
}

int sym__expr_check(expr_template *t, const expr_scope *scope, diag *d)
{
    static const expr_scope empty;
    checker c = {t, scope ? scope : &empty, d, SYM_OK};
    for (uint32_t i = 0; i < t->nparts; i++)
        if (t->parts[i].root)
            check_node(&c, t->parts[i].root);
    return c.first;
}
