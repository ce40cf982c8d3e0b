/* test_builder.c - workflows built in code: order, CSR arrays, matrices,
 * defaults, every builder error, exports and reference counting. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "ids.h"
#include "symphony.h"
#include "workflow.h"

static size_t add(sym_builder *b, const char *id, const char *worker)
{
    size_t ix = (size_t)-1;
    ck_assert_int_eq(sym_builder_add_task(b, id, worker, &ix), SYM_OK);
    return ix;
}

static size_t find(const sym_workflow *wf, const char *id)
{
    size_t ix = (size_t)-1;
    ck_assert_msg(sym_workflow_find_task(wf, id, &ix) == SYM_OK, "no task %s", id);
    return ix;
}

/* Every dependency comes first, and deps/succs mirror each other. */
static void check_dag(const sym_workflow *wf)
{
    size_t n = sym_workflow_task_count(wf), edges = 0;
    for (size_t i = 0; i < n; i++) {
        sym_task_info info;
        sym_task_info_init(&info);
        ck_assert_int_eq(sym_workflow_task_info(wf, i, &info), SYM_OK);
        for (size_t j = 0; j < info.dep_count; j++) {
            size_t d = sym_workflow_task_dep(wf, i, j);
            ck_assert_uint_lt(d, i);
            sym_task_info dinfo;
            sym_task_info_init(&dinfo);
            sym_workflow_task_info(wf, d, &dinfo);
            bool back = false;
            for (size_t k = 0; k < dinfo.succ_count; k++)
                back |= sym_workflow_task_succ(wf, d, k) == i;
            ck_assert(back);
        }
        for (size_t k = 1; k < info.succ_count; k++)
            ck_assert_uint_lt(sym_workflow_task_succ(wf, i, k - 1), sym_workflow_task_succ(wf, i, k));
        ck_assert_uint_eq(sym_workflow_task_dep(wf, i, info.dep_count), (size_t)-1);
        ck_assert_uint_eq(find(wf, info.id), i);
        edges += info.dep_count;
    }
    ck_assert_uint_eq(edges, wf->nedges);
}

START_TEST(diamond_in_order)
{
    sym_builder *b = sym_builder_new("diamond");
    size_t a = add(b, "a", "w"), l = add(b, "left", "w"), r = add(b, "right", "x"), z = add(b, "z", "w");
    ck_assert_int_eq(sym_builder_add_dep(b, l, a), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, r, a), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, z, l), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, z, "right"), SYM_OK);
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 4);
    ck_assert_str_eq(sym_workflow_name(wf), "diamond");
    ck_assert_str_eq(sym_workflow_source(wf), "<builder>");
    ck_assert_uint_eq(sym_value_count(sym_workflow_params(wf)), 0);
    check_dag(wf);
    sym_task_info info;
    sym_task_info_init(&info);
    sym_workflow_task_info(wf, find(wf, "z"), &info);
    ck_assert_uint_eq(info.dep_count, 2);
    ck_assert_str_eq(info.worker, "w");
    ck_assert_uint_eq(info.line, 0);
    ck_assert_uint_eq(wf->nworkers, 2);
    ck_assert_str_eq(wf->workers[0], "w");
    ck_assert_str_eq(wf->workers[1], "x");
    size_t ix;
    ck_assert_int_eq(sym_workflow_find_task(wf, "nope", &ix), SYM_ENOTFOUND);
    ck_assert_int_eq(sym_workflow_task_info(wf, 4, &info), SYM_ENOTFOUND);
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

