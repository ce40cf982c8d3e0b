/* Tests of the YAML schema layer (lib/schema.c) and the load entry points
 * (lib/load.c): drafts read straight from YAML, every class of error with
 * its exact position and message, and whole loads through the public API. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "proc_status.h"
#include "draft.h"
#include "schema.h"
#include "symphony.h"
#include "value.h"
#include "yreader.h"

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                  */
/* ------------------------------------------------------------------------ */

/* A draft read from YAML text by the schema alone (no compile). */
typedef struct fixture {
    sym_error *err;
    diag dg;
    draft d;
    sym_load_options opts;
    int rc;
    bool checkable;
} fixture;

static void read_with(fixture *f, const char *yaml, size_t max_errors)
{
    f->err = sym_error_new();
    ck_assert_ptr_nonnull(f->err);
    sym_load_options_init(&f->opts);
    f->opts.max_errors = max_errors;
    sym__diag_init(&f->dg, f->err, "t.yaml", max_errors);
    sym__draft_init(&f->d, &f->dg, &f->opts, "t.yaml");
    yreader *r = NULL;
    ck_assert_int_eq(sym__yr_open(&r, yaml, strlen(yaml), &f->opts, &f->dg), SYM_OK);
    f->rc = sym__schema_read(r, &f->d, &f->checkable);
    sym__yr_close(r);
}

static void read_yaml(fixture *f, const char *yaml) { read_with(f, yaml, 100); }

static void done(fixture *f)
{
    sym__draft_free(&f->d);
    sym_error_free(f->err);
}

/* Asserts error i of err is at line:column with a message containing
 * text. */
static void expect_error_at(const sym_error *err, size_t i, unsigned line, unsigned column,
                            const char *text)
{
    ck_assert_msg(i < sym_error_count(err), "no error %zu (only %zu)", i, sym_error_count(err));
    const char *msg = sym_error_message(err, i);
    ck_assert_msg(strstr(msg, text) != NULL, "error %zu is '%s', expected it to contain '%s'", i,
                  msg, text);
    ck_assert_msg(sym_error_line(err, i) == line && sym_error_column(err, i) == column,
                  "error '%s' is at %u:%u, expected %u:%u", msg, sym_error_line(err, i),
                  sym_error_column(err, i), line, column);
}

/* Reads yaml expecting exactly one schema error. */
static void expect_only_error(const char *yaml, unsigned line, unsigned column, const char *text)
{
    fixture f;
    read_yaml(&f, yaml);
    ck_assert_int_eq(f.rc, SYM_ESCHEMA);
    ck_assert_msg(sym_error_count(f.err) == 1, "%zu errors, first '%s'",
                  sym_error_count(f.err), sym_error_message(f.err, 0));
    expect_error_at(f.err, 0, line, column, text);
    ck_assert_int_eq(sym_error_code(f.err, 0), SYM_ESCHEMA);
    done(&f);
}

#define HEAD "symphony: 1\nname: t\n"

