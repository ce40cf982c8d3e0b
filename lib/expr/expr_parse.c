/* expr_parse.c - templates: finding the `${{ }}` parts of a string, the
 * lexer, and a recursive-descent parser into the arena form of
 * expr_int.h. Errors go to the diag at the line:column of their cause. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"
#include "common.h"

/* ---- positions ---------------------------------------------------------- */

/* A place in the text: byte offset and its line:column in the file. Moves
 * forward only, one byte at a time, so positions cost nothing extra. */
typedef struct cursor {
    size_t off;
    uint32_t line, col;
} cursor;

static void cur_step(cursor *c, const char *s)
{
    if (s[c->off] == '\n') {
        c->line++;
        c->col = 1;
    } else {
        c->col++;
    }
    c->off++;
}

static void cur_to(cursor *c, const char *s, size_t off)
{
    while (c->off < off)
        cur_step(c, s);
}

/* ---- lexer -------------------------------------------------------------- */

typedef enum tok_kind {
    T_EOF, T_INT, T_FLOAT, T_STRING, T_IDENT, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
    T_DOT, T_COMMA, T_NOT, T_AND, T_OR, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD
} tok_kind;

typedef struct token {
    tok_kind kind;
    cursor at;        /* start */
    size_t len;       /* bytes of source */
    int64_t i;
    double f;
} token;

typedef struct parser {
    const char *s;
    size_t end; /* the expression's text ends here (before its "}}") */
    cursor cur; /* the lexer's position */
    token tok;  /* the current token */
    arena *a;
    diag *d;
    int err;    /* first error of this expression, SYM_OK while none */
    int depth;
    expr_ref *refs; /* malloc'd while parsing, copied to the arena at the end */
    uint32_t nrefs, refs_cap;
} parser;

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void fail(parser *p, int code, const cursor *at, const char *fmt, ...) SYM_PRINTF(4, 5);

static void fail(parser *p, int code, const cursor *at, const char *fmt, ...)
{
    if (p->err != SYM_OK)
        return;
    p->err = code;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sym__diag_add(p->d, code, at->line, at->col, "%s", msg);
}

/* A byte as readable text for messages. */
static const char *show_char(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "\\x%02X", u);
    return buf;
}

static void lex_number(parser *p, token *t)
{
    const char *s = p->s;
    size_t i = p->cur.off, start = i;
    bool is_float = false;
    if (s[i] == '-')
        i++;
    if (s[i] == '0' && i + 1 < p->end && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
        size_t digits = i;
        while (i < p->end && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                              (s[i] >= 'A' && s[i] <= 'F')))
            i++;
        if (i == digits || (i < p->end && is_ident_char(s[i]))) {
            fail(p, SYM_ESCHEMA, &t->at, "malformed number in expression");
            return;
        }
        char buf[32];
        size_t n = i - digits;
        if (n > 16) {
            fail(p, SYM_ESCHEMA, &t->at, "number out of range in expression");
            return;
        }
        memcpy(buf, s + digits, n);
        buf[n] = '\0';
        unsigned long long u = strtoull(buf, NULL, 16);
        if (u > (unsigned long long)INT64_MAX) {
            fail(p, SYM_ESCHEMA, &t->at, "number out of range in expression");
            return;
        }
        t->kind = T_INT;
        t->i = s[start] == '-' ? -(int64_t)u : (int64_t)u;
        t->len = i - start;
        cur_to(&p->cur, s, i);
        return;
    }
    while (i < p->end && is_digit(s[i]))
        i++;
    if (i < p->end && s[i] == '.') {
        is_float = true;
        i++;
        if (i >= p->end || !is_digit(s[i])) {
            fail(p, SYM_ESCHEMA, &t->at, "malformed number in expression (a digit must follow '.')");
            return;
        }
        while (i < p->end && is_digit(s[i]))
            i++;
    }
    if (i < p->end && (s[i] == 'e' || s[i] == 'E')) {
        is_float = true;
        i++;
        if (i < p->end && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->end || !is_digit(s[i])) {
            fail(p, SYM_ESCHEMA, &t->at, "malformed number in expression (exponent without digits)");
            return;
        }
        while (i < p->end && is_digit(s[i]))
            i++;
    }
    if (i < p->end && (is_ident_char(s[i]) || s[i] == '.')) {
        fail(p, SYM_ESCHEMA, &t->at, "malformed number in expression");
        return;
    }
    sym_value v;
    if (!sym__expr_parse_number(s + start, i - start, &v) ||
        (!is_float && v.type != SYM_VALUE_INT)) {
        fail(p, SYM_ESCHEMA, &t->at, "number out of range in expression");
        return;
    }
    t->kind = v.type == SYM_VALUE_INT ? T_INT : T_FLOAT;
    t->i = v.u.i;
    t->f = v.type == SYM_VALUE_FLOAT ? v.u.f : 0;
    t->len = i - start;
    cur_to(&p->cur, s, i);
}