START_TEST(order_is_stable_by_file_order)
{
    /* a needs c, added later: the order becomes b, c, a (ties by file). */
    sym_builder *b = sym_builder_new("stable");
    size_t a = add(b, "a", "w");
    add(b, "b", "w");
    size_t c = add(b, "c", "w");
    ck_assert_int_eq(sym_builder_add_dep(b, a, c), SYM_OK);
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    ck_assert_str_eq(wf_task_id(wf, 0), "b");
    ck_assert_str_eq(wf_task_id(wf, 1), "c");
    ck_assert_str_eq(wf_task_id(wf, 2), "a");
    check_dag(wf);
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

START_TEST(matrix_instances_and_edges)
{
    sym_builder *b = sym_builder_new("m");
    size_t src = add(b, "src", "w"), t = add(b, "t", "w"), sink = add(b, "sink", "w");
    sym_value *as = sym_value_new_list();
    sym_value_list_append(as, sym_value_new_int(1));
    sym_value_list_append(as, sym_value_new_int(2));
    sym_value *bs = sym_value_new_list();
    sym_value_list_append(bs, sym_value_new_string("x"));
    sym_value_list_append(bs, sym_value_new_bool(true));
    sym_value_list_append(bs, sym_value_new_float(2.5));
    ck_assert_int_eq(sym_builder_add_matrix(b, t, "a", as), SYM_OK);
    ck_assert_int_eq(sym_builder_add_matrix(b, t, "b", bs), SYM_OK);
    sym_builder_add_dep(b, t, src);
    sym_builder_add_dep(b, sink, t);
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 8);
    const char *ids[] = {"t[a=1,b=x]", "t[a=1,b=true]", "t[a=1,b=2.5]",
                         "t[a=2,b=x]", "t[a=2,b=true]", "t[a=2,b=2.5]"};
    size_t first = find(wf, ids[0]);
    for (size_t k = 0; k < 6; k++) {
        size_t ix = find(wf, ids[k]);
        ck_assert_uint_eq(ix, first + k);
        sym_task_info info;
        sym_task_info_init(&info);
        sym_workflow_task_info(wf, ix, &info);
        ck_assert_str_eq(info.name, "t");
        ck_assert_uint_eq(info.dep_count, 1);
        ck_assert_uint_eq(sym_workflow_task_dep(wf, ix, 0), find(wf, "src"));
        int64_t a;
        ck_assert_int_eq(sym_value_get_int(sym_value_get(info.matrix, "a"), &a), SYM_OK);
        ck_assert_int_eq(a, k < 3 ? 1 : 2);
    }
    size_t ix;
    ck_assert_int_eq(sym_workflow_find_task(wf, "t", &ix), SYM_ENOTFOUND);
    sym_task_info info;
    sym_task_info_init(&info);
    sym_workflow_task_info(wf, find(wf, "sink"), &info);
    ck_assert_uint_eq(info.dep_count, 6);
    sym_workflow_task_info(wf, find(wf, "src"), &info);
    ck_assert_uint_eq(info.succ_count, 6);
    check_dag(wf);
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

START_TEST(defaults_and_shared_policies)
{
    sym_builder *b = sym_builder_new("p");
    size_t a = add(b, "a", "w");
    sym_task_policy defs;
    sym_task_policy_init(&defs);
    ck_assert_uint_eq(defs.retry.attempts, 1);
    ck_assert_int_eq(defs.retry.backoff, SYM_BACKOFF_EXPONENTIAL);
    ck_assert_int_eq(defs.retry.delay_ms, 1000);
    ck_assert_int_eq(defs.retry.max_delay_ms, 300000);
    defs.retry.attempts = 3;
    defs.timeout_ms = 5000;
    ck_assert_int_eq(sym_builder_set_defaults(b, &defs), SYM_OK);
    size_t c = add(b, "c", "w"), d = add(b, "d", "w");
    (void)a;
    (void)c;
    sym_task_policy own = defs;
    own.trigger = SYM_TRIGGER_ALL_DONE;
    ck_assert_int_eq(sym_builder_set_policy(b, d, &own), SYM_OK);
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_task_info ia, ic, id;
    sym_task_info_init(&ia);
    sym_task_info_init(&ic);
    sym_task_info_init(&id);
    sym_workflow_task_info(wf, find(wf, "a"), &ia);
    sym_workflow_task_info(wf, find(wf, "c"), &ic);
    sym_workflow_task_info(wf, find(wf, "d"), &id);
    ck_assert_uint_eq(ia.policy->retry.attempts, 3); /* set after a was added */
    ck_assert_int_eq(ic.policy->timeout_ms, 5000);
    ck_assert_int_eq(id.policy->trigger, SYM_TRIGGER_ALL_DONE);
    ck_assert_ptr_eq(wf_task_policy(wf, 0), wf_task_policy(wf, 1));
    ck_assert_ptr_ne(wf_task_policy(wf, 0), wf_task_policy(wf, 2));
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

static bool has_error(const sym_error *err, int code, const char *text)
{
    for (size_t i = 0; i < sym_error_count(err); i++)
        if (sym_error_code(err, i) == code && strcmp(sym_error_message(err, i), text) == 0)
            return true;
    return false;
}

static void dump(const sym_error *err)
{
    for (size_t i = 0; i < sym_error_count(err); i++)
        fprintf(stderr, "  [%d] %s\n", sym_error_code(err, i), sym_error_text(err, i));
}

#define EXPECT(err, code, text)                                                              \
    do {                                                                                     \
        if (!has_error(err, code, text))                                                     \
            dump(err);                                                                       \
        ck_assert_msg(has_error(err, code, text), "missing error: %s", text);               \
    } while (0)

static int w_succeed(sym_task *t, void *u)
{
    (void)t;
    (void)u;
    return SYM_OK;
}

/* Durations past the file format's limit (876000h) are refused as a file's
 * are, with the same words: a deadline of 10^13 ms once overflowed the
 * engine clock and cancelled every run at once. At the limit, a run is
 * not cancelled. */
START_TEST(durations_past_the_format_limit_refused)
{
    const int64_t max = (int64_t)876000 * 3600 * 1000;
    sym_builder *b = sym_builder_new("long");
    size_t a = add(b, "a", "w");
    ck_assert_int_eq(sym_builder_set_deadline_ms(b, 10000000000000), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_set_deadline_ms(b, INT64_MAX), SYM_EINVAL);
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.timeout_ms = max + 1;
    ck_assert_int_eq(sym_builder_set_policy(b, a, &p), SYM_EINVAL);
    sym_task_policy_init(&p);
    p.retry.delay_ms = INT64_MAX;
    ck_assert_int_eq(sym_builder_set_defaults(b, &p), SYM_EINVAL);
    sym_task_policy_init(&p);
    p.retry.max_delay_ms = max + 1;
    ck_assert_int_eq(sym_builder_set_policy(b, a, &p), SYM_EINVAL);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    EXPECT(err, SYM_EINVAL, "'deadline': duration '10000000000000ms' is too long (at most 876000h)");
    EXPECT(err, SYM_EINVAL,
           "task 'a': 'timeout': duration '3153600000001ms' is too long (at most 876000h)");
    EXPECT(err, SYM_EINVAL,
           "defaults: 'delay': duration '9223372036854775807ms' is too long (at most 876000h)");
    sym_error_free(err);

    /* At the limit: accepted, and the run is not cancelled by it. */
    ck_assert_int_eq(sym_builder_set_deadline_ms(b, max), SYM_OK);
    sym_task_policy_init(&p);
    p.timeout_ms = max;
    p.retry.attempts = 2;
    p.retry.delay_ms = max;
    p.retry.max_delay_ms = max;
    ck_assert_int_eq(sym_builder_set_defaults(b, &p), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "a", "w", NULL), SYM_OK);
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    sym_engine *e = NULL;
    ck_assert_int_eq(sym_engine_new(NULL, &e), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "w", w_succeed, NULL, NULL), SYM_OK);
    sym_run *run = NULL;
    ck_assert_int_eq(sym_run_start(e, wf, NULL, &run, NULL), SYM_OK);
    ck_assert_int_eq(sym_run_wait(run, 10000), SYM_OK);
    ck_assert_int_eq(sym_run_get_status(run), SYM_RUN_SUCCEEDED);
    sym_run_free(run);
    sym_engine_free(e);
    sym_workflow_free(wf);
}
END_TEST