static const draft_task *task_named(const draft *d, const char *id)
{
    for (size_t i = 0; i < d->ntasks; i++)
        if (strcmp(d->tasks[i].id, id) == 0)
            return &d->tasks[i];
    ck_abort_msg("no task '%s' in the draft", id);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* What a valid file puts in the draft                                       */
/* ------------------------------------------------------------------------ */

START_TEST(minimal_workflow)
{
    fixture f;
    read_yaml(&f, "symphony: 1\nname: nightly\ntasks:\n  a:\n    worker: w\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_uint_eq(sym_error_count(f.err), 0);
    ck_assert_str_eq(f.d.name, "nightly");
    ck_assert_uint_eq(f.d.name_pos.line, 2);
    ck_assert_uint_eq(f.d.name_pos.column, 7);
    ck_assert_uint_eq(f.d.ntasks, 1);
    const draft_task *t = &f.d.tasks[0];
    ck_assert_str_eq(t->id, "a");
    ck_assert_uint_eq(t->pos.line, 4);
    ck_assert_uint_eq(t->pos.column, 3);
    ck_assert_str_eq(t->worker, "w");
    ck_assert_uint_eq(t->worker_pos.line, 5);
    ck_assert_uint_eq(t->worker_pos.column, 13);
    ck_assert_uint_eq(t->set, 0);
    ck_assert_ptr_null(t->with);
    ck_assert_ptr_null(t->condition);
    ck_assert_uint_eq(t->nneeds, 0);
    ck_assert_ptr_null(f.d.params);
    done(&f);
}
END_TEST

START_TEST(top_level_keys)
{
    fixture f;
    read_yaml(&f, HEAD "description: One day.\n"
                       "params:\n"
                       "  date: \"2026-11-27\"\n"
                       "  shards: [1, 2]\n"
                       "concurrency: 16\n"
                       "deadline: 1h\n"
                       "fail_fast: true\n"
                       "workers:\n"
                       "  db.load: { concurrency: 2 }\n"
                       "  http.get:\n"
                       "    concurrency: 8\n"
                       "tasks:\n"
                       "  a: { worker: db.load }\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_str_eq(f.d.description, "One day.");
    ck_assert_uint_eq(f.d.concurrency, 16);
    ck_assert_int_eq(f.d.deadline_ms, 3600000);
    ck_assert(f.d.fail_fast);
    const sym_value *p = f.d.params;
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(sym_value_type_of(p), SYM_VALUE_MAP);
    ck_assert_uint_eq(sym_value_count(p), 2);
    ck_assert_str_eq(sym_value_key_at(p, 0), "date");
    ck_assert_str_eq(sym_value_string(sym_value_get(p, "date"), NULL), "2026-11-27");
    ck_assert_uint_eq(sym_value_count(sym_value_get(p, "shards")), 2);
    int64_t i = 0;
    ck_assert_int_eq(sym_value_get_int(sym_value_at(sym_value_get(p, "shards"), 1), &i), SYM_OK);
    ck_assert_int_eq(i, 2);
    ck_assert_uint_eq(f.d.nlimits, 2);
    ck_assert_str_eq(f.d.limits[0].worker, "db.load");
    ck_assert_uint_eq(f.d.limits[0].concurrency, 2);
    ck_assert_uint_eq(f.d.limits[0].pos.line, 11);
    ck_assert_uint_eq(f.d.limits[0].pos.column, 3);
    ck_assert_str_eq(f.d.limits[1].worker, "http.get");
    ck_assert_uint_eq(f.d.limits[1].concurrency, 8);
    /* Worker names are interned: the limit and the task share one string. */
    ck_assert_ptr_eq(f.d.limits[0].worker, f.d.tasks[0].worker);
    done(&f);
}
END_TEST

START_TEST(task_keys)
{
    fixture f;
    read_yaml(&f, HEAD "tasks:\n"
                       "  extract:\n"
                       "    worker: http.get\n"
                       "  load:\n"
                       "    worker: db.load\n"
                       "    description: Loads.\n"
                       "    needs: [extract, other]\n"
                       "    with: { url: \"https://x/${{ params.date }}\", n: 3 }\n"
                       "    if: \"${{ params.go }}\"\n"
                       "    timeout: 10s\n"
                       "    retry: { attempts: 5, backoff: linear, delay: 250ms, max_delay: 2m, "
                       "jitter: true, retry_on: [timeout] }\n"
                       "    trigger: one_failed\n"
                       "    continue_on_error: true\n"
                       "  single:\n"
                       "    worker: w\n"
                       "    needs: extract\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_uint_eq(f.d.ntasks, 3);
    const draft_task *t = task_named(&f.d, "load");
    ck_assert_uint_eq(t->nneeds, 2);
    ck_assert_str_eq(t->needs[0].name, "extract");
    ck_assert_uint_eq(t->needs[0].pos.line, 9);
    ck_assert_uint_eq(t->needs[0].pos.column, 13);
    ck_assert_str_eq(t->needs[1].name, "other");
    ck_assert_uint_eq(t->needs[1].pos.column, 22);
    ck_assert_ptr_nonnull(t->with);
    ck_assert_uint_eq(sym_value_count(t->with), 2);
    ck_assert_str_eq(sym_value_string(sym_value_get(t->with, "url"), NULL),
                     "https://x/${{ params.date }}");
    ck_assert_str_eq(t->condition, "${{ params.go }}");
    ck_assert_uint_eq(t->condition_pos.line, 11);
    ck_assert_uint_eq(t->condition_pos.column, 9);
    ck_assert_int_eq(t->policy->timeout_ms, 10000);
    ck_assert_uint_eq(t->policy->retry.attempts, 5);
    ck_assert_int_eq(t->policy->retry.backoff, SYM_BACKOFF_LINEAR);
    ck_assert_int_eq(t->policy->retry.delay_ms, 250);
    ck_assert_int_eq(t->policy->retry.max_delay_ms, 120000);
    ck_assert(t->policy->retry.jitter);
    ck_assert_uint_eq(t->policy->retry.retry_on, SYM_RETRY_ON_TIMEOUT);
    ck_assert_int_eq(t->policy->trigger, SYM_TRIGGER_ONE_FAILED);
    ck_assert(t->policy->continue_on_error);
    ck_assert_uint_eq(t->set, DRAFT_SET_ALL);
    const draft_task *s = task_named(&f.d, "single");
    ck_assert_uint_eq(s->nneeds, 1);
    ck_assert_str_eq(s->needs[0].name, "extract");
    ck_assert_uint_eq(s->needs[0].pos.line, 18);
    ck_assert_uint_eq(s->needs[0].pos.column, 12);
    done(&f);
}
END_TEST

START_TEST(policy_marks_only_what_is_written)
{
    fixture f;
    read_yaml(&f, HEAD "defaults:\n"
                       "  timeout: 30s\n"
                       "  retry: { attempts: 3, jitter: false }\n"
                       "tasks:\n"
                       "  a:\n"
                       "    worker: w\n"
                       "    retry: { delay: 1s }\n"
                       "    trigger: all_done\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_uint_eq(f.d.defaults_set, DRAFT_SET_TIMEOUT | DRAFT_SET_ATTEMPTS | DRAFT_SET_JITTER);
    ck_assert_int_eq(f.d.defaults.timeout_ms, 30000);
    ck_assert_uint_eq(f.d.defaults.retry.attempts, 3);
    ck_assert(!f.d.defaults.retry.jitter);
    ck_assert_uint_eq(f.d.tasks[0].set, DRAFT_SET_DELAY | DRAFT_SET_TRIGGER);
    ck_assert_ptr_nonnull(f.d.tasks[0].policy);
    ck_assert_int_eq(f.d.tasks[0].policy->retry.delay_ms, 1000);
    ck_assert_int_eq(f.d.tasks[0].policy->trigger, SYM_TRIGGER_ALL_DONE);
    done(&f);
}
END_TEST

START_TEST(matrix_axes)
{
    fixture f;
    read_yaml(&f, HEAD "params: { shards: [1, 2, 3] }\n"
                       "tasks:\n"
                       "  t:\n"
                       "    worker: w\n"
                       "    matrix:\n"
                       "      shard: \"${{ params.shards }}\"\n"
                       "      region: [eu, us]\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    const draft_task *t = &f.d.tasks[0];
    ck_assert_uint_eq(t->naxes, 2);
    ck_assert_str_eq(t->axes[0].key, "shard");
    ck_assert_str_eq(t->axes[0].expr, "${{ params.shards }}");
    ck_assert_ptr_null(t->axes[0].values);
    ck_assert_uint_eq(t->axes[0].pos.line, 8);
    ck_assert_uint_eq(t->axes[0].pos.column, 14);
    ck_assert_str_eq(t->axes[1].key, "region");
    ck_assert_ptr_null(t->axes[1].expr);
    ck_assert_uint_eq(sym_value_count(t->axes[1].values), 2);
    ck_assert_str_eq(sym_value_string(sym_value_at(t->axes[1].values, 1), NULL), "us");
    done(&f);
}
END_TEST

START_TEST(interned_worker_names)
{
    fixture f;
    read_yaml(&f, HEAD "tasks:\n  a: {worker: w}\n  b: {worker: w}\n  c: {worker: \"w\"}\n"
                       "  d: {worker: v}\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_ptr_eq(f.d.tasks[0].worker, f.d.tasks[1].worker);
    ck_assert_ptr_eq(f.d.tasks[0].worker, f.d.tasks[2].worker);
    ck_assert_ptr_ne(f.d.tasks[0].worker, f.d.tasks[3].worker);
    ck_assert_str_eq(f.d.tasks[3].worker, "v");
    done(&f);
}
END_TEST

START_TEST(empty_sections_mean_none)
{
    fixture f;
    read_yaml(&f, HEAD "params:\ndefaults:\nworkers:\ntasks:\n  a:\n    worker: w\n    with:\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_ptr_null(f.d.params);
    ck_assert_uint_eq(f.d.defaults_set, 0);
    ck_assert_uint_eq(f.d.nlimits, 0);
    ck_assert_ptr_null(f.d.tasks[0].with);
    done(&f);
}
END_TEST

/* Compile is the one to report a repeated id, with both positions, so the
 * schema keeps both tasks. */
START_TEST(duplicate_task_ids_reach_the_draft)
{
    fixture f;
    read_yaml(&f, HEAD "tasks:\n  a: {worker: w}\n  a: {worker: v}\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert_uint_eq(f.d.ntasks, 2);
    ck_assert_uint_eq(f.d.tasks[1].pos.line, 5);
    done(&f);

    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    const char *y = HEAD "tasks:\n  a: {worker: w}\n  a: {worker: v}\n";
    ck_assert_int_ne(sym_workflow_load_buffer(y, strlen(y), "t.yaml", NULL, &wf, err), SYM_OK);
    ck_assert_ptr_null(wf);
    expect_error_at(err, 0, 5, 3, "duplicate task id 'a'");
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Durations                                                                 */
/* ------------------------------------------------------------------------ */

static int64_t duration_ok(const char *s)
{
    int64_t ms = -1;
    ck_assert_msg(sym__schema_parse_duration(s, strlen(s), &ms) == SCHEMA_DURATION_OK,
                  "'%s' should be a duration", s);
    return ms;
}

static schema_duration_status duration_status(const char *s)
{
    int64_t ms = -7;
    schema_duration_status st = sym__schema_parse_duration(s, strlen(s), &ms);
    ck_assert_int_eq(ms, -7); /* untouched unless it is one */
    return st;
}

START_TEST(durations)
{
    ck_assert_int_eq(duration_ok("250ms"), 250);
    ck_assert_int_eq(duration_ok("10s"), 10000);
    ck_assert_int_eq(duration_ok("5m"), 300000);
    ck_assert_int_eq(duration_ok("2h"), 7200000);
    ck_assert_int_eq(duration_ok("0s"), 0);
    ck_assert_int_eq(duration_ok("1.5s"), 1500);
    ck_assert_int_eq(duration_ok("1.50s"), 1500);
    ck_assert_int_eq(duration_ok("0.25m"), 15000);
    ck_assert_int_eq(duration_ok("1.001s"), 1001);
    ck_assert_int_eq(duration_ok("2.0ms"), 2);
    ck_assert_int_eq(duration_ok("0.00001h"), 36);
    ck_assert_int_eq(duration_ok("876000h"), SCHEMA_DURATION_MAX_MS);
}
END_TEST

START_TEST(bad_durations)
{
    ck_assert_int_eq(duration_status("30"), SCHEMA_DURATION_NO_UNIT);
    ck_assert_int_eq(duration_status("1.5"), SCHEMA_DURATION_NO_UNIT);
    ck_assert_int_eq(duration_status("10sec"), SCHEMA_DURATION_BAD_UNIT);
    ck_assert_int_eq(duration_status("10 s"), SCHEMA_DURATION_BAD_UNIT);
    ck_assert_int_eq(duration_status("10S"), SCHEMA_DURATION_BAD_UNIT);
    ck_assert_int_eq(duration_status("-5s"), SCHEMA_DURATION_NEGATIVE);
    ck_assert_int_eq(duration_status("1.5ms"), SCHEMA_DURATION_INEXACT);
    ck_assert_int_eq(duration_status("1.0005s"), SCHEMA_DURATION_INEXACT);
    ck_assert_int_eq(duration_status("1.0000000001h"), SCHEMA_DURATION_INEXACT);
    ck_assert_int_eq(duration_status("0.000001h"), SCHEMA_DURATION_INEXACT); /* 3.6 ms */
    ck_assert_int_eq(duration_status("876001h"), SCHEMA_DURATION_TOO_LONG);
    ck_assert_int_eq(duration_status("99999999999999999999999ms"), SCHEMA_DURATION_TOO_LONG);
    ck_assert_int_eq(duration_status(""), SCHEMA_DURATION_MALFORMED);
    ck_assert_int_eq(duration_status("s"), SCHEMA_DURATION_MALFORMED);
    ck_assert_int_eq(duration_status(".5s"), SCHEMA_DURATION_MALFORMED);
    ck_assert_int_eq(duration_status("1.s"), SCHEMA_DURATION_MALFORMED);
    ck_assert_int_eq(duration_status("abc"), SCHEMA_DURATION_MALFORMED);
}
END_TEST

START_TEST(duration_errors_in_files)
{
    expect_only_error(HEAD "tasks:\n  a:\n    worker: w\n    timeout: 30\n", 6, 14,
                      "duration 30 needs a unit (e.g. 30s or 30ms)");
    expect_only_error(HEAD "deadline: 5 minutes\ntasks:\n  a: {worker: w}\n", 3, 11,
                      "duration '5 minutes' has an unknown unit");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {delay: -1s}}\n", 4, 33,
                      "'delay' in task 'a': duration '-1s' may not be negative");
    expect_only_error(HEAD "defaults: {timeout: 9999999h}\ntasks:\n  a: {worker: w}\n", 3, 21,
                      "is too long");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, timeout: [1s]}\n", 4, 27,
                      "'timeout' in task 'a' must be a duration such as 30s or 250ms, not a list");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Error classes, each with its exact position                               */
/* ------------------------------------------------------------------------ */

START_TEST(unknown_keys_suggest)
{
    expect_only_error(HEAD "tasks:\n"
                           "  load:\n"
                           "    worker: w\n"
                           "    need: [a]\n",
                      6, 5, "unknown key 'need' in task 'load' (did you mean 'needs'?)");
    expect_only_error(HEAD "descripton: x\ntasks:\n  a: {worker: w}\n", 3, 1,
                      "unknown key 'descripton' at the top level (did you mean 'description'?)");
    expect_only_error(HEAD "defaults:\n  timout: 1s\ntasks:\n  a: {worker: w}\n", 4, 3,
                      "unknown key 'timout' in 'defaults' (did you mean 'timeout'?)");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {attemps: 2}}\n", 4, 26,
                      "unknown key 'attemps' in 'retry' of task 'a' (did you mean 'attempts'?)");
    expect_only_error(HEAD "workers:\n  w: {concurency: 2}\ntasks:\n  a: {worker: w}\n", 4, 7,
                      "unknown key 'concurency' in worker 'w' (did you mean 'concurrency'?)");
}
END_TEST

START_TEST(unknown_key_lists_the_allowed_ones)
{
    expect_only_error(HEAD "tasks:\n  a: {worker: w, banana: 1}\n", 4, 18,
                      "unknown key 'banana' in task 'a' (allowed: worker, needs, with, if, "
                      "matrix, max_parallel, description, timeout, retry, trigger or "
                      "continue_on_error)");
    /* max_parallel is a count (whether a matrix goes with it is compile's). */
    expect_only_error(HEAD "tasks:\n  a: {worker: w, max_parallel: 0}\n", 4, 32,
                      "'max_parallel' in task 'a' must be an integer >= 1, not '0'");
}
END_TEST

START_TEST(wrong_types)
{
    expect_only_error(HEAD "tasks:\n  load:\n    worker: w\n    retry:\n      attempts: three\n",
                      7, 17, "'attempts' in task 'load' must be an integer >= 1, not 'three'");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {attempts: 0}}\n", 4, 36,
                      "'attempts' in task 'a' must be an integer >= 1, not '0'");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {attempts: \"3\"}}\n", 4, 36,
                      "must be an integer >= 1, not '3'");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {attempts: 99999999999}}\n", 4, 36,
                      "'attempts' in task 'a' must be an integer from 1 to 4294967295");
    expect_only_error(HEAD "fail_fast: yes\ntasks:\n  a: {worker: w}\n", 3, 12,
                      "'fail_fast' at the top level must be true or false, not 'yes'");
    expect_only_error(HEAD "concurrency: 0\ntasks:\n  a: {worker: w}\n", 3, 14,
                      "'concurrency' at the top level must be an integer >= 1, not '0'");
    expect_only_error(HEAD "tasks:\n  a: {worker: [x]}\n", 4, 15,
                      "'worker' in task 'a' must be a worker name, not a list");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, with: [1]}\n", 4, 24,
                      "'with' in task 'a' must be a mapping of input names to values, not a list");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, needs: {b: c}}\n", 4, 25,
                      "'needs' in task 'a' must be a task id or a list of task ids, not a mapping");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, needs: [b, [c]]}\n", 4, 29,
                      "each entry of 'needs' in task 'a' must be a task id, not a list");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, if: [x]}\n", 4, 22,
                      "'if' in task 'a' must be an expression such as \"${{ params.enabled }}\" "
                      "or a bool, not a list");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, if: 3}\n", 4, 22,
                      "'if' in task 'a' must be an expression");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: 3}\n", 4, 25,
                      "'retry' in task 'a' must be a mapping such as {attempts: 3, delay: 1s}");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, continue_on_error: 1}\n", 4, 37,
                      "'continue_on_error' in task 'a' must be true or false, not '1'");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {retry_on: error}}\n", 4, 36,
                      "'retry_on' in task 'a' must be a list such as [error, timeout]");
    expect_only_error(HEAD "tasks:\n  a: w\n", 4, 6,
                      "task 'a' must be a mapping with at least 'worker', not 'w'");
    expect_only_error(HEAD "params: [a]\ntasks:\n  a: {worker: w}\n", 3, 9,
                      "'params' at the top level must be a mapping of param names to default "
                      "values, not a list");
    expect_only_error(HEAD "workers:\n  w: 2\ntasks:\n  a: {worker: w}\n", 4, 6,
                      "'w' in 'workers' must be a mapping such as {concurrency: 2}, not '2'");
    expect_only_error("- a\n- b\n", 1, 1,
                      "a workflow must be a mapping with 'symphony', 'name' and 'tasks', not a "
                      "list");
}
END_TEST

