/* expr_eval.c - evaluating a compiled template against an env. Values
 * flow as sym_value structs by copy (containers shared, never written);
 * only strings made by functions and interpolation take scratch memory,
 * counted against EXPR_MAX_EVAL_BYTES. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"
#include "common.h"

typedef struct eval {
    const expr_template *t;
    const expr_env *env;
    arena *a;
    size_t used;
    bool oom;
    expr_error *err;
} eval;

static int efail(eval *e, int code, const expr_node *at, const char *fmt, ...) SYM_PRINTF(4, 5);

static int efail(eval *e, int code, const expr_node *at, const char *fmt, ...)
{
    if (e->err) {
        e->err->code = code;
        e->err->line = at ? at->line : 0;
        e->err->column = at ? at->column : 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->err->message, sizeof e->err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void *ev_alloc(void *ctx, size_t size)
{
    eval *e = ctx;
    if (!e->a || size > EXPR_MAX_EVAL_BYTES - e->used)
        return NULL;
    void *m = sym__arena_alloc(e->a, size);
    if (!m)
        e->oom = true;
    else
        e->used += size;
    return m;
}

/* The error for a failed ev_alloc. */
static int alloc_fail(eval *e, const expr_node *at)
{
    if (!e->a)
        return efail(e, SYM_EINVAL, at, "no scratch memory to make a string in");
    if (e->oom)
        return efail(e, SYM_ENOMEM, at, "out of memory");
    return efail(e, SYM_ETOOBIG, at, "the expression needs more than %d bytes",
                 EXPR_MAX_EVAL_BYTES);
}

bool sym__expr_truthy(const sym_value *v)
{
    if (!v)
        return false;
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_NULL: return false;
    case SYM_VALUE_BOOL: return v->u.b;
    case SYM_VALUE_INT: return v->u.i != 0;
    case SYM_VALUE_FLOAT: return v->u.f != 0 && !isnan(v->u.f);
    case SYM_VALUE_STRING: return v->n != 0;
    default: return true;
    }
}

static const char *type_name(const sym_value *v)
{
    return sym_value_type_name((sym_value_type)v->type);
}

static bool is_number(const sym_value *v)
{
    return v->type == SYM_VALUE_INT || v->type == SYM_VALUE_FLOAT;
}

static double as_double(const sym_value *v)
{
    return v->type == SYM_VALUE_INT ? (double)v->u.i : v->u.f;
}

/* ---- text of a value ---------------------------------------------------------- */

/* Room for the text of any scalar, so numbers need no scratch memory. */
typedef struct text_buf {
    char b[40];
} text_buf;

static void float_text(double f, text_buf *tb)
{
    if (isnan(f)) {
        strcpy(tb->b, "NaN");
    } else if (isinf(f)) {
        strcpy(tb->b, f > 0 ? "Infinity" : "-Infinity");
    } else {
        /* The shortest of %.15g/%.17g that reads back as the same double. */
        snprintf(tb->b, sizeof tb->b, "%.15g", f);
        if (strtod(tb->b, NULL) != f)
            snprintf(tb->b, sizeof tb->b, "%.17g", f);
    }
}

/* The JSON of v in scratch, at most EXPR_MAX_STRING bytes. */
static int json_text(eval *e, const expr_node *at, const sym_value *v, const char **s, size_t *n)
{
    strbuf sb;
    sym__sb_init(&sb);
    sym__value_write_json(&sb, v);
    if (sb.failed) {
        sym__sb_free(&sb);
        return efail(e, SYM_ENOMEM, at, "out of memory");
    }
    if (sb.len > EXPR_MAX_STRING) {
        size_t len = sb.len;
        sym__sb_free(&sb);
        return efail(e, SYM_ETOOBIG, at, "the JSON text is %zu bytes, over the limit of %d", len,
                     EXPR_MAX_STRING);
    }
    char *copy = ev_alloc(e, sb.len + 1);
    if (!copy) {
        sym__sb_free(&sb);
        return alloc_fail(e, at);
    }
    memcpy(copy, sb.buf ? sb.buf : "", sb.len);
    copy[sb.len] = '\0';
    *s = copy;
    *n = sb.len;
    sym__sb_free(&sb);
    return SYM_OK;
}

