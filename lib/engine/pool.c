/* pool.c - threads, work-stealing deques, the injection queue, sleeping and
 * waking, and resizing while work goes on. */
#include "pool.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "symphony.h"

/* ---- Chase-Lev deque (Le, Pop, Cohen, Zappa Nardelli, PPoPP 2013) ---- */

typedef struct dq_cell {
    _Atomic(void *) ptr;
    _Atomic uint32_t index, count;
} dq_cell;

typedef struct dq_array {
    int64_t size; /* a power of two */
    struct dq_array *older; /* retired arrays, freed with the deque */
    dq_cell cells[];
} dq_array;

typedef struct deque {
    _Alignas(64) _Atomic int64_t top; /* thieves take here */
    _Alignas(64) _Atomic int64_t bottom; /* the owner works here */
    _Atomic(dq_array *) array;
} deque;

enum { DQ_EMPTY = 0, DQ_GOT = 1, DQ_ABORT = 2 };

static dq_array *dq_array_new(int64_t size)
{
    dq_array *a = calloc(1, sizeof *a + (size_t)size * sizeof(dq_cell));
    if (a)
        a->size = size;
    return a;
}

static int dq_init(deque *q)
{
    atomic_init(&q->top, 0);
    atomic_init(&q->bottom, 0);
    dq_array *a = dq_array_new(256);
    atomic_init(&q->array, a);
    return a ? SYM_OK : SYM_ENOMEM;
}

static void dq_destroy(deque *q)
{
    dq_array *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    while (a) {
        dq_array *older = a->older;
        free(a);
        a = older;
    }
}

static void cell_put(dq_array *a, int64_t i, pool_item it)
{
    dq_cell *c = &a->cells[i & (a->size - 1)];
    atomic_store_explicit(&c->ptr, it.ptr, memory_order_relaxed);
    atomic_store_explicit(&c->index, it.index, memory_order_relaxed);
    atomic_store_explicit(&c->count, it.count, memory_order_relaxed);
}

static pool_item cell_get(dq_array *a, int64_t i)
{
    dq_cell *c = &a->cells[i & (a->size - 1)];
    pool_item it = {atomic_load_explicit(&c->ptr, memory_order_relaxed),
                    atomic_load_explicit(&c->index, memory_order_relaxed),
                    atomic_load_explicit(&c->count, memory_order_relaxed)};
    return it;
}

/* Doubles the array; the old one stays readable for thieves until the
 * deque is destroyed. Owner only. */
static dq_array *dq_grow(deque *q, dq_array *a, int64_t top, int64_t bottom)
{
    dq_array *b = dq_array_new(a->size * 2);
    if (!b)
        return NULL;
    for (int64_t i = top; i < bottom; i++)
        cell_put(b, i, cell_get(a, i));
    b->older = a;
    atomic_store_explicit(&q->array, b, memory_order_release);
    return b;
}

/* Makes room for n more items, so that n pushes cannot fail. Owner
 * only. */
static int dq_reserve(deque *q, int64_t n)
{
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
    dq_array *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    while (b - t + n > a->size - 1) {
        a = dq_grow(q, a, t, b);
        if (!a)
            return SYM_ENOMEM;
    }
    return SYM_OK;
}

static int dq_push(deque *q, pool_item it)
{
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
    dq_array *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    if (b - t > a->size - 1) {
        a = dq_grow(q, a, t, b);
        if (!a)
            return SYM_ENOMEM;
    }
    cell_put(a, b, it);
    /* Seq_cst (not fence + relaxed): it publishes the item, and orders
     * this store before the caller's load of the sleeper count (see
     * notify); thread sanitizers understand it, unlike fences. */
    atomic_store_explicit(&q->bottom, b + 1, memory_order_seq_cst);
    return SYM_OK;
}

static int dq_take(deque *q, pool_item *out)
{
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed) - 1;
    dq_array *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    /* The store must be seen before top is read (the classic fence). */
    atomic_store_explicit(&q->bottom, b, memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&q->top, memory_order_seq_cst);
    if (t > b) {
        atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
        return DQ_EMPTY;
    }
    *out = cell_get(a, b);
    if (t == b) {
        /* The last item: race the thieves for it. */
        bool won = atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1,
                                                           memory_order_seq_cst,
                                                           memory_order_relaxed);
        atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
        return won ? DQ_GOT : DQ_EMPTY;
    }
    return DQ_GOT;
}