START_TEST(enumerations_suggest_and_list)
{
    expect_only_error(HEAD "tasks:\n  a: {worker: w, trigger: all_sucess}\n", 4, 27,
                      "unknown trigger 'all_sucess' in task 'a' (did you mean 'all_success'?); "
                      "use one of all_success, all_done, all_failed, one_failed, one_success or "
                      "none_failed");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, trigger: whenever}\n", 4, 27,
                      "unknown trigger 'whenever' in task 'a'; use one of all_success");
    expect_only_error(HEAD "defaults: {retry: {backoff: exponentail}}\ntasks:\n  a: {worker: w}\n",
                      3, 29,
                      "unknown backoff 'exponentail' in 'defaults' (did you mean 'exponential'?); "
                      "use one of fixed, linear or exponential");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {retry_on: [error, crash]}}\n", 4, 44,
                      "unknown retry_on value 'crash' in task 'a'; use one of error or timeout");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, trigger: [all_done]}\n", 4, 27,
                      "'trigger' in task 'a' must be one of all_success");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {backoff: }}\n", 4, 35,
                      "'backoff' in task 'a' must be one of fixed, linear or exponential, not an "
                      "empty value");
}
END_TEST

START_TEST(duplicate_keys_everywhere)
{
    expect_only_error(HEAD "name: u\ntasks:\n  a: {worker: w}\n", 3, 1,
                      "duplicate key 'name' at the top level (first at 2:1)");
    expect_only_error(HEAD "tasks:\n  x:\n    worker: w\n    worker: v\n", 6, 5,
                      "duplicate key 'worker' in task 'x' (first at 5:5)");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, retry: {delay: 1s, delay: 2s}}\n", 4, 37,
                      "duplicate key 'delay' in 'retry' of task 'a' (first at 4:26)");
    expect_only_error(HEAD "workers:\n  w: {concurrency: 1}\n  w: {concurrency: 2}\n"
                           "tasks:\n  a: {worker: w}\n",
                      5, 3, "duplicate key 'w' in 'workers' (first at 4:3)");
    expect_only_error(HEAD "params:\n  p: 1\n  p: 2\ntasks:\n  a: {worker: w}\n", 5, 3,
                      "duplicate key 'p' in 'params' (first at 4:3)");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {k: [1], k: [2]}}\n", 4, 35,
                      "duplicate key 'k' in the matrix of task 'a' (first at 4:27)");
    expect_only_error(HEAD "defaults: {trigger: all_done, trigger: all_done}\n"
                           "tasks:\n  a: {worker: w}\n",
                      3, 31, "duplicate key 'trigger' in 'defaults' (first at 3:12)");
}
END_TEST