START_TEST(setter_errors_are_all_reported)
{
    sym_builder *b = sym_builder_new("errs");
    size_t ix;
    ck_assert_int_eq(sym_builder_add_task(b, "9x", "w", &ix), SYM_EINVAL);
    size_t a = add(b, "load", "w");
    /* A repeated id is found at build (below). */
    ck_assert_int_eq(sym_builder_add_task(b, "load", "w", &ix), SYM_OK);
    ck_assert_int_eq(sym_builder_add_task(b, "bad", "no spaces", &ix), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_add_dep(b, a, a), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_add_dep(b, a, 7), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_add_dep_id(b, a, "lod"), SYM_OK); /* resolved at build */
    ck_assert_int_eq(sym_builder_add_matrix(b, a, "1k", sym_value_new_list()), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_add_matrix(b, a, "k", sym_value_new_int(3)), SYM_ETYPE);
    ck_assert_int_eq(sym_builder_set_param(b, "bad-name", sym_value_new_int(1)), SYM_EINVAL);
    ck_assert_int_eq(sym_builder_set_deadline_ms(b, -1), SYM_EINVAL);
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.retry.attempts = 0;
    ck_assert_int_eq(sym_builder_set_policy(b, a, &p), SYM_EINVAL);
    sym_error *err = sym_error_new();
    sym_workflow *wf = (sym_workflow *)&p;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_ptr_null(wf);
    EXPECT(err, SYM_EINVAL,
           "task id '9x' is not valid: ids start with a letter or '_' and hold letters, digits, "
           "'_' and '-' (at most 64)");
    EXPECT(err, SYM_EEXIST, "duplicate task id 'load'");
    EXPECT(err, SYM_EINVAL, "task 'load' needs itself");
    EXPECT(err, SYM_ENOTFOUND, "task 'load' needs 'lod', which does not exist (did you mean 'load'?)");
    EXPECT(err, SYM_EINVAL, "task 'load': retry attempts must be at least 1 (1 = no retry)");
    ck_assert_uint_ge(sym_error_count(err), 10);
    /* The builder is empty again and reusable. */
    sym_error_clear(err);
    add(b, "only", "w");
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), 1);
    ck_assert_str_eq(sym_workflow_name(wf), "errs");
    sym_workflow_free(wf);
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

/* Values built in code carry their length, so a string may hold a NUL:
 * refused as the loader refuses one written in a file, since every string
 * reaches a worker as a C string cut at the NUL. */
