/* test_cli_run.c - end-to-end tests of `symphony run`: the tool runs as a
 * separate process (SYM_BUILD_DIR/symphony) on small workflows written to
 * a temporary directory, and is judged by its exit status, its output, the
 * report and trace it writes, and what became of the processes its tasks
 * started. Under valgrind (SYM_UNDER_VALGRIND set) each run of the tool is
 * itself checked by valgrind, and waits are stretched. Runs from the
 * repository root. */
/* posix_openpt, grantpt, unlockpt, ptsname: the terminal test. */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "symphony.h"

#ifndef SYM_BUILD_DIR
#define SYM_BUILD_DIR "build"
#endif
#define CLI SYM_BUILD_DIR "/symphony"
#define MAX_ARGS 32

extern char **environ;

static char tmpdir[64];

/* Set by a test: the tool starts with SIGCHLD ignored, as it is when a
 * parent process ignored it (a disposition of SIG_IGN survives exec). */
static bool ignore_sigchld;

static bool under_valgrind(void)
{
    return getenv("SYM_UNDER_VALGRIND") != NULL;
}

/* Real-time waits: valgrind makes the tool many times slower. */
static int scaled_ms(int ms)
{
    return under_valgrind() ? ms * 20 : ms;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/symphony-run-XXXXXX",
             base && strlen(base) < 32 ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    ignore_sigchld = false;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_cli_run: could not remove %s\n", tmpdir);
}

/* A path in the test's temporary directory (static storage: one of a few
 * rotating buffers, so several may be used at once). */
static const char *tmp_path(const char *name)
{
    static char paths[4][192];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", tmpdir, name);
    return path;
}

