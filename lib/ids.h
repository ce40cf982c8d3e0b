/* ids.h - the task id index (id -> task index): open addressing over 64-bit
 * slots holding a 32-bit hash and the index, so that an insert or a miss
 * costs about one cache line, and growing never rereads the ids. The ids
 * themselves are not copied: callers pass the array of structs they live
 * in (`base`, whose element's first member is the id, and its `stride`),
 * as the draft and the workflow each keep theirs.
 *
 * (The design brief named uthash for ids; it was measured first: its
 * chained buckets cost three or four cache misses per insert, over a
 * microsecond per task at a million tasks, hence this table.)
 *
 * Even one random probe per task is too dear on the build path of a
 * million-task graph (cache and TLB misses into a 16 MB table), so
 * duplicates are found by sorting (hash, index) keys with an LSD radix
 * sort (sequential passes), and a table is filled from sorted keys (its
 * slots are then written in order) only where a lookup by name is needed. */
#ifndef SYM_IDS_H
#define SYM_IDS_H

#include <stddef.h>
#include <stdint.h>

#define IDS_NONE UINT32_MAX

struct wf_id {
    uint64_t *slots; /* 0 = empty, else hash << 32 | (index + 1) */
    size_t mask;     /* slots - 1 */
    size_t count;
};

uint32_t ids_hash(const char *key, size_t len);
/* A new empty index sized for about `expected` ids, or NULL (ENOMEM). */
struct wf_id *ids_new(size_t expected);
void ids_free(struct wf_id *x);
/* The index stored for key, or IDS_NONE. */
uint32_t ids_find(const struct wf_id *x, const char *key, size_t len, const void *base,
                  size_t stride);
/* Adds key -> index unless key is there: SYM_OK, SYM_EEXIST (*existing
 * gets the index already stored), or SYM_ENOMEM. */
int ids_put(struct wf_id *x, const char *key, size_t len, uint32_t index, const void *base,
            size_t stride, uint32_t *existing);
/* Adds an entry known to be new, by its hash. SYM_OK or SYM_ENOMEM. */
int ids_put_new(struct wf_id *x, uint32_t hash, uint32_t index);

/* A sort key: hash << 32 | index. */
static inline uint64_t ids_key(uint32_t hash, uint32_t index)
{
    return (uint64_t)hash << 32 | index;
}
/* Sorts keys[0..n) by hash, stably (equal hashes keep their order), using
 * tmp[0..n) as scratch. */
void ids_sort(uint64_t *keys, uint64_t *tmp, size_t n);
/* A new index over n sorted keys, without the ones marked skip (when skip
 * is not NULL: skip[index] != 0), or NULL (ENOMEM). The keys must name
 * distinct ids. */
struct wf_id *ids_from_sorted(const uint64_t *keys, size_t n, const uint8_t *skip);
/* A new index over the n ids of base (distinct), or NULL (ENOMEM). */
struct wf_id *ids_build(const void *base, size_t stride, size_t n);

#endif
