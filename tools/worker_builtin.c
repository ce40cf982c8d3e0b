/* worker_builtin.c - the simplest built-in workers of `symphony run`:
 *
 *   noop    succeeds at once (placeholders, joins, trying a graph out)
 *   sleep   waits `with: {duration: 100ms}`, stopping early when its
 *           attempt times out or the run is cancelled
 */
#include <string.h>
#include <time.h>

#include "runner.h"

static int noop_worker(sym_task *task, void *userdata)
{
    (void)task;
    (void)userdata;
    return SYM_OK;
}

/* Nanoseconds: a clock cut to whole milliseconds would end a 20ms sleep up
 * to a millisecond early. */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The wait is cut into short naps so that a timeout or a cancel is seen
 * within a few milliseconds. */
static int sleep_worker(sym_task *task, void *userdata)
{
    (void)userdata;
    size_t len = 0;
    const char *text = sym_value_string(sym_task_input(task, "duration"), &len);
    int64_t ms = 0;
    if (!text || sym_duration_parse(text, len, &ms) != SYM_OK)
        return sym_task_fail(task, SYM_FAIL_FATAL,
                             "sleep needs `with: {duration: D}`, D like 250ms, 10s or 5m");
    int64_t end = now_ns() + ms * 1000000;
    for (;;) {
        if (sym_task_cancelled(task))
            return sym_task_fail(task, 0, "cancelled");
        int64_t left = end - now_ns();
        if (left <= 0)
            return SYM_OK;
        int64_t nap = left < 10000000 ? left : 10000000;
        struct timespec ts = {0, (long)nap};
        nanosleep(&ts, NULL);
    }
}

int builtin_workers_register(sym_engine *engine)
{
    int rc = sym_engine_register(engine, "noop", noop_worker, NULL, NULL);
    if (rc == SYM_OK)
        rc = sym_engine_register(engine, "sleep", sleep_worker, NULL, NULL);
    return rc;
}
