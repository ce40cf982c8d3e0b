/* ids.c - the task id index; see ids.h. */
#include "ids.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "symphony.h"

/* Ids are short ("load", "t123456", "transform[shard=1]"): a word-at-a-time
 * multiply-xor hash with a full final mix, so that sequential ids spread
 * over the low bits that pick the slot. */
uint32_t ids_hash(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    }
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return (uint32_t)h;
}

static bool alloc_slots(struct wf_id *x, size_t nslots)
{
    x->slots = mem_big_calloc(nslots, sizeof *x->slots);
    x->mask = nslots - 1;
    return x->slots != NULL;
}

struct wf_id *ids_new(size_t expected)
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

void ids_free(struct wf_id *x)
{
    if (x) {
        free(x->slots);
        free(x);
    }
}

static const char *key_at(const void *base, size_t stride, uint32_t index)
{
    const char *const *p = (const char *const *)(const void *)((const char *)base +
                                                               (size_t)index * stride);
    return *p;
}

uint32_t ids_find(const struct wf_id *x, const char *key, size_t len, const void *base,
                  size_t stride)
{
    if (!x)
        return IDS_NONE;
    uint32_t h = ids_hash(key, len);
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
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

/* Doubles the slots when the next insert would pass half full. */
static bool reserve(struct wf_id *x)
{
    if (x->count + 1 <= (x->mask + 1) / 2)
        return true;
    struct wf_id bigger;
    if (x->mask + 1 > SIZE_MAX / 2 / sizeof(uint64_t) || !alloc_slots(&bigger, (x->mask + 1) * 2))
        return false;
    for (size_t i = 0; i <= x->mask; i++) {
        uint64_t s = x->slots[i];
        if (s == 0)
            continue;
        size_t j = (uint32_t)(s >> 32) & bigger.mask;
        while (bigger.slots[j] != 0)
            j = (j + 1) & bigger.mask;
        bigger.slots[j] = s;
    }
    free(x->slots);
    x->slots = bigger.slots;
    x->mask = bigger.mask;
    return true;
}

int ids_put(struct wf_id *x, const char *key, size_t len, uint32_t index, const void *base,
            size_t stride, uint32_t *existing)
{
    if (!reserve(x))
        return SYM_ENOMEM;
    uint32_t h = ids_hash(key, len);
    size_t i = h & x->mask;
    for (;; i = (i + 1) & x->mask) {
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

int ids_put_new(struct wf_id *x, uint32_t hash, uint32_t index)
{
    if (!reserve(x))
        return SYM_ENOMEM;
    size_t i = hash & x->mask;
    while (x->slots[i] != 0)
        i = (i + 1) & x->mask;
    x->slots[i] = (uint64_t)hash << 32 | ((uint64_t)index + 1);
    x->count++;
    return SYM_OK;
}

/* Three passes of 11 bits over the 32-bit hash: each pass reads one array
 * and writes the other in 2048 sequential streams. */
enum { RADIX_BITS = 11, RADIX = 1 << RADIX_BITS, RADIX_PASSES = 3 };

void ids_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
    static const unsigned shift[RADIX_PASSES] = {32, 32 + RADIX_BITS, 32 + 2 * RADIX_BITS};
    size_t count[RADIX_PASSES][RADIX];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (unsigned p = 0; p < RADIX_PASSES; p++)
            count[p][(keys[i] >> shift[p]) & (RADIX - 1)]++;
    uint64_t *from = keys, *to = tmp;
    for (unsigned p = 0; p < RADIX_PASSES; p++) {
        size_t sum = 0;
        for (size_t b = 0; b < RADIX; b++) {
            size_t c = count[p][b];
            count[p][b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = from[i];
            to[count[p][(k >> shift[p]) & (RADIX - 1)]++] = k;
        }
        uint64_t *t = from;
        from = to;
        to = t;
    }
    /* An odd number of passes leaves the result in tmp. */
    memcpy(keys, from, n * sizeof *keys);
}

struct wf_id *ids_from_sorted(const uint64_t *keys, size_t n, const uint8_t *skip)
{
    struct wf_id *x = ids_new(n);
    if (!x)
        return NULL;
    /* In hash order, the home slots come in ascending order: the table is
     * written front to back instead of at random. */
    for (size_t k = 0; k < n; k++) {
        uint32_t index = (uint32_t)keys[k];
        if (skip && skip[index])
            continue;
        uint32_t h = (uint32_t)(keys[k] >> 32);
        size_t i = h & x->mask;
        while (x->slots[i] != 0)
            i = (i + 1) & x->mask;
        x->slots[i] = (uint64_t)h << 32 | ((uint64_t)index + 1);
        x->count++;
    }
    return x;
}

struct wf_id *ids_build(const void *base, size_t stride, size_t n)
{
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    struct wf_id *x = NULL;
    if (keys && tmp) {
        for (size_t i = 0; i < n; i++) {
            const char *id = key_at(base, stride, (uint32_t)i);
            keys[i] = ids_key(ids_hash(id, strlen(id)), (uint32_t)i);
        }
        ids_sort(keys, tmp, n);
        x = ids_from_sorted(keys, n, NULL);
    }
    free(keys);
    free(tmp);
    return x;
}
