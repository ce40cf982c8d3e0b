/* runner.h - what `symphony run` (tools/cli_run.c) shares with its built-in
 * workers: the console that task output, event lines and the progress line
 * go through, and the workers themselves (noop and sleep in
 * tools/worker_builtin.c, exec in tools/worker_exec.c). */
#ifndef SYM_RUNNER_H
#define SYM_RUNNER_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "symphony.h"

/* Whole lines to `out` from many threads at once, never interleaved within a
 * line; on a terminal (`tty` not NULL) a progress line is kept below them,
 * erased before each line and drawn again after it. */
typedef struct console {
    pthread_mutex_t mu;
    FILE *out;          /* task output, task events, the summary */
    FILE *tty;          /* where the progress line is drawn, or NULL */
    char progress[160]; /* the progress line shown now; "" when none */
} console;

void console_init(console *c, FILE *out, FILE *tty);
void console_destroy(console *c);
/* Writes prefix, the len bytes of text and a newline as one line. */
void console_line(console *c, const char *prefix, const char *text, size_t len);
/* Formats one line (no newline in fmt). */
void console_printf(console *c, const char *fmt, ...) SYM_PRINTF(2, 3);
/* The same, to stderr: the tool's own messages. */
void console_error(console *c, const char *fmt, ...) SYM_PRINTF(2, 3);
/* Replaces the progress line ("" erases it); does nothing without a tty. */
void console_progress(console *c, const char *line);

/* Registers `noop` and `sleep`. SYM_OK or the code of the failed
 * sym_engine_register. */
int builtin_workers_register(sym_engine *engine);

/* The `exec` worker: its settings and the process groups of the children
 * it is running now. */
typedef struct exec_worker exec_worker;

/* log_dir NULL: children's output goes to the console, each line prefixed
 * with "[TASK_ID] "; otherwise to LOG_DIR/TASK_ID.attemptN.log (the
 * directory must exist). NULL when out of memory. */
exec_worker *exec_worker_new(console *con, const char *log_dir);
/* Call only once no worker call is in flight (after sym_engine_free). */
void exec_worker_free(exec_worker *w);
int exec_worker_register(sym_engine *engine, exec_worker *w);
/* Sends SIGKILL to the process group of every child running now: for a
 * tool about to exit without waiting for its run. Any thread. */
void exec_worker_kill_all(exec_worker *w);

#endif