START_TEST(names_and_matrix_shapes)
{
    expect_only_error(HEAD "params:\n  shard-count: 1\ntasks:\n  a: {worker: w}\n", 4, 3,
                      "param name 'shard-count' is not valid");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {1k: [1]}}\n", 4, 27,
                      "matrix axis name '1k' in task 'a' is not valid");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {k: []}}\n", 4, 30,
                      "matrix axis 'k' in task 'a' has no values");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {k: [1, [2]]}}\n", 4, 30,
                      "value 2 of matrix axis 'k' in task 'a' must be a string, number or bool, "
                      "not a list");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {k: \"x ${{ params.p }}\"}}\n", 4,
                      30, "matrix axis 'k' in task 'a' must be a list of values or one expression");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: {k: \"${{ a }}${{ b }}\"}}\n", 4,
                      30, "must be a list of values or one expression");
    expect_only_error(HEAD "tasks:\n  a: {worker: w, matrix: [1]}\n", 4, 26,
                      "'matrix' in task 'a' must be a mapping of axis names to lists of values");
}
END_TEST

START_TEST(versions)
{
    expect_only_error("symphony: 2\nname: t\ntasks:\n  a: {worker: w}\n", 1, 11,
                      "unsupported format version 2 (this library reads version 1)");
    expect_only_error("symphony: one\nname: t\ntasks:\n  a: {worker: w}\n", 1, 11,
                      "'symphony' at the top level must be the format version, 1, not 'one'");
    /* A later version is not judged by this version's keys. */
    fixture f;
    read_yaml(&f, "symphony: 3\nname: t\nfancy: yes\ntasks: 7\n");
    ck_assert_int_eq(f.rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(f.err), 1);
    done(&f);
}
END_TEST

START_TEST(missing_keys)
{
    fixture f;
    read_yaml(&f, "# nothing useful\ndescription: x\n");
    ck_assert_int_eq(f.rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(f.err), 3);
    expect_error_at(f.err, 0, 2, 1, "missing key 'symphony'");
    expect_error_at(f.err, 1, 2, 1, "missing key 'name'");
    expect_error_at(f.err, 2, 2, 1, "missing key 'tasks'");
    done(&f);
    expect_only_error(HEAD "tasks:\n  a:\n    needs: b\n", 4, 3,
                      "task 'a' has no 'worker' (the name of the worker that runs it)");
    expect_only_error(HEAD "tasks: {}\n", 3, 8, "'tasks' has no tasks");
    expect_only_error(HEAD "workers:\n  w: {}\ntasks:\n  a: {worker: w}\n", 4, 6,
                      "worker 'w' in 'workers' has no 'concurrency'");
}
END_TEST

START_TEST(non_scalar_keys)
{
    expect_only_error(HEAD "tasks:\n  ? [a, b]\n  : worker: w\n  c: {worker: w}\n", 4, 5,
                      "keys in 'tasks' must be plain names, not a list");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* All errors of a file                                                      */
/* ------------------------------------------------------------------------ */

static const char many_errors[] = "symphony: 1\n"                        /* 1 */
                                  "name: many\n"                         /* 2 */
                                  "concurrency: many\n"                  /* 3 */
                                  "tasks:\n"                             /* 4 */
                                  "  extract:\n"                         /* 5 */
                                  "    worker: http.get\n"               /* 6 */
                                  "    timout: 10s\n"                    /* 7 */
                                  "  transform:\n"                       /* 8 */
                                  "    worker: [a, {b: c}]\n"            /* 9 */
                                  "    needs: [extrct]\n"                /* 10 */
                                  "    retry: { attempts: 0 }\n"         /* 11 */
                                  "  load:\n"                            /* 12 */
                                  "    needs: transform\n"               /* 13 */
                                  "    trigger: sometimes\n";            /* 14 */

/* Shape errors and compile's reference errors together, in file order,
 * each once. */
START_TEST(reports_every_error)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = (sym_workflow *)err; /* must come back NULL */
    int rc = sym_workflow_load_buffer(many_errors, strlen(many_errors), "many.yaml", NULL, &wf,
                                      err);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    ck_assert_uint_eq(sym_error_count(err), 7);
    expect_error_at(err, 0, 3, 14, "'concurrency' at the top level must be an integer >= 1");
    expect_error_at(err, 1, 7, 5, "unknown key 'timout' in task 'extract'");
    expect_error_at(err, 2, 9, 13, "'worker' in task 'transform' must be a worker name, not a list");
    expect_error_at(err, 3, 10, 13, "task 'transform' needs 'extrct', which does not exist");
    expect_error_at(err, 4, 11, 24, "'attempts' in task 'transform' must be an integer >= 1");
    expect_error_at(err, 5, 12, 3, "task 'load' has no 'worker'");
    expect_error_at(err, 6, 14, 14, "unknown trigger 'sometimes' in task 'load'");
    ck_assert_str_eq(sym_error_file(err, 0), "many.yaml");
    ck_assert_str_eq(sym_error_text(err, 1),
                     "many.yaml:7:5: unknown key 'timout' in task 'extract' (did you mean "
                     "'timeout'?)");
    sym_error_free(err);
}
END_TEST

/* A load reporting exactly one error, containing text. */
static void load_expect_one(const char *yaml, const char *text)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_buffer(yaml, strlen(yaml), NULL, NULL, &wf, err),
                     SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    ck_assert_msg(sym_error_count(err) == 1, "%zu errors for one fault; second '%s'",
                  sym_error_count(err), sym_error_message(err, 1));
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), text));
    sym_error_free(err);
}

/* What the schema refused is not reported again by compile. */
START_TEST(no_repeats_from_compile)
{
    load_expect_one(HEAD "tasks:\n  a: {worker: [x]}\n  b: {worker: w, needs: a}\n",
                    "'worker' in task 'a' must be a worker name");
    load_expect_one(HEAD "tasks:\n  a: 7\n  b: {worker: w, needs: a}\n",
                    "task 'a' must be a mapping");
    load_expect_one(HEAD "tasks:\n  a: {needs: []}\n", "task 'a' has no 'worker'");
    load_expect_one(HEAD "tasks:\n  a: {wroker: w}\n", "did you mean 'worker'?");
    load_expect_one("symphony: 1\nname: [x]\ntasks:\n  a: {worker: w}\n",
                    "'name' at the top level must be a string, not a list");
    load_expect_one("symphony: 1\ntasks:\n  a: {worker: w}\n", "missing key 'name'");
    load_expect_one(HEAD "tasks: []\n", "'tasks' at the top level must be a mapping");
    load_expect_one(HEAD "tasks: {}\n", "'tasks' has no tasks");
}
END_TEST

/* When the draft may go on to compile after errors. */
START_TEST(checkable_drafts)
{
    fixture f;
    read_yaml(&f, HEAD "tasks:\n  a: {worker: [x], timeout: 5}\n");
    ck_assert_int_eq(f.rc, SYM_ESCHEMA);
    ck_assert(f.checkable);
    ck_assert_ptr_nonnull(f.d.tasks[0].worker); /* a stand-in */
    done(&f);
    read_yaml(&f, HEAD "tasks:\n  a: {worker: w}\n");
    ck_assert_int_eq(f.rc, SYM_OK);
    ck_assert(f.checkable);
    done(&f);
    read_yaml(&f, HEAD "tasks:\n  a: {worker: w, timeout: 5}\n  b: [\n");
    ck_assert(!f.checkable); /* syntax error */
    done(&f);
    read_yaml(&f, "symphony: 2\nname: t\ntasks:\n  a: {worker: w}\n");
    ck_assert(!f.checkable); /* another format */
    done(&f);
    read_yaml(&f, HEAD "tasks: 3\n");
    ck_assert(!f.checkable); /* nothing to check */
    done(&f);
    read_with(&f, HEAD "concurrency: x\ntasks:\n  a: {worker: w, timeout: 5}\n", 2);
    ck_assert(!f.checkable); /* the diag is full */
    done(&f);
}
END_TEST

