/* arena.c - bump allocation in blocks that grow with the arena, so a
 * workflow of a million tasks costs a few dozen mallocs, not millions. */
/* madvise and MADV_HUGEPAGE are not POSIX: this file alone asks for them. */
#define _DEFAULT_SOURCE 1

#include "arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct arena_block {
    arena_block *next;
    size_t size; /* usable bytes after the header */
    alignas(max_align_t) char data[];
};

enum { ARENA_FIRST_BLOCK = 4096, ARENA_MAX_BLOCK = 4 << 20, HUGE_PAGE = 2 << 20 };

static void advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    /* The whole huge pages inside [p, p + size); a hint, so its failure
     * (no THP in this kernel) changes nothing. */
    uintptr_t begin = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (p && end > begin)
        (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

void *mem_big_alloc(size_t size)
{
    if (size < HUGE_PAGE)
        return malloc(size ? size : 1);
    if (size > SIZE_MAX - HUGE_PAGE)
        return NULL;
    size_t rounded = (size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    advise_huge(p, rounded);
    return p;
}

void *mem_big_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t bytes = count * size;
    if (bytes < HUGE_PAGE)
        return calloc(count ? count : 1, size ? size : 1);
    /* calloc, not an aligned block cleared here: a big calloc is a fresh
     * mapping the kernel already zeroed, so the pages are written once
     * (the kernel's clearing) instead of twice. The huge pages inside it
     * are asked for before anything but its header is touched. */
    void *p = calloc(count, size);
    advise_huge(p, bytes);
    return p;
}

void *mem_big_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q && size >= HUGE_PAGE)
        advise_huge(q, size);
    return q;
}

void arena_init(arena *a) { memset(a, 0, sizeof *a); }

static size_t align_up(size_t n) { return (n + 7u) & ~(size_t)7u; }

static int arena_grow(arena *a, size_t need)
{
    /* Blocks double up to 4 MiB so small workflows stay small and large
     * ones need few blocks; an oversized request gets a block of its own. */
    size_t size = a->head ? a->head->size * 2 : ARENA_FIRST_BLOCK;
    if (size > ARENA_MAX_BLOCK)
        size = ARENA_MAX_BLOCK;
    if (size < need)
        size = need;
    if (size > SIZE_MAX - sizeof(arena_block) - HUGE_PAGE)
        return -1;
    /* An oversized request is one big array (a million tasks' wf_task):
     * huge pages, and the whole of the last one. The usual blocks stay in
     * small pages, which a block only partly used does not fill. */
    bool big = size > ARENA_MAX_BLOCK;
    size_t total = sizeof(arena_block) + size;
    if (big)
        total = (total + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    arena_block *b = big ? mem_big_alloc(total) : malloc(total);
    if (!b)
        return -1;
    size = total - sizeof *b;
    b->size = size;
    b->next = a->head;
    a->head = b;
    a->ptr = b->data;
    a->end = b->data + size;
    a->bytes += total;
    return 0;
}

void *arena_alloc(arena *a, size_t size)
{
    size = align_up(size ? size : 1);
    if (size < size - 1)
        return NULL;
    if ((size_t)(a->end - a->ptr) < size || !a->ptr) {
        if (arena_grow(a, size) != 0)
            return NULL;
    }
    void *p = a->ptr;
    a->ptr += size;
    return p;
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a);
}

void arena_adopt(arena *dst, arena *src)
{
    if (!src->head)
        return;
    if (!dst->head) {
        *dst = *src;
        arena_init(src);
        return;
    }
    /* Splice src's blocks behind dst's current block, so dst keeps
     * allocating from where it was. */
    arena_block *tail = src->head;
    while (tail->next)
        tail = tail->next;
    tail->next = dst->head->next;
    dst->head->next = src->head;
    dst->bytes += src->bytes;
    arena_init(src);
}