START_TEST(nul_in_values_is_refused)
{
    sym_builder *b = sym_builder_new("nul");
    size_t a = add(b, "a", "w");
    ck_assert_int_eq(sym_builder_set_param(b, "p", sym_value_new_stringn("x\0y", 3)), SYM_EINVAL);
    sym_value *deep = sym_value_new_map();
    sym_value *list = sym_value_new_list();
    sym_value_list_append(list, sym_value_new_int(1));
    sym_value_list_append(list, sym_value_new_stringn("echo a\0; rm", 11));
    sym_value_map_set(deep, "argv", list);
    ck_assert_int_eq(sym_builder_set_input(b, a, "cmd", deep), SYM_EINVAL);
    sym_value *axis = sym_value_new_list();
    sym_value_list_append(axis, sym_value_new_string("ok"));
    sym_value_list_append(axis, sym_value_new_stringn("\0", 1));
    ck_assert_int_eq(sym_builder_add_matrix(b, a, "k", axis), SYM_EINVAL);
    /* The same text without the NUL is fine. */
    ck_assert_int_eq(sym_builder_set_input(b, a, "ok", sym_value_new_string("x\\0y")), SYM_OK);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_ptr_null(wf);
#define NUL_TAIL "a NUL character (\\0) is not allowed in a string: a program given the string " \
                 "would see it cut short there"
    EXPECT(err, SYM_EINVAL, "param 'p': " NUL_TAIL);
    EXPECT(err, SYM_EINVAL, "input 'cmd' of task 'a': " NUL_TAIL);
    EXPECT(err, SYM_EINVAL, "matrix 'k' of task 'a': value 2: " NUL_TAIL);
    ck_assert_uint_eq(sym_error_count(err), 3);
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

START_TEST(policies_and_infos_of_unknown_versions_are_refused)
{
    sym_builder *b = sym_builder_new("versions");
    size_t a = add(b, "a", "w");
    sym_task_policy p;
    sym_task_policy_init(&p);
    p.timeout_ms = 5000;
    p.version = 0; /* as if never initialised */
    ck_assert_int_eq(sym_builder_set_defaults(b, &p), SYM_EINVAL);
    p.version = SYM_TASK_POLICY_VERSION + 1; /* from a newer header */
    ck_assert_int_eq(sym_builder_set_policy(b, a, &p), SYM_EINVAL);
    sym_error *err = sym_error_new();
    sym_workflow *wf = NULL;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_ptr_null(wf);
    EXPECT(err, SYM_EINVAL,
           "sym_builder_set_defaults: sym_task_policy has version 0, which this library does "
           "not know (it knows 1 to 1): initialise it with sym_task_policy_init (defaults)");
    EXPECT(err, SYM_EINVAL,
           "sym_builder_set_policy: sym_task_policy has version 2, which this library does not "
           "know (it knows 1 to 1): initialise it with sym_task_policy_init (task 'a')");

    /* Refused policies left nothing behind; a known version is taken. */
    sym_error_clear(err);
    a = add(b, "a", "w");
    p.version = SYM_TASK_POLICY_VERSION;
    ck_assert_int_eq(sym_builder_set_policy(b, a, &p), SYM_OK);
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_OK);
    sym_task_info info;
    memset(&info, 0xab, sizeof info);
    info.version = 0;
    ck_assert_int_eq(sym_workflow_task_info(wf, 0, &info), SYM_EINVAL);
    ck_assert_uint_eq(info.dep_count, (size_t)0xabababababababab); /* not written */
    info.version = SYM_TASK_INFO_VERSION + 1;
    ck_assert_int_eq(sym_workflow_task_info(wf, 0, &info), SYM_EINVAL);
    ck_assert_int_eq(sym_task_info_init_version(&info, 0), SYM_EINVAL);
    ck_assert_int_eq(sym_task_policy_init_version(&p, 2), SYM_EINVAL);
    ck_assert_int_eq(p.timeout_ms, 5000); /* not written */
    ck_assert_int_eq(sym_task_info_init(&info), SYM_OK);
    ck_assert_int_eq(sym_workflow_task_info(wf, 0, &info), SYM_OK);
    ck_assert_uint_eq(info.version, SYM_TASK_INFO_VERSION);
    ck_assert_int_eq(info.policy->timeout_ms, 5000);
    ck_assert_uint_eq(info.policy->version, SYM_TASK_POLICY_VERSION);

    /* The static initialisers are the init functions' values (static, so
     * that their padding is 0 too, as in the init functions). */
    static const sym_task_policy p1 = SYM_TASK_POLICY_INIT;
    sym_task_policy p2;
    sym_task_policy_init(&p2);
    ck_assert_mem_eq(&p1, &p2, sizeof p1);
    static const sym_task_info i1 = SYM_TASK_INFO_INIT;
    sym_task_info i2;
    sym_task_info_init(&i2);
    ck_assert_mem_eq(&i1, &i2, sizeof i1);
    sym_workflow_free(wf);
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

START_TEST(compile_errors_from_code)
{
    sym_builder *b = sym_builder_new("bad name!");
    size_t a = add(b, "a", "w"), c = add(b, "c", "w"), d = add(b, "d", "w");
    sym_builder_add_dep(b, a, d);
    sym_builder_add_dep(b, d, c);
    sym_builder_add_dep(b, c, a);
    sym_builder_add_dep(b, c, a);
    sym_error *err = sym_error_new();
    sym_workflow *wf;
    ck_assert_int_ne(sym_builder_build(b, &wf, err), SYM_OK);
    ck_assert_ptr_null(wf);
    EXPECT(err, SYM_EINVAL,
           "workflow name 'bad name!' is not valid: names hold letters, digits, '_', '.' and '-' "
           "(at most 128)");
    EXPECT(err, SYM_EINVAL, "task 'c' lists 'a' twice in needs");
    EXPECT(err, SYM_ECYCLE, "cycle: a -> c -> d -> a");
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

START_TEST(one_cycle_per_component)
{
    sym_builder *b = sym_builder_new("cycles");
    size_t x = add(b, "x", "w"), y = add(b, "y", "w"), ok = add(b, "ok", "w");
    size_t p = add(b, "p", "w"), q = add(b, "q", "w"), r = add(b, "r", "w");
    sym_builder_add_dep(b, x, y);
    sym_builder_add_dep(b, y, x);
    sym_builder_add_dep(b, ok, x); /* behind a cycle, on none */
    sym_builder_add_dep(b, p, q);
    sym_builder_add_dep(b, q, r);
    sym_builder_add_dep(b, r, p);
    sym_builder_add_dep(b, q, p); /* a second cycle in the same component */
    sym_error *err = sym_error_new();
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_ECYCLE);
    ck_assert_uint_eq(sym_error_count(err), 2);
    EXPECT(err, SYM_ECYCLE, "cycle: x -> y -> x");
    EXPECT(err, SYM_ECYCLE, "cycle: p -> q -> p");
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

START_TEST(exports)
{
    sym_builder *b = sym_builder_new("exp");
    sym_builder_set_description(b, "say \"hi\"");
    sym_builder_set_param(b, "n", sym_value_new_int(4));
    sym_builder_set_worker_limit(b, "w", 2);
    size_t a = add(b, "a", "w"), q = add(b, "q_2", "x.y");
    sym_builder_add_dep(b, q, a);
    sym_builder_set_input(b, q, "url", sym_value_new_string("http://e/\"q\""));
    sym_builder_set_condition(b, q, "${{ params.n > 1 }}");
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    char *json = sym_workflow_to_json(wf);
    ck_assert_ptr_nonnull(json);
    sym_value *v;
    ck_assert_int_eq(sym_value_parse(json, strlen(json), &v, NULL), SYM_OK);
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "name"), NULL), "exp");
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "description"), NULL), "say \"hi\"");
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "tasks[1].needs[0]"), NULL), "a");
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "tasks[1].with.url"), NULL), "http://e/\"q\"");
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "tasks[1].if"), NULL), "${{ params.n > 1 }}");
    ck_assert_str_eq(sym_value_string(sym_value_path(v, "tasks[1].trigger"), NULL), "all_success");
    int64_t i;
    sym_value_get_int(sym_value_path(v, "tasks[0].retry.attempts"), &i);
    ck_assert_int_eq(i, 1);
    sym_value_get_int(sym_value_path(v, "params.n"), &i);
    ck_assert_int_eq(i, 4);
    sym_value_get_int(sym_value_path(v, "workers.w.concurrency"), &i);
    ck_assert_int_eq(i, 2);
    sym_value_free(v);
    sym_free(json);

    char *dot = sym_workflow_to_dot(wf);
    ck_assert_ptr_nonnull(dot);
    ck_assert_ptr_nonnull(strstr(dot, "\"a\" -> \"q_2\";"));
    ck_assert_ptr_nonnull(strstr(dot, "[label=\"q_2\\nx.y\"]"));
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/symphony-dot-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "w");
        fputs(dot, f);
        fclose(f);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "dot -Tsvg %s >/dev/null 2>&1", path);
        ck_assert_int_eq(system(cmd), 0);
        remove(path);
    }
    sym_free(dot);
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

