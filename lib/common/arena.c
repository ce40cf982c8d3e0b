/* arena.c - bump allocation in blocks that grow with the arena, so a
 * workflow of a million tasks costs a few dozen mallocs, not millions. */
#include "arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"

struct arena_block {
    arena_block *next;
    size_t size; /* usable bytes after the header */
    bool big;    /* from sym__mem_big_alloc */
    alignas(max_align_t) char data[];
};

enum { ARENA_FIRST_BLOCK = 4096, ARENA_MAX_BLOCK = 4 << 20 };

void sym__arena_init(arena *a) { memset(a, 0, sizeof *a); }

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
    if (size > SIZE_MAX - sizeof(arena_block))
        return -1;
    /* A block of 2 MiB or more is a mapping of its own, kept for reuse
     * when freed (bigmem.h), and used to its end. One for an oversized
     * request (a million tasks' wf_task) is in huge pages; the usual
     * blocks stay in small pages, which a block only partly used does not
     * fill. */
    size_t total = sizeof(arena_block) + size;
    bool big = total >= BIGMEM_MAPPED;
    arena_block *b = !big                  ? malloc(total)
                     : size > ARENA_MAX_BLOCK ? sym__mem_big_alloc(total)
                                              : sym__mem_big_alloc_sparse(total);
    if (!b)
        return -1;
    if (big)
        total = sym__mem_big_room(b);
    size = total - sizeof *b;
    b->size = size;
    b->big = big;
    b->next = a->head;
    a->head = b;
    a->ptr = b->data;
    a->end = b->data + size;
    a->bytes += total;
    return 0;
}

void *sym__arena_alloc(arena *a, size_t size)
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

void *sym__arena_calloc(arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = sym__arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *sym__arena_strndup(arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = sym__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sym__arena_strdup(arena *a, const char *s) { return sym__arena_strndup(a, s, strlen(s)); }

void sym__arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        if (b->big)
            sym__mem_big_free(b);
        else
            free(b);
        b = next;
    }
    sym__arena_init(a);
}

void sym__arena_adopt(arena *dst, arena *src)
{
    if (!src->head)
        return;
    if (!dst->head) {
        *dst = *src;
        sym__arena_init(src);
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
    sym__arena_init(src);
}