START_TEST(stops_at_max_errors)
{
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_errors = 2;
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    int rc = sym_workflow_load_buffer(many_errors, strlen(many_errors), NULL, &opts, &wf, err);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 2);
    expect_error_at(err, 1, 7, 5, "unknown key 'timout'");
    ck_assert_str_eq(sym_error_file(err, 0), "<memory>");
    sym_error_free(err);
}
END_TEST

/* The reader's fatal errors end the walk; what came before is kept, and
 * the code returned is that of the first error. */
START_TEST(syntax_error_after_schema_error)
{
    fixture f;
    read_yaml(&f, HEAD "fail_fast: maybe\ntasks:\n  a: {worker: w\n");
    ck_assert_int_eq(f.rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(f.err), 2);
    expect_error_at(f.err, 0, 3, 12, "'fail_fast' at the top level must be true or false");
    ck_assert_int_eq(sym_error_code(f.err, 1), SYM_ESYNTAX);
    done(&f);
}
END_TEST

/* A load's result is the code of the first error it lists, in file order,
 * whether or not the caller keeps the list. Here libyaml hands over an
 * empty value at 6:1 before it finds the syntax error at 5:42. */
START_TEST(result_is_the_first_listed_code)
{
    const char *y = HEAD "tasks:\n  a:\n    worker: w\n    retry: { attempts: 4, backoff";
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    int rc = sym_workflow_load_buffer(y, strlen(y), NULL, NULL, &wf, err);
    ck_assert_int_eq(rc, SYM_ESYNTAX);
    ck_assert_uint_eq(sym_error_count(err), 2);
    ck_assert_int_eq(sym_error_code(err, 0), SYM_ESYNTAX);
    ck_assert_uint_eq(sym_error_line(err, 0), 6);
    ck_assert_int_eq(sym_error_code(err, 1), SYM_ESCHEMA);
    ck_assert_int_eq(sym_workflow_load_buffer(y, strlen(y), NULL, NULL, &wf, NULL), SYM_ESYNTAX);
    ck_assert_ptr_null(wf);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Whole loads                                                               */
/* ------------------------------------------------------------------------ */

static const char design_example[] =
    "symphony: 1                      # required: format version\n"
    "name: nightly-etl                # required: [A-Za-z0-9_.-]+\n"
    "description: One day of orders.  # optional\n"
    "params:                          # run inputs with defaults; a run may override them\n"
    "  date: \"2026-11-27\"\n"
    "  shards: [1, 2, 3, 4]\n"
    "defaults:                        # apply to every task unless it overrides them\n"
    "  timeout: 30s\n"
    "  retry: { attempts: 3, backoff: exponential, delay: 200ms, max_delay: 10s, jitter: true }\n"
    "concurrency: 16\n"
    "deadline: 1h\n"
    "fail_fast: false\n"
    "workers:\n"
    "  db.load: { concurrency: 2 }\n"
    "tasks:\n"
    "  extract:\n"
    "    worker: http.get\n"
    "    with: { url: \"https://example.org/orders?d=${{ params.date }}\" }\n"
    "    timeout: 10s\n"
    "  transform:\n"
    "    worker: transform\n"
    "    needs: [extract]\n"
    "    matrix: { shard: \"${{ params.shards }}\" }\n"
    "    with: { shard: \"${{ matrix.shard }}\", path: \"${{ tasks.extract.outputs.path }}\" }\n"
    "  load:\n"
    "    worker: db.load\n"
    "    needs: [transform]\n"
    "    retry: { attempts: 5, retry_on: [error, timeout] }\n"
    "  archive:\n"
    "    worker: archive\n"
    "    needs: [load]\n"
    "    if: \"${{ tasks.load.outputs.rows > 0 }}\"\n"
    "    continue_on_error: true\n"
    "  notify:\n"
    "    worker: notify\n"
    "    needs: [load, archive]\n"
    "    trigger: all_done\n"
    "    with: { status: \"${{ tasks.load.status }}\" }\n";

START_TEST(design_example_loads)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    int rc = sym_workflow_load_buffer(design_example, strlen(design_example), "etl.yaml", NULL,
                                      &wf, err);
    ck_assert_msg(rc == SYM_OK, "load failed: %s", sym_error_text(err, 0));
    ck_assert_uint_eq(sym_error_count(err), 0);
    ck_assert_str_eq(sym_workflow_name(wf), "nightly-etl");
    ck_assert_str_eq(sym_workflow_source(wf), "etl.yaml");
    ck_assert_uint_eq(sym_workflow_concurrency(wf), 16);
    ck_assert_int_eq(sym_workflow_deadline_ms(wf), 3600000);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 8); /* 4 shards of transform */
    size_t i;
    ck_assert_int_eq(sym_workflow_find_task(wf, "transform[shard=3]", &i), SYM_OK);
    ck_assert_int_eq(sym_workflow_find_task(wf, "load", &i), SYM_OK);
    sym_task_info info;
    sym_task_info_init(&info);
    ck_assert_int_eq(sym_workflow_task_info(wf, i, &info), SYM_OK);
    ck_assert_uint_eq(info.policy->retry.attempts, 5);     /* its own */
    ck_assert_int_eq(info.policy->retry.delay_ms, 200);     /* from defaults */
    ck_assert_int_eq(info.policy->timeout_ms, 30000);       /* from defaults */
    ck_assert_uint_eq(info.line, 25);
    ck_assert_uint_eq(info.column, 3);
    ck_assert_uint_eq(info.dep_count, 4);
    sym_workflow_free(wf);
    sym_error_free(err);
}
END_TEST

START_TEST(load_buffer_arguments)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = (sym_workflow *)err;
    ck_assert_int_eq(sym_workflow_load_buffer(NULL, 5, "x", NULL, &wf, err), SYM_EINVAL);
    ck_assert_ptr_null(wf);
    ck_assert_int_eq(sym_workflow_load_buffer("a", 1, "x", NULL, NULL, err), SYM_EINVAL);
    ck_assert_uint_eq(sym_error_count(err), 2);
    /* An empty buffer is a file with nothing in it, not a bad argument. */
    ck_assert_int_ne(sym_workflow_load_buffer(NULL, 0, "x", NULL, &wf, NULL), SYM_EINVAL);
    ck_assert_ptr_null(wf);
    sym_error_free(err);
}
END_TEST

START_TEST(load_options_defaults)
{
    sym_load_options o;
    memset(&o, 0xff, sizeof o);
    sym_load_options_init(&o);
    ck_assert_uint_eq(o.max_file_bytes, 64u << 20);
    ck_assert_uint_eq(o.max_depth, 64);
    ck_assert_uint_eq(o.max_nodes, 10000000);
    ck_assert_uint_eq(o.max_alias_nodes, 1000000);
    ck_assert_uint_eq(o.max_scalar_bytes, 1u << 20);
    ck_assert_uint_eq(o.max_tasks, 1000000);
    ck_assert_uint_eq(o.max_matrix, 10000);
    ck_assert_uint_eq(o.max_errors, 100);
    ck_assert_uint_eq(o.version, SYM_LOAD_OPTIONS_VERSION);
    /* The static initialiser holds the same (static: its padding is 0). */
    static const sym_load_options s = SYM_LOAD_OPTIONS_INIT;
    ck_assert_mem_eq(&s, &o, sizeof o);
    /* An unknown version: refused, and nothing written. */
    memset(&o, 0xff, sizeof o);
    ck_assert_int_eq(sym_load_options_init_version(&o, 0), SYM_EINVAL);
    ck_assert_int_eq(sym_load_options_init_version(&o, SYM_LOAD_OPTIONS_VERSION + 1), SYM_EINVAL);
    ck_assert_int_eq(sym_load_options_init_version(NULL, SYM_LOAD_OPTIONS_VERSION), SYM_EINVAL);
    ck_assert_uint_eq(o.max_depth, (size_t)-1);
}
END_TEST

START_TEST(max_tasks_while_reading)
{
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_tasks = 2;
    const char *y = HEAD "tasks:\n  a: {worker: w}\n  b: {worker: w}\n  c: {worker: w}\n";
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_buffer(y, strlen(y), NULL, &opts, &wf, err), SYM_ELIMIT);
    ck_assert_uint_eq(sym_error_count(err), 1);
    expect_error_at(err, 0, 6, 3, "more than 2 tasks (load option max_tasks)");
    sym_error_free(err);
}
END_TEST

