/* monitor.c - live monitoring: an observer prints every state change as it
 * happens (from engine threads, so it only formats and writes one line),
 * and a metrics snapshot per worker is printed at the end. Runs
 * examples/nightly-etl.yaml with one worker function under every name it
 * uses; shard 3 fails its first attempt, so a retry shows up.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <symphony.h>

/* The engine's default clock is CLOCK_MONOTONIC: times print from t0. */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void observe(const sym_event *ev, void *userdata)
{
    double ms = (double)(ev->time_ns - *(const int64_t *)userdata) / 1e6;
    /* One fprintf per event: stdio locks the stream, so lines never mix. */
    if (ev->type == SYM_EVENT_TASK_RETRYING)
        printf("%8.3f ms  %-15s %-20s attempt %d failed (%s), retry in %lld ms\n",
               ms, sym_event_type_name(ev->type), ev->task_id,
               ev->attempt, ev->error ? ev->error : "", (long long)ev->delay_ms);
    else
        printf("%8.3f ms  %-15s %s\n", ms, sym_event_type_name(ev->type),
               ev->task_id ? ev->task_id : ev->run_id);
}

static int work(sym_task *task, void *userdata)
{
    (void)userdata;
    if (strcmp(sym_task_id(task), "transform[shard=3]") == 0 && sym_task_attempt(task) == 1)
        return sym_task_fail(task, 0, "shard 3: source not ready");
    struct timespec ts = {0, 2 * 1000 * 1000}; /* 2 ms of "work" */
    nanosleep(&ts, NULL);
    return SYM_OK;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/nightly-etl.yaml";
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    sym_engine *engine = NULL;
    sym_run *run = NULL;
    int status = 1;
    int64_t t0 = now_ns(); /* read-only once the engine runs */

    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = 4;
    cfg.observer = observe;
    cfg.observer_userdata = &t0;
    if (!err || sym_workflow_load_file(path, NULL, &wf, err) != SYM_OK ||
        sym_engine_new(&cfg, &engine) != SYM_OK)
        goto out;
    /* Every worker the workflow names (registering one twice says EEXIST). */
    for (size_t i = 0; i < sym_workflow_task_count(wf); i++) {
        sym_task_info info;
        sym_task_info_init(&info);
        sym_workflow_task_info(wf, i, &info);
        int rc = sym_engine_register(engine, info.worker, work, NULL, NULL);
        if (rc != SYM_OK && rc != SYM_EEXIST)
            goto out;
    }
    t0 = now_ns();
    if (sym_run_start(engine, wf, NULL, &run, err) != SYM_OK)
        goto out;
    sym_run_wait(run, -1);

    sym_metrics m;
    sym_metrics_init(&m);
    sym_engine_metrics(engine, &m);
    printf("\n%u threads; %llu succeeded, %llu failed, %llu retries\n", m.threads,
           (unsigned long long)m.tasks[SYM_TASK_SUCCEEDED],
           (unsigned long long)m.tasks[SYM_TASK_FAILED], (unsigned long long)m.retries);
    sym_worker_metrics wm[16];
    for (size_t i = 0; i < 16; i++)
        sym_worker_metrics_init(&wm[i]);
    size_t n = 0;
    sym_engine_worker_metrics(engine, wm, 16, &n);
    printf("%-10s %6s %9s %12s\n", "worker", "calls", "failures", "max latency");
    for (size_t i = 0; i < n && i < 16; i++)
        printf("%-10s %6llu %9llu %9.3f ms\n", wm[i].name, (unsigned long long)wm[i].calls,
               (unsigned long long)wm[i].failures, (double)wm[i].latency_max_ns / 1e6);
    status = sym_run_get_status(run) == SYM_RUN_SUCCEEDED ? 0 : 1;
out:
    for (size_t i = 0; err && i < sym_error_count(err); i++)
        fprintf(stderr, "%s\n", sym_error_text(err, i));
    sym_run_free(run);
    sym_engine_free(engine);
    sym_workflow_free(wf);
    sym_error_free(err);
    return status;
}
