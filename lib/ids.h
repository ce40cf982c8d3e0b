/* ids.h - the task id index (id -> task index), a uthash table whose items
 * and keys live in the workflow's arena. Every file that touches the index
 * includes uthash through here, so all agree on the hash function and on
 * allocation failures being reported rather than fatal. */
#ifndef SYM_IDS_H
#define SYM_IDS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A failed table allocation leaves the item out (item->hh.tbl == NULL)
 * instead of calling exit(). */
#define HASH_NONFATAL_OOM 1

/* Ids are short ("load", "t123456", "transform[shard=1]"): a word-at-a-time
 * multiply-xor hash with a full final mix beats uthash's default (Jenkins)
 * and spreads sequential ids over the low bits that pick the bucket. */
static inline unsigned ids_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
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
    return (unsigned)h;
}

#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = ids_hash((keyptr), (keylen)))

#include <uthash.h>

struct wf_id {
    UT_hash_handle hh; /* key: the id string, in the arena */
    uint32_t index;    /* task index */
};

/* The item for id, or NULL. */
static inline struct wf_id *ids_find(struct wf_id *head, const char *id, size_t len)
{
    struct wf_id *found;
    HASH_FIND(hh, head, id, len, found);
    return found;
}

/* Adds item (its key is id, which must outlive the index). Returns false
 * when out of memory (the item is then not in the index). */
static inline bool ids_add(struct wf_id **head, struct wf_id *item, const char *id, size_t len)
{
    HASH_ADD_KEYPTR(hh, *head, id, len, item);
    return item->hh.tbl != NULL;
}

/* Frees the table (the items belong to their arena). */
static inline void ids_clear(struct wf_id **head)
{
    HASH_CLEAR(hh, *head);
}

#endif
