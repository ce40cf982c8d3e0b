/* task.c - the worker side: what a callback may ask of its sym_task. The
 * task lives on the calling thread's stack for one attempt; outputs and the
 * failure message are kept per attempt and count only if the attempt's
 * result does (a late result after a timeout is discarded whole). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "value.h"

/* Read-only, so not mutable global state: the map a task without inputs
 * or outputs reports. */
const sym_value engine_empty_map = {.type = SYM_VALUE_MAP};

void task_discard(sym_task *t)
{
    free(t->error);
    t->error = NULL;
    sym_value_free(t->outputs);
    t->outputs = NULL;
}

static const wf_task *wt_of(const sym_task *t)
{
    return &t->run->tasks[t->index];
}

const char *sym_task_id(const sym_task *task)
{
    return task ? wt_of(task)->id : NULL;
}

const char *sym_task_worker(const sym_task *task)
{
    return task ? task->run->wf->workers[wt_of(task)->worker] : NULL;
}

const char *sym_task_run_id(const sym_task *task)
{
    return task ? task->run->id : NULL;
}

int sym_task_attempt(const sym_task *task)
{
    return task ? (int)task->attempt : 0;
}

/* Inputs are the task's `with` map as written: `${{ }}` expressions are
 * evaluated in a later step. */
const sym_value *sym_task_inputs(const sym_task *task)
{
    if (!task)
        return NULL;
    const sym_value *in = wt_of(task)->inputs;
    return in ? in : &engine_empty_map;
}

const sym_value *sym_task_input(const sym_task *task, const char *path)
{
    if (!task || !path)
        return NULL;
    return sym_value_path(sym_task_inputs(task), path);
}

bool sym_task_cancelled(const sym_task *task)
{
    if (!task)
        return false;
    if (atomic_load_explicit(&task->run->stop, memory_order_relaxed) != STOP_NONE)
        return true;
    return task->ctl && atomic_load_explicit(&task->ctl->cancel, memory_order_relaxed);
}

int sym_task_set_output(sym_task *task, const char *key, const char *value)
{
    if (!task || !key || !value || !*key)
        return SYM_EINVAL;
    size_t add = strlen(key) + strlen(value);
    size_t old = 0;
    if (task->outputs) {
        const sym_value *prev = sym_value_get(task->outputs, key);
        if (prev)
            old = strlen(key) + prev->n;
    }
    size_t max = task->run->eng->cfg.max_output_bytes;
    if (task->out_bytes - old + add > max)
        return SYM_ETOOBIG;
    if (!task->outputs && !(task->outputs = sym_value_new_map()))
        return SYM_ENOMEM;
    sym_value *v = sym_value_new_string(value);
    if (!v)
        return SYM_EINVAL; /* not valid UTF-8 (or out of memory) */
    int rc = sym_value_map_set(task->outputs, key, v);
    if (rc == SYM_OK)
        task->out_bytes = task->out_bytes - old + add;
    return rc;
}

int sym_task_failv(sym_task *task, int flags, const char *fmt, va_list ap)
{
    if (!task)
        return SYM_EFAILED;
    char *msg = NULL;
    if (fmt) {
        va_list ap2;
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap2);
        va_end(ap2);
        if (n >= 0 && (msg = malloc((size_t)n + 1)))
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
    }
    free(task->error);
    task->error = msg;
    task->fatal = (flags & SYM_FAIL_FATAL) != 0;
    return SYM_EFAILED;
}

int sym_task_fail(sym_task *task, int flags, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sym_task_failv(task, flags, fmt, ap);
    va_end(ap);
    return rc;
}
