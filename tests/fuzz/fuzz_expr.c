/* fuzz_expr.c - the libFuzzer target of the expression language: any bytes
 * are a template string, parsed, checked against a fixed scope and
 * evaluated against a fixed env (as a value and as a condition). Nothing
 * may crash, leak or hang, and every failure must say why. `make fuzz`
 * builds it with -fsanitize=fuzzer; tests/test_expr.c includes this file to
 * replay tests/fuzz/expr_seeds under every `make check` build, and uses the
 * same fixed env and scope. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "error.h"
#include "expr.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed world, as read-only static values:
 *   params: {date: '2026-11-27', shards: [1, 2, 3, 4], n: 5, ratio: 0.5,
 *            flag: true, opts: {retries: 3, tags: ['a', 'b']}, none: null, empty: ''}
 *   matrix: {shard: 2, os: 'linux'}
 *   tasks:  load (upstream, succeeded): {rows: '42', json: '{"a":[1,2],"b":"x"}'}
 *           extract (upstream, succeeded): {path: '/data/in.csv'}
 *           notify (exists, not upstream), archive (the referring task)
 *   run:    id 'run-1', name 'nightly' */
#define FZ_STR(text) {.type = SYM_VALUE_STRING, .n = sizeof(text) - 1, .u.s = (char *)(text)}
#define FZ_INT(v) {.type = SYM_VALUE_INT, .u.i = (v)}

static const sym_value fz_shards[] = {FZ_INT(1), FZ_INT(2), FZ_INT(3), FZ_INT(4)};
static const sym_value fz_tags[] = {FZ_STR("a"), FZ_STR("b")};
static const value_entry fz_opts[] = {
    {(char *)"retries", FZ_INT(3)},
    {(char *)"tags", {.type = SYM_VALUE_LIST, .n = 2, .u.items = (sym_value *)fz_tags}}};
static const value_entry fz_param_entries[] = {
    {(char *)"date", FZ_STR("2026-11-27")},
    {(char *)"shards", {.type = SYM_VALUE_LIST, .n = 4, .u.items = (sym_value *)fz_shards}},
    {(char *)"n", FZ_INT(5)},
    {(char *)"ratio", {.type = SYM_VALUE_FLOAT, .u.f = 0.5}},
    {(char *)"flag", {.type = SYM_VALUE_BOOL, .u.b = true}},
    {(char *)"opts", {.type = SYM_VALUE_MAP, .n = 2, .u.entries = (value_entry *)fz_opts}},
    {(char *)"none", {.type = SYM_VALUE_NULL}},
    {(char *)"empty", FZ_STR("")}};
static const sym_value fz_params = {.type = SYM_VALUE_MAP, .n = 8,
                                    .u.entries = (value_entry *)fz_param_entries};
static const value_entry fz_matrix_entries[] = {{(char *)"shard", FZ_INT(2)},
                                                {(char *)"os", FZ_STR("linux")}};
static const sym_value fz_matrix = {.type = SYM_VALUE_MAP, .n = 2,
                                    .u.entries = (value_entry *)fz_matrix_entries};
static const value_entry fz_load_out[] = {{(char *)"rows", FZ_STR("42")},
                                          {(char *)"json", FZ_STR("{\"a\":[1,2],\"b\":\"x\"}")}};
static const value_entry fz_extract_out[] = {{(char *)"path", FZ_STR("/data/in.csv")}};

typedef struct fz_task {
    const char *id; /* first, for sym__did_you_mean */
    expr_task_rel rel;
    sym_value outputs;
} fz_task;

static const fz_task fz_tasks[] = {
    {"extract", EXPR_TASK_UPSTREAM,
     {.type = SYM_VALUE_MAP, .n = 1, .u.entries = (value_entry *)fz_extract_out}},
    {"load", EXPR_TASK_UPSTREAM,
     {.type = SYM_VALUE_MAP, .n = 2, .u.entries = (value_entry *)fz_load_out}},
    {"archive", EXPR_TASK_NOT_UPSTREAM, {.type = SYM_VALUE_MAP}},
    {"notify", EXPR_TASK_NOT_UPSTREAM, {.type = SYM_VALUE_MAP}}};
enum { FZ_NTASKS = sizeof fz_tasks / sizeof fz_tasks[0] };

static const struct {
    const char *key;
} fz_axes[] = {{"shard"}, {"os"}};

