/* test_abi.c - the table of sizes and offsets that bindings check their
 * mirrors against (sym_abi_*): it names every versioned struct, lists
 * every field of each (the fields tile the struct), and agrees with the
 * compiler. The refusal of unknown versions is tested beside each function
 * that takes a struct (test_engine, test_builder, test_schema). */
#include <stddef.h>
#include <string.h>

#include "check_main.h"
#include "symphony.h"

/* The alignment a field of this size needs at most (every field here is a
 * scalar, a pointer, an array of them or a struct of them). */
static size_t align_of_size(size_t size)
{
    size_t a = 1;
    while (a < size && a < 8)
        a *= 2;
    return a;
}

START_TEST(fields_tile_every_struct)
{
    size_t nstructs = 0;
    for (const char *name; (name = sym_abi_struct(nstructs)) != NULL; nstructs++) {
        size_t size = sym_abi_sizeof(name, NULL);
        ck_assert_msg(size > 0, "%s has no size", name);
        ck_assert_uint_ge(sym_abi_version(name), 1);
        size_t end = 0, nfields = 0;
        for (const char *f; (f = sym_abi_field(name, nfields)) != NULL; nfields++) {
            size_t off = sym_abi_offsetof(name, f), fsize = sym_abi_sizeof(name, f);
            ck_assert_msg(fsize > 0 && off != (size_t)-1, "%s.%s", name, f);
            /* No field missing before this one: a gap is padding only. */
            ck_assert_msg(off >= end && off - end < align_of_size(fsize),
                          "%s.%s at %zu, the previous field ends at %zu", name, f, off, end);
            end = off + fsize;
        }
        ck_assert_msg(nfields > 0 && end <= size && size - end < 8,
                      "%s: the fields end at %zu of %zu bytes", name, end, size);
        /* Every struct with a version has it first. */
        if (strcmp(name, "sym_retry_policy") != 0) {
            ck_assert_str_eq(sym_abi_field(name, 0), "version");
            ck_assert_uint_eq(sym_abi_sizeof(name, "version"), sizeof(unsigned));
        }
    }
    ck_assert_uint_eq(nstructs, 11);
}
END_TEST

#define SAME(T, f)                                                                                 \
    do {                                                                                           \
        ck_assert_uint_eq(sym_abi_offsetof(#T, #f), offsetof(T, f));                               \
        ck_assert_uint_eq(sym_abi_sizeof(#T, #f), sizeof(((T *)0)->f));                            \
    } while (0)

START_TEST(the_table_agrees_with_the_compiler)
{
    ck_assert_uint_eq(sym_abi_sizeof("sym_load_options", NULL), sizeof(sym_load_options));
    ck_assert_uint_eq(sym_abi_sizeof("sym_retry_policy", NULL), sizeof(sym_retry_policy));
    ck_assert_uint_eq(sym_abi_sizeof("sym_task_policy", NULL), sizeof(sym_task_policy));
    ck_assert_uint_eq(sym_abi_sizeof("sym_task_info", NULL), sizeof(sym_task_info));
    ck_assert_uint_eq(sym_abi_sizeof("sym_event", NULL), sizeof(sym_event));
    ck_assert_uint_eq(sym_abi_sizeof("sym_engine_config", NULL), sizeof(sym_engine_config));
    ck_assert_uint_eq(sym_abi_sizeof("sym_worker_options", NULL), sizeof(sym_worker_options));
    ck_assert_uint_eq(sym_abi_sizeof("sym_run_options", NULL), sizeof(sym_run_options));
    ck_assert_uint_eq(sym_abi_sizeof("sym_task_result", NULL), sizeof(sym_task_result));
    ck_assert_uint_eq(sym_abi_sizeof("sym_metrics", NULL), sizeof(sym_metrics));
    ck_assert_uint_eq(sym_abi_sizeof("sym_worker_metrics", NULL), sizeof(sym_worker_metrics));
    SAME(sym_load_options, max_alias_nodes);
    SAME(sym_load_options, max_errors);
    SAME(sym_task_policy, retry);
    SAME(sym_task_policy, continue_on_error);
    SAME(sym_task_info, policy);
    SAME(sym_task_info, column);
    SAME(sym_event, status);
    SAME(sym_event, error);
    SAME(sym_engine_config, max_output_bytes);
    SAME(sym_worker_options, release);
    SAME(sym_run_options, params);
    SAME(sym_task_result, outputs);
    SAME(sym_metrics, tasks);
    SAME(sym_worker_metrics, name);
    ck_assert_uint_eq(sym_abi_version("sym_load_options"), SYM_LOAD_OPTIONS_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_task_policy"), SYM_TASK_POLICY_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_task_info"), SYM_TASK_INFO_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_event"), SYM_EVENT_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_engine_config"), SYM_ENGINE_CONFIG_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_worker_options"), SYM_WORKER_OPTIONS_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_run_options"), SYM_RUN_OPTIONS_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_task_result"), SYM_TASK_RESULT_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_metrics"), SYM_METRICS_VERSION);
    ck_assert_uint_eq(sym_abi_version("sym_worker_metrics"), SYM_WORKER_METRICS_VERSION);
    /* Room to grow, not counts: the state count and name length may rise. */
    ck_assert_uint_le(SYM_TASK_STATE_COUNT, SYM_METRICS_TASK_STATES);
    ck_assert_uint_eq(sym_abi_sizeof("sym_metrics", "tasks"), 16 * sizeof(uint64_t));
    ck_assert_uint_lt(SYM_WORKER_NAME_MAX, SYM_WORKER_METRICS_NAME_ROOM);
    ck_assert_uint_eq(sym_abi_sizeof("sym_worker_metrics", "name"), 128);
}
END_TEST

START_TEST(unknown_names)
{
    ck_assert_ptr_null(sym_abi_struct(11));
    ck_assert_ptr_null(sym_abi_field("sym_nothing", 0));
    ck_assert_ptr_null(sym_abi_field(NULL, 0));
    ck_assert_ptr_null(sym_abi_field("sym_run_options", 3));
    ck_assert_uint_eq(sym_abi_version("sym_nothing"), 0);
    ck_assert_uint_eq(sym_abi_version(NULL), 0);
    ck_assert_uint_eq(sym_abi_sizeof("sym_nothing", NULL), 0);
    ck_assert_uint_eq(sym_abi_sizeof(NULL, NULL), 0);
    ck_assert_uint_eq(sym_abi_sizeof("sym_metrics", "nothing"), 0);
    ck_assert_uint_eq(sym_abi_offsetof("sym_metrics", "nothing"), (size_t)-1);
    ck_assert_uint_eq(sym_abi_offsetof("sym_metrics", NULL), (size_t)-1);
    ck_assert_uint_eq(sym_abi_offsetof(NULL, "version"), (size_t)-1);
}
END_TEST

static Suite *abi_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fields_tile_every_struct);
    tcase_add_test(tc, the_table_agrees_with_the_compiler);
    tcase_add_test(tc, unknown_names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(abi_suite)