static int dq_steal(deque *q, pool_item *out)
{
    int64_t t = atomic_load_explicit(&q->top, memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_seq_cst);
    if (t >= b)
        return DQ_EMPTY;
    dq_array *a = atomic_load_explicit(&q->array, memory_order_acquire);
    pool_item it = cell_get(a, t);
    if (!atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return DQ_ABORT;
    *out = it;
    return DQ_GOT;
}

/* ---- the pool ---- */

enum { SLOT_RUNNING = 1, SLOT_EXITING, SLOT_EXITED };

struct pool_slot {
    deque dq;
    pool *p;
    unsigned index;
    int state;   /* SLOT_*, under p->mu */
    bool joined; /* under p->mu */
    pthread_t th;
    uint64_t rng; /* victim choice; owner only */
    void *data;
};

struct pool {
    pool_hooks hooks;
    pthread_mutex_t resize_mu; /* one resize at a time */
    pthread_mutex_t mu;        /* slots, states */
    pool_slot *slots[POOL_MAX_THREADS];
    _Atomic unsigned nslots; /* slots ever made */
    _Atomic unsigned target; /* wanted thread count */
    atomic_bool stop;

    pthread_mutex_t inj_mu;
    pool_item *inj; /* a ring */
    size_t inj_head, inj_len, inj_cap;
    _Atomic size_t inj_count; /* lets idle threads skip the lock */

    pthread_mutex_t sleep_mu;
    pthread_cond_t sleep_cv;
    _Atomic unsigned sleepers;
    _Atomic unsigned idle; /* threads looking for work, asleep or not */
    _Atomic uint64_t epoch;
};

unsigned sym__pool_slot_index(const pool_slot *slot)
{
    return slot->index;
}

void *sym__pool_slot_data(pool_slot *slot)
{
    return slot->data;
}

static void wake(pool *p, bool all)
{
    pthread_mutex_lock(&p->sleep_mu);
    atomic_fetch_add(&p->epoch, 1);
    if (all)
        pthread_cond_broadcast(&p->sleep_cv);
    else
        pthread_cond_signal(&p->sleep_cv);
    pthread_mutex_unlock(&p->sleep_mu);
}

/* After a push (whose publishing store was seq_cst): wake a sleeper only
 * if there is one. A sleeper counts itself before it looks at the queues
 * once more, so either it sees the item or this sees it. */
static void notify(pool *p)
{
    if (atomic_load_explicit(&p->sleepers, memory_order_seq_cst) > 0)
        wake(p, false);
}

static int inj_reserve(pool *p, size_t more)
{
    if (p->inj_len + more <= p->inj_cap)
        return SYM_OK;
    size_t cap = p->inj_cap ? p->inj_cap : 64;
    while (cap < p->inj_len + more)
        cap *= 2;
    pool_item *n = malloc(cap * sizeof *n);
    if (!n)
        return SYM_ENOMEM;
    for (size_t i = 0; i < p->inj_len; i++)
        n[i] = p->inj[(p->inj_head + i) % p->inj_cap];
    free(p->inj);
    p->inj = n;
    p->inj_head = 0;
    p->inj_cap = cap;
    return SYM_OK;
}

int sym__pool_push_many(pool *p, const pool_item *items, size_t n)
{
    if (n == 0)
        return SYM_OK;
    pthread_mutex_lock(&p->inj_mu);
    int rc = inj_reserve(p, n);
    if (rc == SYM_OK) {
        for (size_t i = 0; i < n; i++)
            p->inj[(p->inj_head + p->inj_len + i) % p->inj_cap] = items[i];
        p->inj_len += n;
        atomic_store(&p->inj_count, p->inj_len);
    }
    pthread_mutex_unlock(&p->inj_mu);
    if (rc == SYM_OK && atomic_load(&p->sleepers) > 0)
        wake(p, n > 1);
    return rc;
}

bool sym__pool_has_idle(pool *p)
{
    return atomic_load_explicit(&p->idle, memory_order_relaxed) > 0;
}

int sym__pool_push(pool *p, pool_slot *slot, pool_item item)
{
    if (slot && dq_push(&slot->dq, item) == SYM_OK) {
        notify(p);
        return SYM_OK;
    }
    return sym__pool_push_many(p, &item, 1);
}

/* Takes a share of the injection queue: one item to run, more onto the own
 * deque so that others can steal them. */
static bool inj_take(pool *p, pool_slot *s, pool_item *out)
{
    if (atomic_load_explicit(&p->inj_count, memory_order_seq_cst) == 0)
        return false;
    pthread_mutex_lock(&p->inj_mu);
    if (p->inj_len == 0) {
        pthread_mutex_unlock(&p->inj_mu);
        return false;
    }
    unsigned nthreads = atomic_load(&p->target);
    size_t taken = p->inj_len / (nthreads ? nthreads : 1);
    taken = taken < 1 ? 1 : taken > 64 ? 64 : taken;
    if (taken > 1 && dq_reserve(&s->dq, (int64_t)taken - 1) != SYM_OK)
        taken = 1; /* out of memory for the deque: one at a time */
    *out = p->inj[p->inj_head];
    /* The rest go onto the deque last first, so that the owner, taking
     * from the bottom, keeps the queue's order (roots run in index order,
     * as the scheduler's prefetching expects). */
    for (size_t k = taken - 1; k >= 1; k--)
        (void)dq_push(&s->dq, p->inj[(p->inj_head + k) % p->inj_cap]); /* reserved */
    p->inj_head = (p->inj_head + taken) % p->inj_cap;
    p->inj_len -= taken;
    atomic_store(&p->inj_count, p->inj_len);
    pthread_mutex_unlock(&p->inj_mu);
    if (taken > 1)
        notify(p);
    return true;
}

static bool steal_any(pool *p, pool_slot *s, pool_item *out)
{
    unsigned n = atomic_load_explicit(&p->nslots, memory_order_acquire);
    if (n < 2)
        return false;
    s->rng = s->rng * 6364136223846793005u + 1442695040888963407u;
    unsigned start = (unsigned)(s->rng >> 33) % n;
    for (int round = 0; round < 2; round++) {
        bool aborted = false;
        for (unsigned k = 0; k < n; k++) {
            pool_slot *v = p->slots[(start + k) % n];
            if (v == s)
                continue;
            int r = dq_steal(&v->dq, out);
            if (r == DQ_GOT)
                return true;
            aborted |= r == DQ_ABORT;
        }
        if (!aborted)
            break;
    }
    return false;
}

static bool find_work(pool *p, pool_slot *s, pool_item *out, bool *local)
{
    *local = dq_take(&s->dq, out) == DQ_GOT;
    return *local || inj_take(p, s, out) || steal_any(p, s, out);
}

static bool should_exit(pool *p, pool_slot *s)
{
    return atomic_load_explicit(&p->stop, memory_order_relaxed) ||
           s->index >= atomic_load_explicit(&p->target, memory_order_relaxed);
}

/* Under p->mu: confirms the exit and marks the slot. */
static bool confirm_exit(pool *p, pool_slot *s)
{
    pthread_mutex_lock(&p->mu);
    bool go = should_exit(p, s);
    if (go)
        s->state = SLOT_EXITING;
    pthread_mutex_unlock(&p->mu);
    return go;
}

/* Hands the own deque's items to the others before the thread goes. */
static void drain(pool *p, pool_slot *s)
{
    pool_item it;
    while (dq_take(&s->dq, &it) == DQ_GOT) {
        while (sym__pool_push_many(p, &it, 1) != SYM_OK)
            sched_yield(); /* out of memory: nothing better than to wait */
    }
}

static void sleep_until_work(pool *p, pool_slot *s, pool_item *out, bool *got, bool *local)
{
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t e = atomic_load(&p->epoch);
    *got = find_work(p, s, out, local);
    if (!*got && !should_exit(p, s)) {
        pthread_mutex_lock(&p->sleep_mu);
        while (atomic_load(&p->epoch) == e)
            pthread_cond_wait(&p->sleep_cv, &p->sleep_mu);
        pthread_mutex_unlock(&p->sleep_mu);
    }
    atomic_fetch_sub(&p->sleepers, 1);
}

static void *slot_main(void *arg)
{
    pool_slot *s = arg;
    pool *p = s->p;
    const pool_hooks *h = &p->hooks;
    for (;;) {
        pool_item it;
        bool local;
        bool got = find_work(p, s, &it, &local);
        if (!got) {
            h->idle(s, h->user);
            atomic_fetch_add_explicit(&p->idle, 1, memory_order_relaxed);
            for (int spin = 0; spin < 16 && !got && !should_exit(p, s); spin++) {
                sched_yield();
                got = find_work(p, s, &it, &local);
            }
            if (!got && !should_exit(p, s))
                sleep_until_work(p, s, &it, &got, &local);
            atomic_fetch_sub_explicit(&p->idle, 1, memory_order_relaxed);
        }
        if (got)
            h->exec(s, it, local, h->user);
        if (should_exit(p, s) && confirm_exit(p, s))
            break;
    }
    drain(p, s);
    h->idle(s, h->user);
    return NULL;
}

static int slot_start(pool *p, unsigned i)
{
    pool_slot *s = p->slots[i];
    if (!s) {
        s = aligned_alloc(64, (sizeof *s + 63) / 64 * 64);
        if (!s)
            return SYM_ENOMEM;
        memset(s, 0, sizeof *s);
        s->data = calloc(1, p->hooks.slot_data_size ? p->hooks.slot_data_size : 1);
        if (!s->data || dq_init(&s->dq) != SYM_OK) {
            dq_destroy(&s->dq);
            free(s->data);
            free(s);
            return SYM_ENOMEM;
        }
        if (p->hooks.slot_init)
            p->hooks.slot_init(s->data);
        s->p = p;
        s->index = i;
        s->rng = 0x9E3779B97F4A7C15u * (i + 1);
        s->joined = true;
        p->slots[i] = s;
        atomic_store_explicit(&p->nslots, i + 1, memory_order_release);
    }
    s->state = SLOT_RUNNING;
    if (pthread_create(&s->th, NULL, slot_main, s) != 0) {
        s->state = SLOT_EXITED;
        return SYM_ENOMEM;
    }
    s->joined = false;
    return SYM_OK;
}

/* Under p->mu: makes threads 0..n-1 run. Slots whose thread has left
 * must have been joined (join_exited). */
static int grow_to(pool *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        pool_slot *s = p->slots[i];
        if (s && s->state == SLOT_RUNNING)
            continue;
        int rc = slot_start(p, i);
        if (rc != SYM_OK)
            return rc;
    }
    return SYM_OK;
}