static const char *write_file(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* The file's contents, or NULL when it cannot be opened. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
        ck_assert_ptr_nonnull(buf);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static char *read_all(const char *path)
{
    char *text = read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* Copies a path from tmp_path's rotating storage into a 192-byte buffer. */
static void keep(char *dst, const char *src)
{
    ck_assert_uint_lt(strlen(src), 192);
    strcpy(dst, src);
}

/* ---- running the tool ---- */

typedef struct result {
    int status; /* exit status; -1 when killed by a signal */
    char *out;  /* stdout */
    char *err;  /* stderr */
} result;

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* Starts the tool with the NULL-terminated args; stdout goes to a file in
 * the temporary directory, stderr to err_path opened with err_flags. */
static pid_t spawn_va(const char *err_path, int err_flags, const char *arg, va_list ap)
{
    char *argv[MAX_ARGS + 8];
    int argc = 0;
    if (under_valgrind()) {
        argv[argc++] = "valgrind";
        argv[argc++] = "-q";
        argv[argc++] = "--error-exitcode=99";
        argv[argc++] = "--leak-check=full";
        argv[argc++] = "--errors-for-leak-kinds=definite,indirect";
    }
    argv[argc++] = CLI;
    for (const char *a = arg; a; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(argc, MAX_ARGS);
        argv[argc++] = (char *)a;
    }
    argv[argc] = NULL;

    char out_path[192];
    snprintf(out_path, sizeof out_path, "%s/.stdout", tmpdir);
    posix_spawn_file_actions_t fa;
    ck_assert_int_eq(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, err_flags, 0600);
    /* The tool inherits SIG_IGN; ours is restored before the tool can
     * exit, so it is still ours to reap. */
    if (ignore_sigchld)
        signal(SIGCHLD, SIG_IGN);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    if (ignore_sigchld)
        signal(SIGCHLD, SIG_DFL);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
    return pid;
}

/* The same with stderr to a file in the temporary directory. */
static pid_t start_va(const char *arg, va_list ap)
{
    char err_path[192];
    snprintf(err_path, sizeof err_path, "%s/.stderr", tmpdir);
    return spawn_va(err_path, O_WRONLY | O_CREAT | O_TRUNC, arg, ap);
}

static pid_t spawn(const char *err_path, int err_flags, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t pid = spawn_va(err_path, err_flags, arg, ap);
    va_end(ap);
    return pid;
}

static pid_t start(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t pid = start_va(arg, ap);
    va_end(ap);
    return pid;
}

static result finish(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    result r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(tmp_path(".stdout"));
    r.err = read_all(tmp_path(".stderr"));
    return r;
}

static result run_va(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t pid = start_va(arg, ap);
    va_end(ap);
    return finish(pid);
}

#define run(...) run_va(__VA_ARGS__, (const char *)NULL)

#define assert_exit(r, want)                                                                       \
    ck_assert_msg((r).status == (want), "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s",          \
                  (r).status, (want), (r).out, (r).err)

#define assert_contains(text, part)                                                                \
    ck_assert_msg(strstr((text), (part)) != NULL, "\"%s\" not in:\n%s", (part), (text))

/* ---- reading what it wrote ---- */

/* Parses the JSON file at path (JSON is YAML: the library reads it). */
static sym_value *load_json(const char *path)
{
    char *text = read_all(path);
    sym_value *v = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_value_parse(text, strlen(text), &v, err);
    ck_assert_msg(rc == SYM_OK, "%s is not JSON: %s\n%s", path, sym_error_text(err, 0), text);
    sym_error_free(err);
    free(text);
    return v;
}

static const char *str_at(const sym_value *v, const char *path)
{
    const char *s = sym_value_string(sym_value_path(v, path), NULL);
    ck_assert_msg(s != NULL, "no string at %s", path);
    return s;
}

static int64_t int_at(const sym_value *v, const char *path)
{
    int64_t i = 0;
    ck_assert_msg(sym_value_get_int(sym_value_path(v, path), &i) == SYM_OK, "no int at %s", path);
    return i;
}

/* The report's entry for task id. */
static const sym_value *report_task(const sym_value *report, const char *id)
{
    const sym_value *tasks = sym_value_get(report, "tasks");
    for (size_t i = 0; i < sym_value_count(tasks); i++) {
        const sym_value *t = sym_value_at(tasks, i);
        const char *tid = sym_value_string(sym_value_get(t, "id"), NULL);
        if (tid && strcmp(tid, id) == 0)
            return t;
    }
    ck_abort_msg("task %s not in the report", id);
    return NULL;
}

/* ---- processes ---- */

static pid_t read_pid(const char *name)
{
    char *text = read_all(tmp_path(name));
    long pid = strtol(text, NULL, 10);
    free(text);
    ck_assert_int_gt(pid, 1);
    return (pid_t)pid;
}

/* True when pid is no longer running: gone, or a zombie waiting for a
 * parent (in a container, pid 1 may never reap it). */
static bool process_gone(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static void assert_gone(pid_t pid)
{
    for (int waited = 0; waited < scaled_ms(2000); waited += 10) {
        if (process_gone(pid))
            return;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    ck_abort_msg("process %ld is still running", (long)pid);
}

/* Waits until the file exists and is not empty (a task wrote it). */
static void wait_for_file(const char *name)
{
    struct stat st;
    for (int waited = 0; waited < scaled_ms(5000); waited += 10) {
        if (stat(tmp_path(name), &st) == 0 && st.st_size > 0)
            return;
        sleep_ms(10);
    }
    ck_abort_msg("%s never appeared", name);
}

/* ------------------------------------------------------------------------ */
/* Success, failure, the report and the trace                                */
/* ------------------------------------------------------------------------ */

/* ---- on a terminal ---- */

/* Runs the tool with stderr on a new pseudo-terminal (stdout to the usual
 * file) and returns all it wrote there; *status gets the exit status. */
static char *run_on_terminal(const char *wf, int *status)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    char slave[128];
    snprintf(slave, sizeof slave, "%s", ptsname(master));
    pid_t pid = spawn(slave, O_RDWR | O_NOCTTY, "run", wf, (const char *)NULL);
    /* Read until the tool has exited and nothing is left: a master whose
     * slave is closed reads EIO (Linux) or end of file. */
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    bool exited = false;
    for (;;) {
        if (!exited && waitpid(pid, status, WNOHANG) == pid)
            exited = true;
        struct timespec ts = {0, 20 * 1000000L};
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(master, &fds);
        struct timeval tv = {0, 20000};
        int ready = select(master + 1, &fds, NULL, NULL, &tv);
        if (ready > 0) {
            if (len + 1024 > cap && !(text = realloc(text, cap *= 2)))
                ck_abort_msg("out of memory");
            ssize_t n = read(master, text + len, 1024);
            if (n > 0) {
                len += (size_t)n;
                continue;
            }
        }
        if (exited)
            break;
        nanosleep(&ts, NULL);
    }
    close(master);
    text[len] = '\0';
    *status = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    return text;
}

/* On a terminal stderr carries a live progress line, redrawn in place and
 * taken off the screen at the end; piped stdout never sees it. */
START_TEST(progress_line_on_a_terminal)
{
    char text[256];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: slow\n"
             "tasks:\n"
             "  a: { worker: sleep, with: { duration: %dms } }\n"
             "  b: { worker: sleep, with: { duration: %dms } }\n"
             "  c: { worker: noop, needs: [a, b] }\n",
             scaled_ms(600), scaled_ms(600));
    const char *wf = write_file("slow.yaml", text);
    int status = -1;
    char *err = run_on_terminal(wf, &status);
    char *out = read_all(tmp_path(".stdout"));
    ck_assert_msg(status == 0, "exit %d\nstdout:\n%s\nterminal:\n%s", status, out, err);
    /* Drawn while a and b sleep: both running, none done. */
    assert_contains(err, "\r\033[K[");
    assert_contains(err, " 0/3 done, 2 running, 0 failed");
    /* Redrawn more than once, and erased last. */
    const char *second = strstr(strstr(err, "done, ") + 1, "done, ");
    ck_assert_msg(second != NULL, "one progress line only:\n%s", err);
    size_t n = strlen(err);
    ck_assert_msg(n >= 4 && strcmp(err + n - 4, "\r\033[K") == 0, "not erased at the end:\n%s",
                  err);
    ck_assert_ptr_null(strchr(out, '\033'));
    assert_contains(out, ": 3 succeeded\n");
    free(err);
    free(out);
}
END_TEST

START_TEST(succeeds_and_writes_report_and_trace)
{
    const char *wf = write_file("ok.yaml", "symphony: 1\n"
                                           "name: ok\n"
                                           "tasks:\n"
                                           "  hello:\n"
                                           "    worker: exec\n"
                                           "    with: { argv: [echo, hello, 42, true] }\n"
                                           "  pause: { worker: sleep, with: { duration: 20ms } }\n"
                                           "  join: { worker: noop, needs: [hello, pause] }\n");
    char report[192], trace[192];
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    snprintf(trace, sizeof trace, "%s", tmp_path("trace.json"));
    char trace_opt[224];
    snprintf(trace_opt, sizeof trace_opt, "--trace=%s", trace);
    result r = run("run", wf, "--threads", "2", "--report", report, trace_opt);
    assert_exit(r, 0);
    assert_contains(r.out, "[hello] hello 42 true\n");
    assert_contains(r.out, "task hello succeeded in ");
    assert_contains(r.out, "task pause succeeded in ");
    assert_contains(r.out, "task join succeeded in ");
    assert_contains(r.out, " of ok succeeded in ");
    assert_contains(r.out, ": 3 succeeded\n");
    ck_assert_str_eq(r.err, "");

    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "workflow"), "ok");
    ck_assert_str_eq(str_at(rep, "status"), "succeeded");
    const char *run_id = str_at(rep, "run_id");
    char want[128];
    snprintf(want, sizeof want, "run %s of ok", run_id);
    assert_contains(r.out, want);
    ck_assert_uint_eq(sym_value_count(sym_value_get(rep, "tasks")), 3);
    const sym_value *hello = report_task(rep, "hello");
    ck_assert_str_eq(str_at(hello, "worker"), "exec");
    ck_assert_str_eq(str_at(hello, "status"), "succeeded");
    ck_assert_int_eq(int_at(hello, "attempts"), 1);
    ck_assert_int_eq(sym_value_type_of(sym_value_get(hello, "error")), SYM_VALUE_NULL);
    ck_assert_str_eq(str_at(report_task(rep, "pause"), "worker"), "sleep");
    double ms = 0;
    ck_assert_int_eq(sym_value_get_float(sym_value_get(report_task(rep, "pause"), "duration_ms"),
                                         &ms),
                     SYM_OK);
    ck_assert_double_ge(ms, 20.0);
    sym_value_free(rep);

    sym_value *tr = load_json(trace);
    const sym_value *events = sym_value_get(tr, "traceEvents");
    ck_assert_int_eq(sym_value_type_of(events), SYM_VALUE_LIST);
    int slices = 0;
    for (size_t i = 0; i < sym_value_count(events); i++) {
        const sym_value *e = sym_value_at(events, i);
        const char *ph = sym_value_string(sym_value_get(e, "ph"), NULL);
        if (ph && strcmp(ph, "X") == 0) {
            slices++;
            const char *name = str_at(e, "name");
            ck_assert(strcmp(name, "hello") == 0 || strcmp(name, "pause") == 0 ||
                      strcmp(name, "join") == 0);
        }
    }
    ck_assert_int_eq(slices, 3);
    sym_value_free(tr);
    result_free(&r);
}
END_TEST

