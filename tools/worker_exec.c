/* worker_exec.c - the `exec` worker of `symphony run`: each attempt runs a
 * program as a child process.
 *
 *   with: { argv: [prog, arg...] }   run prog directly (PATH searched), no shell
 *   with: { shell: "text" }          run /bin/sh -c "text"
 *   optional  env: {KEY: value}      added to the inherited environment
 *                                    (null removes KEY from it)
 *             cwd: DIR               the child's working directory
 *
 * The child starts in a process group of its own, with standard input from
 * /dev/null and standard output and error together into the task's log. It
 * sees SYMPHONY_RUN_ID, SYMPHONY_TASK_ID, SYMPHONY_ATTEMPT and
 * SYMPHONY_OUTPUT, the path of an empty file whose `key=value` lines become
 * the task's outputs once the child has exited. Exit status 0 succeeds;
 * anything else fails the attempt ("exit status 3", "killed by signal 9").
 * When the attempt times out or the run is cancelled, the whole group gets
 * SIGTERM, then SIGKILL after a grace period. Once the child has exited,
 * whatever it left in its group gets SIGTERM, then SIGKILL after a short
 * grace period, before the attempt ends: nothing of it outlives the task.
 * The child is reaped only after that (waitid with WNOWAIT leaves it a
 * zombie until then), so its pid, the group's id, is never reused while
 * the group is signalled. A wait that fails (SIGCHLD ignored: the kernel
 * reaped the child, its status lost) fails the attempt.
 *
 * posix_spawn has no "change directory" action in POSIX 2008: `cwd` uses
 * posix_spawn_file_actions_addchdir_np (glibc 2.29+, musl), hence
 * _GNU_SOURCE here (it also gives pipe2, mkostemp and getpgid; the first
 * two create descriptors already close-on-exec, so a child spawned at the
 * same moment by another thread inherits none of them).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

extern char **environ;

enum {
    CANCEL_GRACE_MS = 2000,    /* cancel or timeout: SIGTERM to SIGKILL */
    EXIT_GRACE_MS = 500,       /* what the child leaves: SIGTERM to SIGKILL */
    KILL_WAIT_MS = 1000,       /* how long SIGKILLed processes may take to go */
    POLL_MS = 10,              /* how often a running child is checked on */
    LINE_MAX_BYTES = 4096,     /* longer output lines are split */
    OUTPUT_MAX_BYTES = 4 << 20 /* SYMPHONY_OUTPUT read at most */
};

struct exec_worker {
    console *con;
    char *log_dir;
    pthread_mutex_t mu; /* guards groups */
    pid_t *groups;      /* process groups of the children running now */
    size_t ngroups, cap;
};

/* ---- the worker's own state ---- */

exec_worker *exec_worker_new(console *con, const char *log_dir)
{
    exec_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->con = con;
    if (log_dir && !(w->log_dir = strdup(log_dir))) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    return w;
}

void exec_worker_free(exec_worker *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w->groups);
    free(w->log_dir);
    free(w);
}

/* A newly allocated formatted string (free with free), or NULL when out of
 * memory. */
static char *fmt_alloc(const char *fmt, ...) SYM_PRINTF(1, 2);

static char *fmt_alloc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static int add_group(exec_worker *w, pid_t pgid)
{
    int rc = SYM_OK;
    pthread_mutex_lock(&w->mu);
    if (w->ngroups == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        pid_t *bigger = realloc(w->groups, cap * sizeof *bigger);
        if (bigger) {
            w->groups = bigger;
            w->cap = cap;
        }
    }
    if (w->ngroups < w->cap)
        w->groups[w->ngroups++] = pgid;
    else
        rc = SYM_ENOMEM;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static void remove_group(exec_worker *w, pid_t pgid)
{
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->ngroups; i++) {
        if (w->groups[i] == pgid) {
            w->groups[i] = w->groups[--w->ngroups];
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
}

void exec_worker_kill_all(exec_worker *w)
{
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->ngroups; i++)
        kill(-w->groups[i], SIGKILL);
    pthread_mutex_unlock(&w->mu);
}

/* ---- string lists (argv, envp) ---- */

typedef struct strlist {
    char **v; /* NULL-terminated; every string owned */
    size_t n, cap;
} strlist;

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (strlist){0};
}