START_TEST(references)
{
    sym_builder *b = sym_builder_new("refs");
    add(b, "a", "w");
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    ck_assert_uint_eq(atomic_load(&wf->refs), 1);
    sym__workflow_retain(wf);
    ck_assert_uint_eq(atomic_load(&wf->refs), 2);
    sym_workflow_free(wf); /* the host's reference */
    ck_assert_str_eq(sym_workflow_name(wf), "refs"); /* still alive for the run */
    sym__workflow_release(wf);
    sym_workflow_free(NULL);
}
END_TEST

/* Duplicates among many ids are all reported at build, each once, in the
 * order added, whether the first copy is near or far back. */
START_TEST(duplicates_among_many_tasks)
{
    enum { N = 20000 };
    sym_builder *b = sym_builder_new("many");
    char id[32];
    unsigned dups = 0;
    for (unsigned i = 0; i < N; i++) {
        snprintf(id, sizeof id, "task_%u", i);
        ck_assert_uint_eq(add(b, id, i % 3 ? "w" : "v"), i + 2 * dups);
        if (i % 997 == 5) { /* an old one, and the one just added */
            snprintf(id, sizeof id, "task_%u", i / 2);
            ck_assert_int_eq(sym_builder_add_task(b, id, "w", NULL), SYM_OK);
            snprintf(id, sizeof id, "task_%u", i);
            ck_assert_int_eq(sym_builder_add_task(b, id, "w", NULL), SYM_OK);
            dups++;
        }
    }
    sym_error *err = sym_error_new();
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EEXIST);
    ck_assert_ptr_null(wf);
    ck_assert_uint_eq(sym_error_count(err), 2 * dups);
    ck_assert_str_eq(sym_error_text(err, 0), "duplicate task id 'task_2'");
    ck_assert_str_eq(sym_error_text(err, 1), "duplicate task id 'task_5'");
    char last[64];
    snprintf(last, sizeof last, "duplicate task id 'task_%u'", (997 * (dups - 1) + 5) / 2);
    ck_assert_str_eq(sym_error_text(err, 2 * dups - 2), last);
    sym_error_clear(err);
    /* Without the duplicates, every id is found where it was added. */
    for (unsigned i = 0; i < N; i++) {
        snprintf(id, sizeof id, "task_%u", i);
        add(b, id, i % 3 ? "w" : "v");
        if (i > 0)
            ck_assert_int_eq(sym_builder_add_dep(b, i, i - 1), SYM_OK);
    }
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), N);
    ck_assert_uint_eq(wf->nworkers, 2);
    for (unsigned i = 0; i < N; i += 7) {
        snprintf(id, sizeof id, "task_%u", i);
        ck_assert_uint_eq(find(wf, id), i);
    }
    size_t ix;
    ck_assert_int_eq(sym_workflow_find_task(wf, "task_20000", &ix), SYM_ENOTFOUND);
    check_dag(wf);
    sym_workflow_free(wf);
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

/* The index alone: ids under equal hashes are told apart by their text,
 * and sym__ids_fill reports each repeat with the index of its first copy. */
static uint32_t dup_seen[16][2];
static unsigned ndup_seen;

static void note_dup(void *ctx, uint32_t index, uint32_t first)
{
    (void)ctx;
    if (ndup_seen < 16) {
        dup_seen[ndup_seen][0] = index;
        dup_seen[ndup_seen][1] = first;
    }
    ndup_seen++;
}

START_TEST(id_index_tells_equal_hashes_apart)
{
    enum { N = 3000 };
    static char names[N][16];
    const char *ids[N];
    struct wf_id *x = sym__ids_new(8);
    ck_assert_ptr_nonnull(x);
    for (uint32_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "n%u", i);
        ids[i] = names[i];
        /* Every id under one of four hashes: every probe meets equal ones. */
        ck_assert_int_eq(
            sym__ids_put_hashed(x, i % 4, ids[i], strlen(ids[i]), i, ids, sizeof *ids, NULL),
            SYM_OK);
        uint32_t other = IDS_NONE, j = i / 3;
        ck_assert_int_eq(
            sym__ids_put_hashed(x, j % 4, ids[j], strlen(ids[j]), i + 1, ids, sizeof *ids, &other),
            SYM_EEXIST);
        ck_assert_uint_eq(other, j);
    }
    ck_assert_uint_eq(x->count, N);
    sym__ids_free(x);

    /* Filled at once: ids 0..N-1 with three repeats among them. */
    snprintf(names[700], sizeof names[700], "n3");
    snprintf(names[1500], sizeof names[1500], "n2999");
    snprintf(names[2999], sizeof names[2999], "n3");
    x = sym__ids_new(N);
    ndup_seen = 0;
    ck_assert_int_eq(sym__ids_fill(x, N, ids, sizeof *ids, note_dup, NULL), SYM_OK);
    ck_assert_uint_eq(ndup_seen, 2);
    ck_assert_uint_eq(dup_seen[0][0], 700);
    ck_assert_uint_eq(dup_seen[0][1], 3);
    ck_assert_uint_eq(dup_seen[1][0], 2999);
    ck_assert_uint_eq(dup_seen[1][1], 3);
    ck_assert_uint_eq(x->count, N - 2);
    ck_assert_uint_eq(sym__ids_find(x, "n2999", 5, ids, sizeof *ids), 1500);
    ck_assert_uint_eq(sym__ids_find(x, "n1499", 5, ids, sizeof *ids), 1499);
    ck_assert_uint_eq(sym__ids_find(x, "n700", 4, ids, sizeof *ids), IDS_NONE);
    sym__ids_free(x);
}
END_TEST

