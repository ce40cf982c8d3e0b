/* expr.h - the `${{ … }}` expression language (the user reference is
 * docs/expressions.md), and all that lib/expr offers lib/load and
 * lib/engine (expr_int.h is its own).
 *
 * A *template* is one string of a workflow (a `with` value, an `if`, a
 * matrix axis) that may hold any number of `${{ … }}` parts between plain
 * text. It goes through three stages, and the integration is meant to be:
 *
 *   load (schema/compile, once per string)
 *     sym__expr_has_template(s, n)        cheap test: no "${{" means plain text,
 *                                    keep the string as it is and stop here
 *     sym__expr_template_parse(...)       compile into the workflow's arena;
 *                                    syntax errors go to the load's diag
 *     sym__expr_check(t, &scope, d)       names, upstream rule, static types; also
 *                                    records each reference's param/task
 *                                    index so evaluation needs no lookups
 *   run (engine, per dispatch; any thread, t is read-only by then)
 *     sym__expr_eval(t, &env, scratch, &v, &e)       a `with` value
 *     sym__expr_eval_bool(t, &env, scratch, &b, &e)  an `if` condition
 *
 * Templates live in the arena given to sym__expr_template_parse and are freed
 * with it; after sym__expr_check they are never written again, so one template
 * may be evaluated by any number of threads at once.
 *
 * Evaluation has no side effects and reads nothing but the template and
 * what the env hands it: no files, no environment, no clock. It is bounded:
 * nesting depth is limited at parse (EXPR_MAX_DEPTH), every node runs at
 * most once (no loops), each string made (format, toJSON, interpolation)
 * is capped at EXPR_MAX_STRING, fromJSON's input likewise, and all memory
 * one evaluation takes from the scratch arena at EXPR_MAX_EVAL_BYTES.
 * A typical `if` (`tasks.load.outputs.rows > 0`) allocates nothing.
 */
#ifndef SYM_EXPR_H
#define SYM_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "symphony.h"

enum {
    EXPR_MAX_DEPTH = 32,                /* nesting of operators, calls, parentheses */
    EXPR_MAX_ARGS = 32,                 /* arguments of one function call */
    EXPR_MAX_STRING = 1 << 20,          /* bytes of one string an evaluation makes */
    EXPR_MAX_EVAL_BYTES = 8 << 20,      /* scratch bytes of one evaluation */
    EXPR_MAX_JSON_DEPTH = 64            /* nesting fromJSON accepts */
};

#define EXPR_NO_INDEX UINT32_MAX

/* What a reference names. */
typedef enum expr_ref_kind {
    EXPR_REF_PARAM,        /* params.NAME                  name */
    EXPR_REF_MATRIX,       /* matrix.KEY                   name */
    EXPR_REF_TASK_OUTPUT,  /* tasks.ID.outputs.KEY         name = ID, key = KEY */
    EXPR_REF_TASK_OUTPUTS, /* tasks.ID.outputs (the map)   name = ID */
    EXPR_REF_TASK_STATUS,  /* tasks.ID.status              name = ID */
    EXPR_REF_RUN_ID,       /* run.id */
    EXPR_REF_RUN_NAME      /* run.name */
} expr_ref_kind;

/* One reference of a template, as written. Further `.x` / `[i]` after it
 * (params.opts.retries, tasks.a.outputs.list[0]) are applied by the
 * evaluator to the value the env returns, so the env never sees them. */
typedef struct expr_ref {
    expr_ref_kind kind;
    const char *name;      /* param, matrix key or task id; NULL for run.* */
    const char *key;       /* output key (EXPR_REF_TASK_OUTPUT), else NULL */
    uint32_t index;        /* set by sym__expr_check: the param's entry index in
                              scope->params, or the task's index from
                              scope->task; EXPR_NO_INDEX before or otherwise */
    uint32_t line, column; /* where the reference starts */
} expr_ref;

typedef struct expr_template expr_template;

/* ---- load time ---------------------------------------------------------- */

/* True when s (n bytes) contains "${{": only such strings need a template. */
bool sym__expr_has_template(const char *s, size_t n);

/* Compiles the n bytes at text into *out, allocated in a (the template
 * borrows nothing from text). line:column is the position of text's first
 * byte in the file; every error is reported to d at the exact line:column
 * of its cause inside the string, counting a '\n' in text as a new line.
 * That is exact for plain scalars and for quoted ones without escapes when
 * the caller passes the position after the opening quote; for scalars
 * with escapes, or folded and block scalars, YAML has rewritten the text
 * and positions are approximate (the right line, near the right column).
 *
 * Errors (code SYM_ESCHEMA, or SYM_ELIMIT past EXPR_MAX_DEPTH/ARGS; all of
 * a string's expressions are looked at, one error per `${{ }}` at most):
 * unterminated string, `${{` without `}}`, unknown character or operator
 * (`=` suggests `==`), unknown function or name (with did-you-mean),
 * wrong argument count, a literal format string with bad placeholders,
 * malformed number, trailing tokens, empty expression.
 *
 * Returns SYM_OK, the code of the first error (*out NULL), or SYM_ENOMEM.
 * Text with no "${{" gives a literal template (sym__expr_template_is_literal). */
int sym__expr_template_parse(const char *text, size_t n, uint32_t line, uint32_t column, arena *a,
                             diag *d, expr_template **out);
/* The same for text that lives in a already and is never written (a
 * string of a `with` tree): the template points into it, not at a copy. */
