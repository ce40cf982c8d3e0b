/* The workflow corpora of tests/data: every file in valid/ loads, and every
 * file in invalid/ fails with exactly the diagnostics listed in its .err
 * file, one `NAME.yaml:LINE:COLUMN: message` line per error, in order.
 * Tests run from the repository root. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "symphony.h"

#define DATA_DIR "tests/data"
#define MIN_VALID 15
#define MIN_INVALID 40

typedef struct names {
    char **v;
    size_t n;
} names;

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The names in dir ending in suffix, sorted so failures come in a stable
 * order. */
static names list_dir(const char *dir, const char *suffix)
{
    names out = {NULL, 0};
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (tests run from the repository root)", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
            continue;
        out.v = realloc(out.v, (out.n + 1) * sizeof *out.v);
        ck_assert_ptr_nonnull(out.v);
        out.v[out.n] = strdup(e->d_name);
        ck_assert_ptr_nonnull(out.v[out.n]);
        out.n++;
    }
    closedir(d);
    if (out.n)
        qsort(out.v, out.n, sizeof *out.v, compare_names);
    return out;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* The whole file at dir/name, NUL-terminated (the loader gets the length,
 * so embedded NULs would still reach it). NULL when it does not exist. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Loads dir/name from memory under its basename, as `symphony validate`
 * names it when run in that folder. */
static int load(const char *dir, const char *name, sym_workflow **wf, sym_error *err)
{
    size_t len = 0;
    char *data = read_file(dir, name, &len);
    ck_assert_msg(data != NULL, "cannot read %s/%s", dir, name);
    int rc = sym_workflow_load_buffer(data, len, name, NULL, wf, err);
    free(data);
    return rc;
}

static void print_errors(const char *label, const sym_error *err)
{
    for (size_t i = 0; i < sym_error_count(err); i++)
        fprintf(stderr, "    %s %s\n", label, sym_error_text(err, i));
}

START_TEST(valid_files_load)
{
    char dir[] = DATA_DIR "/valid";
    names files = list_dir(dir, ".yaml");
    ck_assert_msg(files.n >= MIN_VALID, "only %zu valid workflows in %s", files.n, dir);
    size_t failed = 0;
    for (size_t i = 0; i < files.n; i++) {
        sym_error *err = sym_error_new();
        ck_assert_ptr_nonnull(err);
        sym_workflow *wf = NULL;
        int rc = load(dir, files.v[i], &wf, err);
        if (rc != SYM_OK || wf == NULL || sym_error_count(err) != 0) {
            fprintf(stderr, "%s/%s: expected to load, got %s\n", dir, files.v[i],
                    sym_strerror(rc));
            print_errors("got", err);
            failed++;
        } else if (sym_workflow_task_count(wf) == 0) {
            fprintf(stderr, "%s/%s: loaded with no tasks\n", dir, files.v[i]);
            failed++;
        }
        sym_workflow_free(wf);
        sym_error_free(err);
    }
    size_t total = files.n;
    names_free(&files); /* before the verdict, so a failure leaks nothing */
    ck_assert_msg(failed == 0, "%zu of %zu valid workflows failed to load (see stderr)", failed,
                  total);
}
END_TEST

/* Loading from the file system gives the same result as from memory. */
START_TEST(valid_files_load_from_path)
{
    char dir[] = DATA_DIR "/valid";
    names files = list_dir(dir, ".yaml");
    for (size_t i = 0; i < files.n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files.v[i]);
        sym_workflow *wf = NULL;
        int rc = sym_workflow_load_file(path, NULL, &wf, NULL);
        ck_assert_msg(rc == SYM_OK && wf != NULL, "%s: %s", path, sym_strerror(rc));
        ck_assert_str_eq(sym_workflow_source(wf), path);
        sym_workflow_free(wf);
    }
    names_free(&files);
}
END_TEST

/* The non-empty lines of an .err file, in order. */
static names split_lines(char *text)
{
    names out = {NULL, 0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (!*line)
            continue;
        out.v = realloc(out.v, (out.n + 1) * sizeof *out.v);
        ck_assert_ptr_nonnull(out.v);
        out.v[out.n++] = strdup(line);
    }
    return out;
}

