/* registry.h - registered workers: name -> callback, userdata, the
 * registration's concurrency limit, and the life of an entry across
 * unregister. Runs hold references to entries (resolved once per run);
 * an unregistered entry is marked gone, and its release callback runs once
 * no engine thread is inside it (threads publish the entry they are
 * calling in a per-thread hazard slot, which the in_flight hook counts). */
#ifndef SYM_REGISTRY_H
#define SYM_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "limit.h"
#include "symphony.h"

typedef struct reg_worker {
    char name[65];
    sym_worker_fn fn;
    void *userdata;
    void (*release)(void *userdata);
    unsigned concurrency; /* 0 = no limit */
    limiter lim;          /* used when concurrency > 0 */
    uint32_t id;          /* dense, reused once the entry is freed: indexes
                             per-thread stats, so ids stay below the most
                             entries alive at once */
    atomic_bool gone;     /* unregistered */
    unsigned refs;        /* under the registry lock */
    bool released;        /* under the registry lock */
} reg_worker;

typedef struct registry {
    pthread_mutex_t mu;
    reg_worker **v; /* registered entries, sorted by name */
    size_t n, cap;
    uint32_t next_id;
    uint32_t *free_ids; /* ids of freed entries, for reuse */
    size_t nfree, capfree;
    /* Calls in flight of w now (counts hazard slots). */
    unsigned (*in_flight)(const reg_worker *w, void *arg);
    /* An entry's id is free again: whatever is kept per id is cleared
     * (no thread can be writing it: the entry was released, so no thread
     * is inside it). */
    void (*forget)(uint32_t id, void *arg);
    void *arg;
} registry;

void sym__registry_init(registry *r, unsigned (*in_flight)(const reg_worker *, void *),
                        void (*forget)(uint32_t id, void *), void *arg);
/* Unregisters and releases everything left (no thread may be running). */
void sym__registry_destroy(registry *r);
int sym__registry_add(registry *r, const char *name, sym_worker_fn fn, void *userdata,
                      const sym_worker_options *opts);
/* Marks name gone and takes it out; *out gets the entry (still referenced
 * for the caller, who must call sym__registry_reap then sym__registry_put). */
int sym__registry_remove(registry *r, const char *name, reg_worker **out);
/* Runs w's release when it is gone and no call is in flight (once). Called
 * by unregister, and by a thread leaving a gone worker's callback. */
void sym__registry_reap(registry *r, reg_worker *w);
/* Under the lock: the entry for name with a reference taken, or NULL. */
reg_worker *sym__registry_get_locked(registry *r, const char *name);
/* Drops a reference. */
void sym__registry_put(registry *r, reg_worker *w);
void sym__registry_lock(registry *r);
void sym__registry_unlock(registry *r);

#endif