START_TEST(failure_exit_status_in_error)
{
    char report[192];
    const char *wf = write_file("fail.yaml", "symphony: 1\n"
                                             "name: fail\n"
                                             "tasks:\n"
                                             "  three: { worker: exec, with: { shell: 'exit 3' } }\n"
                                             "  nine:\n"
                                             "    worker: exec\n"
                                             "    with: { shell: 'kill -9 $$' }\n"
                                             "  after: { worker: noop, needs: three }\n"
                                             "  always:\n"
                                             "    worker: noop\n"
                                             "    needs: [three, nine]\n"
                                             "    trigger: all_done\n");
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    result r = run("run", wf, "--report", report);
    assert_exit(r, 1);
    assert_contains(r.out, "task three failed after ");
    assert_contains(r.out, "exit status 3\n");
    assert_contains(r.out, "killed by signal 9\n");
    assert_contains(r.out, "task after not run (upstream_failed)\n");
    assert_contains(r.out, "task always succeeded");
    assert_contains(r.out, " of fail failed in ");
    assert_contains(r.out, "  three failed after 1 attempt: exit status 3\n");

    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "status"), "failed");
    ck_assert_str_eq(str_at(report_task(rep, "three"), "status"), "failed");
    ck_assert_str_eq(str_at(report_task(rep, "three"), "error"), "exit status 3");
    ck_assert_str_eq(str_at(report_task(rep, "nine"), "error"), "killed by signal 9");
    ck_assert_str_eq(str_at(report_task(rep, "after"), "status"), "upstream_failed");
    ck_assert_str_eq(str_at(report_task(rep, "always"), "status"), "succeeded");
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