/* Appends s, taking ownership (s NULL means out of memory). */
static int strlist_take(strlist *l, char *s)
{
    if (!s)
        return SYM_ENOMEM;
    if (l->n + 1 >= l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **bigger = realloc(l->v, cap * sizeof *bigger);
        if (!bigger) {
            free(s);
            return SYM_ENOMEM;
        }
        l->v = bigger;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
    return SYM_OK;
}

/* A scalar input as text (strings as they are, numbers and booleans as
 * written in JSON); NULL for null, lists and maps, or out of memory. */
static char *scalar_text(const sym_value *v)
{
    switch (sym_value_type_of(v)) {
    case SYM_VALUE_STRING:
        return strdup(sym_value_string(v, NULL));
    case SYM_VALUE_BOOL:
    case SYM_VALUE_INT:
    case SYM_VALUE_FLOAT: {
        char *json = sym_value_to_json(v);
        char *s = json ? strdup(json) : NULL;
        sym_free(json);
        return s;
    }
    default:
        return NULL;
    }
}

/* ---- what to run ---- */

typedef struct command {
    strlist argv;
    strlist env;
    const char *cwd; /* borrowed from the task's inputs */
} command;

static void command_free(command *c)
{
    strlist_free(&c->argv);
    strlist_free(&c->env);
}

static bool env_name_ok(const char *key)
{
    return key[0] != '\0' && strchr(key, '=') == NULL;
}

/* True when the "KEY=..." entry's key is overridden by the task's env map
 * or is one of the SYMPHONY_* variables. */
static bool env_replaced(const char *entry, const sym_value *env)
{
    size_t klen = strcspn(entry, "=");
    if (klen >= 9 && strncmp(entry, "SYMPHONY_", 9) == 0)
        return true;
    for (size_t i = 0; i < sym_value_count(env); i++) {
        const char *key = sym_value_key_at(env, i);
        if (strlen(key) == klen && strncmp(entry, key, klen) == 0)
            return true;
    }
    return false;
}

/* Fills c->argv from `argv` or `shell`. Returns SYM_OK or a failure already
 * recorded on the task. */
static int read_argv(sym_task *task, command *c)
{
    const sym_value *argv = sym_task_input(task, "argv");
    const sym_value *shell = sym_task_input(task, "shell");
    if ((argv != NULL) == (shell != NULL))
        return sym_task_fail(task, SYM_FAIL_FATAL,
                             "exec needs either `argv: [program, args...]` or `shell: \"...\"`");
    if (shell) {
        const char *text = sym_value_string(shell, NULL);
        if (!text)
            return sym_task_fail(task, SYM_FAIL_FATAL, "exec: `shell` must be a string");
        if (strlist_take(&c->argv, strdup("/bin/sh")) || strlist_take(&c->argv, strdup("-c")) ||
            strlist_take(&c->argv, strdup(text)))
            return sym_task_fail(task, 0, "exec: out of memory");
        return SYM_OK;
    }
    if (sym_value_type_of(argv) != SYM_VALUE_LIST || sym_value_count(argv) == 0)
        return sym_task_fail(task, SYM_FAIL_FATAL, "exec: `argv` must be a non-empty list");
    for (size_t i = 0; i < sym_value_count(argv); i++) {
        const sym_value *item = sym_value_at(argv, i);
        sym_value_type type = sym_value_type_of(item);
        if (type == SYM_VALUE_NULL || type == SYM_VALUE_LIST || type == SYM_VALUE_MAP)
            return sym_task_fail(task, SYM_FAIL_FATAL,
                                 "exec: argv[%zu] must be a string, number or boolean", i);
        if (strlist_take(&c->argv, scalar_text(item)))
            return sym_task_fail(task, 0, "exec: out of memory");
    }
    return SYM_OK;
}

/* Fills c->env: the inherited environment less what is replaced, the
 * task's env, then the SYMPHONY_* variables. */
static int read_env(sym_task *task, command *c, const char *output_path)
{
    const sym_value *env = sym_task_input(task, "env");
    if (env && sym_value_type_of(env) != SYM_VALUE_MAP)
        return sym_task_fail(task, SYM_FAIL_FATAL, "exec: `env` must be a mapping");
    for (size_t i = 0; i < sym_value_count(env); i++) {
        const char *key = sym_value_key_at(env, i);
        sym_value_type type = sym_value_type_of(sym_value_at(env, i));
        if (!env_name_ok(key) || type == SYM_VALUE_LIST || type == SYM_VALUE_MAP)
            return sym_task_fail(task, SYM_FAIL_FATAL,
                                 "exec: env '%s' must be a name without '=' with a scalar value",
                                 key);
    }
    int rc = SYM_OK;
    for (char **e = environ; *e && rc == SYM_OK; e++)
        if (!env_replaced(*e, env))
            rc = strlist_take(&c->env, strdup(*e));
    for (size_t i = 0; i < sym_value_count(env) && rc == SYM_OK; i++) {
        const sym_value *v = sym_value_at(env, i);
        if (sym_value_type_of(v) == SYM_VALUE_NULL)
            continue; /* removed */
        char *text = scalar_text(v);
        rc = strlist_take(&c->env, text ? fmt_alloc("%s=%s", sym_value_key_at(env, i), text)
                                        : NULL);
        free(text);
    }
    if (rc == SYM_OK)
        rc = strlist_take(&c->env, fmt_alloc("SYMPHONY_RUN_ID=%s", sym_task_run_id(task)));
    if (rc == SYM_OK)
        rc = strlist_take(&c->env, fmt_alloc("SYMPHONY_TASK_ID=%s", sym_task_id(task)));
    if (rc == SYM_OK)
        rc = strlist_take(&c->env, fmt_alloc("SYMPHONY_ATTEMPT=%d", sym_task_attempt(task)));
    if (rc == SYM_OK)
        rc = strlist_take(&c->env, fmt_alloc("SYMPHONY_OUTPUT=%s", output_path));
    if (rc != SYM_OK)
        return sym_task_fail(task, 0, "exec: out of memory");
    return SYM_OK;
}

static int read_command(sym_task *task, command *c, const char *output_path)
{
    static const char *const known[] = {"argv", "shell", "env", "cwd"};
    const sym_value *in = sym_task_inputs(task);
    for (size_t i = 0; i < sym_value_count(in); i++) {
        const char *key = sym_value_key_at(in, i);
        bool found = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            found |= strcmp(key, known[k]) == 0;
        if (!found)
            return sym_task_fail(task, SYM_FAIL_FATAL,
                                 "exec: unknown input '%s' (expected argv, shell, env, cwd)", key);
    }
    const sym_value *cwd = sym_task_input(task, "cwd");
    if (cwd && !(c->cwd = sym_value_string(cwd, NULL)))
        return sym_task_fail(task, SYM_FAIL_FATAL, "exec: `cwd` must be a string");
    int rc = read_argv(task, c);
    return rc == SYM_OK ? read_env(task, c, output_path) : rc;
}

/* ---- the child's output ---- */

/* Where the child's output goes: a log file, or lines relayed from a pipe
 * to the console with the task id in front. */
typedef struct sink {
    int child_fd; /* what the child gets as stdout and stderr */
    int read_fd;  /* the pipe's end we read, or -1 */
    console *con;
    char prefix[96];
    char line[LINE_MAX_BYTES];
    size_t len;
} sink;

/* Task ids may hold `[`, `=`, `,` and matrix values: keep letters, digits
 * and `_.=,-`, and make anything else `_`. */
static void safe_file_name(const char *id, char *out, size_t cap)
{
    size_t n = 0;
    for (; id[n] && n + 1 < cap; n++) {
        char ch = id[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("_.=,-", ch);
        out[n] = ok ? ch : '_';
    }
    out[n] = '\0';
}

static int sink_open(exec_worker *w, sym_task *task, sink *s)
{
    s->child_fd = s->read_fd = -1;
    s->con = w->con;
    s->len = 0;
    if (w->log_dir) {
        char name[160];
        safe_file_name(sym_task_id(task), name, sizeof name);
        char *path = fmt_alloc("%s/%s.attempt%d.log", w->log_dir, name, sym_task_attempt(task));
        if (!path)
            return sym_task_fail(task, 0, "exec: out of memory");
        s->child_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int err = errno;
        int rc = s->child_fd < 0 ? sym_task_fail(task, 0, "cannot open log %s: %s", path,
                                                 strerror(err))
                                 : SYM_OK;
        free(path);
        return rc;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return sym_task_fail(task, 0, "exec: cannot make a pipe: %s", strerror(errno));
    /* Only our end is non-blocking: the child writes as to any pipe. */
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    s->read_fd = fds[0];
    s->child_fd = fds[1];
    snprintf(s->prefix, sizeof s->prefix, "[%s] ", sym_task_id(task));
    return SYM_OK;
}

static void sink_flush_line(sink *s)
{
    console_line(s->con, s->prefix, s->line, s->len);
    s->len = 0;
}

/* Reads what the pipe holds now and relays every complete line. Returns
 * false at end of file or on an error (the pipe is then closed). */
static bool sink_read(sink *s)
{
    char buf[4096];
    for (;;) {
        ssize_t got = read(s->read_fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (got <= 0) {
            close(s->read_fd);
            s->read_fd = -1;
            return false;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == '\n') {
                sink_flush_line(s);
                continue;
            }
            s->line[s->len++] = buf[i];
            if (s->len == sizeof s->line)
                sink_flush_line(s);
        }
    }
}

static void sink_close(sink *s)
{
    if (s->read_fd >= 0) {
        sink_read(s); /* what the child wrote before it exited */
        if (s->read_fd >= 0)
            close(s->read_fd);
    }
    if (s->len > 0)
        sink_flush_line(s);
    if (s->child_fd >= 0)
        close(s->child_fd);
    s->child_fd = s->read_fd = -1;
}

/* ---- running the child ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int spawn(sym_task *task, command *c, sink *s, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return sym_task_fail(task, 0, "exec: out of memory");
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return sym_task_fail(task, 0, "exec: out of memory");
    }
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, s->child_fd, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, s->child_fd, 2);
    if (rc == 0 && c->cwd)
        rc = posix_spawn_file_actions_addchdir_np(&fa, c->cwd);
    /* Its own group, so a timeout or cancel can kill everything it
     * started; no blocked or caught signals carried over from us. */
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGCHLD); /* a shell whose SIGCHLD is ignored loses $? */
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(&attr, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&attr, &dflt);
    if (rc == 0)
        rc = posix_spawnp(pid, c->argv.v[0], &fa, &attr, c->argv.v, c->env.v);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        if (c->cwd && rc == ENOENT)
            return sym_task_fail(task, 0, "cannot run '%s' in '%s': %s", c->argv.v[0], c->cwd,
                                 strerror(rc));
        return sym_task_fail(task, 0, "cannot run '%s': %s", c->argv.v[0], strerror(rc));
    }
    return SYM_OK;
}

