/* hello.c - the smallest complete host: load a workflow, register its
 * worker, run it, print the report.
 *
 *   cc -o hello hello.c $(pkg-config --cflags --libs symphony)
 *   ./hello [examples/hello.yaml]
 */
#include <stdio.h>

#include <symphony.h>

/* The worker `say`: prints its `text` input and sets it as an output. */
static int say(sym_task *task, void *userdata)
{
    (void)userdata;
    const char *text = sym_value_string(sym_task_input(task, "text"), NULL);
    if (!text)
        return sym_task_fail(task, SYM_FAIL_FATAL, "input 'text' is missing");
    printf("%s: %s\n", sym_task_id(task), text);
    return sym_task_set_output(task, "said", text);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/hello.yaml";
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    sym_engine *engine = NULL;
    sym_run *run = NULL;
    int status = 1;

    if (!err)
        return 1;
    if (sym_workflow_load_file(path, NULL, &wf, err) != SYM_OK ||
        sym_engine_new(NULL, &engine) != SYM_OK ||
        sym_engine_register(engine, "say", say, NULL, NULL) != SYM_OK ||
        sym_run_start(engine, wf, NULL, &run, err) != SYM_OK) {
        for (size_t i = 0; i < sym_error_count(err); i++)
            fprintf(stderr, "%s\n", sym_error_text(err, i));
        goto out;
    }
    sym_run_wait(run, -1);
    char *report = sym_run_report_json(run);
    if (report)
        printf("%s\n", report);
    sym_free(report);
    status = sym_run_get_status(run) == SYM_RUN_SUCCEEDED ? 0 : 1;
out:
    sym_run_free(run);
    sym_engine_free(engine);
    sym_workflow_free(wf);
    sym_error_free(err);
    return status;
}
