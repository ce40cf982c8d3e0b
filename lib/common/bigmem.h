/* bigmem.h - big arrays (a million tasks' worth: a builder's slots, a
 * workflow's records, a run's task states), and the blocks they leave.
 *
 * From BIGMEM_MAPPED bytes up, a block is a mapping of its own, aligned to
 * 2 MiB and marked for transparent huge pages where the system has them, so
 * that first touching it costs one page fault per 2 MiB instead of one per
 * 4 KiB. A freed mapping is kept (up to BIGMEM_CACHE_MAX bytes for the whole
 * process) for the next big array to reuse: the kernel clears every fresh
 * page it hands out, and that clearing and its faults were a fifth of the
 * time of building a million-task workflow. sym_release_memory() unmaps
 * what is kept.
 *
 * Smaller blocks come from malloc. Either way a block must be freed with
 * sym__mem_big_free, not free(), and grown with sym__mem_big_realloc: each carries a
 * header in front of it. Any thread may call these. */
#ifndef SYM_BIGMEM_H
#define SYM_BIGMEM_H

#include <stddef.h>

enum { BIGMEM_MAPPED = 2 << 20 };
#define BIGMEM_CACHE_MAX ((size_t)256 << 20)

/* size bytes, aligned to 64, not cleared; NULL when out of memory. */
void *sym__mem_big_alloc(size_t size);
/* The same, for a block that may be used only in part (an arena's): a
 * fresh mapping is left in 4 KiB pages, so its untouched part costs no
 * memory. */
void *sym__mem_big_alloc_sparse(size_t size);
/* count * size bytes, aligned to 64, zeroed; NULL when out of memory or
 * when the product overflows. */
void *sym__mem_big_calloc(size_t count, size_t size);
/* p (NULL: a new block) with room for size bytes, its contents kept up to
 * the smaller size; NULL when out of memory, p then untouched. A block has
 * room for more than was asked when it reuses a bigger mapping, so growing
 * it is then free. */
void *sym__mem_big_realloc(void *p, size_t size);
/* The usable bytes of p: what it was asked for, or more. */
size_t sym__mem_big_room(const void *p);
/* Frees p (NULL: nothing), or keeps its mapping for reuse. */
void sym__mem_big_free(void *p);
/* Unmaps the kept blocks; the bytes unmapped. */
size_t sym__mem_big_release(void);

#endif
