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
 * Even one random probe per task is too dear when a million tasks are added
 * one by one (a cache and TLB miss into a 16 MB table, and each miss stalls
 * the caller): ids_adder answers "is this id new?" from a small Bloom
 * filter instead, keeps the new ids pending, and inserts them into the
 * table in batches, whose misses overlap. Only when the filter says
 * "maybe" (about 1% of new ids) is the table probed at once. */
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

enum { IDS_PENDING = 256 };

/* Ids added one at a time, each refused at once when already there. */
typedef struct ids_adder {
    struct wf_id *table; /* the ids up to the last batch */
    uint64_t *filter;    /* Bloom filter over every id added: 64-byte blocks */
    size_t filter_mask;  /* blocks - 1 */
    size_t filter_cap;   /* ids the filter is sized for */
    uint64_t pending[IDS_PENDING]; /* hash << 32 | index, not in table yet */
    unsigned npending;
} ids_adder;

void ids_adder_init(ids_adder *a);
/* Like ids_put (SYM_OK, SYM_EEXIST with *existing, or SYM_ENOMEM), with
 * the key's hash given: ids_hash(key, len), for ids_find to find it in
 * the finished index. */
int ids_adder_put(ids_adder *a, uint32_t hash, const char *key, size_t len, uint32_t index,
                  const void *base, size_t stride, uint32_t *existing);
/* Starts fetching what ids_adder_put(hash) will read: a caller with other
 * work to do in between hides the cache miss behind it. */
static inline void ids_adder_prefetch(const ids_adder *a, uint32_t hash)
{
    if (a->filter)
        __builtin_prefetch(&a->filter[((hash >> 8) & a->filter_mask) * 8]);
}
/* The index over every id added (the caller owns it; a is left empty), or
 * NULL (ENOMEM). */
struct wf_id *ids_adder_finish(ids_adder *a);
void ids_adder_free(ids_adder *a);

#endif
