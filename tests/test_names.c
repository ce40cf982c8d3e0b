/* Tests of the name grammar and did-you-mean suggestions. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "names.h"

START_TEST(task_ids)
{
    ck_assert(sym__name_is_task_id("load"));
    ck_assert(sym__name_is_task_id("_x-1"));
    ck_assert(!sym__name_is_task_id("9lives"));
    ck_assert(!sym__name_is_task_id("a.b"));
    ck_assert(!sym__name_is_task_id(""));
    ck_assert(!sym__name_is_task_id(NULL));
    char id[80];
    memset(id, 'a', 64);
    id[64] = '\0';
    ck_assert(sym__name_is_task_id(id));
    id[64] = 'a';
    id[65] = '\0';
    ck_assert(!sym__name_is_task_id(id));
}
END_TEST

START_TEST(workers_and_identifiers)
{
    ck_assert(sym__name_is_worker("http.get"));
    ck_assert(sym__name_is_worker("9-a_b.c"));
    ck_assert(!sym__name_is_worker("a b"));
    ck_assert(!sym__name_is_worker(""));
    ck_assert(sym__name_is_workflow("nightly-etl.v2"));
    ck_assert(!sym__name_is_workflow("nightly etl"));
    ck_assert(sym__name_is_identifier("shards"));
    ck_assert(!sym__name_is_identifier("sh-ards"));
    ck_assert(!sym__name_is_identifier("1x"));
}
END_TEST

START_TEST(suggestions)
{
    const char *keys[] = {"worker", "needs", "with", "timeout", "retry", "trigger"};
    size_t n = sizeof keys / sizeof keys[0];
    ck_assert_str_eq(sym__did_you_mean("need", keys, n, sizeof keys[0]), "needs");
    ck_assert_str_eq(sym__did_you_mean("wroker", keys, n, sizeof keys[0]), "worker");
    ck_assert_str_eq(sym__did_you_mean("timout", keys, n, sizeof keys[0]), "timeout");
    ck_assert_ptr_null(sym__did_you_mean("banana", keys, n, sizeof keys[0]));
    ck_assert_ptr_null(sym__did_you_mean("x", keys, n, sizeof keys[0]));
    struct {
        const char *id;
        int other;
    } tasks[] = {{"extract", 1}, {"transform", 2}, {"load", 3}};
    ck_assert_str_eq(sym__did_you_mean("trnsform", tasks, 3, sizeof tasks[0]), "transform");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, task_ids);
    tcase_add_test(tc, workers_and_identifiers);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
