/* ticks.c - the clock read through the time-stamp counter; see ticks.h. */
#include "ticks.h"

#include <stdio.h>
#include <string.h>

bool sym__ticks_usable(void)
{
#if TICKS_HAVE_COUNTER && defined(__linux__)
    /* The kernel keeps CLOCK_MONOTONIC on the counter only once it has
     * found it stable and in step across CPUs. */
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                    "re"); /* "e": close-on-exec (glibc, musl) */
    if (!f)
        return false;
    char name[32] = "";
    bool tsc = fgets(name, sizeof name, f) && strcmp(name, "tsc\n") == 0;
    fclose(f);
    return tsc;
#else
    return false;
#endif
}

#if TICKS_HAVE_COUNTER
/* A reading of the clock is paired with the counter read just before and
 * just after it; a pair further apart than this (the thread was preempted
 * in between) would put every value made from it off by as much. */
enum { READ_MAX_TICKS = 20000 };

/* The rate is believed only between 0.05 and 20 ns per tick (50 MHz to
 * 20 GHz), in 32.32 fixed point. */
static const uint64_t MULT_MIN = (uint64_t)1 << 27, MULT_MAX = (uint64_t)20 << 32;

static void note_reading(ticks_clock *c, uint64_t at, int64_t now)
{
    if (c->base_ns == 0 || at <= c->base_at || now <= c->base_ns) {
        c->base_at = at;
        c->base_ns = now;
    } else if (now - c->base_ns >= TICKS_SPAN_NS) {
        double mult = (double)(now - c->base_ns) / (double)(at - c->base_at) * 4294967296.0;
        if (mult >= (double)MULT_MIN && mult <= (double)MULT_MAX) {
            c->mult = (uint64_t)mult;
            c->span = ((uint64_t)TICKS_SPAN_NS << 32) / c->mult;
        } else {
            c->mult = 0; /* not believable: read the clock until measured again */
        }
        c->base_at = at;
        c->base_ns = now;
    }
    c->at = at;
    c->ns = now;
}
#endif

int64_t sym__ticks_read(ticks_clock *c, sym_clock_fn clock, void *user)
{
#if TICKS_HAVE_COUNTER
    uint64_t before = __rdtsc();
    int64_t now = clock(user);
    uint64_t after = __rdtsc();
    if (after - before <= READ_MAX_TICKS)
        note_reading(c, before + (after - before) / 2, now);
    else
        c->at = after - c->span; /* the next call reads the clock again */
#else
    int64_t now = clock(user);
#endif
    if (now < c->last)
        now = c->last;
    return c->last = now;
}
