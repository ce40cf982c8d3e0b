/* build_in_code.c - a workflow built in code rather than read from YAML:
 * a fan-out of four shards between a start and an end task, with a retry
 * policy, run on an engine. The `shard` worker fails each shard's first
 * attempt to show the retry at work.
 */
#include <stdio.h>

#include <symphony.h>

static int step(sym_task *task, void *userdata)
{
    (void)userdata;
    printf("%-12s attempt %d\n", sym_task_id(task), sym_task_attempt(task));
    return SYM_OK;
}

static int shard(sym_task *task, void *userdata)
{
    (void)userdata;
    if (sym_task_attempt(task) == 1)
        return sym_task_fail(task, 0, "shard not ready yet");
    return step(task, NULL);
}

static sym_workflow *build(sym_error *err)
{
    sym_builder *b = sym_builder_new("built-in-code");
    if (!b)
        return NULL;
    size_t start, work, end;
    sym_builder_add_task(b, "start", "step", &start);
    sym_builder_add_task(b, "work", "shard", &work);
    sym_builder_add_dep(b, work, start);
    sym_value *shards = sym_value_new_list();
    for (int i = 1; i <= 4; i++)
        sym_value_list_append(shards, sym_value_new_int(i));
    sym_builder_add_matrix(b, work, "shard", shards); /* takes ownership */
    sym_builder_add_task(b, "end", "step", &end);
    sym_builder_add_dep_id(b, end, "work");

    sym_task_policy policy;
    sym_task_policy_init(&policy);
    policy.retry.attempts = 3;
    policy.retry.backoff = SYM_BACKOFF_FIXED;
    policy.retry.delay_ms = 10;
    sym_builder_set_policy(b, work, &policy);

    sym_workflow *wf = NULL;
    sym_builder_build(b, &wf, err); /* every error, if any, is in err */
    sym_builder_free(b);
    return wf;
}

int main(void)
{
    sym_error *err = sym_error_new();
    sym_workflow *wf = err ? build(err) : NULL;
    sym_engine *engine = NULL;
    sym_run *run = NULL;
    int status = 1;
    if (!wf || sym_engine_new(NULL, &engine) != SYM_OK ||
        sym_engine_register(engine, "step", step, NULL, NULL) != SYM_OK ||
        sym_engine_register(engine, "shard", shard, NULL, NULL) != SYM_OK ||
        sym_run_start(engine, wf, NULL, &run, err) != SYM_OK) {
        for (size_t i = 0; err && i < sym_error_count(err); i++)
            fprintf(stderr, "%s\n", sym_error_text(err, i));
        goto out;
    }
    sym_run_wait(run, -1);
    for (size_t i = 0; i < sym_workflow_task_count(wf); i++) {
        sym_task_result r;
        sym_task_result_init(&r);
        sym_run_task_result(run, i, &r);
        printf("%-12s %-10s %d attempt(s)\n", r.id, sym_task_state_name(r.state), r.attempts);
    }
    printf("run %s\n", sym_run_status_name(sym_run_get_status(run)));
    status = sym_run_get_status(run) == SYM_RUN_SUCCEEDED ? 0 : 1;
out:
    sym_run_free(run);
    sym_engine_free(engine);
    sym_workflow_free(wf);
    sym_error_free(err);
    return status;
}
