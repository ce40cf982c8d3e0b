/* Tests of the default clock read through the time-stamp counter
 * (ticks.h): its values stay within reach of CLOCK_MONOTONIC, never go
 * back, and where the counter is usable most of them come without a
 * reading of the clock. */
#include <check.h>
#include <stdint.h>
#include <time.h>

#include "check_main.h"
#include "ticks.h"

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned clock_calls;

static int64_t counted_mono(void *user)
{
    (void)user;
    clock_calls++;
    return mono();
}

/* Generous: sanitizer and valgrind builds run this too, on shared cores. */
enum { TOLERANCE_NS = 200000 };

START_TEST(follows_the_monotonic_clock)
{
    ticks_clock c = {0};
    clock_calls = 0;
    int64_t prev = 0, start = mono();
    unsigned calls = 0;
    while (mono() - start < 30 * (int64_t)TICKS_SPAN_NS) {
        int64_t before = mono();
        int64_t v = ticks_now(&c, counted_mono, NULL);
        int64_t after = mono();
        calls++;
        ck_assert_int_ge(v, prev);
        ck_assert_int_ge(v, before - TOLERANCE_NS);
        ck_assert_int_le(v, after + TOLERANCE_NS);
        prev = v;
    }
    if (sym__ticks_usable()) {
        /* One reading per span or so, after the first millisecond. */
        ck_assert_uint_ne(c.mult, 0);
        ck_assert_uint_lt(clock_calls, calls / 2);
    } else if (!TICKS_HAVE_COUNTER) {
        ck_assert_uint_eq(clock_calls, calls);
    }
}
END_TEST

/* A clock that steps back (a host's own clock may): the values hold. */
static int64_t fake_now;

static int64_t fake_clock(void *user)
{
    (void)user;
    return fake_now;
}

START_TEST(never_goes_back)
{
    ticks_clock c = {0};
    fake_now = 5000000;
    ck_assert_int_eq(sym__ticks_read(&c, fake_clock, NULL), 5000000);
    fake_now = 4000000;
    ck_assert_int_eq(sym__ticks_read(&c, fake_clock, NULL), 5000000);
    fake_now = 9000000;
    ck_assert_int_eq(sym__ticks_read(&c, fake_clock, NULL), 9000000);
}
END_TEST

/* A rate nobody could believe (the clock ran a second in a few ticks) is
 * not used: every value is a fresh reading. */
START_TEST(an_unbelievable_rate_is_dropped)
{
    ticks_clock c = {0};
    fake_now = 1000;
    sym__ticks_read(&c, fake_clock, NULL);
    fake_now = 1000 + 1000000000000; /* a thousand seconds later, at once */
    sym__ticks_read(&c, fake_clock, NULL);
    ck_assert_uint_eq(c.mult, 0);
    fake_now += 7;
    ck_assert_int_eq(ticks_now(&c, fake_clock, NULL), fake_now);
}
END_TEST

static Suite *ticks_suite(void)
{
    Suite *s = suite_create("ticks");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, follows_the_monotonic_clock);
    tcase_add_test(tc, never_goes_back);
    tcase_add_test(tc, an_unbelievable_rate_is_dropped);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ticks_suite)
