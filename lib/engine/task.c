/* task.c - the worker side: what a callback may ask of its sym_task. The
 * task lives on the calling thread's stack for one attempt; outputs and the
 * failure message are kept per attempt and count only if the attempt's
 * result does (a late result after a timeout is discarded whole). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "common.h"

/* Read-only, so not mutable global state: the map a task without inputs
 * or outputs reports. */
const sym_value sym__engine_empty_map = {.type = SYM_VALUE_MAP};

void sym__task_discard(sym_task *t)
{
    free(t->error);
    t->error = NULL;
    sym_value_free(t->outputs);
    t->outputs = NULL;
}

const char *sym_task_id(const sym_task *task)
{
    return task ? wf_task_id(task->run->wf, task->index) : NULL;
}

const char *sym_task_worker(const sym_task *task)
{
    return task ? task->run->wf->workers[wf_task_worker(task->run->wf, task->index)] : NULL;
}

const char *sym_task_run_id(const sym_task *task)
{
    return task ? task->run->id : NULL;
}

int sym_task_attempt(const sym_task *task)
{
    return task ? (int)task->attempt : 0;
}

/* The evaluated inputs when the task's `with` has templates (made per
 * attempt by the scheduler), else the `with` map as written. */
const sym_value *sym_task_inputs(const sym_task *task)
{
    if (!task)
        return NULL;
    if (task->inputs)
        return task->inputs;
    const sym_value *in = wf_task_inputs(task->run->wf, task->index);
    return in ? in : &sym__engine_empty_map;
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

/* What an output counts against max_output_bytes: its key and its JSON
 * text (a string counts its bytes, without quotes or escapes, as it always
 * has). *size is SIZE_MAX when the text could not be made. */
static size_t output_size(const char *key, const sym_value *v)
{
    size_t k = strlen(key);
    if (v->type == SYM_VALUE_STRING)
        return k + v->n;
    strbuf sb;
    sym__sb_init(&sb);
    sym__value_write_json(&sb, v);
    char *text = sym__sb_finish(&sb);
    size_t n = text ? strlen(text) : SIZE_MAX - k;
    free(text);
    return k + n;
}

/* Sets key to v (owned; freed on failure) within the task's cap. */
static int set_output(sym_task *task, const char *key, sym_value *v)
{
    size_t add = output_size(key, v);
    size_t old = 0;
    if (task->outputs) {
        const sym_value *prev = sym_value_get(task->outputs, key);
        if (prev)
            old = output_size(key, prev);
    }
    size_t max = task->run->eng->cfg.max_output_bytes;
    if (add > max || task->out_bytes - old > max - add) {
        sym_value_free(v);
        return SYM_ETOOBIG;
    }
    if (!task->outputs && !(task->outputs = sym_value_new_map())) {
        sym_value_free(v);
        return SYM_ENOMEM;
    }
    int rc = sym_value_map_set(task->outputs, key, v);
    if (rc == SYM_OK)
        task->out_bytes = task->out_bytes - old + add;
    return rc;
}

int sym_task_set_output(sym_task *task, const char *key, const char *value)
{
    if (!task || !key || !value || !*key)
        return SYM_EINVAL;
    /* Checked before copying: a value past the cap is never copied. */
    size_t max = task->run->eng->cfg.max_output_bytes;
    if (strlen(value) > max)
        return SYM_ETOOBIG;
    sym_value *v = sym_value_new_string(value);
    if (!v)
        return SYM_EINVAL; /* not valid UTF-8 (or out of memory) */
    return set_output(task, key, v);
}

int sym_task_set_output_value(sym_task *task, const char *key, const sym_value *value)
{
    if (!task || !key || !value || !*key)
        return SYM_EINVAL;
    sym_value *v = sym_value_copy(value);
    if (!v)
        return SYM_ENOMEM;
    return set_output(task, key, v);
}

/* ---- failures ---- */

/* What ends a message cut to SYM_MAX_ERROR_BYTES; %zu is its full length. */
#define CUT_MARK "... (truncated, %zu bytes)"

/* How many bytes of a message of `full` bytes go before the mark. */
static size_t kept_bytes(size_t full)
{
    return SYM_MAX_ERROR_BYTES - (size_t)snprintf(NULL, 0, CUT_MARK, full);
}

/* buf (room for SYM_MAX_ERROR_BYTES + 1) holds the first kept + 1 bytes of
 * a message of `full` bytes: cuts it before the character that byte kept
 * belongs to, so no character is split, and appends the mark. A worker's
 * text may not be UTF-8: at most 3 bytes are given back looking for a
 * character's start. */
static void cut_message(char *buf, size_t kept, size_t full)
{
    for (int i = 0; i < 3 && kept > 0 && ((unsigned char)buf[kept] & 0xC0) == 0x80; i++)
        kept--;
    snprintf(buf + kept, SYM_MAX_ERROR_BYTES + 1 - kept, CUT_MARK, full);
}

/* Keeps msg (owned, NULL for none) as the attempt's failure. */
static int set_failure(sym_task *task, int flags, char *msg)
{
    free(task->error);
    task->error = msg;
    task->fatal = (flags & SYM_FAIL_FATAL) != 0;
    return SYM_EFAILED;
}

/* A message is formatted twice at most, its length first, and never
 * copied whole when it is over the cap: a worker failing with a 50 MB
 * message costs 64 KiB here. */
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
        if (n >= 0 && (size_t)n <= SYM_MAX_ERROR_BYTES) {
            if ((msg = malloc((size_t)n + 1)))
                vsnprintf(msg, (size_t)n + 1, fmt, ap);
        } else if (n > 0 && (msg = malloc(SYM_MAX_ERROR_BYTES + 1))) {
            size_t kept = kept_bytes((size_t)n);
            vsnprintf(msg, kept + 2, fmt, ap);
            cut_message(msg, kept, (size_t)n);
        }
    }
    return set_failure(task, flags, msg);
}

int sym_task_fail_message(sym_task *task, int flags, const char *message)
{
    if (!task)
        return SYM_EFAILED;
    char *msg = NULL;
    if (message) {
        size_t full = strlen(message);
        if (full <= SYM_MAX_ERROR_BYTES) {
            if ((msg = malloc(full + 1)))
                memcpy(msg, message, full + 1);
        } else if ((msg = malloc(SYM_MAX_ERROR_BYTES + 1))) {
            size_t kept = kept_bytes(full);
            memcpy(msg, message, kept + 1);
            cut_message(msg, kept, full);
        }
    }
    return set_failure(task, flags, msg);
}

int sym_task_fail(sym_task *task, int flags, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sym_task_failv(task, flags, fmt, ap);
    va_end(ap);
    return rc;
}
