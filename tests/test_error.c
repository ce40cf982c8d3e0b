/* Tests of sym_error lists, the diag sink and sym_strerror. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "error.h"
#include "symphony.h"

START_TEST(entries_and_text)
{
    sym_error *e = sym_error_new();
    ck_assert_uint_eq(sym_error_count(e), 0);
    sym__error_add(e, SYM_ESCHEMA, "etl.yaml", 14, 5, "unknown key '%s'", "need");
    sym__error_add(e, SYM_ECYCLE, "etl.yaml", 0, 0, "cycle: a -> b -> a");
    sym__error_add(e, SYM_EINVAL, NULL, 0, 0, "bad argument");
    ck_assert_uint_eq(sym_error_count(e), 3);
    ck_assert_int_eq(sym_error_code(e, 0), SYM_ESCHEMA);
    ck_assert_str_eq(sym_error_message(e, 0), "unknown key 'need'");
    ck_assert_str_eq(sym_error_file(e, 0), "etl.yaml");
    ck_assert_uint_eq(sym_error_line(e, 0), 14);
    ck_assert_uint_eq(sym_error_column(e, 0), 5);
    ck_assert_str_eq(sym_error_text(e, 0), "etl.yaml:14:5: unknown key 'need'");
    ck_assert_str_eq(sym_error_text(e, 1), "etl.yaml: cycle: a -> b -> a");
    ck_assert_str_eq(sym_error_text(e, 2), "bad argument");
    ck_assert_ptr_null(sym_error_file(e, 2));
    ck_assert_ptr_null(sym_error_text(e, 3));
    ck_assert_int_eq(sym_error_code(e, 3), SYM_OK);
    sym_error_clear(e);
    ck_assert_uint_eq(sym_error_count(e), 0);
    ck_assert_ptr_null(sym_error_message(e, 0));
    sym_error_free(e);
    sym_error_free(NULL);
    ck_assert_uint_eq(sym_error_count(NULL), 0);
    ck_assert_int_eq(sym__error_add(NULL, SYM_EINVAL, NULL, 0, 0, "ignored"), SYM_EINVAL);
}
END_TEST

START_TEST(diag_limit)
{
    sym_error *e = sym_error_new();
    diag d;
    sym__diag_init(&d, e, "f.yaml", 3);
    ck_assert_int_eq(d.first, SYM_OK);
    for (int i = 0; i < 5; i++) {
        ck_assert(!sym__diag_full(&d) || i >= 3);
        sym__diag_add(&d, i == 0 ? SYM_ESYNTAX : SYM_ESCHEMA, (unsigned)i + 1, 2, "error %d", i);
    }
    ck_assert(sym__diag_full(&d));
    ck_assert_int_eq(d.first, SYM_ESYNTAX);
    ck_assert_uint_eq(sym_error_count(e), 3);
    ck_assert_uint_eq(sym_error_dropped(e), 2);
    ck_assert_str_eq(sym_error_text(e, 2), "f.yaml:3:2: error 2");
    sym_error_free(e);
}
END_TEST

START_TEST(strerror_texts)
{
    ck_assert_str_eq(sym_strerror(SYM_OK), "success");
    ck_assert_str_eq(sym_strerror(SYM_ENOMEM), "out of memory");
    ck_assert_str_eq(sym_strerror(SYM_ECYCLE), "dependency cycle");
    ck_assert_str_eq(sym_strerror(12345), "unknown error");
    for (int c = SYM_EINVAL; c >= SYM_ETYPE; c--)
        ck_assert_str_ne(sym_strerror(c), "unknown error");
    ck_assert_str_eq(sym_version(), SYM_VERSION_STRING);
    ck_assert_uint_eq(sym_version_number(), SYM_VERSION_NUMBER);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, entries_and_text);
    tcase_add_test(tc, diag_limit);
    tcase_add_test(tc, strerror_texts);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