/* Compares what loading one invalid file reported with its .err file;
 * returns true when they agree, else prints both to stderr. */
static bool check_invalid(const char *dir, const char *yaml)
{
    char errname[300];
    snprintf(errname, sizeof errname, "%.*s.err", (int)(strlen(yaml) - 5), yaml);
    size_t len = 0;
    char *text = read_file(dir, errname, &len);
    if (!text) {
        fprintf(stderr, "%s/%s: no %s beside it\n", dir, yaml, errname);
        return false;
    }
    names want = split_lines(text);
    free(text);

    sym_error *err = sym_error_new();
    ck_assert_ptr_nonnull(err);
    sym_workflow *wf = NULL;
    int rc = load(dir, yaml, &wf, err);
    bool ok = rc != SYM_OK && wf == NULL && sym_error_count(err) == want.n &&
              sym_error_dropped(err) == 0 && want.n > 0;
    /* The result is the code of the first error (symphony.h). */
    if (ok && rc != sym_error_code(err, 0))
        ok = false;
    for (size_t i = 0; ok && i < want.n; i++)
        ok = strcmp(sym_error_text(err, i), want.v[i]) == 0;
    if (!ok) {
        fprintf(stderr, "%s/%s: got %s with %zu error(s), %zu dropped; expected %zu:\n", dir,
                yaml, sym_strerror(rc), sym_error_count(err), sym_error_dropped(err), want.n);
        for (size_t i = 0; i < want.n; i++)
            fprintf(stderr, "    want %s\n", want.v[i]);
        print_errors("got ", err);
    }
    sym_workflow_free(wf);
    sym_error_free(err);
    names_free(&want);
    return ok;
}

START_TEST(invalid_files_report_exact_errors)
{
    char dir[] = DATA_DIR "/invalid";
    names files = list_dir(dir, ".yaml");
    ck_assert_msg(files.n >= MIN_INVALID, "only %zu invalid workflows in %s", files.n, dir);
    size_t failed = 0;
    for (size_t i = 0; i < files.n; i++)
        if (!check_invalid(dir, files.v[i]))
            failed++;
    size_t total = files.n;
    names_free(&files);
    ck_assert_msg(failed == 0, "%zu of %zu invalid workflows did not report as expected "
                  "(see stderr)", failed, total);
}
END_TEST

/* Every .err file belongs to a workflow, so none is silently unused. */
START_TEST(no_orphan_err_files)
{
    char dir[] = DATA_DIR "/invalid";
    names errs = list_dir(dir, ".err");
    for (size_t i = 0; i < errs.n; i++) {
        char yaml[300];
        snprintf(yaml, sizeof yaml, "%s/%.*s.yaml", dir, (int)(strlen(errs.v[i]) - 4),
                 errs.v[i]);
        FILE *f = fopen(yaml, "rb");
        ck_assert_msg(f != NULL, "%s/%s has no workflow beside it", dir, errs.v[i]);
        fclose(f);
    }
    names_free(&errs);
}
END_TEST

/* The errors do not depend on whether an error list is passed: without one
 * the load still fails with the same code. */
START_TEST(invalid_files_fail_without_error_list)
{
    char dir[] = DATA_DIR "/invalid";
    names files = list_dir(dir, ".yaml");
    for (size_t i = 0; i < files.n; i++) {
        sym_error *err = sym_error_new();
        ck_assert_ptr_nonnull(err);
        sym_workflow *wf = NULL;
        int with_list = load(dir, files.v[i], &wf, err);
        ck_assert_ptr_null(wf);
        int without = load(dir, files.v[i], &wf, NULL);
        ck_assert_msg(without == with_list && wf == NULL, "%s: %s with a list, %s without",
                      files.v[i], sym_strerror(with_list), sym_strerror(without));
        sym_error_free(err);
    }
    names_free(&files);
}
END_TEST

/* A valid workflow, loaded; the test fails when it does not load. */
static sym_workflow *load_valid(const char *name)
{
    sym_workflow *wf = NULL;
    int rc = load(DATA_DIR "/valid", name, &wf, NULL);
    ck_assert_msg(rc == SYM_OK, "%s: %s", name, sym_strerror(rc));
    return wf;
}