/* Needs by name added to tasks in turns keep each task's own list. */
START_TEST(needs_by_name_in_turns)
{
    sym_builder *b = sym_builder_new("turns");
    size_t a = add(b, "a", "w"), c = add(b, "c", "w"), d = add(b, "d", "w"), e = add(b, "e", "w");
    ck_assert_int_eq(sym_builder_add_dep_id(b, e, "a"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, d, "a"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, e, "c"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, d, "c"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, e, d), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, e, "d"), SYM_OK); /* a repeat */
    sym_error *err = sym_error_new();
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_str_eq(sym_error_text(err, 0), "task 'e' lists 'd' twice in needs");
    sym_error_clear(err);
    a = add(b, "a", "w"), c = add(b, "c", "w"), d = add(b, "d", "w"), e = add(b, "e", "w");
    ck_assert_int_eq(sym_builder_add_dep_id(b, e, "a"), SYM_OK);
    ck_assert_int_eq(sym_builder_set_condition(b, c, NULL), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, d, "a"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, e, "c"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, d, "c"), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, e, d), SYM_OK);
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_OK);
    check_dag(wf);
    ck_assert_uint_eq(find(wf, "a"), a); /* the file order is kept */
    size_t de = find(wf, "e"), dd = find(wf, "d");
    ck_assert_uint_eq(sym_workflow_task_dep(wf, de, 0), find(wf, "a"));
    ck_assert_uint_eq(sym_workflow_task_dep(wf, de, 1), find(wf, "c"));
    ck_assert_uint_eq(sym_workflow_task_dep(wf, de, 2), dd);
    ck_assert_uint_eq(sym_workflow_task_dep(wf, de, 3), (size_t)-1);
    ck_assert_uint_eq(sym_workflow_task_dep(wf, dd, 0), find(wf, "a"));
    ck_assert_uint_eq(sym_workflow_task_dep(wf, dd, 1), find(wf, "c"));
    ck_assert_uint_eq(sym_workflow_task_dep(wf, dd, 2), (size_t)-1);
    sym_task_info info;
    sym_task_info_init(&info);
    ck_assert_int_eq(sym_workflow_task_info(wf, find(wf, "c"), &info), SYM_OK);
    ck_assert_ptr_null(info.condition);
    sym_workflow_free(wf);
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

/* A dependency list longer than the short-list limit still finds its
 * repeats. */
START_TEST(repeats_in_a_long_list)
{
    sym_builder *b = sym_builder_new("long");
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "t%d", i);
        add(b, id, "w");
    }
    size_t z = add(b, "z", "w");
    for (size_t i = 0; i < 12; i++)
        ck_assert_int_eq(sym_builder_add_dep(b, z, i), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep_id(b, z, "t10"), SYM_OK);
    sym_error *err = sym_error_new();
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_str_eq(sym_error_text(err, 0), "task 'z' lists 't10' twice in needs");
    /* By index, as it comes: a list past EDGE_SHORT_LIST is not checked at
     * each add, and compile finds the repeat. */
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "t%d", i);
        add(b, id, "w");
    }
    z = add(b, "z", "w");
    for (size_t i = 0; i < 12; i++)
        ck_assert_int_eq(sym_builder_add_dep(b, z, i), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, z, 3), SYM_OK);
    sym_error_clear(err);
    ck_assert_int_eq(sym_builder_build(b, &wf, err), SYM_EINVAL);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_str_eq(sym_error_text(err, 0), "task 'z' lists 't3' twice in needs");
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

/* Big arrays: usable to the last byte, zeroed when asked, grown with their
 * contents; a freed mapping is reused (cleared for calloc) until released. */
START_TEST(big_arrays)
{
    size_t sizes[] = {0, 100, (2u << 20) - 1, 2u << 20, (5u << 20) + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        unsigned char *p = sym__mem_big_calloc(sizes[k], 1);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 64, 0);
        ck_assert_uint_ge(sym__mem_big_room(p), sizes[k]);
        for (size_t i = 0; i < sizes[k]; i += 4096)
            ck_assert_uint_eq(p[i], 0);
        if (sizes[k])
            ck_assert_uint_eq(p[sizes[k] - 1], 0);
        memset(p, 0xab, sizes[k]);
        unsigned char *q = sym__mem_big_realloc(p, sizes[k] * 2 + 1);
        ck_assert_ptr_nonnull(q);
        if (sizes[k])
            ck_assert_uint_eq(q[sizes[k] - 1], 0xab);
        q[sizes[k] * 2] = 1;
        sym__mem_big_free(q);
    }
    ck_assert_ptr_null(sym__mem_big_calloc(SIZE_MAX / 2, 4));
    ck_assert_ptr_null(sym__mem_big_alloc(SIZE_MAX - 10));
    sym__mem_big_free(NULL);
}
END_TEST