/* A string literal: the bounds were checked when the expression's extent
 * was found, so the closing quote exists. */
static void lex_string(parser *p, token *t)
{
    const char *s = p->s;
    size_t i = p->cur.off + 1;
    for (;;) {
        if (s[i] == '\'') {
            if (i + 1 < p->end && s[i + 1] == '\'') {
                i += 2;
                continue;
            }
            break;
        }
        i++;
    }
    t->kind = T_STRING;
    t->len = i + 1 - p->cur.off;
    cur_to(&p->cur, s, i + 1);
}

/* Two-byte operators first; single '=', '&', '|' get a hint. */
static void lex_operator(parser *p, token *t)
{
    static const struct {
        const char *text;
        tok_kind kind;
    } ops[] = {{"&&", T_AND}, {"||", T_OR}, {"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE},
               {">=", T_GE},  {"<", T_LT},  {">", T_GT},  {"!", T_NOT}, {"(", T_LPAREN},
               {")", T_RPAREN}, {"[", T_LBRACK}, {"]", T_RBRACK}, {".", T_DOT}, {",", T_COMMA}};
    const char *s = p->s + p->cur.off;
    size_t left = p->end - p->cur.off;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (n <= left && memcmp(s, ops[k].text, n) == 0) {
            t->kind = ops[k].kind;
            t->len = n;
            cur_to(&p->cur, p->s, p->cur.off + n);
            return;
        }
    }
    static const char *const hints[][2] = {{"=", "=="}, {"&", "&&"}, {"|", "||"}};
    for (size_t k = 0; k < 3; k++)
        if (*s == hints[k][0][0]) {
            fail(p, SYM_ESCHEMA, &t->at, "unknown operator '%s' in expression (did you mean '%s'?)",
                 hints[k][0], hints[k][1]);
            return;
        }
    char buf[8];
    if (*s == '"')
        fail(p, SYM_ESCHEMA, &t->at, "strings in expressions use single quotes: 'text'");
    else if (strchr("+-*/%", *s))
        fail(p, SYM_ESCHEMA, &t->at, "unknown operator '%c' in expression (there is no arithmetic)",
             *s);
    else
        fail(p, SYM_ESCHEMA, &t->at, "unknown character %s in expression", show_char(*s, buf));
}

/* Reads the next token into p->tok (T_BAD after an error). */
static void lex(parser *p)
{
    const char *s = p->s;
    while (p->cur.off < p->end &&
           (s[p->cur.off] == ' ' || s[p->cur.off] == '\t' || s[p->cur.off] == '\n' ||
            s[p->cur.off] == '\r'))
        cur_step(&p->cur, s);
    token *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->at = p->cur;
    t->kind = T_BAD;
    if (p->err != SYM_OK)
        return;
    if (p->cur.off >= p->end) {
        t->kind = T_EOF;
        return;
    }
    char c = s[p->cur.off];
    if (is_digit(c) || (c == '-' && p->cur.off + 1 < p->end && is_digit(s[p->cur.off + 1])))
        lex_number(p, t);
    else if (c == '\'')
        lex_string(p, t);
    else if (is_ident_start(c)) {
        size_t i = p->cur.off;
        while (i < p->end && is_ident_char(s[i]))
            i++;
        t->kind = T_IDENT;
        t->len = i - p->cur.off;
        cur_to(&p->cur, s, i);
    } else
        lex_operator(p, t);
}

/* ---- building nodes ------------------------------------------------------ */

static const char *const fn_names[FN_COUNT] = {"contains", "startsWith", "endsWith",
                                               "format",   "toJSON",     "fromJSON"};
static const uint8_t fn_min[FN_COUNT] = {2, 2, 2, 1, 1, 1};
static const uint8_t fn_max[FN_COUNT] = {2, 2, 2, EXPR_MAX_ARGS, 1, 1};

const char *sym__expr_fn_name(expr_fn fn) { return (unsigned)fn < FN_COUNT ? fn_names[fn] : "?"; }