int sym__pool_new(unsigned n, const pool_hooks *hooks, pool **out)
{
    *out = NULL;
    if (n < 1 || n > POOL_MAX_THREADS || !hooks || !hooks->exec || !hooks->idle)
        return SYM_EINVAL;
    pool *p = calloc(1, sizeof *p);
    if (!p)
        return SYM_ENOMEM;
    p->hooks = *hooks;
    pthread_mutex_init(&p->resize_mu, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->inj_mu, NULL);
    pthread_mutex_init(&p->sleep_mu, NULL);
    pthread_cond_init(&p->sleep_cv, NULL);
    atomic_init(&p->target, n);
    pthread_mutex_lock(&p->mu);
    int rc = grow_to(p, n);
    pthread_mutex_unlock(&p->mu);
    if (rc != SYM_OK) {
        sym__pool_free(p);
        return rc;
    }
    *out = p;
    return SYM_OK;
}

/* Joins the threads of slots below n that decided to leave. Not under
 * p->mu: a leaving thread may still be finishing work (ending a run) that
 * takes locks whose holders may wait for p->mu. */
static void join_exited(pool *p, unsigned n)
{
    pthread_mutex_lock(&p->mu);
    unsigned count = atomic_load(&p->nslots);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < n && i < count; i++) {
        pool_slot *s = p->slots[i];
        pthread_mutex_lock(&p->mu);
        bool join = s->state != SLOT_RUNNING && !s->joined;
        pthread_mutex_unlock(&p->mu);
        if (!join)
            continue;
        pthread_join(s->th, NULL);
        pthread_mutex_lock(&p->mu);
        s->joined = true;
        pthread_mutex_unlock(&p->mu);
    }
}