START_TEST(big_arrays_are_reused)
{
    const size_t size = 20u << 20;
    sym_release_memory();
    unsigned char *p = sym__mem_big_alloc(size);
    ck_assert_ptr_nonnull(p);
    memset(p, 0xcd, size);
    sym__mem_big_free(p);
    /* Kept: the same block again, cleared for calloc. */
    unsigned char *q = sym__mem_big_calloc(size, 1);
    ck_assert_ptr_eq(q, p);
    for (size_t i = 0; i < size; i += 1000)
        ck_assert_uint_eq(q[i], 0);
    ck_assert_uint_eq(q[size - 1], 0);
    /* A small array does not take a mapping over four times its size. */
    sym__mem_big_free(q);
    unsigned char *small = sym__mem_big_alloc(BIGMEM_MAPPED);
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_ne(small, p);
    sym__mem_big_free(small);
    /* Growing within the room moves nothing; past it, the contents go
     * along. */
    unsigned char *r = sym__mem_big_alloc(size);
    ck_assert_ptr_eq(r, p);
    memset(r, 0x5a, size);
    ck_assert_ptr_eq(sym__mem_big_realloc(r, sym__mem_big_room(r)), r);
    unsigned char *g = sym__mem_big_realloc(r, 3 * size);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g[0], 0x5a);
    ck_assert_uint_eq(g[size - 1], 0x5a);
    g[3 * size - 1] = 1;
    sym__mem_big_free(g);
    ck_assert_uint_ge(sym_release_memory(), 3 * size);
    ck_assert_uint_eq(sym_release_memory(), 0);
}
END_TEST

START_TEST(big_chain_and_fan_out)
{
    const size_t n = 100000;
    sym_builder *b = sym_builder_new("big");
    char id[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "t%zu", i);
        size_t ix = add(b, id, "w");
        if (i > 0)
            ck_assert_int_eq(sym_builder_add_dep(b, ix, i % 2 ? ix - 1 : 0), SYM_OK);
    }
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    ck_assert_uint_eq(sym_workflow_task_count(wf), n);
    ck_assert_uint_eq(find(wf, "t99999"), 99999);
    check_dag(wf);
    sym_workflow_free(wf);
    sym_builder_free(b);
}
END_TEST

/* A random DAG built three ways: each task's dependencies added right
 * after it (kept as CSR while adding), every dependency added once all
 * tasks are there (pairs), and in order until one edge goes back to an
 * earlier task halfway. The three workflows have the same lists; a repeat
 * is reported either way. */
enum { WAYS_N = 3000 };

static void deps_of(uint32_t i, uint32_t out[4], uint32_t *k)
{
    uint64_t x = 0x9E3779B97F4A7C15u * (i + 1);
    *k = 0;
    for (uint32_t t = 0; i > 0 && t < (uint32_t)(x % 4); t++) {
        uint32_t d = (uint32_t)((x >> (8 + 8 * t)) % i);
        bool seen = false;
        for (uint32_t j = 0; j < *k; j++)
            seen |= out[j] == d;
        if (!seen)
            out[(*k)++] = d;
    }
}

static sym_workflow *build_way(int way)
{
    sym_builder *b = sym_builder_new("ways");
    char id[32];
    uint32_t deps[4], k;
    for (uint32_t i = 0; i < WAYS_N; i++) {
        snprintf(id, sizeof id, "t%u", i);
        add(b, id, "w");
        if (way == 1 || (way == 2 && i == WAYS_N / 2))
            continue;
        deps_of(i, deps, &k);
        for (uint32_t j = 0; j < k; j++)
            ck_assert_int_eq(sym_builder_add_dep(b, i, deps[j]), SYM_OK);
    }
    for (uint32_t i = 0; way != 0 && i < WAYS_N; i++) {
        if (way == 2 && i != WAYS_N / 2)
            continue;
        deps_of(i, deps, &k);
        for (uint32_t j = 0; j < k; j++)
            ck_assert_int_eq(sym_builder_add_dep(b, i, deps[j]), SYM_OK);
    }
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    return wf;
}

START_TEST(dependencies_added_in_any_order)
{
    sym_workflow *wf[3];
    for (int way = 0; way < 3; way++)
        wf[way] = build_way(way);
    for (uint32_t i = 0; i < WAYS_N; i++) {
        uint32_t deps[4], k;
        deps_of(i, deps, &k);
        for (int way = 0; way < 3; way++) {
            sym_task_info info;
            sym_task_info_init(&info);
            ck_assert_int_eq(sym_workflow_task_info(wf[way], i, &info), SYM_OK);
            ck_assert_uint_eq(info.dep_count, k);
            for (uint32_t j = 0; j < k; j++) {
                bool listed = false;
                for (uint32_t m = 0; m < k; m++)
                    listed |= sym_workflow_task_dep(wf[way], i, m) == deps[j];
                ck_assert(listed);
            }
        }
    }
    for (int way = 0; way < 3; way++) {
        check_dag(wf[way]);
        sym_workflow_free(wf[way]);
    }
    /* A repeat among a task's own, added as it comes: refused at once. */
    sym_builder *b = sym_builder_new("again");
    size_t a = add(b, "a", "w"), c = add(b, "c", "w");
    ck_assert_int_eq(sym_builder_add_dep(b, c, a), SYM_OK);
    ck_assert_int_eq(sym_builder_add_dep(b, c, a), SYM_EINVAL);
    sym_error *err = sym_error_new();
    sym_workflow *w;
    ck_assert_int_eq(sym_builder_build(b, &w, err), SYM_EINVAL);
    ck_assert_str_eq(sym_error_text(err, 0), "task 'c' lists 'a' twice in needs");
    sym_error_free(err);
    sym_builder_free(b);
}
END_TEST

