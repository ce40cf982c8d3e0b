/* ids.h - the task id index (id -> task index): open addressing over 64-bit
 * slots holding a 32-bit hash and the index, so that an insert or a miss
 * costs about one cache line, and growing never rereads the ids. The ids
 * themselves are not copied: callers pass the array of structs they live
 * in (`base`, whose element's first member is the id, and its `stride`),
 * as the draft and the workflow each keep theirs.
 *
 * (Not uthash, which the library uses for small tables: its chained
 * buckets cost three or four cache misses per insert, over a microsecond
 * per task at a million tasks.)
 *
 * A workflow's ids go in all at once (sym__ids_fill, at compile), in batches
 * whose slots are fetched ahead, so the cache misses of a batch overlap
 * instead of coming one after another. */
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

uint32_t sym__ids_hash(const char *key, size_t len);
/* A new empty index sized for about `expected` ids, or NULL (ENOMEM). */
struct wf_id *sym__ids_new(size_t expected);
void sym__ids_free(struct wf_id *x);
/* The index stored for key, or IDS_NONE. */
uint32_t sym__ids_find(const struct wf_id *x, const char *key, size_t len, const void *base,
                       size_t stride);
/* Adds key -> index unless key is there: SYM_OK, SYM_EEXIST (*existing
 * gets the index already stored), or SYM_ENOMEM. */
int sym__ids_put(struct wf_id *x, const char *key, size_t len, uint32_t index, const void *base,
                 size_t stride, uint32_t *existing);
/* Adds an entry known to be new, by its hash. SYM_OK or SYM_ENOMEM. */
int sym__ids_put_new(struct wf_id *x, uint32_t hash, uint32_t index);

/* Like sym__ids_put, with the key's hash given (sym__ids_hash(key, len)). */
int sym__ids_put_hashed(struct wf_id *x, uint32_t hash, const char *key, size_t len, uint32_t index,
                        const void *base, size_t stride, uint32_t *existing);

/* Called for each id equal to an earlier one (index `first`): it is left
 * out of the index. */
typedef void (*ids_dup_fn)(void *ctx, uint32_t index, uint32_t first);

/* Adds ids 0..n-1 (read from base and stride) to x, best made with
 * sym__ids_new(n): SYM_OK, with dup called for each repeated id, or SYM_ENOMEM. */
int sym__ids_fill(struct wf_id *x, uint32_t n, const void *base, size_t stride, ids_dup_fn dup,
                  void *ctx);

#endif
