/* test_dfload.c - data flow at load: templates parsed at their positions
 * inside strings, the static checks (params, tasks, upstream rule, types),
 * the forms of `if`, matrices from params (expanded over the defaults and
 * again per run), max_parallel, the wf->df layout, and the builder's
 * equivalents. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "expr.h"
#include "symphony.h"
#include "value.h"
#include "workflow.h"

static sym_error *err;

static void setup(void) { err = sym_error_new(); }
static void teardown(void) { sym_error_free(err); }

static int load(const char *yaml, const sym_load_options *opts, sym_workflow **wf)
{
    return sym_workflow_load_buffer(yaml, strlen(yaml), "df.yaml", opts, wf, err);
}

static bool has_text(const char *text)
{
    for (size_t i = 0; i < sym_error_count(err); i++)
        if (strcmp(sym_error_text(err, i), text) == 0)
            return true;
    for (size_t i = 0; i < sym_error_count(err); i++)
        fprintf(stderr, "  got: %s\n", sym_error_text(err, i));
    return false;
}

#define EXPECT_TEXT(text) ck_assert_msg(has_text(text), "missing error: %s", text)

static sym_workflow *load_ok(const char *yaml)
{
    sym_workflow *wf = NULL;
    int rc = load(yaml, NULL, &wf);
    for (size_t i = 0; rc != SYM_OK && i < sym_error_count(err); i++)
        fprintf(stderr, "  unexpected: %s\n", sym_error_text(err, i));
    ck_assert_int_eq(rc, SYM_OK);
    ck_assert_ptr_nonnull(wf);
    return wf;
}

static uint32_t index_of(const sym_workflow *wf, const char *id)
{
    size_t ix = (size_t)-1;
    ck_assert_msg(sym_workflow_find_task(wf, id, &ix) == SYM_OK, "no task %s", id);
    return (uint32_t)ix;
}

#define HEAD "symphony: 1\nname: df\n"

/* ---- parse errors at exact positions ----------------------------------- */

START_TEST(syntax_errors_inside_strings)
{
    const char *y = HEAD "tasks:\n"
                         "  a:\n"
                         "    worker: w\n"
                         "    with:\n"
                         "      plain: x ${{ 1 + }}\n"          /* line 7 */
                         "      quoted: \"${{ 'open }}\"\n"     /* line 8 */
                         "      deep: { list: [1, \"${{ nope(1) }}\"] }\n" /* line 9 */
                         "    if: ${{ true = false }}\n";       /* line 10 */
    sym_workflow *wf = NULL;
    ck_assert_int_ne(load(y, NULL, &wf), SYM_OK);
    ck_assert_ptr_null(wf);
    ck_assert_uint_eq(sym_error_count(err), 4);
    /* Every error is inside its string, on its own line. */
    unsigned lines[4] = {7, 8, 9, 10};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(sym_error_line(err, i), lines[i]);
        ck_assert_int_eq(sym_error_code(err, i), SYM_ESCHEMA);
    }
    /* plain: 'x' at 14, '+' at 22 */
    ck_assert_uint_eq(sym_error_column(err, 0), 22);
    /* the quoted string starts at 15; its quote opens at 20 */
    ck_assert_uint_eq(sym_error_column(err, 1), 20);
    ck_assert_uint_eq(sym_error_column(err, 2), 30); /* nope */
    ck_assert_uint_eq(sym_error_column(err, 3), 18); /* = */
}
END_TEST

/* ---- static checks ------------------------------------------------------ */

