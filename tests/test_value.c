/* Tests of sym_value: owned construction, getters, paths, copies, JSON,
 * and arena values. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "strbuf.h"
#include "symphony.h"
#include "value.h"

static sym_value *sample(void)
{
    /* {"name": "etl", "opts": {"retries": 3, "ratio": 0.5}, "items": [1, "two", true, null]} */
    sym_value *m = sym_value_new_map();
    sym_value *opts = sym_value_new_map();
    sym_value *items = sym_value_new_list();
    ck_assert_int_eq(sym_value_map_set(opts, "retries", sym_value_new_int(3)), SYM_OK);
    ck_assert_int_eq(sym_value_map_set(opts, "ratio", sym_value_new_float(0.5)), SYM_OK);
    ck_assert_int_eq(sym_value_list_append(items, sym_value_new_int(1)), SYM_OK);
    ck_assert_int_eq(sym_value_list_append(items, sym_value_new_string("two")), SYM_OK);
    ck_assert_int_eq(sym_value_list_append(items, sym_value_new_bool(true)), SYM_OK);
    ck_assert_int_eq(sym_value_list_append(items, sym_value_new_null()), SYM_OK);
    ck_assert_int_eq(sym_value_map_set(m, "name", sym_value_new_string("etl")), SYM_OK);
    ck_assert_int_eq(sym_value_map_set(m, "opts", opts), SYM_OK);
    ck_assert_int_eq(sym_value_map_set(m, "items", items), SYM_OK);
    return m;
}

START_TEST(getters_and_types)
{
    sym_value *m = sample();
    ck_assert_int_eq(sym_value_type_of(m), SYM_VALUE_MAP);
    ck_assert_uint_eq(sym_value_count(m), 3);
    ck_assert_str_eq(sym_value_key_at(m, 0), "name");
    ck_assert_str_eq(sym_value_key_at(m, 2), "items");
    ck_assert_ptr_null(sym_value_key_at(m, 3));
    size_t len = 0;
    ck_assert_str_eq(sym_value_string(sym_value_get(m, "name"), &len), "etl");
    ck_assert_uint_eq(len, 3);
    int64_t i = 0;
    ck_assert_int_eq(sym_value_get_int(sym_value_path(m, "opts.retries"), &i), SYM_OK);
    ck_assert_int_eq(i, 3);
    double f = 0;
    ck_assert_int_eq(sym_value_get_float(sym_value_path(m, "opts.ratio"), &f), SYM_OK);
    ck_assert(f == 0.5);
    ck_assert_int_eq(sym_value_get_float(sym_value_path(m, "opts.retries"), &f), SYM_OK);
    ck_assert(f == 3.0);
    bool b = false;
    ck_assert_int_eq(sym_value_get_bool(sym_value_path(m, "items[2]"), &b), SYM_OK);
    ck_assert(b);
    ck_assert_int_eq(sym_value_get_bool(sym_value_path(m, "items[0]"), &b), SYM_ETYPE);
    ck_assert_int_eq(sym_value_get_int(NULL, &i), SYM_EINVAL);
    ck_assert_int_eq(sym_value_type_of(sym_value_path(m, "items[3]")), SYM_VALUE_NULL);
    ck_assert_ptr_nonnull(sym_value_path(m, "items[3]"));
    ck_assert_str_eq(sym_value_string(sym_value_path(m, "items[1]"), NULL), "two");
    ck_assert_ptr_null(sym_value_string(sym_value_path(m, "items[0]"), NULL));
    ck_assert_str_eq(sym_value_type_name(SYM_VALUE_LIST), "list");
    sym_value_free(m);
}
END_TEST

START_TEST(bad_paths)
{
    sym_value *m = sample();
    const char *bad[] = {"missing", "items[9]", "items[x]", "items[1", "opts.", ".opts",
                         "name.x", "opts[0]", "items.0", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const sym_value *v = sym_value_path(m, bad[k]);
        /* "" names the value itself; everything else here is missing */
        if (bad[k][0] == '\0')
            ck_assert_ptr_eq(v, m);
        else
            ck_assert_msg(v == NULL, "path '%s' should not resolve", bad[k]);
    }
    ck_assert_ptr_null(sym_value_path(m, NULL));
    sym_value_free(m);
}
END_TEST

START_TEST(map_set_replaces)
{
    sym_value *m = sym_value_new_map();
    ck_assert_int_eq(sym_value_map_set(m, "k", sym_value_new_int(1)), SYM_OK);
    ck_assert_int_eq(sym_value_map_set(m, "k", sym_value_new_string("x")), SYM_OK);
    ck_assert_uint_eq(sym_value_count(m), 1);
    ck_assert_str_eq(sym_value_string(sym_value_get(m, "k"), NULL), "x");
    /* a non-owned or wrong-type target refuses and frees the item */
    sym_value *s = sym_value_new_string("s");
    ck_assert_int_eq(sym_value_map_set(s, "k", sym_value_new_int(1)), SYM_EINVAL);
    ck_assert_int_eq(sym_value_list_append(m, sym_value_new_int(1)), SYM_EINVAL);
    ck_assert_int_eq(sym_value_list_append(m, NULL), SYM_EINVAL);
    sym_value_free(s);
    sym_value_free(m);
}
END_TEST