/* v as text: strings as they are, null as nothing, bools and numbers as
 * written, lists and maps as JSON (only when json_ok; else a type error
 * naming what). */
static int to_text(eval *e, const expr_node *at, const sym_value *v, text_buf *tb, bool json_ok,
                   const char *what, const char **s, size_t *n)
{
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_STRING:
        *s = v->u.s;
        *n = v->n;
        return SYM_OK;
    case SYM_VALUE_NULL: *s = ""; break;
    case SYM_VALUE_BOOL: *s = v->u.b ? "true" : "false"; break;
    case SYM_VALUE_INT:
        snprintf(tb->b, sizeof tb->b, "%lld", (long long)v->u.i);
        *s = tb->b;
        break;
    case SYM_VALUE_FLOAT:
        float_text(v->u.f, tb);
        *s = tb->b;
        break;
    default:
        if (!json_ok)
            return efail(e, SYM_ETYPE, at, "%s needs text, not a %s", what, type_name(v));
        return json_text(e, at, v, s, n);
    }
    *n = strlen(*s);
    return SYM_OK;
}

/* ---- comparisons ------------------------------------------------------------------- */

/* A number and a string: the string read as a number, or false. */
static bool coerce_pair(const sym_value *a, const sym_value *b, sym_value *na, sym_value *nb)
{
    *na = *a;
    *nb = *b;
    if (is_number(a) && b->type == SYM_VALUE_STRING)
        return sym__expr_parse_number(b->u.s, b->n, nb);
    if (a->type == SYM_VALUE_STRING && is_number(b))
        return sym__expr_parse_number(a->u.s, a->n, na);
    return true;
}

/* <0, 0, >0 for two numbers; 2 when unordered (NaN). */
static int num_cmp(const sym_value *a, const sym_value *b)
{
    if (a->type == SYM_VALUE_INT && b->type == SYM_VALUE_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    double x = as_double(a), y = as_double(b);
    if (isnan(x) || isnan(y))
        return 2;
    return (x > y) - (x < y);
}

static int str_cmp(const sym_value *a, const sym_value *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->u.s, b->u.s, n);
    if (c)
        return c < 0 ? -1 : 1;
    return (a->n > b->n) - (a->n < b->n);
}

static const sym_value *map_get(const sym_value *m, const char *key, size_t len)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const char *k = m->u.entries[i].key;
        if (strncmp(k, key, len) == 0 && k[len] == '\0')
            return &m->u.entries[i].value;
    }
    return NULL;
}

/* == as documented: numbers by value (1 == 1.0), a number and a string by
 * the string's numeric reading, lists and maps deeply, else same type and
 * same contents. Depth is bounded by the values (already bounded trees). */
static bool values_equal(const sym_value *a, const sym_value *b)
{
    sym_value x, y;
    if (!coerce_pair(a, b, &x, &y))
        return false;
    if (is_number(&x) && is_number(&y))
        return num_cmp(&x, &y) == 0;
    if (x.type != y.type)
        return false;
    switch ((sym_value_type)x.type) {
    case SYM_VALUE_NULL: return true;
    case SYM_VALUE_BOOL: return x.u.b == y.u.b;
    case SYM_VALUE_STRING: return str_cmp(&x, &y) == 0;
    case SYM_VALUE_LIST:
        if (x.n != y.n)
            return false;
        for (uint32_t i = 0; i < x.n; i++)
            if (!values_equal(&x.u.items[i], &y.u.items[i]))
                return false;
        return true;
    case SYM_VALUE_MAP:
        if (x.n != y.n)
            return false;
        for (uint32_t i = 0; i < x.n; i++) {
            const char *k = x.u.entries[i].key;
            const sym_value *o = map_get(&y, k, strlen(k));
            if (!o || !values_equal(&x.u.entries[i].value, o))
                return false;
        }
        return true;
    default: return false;
    }
}

