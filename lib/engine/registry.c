/* registry.c - the worker table. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

void sym__registry_init(registry *r, unsigned (*in_flight)(const reg_worker *, void *),
                        void (*forget)(uint32_t id, void *), void *arg)
{
    *r = (registry){0};
    pthread_mutex_init(&r->mu, NULL);
    r->in_flight = in_flight;
    r->forget = forget;
    r->arg = arg;
}

void sym__registry_lock(registry *r)
{
    pthread_mutex_lock(&r->mu);
}

void sym__registry_unlock(registry *r)
{
    pthread_mutex_unlock(&r->mu);
}

static void entry_free(reg_worker *w)
{
    if (w->concurrency)
        sym__limiter_destroy(&w->lim);
    free(w);
}

/* An entry is freed: its id goes back for reuse, its statistics cleared
 * first. (Out of memory for the list, the id is not reused: a leak of one
 * number, not a fault.) */
static void id_release(registry *r, uint32_t id)
{
    r->forget(id, r->arg);
    pthread_mutex_lock(&r->mu);
    if (r->nfree == r->capfree) {
        size_t cap = r->capfree ? r->capfree * 2 : 16;
        uint32_t *v = realloc(r->free_ids, cap * sizeof *v);
        if (v) {
            r->free_ids = v;
            r->capfree = cap;
        }
    }
    if (r->nfree < r->capfree)
        r->free_ids[r->nfree++] = id;
    pthread_mutex_unlock(&r->mu);
}

/* Under the lock: drops a reference; true when it was the last. */
static bool unref_locked(reg_worker *w)
{
    return --w->refs == 0;
}

void sym__registry_put(registry *r, reg_worker *w)
{
    pthread_mutex_lock(&r->mu);
    bool last = unref_locked(w);
    pthread_mutex_unlock(&r->mu);
    if (last) {
        uint32_t id = w->id;
        entry_free(w);
        id_release(r, id);
    }
}

/* The position of name, or where it would go; *found says which. */
static size_t find(const registry *r, const char *name, bool *found)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->v[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

reg_worker *sym__registry_get_locked(registry *r, const char *name)
{
    bool found;
    size_t i = find(r, name, &found);
    if (!found)
        return NULL;
    r->v[i]->refs++;
    return r->v[i];
}

int sym__registry_add(registry *r, const char *name, sym_worker_fn fn, void *userdata,
                      const sym_worker_options *opts)
{
    if (!name || !fn || !sym__name_is_worker(name))
        return SYM_EINVAL;
    reg_worker *w = calloc(1, sizeof *w);
    if (!w)
        return SYM_ENOMEM;
    strcpy(w->name, name);
    w->fn = fn;
    w->userdata = userdata;
    if (opts) {
        w->release = opts->release;
        w->concurrency = opts->concurrency;
    }
    if (w->concurrency)
        sym__limiter_init(&w->lim, w->concurrency);
    /* One reference for being registered, one until release has run. */
    w->refs = 2;
    pthread_mutex_lock(&r->mu);
    bool found;
    size_t i = find(r, name, &found);
    int rc = SYM_OK;
    if (found) {
        rc = SYM_EEXIST;
    } else if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        reg_worker **v = realloc(r->v, cap * sizeof *v);
        if (v) {
            r->v = v;
            r->cap = cap;
        } else {
            rc = SYM_ENOMEM;
        }
    }
    if (rc == SYM_OK) {
        memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof *r->v);
        r->v[i] = w;
        r->n++;
        w->id = r->nfree ? r->free_ids[--r->nfree] : r->next_id++;
    }
    pthread_mutex_unlock(&r->mu);
    if (rc != SYM_OK)
        entry_free(w);
    return rc;
}

int sym__registry_remove(registry *r, const char *name, reg_worker **out)
{
    *out = NULL;
    if (!name)
        return SYM_EINVAL;
    pthread_mutex_lock(&r->mu);
    bool found;
    size_t i = find(r, name, &found);
    if (!found) {
        pthread_mutex_unlock(&r->mu);
        return SYM_ENOTFOUND;
    }
    reg_worker *w = r->v[i];
    memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof *r->v);
    r->n--;
    /* Seq_cst pairs with the hazard store of a thread about to call w:
     * either it sees gone, or the in_flight scan sees its hazard. */
    atomic_store(&w->gone, true);
    pthread_mutex_unlock(&r->mu);
    *out = w; /* the registered reference passes to the caller */
    return SYM_OK;
}

void sym__registry_reap(registry *r, reg_worker *w)
{
    pthread_mutex_lock(&r->mu);
    bool go = !w->released && atomic_load(&w->gone) && r->in_flight(w, r->arg) == 0;
    if (go)
        w->released = true;
    pthread_mutex_unlock(&r->mu);
    if (!go)
        return;
    if (w->release)
        w->release(w->userdata);
    sym__registry_put(r, w);
}

void sym__registry_destroy(registry *r)
{
    for (size_t i = 0; i < r->n; i++) {
        reg_worker *w = r->v[i];
        atomic_store(&w->gone, true);
        if (!w->released) {
            w->released = true;
            if (w->release)
                w->release(w->userdata);
            w->refs--;
        }
        if (--w->refs == 0)
            entry_free(w);
    }
    free(r->v);
    free(r->free_ids);
    pthread_mutex_destroy(&r->mu);
}