int sym__expr_template_parse_kept(const char *text, size_t n, uint32_t line, uint32_t column,
                                  arena *a, diag *d, expr_template **out);

/* True when t is plain text (no expression): use sym__expr_template_text. */
bool sym__expr_template_is_literal(const expr_template *t);
/* True when t is exactly one `${{ }}` and nothing around it (blanks
 * included): its value keeps its type (a list param can feed a matrix). */
bool sym__expr_template_is_single(const expr_template *t);
/* The text of a literal template (NUL-terminated, *len set when not NULL);
 * NULL when t holds expressions. */
const char *sym__expr_template_text(const expr_template *t, size_t *len);
/* The references of t in the order written (*refs borrowed from t). */
size_t sym__expr_template_refs(const expr_template *t, const expr_ref **refs);

/* What an expression may refer to, for the static checks. */
typedef enum expr_task_rel {
    EXPR_TASK_UNKNOWN = 0,  /* no task has that id */
    EXPR_TASK_UPSTREAM,     /* a (transitive) dependency of the referring task */
    EXPR_TASK_NOT_UPSTREAM  /* exists, but is not upstream (itself included) */
} expr_task_rel;

typedef struct expr_scope {
    /* Declared params with their defaults (a map), or NULL for none. A
     * default's type is the param's static type (null: unknown). */
    const sym_value *params;
    /* The referring task's matrix keys: nmatrix elements of matrix_stride
     * bytes whose first member is the key (const char *), e.g. an array of
     * draft_axis; nmatrix 0 when the task has no matrix. */
    const void *matrix_keys;
    size_t nmatrix, matrix_stride;
    /* Classifies a task id relative to the referring task and, when it
     * exists, sets *index (stored in the ref). NULL: every task unknown. */
    expr_task_rel (*task)(void *ctx, const char *id, uint32_t *index);
    void *ctx;
    /* Every task id, for did-you-mean (same layout as matrix_keys, e.g.
     * the draft's tasks array); may be NULL. */
    const void *task_ids;
    size_t ntasks, task_stride;
    /* The referring task's id, for messages ("task 'x' is not upstream of
     * 'y'"); may be NULL. */
    const char *self;
} expr_scope;

/* Checks every reference of t against scope and the operations whose
 * operand types are known statically (literals, param defaults, status
 * and run.* are strings, comparisons and contains/startsWith/endsWith are
 * bools, format/toJSON strings; outputs, matrix values, fromJSON and
 * `.x`/`[i]` results are unknown and never an error here): ordering a
 * list, map or bool, contains on a map, startsWith/endsWith/format on a
 * list or map, fromJSON of a non-string. Each problem goes to d with the
 * position of the reference or operator, with did-you-mean for names.
 * Records each reference's index (see expr_ref), so t is written here:
 * check before sharing it. Returns SYM_OK or the first error's code
 * (SYM_ESCHEMA). A literal template always passes. */
int sym__expr_check(expr_template *t, const expr_scope *scope, diag *d);

/* ---- run time ----------------------------------------------------------- */

/* Where references get their values during one evaluation. Every value
 * handed out is borrowed until the evaluation returns. */
typedef struct expr_env {
    const sym_value *params; /* the run's params, a map (defaults merged
                                with overrides), or NULL; ref->index is
                                tried first, then the name */
    const sym_value *matrix; /* this instance's matrix values, a map, or NULL */
    const char *run_id;      /* NULL reads as null */
    const char *run_name;
    /* EXPR_REF_TASK_*: the value of ref (an output, the outputs map, or the
     * status as a string), or NULL for none (read as null). It may fill
     * *tmp (zeroed by the caller) and return tmp, e.g. a status string
     * pointing at static text, to avoid allocating. NULL: all tasks null. */
    const sym_value *(*task)(void *ctx, const expr_ref *ref, sym_value *tmp);
    void *ctx;
} expr_env;

/* Why an evaluation failed. */
typedef struct expr_error {
    int code;              /* SYM_ETYPE, SYM_ETOOBIG, SYM_EINVAL, SYM_ENOMEM */
    uint32_t line, column; /* of the operator or call at fault, in the file */
    char message[200];     /* without position: "cannot order list and int" */
} expr_error;

/* Evaluates t into *out. A literal template gives its text; a single
 * expression its value with its type; anything else the text of its parts
 * concatenated (strings as they are, null as nothing, other values as
 * compact JSON). Strings made here go to scratch (which must not be NULL
 * for templates that make strings; an arena the caller frees or reuses
 * after copying what it keeps). *out may borrow from t, from the env's
 * values and from scratch: copy it (sym__value_copy_to_arena, sym_value_copy)
 * to keep it beyond them. Returns SYM_OK, or an error code with *err
 * filled when err is not NULL (*out is then null). Thread-safe for a
 * checked t; env, scratch and err belong to the calling thread. */
int sym__expr_eval(const expr_template *t, const expr_env *env, arena *scratch, sym_value *out,
                   expr_error *err);

/* Evaluates t as an `if` condition: the truthiness of sym__expr_eval's value
 * (false for null, false, 0, 0.0, NaN and ''; true for anything else,
 * empty lists and maps included). A literal template is text, so `if:
 * false` written without `${{ }}` reads the string "false": the loader
 * should refuse a literal condition or parse it as YAML, not call this. */
int sym__expr_eval_bool(const expr_template *t, const expr_env *env, arena *scratch, bool *out,
                        expr_error *err);

/* The truthiness rule above, for one value (NULL is null). */
bool sym__expr_truthy(const sym_value *v);

#endif