static bool orderable(const sym_value *v)
{
    return v->type == SYM_VALUE_NULL || is_number(v) || v->type == SYM_VALUE_STRING;
}

static int compare(eval *e, const expr_node *n, const sym_value *a, const sym_value *b,
                   sym_value *out)
{
    expr_cmp op = (expr_cmp)n->op;
    if (op == CMP_EQ || op == CMP_NE) {
        sym__value_set_bool(out, values_equal(a, b) == (op == CMP_EQ));
        return SYM_OK;
    }
    if (!orderable(a) || !orderable(b))
        return efail(e, SYM_ETYPE, n, "cannot order a %s and a %s", type_name(a), type_name(b));
    int c = 2; /* unordered: every ordering is false */
    sym_value x, y;
    if (a->type != SYM_VALUE_NULL && b->type != SYM_VALUE_NULL && coerce_pair(a, b, &x, &y)) {
        if (is_number(&x) && is_number(&y))
            c = num_cmp(&x, &y);
        else if (x.type == SYM_VALUE_STRING && y.type == SYM_VALUE_STRING)
            c = str_cmp(&x, &y);
    }
    bool r = c != 2 && (op == CMP_LT ? c < 0 : op == CMP_LE ? c <= 0 : op == CMP_GT ? c > 0 : c >= 0);
    sym__value_set_bool(out, r);
    return SYM_OK;
}

/* ---- functions ------------------------------------------------------------------------ */

static bool has_substring(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return true;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0)
            return true;
    return false;
}

static int fn_contains(eval *e, const expr_node *n, const sym_value *h, const sym_value *nd,
                       sym_value *out)
{
    if (h->type == SYM_VALUE_LIST) {
        bool found = false;
        for (uint32_t i = 0; i < h->n && !found; i++)
            found = values_equal(&h->u.items[i], nd);
        sym__value_set_bool(out, found);
        return SYM_OK;
    }
    if (h->type == SYM_VALUE_NULL) {
        sym__value_set_bool(out, false);
        return SYM_OK;
    }
    if (h->type == SYM_VALUE_MAP)
        return efail(e, SYM_ETYPE, n, "contains needs a string or a list to search, not a map");
    text_buf tb1, tb2;
    const char *hs, *ns;
    size_t hn, nn;
    int rc = to_text(e, n, h, &tb1, false, "contains", &hs, &hn);
    if (rc == SYM_OK)
        rc = to_text(e, n, nd, &tb2, false, "contains", &ns, &nn);
    if (rc == SYM_OK)
        sym__value_set_bool(out, has_substring(hs, hn, ns, nn));
    return rc;
}

static int fn_affix(eval *e, const expr_node *n, const sym_value *s, const sym_value *x,
                    sym_value *out)
{
    const char *name = sym__expr_fn_name((expr_fn)n->op);
    text_buf tb1, tb2;
    const char *a, *b;
    size_t an, bn;
    int rc = to_text(e, n, s, &tb1, false, name, &a, &an);
    if (rc == SYM_OK)
        rc = to_text(e, n, x, &tb2, false, name, &b, &bn);
    if (rc != SYM_OK)
        return rc;
    bool hit = bn <= an && memcmp(n->op == FN_STARTSWITH ? a : a + an - bn, b, bn) == 0;
    sym__value_set_bool(out, hit);
    return SYM_OK;
}

/* format('{0} of {1}', a, b): two passes over the format, one to size the
 * result, one to write it, so it takes one allocation. */
