/* expr_int.h - the compiled form of expression templates, shared by the
 * parser (expr_parse.c), the static checks (expr_check.c) and the
 * evaluator (expr_eval.c). Nothing outside expr_*.c includes it. */
#ifndef SYM_EXPR_INT_H
#define SYM_EXPR_INT_H

#include "expr.h"
#include "common.h"

typedef enum expr_node_kind {
    N_LIT,    /* u.lit */
    N_REF,    /* u.ref: index into the template's refs */
    N_NOT,    /* u.bin.l */
    N_AND,    /* u.bin.l && u.bin.r */
    N_OR,     /* u.bin.l || u.bin.r */
    N_CMP,    /* op: expr_cmp */
    N_CALL,   /* op: expr_fn; u.call */
    N_MEMBER, /* u.member: obj.name */
    N_INDEX   /* u.bin: l[r] */
} expr_node_kind;

typedef enum expr_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } expr_cmp;

typedef enum expr_fn {
    FN_CONTAINS,
    FN_STARTSWITH,
    FN_ENDSWITH,
    FN_FORMAT,
    FN_TOJSON,
    FN_FROMJSON,
    FN_COUNT
} expr_fn;

typedef struct expr_node expr_node;
/* 32 bytes: the length of a member's name sits in the header, so no
 * member of the union is over 16 bytes. */
struct expr_node {
    uint8_t kind;   /* expr_node_kind */
    uint8_t op;     /* expr_cmp or expr_fn */
    uint16_t nargs; /* N_CALL */
    uint32_t line, column;
    uint32_t len;   /* N_MEMBER: the length of u.member.name */
    union {
        sym_value lit;
        uint32_t ref;
        struct {
            const expr_node *l, *r;
        } bin;
        struct {
            const expr_node *obj;
            const char *name;
        } member;
        const expr_node *const *args;
    } u;
};

/* A run of text (root NULL) or one `${{ }}` (text is its source). */
typedef struct expr_part {
    const char *text;
    uint32_t len;
    const expr_node *root;
} expr_part;

/* 32 bytes and its parts, in one block: a big `with` holds a template per
 * string with `${{ }}`. */
struct expr_template {
    expr_ref *refs;
    const char *text;
    uint32_t nparts;
    uint32_t nrefs;
    uint32_t len;
    bool literal;      /* no expression: text/len is the whole string */
    bool single;       /* exactly one expression and nothing else */
    expr_part parts[]; /* nparts of them; none when literal */
};

/* The name of function fn ("startsWith"). */
const char *sym__expr_fn_name(expr_fn fn);

/* Parses the whole of s (n bytes, blanks around allowed) as a number in
 * the expression syntax without hex (decimal int or float): true and *v
 * set (int when it has no '.'/exponent and fits int64). Used for the
 * string-to-number rule of comparisons. */
bool sym__expr_parse_number(const char *s, size_t n, sym_value *v);

/* Strict JSON (RFC 8259) of n bytes into *v, allocated through alloc(ctx,
 * size) (NULL: out of memory or budget). Depth up to EXPR_MAX_JSON_DEPTH.
 * SYM_OK; SYM_EINVAL with msg filled for bad JSON; SYM_ENOMEM/SYM_ETOOBIG
 * as reported by *alloc_fail. */
typedef void *(*expr_alloc_fn)(void *ctx, size_t size);
int sym__expr_json_parse(const char *s, size_t n, expr_alloc_fn alloc, void *ctx, sym_value *v,
                         char *msg, size_t msglen);

#endif