START_TEST(references_checked_with_did_you_mean)
{
    const char *y = HEAD "params: { region: eu, flags: [1] }\n"
                         "tasks:\n"
                         "  load: { worker: w }\n"
                         "  mid: { worker: w, needs: load }\n"
                         "  side: { worker: w }\n"
                         "  last:\n"
                         "    worker: w\n"
                         "    needs: mid\n"
                         "    with:\n"
                         "      a: \"${{ params.regoin }}\"\n"            /* line 12 */
                         "      b: \"${{ tasks.lod.outputs.x }}\"\n"      /* line 13 */
                         "      c: \"${{ tasks.side.outputs.x }}\"\n"     /* line 14 */
                         "      d: \"${{ tasks.load.outputs.x }}\"\n"     /* upstream via mid */
                         "      e: \"${{ tasks.last.status }}\"\n"        /* line 16 */
                         "      f: \"${{ params.flags > 1 }}\"\n";       /* line 17 */
    sym_workflow *wf = NULL;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ESCHEMA);
    EXPECT_TEXT("df.yaml:12:15: unknown param 'regoin' (did you mean 'region'?)");
    EXPECT_TEXT("df.yaml:13:15: task 'lod' does not exist (did you mean 'load'?)");
    EXPECT_TEXT("df.yaml:14:15: task 'side' is not upstream of task 'last' (add it to 'needs')");
    EXPECT_TEXT("df.yaml:16:15: task 'last' refers to its own status");
    ck_assert_uint_eq(sym_error_count(err), 5);
    EXPECT_TEXT("df.yaml:17:28: cannot order a list and a number");
}
END_TEST

START_TEST(if_forms)
{
    sym_workflow *wf = load_ok(HEAD "params: { on: true }\n"
                                    "tasks:\n"
                                    "  load: { worker: w }\n"
                                    "  a: { worker: w, needs: load, if: tasks.load.outputs.rows > 0 }\n"
                                    "  b: { worker: w, if: \"${{ params.on }}\" }\n"
                                    "  c: { worker: w, if: false }\n"
                                    "  d: { worker: w }\n");
    ck_assert_ptr_nonnull(wf->df);
    const wf_dataflow *df = wf->df;
    uint32_t a = index_of(wf, "a"), b = index_of(wf, "b"), c = index_of(wf, "c");
    uint32_t d = index_of(wf, "d");
    ck_assert_ptr_nonnull(df->tasks[a].condition);
    ck_assert(sym__expr_template_is_single(df->tasks[a].condition));
    ck_assert_str_eq(wf_task_condition(wf, a), "tasks.load.outputs.rows > 0");
    ck_assert_str_eq(wf_task_condition(wf, c), "false");
    ck_assert_ptr_null(df->tasks[d].condition);
    /* The refs were resolved: tasks.load is group 0 (written first). */
    const expr_ref *refs;
    ck_assert_uint_eq(sym__expr_template_refs(df->tasks[a].condition, &refs), 1);
    ck_assert_uint_eq(refs[0].index, 0);
    bool go = true;
    expr_env env = {.params = wf->params};
    ck_assert_int_eq(sym__expr_eval_bool(df->tasks[c].condition, &env, NULL, &go, NULL), SYM_OK);
    ck_assert(!go);
    ck_assert_int_eq(sym__expr_eval_bool(df->tasks[b].condition, &env, NULL, &go, NULL), SYM_OK);
    ck_assert(go);
    sym_workflow_free(wf);

    sym_workflow *bad = NULL;
    ck_assert_int_eq(load(HEAD "tasks:\n  a: { worker: w, if: \"a }} b\" }\n", NULL, &bad),
                     SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 1);
}
END_TEST

/* A workflow without data flow gets no df; templates point into the
 * compiled inputs tree. */
