/* many_runs.c - one engine, many runs: a host loads a workflow once and
 * starts eight runs of it at once, each with its own params and run id;
 * they share the engine's thread pool and the workflow (which is immutable
 * and shared, never copied). Then it waits for all and prints each result.
 */
#include <stdio.h>
#include <string.h>

#include <symphony.h>

enum { RUNS = 8 };

static int work(sym_task *task, void *userdata)
{
    (void)userdata;
    char out[96];
    snprintf(out, sizeof out, "%s/%s", sym_task_run_id(task), sym_task_id(task));
    return sym_task_set_output(task, "done", out);
}

static const char workflow[] = "symphony: 1\n"
                               "name: nightly\n"
                               "params: { day: 1 }\n"
                               "tasks:\n"
                               "  extract: { worker: work }\n"
                               "  transform: { worker: work, needs: extract,"
                               " matrix: { part: [a, b, c] } }\n"
                               "  load: { worker: work, needs: transform }\n";

int main(void)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    sym_engine *engine = NULL;
    sym_run *runs[RUNS] = {0};
    int status = 1, started = 0;
    if (!err ||
        sym_workflow_load_buffer(workflow, strlen(workflow), "nightly.yaml", NULL, &wf, err) ||
        sym_engine_new(NULL, &engine) || sym_engine_register(engine, "work", work, NULL, NULL))
        goto out;

    for (int i = 0; i < RUNS; i++) {
        char id[32];
        snprintf(id, sizeof id, "day-%02d", i + 1);
        sym_value *params = sym_value_new_map();
        sym_value_map_set(params, "day", sym_value_new_int(i + 1));
        sym_run_options opts;
        sym_run_options_init(&opts);
        opts.run_id = id;      /* copied */
        opts.params = params;  /* copied */
        int rc = sym_run_start(engine, wf, &opts, &runs[i], err);
        sym_value_free(params);
        if (rc != SYM_OK)
            goto out;
        started++;
    }
    int ok = 0;
    for (int i = 0; i < RUNS; i++) {
        sym_run_wait(runs[i], -1);
        int64_t day = 0;
        sym_value_get_int(sym_value_get(sym_run_params(runs[i]), "day"), &day);
        sym_task_result load;
        sym_task_result_init(&load);
        sym_run_task_result(runs[i], sym_workflow_task_count(wf) - 1, &load);
        printf("%s (day %lld): %s, load says %s\n", sym_run_id(runs[i]), (long long)day,
               sym_run_status_name(sym_run_get_status(runs[i])),
               sym_value_string(sym_value_get(load.outputs, "done"), NULL));
        ok += sym_run_get_status(runs[i]) == SYM_RUN_SUCCEEDED;
    }
    printf("%d of %d runs succeeded on one engine of %u threads\n", ok, RUNS,
           sym_engine_threads(engine));
    status = ok == RUNS ? 0 : 1;
out:
    for (size_t i = 0; err && i < sym_error_count(err); i++)
        fprintf(stderr, "%s\n", sym_error_text(err, i));
    for (int i = 0; i < started; i++)
        sym_run_free(runs[i]);
    sym_engine_free(engine);
    sym_workflow_free(wf);
    sym_error_free(err);
    return status;
}
