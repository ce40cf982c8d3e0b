/* cli_run.c - `symphony run FILE [--threads N] [--param KEY=VALUE]...
 * [--report PATH] [--trace PATH] [--log-dir DIR]`: runs a workflow on an
 * engine with the built-in workers (noop, sleep, exec), shows its progress,
 * and writes its report and trace.
 *
 * Signals: the first SIGINT or SIGTERM cancels the run (the engine sets
 * every attempt's cancel flag; exec kills its children's process groups),
 * which then ends as usual: summary, report, exit 1. A second one kills the
 * children's groups and exits at once with 130. The handler only writes the
 * signal to a pipe; the main loop, which waits on the run in short slices,
 * reads it. Engine threads are started with the signals blocked, so the
 * handler always runs on the main thread.
 *
 * _GNU_SOURCE for pipe2, which makes descriptors close-on-exec at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "runner.h"

enum {
    TICK_MS = 50,          /* how often the main loop looks at signals */
    PROGRESS_TICKS = 4,    /* the progress line is redrawn every 200 ms */
    MAX_THREADS = 1024,
    MAX_LISTED_FAILURES = 20
};

typedef struct run_args {
    const char *file;
    const char *report;
    const char *trace;
    const char *log_dir;
    unsigned threads;  /* 0: one per CPU */
    sym_value *params; /* owned map of --param overrides, or NULL */
} run_args;

/* ---- the command line ---- */

/* Matches option `name` at argv[*i], as "--name VALUE" or "--name=VALUE".
 * Returns 1 with *value set, 0 when argv[*i] is another argument, -1 when
 * the value is missing. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return **value ? 1 : -1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 == argc || argv[*i + 1][0] == '\0')
        return -1;
    *value = argv[++*i];
    return 1;
}

static int parse_threads(const cli_command *cmd, const char *text, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || n < 1 || n > MAX_THREADS)
        return cli_usage_error(cmd, "--threads expects a number from 1 to %d, not '%s'",
                               MAX_THREADS, text);
    *out = (unsigned)n;
    return CLI_OK;
}

/* KEY=VALUE, VALUE read as YAML (`3`, `true`, `[a, b]`, `text`). */
static int add_param(const cli_command *cmd, run_args *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error(cmd, "--param expects KEY=VALUE, not '%s'", arg);
    char key[128];
    if ((size_t)(eq - arg) >= sizeof key)
        return cli_usage_error(cmd, "--param name too long in '%s'", arg);
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = '\0';
    if (!a->params && !(a->params = sym_value_new_map())) {
        fprintf(stderr, "symphony run: %s\n", sym_strerror(SYM_ENOMEM));
        return CLI_FAILED;
    }
    sym_error *err = sym_error_new();
    sym_value *v = NULL;
    int rc = sym_value_parse(eq + 1, strlen(eq + 1), &v, err);
    if (rc != SYM_OK) {
        const char *msg = sym_error_message(err, 0);
        int status = cli_usage_error(cmd, "--param %s: %s", key, msg ? msg : sym_strerror(rc));
        sym_error_free(err);
        return status;
    }
    sym_error_free(err);
    if (sym_value_map_set(a->params, key, v) != SYM_OK) {
        fprintf(stderr, "symphony run: %s\n", sym_strerror(SYM_ENOMEM));
        return CLI_FAILED;
    }
    return CLI_OK;
}

static int parse_args(const cli_command *cmd, int argc, char **argv, run_args *a)
{
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        int m = 0, rc = CLI_OK;
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || !cli_is_option(arg)) {
            if (a->file)
                return cli_usage_error(cmd, "unexpected argument '%s' (one FILE only)", arg);
            a->file = arg;
            continue;
        }
        if ((m = option_value(argc, argv, &i, "--threads", &value)) == 1)
            rc = parse_threads(cmd, value, &a->threads);
        else if (m == 0 && (m = option_value(argc, argv, &i, "--param", &value)) == 1)
            rc = add_param(cmd, a, value);
        else if (m == 0 && (m = option_value(argc, argv, &i, "--report", &value)) == 1)
            a->report = value;
        else if (m == 0 && (m = option_value(argc, argv, &i, "--trace", &value)) == 1)
            a->trace = value;
        else if (m == 0 && (m = option_value(argc, argv, &i, "--log-dir", &value)) == 1)
            a->log_dir = value;
        if (m < 0)
            return cli_usage_error(cmd, "option '%s' needs a value", arg);
        if (m == 0)
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        if (rc != CLI_OK)
            return rc;
    }
    if (!a->file)
        return cli_usage_error(cmd, "missing FILE");
    return CLI_OK;
}