START_TEST(layout)
{
    sym_workflow *plain = load_ok(HEAD "tasks:\n  a: { worker: w, with: { x: 1 } }\n");
    ck_assert_ptr_null(plain->df);
    sym_workflow_free(plain);

    sym_workflow *wf = load_ok(HEAD "tasks:\n"
                                    "  src: { worker: w, matrix: { k: [1, 2, 3] }, max_parallel: 2 }\n"
                                    "  dst:\n"
                                    "    worker: w\n"
                                    "    needs: src\n"
                                    "    with: { all: \"${{ tasks.src.outputs.v }}\", n: 1,"
                                    " deep: [\"id ${{ run.id }}\"] }\n");
    const wf_dataflow *df = wf->df;
    ck_assert_ptr_nonnull(df);
    ck_assert_uint_eq(df->ngroups, 2);
    ck_assert(df->has_max_parallel);
    ck_assert(!df->has_param_matrix);
    ck_assert_str_eq(df->groups[0].name, "src");
    ck_assert(df->groups[0].is_matrix);
    ck_assert_uint_eq(df->groups[0].max_parallel, 2);
    ck_assert_uint_eq(df->groups[0].ninstances, 3);
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t i = df->groups[0].instances[k];
        ck_assert_uint_eq(df->tasks[i].group, 0);
        ck_assert(strncmp(wf_task_id(wf, i), "src[k=", 6) == 0);
    }
    uint32_t dst = index_of(wf, "dst");
    ck_assert_uint_eq(df->groups[1].ninstances, 1);
    ck_assert_uint_eq(df->groups[1].instances[0], dst);
    ck_assert_uint_eq(df->tasks[dst].ninputs, 2);
    const sym_value *with = wf_task_inputs(wf, dst);
    ck_assert_ptr_eq(df->tasks[dst].inputs[0].leaf, &with->u.entries[0].value);
    ck_assert_ptr_eq(df->tasks[dst].inputs[1].leaf, &with->u.entries[2].value.u.items[0]);
    sym_workflow_free(wf);
}
END_TEST

/* ---- matrices from params ------------------------------------------------ */

static const char *const PARAM_MATRIX =
    HEAD "params: { shards: [a, b], n: 2 }\n"
         "tasks:\n"
         "  prep: { worker: w }\n"
         "  work:\n"
         "    worker: w\n"
         "    needs: prep\n"
         "    matrix: { shard: \"${{ params.shards }}\" }\n"
         "    with: { s: \"${{ matrix.shard }}\" }\n"
         "  done: { worker: w, needs: work }\n";

static sym_value *params_with(const char *key, sym_value *v)
{
    sym_value *map = sym_value_new_map();
    ck_assert_ptr_nonnull(map);
    ck_assert_int_eq(sym_value_map_set(map, key, v), SYM_OK);
    return map;
}

START_TEST(matrix_from_params)
{
    sym_workflow *wf = load_ok(PARAM_MATRIX);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 4);
    index_of(wf, "work[shard=a]");
    index_of(wf, "work[shard=b]");
    ck_assert(wf->df->has_param_matrix);

    /* The same values: no new workflow. */
    sym_workflow *out = (sym_workflow *)1;
    ck_assert_int_eq(sym__workflow_expand_for_params(wf, wf->params, &out, err), SYM_OK);
    ck_assert_ptr_null(out);

    /* Other values: a workflow of their own, the first one untouched. */
    sym_value *list = sym_value_new_list();
    for (int i = 0; i < 3; i++)
        sym_value_list_append(list, sym_value_new_int(i));
    sym_value *p = params_with("shards", list);
    ck_assert_int_eq(sym__workflow_expand_for_params(wf, p, &out, err), SYM_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(sym_workflow_task_count(out), 5);
    uint32_t w1 = index_of(out, "work[shard=1]");
    uint32_t done = index_of(out, "done");
    ck_assert_uint_eq(wf_dep_count(out, done), 3);
    ck_assert_uint_eq(out->df->tasks[w1].ninputs, 1);
    ck_assert_uint_eq(out->df->groups[1].ninstances, 3);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 4);

    /* A re-expanded workflow re-expands from the first one's source. */
    sym_workflow *again = NULL;
    ck_assert_int_eq(sym__workflow_expand_for_params(out, wf->params, &again, err), SYM_OK);
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(sym_workflow_task_count(again), 4);
    /* The first workflow may go first: the others hold it. */
    sym_workflow_free(wf);
    sym_workflow_free(out);
    sym_workflow_free(again);
    sym_value_free(p);
}
END_TEST