START_TEST(example_demo_runs)
{
    char report[192];
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    result r = run("run", "examples/demo.yaml", "--threads", "4", "--report", report);
    assert_exit(r, 0);
    assert_contains(r.out, "[transform] attempt 1: database busy, try again\n");
    assert_contains(r.out, "[transform] attempt 2: transformed\n");
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "status"), "succeeded");
    ck_assert_int_eq(int_at(report_task(rep, "transform"), "attempts"), 2);
    ck_assert_str_eq(str_at(report_task(rep, "fetch-orders"), "outputs.rows"), "120");
    ck_assert_str_eq(str_at(report_task(rep, "cleanup"), "status"), "succeeded");
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The exec worker                                                           */
/* ------------------------------------------------------------------------ */

START_TEST(exec_outputs)
{
    char report[192];
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    char text[1024];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: out\n"
             "tasks:\n"
             "  produce:\n"
             "    worker: exec\n"
             "    with:\n"
             "      shell: |\n"
             "        echo \"$SYMPHONY_OUTPUT\" > '%s/path.txt'\n"
             "        printf 'rows=12\\n\\nurl=http://x/?a=b\\r\\nempty=\\n' >> \"$SYMPHONY_OUTPUT\"\n"
             "  bad:\n"
             "    worker: exec\n"
             "    with: { shell: 'echo no-equals-sign >> \"$SYMPHONY_OUTPUT\"' }\n",
             tmpdir);
    const char *wf = write_file("out.yaml", text);

    result r = run("run", wf, "--report", report);
    assert_exit(r, 1);
    sym_value *rep = load_json(report);
    const sym_value *produce = report_task(rep, "produce");
    ck_assert_str_eq(str_at(produce, "status"), "succeeded");
    ck_assert_uint_eq(sym_value_count(sym_value_get(produce, "outputs")), 3);
    ck_assert_str_eq(str_at(produce, "outputs.rows"), "12");
    ck_assert_str_eq(str_at(produce, "outputs.url"), "http://x/?a=b");
    ck_assert_str_eq(str_at(produce, "outputs.empty"), "");
    ck_assert_str_eq(str_at(report_task(rep, "bad"), "error"),
                     "SYMPHONY_OUTPUT line 1: expected key=value");
    sym_value_free(rep);

    /* The output file was fresh, and is gone after the run. */
    char *path = read_all(tmp_path("path.txt"));
    path[strcspn(path, "\n")] = '\0';
    ck_assert_int_gt(strlen(path), 0);
    ck_assert_int_ne(access(path, F_OK), 0);
    free(path);
    result_free(&r);
}
END_TEST

START_TEST(exec_env_and_cwd)
{
    char text[1024], report[192];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: envcwd\n"
             "tasks:\n"
             "  show:\n"
             "    worker: exec\n"
             "    with:\n"
             "      shell: 'echo \"$GREETING $COUNT $(pwd) ${SYM_TEST_GONE-unset} "
             "$SYMPHONY_TASK_ID $SYMPHONY_ATTEMPT\"; echo \"id=$SYMPHONY_RUN_ID\" >> "
             "\"$SYMPHONY_OUTPUT\"'\n"
             "      env: { GREETING: hi, COUNT: 3, SYM_TEST_GONE: null, SYMPHONY_TASK_ID: mine }\n"
             "      cwd: %s\n"
             "  argv:\n"
             "    worker: exec\n"
             "    with: { argv: [./script.sh, one], cwd: %s }\n",
             tmpdir, tmpdir);
    const char *wf = write_file("envcwd.yaml", text);
    write_file("script.sh", "#!/bin/sh\necho \"script $1 in $(pwd)\"\n");
    ck_assert_int_eq(chmod(tmp_path("script.sh"), 0755), 0);
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    setenv("SYM_TEST_GONE", "inherited", 1);
    result r = run("run", wf, "--report", report);
    unsetenv("SYM_TEST_GONE");
    assert_exit(r, 0);
    char want[256];
    /* The task's env adds to the inherited one and null removes; the
     * SYMPHONY_* variables cannot be overridden. */
    snprintf(want, sizeof want, "[show] hi 3 %s unset show 1\n", tmpdir);
    assert_contains(r.out, want);
    snprintf(want, sizeof want, "[argv] script one in %s\n", tmpdir);
    assert_contains(r.out, want);
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(report_task(rep, "show"), "outputs.id"), str_at(rep, "run_id"));
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