/* A graph whose tasks have nothing but ids, workers and dependencies keeps
 * no task records (a compact workflow); with one policy set it keeps them
 * all. Both read, export and run the same. */
static sym_workflow *plain_graph(bool one_policy)
{
    sym_builder *b = sym_builder_new("plain");
    char id[32];
    for (unsigned i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "p%u", i);
        size_t ix = add(b, id, i % 4 ? "w" : "v");
        if (i >= 2)
            ck_assert_int_eq(sym_builder_add_dep(b, ix, (i * 7) % i), SYM_OK);
        if (i >= 3)
            ck_assert_int_eq(sym_builder_add_dep(b, ix, i - 1), SYM_OK);
    }
    if (one_policy) {
        sym_task_policy p;
        sym_task_policy_init(&p);
        ck_assert_int_eq(sym_builder_set_policy(b, 10, &p), SYM_OK);
    }
    sym_workflow *wf;
    ck_assert_int_eq(sym_builder_build(b, &wf, NULL), SYM_OK);
    sym_builder_free(b);
    return wf;
}

static int ok_worker(sym_task *task, void *user)
{
    (void)task;
    (void)user;
    return SYM_OK;
}

START_TEST(compact_workflows_read_the_same)
{
    sym_workflow *wf[2] = {plain_graph(false), plain_graph(true)};
    ck_assert_ptr_null(wf[0]->tasks);
    ck_assert_ptr_nonnull(wf[1]->tasks);
    ck_assert_uint_eq(sym_workflow_task_count(wf[0]), sym_workflow_task_count(wf[1]));
    for (size_t i = 0; i < sym_workflow_task_count(wf[0]); i++) {
        sym_task_info a, b;
        sym_task_info_init(&a);
        sym_task_info_init(&b);
        ck_assert_int_eq(sym_workflow_task_info(wf[0], i, &a), SYM_OK);
        ck_assert_int_eq(sym_workflow_task_info(wf[1], i, &b), SYM_OK);
        ck_assert_str_eq(a.id, b.id);
        ck_assert_str_eq(a.name, a.id);
        ck_assert_str_eq(a.worker, b.worker);
        ck_assert_ptr_null(a.inputs);
        ck_assert_ptr_null(a.matrix);
        ck_assert_ptr_null(a.condition);
        ck_assert_mem_eq(a.policy, b.policy, sizeof *a.policy);
        ck_assert_uint_eq(a.dep_count, b.dep_count);
        ck_assert_uint_eq(a.succ_count, b.succ_count);
        for (size_t j = 0; j <= a.dep_count; j++)
            ck_assert_uint_eq(sym_workflow_task_dep(wf[0], i, j), sym_workflow_task_dep(wf[1], i, j));
        ck_assert_uint_eq(find(wf[0], a.id), i);
    }
    check_dag(wf[0]);
    char *dot[2] = {sym_workflow_to_dot(wf[0]), sym_workflow_to_dot(wf[1])};
    char *json[2] = {sym_workflow_to_json(wf[0]), sym_workflow_to_json(wf[1])};
    ck_assert_str_eq(dot[0], dot[1]);
    ck_assert_str_eq(json[0], json[1]);
    for (int k = 0; k < 2; k++) {
        sym_free(dot[k]);
        sym_free(json[k]);
    }
    sym_engine_config cfg;
    sym_engine_config_init(&cfg);
    cfg.threads = 2;
    sym_engine *e;
    ck_assert_int_eq(sym_engine_new(&cfg, &e), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "w", ok_worker, NULL, NULL), SYM_OK);
    ck_assert_int_eq(sym_engine_register(e, "v", ok_worker, NULL, NULL), SYM_OK);
    for (int k = 0; k < 2; k++) {
        sym_run *run;
        ck_assert_int_eq(sym_run_start(e, wf[k], NULL, &run, NULL), SYM_OK);
        ck_assert_int_eq(sym_run_wait(run, -1), SYM_OK);
        ck_assert_int_eq(sym_run_get_status(run), SYM_RUN_SUCCEEDED);
        sym_task_result r;
        sym_task_result_init(&r);
        ck_assert_int_eq(sym_run_task_result(run, 49, &r), SYM_OK);
        ck_assert_str_eq(r.id, "p49");
        ck_assert_str_eq(r.worker, "w");
        sym_run_free(run);
    }
    sym_engine_free(e);
    sym_workflow_free(wf[0]);
    sym_workflow_free(wf[1]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("builder");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, diamond_in_order);
    tcase_add_test(tc, order_is_stable_by_file_order);
    tcase_add_test(tc, matrix_instances_and_edges);
    tcase_add_test(tc, defaults_and_shared_policies);
    tcase_add_test(tc, setter_errors_are_all_reported);
    tcase_add_test(tc, policies_and_infos_of_unknown_versions_are_refused);
    tcase_add_test(tc, compile_errors_from_code);
    tcase_add_test(tc, one_cycle_per_component);
    tcase_add_test(tc, exports);
    tcase_add_test(tc, references);
    tcase_add_test(tc, big_chain_and_fan_out);
    tcase_add_test(tc, dependencies_added_in_any_order);
    tcase_add_test(tc, compact_workflows_read_the_same);
    tcase_add_test(tc, duplicates_among_many_tasks);
    tcase_add_test(tc, id_index_tells_equal_hashes_apart);
    tcase_add_test(tc, needs_by_name_in_turns);
    tcase_add_test(tc, repeats_in_a_long_list);
    tcase_add_test(tc, durations_past_the_format_limit_refused);
    tcase_add_test(tc, nul_in_values_is_refused);
    tcase_add_test(tc, big_arrays);
    tcase_add_test(tc, big_arrays_are_reused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