static expr_node *new_node(parser *p, expr_node_kind kind, const cursor *at)
{
    expr_node *n = sym__arena_calloc(p->a, 1, sizeof *n);
    if (!n) {
        fail(p, SYM_ENOMEM, at, "out of memory");
        return NULL;
    }
    n->kind = (uint8_t)kind;
    n->line = at->line;
    n->column = at->col;
    return n;
}

static bool token_text_eq(const parser *p, const token *t, const char *word)
{
    size_t n = strlen(word);
    return t->kind == T_IDENT && t->len == n && memcmp(p->s + t->at.off, word, n) == 0;
}

/* The value of a string token with '' unescaped, in the arena. */
static char *string_value(parser *p, const token *t, uint32_t *len)
{
    const char *s = p->s + t->at.off + 1;
    size_t n = t->len - 2;
    char *out = sym__arena_alloc(p->a, n + 1);
    if (!out) {
        fail(p, SYM_ENOMEM, &t->at, "out of memory");
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = s[i];
        if (s[i] == '\'')
            i++;
    }
    out[k] = '\0';
    *len = (uint32_t)k;
    return out;
}

static char *ident_value(parser *p, const token *t)
{
    char *s = sym__arena_strndup(p->a, p->s + t->at.off, t->len);
    if (!s)
        fail(p, SYM_ENOMEM, &t->at, "out of memory");
    return s;
}

static bool expect(parser *p, tok_kind kind, const char *what)
{
    if (p->tok.kind == kind) {
        lex(p);
        return true;
    }
    if (p->tok.kind == T_EOF)
        fail(p, SYM_ESCHEMA, &p->tok.at, "expression ends where %s was expected", what);
    else if (p->tok.kind != T_BAD)
        fail(p, SYM_ESCHEMA, &p->tok.at, "expected %s in expression, found '%.*s'", what,
             (int)(p->tok.len > 40 ? 40 : p->tok.len), p->s + p->tok.at.off);
    return false;
}

/* ---- references ------------------------------------------------------------ */

static uint32_t add_ref(parser *p, expr_ref_kind kind, const char *name, const char *key,
                        const cursor *at)
{
    if (p->nrefs == p->refs_cap) {
        uint32_t cap = p->refs_cap ? p->refs_cap * 2 : 4;
        expr_ref *r = realloc(p->refs, cap * sizeof *r);
        if (!r) {
            fail(p, SYM_ENOMEM, at, "out of memory");
            return 0;
        }
        p->refs = r;
        p->refs_cap = cap;
    }
    expr_ref *r = &p->refs[p->nrefs];
    r->kind = kind;
    r->name = name;
    r->key = key;
    r->index = EXPR_NO_INDEX;
    r->line = at->line;
    r->column = at->col;
    return p->nrefs++;
}

/* `.name` or `['name']` after a reference root; NULL (reported) otherwise. */
static const char *ref_segment(parser *p, const char *what)
{
    if (p->tok.kind == T_DOT) {
        lex(p);
        if (p->tok.kind != T_IDENT) {
            expect(p, T_IDENT, what);
            return NULL;
        }
        char *s = ident_value(p, &p->tok);
        lex(p);
        return s;
    }
    if (p->tok.kind == T_LBRACK) {
        lex(p);
        if (p->tok.kind != T_STRING) {
            expect(p, T_STRING, what);
            return NULL;
        }
        uint32_t len;
        char *s = string_value(p, &p->tok, &len);
        lex(p);
        if (!expect(p, T_RBRACK, "']'"))
            return NULL;
        return s;
    }
    expect(p, T_DOT, what);
    return NULL;
}

static expr_node *ref_node(parser *p, uint32_t ref, const cursor *at)
{
    if (p->err != SYM_OK)
        return NULL;
    expr_node *n = new_node(p, N_REF, at);
    if (n)
        n->u.ref = ref;
    return n;
}