/* A file in a fresh temporary directory; the caller frees the path. */
static char *temp_file(const char *text, char *dir, size_t dircap)
{
    snprintf(dir, dircap, "/tmp/symphony-schema-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    ck_assert_ptr_nonnull(path);
    snprintf(path, n, "%s/w.yaml", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(load_file)
{
    char dir[64];
    char *path = temp_file(HEAD "tasks:\n  a: {worker: w}\n", dir, sizeof dir);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_file(path, NULL, &wf, err), SYM_OK);
    ck_assert_str_eq(sym_workflow_source(wf), path);
    sym_workflow_free(wf);

    /* Over the size limit: refused before it is read. */
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_file_bytes = 10;
    ck_assert_int_eq(sym_workflow_load_file(path, &opts, &wf, err), SYM_ELIMIT);
    ck_assert_ptr_null(wf);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "over the limit of 10 bytes"));
    ck_assert_str_eq(sym_error_file(err, 0), path);

    /* A directory. */
    sym_error_clear(err);
    ck_assert_int_eq(sym_workflow_load_file(dir, NULL, &wf, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "is a directory"));

    unlink(path);
    rmdir(dir);
    /* Gone. */
    sym_error_clear(err);
    ck_assert_int_eq(sym_workflow_load_file(path, NULL, &wf, err), SYM_EIO);
    ck_assert_ptr_null(wf);
    char want[160];
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
    ck_assert_str_eq(sym_error_message(err, 0), want);
    ck_assert_uint_eq(sym_error_line(err, 0), 0);
    ck_assert_int_eq(sym_workflow_load_file(NULL, NULL, &wf, err), SYM_EINVAL);
    free(path);
    sym_error_free(err);
}
END_TEST

START_TEST(load_options_of_unknown_versions_are_refused)
{
    char dir[64];
    char *path = temp_file(HEAD "tasks:\n  a: {worker: w}\n", dir, sizeof dir);
    const char *y = HEAD "tasks:\n  a: {worker: w}\n";
    sym_error *err = sym_error_new();
    const unsigned bad[] = {0, SYM_LOAD_OPTIONS_VERSION + 1};
    for (size_t k = 0; k < 2; k++) {
        sym_load_options o;
        sym_load_options_init(&o);
        o.version = bad[k];
        sym_workflow *wf = (sym_workflow *)&o;
        sym_error_clear(err);
        ck_assert_int_eq(sym_workflow_load_buffer(y, strlen(y), "w.yaml", &o, &wf, err),
                         SYM_EINVAL);
        ck_assert_ptr_null(wf);
        ck_assert_uint_eq(sym_error_count(err), 1);
        char want[256];
        snprintf(want, sizeof want,
                 "sym_workflow_load_buffer: sym_load_options has version %u, which this library "
                 "does not know (it knows 1 to 1): initialise it with sym_load_options_init",
                 bad[k]);
        ck_assert_str_eq(sym_error_message(err, 0), want);
        sym_error_clear(err);
        ck_assert_int_eq(sym_workflow_load_file(path, &o, &wf, err), SYM_EINVAL);
        ck_assert_ptr_null(wf);
        ck_assert_uint_eq(sym_error_count(err), 1);
        ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "sym_workflow_load_file: "));
        ck_assert_int_eq(sym_error_code(err, 0), SYM_EINVAL);
        /* Without an error list, the same code. */
        ck_assert_int_eq(sym_workflow_load_file(path, &o, &wf, NULL), SYM_EINVAL);
    }
    /* NULL options are the defaults. */
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_file(path, NULL, &wf, err), SYM_OK);
    sym_workflow_free(wf);
    unlink(path);
    rmdir(dir);
    free(path);
    sym_error_free(err);
}
END_TEST

START_TEST(load_file_with_errors_names_the_file)
{
    char dir[64];
    char *path = temp_file(HEAD "tasks:\n  a: {worker: w, need: b}\n", dir, sizeof dir);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_file(path, NULL, &wf, err), SYM_ESCHEMA);
    char want[200];
    snprintf(want, sizeof want, "%s:4:18: unknown key 'need' in task 'a' (did you mean 'needs'?)",
             path);
    ck_assert_str_eq(sym_error_text(err, 0), want);
    unlink(path);
    rmdir(dir);
    free(path);
    sym_error_free(err);
}
END_TEST

/* Loads path in a child process and returns the load's result, or fails
 * the test when the load has not returned within 10 seconds (a blocked
 * open or read is the bug this looks for). *msg gets the first error. */
static int load_in_child(const char *path, char *msg, size_t cap)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        sym_error *err = sym_error_new();
        sym_workflow *wf = NULL;
        int rc = sym_workflow_load_file(path, NULL, &wf, err);
        char out[512];
        int n = snprintf(out, sizeof out, "%d %s", rc,
                         sym_error_count(err) ? sym_error_message(err, 0) : "");
        sym_workflow_free(wf);
        sym_error_free(err);
        ssize_t w = write(fds[1], out, (size_t)n);
        _exit(w == n ? 0 : 1);
    }
    close(fds[1]);
    int status = 0;
    pid_t done = 0;
    for (int waited = 0; waited < 10000 && (done = waitpid(pid, &status, WNOHANG)) == 0;
         waited += 10)
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(fds[0]);
        ck_abort_msg("loading '%s' blocked for 10 s", path);
    }
    char out[512] = "";
    ssize_t n = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0);
    out[n] = '\0';
    char *sp = strchr(out, ' ');
    ck_assert_ptr_nonnull(sp);
    snprintf(msg, cap, "%s", sp + 1);
    return atoi(out);
}

/* Only regular files are read: a FIFO with no writer would block forever
 * and a device may never end, so both are refused without waiting. */
START_TEST(special_files_are_refused_without_blocking)
{
    char dir[64];
    char *path = temp_file(HEAD "tasks:\n  a: {worker: w}\n", dir, sizeof dir);
    char fifo[96], sock[96], msg[512], want[256];
    snprintf(fifo, sizeof fifo, "%s/fifo.yaml", dir);
    snprintf(sock, sizeof sock, "%s/sock.yaml", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(load_in_child(fifo, msg, sizeof msg), SYM_EIO);
    snprintf(want, sizeof want, "cannot read '%s': it is a FIFO (named pipe), not a regular file",
             fifo);
    ck_assert_str_eq(msg, want);

    ck_assert_int_eq(load_in_child("/dev/null", msg, sizeof msg), SYM_EIO);
    ck_assert_str_eq(msg, "cannot read '/dev/null': it is a character device, not a regular file");
    ck_assert_int_eq(load_in_child(dir, msg, sizeof msg), SYM_EIO);
    snprintf(want, sizeof want, "cannot read '%s': it is a directory, not a regular file", dir);
    ck_assert_str_eq(msg, want);

    /* A socket cannot even be opened; the message still says what it is. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(load_in_child(sock, msg, sizeof msg), SYM_EIO);
    snprintf(want, sizeof want, "cannot read '%s': it is a socket, not a regular file", sock);
    ck_assert_str_eq(msg, want);
    close(s);

    /* A regular file still loads, through the same open. */
    ck_assert_int_eq(load_in_child(path, msg, sizeof msg), SYM_OK);
    unlink(sock);
    unlink(fifo);
    unlink(path);
    rmdir(dir);
    free(path);
}
END_TEST

#define BOM "\xEF\xBB\xBF"

/* Loads len bytes of yaml expecting them to fail with one error whose text
 * (FILE:LINE:COLUMN: message) is want. */
static void load_expect_text_n(const char *yaml, size_t len, const char *want)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_ne(sym_workflow_load_buffer(yaml, len, "w.yaml", NULL, &wf, err), SYM_OK);
    ck_assert_ptr_null(wf);
    ck_assert_msg(sym_error_count(err) == 1, "%zu errors, first '%s'", sym_error_count(err),
                  sym_error_text(err, 0));
    ck_assert_str_eq(sym_error_text(err, 0), want);
    sym_error_free(err);
}

static void load_expect_text(const char *yaml, const char *want)
{
    load_expect_text_n(yaml, strlen(yaml), want);
}

/* Windows editors start UTF-8 files with a byte order mark: it is not part
 * of the document, and positions count from after it. */