START_TEST(exec_bad_inputs_fail_for_good)
{
    char report[192];
    const char *wf = write_file(
        "bad.yaml", "symphony: 1\n"
                    "name: bad\n"
                    "defaults: { retry: { attempts: 3, backoff: fixed, delay: 10ms } }\n"
                    "tasks:\n"
                    "  both: { worker: exec, with: { argv: [true], shell: 'true' } }\n"
                    "  neither: { worker: exec }\n"
                    "  typo: { worker: exec, with: { shell: 'true', evn: { A: b } } }\n"
                    "  nested: { worker: exec, with: { argv: [echo, [1]] } }\n"
                    "  missing: { worker: exec, with: { argv: [symphony-no-such-program] } }\n"
                    "  nap: { worker: sleep, with: { duration: 10 } }\n");
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    result r = run("run", wf, "--report", report);
    assert_exit(r, 1);
    sym_value *rep = load_json(report);
    const char *fatal[] = {"both", "neither", "typo", "nested", "nap"};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        const sym_value *t = report_task(rep, fatal[i]);
        ck_assert_str_eq(str_at(t, "status"), "failed");
        ck_assert_msg(int_at(t, "attempts") == 1, "%s was retried", fatal[i]);
    }
    assert_contains(str_at(report_task(rep, "typo"), "error"), "unknown input 'evn'");
    /* A program that cannot be started is an ordinary failure: retried.
     * glibc reports the failed exec from posix_spawnp; where it cannot
     * (under valgrind) the child exits 127, as from a shell. */
    const sym_value *missing = report_task(rep, "missing");
    ck_assert_int_eq(int_at(missing, "attempts"), 3);
    const char *error = str_at(missing, "error");
    ck_assert_msg(strcmp(error, "cannot run 'symphony-no-such-program': No such file or "
                                "directory") == 0 ||
                      strcmp(error, "exit status 127") == 0,
                  "error: %s", error);
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

START_TEST(retries_then_succeeds)
{
    char text[1024], report[192];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: flaky\n"
             "tasks:\n"
             "  flaky:\n"
             "    worker: exec\n"
             "    retry: { attempts: 3, backoff: fixed, delay: 10ms }\n"
             "    with:\n"
             "      shell: |\n"
             "        if [ ! -e '%s/marker' ]; then touch '%s/marker'; echo first; exit 1; fi\n"
             "        echo \"second $SYMPHONY_ATTEMPT\"\n",
             tmpdir, tmpdir);
    const char *wf = write_file("flaky.yaml", text);
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    result r = run("run", wf, "--report", report);
    assert_exit(r, 0);
    assert_contains(r.out, "[flaky] first\n");
    assert_contains(r.out, "task flaky attempt 1 failed: exit status 1; retrying in 10 ms\n");
    assert_contains(r.out, "[flaky] second 2\n");
    sym_value *rep = load_json(report);
    const sym_value *t = report_task(rep, "flaky");
    ck_assert_str_eq(str_at(t, "status"), "succeeded");
    ck_assert_int_eq(int_at(t, "attempts"), 2);
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

START_TEST(timeout_kills_process_group)
{
    char text[1024], report[192];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: slow\n"
             "tasks:\n"
             "  slow:\n"
             "    worker: exec\n"
             "    timeout: 300ms\n"
             "    with: { shell: 'sleep 1000 & echo $! > \"%s/grandchild\"; echo $$ > \"%s/child\"; "
             "wait' }\n"
             "  nap: { worker: sleep, timeout: 50ms, with: { duration: 1000s } }\n",
             tmpdir, tmpdir);
    const char *wf = write_file("slow.yaml", text);
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    time_t t0 = time(NULL);
    result r = run("run", wf, "--report", report);
    assert_exit(r, 1);
    ck_assert_int_lt(time(NULL) - t0, scaled_ms(10000) / 1000);
    assert_contains(r.out, "task slow timed out (attempt 1): timed out after 300 ms\n");
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(report_task(rep, "slow"), "status"), "timed_out");
    ck_assert_str_eq(str_at(report_task(rep, "nap"), "status"), "timed_out");
    sym_value_free(rep);
    assert_gone(read_pid("child"));
    assert_gone(read_pid("grandchild"));
    result_free(&r);
}
END_TEST

/* A parent that ignores SIGCHLD passes that on; the kernel then reaps the
 * children at once and their exit status is lost to waitpid. The tool
 * must still see "exit 3" as a failure (and "exit 0" as a success). */
