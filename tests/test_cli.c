/* test_cli.c - end-to-end tests of the `symphony` tool: it is run as a
 * separate process (SYM_BUILD_DIR/symphony) and judged by its exit status,
 * stdout and stderr. Under valgrind (SYM_UNDER_VALGRIND set) each run of
 * the tool is itself checked by valgrind. Runs from the repository root. */
#include <check.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/symphony-cli-XXXXXX",
             base && strlen(base) < 32 ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_cli: could not remove %s\n", tmpdir);
}

/* A path in the test's temporary directory. */
static const char *tmp_path(const char *name)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* Writes text to name in the temporary directory; returns the path (static
 * storage, overwritten by the next call). */
static const char *write_file(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
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

/* Runs the tool with the NULL-terminated arguments, stdin from in_path
 * (NULL: /dev/null). */
static result run_in(const char *in_path, const char *arg, ...)
{
    char *argv[MAX_ARGS + 8];
    int argc = 0;
    if (getenv("SYM_UNDER_VALGRIND")) {
        argv[argc++] = "valgrind";
        argv[argc++] = "-q";
        argv[argc++] = "--error-exitcode=99";
        argv[argc++] = "--leak-check=full";
        argv[argc++] = "--errors-for-leak-kinds=definite,indirect";
    }
    argv[argc++] = CLI;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(argc, MAX_ARGS);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;

    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/.stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", tmpdir);
    posix_spawn_file_actions_t fa;
    ck_assert_int_eq(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 0, in_path ? in_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);

    result r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(out_path);
    r.err = read_all(err_path);
    return r;
}

#define run(...) run_in(NULL, __VA_ARGS__, (const char *)NULL)

/* The number of lines of s (each ended by '\n'). */
static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void assert_usage_error(result *r, const char *first_line)
{
    ck_assert_msg(r->status == 2, "exit %d, expected 2; stderr:\n%s", r->status, r->err);
    ck_assert_str_eq(r->out, "");
    ck_assert_msg(strncmp(r->err, first_line, strlen(first_line)) == 0 &&
                      r->err[strlen(first_line)] == '\n',
                  "stderr does not start with \"%s\":\n%s", first_line, r->err);
    ck_assert_msg(count_lines(r->err) == 2 && strstr(r->err, "\nusage: symphony "),
                  "expected the error and one usage line:\n%s", r->err);
}

/* ------------------------------------------------------------------------ */
/* validate                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const examples[] = {"examples/nightly-etl.yaml",
                                       "examples/release-pipeline.yaml",
                                       "examples/health-check.yaml"};

START_TEST(validate_examples)
{
    result r = run("validate", examples[0], examples[1], examples[2]);
    ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    result_free(&r);
}
END_TEST

START_TEST(validate_verbose)
{
    result r = run("validate", "-v", examples[0], "--verbose", examples[1]);
    ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "examples/nightly-etl.yaml: ok\nexamples/release-pipeline.yaml: ok\n");
    ck_assert_str_eq(r.err, "");
    result_free(&r);
}
END_TEST

START_TEST(validate_valid_corpus)
{
    /* Every file of the valid corpus, in one call. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls tests/data/valid/*.yaml > '%s/list'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    char *list = read_all(tmp_path("list"));
    const char *args[256];
    int n = 0;
    for (char *line = strtok(list, "\n"); line && n < 256; line = strtok(NULL, "\n"))
        args[n++] = line;
    ck_assert_int_gt(n, 0);
    /* run() takes a fixed list; pass files in batches of four. */
    for (int i = 0; i < n; i += 4) {
        const char *a[4] = {NULL, NULL, NULL, NULL};
        for (int j = 0; j < 4 && i + j < n; j++)
            a[j] = args[i + j];
        result r = run("validate", a[0], a[1], a[2], a[3]);
        ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
        ck_assert_str_eq(r.err, "");
        result_free(&r);
    }
    free(list);
}
END_TEST