static expr_node *parse_task_ref(parser *p, const cursor *at)
{
    const char *id = ref_segment(p, "a task id after 'tasks.'");
    if (!id)
        return NULL;
    cursor what_at = p->tok.at;
    if (p->tok.kind == T_DOT)
        what_at = p->cur; /* the word after the dot, for the message */
    const char *what = ref_segment(p, "'outputs' or 'status' after 'tasks.ID'");
    if (!what)
        return NULL;
    if (strcmp(what, "status") == 0)
        return ref_node(p, add_ref(p, EXPR_REF_TASK_STATUS, id, NULL, at), at);
    if (strcmp(what, "outputs") != 0) {
        static const char *const words[] = {"outputs", "status"};
        const char *hint = sym__did_you_mean(what, words, 2, sizeof words[0]);
        fail(p, SYM_ESCHEMA, &what_at, "'tasks.%s.%s': a task has 'outputs' and 'status'%s%s%s",
             id, what, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return NULL;
    }
    /* outputs.KEY or outputs['KEY'] names one output; anything else reads
     * the whole map, with any index applied to it later. */
    if (p->tok.kind == T_DOT) {
        const char *key = ref_segment(p, "an output key");
        return key ? ref_node(p, add_ref(p, EXPR_REF_TASK_OUTPUT, id, key, at), at) : NULL;
    }
    if (p->tok.kind == T_LBRACK) {
        cursor save = p->cur;
        token tok = p->tok;
        lex(p);
        bool is_key = p->tok.kind == T_STRING;
        token str = p->tok;
        if (is_key) {
            lex(p);
            is_key = p->tok.kind == T_RBRACK;
        }
        if (is_key && p->err == SYM_OK) {
            uint32_t len;
            char *key = string_value(p, &str, &len);
            lex(p);
            return key ? ref_node(p, add_ref(p, EXPR_REF_TASK_OUTPUT, id, key, at), at) : NULL;
        }
        if (p->err != SYM_OK)
            return NULL;
        p->cur = save;
        p->tok = tok;
    }
    return ref_node(p, add_ref(p, EXPR_REF_TASK_OUTPUTS, id, NULL, at), at);
}

static expr_node *parse_reference(parser *p)
{
    token root = p->tok;
    cursor at = root.at;
    lex(p);
    if (token_text_eq(p, &root, "params") || token_text_eq(p, &root, "matrix")) {
        bool params = token_text_eq(p, &root, "params");
        const char *name = ref_segment(p, params ? "a param name after 'params'"
                                                 : "a matrix key after 'matrix'");
        if (!name)
            return NULL;
        return ref_node(p, add_ref(p, params ? EXPR_REF_PARAM : EXPR_REF_MATRIX, name, NULL, &at),
                        &at);
    }
    if (token_text_eq(p, &root, "run")) {
        cursor what_at = p->tok.kind == T_DOT ? p->cur : p->tok.at;
        const char *what = ref_segment(p, "'id' or 'name' after 'run'");
        if (!what)
            return NULL;
        if (strcmp(what, "id") == 0)
            return ref_node(p, add_ref(p, EXPR_REF_RUN_ID, NULL, NULL, &at), &at);
        if (strcmp(what, "name") == 0)
            return ref_node(p, add_ref(p, EXPR_REF_RUN_NAME, NULL, NULL, &at), &at);
        fail(p, SYM_ESCHEMA, &what_at, "'run.%s': a run has 'id' and 'name'", what);
        return NULL;
    }
    if (token_text_eq(p, &root, "tasks"))
        return parse_task_ref(p, &at);
    static const char *const roots[] = {"params", "matrix", "tasks", "run", "true", "false", "null"};
    char word[72];
    snprintf(word, sizeof word, "%.*s", (int)(root.len > 64 ? 64 : root.len), p->s + root.at.off);
    const char *hint =
        sym__did_you_mean(word, roots, sizeof roots / sizeof roots[0], sizeof roots[0]);
    fail(p, SYM_ESCHEMA, &at, "unknown name '%s' in expression (did you mean '%s'?)", word,
         hint ? hint : "params.NAME, matrix.KEY, tasks.ID or run.id");
    return NULL;
}

/* ---- grammar ----------------------------------------------------------------- */

static expr_node *parse_or(parser *p);

static bool enter(parser *p, const cursor *at)
{
    if (++p->depth > EXPR_MAX_DEPTH) {
        fail(p, SYM_ELIMIT, at, "expression nested too deeply (more than %d levels)",
             EXPR_MAX_DEPTH);
        return false;
    }
    return true;
}

/* A literal format string is checked here, so its mistakes are load
 * errors: every '{' opens "{N}" with N < values, or is doubled. */
static void check_format(parser *p, const expr_node *fmt, unsigned values)
{
    if (fmt->kind != N_LIT || fmt->u.lit.type != SYM_VALUE_STRING)
        return;
    const char *s = fmt->u.lit.u.s;
    cursor at = {0, fmt->line, fmt->column};
    for (uint32_t i = 0; i < fmt->u.lit.n; i++) {
        if (s[i] == '{' && s[i + 1] == '{') {
            i++;
        } else if (s[i] == '{') {
            uint32_t k = i + 1, idx = 0;
            while (k < fmt->u.lit.n && is_digit(s[k]) && idx < 1000)
                idx = idx * 10 + (uint32_t)(s[k++] - '0');
            if (k == i + 1 || s[k] != '}') {
                fail(p, SYM_ESCHEMA, &at, "format string: '{' at offset %u is not a placeholder "
                     "such as {0} (write '{{' for a brace)", i);
                return;
            }
            if (idx >= values) {
                fail(p, SYM_ESCHEMA, &at, "format string uses {%u}, but %u value%s follow%s it",
                     idx, values, values == 1 ? "" : "s", values == 1 ? "s" : "");
                return;
            }
            i = k;
        } else if (s[i] == '}') {
            if (s[i + 1] != '}') {
                fail(p, SYM_ESCHEMA, &at, "format string: lone '}' at offset %u (write '}}')", i);
                return;
            }
            i++;
        }
    }
}

static expr_node *parse_call(parser *p)
{
    token name = p->tok;
    char word[72];
    snprintf(word, sizeof word, "%.*s", (int)(name.len > 64 ? 64 : name.len), p->s + name.at.off);
    int fn = -1;
    for (int k = 0; k < FN_COUNT; k++)
        if (strcmp(word, fn_names[k]) == 0)
            fn = k;
    if (fn < 0) {
        const char *hint = sym__did_you_mean(word, fn_names, FN_COUNT, sizeof fn_names[0]);
        if (hint)
            fail(p, SYM_ESCHEMA, &name.at, "unknown function '%s' (did you mean '%s'?)", word, hint);
        else
            fail(p, SYM_ESCHEMA, &name.at, "unknown function '%s' (functions: contains, "
                 "startsWith, endsWith, format, toJSON, fromJSON)", word);
        return NULL;
    }
    lex(p); /* name */
    lex(p); /* ( */
    const expr_node *args[EXPR_MAX_ARGS + 1];
    unsigned n = 0;
    if (p->tok.kind != T_RPAREN) {
        for (;;) {
            if (n == EXPR_MAX_ARGS) {
                fail(p, SYM_ELIMIT, &p->tok.at, "more than %d arguments to '%s'", EXPR_MAX_ARGS,
                     word);
                return NULL;
            }
            args[n] = parse_or(p);
            if (!args[n])
                return NULL;
            n++;
            if (p->tok.kind != T_COMMA)
                break;
            lex(p);
        }
    }
    if (!expect(p, T_RPAREN, "',' or ')'"))
        return NULL;
    if (n < fn_min[fn] || n > fn_max[fn]) {
        if (fn_min[fn] == fn_max[fn])
            fail(p, SYM_ESCHEMA, &name.at, "'%s' takes %u argument%s, not %u", word, fn_min[fn],
                 fn_min[fn] == 1 ? "" : "s", n);
        else
            fail(p, SYM_ESCHEMA, &name.at, "'%s' takes a format string and up to %u values, not "
                 "%u arguments", word, (unsigned)fn_max[fn] - 1, n);
        return NULL;
    }
    if (fn == FN_FORMAT)
        check_format(p, args[0], n - 1);
    expr_node *node = new_node(p, N_CALL, &name.at);
    const expr_node **copy = sym__arena_alloc(p->a, n * sizeof *copy);
    if (!node || !copy) {
        fail(p, SYM_ENOMEM, &name.at, "out of memory");
        return NULL;
    }
    memcpy(copy, args, n * sizeof *copy);
    node->op = (uint8_t)fn;
    node->nargs = (uint16_t)n;
    node->u.args = copy;
    return p->err == SYM_OK ? node : NULL;
}

static expr_node *parse_primary(parser *p)
{
    token t = p->tok;
    expr_node *n;
    switch (t.kind) {
    case T_INT:
    case T_FLOAT:
        if (!(n = new_node(p, N_LIT, &t.at)))
            return NULL;
        if (t.kind == T_INT)
            sym__value_set_int(&n->u.lit, t.i);
        else
            sym__value_set_float(&n->u.lit, t.f);
        lex(p);
        return n;
    case T_STRING: {
        if (!(n = new_node(p, N_LIT, &t.at)))
            return NULL;
        uint32_t len;
        char *s = string_value(p, &t, &len);
        if (!s)
            return NULL;
        n->u.lit.type = SYM_VALUE_STRING;
        n->u.lit.u.s = s;
        n->u.lit.n = len;
        lex(p);
        return n;
    }
    case T_LPAREN:
        lex(p);
        n = parse_or(p);
        if (n && !expect(p, T_RPAREN, "')'"))
            return NULL;
        return n;
    case T_IDENT: {
        bool is_true = token_text_eq(p, &t, "true"), is_false = token_text_eq(p, &t, "false");
        if (is_true || is_false || token_text_eq(p, &t, "null")) {
            if (!(n = new_node(p, N_LIT, &t.at)))
                return NULL;
            if (is_true || is_false)
                sym__value_set_bool(&n->u.lit, is_true);
            lex(p);
            return n;
        }
        /* A name followed by '(' is a call. */
        size_t k = t.at.off + t.len;
        while (k < p->end && (p->s[k] == ' ' || p->s[k] == '\t' || p->s[k] == '\n' ||
                              p->s[k] == '\r'))
            k++;
        if (k < p->end && p->s[k] == '(')
            return parse_call(p);
        return parse_reference(p);
    }
    case T_EOF:
        fail(p, SYM_ESCHEMA, &t.at, "expression ends where a value was expected");
        return NULL;
    case T_BAD: return NULL;
    default:
        fail(p, SYM_ESCHEMA, &t.at, "expected a value in expression, found '%.*s'", (int)t.len,
             p->s + t.at.off);
        return NULL;
    }
}

/* `.name` and `[expr]` after a value. */
static expr_node *parse_postfix(parser *p)
{
    expr_node *n = parse_primary(p);
    while (n && (p->tok.kind == T_DOT || p->tok.kind == T_LBRACK)) {
        token op = p->tok;
        lex(p);
        expr_node *m = new_node(p, op.kind == T_DOT ? N_MEMBER : N_INDEX, &op.at);
        if (!m)
            return NULL;
        if (op.kind == T_DOT) {
            if (p->tok.kind != T_IDENT) {
                expect(p, T_IDENT, "a name after '.'");
                return NULL;
            }
            m->u.member.obj = n;
            m->u.member.name = ident_value(p, &p->tok);
            m->len = (uint32_t)p->tok.len;
            lex(p);
        } else {
            if (!enter(p, &op.at))
                return NULL;
            const expr_node *idx = parse_or(p);
            p->depth--;
            if (!idx || !expect(p, T_RBRACK, "']'"))
                return NULL;
            m->u.bin.l = n;
            m->u.bin.r = idx;
        }
        n = p->err == SYM_OK ? m : NULL;
    }
    return n;
}

static expr_node *parse_unary(parser *p)
{
    if (p->tok.kind != T_NOT)
        return parse_postfix(p);
    token op = p->tok;
    if (!enter(p, &op.at))
        return NULL;
    lex(p);
    const expr_node *operand = parse_unary(p);
    p->depth--;
    if (!operand)
        return NULL;
    expr_node *n = new_node(p, N_NOT, &op.at);
    if (n)
        n->u.bin.l = operand;
    return n;
}

/* A binary node; a chain (a && b && c) nests to the left, and every link
 * counts toward the depth limit, since evaluation recurses through it. */
static expr_node *binary(parser *p, expr_node_kind kind, expr_cmp op, const token *at,
                         const expr_node *l, const expr_node *r)
{
    expr_node *n = new_node(p, kind, &at->at);
    if (!n)
        return NULL;
    n->op = (uint8_t)op;
    n->u.bin.l = l;
    n->u.bin.r = r;
    return n;
}

static expr_node *parse_rel(parser *p)
{
    expr_node *l = parse_unary(p);
    int links = 0;
    while (l && p->tok.kind >= T_LT && p->tok.kind <= T_GE) {
        token op = p->tok;
        expr_cmp c = op.kind == T_LT ? CMP_LT : op.kind == T_LE ? CMP_LE
                     : op.kind == T_GT ? CMP_GT : CMP_GE;
        if (!enter(p, &op.at))
            return NULL;
        links++;
        lex(p);
        const expr_node *r = parse_unary(p);
        l = r ? binary(p, N_CMP, c, &op, l, r) : NULL;
    }
    p->depth -= links;
    return l;
}

static expr_node *parse_eq(parser *p)
{
    expr_node *l = parse_rel(p);
    int links = 0;
    while (l && (p->tok.kind == T_EQ || p->tok.kind == T_NE)) {
        token op = p->tok;
        if (!enter(p, &op.at))
            return NULL;
        links++;
        lex(p);
        const expr_node *r = parse_rel(p);
        l = r ? binary(p, N_CMP, op.kind == T_EQ ? CMP_EQ : CMP_NE, &op, l, r) : NULL;
    }
    p->depth -= links;
    return l;
}

static expr_node *parse_and(parser *p)
{
    expr_node *l = parse_eq(p);
    int links = 0;
    while (l && p->tok.kind == T_AND) {
        token op = p->tok;
        if (!enter(p, &op.at))
            return NULL;
        links++;
        lex(p);
        const expr_node *r = parse_eq(p);
        l = r ? binary(p, N_AND, CMP_EQ, &op, l, r) : NULL;
    }
    p->depth -= links;
    return l;
}

static expr_node *parse_or(parser *p)
{
    if (!enter(p, &p->tok.at))
        return NULL;
    expr_node *l = parse_and(p);
    int links = 0;
    while (l && p->tok.kind == T_OR) {
        token op = p->tok;
        if (!enter(p, &op.at))
            return NULL;
        links++;
        lex(p);
        const expr_node *r = parse_and(p);
        l = r ? binary(p, N_OR, CMP_EQ, &op, l, r) : NULL;
    }
    p->depth -= links + 1;
    return l;
}

/* ---- templates ------------------------------------------------------------------ */

bool sym__expr_has_template(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (s[i] == '$' && s[i + 1] == '{' && s[i + 2] == '{')
            return true;
    return false;
}

static size_t find_open(const char *s, size_t from, size_t n)
{
    for (size_t i = from; i + 3 <= n; i++)
        if (s[i] == '$' && s[i + 1] == '{' && s[i + 2] == '{')
            return i;
    return n;
}

/* The end of the expression starting at `from` (the offset of its "}}"),
 * skipping string literals; n when it has none (reported). */
static size_t find_close(parser *p, cursor *c, const cursor *open, size_t n)
{
    const char *s = p->s;
    while (c->off < n) {
        if (s[c->off] == '\'') {
            cursor quote = *c;
            cur_step(c, s);
            for (;;) {
                if (c->off >= n) {
                    fail(p, SYM_ESCHEMA, &quote, "unterminated string in expression");
                    return n;
                }
                if (s[c->off] == '\'') {
                    cur_step(c, s);
                    if (c->off < n && s[c->off] == '\'') {
                        cur_step(c, s);
                        continue;
                    }
                    break;
                }
                cur_step(c, s);
            }
            continue;
        }
        if (s[c->off] == '}' && c->off + 1 < n && s[c->off + 1] == '}')
            return c->off;
        cur_step(c, s);
    }
    fail(p, SYM_ESCHEMA, open, "'${{' is never closed by '}}'");
    return n;
}

/* Parses the expression between start and p->end. */
static const expr_node *parse_expression(parser *p, const cursor *start, const cursor *open)
{
    p->cur = *start;
    p->depth = 0;
    lex(p);
    if (p->tok.kind == T_EOF) {
        fail(p, SYM_ESCHEMA, open, "empty expression '${{ }}'");
        return NULL;
    }
    const expr_node *root = parse_or(p);
    if (root && p->tok.kind != T_EOF) {
        if (p->tok.kind != T_BAD)
            fail(p, SYM_ESCHEMA, &p->tok.at, "unexpected '%.*s' after the expression",
                 (int)(p->tok.len > 40 ? 40 : p->tok.len), p->s + p->tok.at.off);
        return NULL;
    }
    return p->err == SYM_OK ? root : NULL;
}

typedef struct part_list {
    expr_part *v;
    uint32_t n, cap;
} part_list;

static bool add_part(part_list *l, const char *text, size_t len, const expr_node *root)
{
    if (len > UINT32_MAX)
        return false;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        expr_part *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (expr_part){text, (uint32_t)len, root};
    return true;
}

static int finish(parser *p, part_list *parts, const char *text, size_t n, bool kept,
                  expr_template **out)
{
    bool literal = parts->n == 0 || (parts->n == 1 && !parts->v[0].root);
    uint32_t nparts = literal ? 0 : parts->n;
    expr_template *t = sym__arena_calloc(p->a, 1, sizeof *t + nparts * sizeof *t->parts);
    const char *copy = !t ? NULL : kept ? text : sym__arena_strndup(p->a, text, n);
    if (!copy)
        return SYM_ENOMEM;
    t->text = copy;
    t->len = (uint32_t)n;
    t->literal = literal;
    t->single = parts->n == 1 && parts->v[0].root;
    if (!t->literal) {
        for (uint32_t i = 0; i < parts->n; i++) {
            t->parts[i] = parts->v[i];
            /* Text parts point into the copy, not the caller's buffer. */
            t->parts[i].text = copy + (parts->v[i].text - text);
        }
        t->nparts = parts->n;
    }
    if (p->nrefs) {
        if (!(t->refs = sym__arena_alloc(p->a, p->nrefs * sizeof *t->refs)))
            return SYM_ENOMEM;
        memcpy(t->refs, p->refs, p->nrefs * sizeof *t->refs);
        t->nrefs = p->nrefs;
    }
    *out = t;
    return SYM_OK;
}

static int parse_template(const char *text, size_t n, uint32_t line, uint32_t column, arena *a,
                          diag *d, bool kept, expr_template **out)
{
    *out = NULL;
    if (!text)
        text = "";
    if (n > UINT32_MAX) {
        sym__diag_add(d, SYM_ETOOBIG, line, column, "a string of more than %u bytes",
                 (unsigned)UINT32_MAX);
        return SYM_ETOOBIG;
    }
    parser p = {.s = text, .a = a, .d = d, .err = SYM_OK};
    part_list parts = {0};
    int first = SYM_OK;
    cursor c = {0, line ? line : 1, column ? column : 1};
    size_t pos = 0;
    bool broken = false;
    while (pos < n && !broken) {
        size_t open_at = find_open(text, pos, n);
        if (open_at > pos && !add_part(&parts, text + pos, open_at - pos, NULL))
            first = first ? first : SYM_ENOMEM;
        if (open_at == n)
            break;
        cur_to(&c, text, open_at);
        cursor open = c;
        cur_to(&c, text, open_at + 3);
        cursor start = c;
        p.err = SYM_OK;
        size_t close_at = find_close(&p, &c, &open, n);
        if (p.err != SYM_OK) { /* no reliable end: the rest of the string is lost */
            first = first ? first : p.err;
            break;
        }
        p.end = close_at;
        const expr_node *root = parse_expression(&p, &start, &open);
        if (p.err != SYM_OK)
            first = first ? first : p.err;
        else if (!add_part(&parts, text + open_at, close_at + 2 - open_at, root))
            first = first ? first : SYM_ENOMEM;
        pos = close_at + 2;
        cur_to(&c, text, pos);
        broken = sym__diag_full(d);
    }
    int rc = first;
    if (rc == SYM_OK)
        rc = finish(&p, &parts, text, n, kept, out);
    if (rc == SYM_ENOMEM && first == SYM_OK)
        sym__diag_add(d, SYM_ENOMEM, line, column, "out of memory");
    free(parts.v);
    free(p.refs);
    return rc;
}

int sym__expr_template_parse(const char *text, size_t n, uint32_t line, uint32_t column, arena *a,
                        diag *d, expr_template **out)
{
    return parse_template(text, n, line, column, a, d, false, out);
}

int sym__expr_template_parse_kept(const char *text, size_t n, uint32_t line, uint32_t column,
                             arena *a, diag *d, expr_template **out)
{
    return parse_template(text, n, line, column, a, d, true, out);
}

bool sym__expr_template_is_literal(const expr_template *t) { return t->literal; }

bool sym__expr_template_is_single(const expr_template *t) { return t->single; }

const char *sym__expr_template_text(const expr_template *t, size_t *len)
{
    if (!t->literal)
        return NULL;
    if (len)
        *len = t->len;
    return t->text;
}

size_t sym__expr_template_refs(const expr_template *t, const expr_ref **refs)
{
    *refs = t->refs;
    return t->nrefs;
}

/* ---- numbers ------------------------------------------------------------------------ */

bool sym__expr_parse_number(const char *s, size_t n, sym_value *v)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    size_t i = 0;
    bool is_float = false;
    if (s[i] == '-' || s[i] == '+')
        i++;
    size_t digits = i;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == digits)
        return false;
    if (i < n && s[i] == '.') {
        is_float = true;
        size_t frac = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == frac)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        is_float = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == exp)
            return false;
    }
    if (i != n)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!is_float) {
        long long ll = strtoll(buf, NULL, 10);
        if (errno == 0) {
            sym__value_set_int(v, (int64_t)ll);
            return true;
        }
        errno = 0;
    }
    double f = strtod(buf, NULL);
    if (errno == ERANGE && !isinf(f) && f != 0)
        errno = 0; /* underflow to a subnormal is fine */
    sym__value_set_float(v, f);
    return true;
}