START_TEST(matrix_from_params_errors)
{
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_matrix = 3;
    sym_workflow *wf = NULL;
    ck_assert_int_eq(load(PARAM_MATRIX, &opts, &wf), SYM_OK);

    sym_value *list = sym_value_new_list();
    for (int i = 0; i < 4; i++)
        sym_value_list_append(list, sym_value_new_int(i));
    sym_value *p = params_with("shards", list);
    sym_workflow *out = NULL;
    ck_assert_int_eq(sym__workflow_expand_for_params(wf, p, &out, err), SYM_ELIMIT);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_uint_eq(sym_error_line(err, 0), 0);
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "params.shards"));
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "max_matrix"));
    sym_value_free(p);

    p = params_with("shards", sym_value_new_string("nope"));
    ck_assert_int_eq(sym__workflow_expand_for_params(wf, p, &out, err), SYM_ESCHEMA);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 1), "not a list"));
    sym_value_free(p);
    sym_workflow_free(wf);

    /* At load: an axis reads params only, and must give a list of scalars. */
    sym_error_free(err);
    err = sym_error_new();
    const char *y = HEAD "params: { n: 2, nested: [[1]] }\n"
                         "tasks:\n"
                         "  a: { worker: w }\n"
                         "  b: { worker: w, needs: a, matrix: { k: \"${{ tasks.a.outputs.x }}\" } }\n"
                         "  c: { worker: w, matrix: { k: \"${{ params.n }}\" } }\n"
                         "  d: { worker: w, matrix: { k: \"${{ params.nested }}\" } }\n"
                         "  e: { worker: w, matrix: { k: \"${{ fromJSON('[1,2]') }}\" } }\n"
                         "  f: { worker: w, max_parallel: 2 }\n";
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ESCHEMA);
    EXPECT_TEXT("df.yaml:6:47: matrix axis 'k' of task 'b' may read only params (it is expanded "
                "before the run starts), not tasks.a");
    EXPECT_TEXT("df.yaml:7:32: matrix 'k' of task 'c' is ${{ params.n }}, which gives an int, "
                "not a list");
    EXPECT_TEXT("df.yaml:8:32: matrix 'k' of task 'd' is ${{ params.nested }}, whose value 1 is "
                "a list: matrix values must be strings, numbers or booleans");
    EXPECT_TEXT("df.yaml:10:33: task 'f' has max_parallel but no matrix (it bounds a matrix's "
                "instances in flight)");
    ck_assert_uint_eq(sym_error_count(err), 4); /* e is fine: an expression over no param */
}
END_TEST

/* ---- the builder ---------------------------------------------------------- */