START_TEST(validate_reports_errors_with_positions)
{
    const char *path = write_file("etl.yaml", "symphony: 1\n"
                                              "name: etl\n"
                                              "tasks:\n"
                                              "  extract:\n"
                                              "    worker: http.get\n"
                                              "  load:\n"
                                              "    worker: db.load\n"
                                              "    need: [extract]\n");
    result r = run("validate", path);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    char want[512];
    snprintf(want, sizeof want,
             "%s:8:5: unknown key 'need' in task 'load' (did you mean 'needs'?)\n", path);
    ck_assert_str_eq(r.err, want);
    result_free(&r);
}
END_TEST

START_TEST(validate_reports_every_error_of_every_file)
{
    char bad1[256], bad2[256], good[256];
    snprintf(bad1, sizeof bad1, "%s",
             write_file("missing-dep.yaml", "symphony: 1\n"
                                            "name: a\n"
                                            "tasks:\n"
                                            "  transform: { worker: t }\n"
                                            "  load: { worker: l, needs: [trnsform] }\n"
                                            "  push: { worker: p, needs: [lod] }\n"));
    snprintf(good, sizeof good, "%s",
             write_file("good.yaml", "symphony: 1\nname: b\ntasks:\n  only: { worker: w }\n"));
    snprintf(bad2, sizeof bad2, "%s",
             write_file("cycle.yaml", "symphony: 1\n"
                                      "name: c\n"
                                      "tasks:\n"
                                      "  load: { worker: l, needs: transform }\n"
                                      "  transform: { worker: t, needs: load }\n"));
    result r = run("validate", "-v", bad1, good, bad2);
    ck_assert_int_eq(r.status, 1);
    char want[1024];
    snprintf(want, sizeof want, "%s: ok\n", good);
    ck_assert_str_eq(r.out, want);
    snprintf(want, sizeof want,
             "%s:5:30: task 'load' needs 'trnsform', which does not exist (did you mean "
             "'transform'?)\n"
             "%s:6:30: task 'push' needs 'lod', which does not exist (did you mean 'load'?)\n"
             "%s: cycle: load -> transform -> load\n",
             bad1, bad1, bad2);
    ck_assert_str_eq(r.err, want);
    result_free(&r);
}
END_TEST

START_TEST(validate_stops_at_max_errors)
{
    /* 120 unknown keys: the default limit keeps 100, and says so. */
    char text[8192] = "symphony: 1\nname: many\ntasks:\n  t:\n    worker: w\n";
    for (int i = 0; i < 120; i++) {
        char line[32];
        snprintf(line, sizeof line, "    bad%d: 1\n", i);
        strcat(text, line);
    }
    const char *path = write_file("many.yaml", text);
    result r = run("validate", path);
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(count_lines(r.err), 101);
    char want[256];
    snprintf(want, sizeof want, "\n%s: stopped after 100 errors\n", path);
    ck_assert_msg(strstr(r.err, want) && strstr(r.err, want)[strlen(want)] == '\0',
                  "last line is not \"%s\":\n%s", want + 1, r.err);
    result_free(&r);
}
END_TEST

START_TEST(validate_syntax_error)
{
    const char *path = write_file("broken.yaml", "symphony: 1\nname: x\ntasks:\n  a: { worker: w\n");
    result r = run("validate", path);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    /* Every line names the file and a position in it, past the line where
     * the unclosed mapping starts. */
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s:", path);
    ck_assert_int_ge(count_lines(r.err), 1);
    for (const char *line = r.err; *line; line = strchr(line, '\n') + 1) {
        ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0, "stderr:\n%s", r.err);
        unsigned ln = 0, col = 0;
        ck_assert_int_eq(sscanf(line + strlen(prefix), "%u:%u: ", &ln, &col), 2);
        ck_assert_uint_ge(ln, 4);
        ck_assert_uint_ge(col, 1);
    }
    result_free(&r);
}
END_TEST

