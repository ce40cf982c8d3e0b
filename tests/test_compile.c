/* test_compile.c - the compiler on workflows from YAML and on drafts made
 * directly: positions and wording of every error, matrices from params,
 * defaults merged field by field, limits. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "symphony.h"
#include "workflow.h"

static sym_error *err;

static void setup(void) { err = sym_error_new(); }
static void teardown(void) { sym_error_free(err); }

static int load(const char *yaml, const sym_load_options *opts, sym_workflow **wf)
{
    return sym_workflow_load_buffer(yaml, strlen(yaml), "etl.yaml", opts, wf, err);
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

static size_t find(const sym_workflow *wf, const char *id)
{
    size_t ix = (size_t)-1;
    ck_assert_msg(sym_workflow_find_task(wf, id, &ix) == SYM_OK, "no task %s", id);
    return ix;
}

START_TEST(yaml_defaults_merge_field_by_field)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "defaults:\n"
                    "  timeout: 30s\n"
                    "  retry: { attempts: 3, backoff: linear, delay: 200ms }\n"
                    "tasks:\n"
                    "  a:\n"
                    "    worker: w\n"
                    "  b:\n"
                    "    worker: w\n"
                    "    needs: a\n"
                    "    retry: { attempts: 5 }\n"
                    "    trigger: all_done\n";
    sym_workflow *wf;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_OK);
    sym_task_info a, b;
    sym_task_info_init(&a);
    sym_task_info_init(&b);
    sym_workflow_task_info(wf, find(wf, "a"), &a);
    sym_workflow_task_info(wf, find(wf, "b"), &b);
    ck_assert_int_eq(a.policy->timeout_ms, 30000);
    ck_assert_uint_eq(a.policy->retry.attempts, 3);
    ck_assert_int_eq(a.policy->retry.backoff, SYM_BACKOFF_LINEAR);
    ck_assert_uint_eq(b.policy->retry.attempts, 5);         /* its own */
    ck_assert_int_eq(b.policy->retry.delay_ms, 200);         /* the defaults' */
    ck_assert_int_eq(b.policy->retry.backoff, SYM_BACKOFF_LINEAR);
    ck_assert_int_eq(b.policy->retry.max_delay_ms, 300000); /* the format's */
    ck_assert_int_eq(b.policy->timeout_ms, 30000);
    ck_assert_int_eq(b.policy->trigger, SYM_TRIGGER_ALL_DONE);
    ck_assert_int_eq(a.policy->trigger, SYM_TRIGGER_ALL_SUCCESS);
    ck_assert_uint_eq(a.line, 7);
    ck_assert_uint_eq(a.column, 3);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(yaml_matrix_from_param)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "params: { shards: [1, 2, 3] }\n"
                    "tasks:\n"
                    "  t:\n"
                    "    worker: w\n"
                    "    matrix: { shard: \"${{params.shards}}\", f: [0.5, x] }\n"
                    "  after:\n"
                    "    worker: w\n"
                    "    needs: [t]\n";
    sym_workflow *wf;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 7);
    ck_assert_uint_eq(find(wf, "t[shard=1,f=0.5]"), 0);
    ck_assert_uint_eq(find(wf, "t[shard=3,f=x]"), 5);
    sym_task_info info;
    sym_task_info_init(&info);
    sym_workflow_task_info(wf, find(wf, "after"), &info);
    ck_assert_uint_eq(info.dep_count, 6);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(yaml_reference_errors)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "tasks:\n"
                    "  transform:\n"
                    "    worker: w\n"
                    "    needs: [transform]\n"
                    "  load:\n"
                    "    worker: w\n"
                    "    needs: [trnsform, nothing_like_it, load]\n"
                    "  twice:\n"
                    "    worker: w\n"
                    "    needs: [load, load]\n";
    sym_workflow *wf;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    EXPECT_TEXT("etl.yaml:6:13: task 'transform' needs itself");
    EXPECT_TEXT("etl.yaml:9:13: task 'load' needs 'trnsform', which does not exist (did you mean "
                "'transform'?)");
    EXPECT_TEXT("etl.yaml:9:23: task 'load' needs 'nothing_like_it', which does not exist");
    EXPECT_TEXT("etl.yaml:9:40: task 'load' needs itself");
    EXPECT_TEXT("etl.yaml:12:19: task 'twice' lists 'load' twice in needs");
}
END_TEST

START_TEST(yaml_cycle)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "tasks:\n"
                    "  load: { worker: w, needs: transform }\n"
                    "  transform: { worker: w, needs: load }\n"
                    "  fine: { worker: w }\n";
    sym_workflow *wf;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ECYCLE);
    ck_assert_uint_eq(sym_error_count(err), 1);
    EXPECT_TEXT("etl.yaml: cycle: load -> transform -> load");
}
END_TEST

/* Literal lists are checked by the schema; expression axes are resolved
 * here against the param defaults. */
START_TEST(yaml_matrix_errors)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "params: { one: 1, shards: [1] }\n"
                    "tasks:\n"
                    "  a: { worker: w, matrix: { k: \"${{ params.one }}\" } }\n"
                    "  b: { worker: w, matrix: { k: \"${{ params.shard }}\" } }\n";
    sym_workflow *wf;
    ck_assert_int_eq(load(y, NULL, &wf), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 2);
    ck_assert_str_eq(sym_error_message(err, 0),
                     "matrix 'k' of task 'a' is ${{ params.one }}, which gives an int, not a "
                     "list");
    ck_assert_uint_eq(sym_error_line(err, 0), 5);
    ck_assert_str_eq(sym_error_message(err, 1), "unknown param 'shard' (did you mean 'shards'?)");
    ck_assert_uint_eq(sym_error_column(err, 1), 37); /* inside the string */
    ck_assert_uint_eq(sym_error_line(err, 1), 6);
}
END_TEST