static sym_task_info task_named(const sym_workflow *wf, const char *id)
{
    size_t index = 0;
    ck_assert_msg(sym_workflow_find_task(wf, id, &index) == SYM_OK, "no task '%s'", id);
    sym_task_info info;
    sym_task_info_init(&info);
    ck_assert_int_eq(sym_workflow_task_info(wf, index, &info), SYM_OK);
    return info;
}

static const char *input_string(const sym_task_info *info, const char *path)
{
    const char *s = sym_value_string(sym_value_path(info->inputs, path), NULL);
    ck_assert_msg(s != NULL, "task '%s' has no string input '%s'", info->id, path);
    return s;
}

/* The valid files mean what they say, not only that they load. */
START_TEST(design_example_in_full)
{
    sym_workflow *wf = load_valid("design-example.yaml");
    ck_assert_str_eq(sym_workflow_name(wf), "nightly-etl");
    ck_assert_str_eq(sym_workflow_description(wf), "One day of orders.");
    ck_assert_uint_eq(sym_workflow_task_count(wf), 8); /* 4 transform instances */
    ck_assert_uint_eq(sym_workflow_concurrency(wf), 16);
    ck_assert_int_eq(sym_workflow_deadline_ms(wf), 3600000);
    ck_assert(!sym_workflow_fail_fast(wf));
    const char *worker = NULL;
    unsigned limit = 0;
    ck_assert_uint_eq(sym_workflow_worker_limit_count(wf), 1);
    ck_assert_int_eq(sym_workflow_worker_limit(wf, 0, &worker, &limit), SYM_OK);
    ck_assert_str_eq(worker, "db.load");
    ck_assert_uint_eq(limit, 2);
    sym_task_info t = task_named(wf, "transform[shard=3]");
    ck_assert_str_eq(t.name, "transform");
    ck_assert_int_eq(t.policy->timeout_ms, 30000);
    ck_assert_uint_eq(t.policy->retry.attempts, 3);
    ck_assert_int_eq(t.policy->retry.backoff, SYM_BACKOFF_EXPONENTIAL);
    ck_assert_int_eq(t.policy->retry.delay_ms, 200);
    ck_assert_int_eq(t.policy->retry.max_delay_ms, 10000);
    ck_assert(t.policy->retry.jitter);
    sym_task_info load_task = task_named(wf, "load");
    ck_assert_uint_eq(load_task.dep_count, 4); /* every transform instance */
    ck_assert_uint_eq(load_task.policy->retry.attempts, 5);
    ck_assert_uint_eq(load_task.policy->retry.retry_on, SYM_RETRY_ON_ERROR | SYM_RETRY_ON_TIMEOUT);
    ck_assert_int_eq(task_named(wf, "extract").policy->timeout_ms, 10000);
    sym_task_info archive = task_named(wf, "archive");
    ck_assert(archive.policy->continue_on_error);
    ck_assert_str_eq(archive.condition, "${{ tasks.load.outputs.rows > 0 }}");
    ck_assert_int_eq(task_named(wf, "notify").policy->trigger, SYM_TRIGGER_ALL_DONE);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(defaults_merge_field_by_field)
{
    sym_workflow *wf = load_valid("defaults-merged.yaml");
    sym_task_info in = task_named(wf, "inherits");
    ck_assert_int_eq(in.policy->timeout_ms, 30000);
    ck_assert_int_eq(in.policy->trigger, SYM_TRIGGER_ALL_DONE);
    ck_assert(in.policy->continue_on_error);
    ck_assert_uint_eq(in.policy->retry.attempts, 3);
    ck_assert_int_eq(in.policy->retry.backoff, SYM_BACKOFF_LINEAR);
    ck_assert_uint_eq(in.policy->retry.retry_on, SYM_RETRY_ON_ERROR);
    ck_assert_int_eq(task_named(wf, "overrides-timeout").policy->timeout_ms, 120000);
    sym_task_info at = task_named(wf, "overrides-attempts");
    ck_assert_uint_eq(at.policy->retry.attempts, 5);
    ck_assert_int_eq(at.policy->retry.backoff, SYM_BACKOFF_LINEAR); /* kept from defaults */
    ck_assert_int_eq(at.policy->retry.delay_ms, 1000);
    ck_assert_int_eq(at.policy->retry.max_delay_ms, 20000);
    ck_assert(at.policy->retry.jitter);
    sym_task_info all = task_named(wf, "overrides-all");
    ck_assert_int_eq(all.policy->timeout_ms, 250);
    ck_assert_int_eq(all.policy->trigger, SYM_TRIGGER_ALL_SUCCESS);
    ck_assert(!all.policy->continue_on_error);
    ck_assert_uint_eq(all.policy->retry.attempts, 1);
    ck_assert_int_eq(all.policy->retry.backoff, SYM_BACKOFF_FIXED);
    ck_assert(!all.policy->retry.jitter);
    ck_assert_uint_eq(all.policy->retry.retry_on, SYM_RETRY_ON_ERROR | SYM_RETRY_ON_TIMEOUT);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(matrices_expand_in_order)
{
    sym_workflow *wf = load_valid("matrix-two-axes.yaml");
    ck_assert_uint_eq(sym_workflow_task_count(wf), 6 + 4 + 1);
    sym_task_info b = task_named(wf, "build[os=windows,arch=arm64]");
    ck_assert_str_eq(input_string(&b, "target"), "${{ matrix.os }}-${{ matrix.arch }}");
    ck_assert_str_eq(sym_value_string(sym_value_get(b.matrix, "os"), NULL), "windows");
    ck_assert_uint_eq(task_named(wf, "test[os=macos,shard=2]").dep_count, 6);
    ck_assert_uint_eq(task_named(wf, "publish").dep_count, 4);
    sym_workflow_free(wf);

    wf = load_valid("matrix-one-axis.yaml");
    ck_assert_uint_eq(sym_workflow_task_count(wf), 3 + 3 + 1);
    (void)task_named(wf, "literal[n=2]");
    (void)task_named(wf, "from-param[region=ap]");
    ck_assert_uint_eq(task_named(wf, "after").dep_count, 6);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(needs_every_form)
{
    sym_workflow *wf = load_valid("needs-forms.yaml");
    ck_assert_uint_eq(task_named(wf, "late-needer").dep_count, 1);
    ck_assert_uint_eq(task_named(wf, "string-form").dep_count, 1);
    ck_assert_uint_eq(task_named(wf, "flow-list").dep_count, 2);
    ck_assert_uint_eq(task_named(wf, "block-list").dep_count, 3);
    ck_assert_uint_eq(task_named(wf, "no-needs").dep_count, 0);
    ck_assert_uint_eq(task_named(wf, "root").succ_count, 4);
    /* Topological order: a task comes after what it needs. */
    size_t root = 0, late = 0;
    ck_assert_int_eq(sym_workflow_find_task(wf, "root", &root), SYM_OK);
    ck_assert_int_eq(sym_workflow_find_task(wf, "late-needer", &late), SYM_OK);
    ck_assert_uint_lt(root, late);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(triggers_every_rule)
{
    static const struct {
        const char *id;
        sym_trigger trigger;
    } want[] = {{"t-all-success", SYM_TRIGGER_ALL_SUCCESS}, {"t-all-done", SYM_TRIGGER_ALL_DONE},
                {"t-all-failed", SYM_TRIGGER_ALL_FAILED},   {"t-one-failed", SYM_TRIGGER_ONE_FAILED},
                {"t-one-success", SYM_TRIGGER_ONE_SUCCESS}, {"t-none-failed", SYM_TRIGGER_NONE_FAILED}};
    sym_workflow *wf = load_valid("triggers.yaml");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_int_eq(task_named(wf, want[i].id).policy->trigger, want[i].trigger);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(scalars_anchors_and_unicode)
{
    sym_workflow *wf = load_valid("scalars-quoting.yaml");
    sym_task_info q = task_named(wf, "quoted-id");
    ck_assert_str_eq(input_string(&q, "single"), "it's");
    ck_assert_str_eq(input_string(&q, "double"), "tab\there\nnewline");
    ck_assert_str_eq(input_string(&q, "number_as_string"), "42");
    ck_assert_str_eq(input_string(&q, "bool_as_string"), "true");
    ck_assert_str_eq(input_string(&q, "literal"), "line one\nline two\n");
    ck_assert_str_eq(input_string(&q, "folded"), "folded text\n");
    ck_assert_str_eq(input_string(&q, "keep"), "kept\n\n");
    ck_assert_str_eq(input_string(&q, "strip"), "no newline");
    ck_assert_int_eq(task_named(wf, "unquoted_id").policy->timeout_ms, 5000);
    sym_workflow_free(wf);

    wf = load_valid("anchors.yaml");
    sym_task_info second = task_named(wf, "second");
    ck_assert_str_eq(input_string(&second, "url"), "https://example.org");
    ck_assert_str_eq(input_string(&second, "headers.Accept"), "text/plain");
    ck_assert_uint_eq(second.policy->retry.attempts, 4);
    sym_task_info third = task_named(wf, "third");
    ck_assert_str_eq(input_string(&third, "urls[1]"), "https://example.org");
    sym_workflow_free(wf);

    wf = load_valid("unicode.yaml");
    ck_assert_str_eq(sym_workflow_description(wf),
                     "\xc3\x9c" "berpr\xc3\xbc" "fung der Bestellungen \xe2\x80\x94 "
                     "\xe6\xb3\xa8\xe6\x96\x87\xe3\x81\xae\xe7\xa2\xba\xe8\xaa\x8d \xe2\x9c\x93");
    sym_task_info g = task_named(wf, "greet");
    ck_assert_str_eq(input_string(&g, "escaped"), "\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_ptr_nonnull(sym_value_get(g.inputs, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"));
    sym_workflow_free(wf);
}
END_TEST

START_TEST(with_values_keep_their_types)
{
    sym_workflow *wf = load_valid("with-nested.yaml");
    sym_task_info d = task_named(wf, "deep");
    int64_t i = 0;
    double f = 0;
    bool b = true;
    ck_assert_int_eq(sym_value_get_int(sym_value_path(d.inputs, "retries"), &i), SYM_OK);
    ck_assert_int_eq(i, 3);
    ck_assert_int_eq(sym_value_get_int(sym_value_path(d.inputs, "hex"), &i), SYM_OK);
    ck_assert_int_eq(i, 31);
    ck_assert_int_eq(sym_value_get_int(sym_value_path(d.inputs, "octal"), &i), SYM_OK);
    ck_assert_int_eq(i, 15);
    ck_assert_int_eq(sym_value_get_float(sym_value_path(d.inputs, "ratio"), &f), SYM_OK);
    ck_assert_double_eq_tol(f, 1.5e-3, 1e-12);
    ck_assert_int_eq(sym_value_get_bool(sym_value_path(d.inputs, "verbose"), &b), SYM_OK);
    ck_assert(!b);
    ck_assert_int_eq(sym_value_type_of(sym_value_path(d.inputs, "missing")), SYM_VALUE_NULL);
    ck_assert_ptr_nonnull(sym_value_path(d.inputs, "missing"));
    ck_assert_int_eq(sym_value_get_int(sym_value_path(d.inputs, "matrix_of_lists[1][1][0]"), &i),
                     SYM_OK);
    ck_assert_int_eq(i, 4);
    ck_assert_int_eq(sym_value_get_int(sym_value_path(d.inputs, "steps[1].options.depth.max"), &i),
                     SYM_OK);
    ck_assert_int_eq(i, 10);
    sym_workflow_free(wf);
}
END_TEST

static Suite *corpus_suite(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, valid_files_load);
    tcase_add_test(tc, valid_files_load_from_path);
    tcase_add_test(tc, invalid_files_report_exact_errors);
    tcase_add_test(tc, no_orphan_err_files);
    tcase_add_test(tc, invalid_files_fail_without_error_list);
    suite_add_tcase(s, tc);
    TCase *meaning = tcase_create("meaning");
    tcase_add_test(meaning, design_example_in_full);
    tcase_add_test(meaning, defaults_merge_field_by_field);
    tcase_add_test(meaning, matrices_expand_in_order);
    tcase_add_test(meaning, needs_every_form);
    tcase_add_test(meaning, triggers_every_rule);
    tcase_add_test(meaning, scalars_anchors_and_unicode);
    tcase_add_test(meaning, with_values_keep_their_types);
    suite_add_tcase(s, meaning);
    return s;
}

CHECK_MAIN(corpus_suite)