/* Relays what the child writes for up to ms milliseconds (or sleeps). */
static void relay(sink *s, int ms)
{
    if (s->read_fd >= 0) {
        struct pollfd pfd = {.fd = s->read_fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) > 0)
            sink_read(s);
    } else {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* How the child ended. */
typedef struct ending {
    int code;       /* CLD_EXITED, CLD_KILLED or CLD_DUMPED */
    int status;     /* the exit status, or the signal */
    int wait_err;   /* errno of a failed wait (the status is lost), or 0 */
    bool cancelled; /* its group got SIGTERM: the attempt was cancelled */
    bool kill_sent; /* ... and SIGKILL after the grace period */
} ending;

/* Waits until the child has exited, relaying its output, and kills its
 * group when the attempt is cancelled. The child is left a zombie
 * (WNOWAIT): while it is not reaped its pid, the group's id, cannot be
 * reused, so the group can still be signalled safely. Returns true once
 * it has exited; false when the wait failed (e->wait_err set). */
static bool wait_child(sym_task *task, pid_t pid, sink *s, ending *e)
{
    int64_t kill_at = 0;
    for (;;) {
        if (!e->cancelled && sym_task_cancelled(task)) {
            kill(-pid, SIGTERM);
            e->cancelled = true;
            kill_at = now_ms() + CANCEL_GRACE_MS;
        }
        if (e->cancelled && !e->kill_sent && now_ms() >= kill_at) {
            kill(-pid, SIGKILL);
            e->kill_sent = true;
        }
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
            if (info.si_pid == pid) {
                e->code = info.si_code;
                e->status = info.si_status;
                return true;
            }
        } else if (errno != EINTR) {
            e->wait_err = errno;
            return false;
        }
        relay(s, POLL_MS);
    }
}