START_TEST(yaml_limits)
{
    const char *y = "symphony: 1\n"
                    "name: etl\n"
                    "tasks:\n"
                    "  a: { worker: w, matrix: { x: [1, 2, 3], y: [1, 2] } }\n"
                    "  b: { worker: w }\n";
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_matrix = 5;
    sym_workflow *wf;
    ck_assert_int_eq(load(y, &opts, &wf), SYM_ELIMIT);
    EXPECT_TEXT("etl.yaml:4:3: task 'a' expands to 6 matrix instances, more than max_matrix (5)");
    sym_error_clear(err);
    opts.max_matrix = 6;
    opts.max_tasks = 6;
    ck_assert_int_eq(load(y, &opts, &wf), SYM_ELIMIT);
    EXPECT_TEXT("etl.yaml: the workflow has 7 tasks after matrix expansion, more than max_tasks (6)");
    sym_error_clear(err);
    opts.max_tasks = 7;
    ck_assert_int_eq(load(y, &opts, &wf), SYM_OK);
    sym_workflow_free(wf);
}
END_TEST

/* Drafts made directly reach what YAML cannot say (duplicate keys are
 * refused by the reader, and every task there has a worker line). */
START_TEST(draft_duplicates_and_names)
{
    diag dg;
    sym__diag_init(&dg, err, "etl.yaml", 100);
    draft d;
    sym__draft_init(&d, &dg, NULL, "etl.yaml");
    d.name = "etl";
    draft_task *t = sym__draft_add_task(&d, "load", 4);
    t->pos = (draft_pos){7, 3};
    t->worker = "w";
    t = sym__draft_add_task(&d, "load", 4);
    t->pos = (draft_pos){9, 3};
    t->worker = "w";
    t = sym__draft_add_task(&d, "9x", 2);
    t->pos = (draft_pos){11, 3};
    t->worker = "w";
    t = sym__draft_add_task(&d, "x", 1);
    t->pos = (draft_pos){12, 3};
    t = sym__draft_add_task(&d, "y", 1);
    t->pos = (draft_pos){13, 3};
    t->worker = "bad worker";
    t->worker_pos = (draft_pos){13, 14};
    sym_workflow *wf;
    ck_assert_int_eq(sym__draft_compile(&d, &wf), SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    EXPECT_TEXT("etl.yaml:9:3: duplicate task id 'load' (first defined at 7:3)");
    EXPECT_TEXT("etl.yaml:11:3: task id '9x' is not valid: ids start with a letter or '_' and "
                "hold letters, digits, '_' and '-' (at most 64)");
    EXPECT_TEXT("etl.yaml:12:3: task 'x' has no worker");
    EXPECT_TEXT("etl.yaml:13:14: worker name 'bad worker' of task 'y' is not valid: worker names "
                "hold letters, digits, '_', '.' and '-' (at most 64)");
    sym__draft_free(&d);
}
END_TEST

START_TEST(draft_no_name_and_unused_limits)
{
    diag dg;
    sym__diag_init(&dg, err, "etl.yaml", 100);
    draft d;
    sym__draft_init(&d, &dg, NULL, "etl.yaml");
    draft_limit lim = {"nobody.uses.me", 2, {3, 3}};
    ck_assert_int_eq(sym__draft_add_limit(&d, &lim), SYM_OK);
    draft_task *t = sym__draft_add_task(&d, "a", 1);
    t->worker = "w";
    sym_workflow *wf;
    ck_assert_int_eq(sym__draft_compile(&d, &wf), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 1);
    EXPECT_TEXT("etl.yaml: the workflow has no name (add `name:` at the top level)");
    sym__draft_free(&d);

    sym_error_clear(err);
    sym__draft_init(&d, &dg, NULL, "etl.yaml");
    d.name = "ok";
    sym__draft_add_limit(&d, &lim);
    t = sym__draft_add_task(&d, "a", 1);
    t->worker = "w";
    ck_assert_int_eq(sym__draft_compile(&d, &wf), SYM_OK);
    ck_assert_uint_eq(sym_workflow_worker_limit_count(wf), 1);
    const char *name;
    unsigned conc;
    ck_assert_int_eq(sym_workflow_worker_limit(wf, 0, &name, &conc), SYM_OK);
    ck_assert_str_eq(name, "nobody.uses.me");
    ck_assert_uint_eq(conc, 2);
    ck_assert_int_eq(sym_workflow_worker_limit(wf, 1, &name, &conc), SYM_ENOTFOUND);
    sym__draft_free(&d);
    sym_workflow_free(wf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compile");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, yaml_defaults_merge_field_by_field);
    tcase_add_test(tc, yaml_matrix_from_param);
    tcase_add_test(tc, yaml_reference_errors);
    tcase_add_test(tc, yaml_cycle);
    tcase_add_test(tc, yaml_matrix_errors);
    tcase_add_test(tc, yaml_limits);
    tcase_add_test(tc, draft_duplicates_and_names);
    tcase_add_test(tc, draft_no_name_and_unused_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