START_TEST(validate_missing_file)
{
    const char *path = tmp_path("no-such-file.yaml");
    result r = run("validate", path, examples[0]);
    ck_assert_int_eq(r.status, 1);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s: ", path);
    ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0 && count_lines(r.err) == 1,
                  "stderr:\n%s", r.err);
    result_free(&r);
}
END_TEST

START_TEST(validate_stdin)
{
    const char *path = write_file("in.yaml", "symphony: 1\nname: piped\ntasks:\n  a: { worker: w }\n");
    result r = run_in(path, "validate", "-v", "-", (const char *)NULL);
    ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "<stdin>: ok\n");
    result_free(&r);

    path = write_file("bad.yaml", "symphony: 1\nname: piped\ntasks:\n  a: { wrker: w }\n");
    r = run_in(path, "validate", "-", (const char *)NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strncmp(r.err, "<stdin>:4:", 10) == 0, "stderr:\n%s", r.err);
    result_free(&r);
}
END_TEST

START_TEST(validate_double_dash)
{
    /* After "--", a name that looks like an option is a file. */
    result r = run("validate", "--", "-v");
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strncmp(r.err, "-v: ", 4) == 0, "stderr:\n%s", r.err);
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* graph                                                                     */
/* ------------------------------------------------------------------------ */

START_TEST(graph_dot)
{
    result r = run("graph", examples[0]);
    ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert_msg(strncmp(r.out, "digraph", 7) == 0, "stdout:\n%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "transform[shard=4]"));
    ck_assert_ptr_nonnull(strstr(r.out, "notify"));
    ck_assert_int_eq(r.out[strlen(r.out) - 1], '\n');

    /* The same with --format dot, and --format=dot. */
    result r2 = run("graph", "--format", "dot", examples[0]);
    ck_assert_int_eq(r2.status, 0);
    ck_assert_str_eq(r2.out, r.out);
    result_free(&r2);
    r2 = run("graph", examples[0], "--format=dot");
    ck_assert_int_eq(r2.status, 0);
    ck_assert_str_eq(r2.out, r.out);
    result_free(&r2);
    result_free(&r);
}
END_TEST

START_TEST(graph_dot_renders)
{
    if (system("command -v dot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_cli: graphviz `dot` not installed; rendering not checked\n");
        return;
    }
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s graph %s | dot -Tsvg > '%s/g.svg' 2>'%s/dot.err'", CLI,
                 examples[i], tmpdir, tmpdir);
        int status = system(cmd);
        char *err = read_all(tmp_path("dot.err"));
        ck_assert_msg(status == 0 && err[0] == '\0', "dot -Tsvg refused the graph of %s:\n%s",
                      examples[i], err);
        free(err);
        char *svg = read_all(tmp_path("g.svg"));
        ck_assert_ptr_nonnull(strstr(svg, "<svg"));
        free(svg);
    }
}
END_TEST

START_TEST(graph_json)
{
    result r = run("graph", "--format", "json", examples[0]);
    ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    /* JSON is YAML: read it back with the library's own parser. */
    sym_value *v = NULL;
    sym_error *err = sym_error_new();
    int rc = sym_value_parse(r.out, strlen(r.out), &v, err);
    ck_assert_msg(rc == SYM_OK, "not JSON: %s\n%s", sym_error_text(err, 0), r.out);
    sym_error_free(err);
    ck_assert_str_eq(sym_value_string(sym_value_get(v, "name"), NULL), "nightly-etl");
    const sym_value *tasks = sym_value_get(v, "tasks");
    ck_assert_int_eq(sym_value_type_of(tasks), SYM_VALUE_LIST);
    /* extract, four transform instances, load, archive, notify. */
    ck_assert_uint_eq(sym_value_count(tasks), 8);
    int found = 0;
    for (size_t i = 0; i < sym_value_count(tasks); i++) {
        const sym_value *t = sym_value_at(tasks, i);
        const char *id = sym_value_string(sym_value_get(t, "id"), NULL);
        ck_assert_ptr_nonnull(id);
        if (strcmp(id, "load") == 0) {
            found = 1;
            ck_assert_str_eq(sym_value_string(sym_value_get(t, "worker"), NULL), "db.load");
            ck_assert_uint_eq(sym_value_count(sym_value_get(t, "needs")), 4);
        }
    }
    ck_assert(found);
    sym_value_free(v);
    result_free(&r);
}
END_TEST