START_TEST(utf8_is_checked)
{
    ck_assert_ptr_null(sym_value_new_string("\xff"));
    ck_assert_ptr_null(sym_value_new_string("\xc0\xaf"));         /* overlong */
    ck_assert_ptr_null(sym_value_new_string("\xed\xa0\x80"));     /* surrogate */
    ck_assert_ptr_null(sym_value_new_stringn("\xe2\x82", 2));     /* truncated */
    sym_value *ok = sym_value_new_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5");
    ck_assert_ptr_nonnull(ok);
    sym_value_free(ok);
    sym_value *nul = sym_value_new_stringn("a\0b", 3);
    size_t len;
    ck_assert_ptr_nonnull(sym_value_string(nul, &len));
    ck_assert_uint_eq(len, 3);
    sym_value_free(nul);
}
END_TEST

START_TEST(json_rendering)
{
    sym_value *m = sample();
    char *json = sym_value_to_json(m);
    ck_assert_str_eq(json, "{\"name\":\"etl\",\"opts\":{\"retries\":3,\"ratio\":0.5},"
                           "\"items\":[1,\"two\",true,null]}");
    sym_free(json);
    sym_value *s = sym_value_new_stringn("q\"\\\n\t\x01", 6);
    json = sym_value_to_json(s);
    ck_assert_str_eq(json, "\"q\\\"\\\\\\n\\t\\u0001\"");
    sym_free(json);
    sym_value_free(s);
    sym_value *f = sym_value_new_float(2.0);
    json = sym_value_to_json(f);
    ck_assert_str_eq(json, "2.0");
    sym_free(json);
    sym_value_free(f);
    f = sym_value_new_float(NAN);
    json = sym_value_to_json(f);
    ck_assert_str_eq(json, "null");
    sym_free(json);
    sym_value_free(f);
    f = sym_value_new_float(0.1);
    json = sym_value_to_json(f);
    ck_assert_str_eq(json, "0.1");
    sym_free(json);
    sym_value_free(f);
    json = sym_value_to_json(NULL);
    ck_assert_str_eq(json, "null");
    sym_free(json);
    sym_value_free(m);
}
END_TEST

START_TEST(copy_and_equal)
{
    sym_value *m = sample();
    sym_value *c = sym_value_copy(m);
    ck_assert(sym_value_equal(m, c));
    ck_assert_int_eq(sym_value_map_set(c, "name", sym_value_new_string("other")), SYM_OK);
    ck_assert(!sym_value_equal(m, c));
    /* a copy is owned and mutable on its own */
    ck_assert_int_eq(sym_value_map_set(c, "extra", sym_value_new_int(1)), SYM_OK);
    ck_assert_uint_eq(sym_value_count(m), 3);
    sym_value *i1 = sym_value_new_int(1), *f1 = sym_value_new_float(1.0);
    ck_assert(!sym_value_equal(i1, f1));
    sym_value_free(i1);
    sym_value_free(f1);
    sym_value_free(c);
    sym_value_free(m);
}
END_TEST

/* A copy holds exactly its elements; appending to it, and growing lists
 * and maps past each power of two, keeps every element. */
START_TEST(copies_grow_like_new_values)
{
    sym_value *list = sym_value_new_list(), *map = sym_value_new_map();
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(sym_value_list_append(list, sym_value_new_int(i)), SYM_OK);
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(sym_value_map_set(map, key, sym_value_new_int(i)), SYM_OK);
    }
    sym_value *lc = sym_value_copy(list), *mc = sym_value_copy(map);
    for (int i = 5; i < 300; i++) {
        ck_assert_int_eq(sym_value_list_append(lc, sym_value_new_int(i)), SYM_OK);
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(sym_value_map_set(mc, key, sym_value_new_int(i)), SYM_OK);
    }
    ck_assert_uint_eq(sym_value_count(lc), 300);
    ck_assert_uint_eq(sym_value_count(mc), 300);
    for (int i = 0; i < 300; i++) {
        int64_t x = -1, y = -1;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(sym_value_get_int(sym_value_at(lc, (size_t)i), &x), SYM_OK);
        ck_assert_int_eq(sym_value_get_int(sym_value_get(mc, key), &y), SYM_OK);
        ck_assert(x == i && y == i);
    }
    ck_assert_uint_eq(sym_value_count(list), 5);
    sym_value_free(lc);
    sym_value_free(mc);
    sym_value_free(list);
    sym_value_free(map);
}
END_TEST

START_TEST(arena_values)
{
    arena a;
    sym__arena_init(&a);
    sym_value *m = sample();
    sym_value in_arena;
    ck_assert_int_eq(sym__value_copy_to_arena(&in_arena, m, &a), SYM_OK);
    sym_value_free(m);
    ck_assert_int_eq(sym_value_type_of(&in_arena), SYM_VALUE_MAP);
    ck_assert_str_eq(sym_value_string(sym_value_path(&in_arena, "items[1]"), NULL), "two");
    /* arena values are read-only: mutators refuse, free ignores */
    sym_value_free(&in_arena);
    ck_assert_int_eq(sym_value_map_set(&in_arena, "x", sym_value_new_int(1)), SYM_EINVAL);
    /* and an owned copy of an arena value is independent */
    sym_value *back = sym_value_copy(&in_arena);
    ck_assert(sym_value_equal(back, &in_arena));
    sym_value_free(back);
    sym__arena_free(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("value");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, getters_and_types);
    tcase_add_test(tc, bad_paths);
    tcase_add_test(tc, map_set_replaces);
    tcase_add_test(tc, utf8_is_checked);
    tcase_add_test(tc, json_rendering);
    tcase_add_test(tc, copy_and_equal);
    tcase_add_test(tc, copies_grow_like_new_values);
    tcase_add_test(tc, arena_values);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