START_TEST(builder_equivalents)
{
    sym_builder *b = sym_builder_new("df");
    size_t load_ix, work, side;
    sym_value *shards = sym_value_new_list();
    sym_value_list_append(shards, sym_value_new_string("x"));
    sym_value_list_append(shards, sym_value_new_string("y"));
    ck_assert_int_eq(sym_builder_set_param(b, "shards", shards), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "load", "w", &load_ix), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "work", "w", &work), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "side", "w", &side), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, work, load_ix), SYM_OK);
    ck_assert_int_eq(sym_builder_set_condition(b, work, "tasks.load.outputs.rows > 0"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_matrix_expr(b, work, "s", "${{ params.shards }}"), SYM_OK);
    ck_assert_int_eq(sym_builder_set_max_parallel(b, work, 1), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, work, "s", sym_value_new_string("${{ matrix.s }}")),
                     SYM_OK);
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 4);
    uint32_t wy = index_of(wf, "work[s=y]");
    ck_assert_ptr_nonnull(wf->df);
    ck_assert_ptr_nonnull(wf->df->tasks[wy].condition);
    ck_assert_uint_eq(wf->df->tasks[wy].ninputs, 1);
    ck_assert_uint_eq(wf->df->groups[1].max_parallel, 1);
    ck_assert(wf->df->has_param_matrix);
    sym_value *two = sym_value_new_list();
    sym_value_list_append(two, sym_value_new_string("z"));
    sym_value *p = params_with("shards", two);
    sym_workflow *out = NULL;
    ck_assert_int_eq(sym__workflow_expand_for_params(wf, p, &out, err), SYM_OK);
    ck_assert_ptr_nonnull(out);
    index_of(out, "work[s=z]");
    sym_workflow_free(out);
    sym_workflow_free(wf);
    sym_value_free(p);

    /* Errors: at once from the setters, and from the checks at build. */
    ck_assert_int_eq(sym_builder_add_task(b, "a", "w", &load_ix), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "z", "w", &side), SYM_OK);
    ck_assert_int_eq(sym_builder_set_condition(b, load_ix, "${{ 1 + }}"), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_add_matrix_expr(b, load_ix, "k", "x ${{ params.p }}"),
                     SYM_EINVAL);
    ck_assert_int_eq(sym_builder_set_input(b, load_ix, "v",
                                           sym_value_new_string("${{ tasks.zz.status }}")),
                     SYM_OK);
    ck_assert_int_eq(sym_builder_set_max_parallel(b, side, 3), SYM_OK);
    sym_error_free(err);
    err = sym_error_new();
    ck_assert_int_ne(sym_builder_build(b, &wf, err), SYM_OK);
    ck_assert_ptr_null(wf);
    EXPECT_TEXT("an input of task 'a': task 'zz' does not exist (did you mean 'z'?) (at "
                "character 5)");
    EXPECT_TEXT("task 'z' has max_parallel but no matrix (it bounds a matrix's instances in "
                "flight)");
    ck_assert_uint_eq(sym_error_count(err), 4);
    sym_builder_free(b);
}
END_TEST

/* ---- no script injection through exec's `shell` ------------------------ */

#define SHELL_FIX                                                                                  \
    "'${{ }}' in exec's 'shell' text would run data as shell code; pass the value through "       \
    "'env:' (env: { NAME: \"${{ params.x }}\" }) and use \"$NAME\" in the script"

/* A param or an upstream output pasted into the text of /bin/sh -c runs
 * as code (`--param x='; rm -rf ~'`): refused at the string, whatever
 * form it takes (plain, quoted, block, inside a list or map under
 * `shell`, through an alias, the worker named before or after `with`,
 * in a matrix task). */
START_TEST(exec_shell_templates_refused)
{
    const char *y = HEAD "params: { x: hi }\n"
                         "tasks:\n"
                         "  up: { worker: exec, with: { argv: ['true'] } }\n"     /* line 5 */
                         "  greet:\n"
                         "    worker: exec\n"
                         "    needs: up\n"
                         "    with:\n"
                         "      shell: \"echo ${{ tasks.up.outputs.name }}\"\n"    /* line 10 */
                         "  late:\n"
                         "    with:\n"
                         "      shell: echo ${{ params.x }}\n"                     /* line 13 */
                         "    worker: exec\n"
                         "  block:\n"
                         "    worker: exec\n"
                         "    with:\n"
                         "      shell: |\n"                                        /* line 18 */
                         "        echo safe\n"
                         "        echo ${{ params.x }}\n"
                         "  nested: { worker: exec, with: { shell: [\"${{ params.x }}\"] } }\n"
                         "  alias: { worker: exec, with: &w { shell: 'a ${{ params.x }}' } }\n"
                         "  again: { worker: exec, with: *w }\n"
                         "  shard:\n"
                         "    worker: exec\n"
                         "    matrix: { n: [1, 2] }\n"
                         "    with: { shell: 'echo ${{ matrix.n }}' }\n";        /* line 27 */
    sym_workflow *wf = NULL;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    EXPECT_TEXT("df.yaml:10:15: task 'greet': " SHELL_FIX);
    EXPECT_TEXT("df.yaml:13:14: task 'late': " SHELL_FIX);
    EXPECT_TEXT("df.yaml:18:15: task 'block': " SHELL_FIX); /* block: after its '|' */
    EXPECT_TEXT("df.yaml:21:44: task 'nested': " SHELL_FIX);
    EXPECT_TEXT("df.yaml:22:45: task 'alias': " SHELL_FIX);
    /* The alias's copy is refused too, at the anchor's string. */
    EXPECT_TEXT("df.yaml:22:45: task 'again': " SHELL_FIX);
    /* A matrix task once, not once per instance. */
    EXPECT_TEXT("df.yaml:27:21: task 'shard': " SHELL_FIX);
    ck_assert_uint_eq(sym_error_count(err), 7);
    for (size_t i = 0; i < sym_error_count(err); i++)
        ck_assert_int_eq(sym_error_code(err, i), SYM_ESCHEMA);
}
END_TEST