START_TEST(exit_status_with_sigchld_ignored)
{
    char report[192];
    const char *wf = write_file("chld.yaml", "symphony: 1\n"
                                             "name: chld\n"
                                             "tasks:\n"
                                             "  three: { worker: exec, with: { shell: 'exit 3' } }\n"
                                             "  zero: { worker: exec, with: { argv: ['true'] } }\n");
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    ignore_sigchld = true;
    result r = run("run", wf, "--report", report);
    assert_exit(r, 1);
    assert_contains(r.out, "  three failed after 1 attempt: exit status 3\n");
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "status"), "failed");
    ck_assert_str_eq(str_at(report_task(rep, "three"), "status"), "failed");
    ck_assert_str_eq(str_at(report_task(rep, "zero"), "status"), "succeeded");
    sym_value_free(rep);
    result_free(&r);
}
END_TEST

/* A process the child leaves behind in its group is stopped before the
 * task ends, even one that ignores SIGTERM: it gets SIGKILL after a short
 * grace period. Checked at once when the tool returns, without waiting. */
START_TEST(leftovers_killed_when_child_exits)
{
    char text[1024];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: leftover\n"
             "tasks:\n"
             "  stubborn:\n"
             "    worker: exec\n"
             "    with: { shell: 'trap \"\" TERM; sleep 1000 & echo $! > \"%s/stubborn\"' }\n"
             "  polite:\n"
             "    worker: exec\n"
             "    with: { shell: 'sleep 1000 & echo $! > \"%s/polite\"' }\n"
             "  after: { worker: noop, needs: [stubborn, polite] }\n",
             tmpdir, tmpdir);
    const char *wf = write_file("leftover.yaml", text);
    time_t t0 = time(NULL);
    result r = run("run", wf);
    assert_exit(r, 0);
    ck_assert_int_lt(time(NULL) - t0, scaled_ms(10000) / 1000);
    assert_contains(r.out, "task stubborn succeeded in ");
    pid_t stubborn = read_pid("stubborn"), polite = read_pid("polite");
    bool stubborn_gone = process_gone(stubborn), polite_gone = process_gone(polite);
    kill(stubborn, SIGKILL);
    kill(polite, SIGKILL);
    ck_assert_msg(stubborn_gone, "the grandchild that ignores SIGTERM outlived its task");
    ck_assert_msg(polite_gone, "the grandchild outlived its task");
    result_free(&r);
}
END_TEST

START_TEST(log_dir)
{
    char text[1024], logs[192];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: logs\n"
             "tasks:\n"
             "  twice:\n"
             "    worker: exec\n"
             "    retry: { attempts: 2, backoff: fixed, delay: 10ms }\n"
             "    with: { shell: 'echo \"out $SYMPHONY_ATTEMPT\"; echo \"err $SYMPHONY_ATTEMPT\" >&2; "
             "test $SYMPHONY_ATTEMPT = 2' }\n"
             "  shard:\n"
             "    worker: exec\n"
             "    matrix: { part: [a/b] }\n"
             "    with: { argv: [echo, sharded] }\n");
    const char *wf = write_file("logs.yaml", text);
    snprintf(logs, sizeof logs, "%s", tmp_path("logs"));
    result r = run("run", wf, "--log-dir", logs);
    assert_exit(r, 0);
    ck_assert_ptr_null(strstr(r.out, "[twice]"));
    ck_assert_ptr_null(strstr(r.out, "sharded"));
    char *one = read_all(tmp_path("logs/twice.attempt1.log"));
    ck_assert_str_eq(one, "out 1\nerr 1\n");
    char *two = read_all(tmp_path("logs/twice.attempt2.log"));
    ck_assert_str_eq(two, "out 2\nerr 2\n");
    /* "shard[part=a/b]" becomes a file name without '[', ']' or '/'. */
    char *shard = read_all(tmp_path("logs/shard_part=a_b_.attempt1.log"));
    ck_assert_str_eq(shard, "sharded\n");
    free(one);
    free(two);
    free(shard);
    result_free(&r);
}
END_TEST

