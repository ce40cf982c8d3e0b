/* arena.h - a bump allocator for data that lives and dies together (a
 * workflow's strings, values and arrays). Freeing is all at once. */
#ifndef SYM_ARENA_H
#define SYM_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head; /* newest block first */
    char *ptr;         /* next free byte in head */
    char *end;         /* end of head */
    size_t bytes;      /* bytes obtained from malloc, for memory figures */
} arena;

void arena_init(arena *a);
/* size bytes aligned to 8 (or max_align_t), or NULL when out of memory. */
void *arena_alloc(arena *a, size_t size);
/* Zeroed. */
void *arena_calloc(arena *a, size_t count, size_t size);
/* A NUL-terminated copy of n bytes of s. */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
/* Frees every block; a is left empty and reusable. */
void arena_free(arena *a);
/* Big arrays (a million tasks' worth), malloc'd and freed with free():
 * from 2 MiB up, 2 MiB-aligned and marked for transparent huge pages where
 * the system has them, so that first touching them costs one page fault
 * per 2 MiB instead of one per 4 KiB (measured: a third of the time of
 * building a million-task workflow went to page faults). NULL when out of
 * memory. They may be grown with realloc. */
void *mem_big_alloc(size_t size);
void *mem_big_calloc(size_t count, size_t size);
/* realloc, with huge pages asked for over the grown block (the pages not
 * touched yet): for arrays that grow to hundreds of megabytes, such as a
 * builder's. Not for the loader's: a growing array's last huge page counts
 * whole while mostly empty, and that put a file's load over its memory
 * budget. */
void *mem_big_realloc(void *p, size_t size);

/* Moves everything src owns into dst (src is left empty), so a compiled
 * workflow can adopt the memory its draft was parsed into. */
void arena_adopt(arena *dst, arena *src);

#endif