/* ---- what the child leaves behind ---- */

/* True when pid is a zombie (dead, its parent has not reaped it yet) or
 * gone. */
static bool is_zombie(long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    /* "pid (comm) state ...": comm may hold ')' and spaces */
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* 1 when a live process other than its leader is in process group pgid,
 * 0 when none is, -1 when that cannot be told (no /proc). Linux has no
 * call that lists a group, and signalling it cannot tell: the unreaped
 * leader is a member. So every pid in /proc is asked for its group (one
 * cheap call each); zombies do not count, they are dead already. */
static int group_has_others(pid_t pgid)
{
    DIR *proc = opendir("/proc"); /* close-on-exec in glibc and musl */
    if (!proc)
        return -1;
    int found = 0;
    struct dirent *d;
    while (!found && (d = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(d->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && pid != pgid && getpgid((pid_t)pid) == pgid)
            found = !is_zombie(pid);
    }
    closedir(proc);
    return found;
}

/* Polls until nothing alive but the leader is left in the group or ms
 * have passed, relaying output meanwhile. Returns what group_has_others
 * said last: 0 (empty), 1 (not empty at the deadline) or -1 at once (no
 * /proc: cannot tell). */
static int wait_group(pid_t pgid, sink *s, int ms)
{
    int64_t until = now_ms() + ms;
    int others;
    while ((others = group_has_others(pgid)) > 0 && now_ms() < until)
        relay(s, POLL_MS);
    return others;
}

/* The child (pid, leading its group) has exited and is not reaped yet:
 * what it left in its group gets SIGTERM, then SIGKILL after
 * EXIT_GRACE_MS, so nothing of the attempt outlives it. Straight to
 * SIGKILL when the cancel had come to that already. */
static void end_group(pid_t pid, sink *s, bool kill_sent)
{
    int others = 1;
    if (!kill_sent) {
        kill(-pid, SIGTERM);
        kill(-pid, SIGCONT); /* a stopped process acts on SIGTERM once continued */
        others = wait_group(pid, s, EXIT_GRACE_MS);
        for (int64_t until = now_ms() + EXIT_GRACE_MS; others < 0 && now_ms() < until;)
            relay(s, POLL_MS); /* cannot tell: the whole grace period */
    }
    kill(-pid, SIGKILL); /* what is left, and anything started while we looked */
    if (others != 0)
        wait_group(pid, s, KILL_WAIT_MS);
}

/* Reaps the child, which waitid has seen exit. */
static void reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

/* ---- outputs ---- */

/* One output line: `key=text` sets a string, `key:json=VALUE` the value
 * VALUE parses to (JSON; a number, list or map stays one downstream). A
 * VALUE that does not parse fails the attempt (*fail set). */
static int set_output_line(sym_task *task, char *key, const char *value, unsigned lineno,
                           int *fail)
{
    size_t klen = strlen(key);
    static const char suffix[] = ":json";
    if (klen <= sizeof suffix - 1 || strcmp(key + klen - (sizeof suffix - 1), suffix) != 0)
        return sym_task_set_output(task, key, value);
    key[klen - (sizeof suffix - 1)] = '\0';
    sym_value *v = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_value_parse(value, strlen(value), &v, err);
    if (rc != SYM_OK) {
        *fail = sym_task_fail(task, 0, "SYMPHONY_OUTPUT line %u: output '%s' is not valid JSON: %s",
                              lineno, key,
                              err && sym_error_count(err) ? sym_error_message(err, 0)
                                                          : sym_strerror(rc));
        sym_error_free(err);
        return rc;
    }
    sym_error_free(err);
    rc = sym_task_set_output_value(task, key, v);
    sym_value_free(v);
    return rc;
}

static int read_outputs(sym_task *task, const char *path)
{
    FILE *f = fopen(path, "rbe"); /* "e": close-on-exec */
    if (!f)
        return sym_task_fail(task, 0, "cannot read SYMPHONY_OUTPUT: %s", strerror(errno));
    char *text = malloc(OUTPUT_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, OUTPUT_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text)
        return sym_task_fail(task, 0, "exec: out of memory");
    if (n > OUTPUT_MAX_BYTES) {
        free(text);
        return sym_task_fail(task, 0, "SYMPHONY_OUTPUT is larger than %d bytes", OUTPUT_MAX_BYTES);
    }
    text[n] = '\0';
    int rc = SYM_OK;
    unsigned lineno = 0;
    for (char *line = text; rc == SYM_OK && line < text + n; lineno++) {
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : text + n;
        if (!end)
            end = text + n;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        char *eq = strchr(line, '=');
        if (*line == '\0') {
            /* blank lines are allowed */
        } else if (!eq || eq == line) {
            rc = sym_task_fail(task, 0, "SYMPHONY_OUTPUT line %u: expected key=value", lineno + 1);
        } else {
            *eq = '\0';
            int set = set_output_line(task, line, eq + 1, lineno + 1, &rc);
            bool done = rc != SYM_OK || set == SYM_OK; /* failed already, or set */
            if (!done && set == SYM_ETOOBIG)
                rc = sym_task_fail(task, 0, "outputs larger than the limit (at '%s')", line);
            else if (!done)
                rc = sym_task_fail(task, 0, "output '%s': %s", line,
                                   set == SYM_EINVAL ? "not valid UTF-8" : sym_strerror(set));
        }
        line = next;
    }
    free(text);
    return rc;
}

/* A fresh, empty file for SYMPHONY_OUTPUT in $TMPDIR (or /tmp). */
static char *make_output_file(void)
{
    const char *dir = getenv("TMPDIR");
    char *path = fmt_alloc("%s/symphony-output-XXXXXX", dir && *dir ? dir : "/tmp");
    if (!path)
        return NULL;
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

/* ---- the worker ---- */

static int run_child(exec_worker *w, sym_task *task, command *c, const char *output_path)
{
    sink s;
    int rc = sink_open(w, task, &s);
    if (rc != SYM_OK)
        return rc;
    pid_t pid;
    rc = spawn(task, c, &s, &pid);
    if (rc != SYM_OK) {
        sink_close(&s);
        return rc;
    }
    /* Our copy of the write end must go, or the pipe never ends. */
    close(s.child_fd);
    s.child_fd = -1;
    bool tracked = add_group(w, pid) == SYM_OK;
    ending e = {0};
    bool exited = wait_child(task, pid, &s, &e);
    if (exited)
        end_group(pid, &s, e.kill_sent);
    /* Off the list before the pid can be reused. */
    if (tracked)
        remove_group(w, pid);
    if (exited)
        reap(pid);
    sink_close(&s);
    if (!exited)
        return sym_task_fail(task, 0, "exec: lost the exit status of process %ld: %s%s",
                             (long)pid, strerror(e.wait_err),
                             e.wait_err == ECHILD ? " (SIGCHLD is ignored?)" : "");
    if (e.cancelled)
        return sym_task_fail(task, 0, "cancelled (process group %ld killed)", (long)pid);
    if (e.code == CLD_KILLED || e.code == CLD_DUMPED)
        return sym_task_fail(task, 0, "killed by signal %d", e.status);
    if (e.code != CLD_EXITED || e.status != 0)
        return sym_task_fail(task, 0, "exit status %d", e.status);
    return read_outputs(task, output_path);
}

static int exec_worker_fn(sym_task *task, void *userdata)
{
    exec_worker *w = userdata;
    char *output_path = make_output_file();
    if (!output_path)
        return sym_task_fail(task, 0, "cannot create the SYMPHONY_OUTPUT file: %s",
                             strerror(errno));
    command c = {0};
    int rc = read_command(task, &c, output_path);
    if (rc == SYM_OK)
        rc = run_child(w, task, &c, output_path);
    command_free(&c);
    unlink(output_path);
    free(output_path);
    return rc;
}

int exec_worker_register(sym_engine *engine, exec_worker *w)
{
    return sym_engine_register(engine, "exec", exec_worker_fn, w, NULL);
}