static int fn_format(eval *e, const expr_node *n, const sym_value *args, sym_value *out)
{
    const sym_value *f = &args[0];
    if (f->type != SYM_VALUE_STRING)
        return efail(e, SYM_ETYPE, n, "format needs a format string, not a %s", type_name(f));
    unsigned values = n->nargs - 1u;
    char *o = NULL;
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (uint32_t i = 0; i < f->n; i++) {
            char c = f->u.s[i];
            const char *piece = &f->u.s[i];
            size_t plen = 1;
            text_buf tb;
            if ((c == '{' || c == '}') && i + 1 < f->n && f->u.s[i + 1] == c) {
                i++;
            } else if (c == '{') {
                uint32_t j = i + 1, idx = 0;
                while (j < f->n && f->u.s[j] >= '0' && f->u.s[j] <= '9' && idx < 1000)
                    idx = idx * 10 + (uint32_t)(f->u.s[j++] - '0');
                if (j == i + 1 || j >= f->n || f->u.s[j] != '}')
                    return efail(e, SYM_EINVAL, n, "format string: '{' at offset %u is not a "
                                 "placeholder such as {0}", i);
                if (idx >= values)
                    return efail(e, SYM_EINVAL, n, "format string uses {%u}, but %u value%s "
                                 "follow%s it", idx, values, values == 1 ? "" : "s",
                                 values == 1 ? "s" : "");
                int rc = to_text(e, n, &args[1 + idx], &tb, true, "format", &piece, &plen);
                if (rc != SYM_OK)
                    return rc;
                i = j;
            } else if (c == '}') {
                return efail(e, SYM_EINVAL, n, "format string: lone '}' at offset %u", i);
            }
            if (pass == 0) {
                total += plen;
                if (total > EXPR_MAX_STRING)
                    return efail(e, SYM_ETOOBIG, n, "format would make more than %d bytes",
                                 EXPR_MAX_STRING);
            } else {
                memcpy(o + k, piece, plen);
                k += plen;
            }
        }
        if (pass == 0) {
            if (!(o = ev_alloc(e, total + 1)))
                return alloc_fail(e, n);
        }
    }
    o[total] = '\0';
    memset(out, 0, sizeof *out);
    out->type = SYM_VALUE_STRING;
    out->n = (uint32_t)total;
    out->u.s = o;
    return SYM_OK;
}

static int fn_fromjson(eval *e, const expr_node *n, const sym_value *s, sym_value *out)
{
    if (s->type != SYM_VALUE_STRING)
        return efail(e, SYM_ETYPE, n, "fromJSON needs a string, not a %s", type_name(s));
    if (s->n > EXPR_MAX_STRING)
        return efail(e, SYM_ETOOBIG, n, "fromJSON: the text is %u bytes, over the limit of %d",
                     s->n, EXPR_MAX_STRING);
    char msg[sizeof e->err->message];
    msg[0] = '\0';
    int rc = sym__expr_json_parse(s->u.s, s->n, ev_alloc, e, out, msg, sizeof msg);
    if (rc == SYM_OK)
        return SYM_OK;
    if (rc == SYM_ETOOBIG)
        return alloc_fail(e, n);
    return efail(e, rc, n, "%s", msg);
}

static int eval_node(eval *e, const expr_node *n, sym_value *out);

static int eval_call(eval *e, const expr_node *n, sym_value *out)
{
    sym_value two[2];
    sym_value *args = two;
    if (n->nargs > 2 && !(args = ev_alloc(e, n->nargs * sizeof *args)))
        return alloc_fail(e, n);
    for (uint16_t i = 0; i < n->nargs; i++) {
        int rc = eval_node(e, n->u.args[i], &args[i]);
        if (rc != SYM_OK)
            return rc;
    }
    switch ((expr_fn)n->op) {
    case FN_CONTAINS: return fn_contains(e, n, &args[0], &args[1], out);
    case FN_STARTSWITH:
    case FN_ENDSWITH: return fn_affix(e, n, &args[0], &args[1], out);
    case FN_FORMAT: return fn_format(e, n, args, out);
    case FN_TOJSON: {
        const char *s;
        size_t len;
        int rc = json_text(e, n, &args[0], &s, &len);
        if (rc == SYM_OK) {
            memset(out, 0, sizeof *out);
            out->type = SYM_VALUE_STRING;
            out->n = (uint32_t)len;
            out->u.s = (char *)s;
        }
        return rc;
    }
    case FN_FROMJSON: return fn_fromjson(e, n, &args[0], out);
    default: return efail(e, SYM_EINVAL, n, "unknown function");
    }
}