/* ---- signals ---- */

/* The write end of the signal pipe: the one piece of state a signal
 * handler can reach. Set before the handlers are installed, and they are
 * removed before it is closed. */
static int signal_pipe = -1;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(signal_pipe, &b, 1);
    (void)n; /* a full pipe already holds enough signals */
    errno = saved;
}

typedef struct signals {
    int fds[2];
    struct sigaction old_int, old_term;
} signals;

static int signals_open(signals *s)
{
    /* Close-on-exec from the start: an exec task may be spawning now. */
    if (pipe2(s->fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    signal_pipe = s->fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
    return 0;
}

static void signals_close(signals *s)
{
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
    signal_pipe = -1;
    close(s->fds[0]);
    close(s->fds[1]);
}

/* How many signals arrived since the last call. */
static int signals_take(signals *s)
{
    unsigned char buf[16];
    int n = 0;
    ssize_t got;
    while ((got = read(s->fds[0], buf, sizeof buf)) > 0)
        n += (int)got;
    return n;
}

/* ---- events and progress ---- */

typedef struct watch {
    console *con;
    bool tty;
    size_t ntasks;
    _Atomic int64_t *first_start; /* per task: engine time of its first start */
} watch;

static void format_ms(char *buf, size_t cap, int64_t ms)
{
    if (ms < 1000)
        snprintf(buf, cap, "%lld ms", (long long)ms);
    else
        snprintf(buf, cap, "%.2f s", (double)ms / 1000.0);
}

/* Called on engine threads: one line per event worth a line. Successes
 * only when piped (on a terminal the progress line counts them). */
static void on_event(const sym_event *ev, void *userdata)
{
    watch *w = userdata;
    if (!ev->task_id || ev->task_index >= w->ntasks)
        return;
    char took[32] = "";
    int64_t start = atomic_load(&w->first_start[ev->task_index]);
    if (start > 0)
        format_ms(took, sizeof took, (ev->time_ns - start) / 1000000);
    const char *err = ev->error ? ev->error : "unknown error";
    switch (ev->type) {
    case SYM_EVENT_TASK_STARTED:
        if (ev->attempt == 1)
            atomic_store(&w->first_start[ev->task_index], ev->time_ns > 0 ? ev->time_ns : 1);
        break;
    case SYM_EVENT_TASK_SUCCEEDED:
        if (!w->tty)
            console_printf(w->con, "task %s succeeded in %s", ev->task_id, took);
        break;
    case SYM_EVENT_TASK_RETRYING: {
        char delay[32];
        format_ms(delay, sizeof delay, ev->delay_ms);
        console_printf(w->con, "task %s attempt %d failed: %s; retrying in %s", ev->task_id,
                       ev->attempt, err, delay);
        break;
    }
    case SYM_EVENT_TASK_FAILED:
        console_printf(w->con, "task %s failed after %s (attempt %d): %s", ev->task_id, took,
                       ev->attempt, err);
        break;
    case SYM_EVENT_TASK_TIMED_OUT:
        console_printf(w->con, "task %s timed out (attempt %d): %s", ev->task_id, ev->attempt,
                       err);
        break;
    case SYM_EVENT_TASK_SKIPPED:
        console_printf(w->con, "task %s skipped", ev->task_id);
        break;
    case SYM_EVENT_TASK_UPSTREAM_FAILED:
        console_printf(w->con, "task %s not run (upstream_failed)", ev->task_id);
        break;
    case SYM_EVENT_TASK_CANCELLED:
        console_printf(w->con, "task %s cancelled", ev->task_id);
        break;
    default:
        break;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw_progress(console *con, sym_engine *engine, size_t total, int64_t elapsed_ms)
{
    sym_metrics m;
    sym_metrics_init(&m);
    if (sym_engine_metrics(engine, &m) != SYM_OK)
        return;
    uint64_t done = 0;
    for (int s = SYM_TASK_SUCCEEDED; s < SYM_TASK_STATE_COUNT; s++)
        done += m.tasks[s];
    uint64_t failed = m.tasks[SYM_TASK_FAILED] + m.tasks[SYM_TASK_TIMED_OUT];
    char line[160];
    snprintf(line, sizeof line, "[%.1fs] %llu/%zu done, %llu running, %llu failed",
             (double)elapsed_ms / 1000.0, (unsigned long long)done, total,
             (unsigned long long)m.tasks[SYM_TASK_RUNNING], (unsigned long long)failed);
    console_progress(con, line);
}

/* ---- the end ---- */

static void print_summary(console *con, sym_run *run, const char *workflow, int64_t elapsed_ms)
{
    size_t n = sym_workflow_task_count(sym_run_workflow(run));
    size_t count[SYM_TASK_STATE_COUNT] = {0};
    sym_task_result res;
    sym_task_result_init(&res);
    for (size_t i = 0; i < n; i++)
        if (sym_run_task_result(run, i, &res) == SYM_OK && res.state < SYM_TASK_STATE_COUNT)
            count[res.state]++;
    char took[32], tally[512] = "";
    format_ms(took, sizeof took, elapsed_ms);
    for (int s = 0; s < SYM_TASK_STATE_COUNT; s++) {
        if (!count[s])
            continue;
        size_t used = strlen(tally);
        snprintf(tally + used, sizeof tally - used, "%s%zu %s", used ? ", " : "", count[s],
                 sym_task_state_name((sym_task_state)s));
    }
    console_printf(con, "run %s of %s %s in %s: %s", sym_run_id(run), workflow,
                   sym_run_status_name(sym_run_get_status(run)), took, tally);
    size_t listed = 0;
    for (size_t i = 0; i < n && listed < MAX_LISTED_FAILURES; i++) {
        if (sym_run_task_result(run, i, &res) != SYM_OK ||
            (res.state != SYM_TASK_FAILED && res.state != SYM_TASK_TIMED_OUT))
            continue;
        console_printf(con, "  %s %s after %d attempt%s: %s", res.id,
                       sym_task_state_name(res.state), res.attempts, res.attempts == 1 ? "" : "s",
                       res.error ? res.error : "unknown error");
        listed++;
    }
}

/* Writes text (owned; freed here) to path. CLI_OK, or CLI_FAILED with a
 * message. */
static int write_json(console *con, const char *what, const char *path, char *text)
{
    if (!text) {
        console_error(con, "symphony run: cannot make the %s: %s", what,
                      sym_strerror(SYM_ENOMEM));
        return CLI_FAILED;
    }
    FILE *f = fopen(path, "wbe"); /* "e": close-on-exec */
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    int err = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    sym_free(text);
    if (!ok) {
        console_error(con, "symphony run: cannot write the %s to %s: %s", what, path,
                      strerror(err));
        return CLI_FAILED;
    }
    console_printf(con, "%s: %s", what, path);
    return CLI_OK;
}

/* ---- running ---- */

typedef struct session {
    run_args *args;
    sym_workflow *wf;
    console con;
    watch watch;
    exec_worker *exec;
    sym_engine *engine;
    sym_run *run;
    signals sig;
} session;

/* The engine, with SIGINT and SIGTERM blocked in its threads (they inherit
 * the mask of the thread that starts them). */
static int start_engine(session *s)
{
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = s->args->threads;
    cfg.observer = on_event;
    cfg.observer_userdata = &s->watch;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = sym_engine_new(&cfg, &s->engine);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == SYM_OK)
        rc = builtin_workers_register(s->engine);
    if (rc == SYM_OK)
        rc = exec_worker_register(s->engine, s->exec);
    if (rc != SYM_OK)
        fprintf(stderr, "symphony run: cannot start the engine: %s\n", sym_strerror(rc));
    return rc;
}

/* Starts the run; its refusals (unknown params, workers that are not
 * built in) are errors of the workflow or the command line: exit 2. */
static int start_run(session *s)
{
    sym_error *err = sym_error_new();
    sym_run_options opts;
    sym_run_options_init(&opts);
    opts.params = s->args->params;
    int rc = sym_run_start(s->engine, s->wf, &opts, &s->run, err);
    if (rc == SYM_OK) {
        sym_error_free(err);
        return CLI_OK;
    }
    size_t n = sym_error_count(err);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s: %s\n", s->args->file, sym_error_message(err, i));
    if (n == 0)
        fprintf(stderr, "%s: %s\n", s->args->file, sym_strerror(rc));
    if (rc == SYM_ENOWORKER)
        fprintf(stderr, "%s: the built-in workers are noop, sleep and exec\n", s->args->file);
    sym_error_free(err);
    return rc == SYM_ENOWORKER || rc == SYM_EINVAL ? CLI_USAGE : CLI_FAILED;
}

/* Waits for the run in short slices, drawing progress and acting on
 * signals. */
static void wait_run(session *s, int64_t t0)
{
    int seen = 0;
    size_t total = sym_workflow_task_count(s->wf);
    for (unsigned tick = 0; sym_run_wait(s->run, TICK_MS) == SYM_ETIMEDOUT; tick++) {
        int got = signals_take(&s->sig);
        if (got > 0 && seen == 0) {
            console_error(&s->con, "symphony run: cancelling the run (interrupt again to exit "
                                   "at once)");
            sym_run_cancel(s->run);
        }
        seen += got;
        if (seen > 1) {
            exec_worker_kill_all(s->exec);
            console_progress(&s->con, "");
            console_error(&s->con, "symphony run: interrupted; exiting without waiting");
            fflush(stdout);
            _exit(130);
        }
        if (tick % PROGRESS_TICKS == 0)
            draw_progress(&s->con, s->engine, total, now_ms() - t0);
    }
    console_progress(&s->con, "");
}

/* A parent that ignores SIGCHLD passes that on through exec, and the
 * kernel then reaps exec's children itself, their exit status lost: the
 * tool waits for its children, so it takes the default back. */
static void default_sigchld(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static int execute(session *s)
{
    int64_t t0 = now_ms();
    default_sigchld();
    if (start_engine(s) != SYM_OK)
        return CLI_FAILED;
    if (signals_open(&s->sig) != 0) {
        fprintf(stderr, "symphony run: cannot make a pipe: %s\n", strerror(errno));
        return CLI_FAILED;
    }
    int status = start_run(s);
    if (status == CLI_OK) {
        wait_run(s, t0);
        print_summary(&s->con, s->run, sym_workflow_name(s->wf), now_ms() - t0);
        if (sym_run_get_status(s->run) != SYM_RUN_SUCCEEDED)
            status = CLI_FAILED;
        if (s->args->report &&
            write_json(&s->con, "report", s->args->report, sym_run_report_json(s->run)) != CLI_OK)
            status = CLI_FAILED;
        if (s->args->trace &&
            write_json(&s->con, "trace", s->args->trace, sym_run_trace_json(s->run)) != CLI_OK)
            status = CLI_FAILED;
    }
    signals_close(&s->sig);
    return status;
}

/* The log folder, made when missing (one level, like mkdir). */
static int make_log_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "symphony run: cannot create %s: %s\n", dir, strerror(errno));
        return CLI_FAILED;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "symphony run: %s is not a directory\n", dir);
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_run(const cli_command *cmd, int argc, char **argv)
{
    run_args args = {0};
    int status = parse_args(cmd, argc, argv, &args);
    session s = {.args = &args};
    if (status == CLI_OK && cli_load(args.file, &s.wf) != SYM_OK)
        status = CLI_USAGE;
    if (status == CLI_OK && args.log_dir)
        status = make_log_dir(args.log_dir);
    if (status != CLI_OK) {
        sym_value_free(args.params);
        sym_workflow_free(s.wf);
        return status;
    }
    console_init(&s.con, stdout, isatty(STDERR_FILENO) ? stderr : NULL);
    s.watch.con = &s.con;
    s.watch.tty = s.con.tty != NULL;
    s.watch.ntasks = sym_workflow_task_count(s.wf);
    s.watch.first_start = calloc(s.watch.ntasks ? s.watch.ntasks : 1, sizeof *s.watch.first_start);
    s.exec = exec_worker_new(&s.con, args.log_dir);
    if (!s.watch.first_start || !s.exec) {
        fprintf(stderr, "symphony run: %s\n", sym_strerror(SYM_ENOMEM));
        status = CLI_FAILED;
    } else {
        status = execute(&s);
    }
    sym_run_free(s.run);
    sym_engine_free(s.engine);
    exec_worker_free(s.exec);
    free(s.watch.first_start);
    console_destroy(&s.con);
    sym_workflow_free(s.wf);
    sym_value_free(args.params);
    return status;
}
