/* cancel_timeout.c - stopping work: a task whose attempt outlives its
 * timeout ends `timed_out` (its worker sees the cancel flag and returns),
 * and a run the host cancels ends `cancelled`, with its running tasks told
 * to stop and its pending ones never started. Workers that take time poll
 * sym_task_cancelled().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <symphony.h>

/* Works in 1 ms steps until done (after `steps`) or told to stop. */
static int slow(sym_task *task, void *userdata)
{
    (void)userdata;
    int64_t steps = 10000;
    sym_value_get_int(sym_task_input(task, "steps"), &steps);
    for (int64_t i = 0; i < steps; i++) {
        if (sym_task_cancelled(task))
            return sym_task_fail(task, 0, "stopped after %lld ms", (long long)i);
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return SYM_OK;
}

static const char workflow[] = "symphony: 1\n"
                               "name: stopping\n"
                               "tasks:\n"
                               "  quick: { worker: slow, with: { steps: 5 } }\n"
                               "  stuck: { worker: slow, timeout: 50ms }\n"
                               "  later: { worker: slow, needs: quick, with: { steps: 20000 } }\n"
                               "  last:  { worker: slow, needs: later }\n";

static void print_run(sym_run *run, const sym_workflow *wf)
{
    printf("run %s: %s\n", sym_run_id(run), sym_run_status_name(sym_run_get_status(run)));
    for (size_t i = 0; i < sym_workflow_task_count(wf); i++) {
        sym_task_result r;
        sym_task_result_init(&r);
        sym_run_task_result(run, i, &r);
        printf("  %-6s %-10s %s\n", r.id, sym_task_state_name(r.state), r.error ? r.error : "");
    }
}

int main(void)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    sym_engine *engine = NULL;
    sym_run *run = NULL;
    int status = 1;
    if (!err ||
        sym_workflow_load_buffer(workflow, strlen(workflow), "stopping.yaml", NULL, &wf, err) ||
        sym_engine_new(NULL, &engine) || sym_engine_register(engine, "slow", slow, NULL, NULL) ||
        sym_run_start(engine, wf, NULL, &run, err))
        goto out;

    /* Wait with a timeout: the run is still going after 200 ms (`later`
     * would take 20 s), so the host cancels it. */
    if (sym_run_wait(run, 200) == SYM_ETIMEDOUT) {
        printf("still running after 200 ms: cancelling\n");
        sym_run_cancel(run);
    }
    sym_run_wait(run, -1);
    print_run(run, wf);

    status = sym_run_get_status(run) == SYM_RUN_CANCELLED ? 0 : 1;
out:
    for (size_t i = 0; err && i < sym_error_count(err); i++)
        fprintf(stderr, "%s\n", sym_error_text(err, i));
    sym_run_free(run);
    sym_engine_free(engine);
    sym_workflow_free(wf);
    sym_error_free(err);
    return status;
}
