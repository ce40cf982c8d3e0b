/* bigmem.c - big arrays in mappings of their own, kept for reuse when
 * freed; see bigmem.h. */
/* mmap, madvise and mremap with their flags are not all POSIX: this file
 * alone asks for them. */
#define _GNU_SOURCE 1

#include "bigmem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "symphony.h"

#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
#define BIGMEM_MAPS 1
#endif

/* Under AddressSanitizer a kept block is poisoned, so that a use after
 * sym__mem_big_free is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#define BIGMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIGMEM_ASAN 1
#endif
#endif
#ifdef BIGMEM_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum { HUGE_PAGE = 2 << 20, CACHE_SLOTS = 16 };

/* In front of every block; 64 bytes, so the block is aligned to 64 as the
 * header is. */
typedef struct big_head {
    size_t mapped; /* length of the mapping this header starts; 0: malloc'd */
    size_t room;   /* usable bytes after the header */
    char pad[48];
} big_head;
_Static_assert(sizeof(big_head) == 64, "big_head is one cache line");

static big_head *head_of(void *p) { return (big_head *)(void *)((char *)p - sizeof(big_head)); }
static void set_mapped(big_head *h, size_t len)
{
    h->mapped = len;
    h->room = len - sizeof *h;
}
static void *data_of(big_head *h) { return (char *)h + sizeof *h; }

/* ---- malloc'd blocks --------------------------------------------------- */

static void *small_alloc(size_t size, bool zero)
{
    size_t total = (sizeof(big_head) + size + 63) / 64 * 64;
    big_head *h = aligned_alloc(64, total);
    if (!h)
        return NULL;
    h->mapped = 0;
    h->room = total - sizeof *h;
    if (zero)
        memset(data_of(h), 0, h->room);
    return data_of(h);
}

#ifdef BIGMEM_MAPS
/* ---- the kept mappings ------------------------------------------------- */

typedef struct kept {
    big_head *head;
    size_t len;
    uint64_t age; /* the oldest goes first when the cache is full */
} kept;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static kept cache[CACHE_SLOTS];
static size_t cache_count, cache_bytes;
static uint64_t cache_clock;

/* The smallest kept mapping of len bytes or more, but not over 4 len: a
 * small array does not take the mapping a big one will want next. NULL
 * when none fits. */
static big_head *cache_take(size_t len, size_t *got)
{
    pthread_mutex_lock(&cache_mu);
    size_t best = CACHE_SLOTS;
    for (size_t i = 0; i < cache_count; i++)
        if (cache[i].len >= len && cache[i].len / 4 <= len &&
            (best == CACHE_SLOTS || cache[i].len < cache[best].len))
            best = i;
    big_head *h = NULL;
    if (best < CACHE_SLOTS) {
        h = cache[best].head;
        *got = cache[best].len;
        cache_bytes -= cache[best].len;
        cache[best] = cache[--cache_count];
    }
    pthread_mutex_unlock(&cache_mu);
    if (h)
        UNPOISON(h, *got);
    return h;
}

static void unmap(big_head *h, size_t len)
{
    UNPOISON(h, len);
    munmap(h, len);
}

/* Keeps the mapping, making room by unmapping the oldest kept ones; one
 * over the whole cache's size is unmapped at once. */
static void cache_give(big_head *h, size_t len)
{
    if (len > BIGMEM_CACHE_MAX) {
        unmap(h, len);
        return;
    }
    kept out[CACHE_SLOTS];
    size_t nout = 0;
    POISON(h, len);
    pthread_mutex_lock(&cache_mu);
    while (cache_count == CACHE_SLOTS || cache_bytes + len > BIGMEM_CACHE_MAX) {
        size_t old = 0;
        for (size_t i = 1; i < cache_count; i++)
            if (cache[i].age < cache[old].age)
                old = i;
        out[nout++] = cache[old];
        cache_bytes -= cache[old].len;
        cache[old] = cache[--cache_count];
    }
    cache[cache_count++] = (kept){h, len, cache_clock++};
    cache_bytes += len;
    pthread_mutex_unlock(&cache_mu);
    for (size_t i = 0; i < nout; i++)
        unmap(out[i].head, out[i].len);
}

size_t sym__mem_big_release(void)
{
    kept out[CACHE_SLOTS];
    pthread_mutex_lock(&cache_mu);
    size_t n = cache_count, bytes = cache_bytes;
    memcpy(out, cache, n * sizeof *out);
    cache_count = cache_bytes = 0;
    pthread_mutex_unlock(&cache_mu);
    for (size_t i = 0; i < n; i++)
        unmap(out[i].head, out[i].len);
    return bytes;
}