int sym__pool_set_threads(pool *p, unsigned n)
{
    if (n < 1 || n > POOL_MAX_THREADS)
        return SYM_EINVAL;
    pthread_mutex_lock(&p->resize_mu);
    /* Raise the target first: threads decide to leave under p->mu, so no
     * slot below n can start leaving after this. */
    pthread_mutex_lock(&p->mu);
    unsigned old = atomic_load(&p->target);
    atomic_store(&p->target, n);
    pthread_mutex_unlock(&p->mu);
    join_exited(p, n);
    pthread_mutex_lock(&p->mu);
    int rc = grow_to(p, n);
    if (rc != SYM_OK)
        atomic_store(&p->target, old);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->resize_mu);
    /* Sleepers past the new size must wake to leave. */
    wake(p, true);
    return rc;
}

unsigned sym__pool_threads(pool *p)
{
    return atomic_load(&p->target);
}

void sym__pool_each_slot(pool *p, void (*fn)(void *data, void *arg), void *arg)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = atomic_load(&p->nslots);
    for (unsigned i = 0; i < n; i++)
        fn(p->slots[i]->data, arg);
    pthread_mutex_unlock(&p->mu);
}

void sym__pool_free(pool *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    wake(p, true);
    pthread_mutex_lock(&p->mu);
    unsigned n = atomic_load(&p->nslots);
    pthread_mutex_unlock(&p->mu);
    /* Every thread first: a live one may still steal from any slot. */
    for (unsigned i = 0; i < n; i++)
        if (!p->slots[i]->joined)
            pthread_join(p->slots[i]->th, NULL);
    for (unsigned i = 0; i < n; i++) {
        pool_slot *s = p->slots[i];
        if (p->hooks.slot_fini)
            p->hooks.slot_fini(s->data);
        dq_destroy(&s->dq);
        free(s->data);
        free(s);
    }
    free(p->inj);
    pthread_cond_destroy(&p->sleep_cv);
    pthread_mutex_destroy(&p->sleep_mu);
    pthread_mutex_destroy(&p->inj_mu);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->resize_mu);
    free(p);
}
