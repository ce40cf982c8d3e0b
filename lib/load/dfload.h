/* dfload.h - the load side of data flow: `${{ }}` templates in `with`,
 * `if` conditions, matrix axes given by expressions over params, and
 * max_parallel. schema.c and builder.c parse the strings into the draft;
 * compile.c calls the hooks below, only when the draft has any of it
 * (draft.has_df), to check them, evaluate param axes and lay out
 * sym_workflow.df (workflow.h). sym__workflow_expand_for_params is here too. */
#ifndef SYM_DFLOAD_H
#define SYM_DFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "draft.h"
#include "expr.h"
#include "workflow.h"

/* Parses an `if` string at line:column (its first byte) into *out, in
 * d's arena. With `${{` it is a template; without, the whole string is one
 * expression (`if: tasks.load.outputs.rows > 0`). Errors go to dg.
 * Returns SYM_OK, an error code, or SYM_ENOMEM. */
int sym__dfl_parse_condition(arena *a, const char *s, size_t n, uint32_t line, uint32_t column,
                             diag *dg, expr_template **out);

/* Where a leaf of a `with` tree was written: *line and *column (0 when
 * unknown). */
typedef void (*dfl_pos_fn)(void *ctx, const sym_value *leaf, uint32_t *line, uint32_t *column);

/* Records every string of with (a tree in d's arena) that holds `${{` as
 * a draft_input of draft task `task`, parsed at the position pos gives
 * (pos may be NULL: no positions). Parse errors go to dg (*bad set when
 * there was one). SYM_OK, or SYM_ENOMEM. */
int sym__dfl_scan_with(draft *d, uint32_t task, const sym_value *with, dfl_pos_fn pos, void *ctx,
                       diag *dg, bool *bad);

/* ---- compile's hooks (only when d->has_df) ------------------------------ */

/* The static checks: every input, condition and axis template against its
 * task's scope (params, matrix keys, upstream tasks from the dependency
 * lists in draft indices, CSR dbeg/dcnt/ddep), axes reading params only,
 * max_parallel only with a matrix. Reports to d->diag; *first gets the
 * first error's code when it is still SYM_OK. SYM_OK or SYM_ENOMEM. */
int sym__dfl_check(draft *d, uint32_t n, const uint32_t *dbeg, const uint32_t *dcnt,
                   const uint32_t *ddep, int *first);

/* The list an expression axis expands over (evaluated with the defaults,
 * or d->expand_params), in d's arena; NULL after a report (or when its
 * template was refused already). */
const sym_value *sym__dfl_axis_list(draft *d, const char *id, draft_axis *ax, int *first);

/* Lays out wf->df for the compiled wf: task i of the draft (n of them)
 * became instances [base[i], base[i] + ninst[i]) (NULL arrays: the
 * identity, one instance each). With param axes, keeps what re-expansion
 * needs (the dependency lists in draft indices among it). SYM_OK or
 * SYM_ENOMEM. */
int sym__dfl_build(draft *d, sym_workflow *wf, uint32_t n, const uint32_t *base,
                   const uint32_t *ninst, const uint32_t *dbeg, const uint32_t *dcnt,
                   const uint32_t *ddep);

/* sym__workflow_release's hook: drops what wf->df holds beyond the arena. */
void sym__dfl_release(sym_workflow *wf);

#endif
