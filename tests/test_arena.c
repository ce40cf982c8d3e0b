/* Tests of the arena allocator and strbuf. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "check_main.h"
#include "strbuf.h"

START_TEST(arena_alignment_and_growth)
{
    arena a;
    sym__arena_init(&a);
    char *prev = NULL;
    for (int i = 0; i < 10000; i++) {
        char *p = sym__arena_alloc(&a, (size_t)(i % 13) + 1);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 8, 0);
        ck_assert(p != prev);
        memset(p, 0xab, (size_t)(i % 13) + 1);
        prev = p;
    }
    char *big = sym__arena_alloc(&a, 10u << 20); /* bigger than any block */
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 10u << 20);
    ck_assert_uint_gt(a.bytes, 10u << 20);
    char *s = sym__arena_strndup(&a, "hello world", 5);
    ck_assert_str_eq(s, "hello");
    int *z = sym__arena_calloc(&a, 100, sizeof *z);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(z[i], 0);
    ck_assert_ptr_null(sym__arena_calloc(&a, SIZE_MAX / 2, 4));
    sym__arena_free(&a);
    ck_assert_uint_eq(a.bytes, 0);
}
END_TEST

START_TEST(arena_adopt_moves_blocks)
{
    arena a, b;
    sym__arena_init(&a);
    sym__arena_init(&b);
    char *in_b = sym__arena_strdup(&b, "kept");
    sym__arena_strdup(&a, "a");
    size_t total = a.bytes + b.bytes;
    sym__arena_adopt(&a, &b);
    ck_assert_uint_eq(a.bytes, total);
    ck_assert_uint_eq(b.bytes, 0);
    ck_assert_str_eq(in_b, "kept");
    sym__arena_adopt(&b, &a); /* into an empty arena */
    ck_assert_uint_eq(b.bytes, total);
    sym__arena_free(&a);
    sym__arena_free(&b);
}
END_TEST

START_TEST(strbuf_writes)
{
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, "a");
    sym__sb_putc(&sb, 'b');
    sym__sb_printf(&sb, "%d-%s", 42, "x");
    for (int i = 0; i < 100; i++)
        sym__sb_printf(&sb, "%0100d", i); /* longer than the small buffer */
    ck_assert_uint_eq(sb.len, 6 + 100 * 100);
    sym__sb_json_string(&sb, NULL);
    char *s = sym__sb_finish(&sb);
    ck_assert_int_eq(strncmp(s, "ab42-x", 6), 0);
    ck_assert_str_eq(s + strlen(s) - 4, "null");
    free(s);
    sym__sb_json_stringn(&sb, "a\"b\x1f", 4);
    s = sym__sb_finish(&sb);
    ck_assert_str_eq(s, "\"a\\\"b\\u001f\"");
    free(s);
    sb.failed = true; /* a failure sticks: finish gives NULL */
    sym__sb_puts(&sb, "x");
    ck_assert_ptr_null(sym__sb_finish(&sb));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, arena_alignment_and_growth);
    tcase_add_test(tc, arena_adopt_moves_blocks);
    tcase_add_test(tc, strbuf_writes);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
