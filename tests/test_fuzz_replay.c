/* Replays the fuzzing seeds and the workflow corpora through the fuzz
 * target itself, so every `make check` build (plain, ASan+UBSan, TSan,
 * valgrind) runs the inputs that once crashed or stress the limits. Also
 * feeds every prefix of the valid workflows, the cheapest way to reach the
 * loader's end-of-input paths. Tests run from the repository root. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "fuzz/fuzz_load.c"

static const char *const replay_dirs[] = {"tests/fuzz/seeds", "tests/data/valid",
                                          "tests/data/invalid"};

/* The whole file at path, or NULL. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Calls fn on every regular file of dir (hidden files skipped); returns
 * how many it visited. */
static size_t for_each_file(const char *dir, void (*fn)(const char *path, const uint8_t *data,
                                                        size_t len))
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (tests run from the repository root)", dir);
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".err"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        uint8_t *data = slurp(path, &len);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        fn(path, data, len);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

static void replay_whole(const char *path, const uint8_t *data, size_t len)
{
    ck_assert_msg(fuzz_load_one(data, len), "%s: the loader broke its contract", path);
}

START_TEST(replay_files)
{
    const char *dir = replay_dirs[_i];
    size_t n = for_each_file(dir, replay_whole);
    ck_assert_msg(n > 0, "no inputs in %s", dir);
}
END_TEST

/* Every prefix would be slow under valgrind for the larger files; a stride
 * that is prime still cuts through every kind of token. */
static void replay_prefixes(const char *path, const uint8_t *data, size_t len)
{
    size_t stride = len > 2000 ? 61 : 7;
    for (size_t n = 0; n < len; n += stride)
        ck_assert_msg(fuzz_load_one(data, n), "%s cut at %zu bytes: the loader broke its contract",
                      path, n);
}

START_TEST(replay_valid_prefixes)
{
    ck_assert(for_each_file("tests/data/valid", replay_prefixes) > 0);
}
END_TEST

/* A valid file loads through the fuzz entry point too, so the replay
 * above reaches the export code and is not only exercising failures. */
START_TEST(valid_input_reaches_export)
{
    static const char text[] = "symphony: 1\nname: x\ntasks:\n  a: { worker: w }\n"
                               "  b: { worker: w, needs: a }\n";
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_workflow_load_buffer(text, strlen(text), "x.yaml", NULL, &wf, NULL),
                     SYM_OK);
    sym_workflow_free(wf);
    ck_assert_int_eq(LLVMFuzzerTestOneInput((const uint8_t *)text, strlen(text)), 0);
}
END_TEST

static Suite *fuzz_replay_suite(void)
{
    Suite *s = suite_create("fuzz_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_loop_test(tc, replay_files, 0, (int)(sizeof replay_dirs / sizeof replay_dirs[0]));
    tcase_add_test(tc, replay_valid_prefixes);
    tcase_add_test(tc, valid_input_reaches_export);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(fuzz_replay_suite)