/* ---- mappings ----------------------------------------------------------- */

/* The mapping length for size bytes after the header; 0 on overflow. */
static size_t map_len(size_t size)
{
    if (size > SIZE_MAX - sizeof(big_head) - HUGE_PAGE)
        return 0;
    return (sizeof(big_head) + size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

/* A fresh zeroed mapping of len bytes (a multiple of 2 MiB) on a 2 MiB
 * boundary, asked to be backed by huge pages when huge; NULL when out of
 * memory. */
static big_head *map_fresh(size_t len, bool huge)
{
    char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    size_t head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
    if (head)
        munmap(p, head);
    munmap(p + head + len, HUGE_PAGE - head);
    if (huge)
        (void)madvise(p + head, len, MADV_HUGEPAGE); /* a hint: failure is fine */
    return (big_head *)(void *)(p + head);
}

/* A mapping for size bytes, kept or fresh; *zeroed says whether it is known
 * to be all zeros. */
static void *big_alloc(size_t size, bool huge, bool *zeroed)
{
    size_t len = map_len(size), got = 0;
    if (!len)
        return NULL;
    big_head *h = cache_take(len, &got);
    *zeroed = h == NULL;
    if (!h) {
        h = map_fresh(len, huge);
        got = len;
    }
    if (!h)
        return NULL;
    set_mapped(h, got);
    return data_of(h);
}

/* h's mapping moved to a new one of len bytes on a 2 MiB boundary, its
 * pages moved rather than copied where the system can; NULL when out of
 * memory, h then untouched. */
static big_head *map_grow(big_head *h, size_t len)
{
    size_t got = 0;
    big_head *to = cache_take(len, &got);
    if (!to) {
        to = map_fresh(len, true);
        got = len;
        if (!to)
            return NULL;
#ifdef MREMAP_FIXED
        size_t had = h->mapped;
        if (mremap(h, had, had, MREMAP_MAYMOVE | MREMAP_FIXED, to) != MAP_FAILED) {
            set_mapped(to, got);
            return to;
        }
#endif
    }
    memcpy(to, h, sizeof *h + h->room);
    set_mapped(to, got);
    cache_give(h, h->mapped);
    return to;
}
#else /* no anonymous mappings: every block from malloc */
size_t sym__mem_big_release(void) { return 0; }
#endif

/* ---- the interface ----------------------------------------------------- */

/* size bytes: a mapping (huge: in huge pages when fresh) from
 * BIGMEM_MAPPED up, else from malloc; zeroed when zero. */
static void *alloc_block(size_t size, bool huge, bool zero)
{
#ifdef BIGMEM_MAPS
    if (size >= BIGMEM_MAPPED) {
        bool zeroed;
        void *p = big_alloc(size, huge, &zeroed);
        if (p && zero && !zeroed)
            memset(p, 0, size);
        return p;
    }
#endif
    (void)huge;
    if (size > SIZE_MAX - 2 * sizeof(big_head))
        return NULL;
    return small_alloc(size, zero);
}

void *sym__mem_big_alloc(size_t size) { return alloc_block(size, true, false); }

void *sym__mem_big_alloc_sparse(size_t size) { return alloc_block(size, false, false); }

void *sym__mem_big_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return alloc_block(count * size, true, true);
}

void *sym__mem_big_realloc(void *p, size_t size)
{
    if (!p)
        return sym__mem_big_alloc(size);
    big_head *h = head_of(p);
    if (size <= h->room)
        return p;
#ifdef BIGMEM_MAPS
    if (h->mapped) {
        size_t len = map_len(size);
        big_head *to = len ? map_grow(h, len) : NULL;
        return to ? data_of(to) : NULL;
    }
#endif
    void *q = sym__mem_big_alloc(size);
    if (q) {
        memcpy(q, p, h->room);
        sym__mem_big_free(p);
    }
    return q;
}

size_t sym__mem_big_room(const void *p) { return head_of((void *)(uintptr_t)p)->room; }

void sym__mem_big_free(void *p)
{
    if (!p)
        return;
    big_head *h = head_of(p);
#ifdef BIGMEM_MAPS
    if (h->mapped) {
        cache_give(h, h->mapped);
        return;
    }
#endif
    free(h);
}

size_t sym_release_memory(void) { return sym__mem_big_release(); }