static expr_task_rel fz_task_rel(void *ctx, const char *id, uint32_t *index)
{
    (void)ctx;
    for (uint32_t i = 0; i < FZ_NTASKS; i++)
        if (strcmp(fz_tasks[i].id, id) == 0) {
            *index = i;
            return fz_tasks[i].rel;
        }
    return EXPR_TASK_UNKNOWN;
}

static const sym_value *fz_task_value(void *ctx, const expr_ref *ref, sym_value *tmp)
{
    (void)ctx;
    const fz_task *t = NULL;
    for (uint32_t i = 0; i < FZ_NTASKS; i++)
        if (strcmp(fz_tasks[i].id, ref->name) == 0)
            t = &fz_tasks[i];
    if (!t)
        return NULL;
    switch (ref->kind) {
    case EXPR_REF_TASK_STATUS:
        tmp->type = SYM_VALUE_STRING;
        tmp->u.s = (char *)(t->rel == EXPR_TASK_UPSTREAM ? "succeeded" : "pending");
        tmp->n = (uint32_t)strlen(tmp->u.s);
        return tmp;
    case EXPR_REF_TASK_OUTPUTS: return &t->outputs;
    default: return sym_value_get(&t->outputs, ref->key);
    }
}

static void fuzz_expr_scope(expr_scope *s)
{
    memset(s, 0, sizeof *s);
    s->params = &fz_params;
    s->matrix_keys = fz_axes;
    s->nmatrix = 2;
    s->matrix_stride = sizeof fz_axes[0];
    s->task = fz_task_rel;
    s->task_ids = fz_tasks;
    s->ntasks = FZ_NTASKS;
    s->task_stride = sizeof fz_tasks[0];
    s->self = "archive";
}

static void fuzz_expr_env(expr_env *e)
{
    memset(e, 0, sizeof *e);
    e->params = &fz_params;
    e->matrix = &fz_matrix;
    e->run_id = "run-1";
    e->run_name = "nightly";
    e->task = fz_task_value;
}

/* A failed evaluation must say why, with a code that is the result. */
static bool fuzz_eval_ok(int rc, const expr_error *err, const sym_value *v)
{
    if (rc == SYM_OK)
        return v->type <= SYM_VALUE_MAP;
    return err->code == rc && err->message[0] != '\0' && v->type == SYM_VALUE_NULL;
}

/* Parses, checks and evaluates one input; false when a contract broke. */
static bool fuzz_expr_one(const uint8_t *data, size_t size)
{
    arena a;
    sym__arena_init(&a);
    sym_error *errs = sym_error_new();
    if (!errs)
        return true;
    diag d;
    sym__diag_init(&d, errs, "fuzz.yaml", 20);
    expr_template *t = NULL;
    bool ok = true;
    int rc = sym__expr_template_parse((const char *)data, size, 1, 1, &a, &d, &t);
    if (rc != SYM_OK) {
        ok = t == NULL && d.count > 0 && d.first == rc;
    } else if (!t || d.count != 0) {
        ok = false;
    } else {
        expr_scope scope;
        fuzz_expr_scope(&scope);
        int crc = sym__expr_check(t, &scope, &d);
        ok = (crc == SYM_OK) == (d.count == 0);
        expr_env env;
        fuzz_expr_env(&env);
        arena scratch;
        sym__arena_init(&scratch);
        sym_value v;
        expr_error err;
        rc = sym__expr_eval(t, &env, &scratch, &v, &err);
        ok = ok && fuzz_eval_ok(rc, &err, &v);
        if (rc == SYM_OK && v.type == SYM_VALUE_STRING)
            ok = ok && strlen(v.u.s) <= v.n;
        bool b;
        int brc = sym__expr_eval_bool(t, &env, &scratch, &b, &err);
        ok = ok && brc == rc && (brc == SYM_OK || !b);
        if (sym__expr_template_is_literal(t))
            ok = ok && rc == SYM_OK && sym__expr_template_text(t, NULL) != NULL;
        sym__arena_free(&scratch);
    }
    sym_error_free(errs);
    sym__arena_free(&a);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool ok = fuzz_expr_one(data, size);
#ifndef FUZZ_IGNORE_CONTRACT
    if (!ok)
        abort();
#else
    (void)ok;
#endif
    return 0;
}
