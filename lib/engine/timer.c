/* timer.c - a binary min-heap of entries serviced by one thread. */
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* With a manual clock nothing moves between pokes; still look again now
 * and then so that a missed poke only delays, never hangs. */
#define MAX_WAIT_NS 200000000LL

static bool earlier(const timer_entry *a, const timer_entry *b)
{
    return a->due < b->due;
}

static void heap_set(timer *t, size_t i, timer_entry *e)
{
    t->heap[i] = e;
    e->pos = i + 1;
}

static void sift_up(timer *t, size_t i)
{
    timer_entry *e = t->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(e, t->heap[parent]))
            break;
        heap_set(t, i, t->heap[parent]);
        i = parent;
    }
    heap_set(t, i, e);
}

static void sift_down(timer *t, size_t i)
{
    timer_entry *e = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->len)
            break;
        if (c + 1 < t->len && earlier(t->heap[c + 1], t->heap[c]))
            c++;
        if (!earlier(t->heap[c], e))
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, e);
}

static void heap_remove(timer *t, timer_entry *e)
{
    size_t i = e->pos - 1;
    e->pos = 0;
    t->len--;
    if (i == t->len)
        return;
    heap_set(t, i, t->heap[t->len]);
    sift_down(t, i);
    sift_up(t, t->heap[i]->pos - 1);
}

static int64_t now(timer *t)
{
    return t->clock(t->clock_user);
}

static void wait_real(timer *t, int64_t ns)
{
    if (ns > MAX_WAIT_NS)
        ns = MAX_WAIT_NS;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ns / 1000000000LL;
    ts.tv_nsec += ns % 1000000000LL;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
}

static void *timer_main(void *arg)
{
    timer *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        if (t->len == 0) {
            wait_real(t, MAX_WAIT_NS);
            continue;
        }
        timer_entry *e = t->heap[0];
        int64_t wait = e->due - now(t);
        if (wait > 0) {
            wait_real(t, wait);
            continue;
        }
        heap_remove(t, e);
        t->firing = e;
        pthread_mutex_unlock(&t->mu);
        e->fire(e);
        pthread_mutex_lock(&t->mu);
        t->firing = NULL;
        pthread_cond_broadcast(&t->done_cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int sym__timer_init(timer *t, sym_clock_fn clock, void *clock_user)
{
    *t = (timer){0};
    t->clock = clock;
    t->clock_user = clock_user;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&t->done_cv, NULL);
    pthread_mutex_init(&t->mu, NULL);
    if (pthread_create(&t->th, NULL, timer_main, t) != 0) {
        pthread_cond_destroy(&t->cv);
        pthread_cond_destroy(&t->done_cv);
        pthread_mutex_destroy(&t->mu);
        return SYM_ENOMEM;
    }
    t->started = true;
    return SYM_OK;
}

void sym__timer_destroy(timer *t)
{
    if (!t->started)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    free(t->heap);
    pthread_cond_destroy(&t->cv);
    pthread_cond_destroy(&t->done_cv);
    pthread_mutex_destroy(&t->mu);
    t->started = false;
}

int sym__timer_add(timer *t, timer_entry *e)
{
    pthread_mutex_lock(&t->mu);
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        timer_entry **h = realloc(t->heap, cap * sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&t->mu);
            return SYM_ENOMEM;
        }
        t->heap = h;
        t->cap = cap;
    }
    t->heap[t->len] = e;
    e->pos = ++t->len;
    sift_up(t, t->len - 1);
    /* Only a new earliest entry changes how long the thread should wait. */
    if (t->heap[0] == e)
        pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return SYM_OK;
}

bool sym__timer_cancel(timer *t, timer_entry *e)
{
    pthread_mutex_lock(&t->mu);
    bool removed = e->pos != 0;
    if (removed)
        heap_remove(t, e);
    else if (!pthread_equal(pthread_self(), t->th))
        while (t->firing == e)
            pthread_cond_wait(&t->done_cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    return removed;
}

void sym__timer_poke(timer *t)
{
    pthread_mutex_lock(&t->mu);
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}