/* ---- references and access ---------------------------------------------------------- */

static void set_borrowed_string(sym_value *out, const char *s)
{
    if (!s) {
        sym__value_set_null(out);
        return;
    }
    memset(out, 0, sizeof *out);
    out->type = SYM_VALUE_STRING;
    out->n = (uint32_t)strlen(s);
    out->u.s = (char *)s; /* read-only, like every value an evaluation hands out */
}

static const sym_value *lookup(const sym_value *map, const expr_ref *r)
{
    if (!map || map->type != SYM_VALUE_MAP)
        return NULL;
    /* The index sym__expr_check found in the declared params is right whenever
     * the run's map keeps the declared order; the name decides. */
    if (r->index < map->n && strcmp(map->u.entries[r->index].key, r->name) == 0)
        return &map->u.entries[r->index].value;
    return map_get(map, r->name, strlen(r->name));
}

static void eval_ref(eval *e, const expr_ref *r, sym_value *out)
{
    const expr_env *env = e->env;
    const sym_value *v = NULL;
    sym_value tmp;
    memset(&tmp, 0, sizeof tmp);
    switch (r->kind) {
    case EXPR_REF_PARAM: v = lookup(env->params, r); break;
    case EXPR_REF_MATRIX: v = lookup(env->matrix, r); break;
    case EXPR_REF_RUN_ID: set_borrowed_string(out, env->run_id); return;
    case EXPR_REF_RUN_NAME: set_borrowed_string(out, env->run_name); return;
    default:
        if (env->task)
            v = env->task(env->ctx, r, &tmp);
        break;
    }
    if (v)
        *out = *v;
    else
        sym__value_set_null(out);
}

static void eval_index(const sym_value *obj, const sym_value *idx, sym_value *out)
{
    const sym_value *v = NULL;
    if (obj->type == SYM_VALUE_LIST) {
        int64_t i = -1;
        if (idx->type == SYM_VALUE_INT)
            i = idx->u.i;
        else if (idx->type == SYM_VALUE_FLOAT && idx->u.f >= 0 && idx->u.f < 4294967296.0 &&
                 idx->u.f == floor(idx->u.f))
            i = (int64_t)idx->u.f;
        if (i >= 0 && (uint64_t)i < obj->n)
            v = &obj->u.items[i];
    } else if (obj->type == SYM_VALUE_MAP && idx->type == SYM_VALUE_STRING) {
        v = map_get(obj, idx->u.s, idx->n);
        if (v && strlen(idx->u.s) != idx->n)
            v = NULL; /* a key with a NUL byte matches nothing */
    }
    if (v)
        *out = *v;
    else
        sym__value_set_null(out);
}