START_TEST(graph_invalid_file)
{
    const char *path = write_file("bad.yaml", "symphony: 1\nname: x\ntasks:\n  a: { worker: w, needs: b }\n");
    result r = run("graph", path);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s:4:", path);
    ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0, "stderr:\n%s", r.err);
    result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Usage, help, version                                                      */
/* ------------------------------------------------------------------------ */

START_TEST(usage_errors)
{
    result r = run("frobnicate");
    assert_usage_error(&r, "symphony: unknown command 'frobnicate'");
    result_free(&r);

    r = run_in(NULL, (const char *)NULL);
    assert_usage_error(&r, "symphony: missing COMMAND");
    result_free(&r);

    r = run("--bogus");
    assert_usage_error(&r, "symphony: unknown option '--bogus'");
    result_free(&r);

    r = run("validate");
    assert_usage_error(&r, "symphony validate: missing FILE");
    result_free(&r);

    r = run("validate", "--strict", examples[0]);
    assert_usage_error(&r, "symphony validate: unknown option '--strict'");
    result_free(&r);

    r = run("graph");
    assert_usage_error(&r, "symphony graph: missing FILE");
    result_free(&r);

    r = run("graph", "--format", "svg", examples[0]);
    assert_usage_error(&r, "symphony graph: unknown format 'svg' (expected dot or json)");
    result_free(&r);

    r = run("graph", examples[0], "--format");
    assert_usage_error(&r, "symphony graph: option '--format' needs a value (dot or json)");
    result_free(&r);

    r = run("graph", examples[0], examples[1]);
    ck_assert_int_eq(r.status, 2);
    result_free(&r);
}
END_TEST

START_TEST(help)
{
    result r = run("--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert(strncmp(r.out, "usage: symphony COMMAND", 23) == 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\n  validate "));
    ck_assert_ptr_nonnull(strstr(r.out, "\n  graph "));
    result_free(&r);

    const char *cmds[] = {"validate", "graph"};
    for (size_t i = 0; i < 2; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: symphony %s ", cmds[i]);
        r = run(cmds[i], "--help");
        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "stdout:\n%s", r.out);
        result_free(&r);
        /* `help COMMAND` and -h say the same. */
        result r2 = run("help", cmds[i]);
        ck_assert_int_eq(r2.status, 0);
        r = run(cmds[i], "some-file", "-h");
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.out, r2.out);
        result_free(&r);
        result_free(&r2);
    }
}
END_TEST

START_TEST(version)
{
    result r = run("--version");
    ck_assert_int_eq(r.status, 0);
    char want[64];
    snprintf(want, sizeof want, "symphony %s (libsymphony %s)\n", SYM_VERSION_STRING,
             SYM_VERSION_STRING);
    ck_assert_str_eq(r.out, want);
    result_free(&r);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("validate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, validate_examples);
    tcase_add_test(tc, validate_verbose);
    tcase_add_test(tc, validate_valid_corpus);
    tcase_add_test(tc, validate_reports_errors_with_positions);
    tcase_add_test(tc, validate_reports_every_error_of_every_file);
    tcase_add_test(tc, validate_stops_at_max_errors);
    tcase_add_test(tc, validate_syntax_error);
    tcase_add_test(tc, validate_missing_file);
    tcase_add_test(tc, validate_stdin);
    tcase_add_test(tc, validate_double_dash);
    suite_add_tcase(s, tc);

    tc = tcase_create("graph");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, graph_dot);
    tcase_add_test(tc, graph_dot_renders);
    tcase_add_test(tc, graph_json);
    tcase_add_test(tc, graph_invalid_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, help);
    tcase_add_test(tc, version);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cli_suite)
