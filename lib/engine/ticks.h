/* ticks.h - reading the engine's default clock (CLOCK_MONOTONIC) often and
 * cheaply, for the end of every attempt on the hot path.
 *
 * A vDSO clock_gettime costs about 24 ns on the machines we measure on, a
 * quarter of the engine's budget per task; the CPU's time-stamp counter
 * costs about 10. Where the kernel keeps CLOCK_MONOTONIC on that counter
 * (x86-64, clocksource "tsc"), each pool thread reads the clock itself at
 * most every TICKS_SPAN_NS and, in between, adds the counter's advance at
 * the rate it measured between two of its readings. A value so made is
 * within a few hundred nanoseconds of the clock's (the counter and the
 * clock drift apart by NTP's slew, at most 500 ppm), never below the
 * thread's previous value, and it is what a reading of the clock would
 * have given, give or take that. Elsewhere, or before the rate is known,
 * every call reads the clock. */
#ifndef SYM_TICKS_H
#define SYM_TICKS_H

#include <stdbool.h>
#include <stdint.h>

#include "symphony.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#define TICKS_HAVE_COUNTER 1
#else
#define TICKS_HAVE_COUNTER 0
#endif

/* How long the counter alone carries the clock, and the least span a rate
 * is measured over. */
#define TICKS_SPAN_NS 1000000

typedef struct ticks_clock {
    uint64_t at;        /* the counter at the latest reading of the clock */
    int64_t ns;         /* that reading */
    uint64_t base_at;   /* the reading the rate is measured from */
    int64_t base_ns;
    uint64_t mult;      /* ns per tick << 32; 0 until measured */
    uint64_t span;      /* TICKS_SPAN_NS in ticks */
    int64_t last;       /* the latest value given */
} ticks_clock;

/* Whether this machine's CLOCK_MONOTONIC runs on the counter (checked once
 * per engine). */
bool sym__ticks_usable(void);

/* Reads the clock, and notes the counter beside it. */
int64_t sym__ticks_read(ticks_clock *c, sym_clock_fn clock, void *user);

/* CLOCK_MONOTONIC through c (see above); c is one thread's own. */
static inline int64_t ticks_now(ticks_clock *c, sym_clock_fn clock, void *user)
{
#if TICKS_HAVE_COUNTER
    uint64_t d = __rdtsc() - c->at;
    if (c->mult != 0 && d < c->span) {
        int64_t v = c->ns + (int64_t)((d * c->mult) >> 32);
        if (v < c->last)
            v = c->last;
        return c->last = v;
    }
#endif
    return sym__ticks_read(c, clock, user);
}

#endif
