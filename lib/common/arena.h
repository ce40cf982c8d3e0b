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

void sym__arena_init(arena *a);
/* size bytes aligned to 8 (or max_align_t), or NULL when out of memory. */
void *sym__arena_alloc(arena *a, size_t size);
/* Zeroed. */
void *sym__arena_calloc(arena *a, size_t count, size_t size);
/* A NUL-terminated copy of n bytes of s. */
char *sym__arena_strndup(arena *a, const char *s, size_t n);
char *sym__arena_strdup(arena *a, const char *s);
/* Frees every block; a is left empty and reusable. */
void sym__arena_free(arena *a);
/* Moves everything src owns into dst (src is left empty), so a compiled
 * workflow can adopt the memory its draft was parsed into. */
void sym__arena_adopt(arena *dst, arena *src);

#endif