START_TEST(long_lines_and_no_final_newline)
{
    const char *wf = write_file(
        "lines.yaml", "symphony: 1\n"
                      "name: lines\n"
                      "tasks:\n"
                      "  a: { worker: exec, with: { shell: 'printf \"x%.0s\" $(seq 5000); echo; "
                      "printf tail' } }\n");
    result r = run("run", wf);
    assert_exit(r, 0);
    /* A 5000-byte line is cut at 4096; a last line without newline is
     * still printed whole. */
    assert_contains(r.out, "[a] tail\n");
    const char *first = strstr(r.out, "[a] x");
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(strcspn(first, "\n"), 4 + 4096);
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Params                                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(params)
{
    char wf[192];
    keep(wf, write_file("params.yaml", "symphony: 1\n"
                                               "name: params\n"
                                               "params: { date: '2026-01-01', shards: [1, 2] }\n"
                                               "tasks:\n"
                                               "  a: { worker: noop }\n"));
    result r = run("run", wf, "--param", "date=2026-11-27", "--param=shards=[3, 4, 5]");
    assert_exit(r, 0);
    result_free(&r);

    r = run("run", wf, "--param", "nope=1", "--param", "other=2");
    assert_exit(r, 2);
    char want[256];
    snprintf(want, sizeof want, "%s: unknown param 'nope'\n", wf);
    assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s: unknown param 'other'\n", wf);
    assert_contains(r.err, want);
    ck_assert_str_eq(r.out, "");
    result_free(&r);

    r = run("run", wf, "--param", "shards=[1,");
    assert_exit(r, 2);
    assert_contains(r.err, "symphony run: --param shards: ");
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Signals                                                                   */
/* ------------------------------------------------------------------------ */

static const char *long_workflow(const char *shell)
{
    char text[1024];
    snprintf(text, sizeof text,
             "symphony: 1\n"
             "name: long\n"
             "tasks:\n"
             "  long:\n"
             "    worker: exec\n"
             "    with: { shell: '%ssleep 1000 & echo $! > \"%s/grandchild\"; "
             "echo $$ > \"%s/child\"; wait' }\n"
             "  nap: { worker: sleep, with: { duration: 1000s } }\n"
             "  after: { worker: noop, needs: [long, nap] }\n",
             shell, tmpdir, tmpdir);
    return write_file("long.yaml", text);
}

START_TEST(interrupt_cancels_cleanly)
{
    char wf[192], report[192];
    snprintf(wf, sizeof wf, "%s", long_workflow(""));
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    pid_t pid = start("run", wf, "--report", report, (const char *)NULL);
    wait_for_file("grandchild");
    wait_for_file("child");
    sleep_ms(scaled_ms(50));
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    result r = finish(pid);
    assert_exit(r, 1);
    assert_contains(r.err, "cancelling the run");
    assert_contains(r.out, " of long cancelled in ");
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "status"), "cancelled");
    ck_assert_str_eq(str_at(report_task(rep, "long"), "status"), "cancelled");
    ck_assert_str_eq(str_at(report_task(rep, "nap"), "status"), "cancelled");
    ck_assert_str_eq(str_at(report_task(rep, "after"), "status"), "cancelled");
    sym_value_free(rep);
    assert_gone(read_pid("child"));
    assert_gone(read_pid("grandchild"));
    result_free(&r);
}
END_TEST

START_TEST(sigterm_cancels_too)
{
    char wf[192], report[192];
    snprintf(wf, sizeof wf, "%s", long_workflow(""));
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    pid_t pid = start("run", wf, "--report", report, (const char *)NULL);
    wait_for_file("child");
    sleep_ms(scaled_ms(50));
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    result r = finish(pid);
    assert_exit(r, 1);
    sym_value *rep = load_json(report);
    ck_assert_str_eq(str_at(rep, "status"), "cancelled");
    sym_value_free(rep);
    assert_gone(read_pid("child"));
    result_free(&r);
}
END_TEST

