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
static uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t load32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

static uint64_t hash_bytes(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)len;
    size_t n = len;
    while (n > 8) {
        h = (h ^ load64(p)) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    /* The last 1-8 bytes in fixed-size loads (overlapping when they must),
     * not a memcpy of variable length. */
    uint64_t w = 0;
    if (len >= 8)
        w = load64((const unsigned char *)key + len - 8);
    else if (n >= 4)
        w = load32(p) | load32(p + n - 4) << 32;
    else if (n > 0)
        w = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return h;
}

/* The hash of all but the last byte, plus the last byte: ids that differ
 * only in their last character ("t120" to "t129", as a loop makes them)
 * get neighbouring hashes, so they land in neighbouring slots of the index
 * and in one block of the adder's filter, and adding a million of them
 * misses the cache about once per ten ids rather than once per id. Ids
 * that share no prefix spread as before. */
uint32_t ids_hash(const char *key, size_t len)
{
    if (len == 0)
        return (uint32_t)hash_bytes(key, 0);
    return (uint32_t)hash_bytes(key, len - 1) + (unsigned char)key[len - 1];
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

static uint32_t find_hashed(const struct wf_id *x, uint32_t h, const char *key, size_t len,
                            const void *base, size_t stride)
{
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

uint32_t ids_find(const struct wf_id *x, const char *key, size_t len, const void *base,
                  size_t stride)
{
    if (!x)
        return IDS_NONE;
    return find_hashed(x, ids_hash(key, len), key, len, base, stride);
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

/* Doubles the slots when the next insert would pass half full. */
static bool reserve(struct wf_id *x)
{
    return x->count + 1 <= (x->mask + 1) / 2 || grow_slots(x);
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

/* ---- ids_adder ---------------------------------------------------------- */

void ids_adder_init(ids_adder *a) { memset(a, 0, sizeof *a); }

void ids_adder_free(ids_adder *a)
{
    ids_free(a->table);
    free(a->filter);
    ids_adder_init(a);
}

/* A blocked Bloom filter: each id sets three bits of one 64-byte block
 * (16 bits per id: about 1% false "maybe"s). The block comes from the
 * hash's bits above the last byte's (ids_hash), so ids that differ only in
 * their last character share one block, or two; the bits come from a remix
 * of the whole hash. */
enum { FILTER_BLOCK_WORDS = 8 };

static uint64_t *filter_block(const ids_adder *a, uint32_t h)
{
    return &a->filter[((h >> 8) & a->filter_mask) * FILTER_BLOCK_WORDS];
}

static void filter_bits(uint32_t h, unsigned bit[3])
{
    uint64_t m = (uint64_t)h * 0x9E3779B97F4A7C15u;
    bit[0] = (unsigned)(m >> 55);
    bit[1] = (unsigned)(m >> 46) & 511;
    bit[2] = (unsigned)(m >> 37) & 511;
}

static bool filter_has(const uint64_t *block, const unsigned bit[3])
{
    return (block[bit[0] >> 6] >> (bit[0] & 63) & 1) && (block[bit[1] >> 6] >> (bit[1] & 63) & 1) &&
           (block[bit[2] >> 6] >> (bit[2] & 63) & 1);
}

static void filter_set(uint64_t *block, const unsigned bit[3])
{
    for (int k = 0; k < 3; k++)
        block[bit[k] >> 6] |= (uint64_t)1 << (bit[k] & 63);
}

/* The pending ids into the table: room made once, then every home slot
 * fetched ahead, so the cache misses of the batch overlap instead of
 * coming one after another. */
static int flush(ids_adder *a)
{
    struct wf_id *x = a->table;
    while (x->count + a->npending > (x->mask + 1) / 2)
        if (!grow_slots(x))
            return SYM_ENOMEM;
    for (unsigned k = 0; k < a->npending; k++)
        __builtin_prefetch(&x->slots[(uint32_t)(a->pending[k] >> 32) & x->mask], 1);
    for (unsigned k = 0; k < a->npending; k++) {
        uint64_t key = a->pending[k];
        size_t i = (uint32_t)(key >> 32) & x->mask;
        while (x->slots[i] != 0)
            i = (i + 1) & x->mask;
        x->slots[i] = (key & 0xFFFFFFFF00000000u) | ((key & 0xFFFFFFFFu) + 1);
    }
    x->count += a->npending;
    a->npending = 0;
    return SYM_OK;
}

/* A filter for twice the ids there are now, refilled from the table. */
static int grow_filter(ids_adder *a)
{
    if (flush(a) != SYM_OK)
        return SYM_ENOMEM;
    size_t cap = a->filter_cap ? a->filter_cap * 2 : 1024;
    size_t words = cap / 4;
    /* Blocks aligned to cache lines (one line per lookup), and a big
     * filter in huge pages (its lookups are random: one TLB entry). */
    size_t bytes = words * sizeof *a->filter; /* a multiple of 64 */
    uint64_t *filter = bytes >= ((size_t)2 << 20) ? mem_big_alloc(bytes) : aligned_alloc(64, bytes);
    if (!filter)
        return SYM_ENOMEM;
    memset(filter, 0, bytes);
    free(a->filter);
    a->filter = filter;
    a->filter_mask = words / FILTER_BLOCK_WORDS - 1;
    a->filter_cap = cap;
    const struct wf_id *x = a->table;
    for (size_t i = 0; i <= x->mask; i++)
        if (x->slots[i] != 0) {
            uint32_t h = (uint32_t)(x->slots[i] >> 32);
            unsigned bit[3];
            filter_bits(h, bit);
            filter_set(filter_block(a, h), bit);
        }
    return SYM_OK;
}

int ids_adder_put(ids_adder *a, uint32_t hash, const char *key, size_t len, uint32_t index,
                  const void *base, size_t stride, uint32_t *existing)
{
    if (!a->table && !(a->table = ids_new(64)))
        return SYM_ENOMEM;
    if (a->table->count + a->npending >= a->filter_cap && grow_filter(a) != SYM_OK)
        return SYM_ENOMEM;
    uint32_t h = hash;
    uint64_t *block = filter_block(a, h);
    unsigned bit[3];
    filter_bits(h, bit);
    if (filter_has(block, bit)) { /* maybe there: look for real */
        uint32_t found = find_hashed(a->table, h, key, len, base, stride);
        for (unsigned k = 0; found == IDS_NONE && k < a->npending; k++) {
            uint32_t other = (uint32_t)a->pending[k];
            const char *o = key_at(base, stride, other);
            if ((uint32_t)(a->pending[k] >> 32) == h && strncmp(o, key, len) == 0 &&
                o[len] == '\0')
                found = other;
        }
        if (found != IDS_NONE) {
            if (existing)
                *existing = found;
            return SYM_EEXIST;
        }
    }
    if (a->npending == IDS_PENDING && flush(a) != SYM_OK)
        return SYM_ENOMEM;
    filter_set(block, bit);
    a->pending[a->npending++] = (uint64_t)h << 32 | index;
    return SYM_OK;
}

struct wf_id *ids_adder_finish(ids_adder *a)
{
    if (!a->table && !(a->table = ids_new(64)))
        return NULL;
    struct wf_id *x = flush(a) == SYM_OK ? a->table : NULL;
    if (x)
        a->table = NULL;
    ids_adder_free(a);
    return x;
}
