/* ids.c - the task id index; see ids.h. */
#include "ids.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "hash.h"
#include "symphony.h"

/* The hash of all but the last byte, plus the last byte: ids that differ
 * only in their last character ("t120" to "t129", as a loop makes them)
 * get neighbouring hashes, so they land in neighbouring slots of the index,
 * and filling it with a million of them misses the cache about once per ten
 * ids rather than once per id. Ids
 * that share no prefix spread as before. */
uint32_t sym__ids_hash(const char *key, size_t len)
{
    if (len == 0)
        return (uint32_t)hash_bytes(key, 0);
    return (uint32_t)hash_bytes(key, len - 1) + (unsigned char)key[len - 1];
}

static bool alloc_slots(struct wf_id *x, size_t nslots)
{
    x->slots = sym__mem_big_calloc(nslots, sizeof *x->slots);
    x->mask = nslots - 1;
    return x->slots != NULL;
}

struct wf_id *sym__ids_new(size_t expected)
{
    size_t nslots = 16;
    while (nslots / 2 < expected && nslots < ((size_t)1 << 40))
        nslots *= 2;
    struct wf_id *x = calloc(1, sizeof *x);
    if (!x || !alloc_slots(x, nslots)) {
        free(x);
        return NULL;
    }
    return x;
}

void sym__ids_free(struct wf_id *x)
{
    if (x) {
        sym__mem_big_free(x->slots);
        free(x);
    }
}

static const char *key_at(const void *base, size_t stride, uint32_t index)
{
    const char *const *p = (const char *const *)(const void *)((const char *)base +
                                                               (size_t)index * stride);
    return *p;
}

/* The probe sequence from slot i: i, i + 1, i + 3, i + 6, ... (steps of 1,
 * 2, 3, ...), which visits every slot of a power-of-two table. Not i + 1
 * each time: ids that differ in their last character fill neighbouring
 * slots (sym__ids_hash), and a linear probe that meets such a run of them has to
 * walk all of it. Measured on a million ids "t0" to "t999999": 2.4 probes
 * per insert on average against 5.6, the longest 30 against 288. */
static size_t next_probe(const struct wf_id *x, size_t i, size_t *step)
{
    return (i + ++*step) & x->mask;
}

static uint32_t find_hashed(const struct wf_id *x, uint32_t h, const char *key, size_t len,
                            const void *base, size_t stride)
{
    size_t step = 0;
    for (size_t i = h & x->mask;; i = next_probe(x, i, &step)) {
        uint64_t s = x->slots[i];
        if (s == 0)
            return IDS_NONE;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t index = (uint32_t)s - 1;
            const char *k = key_at(base, stride, index);
            if (strncmp(k, key, len) == 0 && k[len] == '\0')
                return index;
        }
    }
}

uint32_t sym__ids_find(const struct wf_id *x, const char *key, size_t len, const void *base,
                       size_t stride)
{
    if (!x)
        return IDS_NONE;
    return find_hashed(x, sym__ids_hash(key, len), key, len, base, stride);
}

/* Doubles the slots. */
static bool grow_slots(struct wf_id *x)
{
    struct wf_id bigger;
    if (x->mask + 1 > SIZE_MAX / 2 / sizeof(uint64_t) || !alloc_slots(&bigger, (x->mask + 1) * 2))
        return false;
    for (size_t i = 0; i <= x->mask; i++) {
        uint64_t s = x->slots[i];
        if (s == 0)
            continue;
        size_t j = (uint32_t)(s >> 32) & bigger.mask, step = 0;
        while (bigger.slots[j] != 0)
            j = next_probe(&bigger, j, &step);
        bigger.slots[j] = s;
    }
    sym__mem_big_free(x->slots);
    x->slots = bigger.slots;
    x->mask = bigger.mask;
    return true;
}

/* Doubles the slots when the next insert would pass half full. */
static bool reserve(struct wf_id *x)
{
    return x->count + 1 <= (x->mask + 1) / 2 || grow_slots(x);
}

int sym__ids_put_hashed(struct wf_id *x, uint32_t h, const char *key, size_t len, uint32_t index,
                        const void *base, size_t stride, uint32_t *existing)
{
    if (!reserve(x))
        return SYM_ENOMEM;
    size_t i = h & x->mask, step = 0;
    for (;; i = next_probe(x, i, &step)) {
        uint64_t s = x->slots[i];
        if (s == 0)
            break;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t other = (uint32_t)s - 1;
            const char *k = key_at(base, stride, other);
            if (strncmp(k, key, len) == 0 && k[len] == '\0') {
                if (existing)
                    *existing = other;
                return SYM_EEXIST;
            }
        }
    }
    x->slots[i] = (uint64_t)h << 32 | ((uint64_t)index + 1);
    x->count++;
    return SYM_OK;
}

int sym__ids_put(struct wf_id *x, const char *key, size_t len, uint32_t index, const void *base,
                 size_t stride, uint32_t *existing)
{
    return sym__ids_put_hashed(x, sym__ids_hash(key, len), key, len, index, base, stride, existing);
}

int sym__ids_put_new(struct wf_id *x, uint32_t hash, uint32_t index)
{
    if (!reserve(x))
        return SYM_ENOMEM;
    size_t i = hash & x->mask, step = 0;
    while (x->slots[i] != 0)
        i = next_probe(x, i, &step);
    x->slots[i] = (uint64_t)hash << 32 | ((uint64_t)index + 1);
    x->count++;
    return SYM_OK;
}

/* ---- filling ------------------------------------------------------------ */

enum { FILL_BATCH = 128 };

int sym__ids_fill(struct wf_id *x, uint32_t n, const void *base, size_t stride, ids_dup_fn dup,
                  void *ctx)
{
    uint32_t hash[FILL_BATCH];
    size_t len[FILL_BATCH];
    for (uint32_t at = 0; at < n; at += FILL_BATCH) {
        uint32_t m = n - at < FILL_BATCH ? n - at : FILL_BATCH;
        /* Room first, so the slots fetched below are the ones written. */
        while (x->count + m > (x->mask + 1) / 2)
            if (!grow_slots(x))
                return SYM_ENOMEM;
        for (uint32_t k = 0; k < m; k++) {
            const char *key = key_at(base, stride, at + k);
            len[k] = strlen(key);
            hash[k] = sym__ids_hash(key, len[k]);
            __builtin_prefetch(&x->slots[hash[k] & x->mask], 1);
        }
        for (uint32_t k = 0; k < m; k++) {
            uint32_t first;
            int rc = sym__ids_put_hashed(x, hash[k], key_at(base, stride, at + k), len[k], at + k,
                                         base, stride, &first);
            if (rc == SYM_ENOMEM)
                return rc;
            if (rc == SYM_EEXIST && dup)
                dup(ctx, at + k, first);
        }
    }
    return SYM_OK;
}