/* Where an expression's value is data, it stays allowed: exec's argv
 * elements, env values and cwd, plain `shell` text, and any input called
 * `shell` of another worker. */
START_TEST(exec_data_templates_allowed)
{
    const char *y = HEAD "params: { x: hi, dir: /tmp }\n"
                         "tasks:\n"
                         "  argv: { worker: exec, with: { argv: [echo, '${{ params.x }}'] } }\n"
                         "  env:\n"
                         "    worker: exec\n"
                         "    needs: argv\n"
                         "    with:\n"
                         "      shell: 'echo \"$X\" \"$RC\" ${HOME}'\n"
                         "      env: { X: '${{ params.x }}', RC: '${{ tasks.argv.status }}' }\n"
                         "      cwd: '${{ params.dir }}'\n"
                         "  other: { worker: script, with: { shell: 'echo ${{ params.x }}' } }\n"
                         "  nested:\n"
                         "    worker: exec\n"
                         "    with: { env: { shell: '${{ params.x }}' }, argv: ['true'] }\n";
    sym_workflow *wf = load_ok(y);
    sym_workflow_free(wf);
}
END_TEST

/* The builder refuses the same, without a position. */
START_TEST(exec_shell_templates_refused_in_builder)
{
    sym_builder *b = sym_builder_new("df");
    size_t t, ok, other;
    ck_assert_int_eq(sym_builder_set_param(b, "x", sym_value_new_string("hi")), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "greet", "exec", &t), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "ok", "exec", &ok), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "other", "script", &other), SYM_OK);
    ck_assert_int_eq(
        sym_builder_set_input(b, t, "shell", sym_value_new_string("echo ${{ params.x }}")),
        SYM_OK);
    sym_value *env = sym_value_new_map();
    ck_assert_int_eq(sym_value_map_set(env, "X", sym_value_new_string("${{ params.x }}")),
                     SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, ok, "env", env), SYM_OK);
    ck_assert_int_eq(sym_builder_set_input(b, ok, "shell", sym_value_new_string("echo \"$X\"")),
                     SYM_OK);
    ck_assert_int_eq(
        sym_builder_set_input(b, other, "shell", sym_value_new_string("${{ params.x }}")),
        SYM_OK);
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_ptr_null(wf);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_str_eq(sym_error_message(err, 0), "task 'greet': " SHELL_FIX);
    ck_assert_uint_eq(sym_error_line(err, 0), 0);
    sym_builder_free(b);
}
END_TEST

static Suite *dfload_suite(void)
{
    Suite *s = suite_create("dfload");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, syntax_errors_inside_strings);
    tcase_add_test(tc, references_checked_with_did_you_mean);
    tcase_add_test(tc, if_forms);
    tcase_add_test(tc, layout);
    tcase_add_test(tc, matrix_from_params);
    tcase_add_test(tc, matrix_from_params_errors);
    tcase_add_test(tc, builder_equivalents);
    tcase_add_test(tc, exec_shell_templates_refused);
    tcase_add_test(tc, exec_data_templates_allowed);
    tcase_add_test(tc, exec_shell_templates_refused_in_builder);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(dfload_suite)