START_TEST(second_interrupt_exits_at_once)
{
    /* The task ignores SIGTERM, so the first interrupt leaves it running
     * for the grace period; the second kills it and exits with 130. */
    char wf[192], report[192];
    snprintf(wf, sizeof wf, "%s", long_workflow("trap \"\" TERM; "));
    snprintf(report, sizeof report, "%s", tmp_path("report.json"));
    pid_t pid = start("run", wf, "--report", report, (const char *)NULL);
    wait_for_file("grandchild");
    wait_for_file("child");
    sleep_ms(scaled_ms(50));
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    /* Well within the 2 s grace period, even under valgrind. */
    sleep_ms(200);
    ck_assert(!process_gone(read_pid("child")));
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    result r = finish(pid);
    assert_exit(r, 130);
    assert_contains(r.err, "interrupted; exiting without waiting");
    ck_assert_int_ne(access(report, F_OK), 0);
    assert_gone(read_pid("child"));
    assert_gone(read_pid("grandchild"));
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Usage and invalid workflows                                               */
/* ------------------------------------------------------------------------ */

static void assert_usage_error(result *r, const char *first_line)
{
    ck_assert_msg(r->status == 2, "exit %d, expected 2; stderr:\n%s", r->status, r->err);
    ck_assert_str_eq(r->out, "");
    ck_assert_msg(strncmp(r->err, first_line, strlen(first_line)) == 0 &&
                      r->err[strlen(first_line)] == '\n',
                  "stderr does not start with \"%s\":\n%s", first_line, r->err);
    assert_contains(r->err, "\nusage: symphony run FILE ");
}

START_TEST(usage_errors)
{
    char wf[192];
    keep(wf, write_file("ok.yaml", "symphony: 1\nname: ok\ntasks:\n  a: { worker: noop }\n"));
    result r = run("run");
    assert_usage_error(&r, "symphony run: missing FILE");
    result_free(&r);
    r = run("run", wf, "--trace=");
    assert_usage_error(&r, "symphony run: option '--trace=' needs a value");
    result_free(&r);
    r = run("run", wf, "--bogus");
    assert_usage_error(&r, "symphony run: unknown option '--bogus'");
    result_free(&r);
    r = run("run", wf, wf);
    char want[256];
    snprintf(want, sizeof want, "symphony run: unexpected argument '%s' (one FILE only)", wf);
    assert_usage_error(&r, want);
    result_free(&r);
}
END_TEST

START_TEST(usage_errors_in_values)
{
    char wf[192];
    keep(wf, write_file("ok.yaml", "symphony: 1\nname: ok\ntasks:\n  a: { worker: noop }\n"));
    result r = run("run", wf, "--threads", "0");
    assert_usage_error(&r, "symphony run: --threads expects a number from 1 to 1024, not '0'");
    result_free(&r);
    r = run("run", wf, "--threads", "two");
    assert_usage_error(&r, "symphony run: --threads expects a number from 1 to 1024, not 'two'");
    result_free(&r);
    r = run("run", wf, "--param", "novalue");
    assert_usage_error(&r, "symphony run: --param expects KEY=VALUE, not 'novalue'");
    result_free(&r);
    r = run("run", wf, "--report");
    assert_usage_error(&r, "symphony run: option '--report' needs a value");
    result_free(&r);
}
END_TEST

START_TEST(invalid_workflow_exits_2)
{
    char wf[192];
    keep(wf, write_file("bad.yaml", "symphony: 1\n"
                                            "name: bad\n"
                                            "tasks:\n"
                                            "  a: { worker: noop, need: b }\n"));
    result r = run("run", wf);
    assert_exit(r, 2);
    char want[256];
    snprintf(want, sizeof want, "%s:4:22: unknown key 'need' in task 'a' (did you mean 'needs'?)\n",
             wf);
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
    result_free(&r);

    /* A worker that is not built in: nothing starts. */
    keep(wf, write_file("http.yaml", "symphony: 1\n"
                                 "name: http\n"
                                 "tasks:\n"
                                 "  a: { worker: exec, with: { shell: 'touch started' } }\n"
                                 "  b: { worker: http.get }\n"));
    r = run("run", wf);
    assert_exit(r, 2);
    snprintf(want, sizeof want, "%s: worker 'http.get' is not registered\n", wf);
    assert_contains(r.err, want);
    ck_assert_int_ne(access("started", F_OK), 0);
    result_free(&r);
}
END_TEST

START_TEST(help_lists_run)
{
    result r = run("--help");
    assert_exit(r, 0);
    assert_contains(r.out, "\n  run ");
    result_free(&r);
    r = run("run", "--help");
    assert_exit(r, 0);
    ck_assert(strncmp(r.out, "usage: symphony run FILE", 24) == 0);
    assert_contains(r.out, "SYMPHONY_OUTPUT");
    result_free(&r);
}
END_TEST

static Suite *cli_run_suite(void)
{
    Suite *s = suite_create("cli_run");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, succeeds_and_writes_report_and_trace);
    tcase_add_test(tc, failure_exit_status_in_error);
    tcase_add_test(tc, example_demo_runs);
    tcase_add_test(tc, params);
    tcase_add_test(tc, progress_line_on_a_terminal);
    suite_add_tcase(s, tc);

    tc = tcase_create("exec");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, exec_outputs);
    tcase_add_test(tc, exec_env_and_cwd);
    tcase_add_test(tc, exec_bad_inputs_fail_for_good);
    tcase_add_test(tc, retries_then_succeeds);
    tcase_add_test(tc, timeout_kills_process_group);
    tcase_add_test(tc, exit_status_with_sigchld_ignored);
    tcase_add_test(tc, leftovers_killed_when_child_exits);
    tcase_add_test(tc, log_dir);
    tcase_add_test(tc, long_lines_and_no_final_newline);
    suite_add_tcase(s, tc);

    tc = tcase_create("signals");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, interrupt_cancels_cleanly);
    tcase_add_test(tc, sigterm_cancels_too);
    tcase_add_test(tc, second_interrupt_exits_at_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, usage_errors_in_values);
    tcase_add_test(tc, invalid_workflow_exits_2);
    tcase_add_test(tc, help_lists_run);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cli_run_suite)
