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
    ck_assert_msg(failed == 0, "%zu of %zu valid workflows failed to load (see stderr)", failed,
                  files.n);
    names_free(&files);
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
    ck_assert_msg(failed == 0, "%zu of %zu invalid workflows did not report as expected "
                  "(see stderr)", failed, files.n);
    names_free(&files);
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
    return s;
}

CHECK_MAIN(corpus_suite)
