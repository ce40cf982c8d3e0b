/* names.h - the grammar of names in the workflow format, and "did you
 * mean" suggestions for misspelt keys and ids. */
#ifndef SYM_NAMES_H
#define SYM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* [A-Za-z_][A-Za-z0-9_-]{0,63} */
bool sym__name_is_task_id(const char *s);
/* [A-Za-z0-9_.-]{1,64} */
bool sym__name_is_worker(const char *s);
/* [A-Za-z0-9_.-]+ (at most 128) */
bool sym__name_is_workflow(const char *s);
/* [A-Za-z_][A-Za-z0-9_]{0,63}: params and matrix keys */
bool sym__name_is_identifier(const char *s);

/* The candidate closest to word by edit distance, when close enough to be a
 * likely typo (at most 1 edit for words under 4 bytes, else at most 2), else NULL.
 * cands is an array of n strings; the stride lets it walk arrays of
 * structs whose first member is the string: pass sizeof(the struct). */
const char *sym__did_you_mean(const char *word, const void *cands, size_t n, size_t stride);

#endif