START_TEST(utf8_bom_is_skipped)
{
    char dir[64];
    char *path = temp_file(BOM HEAD "tasks:\n  a: {worker: w}\n  b: {worker: w, needs: a}\n",
                           dir, sizeof dir);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_msg(sym_workflow_load_file(path, NULL, &wf, err) == SYM_OK, "%s",
                  sym_error_text(err, 0));
    ck_assert_str_eq(sym_workflow_name(wf), "t");
    ck_assert_uint_eq(sym_workflow_task_count(wf), 2);
    sym_workflow_free(wf);
    unlink(path);
    rmdir(dir);
    free(path);
    sym_error_free(err);

    load_expect_text(BOM "symphny: 1\nname: t\ntasks:\n  a: {worker: w}\n",
                     "w.yaml:1:1: unknown key 'symphny' at the top level (did you mean "
                     "'symphony'?)");
    load_expect_text(BOM "{symphony: 1, name: t, tasks: {a: {wrker: w}}}\n",
                     "w.yaml:1:36: unknown key 'wrker' in task 'a' (did you mean 'worker'?)");
    load_expect_text(BOM HEAD "tasks:\n  a: {worker: w, need: b}\n",
                     "w.yaml:4:18: unknown key 'need' in task 'a' (did you mean 'needs'?)");
    /* Positions libyaml does not give, counted from the bytes. */
    load_expect_text(BOM "symphony: 1\nname: t\xff\n",
                     "w.yaml:2:8: invalid UTF-8: the sequence starting with byte 0xff is not "
                     "valid (the file must be UTF-8)");
    load_expect_text(BOM HEAD "tasks: {a: {worker: w}",
                     "w.yaml:3:23: did not find expected ',' or '}' (while parsing a flow "
                     "mapping at 3:8)");
    load_expect_text(BOM, "w.yaml: the file is empty");
}
END_TEST

#define NUL_MSG "a NUL character (\\0) is not allowed in a string"

/* A NUL written with an escape passed validation and was cut at run time
 * (a C string ends there): what was reviewed was not what ran. Every
 * scalar is checked once, keys and values, at the escape that wrote it. */
START_TEST(nul_in_strings_is_refused_where_written)
{
    static const char yaml[] =
        "symphony: 1\n"                                              /* 1 */
        "name: t\n"                                                  /* 2 */
        "params: {p: \"x\\u0000\", ok: \"a\\\\0b\"}\n"               /* 3 */
        "tasks:\n"                                                   /* 4 */
        "  a:\n"                                                     /* 5 */
        "    worker: exec\n"                                         /* 6 */
        "    with:\n"                                                /* 7 */
        "      shell: \"echo visible\\0; echo hidden\"\n"            /* 8 */
        "      argv: [\"a\", \"b\\x00c\", \"\\\\\\\"\\0\"]\n"        /* 9 */
        "      env: {X: \"\\U00000000\", \"K\\0\": 1}\n"             /* 10 */
        "      multi: \"first line\n"                                /* 11 */
        "        and \\0 second\"\n"                                 /* 12 */
        "      tagged: !!str &t \"t\\0\"\n"                          /* 13 */
        "      again: *t\n"                                          /* 14 */
        "  b:\n"                                                     /* 15 */
        "    worker: w\n"                                            /* 16 */
        "    matrix: {k: [\"m\\0\"]}\n"                              /* 17 */
        "    if: \"${{ params.ok == '\\0' }}\"\n";                   /* 18 */
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_buffer(yaml, sizeof yaml - 1, "n.yaml", NULL, &wf, err),
                     SYM_ESCHEMA);
    ck_assert_ptr_null(wf);
    static const unsigned at[][2] = {{3, 15}, {8, 27}, {9, 21}, {9, 34}, {10, 17}, {10, 32},
                                     {12, 13}, {13, 26}, {17, 20}, {18, 28}};
    size_t n = sizeof at / sizeof at[0];
    ck_assert_msg(sym_error_count(err) == n, "%zu errors, first '%s'", sym_error_count(err),
                  sym_error_text(err, 0));
    for (size_t i = 0; i < n; i++)
        expect_error_at(err, i, at[i][0], at[i][1], NUL_MSG);
    sym_error_free(err);
}
END_TEST

/* A NUL byte in the text itself, and NULs in values parsed for the tool's
 * --param and exec outputs. */