static int eval_node(eval *e, const expr_node *n, sym_value *out)
{
    int rc;
    sym_value l, r;
    switch ((expr_node_kind)n->kind) {
    case N_LIT: *out = n->u.lit; return SYM_OK;
    case N_REF: eval_ref(e, &e->t->refs[n->u.ref], out); return SYM_OK;
    case N_NOT:
        if ((rc = eval_node(e, n->u.bin.l, &l)) != SYM_OK)
            return rc;
        sym__value_set_bool(out, !sym__expr_truthy(&l));
        return SYM_OK;
    case N_AND:
    case N_OR:
        if ((rc = eval_node(e, n->u.bin.l, out)) != SYM_OK)
            return rc;
        if (sym__expr_truthy(out) == (n->kind == N_OR))
            return SYM_OK; /* decided by the left operand, which is the value */
        return eval_node(e, n->u.bin.r, out);
    case N_CMP:
        if ((rc = eval_node(e, n->u.bin.l, &l)) != SYM_OK ||
            (rc = eval_node(e, n->u.bin.r, &r)) != SYM_OK)
            return rc;
        return compare(e, n, &l, &r, out);
    case N_CALL: return eval_call(e, n, out);
    case N_MEMBER: {
        if ((rc = eval_node(e, n->u.member.obj, &l)) != SYM_OK)
            return rc;
        const sym_value *v = l.type == SYM_VALUE_MAP
                                 ? map_get(&l, n->u.member.name, n->len)
                                 : NULL;
        if (v)
            *out = *v;
        else
            sym__value_set_null(out);
        return SYM_OK;
    }
    case N_INDEX:
        if ((rc = eval_node(e, n->u.bin.l, &l)) != SYM_OK ||
            (rc = eval_node(e, n->u.bin.r, &r)) != SYM_OK)
            return rc;
        eval_index(&l, &r, out);
        return SYM_OK;
    }
    return efail(e, SYM_EINVAL, n, "corrupt expression");
}

/* ---- templates ------------------------------------------------------------------------ */

/* Several parts: each part's text, then one allocation for the whole. */
static int interpolate(eval *e, sym_value *out)
{
    const expr_template *t = e->t;
    enum { LOCAL = 8 };
    struct piece {
        const char *s;
        size_t n;
        text_buf tb;
    } local[LOCAL], *pieces = local;
    if (t->nparts > LOCAL && !(pieces = ev_alloc(e, t->nparts * sizeof *pieces)))
        return alloc_fail(e, NULL);
    size_t total = 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        const expr_part *part = &t->parts[i];
        struct piece *pc = &pieces[i];
        if (!part->root) {
            pc->s = part->text;
            pc->n = part->len;
        } else {
            sym_value v;
            int rc = eval_node(e, part->root, &v);
            if (rc == SYM_OK)
                rc = to_text(e, part->root, &v, &pc->tb, true, "", &pc->s, &pc->n);
            if (rc != SYM_OK)
                return rc;
        }
        total += pc->n;
        if (total > EXPR_MAX_STRING)
            return efail(e, SYM_ETOOBIG, part->root ? part->root : NULL,
                         "the string would be over the limit of %d bytes", EXPR_MAX_STRING);
    }
    char *o = ev_alloc(e, total + 1);
    if (!o)
        return alloc_fail(e, NULL);
    size_t k = 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        memcpy(o + k, pieces[i].s, pieces[i].n);
        k += pieces[i].n;
    }
    o[total] = '\0';
    memset(out, 0, sizeof *out);
    out->type = SYM_VALUE_STRING;
    out->n = (uint32_t)total;
    out->u.s = o;
    return SYM_OK;
}

int sym__expr_eval(const expr_template *t, const expr_env *env, arena *scratch, sym_value *out,
                   expr_error *err)
{
    static const expr_env no_env;
    eval e = {t, env ? env : &no_env, scratch, 0, false, err};
    sym__value_set_null(out);
    if (err)
        memset(err, 0, sizeof *err);
    int rc;
    if (t->literal) {
        set_borrowed_string(out, t->text);
        out->n = (uint32_t)t->len;
        return SYM_OK;
    }
    if (t->single)
        rc = eval_node(&e, t->parts[0].root, out);
    else
        rc = interpolate(&e, out);
    if (rc != SYM_OK)
        sym__value_set_null(out);
    return rc;
}

int sym__expr_eval_bool(const expr_template *t, const expr_env *env, arena *scratch, bool *out,
                        expr_error *err)
{
    sym_value v;
    int rc = sym__expr_eval(t, env, scratch, &v, err);
    *out = rc == SYM_OK && sym__expr_truthy(&v);
    return rc;
}
