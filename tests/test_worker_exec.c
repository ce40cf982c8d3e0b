/* test_worker_exec.c - the `exec` worker of `symphony run`, compiled in
 * from tools/ and run on an engine of this test's own, for what the tool
 * hides: `symphony run` sets SIGCHLD back to its default, so the worker's
 * failed waits are reached only from here. */
#include "../tools/worker_exec.c"

#include "../tools/console.c"

#include <check.h>

#include "check_main.h"

/* Runs the one-task YAML workflow with the exec worker. Returns the task's
 * final state; its error message (or "") is copied to error. */
static sym_task_state run_one(const char *yaml, char *error, size_t cap)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_msg(sym_workflow_load_buffer(yaml, strlen(yaml), "t.yaml", NULL, &wf, err) == SYM_OK,
                  "%s", sym_error_text(err, 0));
    console con;
    FILE *out = fopen("/dev/null", "we");
    ck_assert_ptr_nonnull(out);
    console_init(&con, out, NULL);
    exec_worker *w = exec_worker_new(&con, NULL);
    ck_assert_ptr_nonnull(w);
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = 1;
    sym_engine *engine = NULL;
    ck_assert_int_eq(sym_engine_new(&cfg, &engine), SYM_OK);
    ck_assert_int_eq(exec_worker_register(engine, w), SYM_OK);
    sym_run *run = NULL;
    ck_assert_int_eq(sym_run_start(engine, wf, NULL, &run, err), SYM_OK);
    ck_assert_int_eq(sym_run_wait(run, -1), SYM_OK);
    sym_task_result r;
    sym_task_result_init(&r);
    ck_assert_int_eq(sym_run_task_result(run, 0, &r), SYM_OK);
    sym_task_state state = r.state;
    snprintf(error, cap, "%s", r.error ? r.error : "");
    sym_run_free(run);
    sym_engine_free(engine);
    exec_worker_free(w);
    console_destroy(&con);
    fclose(out);
    sym_workflow_free(wf);
    sym_error_free(err);
    return state;
}

/* With SIGCHLD ignored the kernel reaps the child itself and its exit
 * status is lost: the attempt fails and says why, whatever the child did
 * (it used to succeed, whatever the child did). */
START_TEST(lost_exit_status_fails)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    ck_assert_int_eq(sigaction(SIGCHLD, &ign, &old), 0);
    char error[256];
    sym_task_state state = run_one("symphony: 1\n"
                                   "name: t\n"
                                   "tasks:\n"
                                   "  three: { worker: exec, with: { shell: 'exit 3' } }\n",
                                   error, sizeof error);
    sigaction(SIGCHLD, &old, NULL);
    ck_assert_int_eq(state, SYM_TASK_FAILED);
    ck_assert_msg(strstr(error, "exec: lost the exit status of process ") == error &&
                      strstr(error, ": No child processes (SIGCHLD is ignored?)") != NULL,
                  "error: %s", error);
}
END_TEST

/* The same worker with SIGCHLD at its default sees the status. */
START_TEST(exit_status_seen)
{
    char error[256];
    sym_task_state state = run_one("symphony: 1\n"
                                   "name: t\n"
                                   "tasks:\n"
                                   "  three: { worker: exec, with: { shell: 'exit 3' } }\n",
                                   error, sizeof error);
    ck_assert_int_eq(state, SYM_TASK_FAILED);
    ck_assert_str_eq(error, "exit status 3");
    state = run_one("symphony: 1\n"
                    "name: t\n"
                    "tasks:\n"
                    "  zero: { worker: exec, with: { shell: 'exit 0' } }\n",
                    error, sizeof error);
    ck_assert_int_eq(state, SYM_TASK_SUCCEEDED);
}
END_TEST

static Suite *worker_exec_suite(void)
{
    Suite *s = suite_create("worker_exec");
    TCase *tc = tcase_create("wait");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lost_exit_status_fails);
    tcase_add_test(tc, exit_status_seen);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(worker_exec_suite)