START_TEST(nul_bytes_and_parsed_values)
{
    static const char raw[] = "symphony: 1\nname: t\ntasks:\n  a: {worker: \"w\0x\"}\n";
    load_expect_text_n(raw, sizeof raw - 1, "w.yaml:4:17: a NUL byte is not allowed in YAML text");
    static const char ctl[] = "symphony: 1\nname: t\x01\n";
    load_expect_text_n(ctl, sizeof ctl - 1,
                       "w.yaml:2:8: control character 0x01 is not allowed in YAML text (a "
                       "double-quoted string can write it as \\x01)");
    static const char del[] = "symphony: 1\nname: t\x7f\n";
    load_expect_text_n(del, sizeof del - 1,
                       "w.yaml:2:8: control character 0x7f is not allowed in YAML text (a "
                       "double-quoted string can write it as \\x7f)");
    sym_error *err = sym_error_new();
    sym_value *v = NULL;
    ck_assert_int_eq(sym_value_parse("[1, \"a\\0b\"]", 11, &v, err), SYM_ESCHEMA);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(sym_error_text(err, 0),
                     "<value>:1:7: " NUL_MSG ": a program given the string would see it cut "
                     "short there");
    ck_assert_int_eq(sym_value_parse("\"a\\\\0b\"", 7, &v, NULL), SYM_OK);
    ck_assert_str_eq(sym_value_string(v, NULL), "a\\0b");
    sym_value_free(v);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/* The bound README states: a load's peak memory stays under 20 times the
 * file's size, plus what aliases and matrices make (64 bytes per node of
 * max_alias_nodes, 250 bytes per matrix instance). */
enum { LOAD_MEMORY_FACTOR = 20, ALIAS_NODE_BYTES = 64 };
#define MEMORY_SLACK ((long)4 << 20) /* the allocator's and libyaml's own */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MEASURABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEASURABLE 0
#endif
#endif
#ifndef MEASURABLE
#define MEASURABLE 1
#endif

/* The peak resident memory a load of yaml needs beyond what the process
 * held before, in bytes, measured in a child process (so nothing freed by
 * earlier loads is reused unseen) whose high-water mark is reset first.
 * -1 where that cannot be measured (no /proc, or sanitizers or valgrind,
 * whose own memory would be counted). *rc gets the load's result. */
static long load_peak(const char *yaml, size_t len, const sym_load_options *opts, int *rc)
{
    if (!MEASURABLE || getenv("SYM_UNDER_VALGRIND"))
        return -1;
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        long out[2] = {-1, 0};
        FILE *cr = fopen("/proc/self/clear_refs", "w");
        if (cr && fputs("5", cr) >= 0 && fclose(cr) == 0) { /* 5: reset VmHWM */
            long before = status_kib("VmRSS:");
            sym_workflow *wf = NULL;
            out[1] = sym_workflow_load_buffer(yaml, len, "big.yaml", opts, &wf, NULL);
            long peak = status_kib("VmHWM:");
            if (before >= 0 && peak >= before)
                out[0] = (peak - before) * 1024;
            sym_workflow_free(wf);
        }
        ssize_t w = write(fds[1], out, sizeof out);
        _exit(w == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    long out[2] = {-1, 0};
    ssize_t n = read(fds[0], out, sizeof out);
    close(fds[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n == (ssize_t)sizeof out);
    *rc = (int)out[1];
    return out[0];
}

/* A workflow whose task `a` has `with: {x: ITEMS}`, ITEMS being count
 * copies of item joined by sep inside open and close. */
static char *dense_workflow(const char *open, const char *item, const char *sep,
                            const char *close, size_t count, size_t *len)
{
    static const char head[] = "symphony: 1\nname: big\ntasks:\n  a:\n    worker: w\n"
                               "    with:\n      x: ";
    size_t il = strlen(item), sl = strlen(sep);
    size_t cap = sizeof head + strlen(open) + count * (il + sl) + strlen(close) + 2;
    char *y = malloc(cap), *p = y;
    ck_assert_ptr_nonnull(y);
    p += sprintf(p, "%s%s", head, open);
    for (size_t i = 0; i < count; i++) {
        if (i)
            p += sprintf(p, "%s", sep);
        memcpy(p, item, il);
        p += il;
    }
    p += sprintf(p, "%s\n", close);
    *len = (size_t)(p - y);
    return y;
}

/* The densest YAML there is (a list of one-digit numbers: 2 bytes a node)
 * took 32 times its size before values shrank to 16 bytes and the
 * reader's work stack to one value per list item. Each shape here is the
 * worst of its kind: values, strings, small maps, a big map, templates. */
START_TEST(load_memory_is_bounded_by_the_file_size)
{
    static const struct {
        const char *what, *open, *item, *sep, *close;
        size_t count;
    } shapes[] = {
        {"numbers", "[", "1", ",", "]", 1500000},
        {"one-letter strings", "[", "a", ",", "]", 1500000},
        {"one-key maps", "[", "{a}", ",", "]", 750000},
        {"templates", "[", "\"${{1}}\"", ",", "]", 330000},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t len;
        char *y = dense_workflow(shapes[k].open, shapes[k].item, shapes[k].sep, shapes[k].close,
                                 shapes[k].count, &len);
        int rc;
        long peak = load_peak(y, len, NULL, &rc);
        free(y);
        if (peak < 0)
            return; /* cannot be measured here */
        ck_assert_msg(rc == SYM_OK, "%s: load failed (%d)", shapes[k].what, rc);
        ck_assert_msg(peak <= LOAD_MEMORY_FACTOR * (long)len + MEMORY_SLACK,
                      "%s: a %zu-byte file took %ld bytes (%.1fx)", shapes[k].what, len, peak,
                      (double)peak / (double)len);
    }

    /* A big map: its keys cannot be shorter than 4 letters. */
    size_t n = 52 * 52 * 52 * 10, len = 0;
    char *y = malloc(n * 5 + 256), *p = y;
    ck_assert_ptr_nonnull(y);
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    p += sprintf(p, "symphony: 1\nname: big\ntasks:\n  a:\n    worker: w\n    with: {");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%c%c%c%c", i ? "," : "", letters[i % 52], letters[i / 52 % 52],
                     letters[i / 2704 % 52], letters[i / 140608]);
    p += sprintf(p, "}\n");
    len = (size_t)(p - y);
    int rc;
    long peak = load_peak(y, len, NULL, &rc);
    free(y);
    if (peak < 0)
        return;
    ck_assert_int_eq(rc, SYM_OK);
    ck_assert_msg(peak <= LOAD_MEMORY_FACTOR * (long)len + MEMORY_SLACK,
                  "big map: a %zu-byte file took %ld bytes (%.1fx)", len, peak,
                  (double)peak / (double)len);
}
END_TEST

/* An alias counted as one node whatever it held: a 64 KiB string aliased a
 * thousand times made 64 MB out of a 70 KB file. Its text now counts. */
START_TEST(alias_memory_counts_the_text)
{
    size_t big = 64 << 10, n = 1000;
    char *y = malloc(big + n * 3 + 256), *p = y;
    ck_assert_ptr_nonnull(y);
    p += sprintf(p, "symphony: 1\nname: big\ntasks:\n  a:\n    worker: w\n    with:\n      s: &s ");
    memset(p, 'x', big);
    p += big;
    p += sprintf(p, "\n      x: [");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s*s", i ? "," : "");
    p += sprintf(p, "]\n");
    size_t len = (size_t)(p - y);
    sym_load_options opts;
    sym_load_options_init(&opts);
    opts.max_alias_nodes = 10000;
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_buffer(y, len, "a.yaml", &opts, &wf, err), SYM_ELIMIT);
    ck_assert_str_eq(sym_error_message(err, 0),
                     "alias expansion exceeds the alias limit: '*s' expands to 4097 nodes, "
                     "after 8194 from aliases already, over 10000 (load option max_alias_nodes; "
                     "long strings and ${{ }} templates count as several nodes)");
    int rc;
    long peak = load_peak(y, len, &opts, &rc);
    free(y);
    if (peak >= 0)
        ck_assert_msg(peak <= LOAD_MEMORY_FACTOR * (long)len +
                                  ALIAS_NODE_BYTES * (long)opts.max_alias_nodes + MEMORY_SLACK,
                      "a %zu-byte file took %ld bytes", len, peak);

    /* A template is parsed again wherever an alias puts it: 8 nodes and
     * one per 2 bytes of it. */
    opts.max_alias_nodes = 100;
    static const char tmpl[] = HEAD "tasks:\n  a:\n    worker: w\n    with:\n"
                                    "      t: &t \"${{1}}\"\n      x: [*t,*t,*t,*t,*t,*t,*t,*t,*t,*t]\n";
    sym_error_clear(err);
    ck_assert_int_eq(sym_workflow_load_buffer(tmpl, sizeof tmpl - 1, "a.yaml", &opts, &wf, err),
                     SYM_ELIMIT);
    expect_error_at(err, 0, 8, 38,
                    "'*t' expands to 11 nodes, after 99 from aliases already, over 100");

    /* What anchors hold is kept until the end of the load: held to the
     * same limit, aliased or not. */
    char held[1024];
    int k = snprintf(held, sizeof held, HEAD "tasks:\n  a:\n    worker: w\n    with:\n"
                                           "      t: &t [");
    for (int i = 0; i < 120; i++)
        k += snprintf(held + k, sizeof held - (size_t)k, "%s1", i ? "," : "");
    k += snprintf(held + k, sizeof held - (size_t)k, "]\n");
    sym_error_clear(err);
    ck_assert_int_eq(sym_workflow_load_buffer(held, (size_t)k, "a.yaml", &opts, &wf, err),
                     SYM_ELIMIT);
    expect_error_at(err, 0, 7, 212, "more than 100 YAML nodes inside anchors (load option "
                                    "max_alias_nodes;");
    sym_error_free(err);
}
END_TEST

static Suite *schema_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *draft_tc = tcase_create("draft");
    tcase_add_test(draft_tc, minimal_workflow);
    tcase_add_test(draft_tc, top_level_keys);
    tcase_add_test(draft_tc, task_keys);
    tcase_add_test(draft_tc, policy_marks_only_what_is_written);
    tcase_add_test(draft_tc, matrix_axes);
    tcase_add_test(draft_tc, interned_worker_names);
    tcase_add_test(draft_tc, empty_sections_mean_none);
    tcase_add_test(draft_tc, duplicate_task_ids_reach_the_draft);
    suite_add_tcase(s, draft_tc);

    TCase *dur = tcase_create("durations");
    tcase_add_test(dur, durations);
    tcase_add_test(dur, bad_durations);
    tcase_add_test(dur, duration_errors_in_files);
    suite_add_tcase(s, dur);

    TCase *errs = tcase_create("errors");
    tcase_add_test(errs, unknown_keys_suggest);
    tcase_add_test(errs, unknown_key_lists_the_allowed_ones);
    tcase_add_test(errs, wrong_types);
    tcase_add_test(errs, enumerations_suggest_and_list);
    tcase_add_test(errs, duplicate_keys_everywhere);
    tcase_add_test(errs, names_and_matrix_shapes);
    tcase_add_test(errs, versions);
    tcase_add_test(errs, missing_keys);
    tcase_add_test(errs, non_scalar_keys);
    tcase_add_test(errs, reports_every_error);
    tcase_add_test(errs, no_repeats_from_compile);
    tcase_add_test(errs, checkable_drafts);
    tcase_add_test(errs, stops_at_max_errors);
    tcase_add_test(errs, syntax_error_after_schema_error);
    tcase_add_test(errs, result_is_the_first_listed_code);
    suite_add_tcase(s, errs);

    TCase *load = tcase_create("load");
    tcase_add_test(load, design_example_loads);
    tcase_add_test(load, load_buffer_arguments);
    tcase_add_test(load, load_options_defaults);
    tcase_add_test(load, load_options_of_unknown_versions_are_refused);
    tcase_add_test(load, max_tasks_while_reading);
    tcase_add_test(load, load_file);
    tcase_add_test(load, load_file_with_errors_names_the_file);
    tcase_add_test(load, utf8_bom_is_skipped);
    tcase_add_test(load, special_files_are_refused_without_blocking);
    tcase_add_test(load, load_memory_is_bounded_by_the_file_size);
    tcase_add_test(load, alias_memory_counts_the_text);
    tcase_add_test(errs, nul_in_strings_is_refused_where_written);
    tcase_add_test(errs, nul_bytes_and_parsed_values);
    suite_add_tcase(s, load);
    return s;
}

CHECK_MAIN(schema_suite)
