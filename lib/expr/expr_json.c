/* expr_json.c - the strict JSON reader behind fromJSON(): bounded depth,
 * memory from the evaluator's budget, no allocation of its own. */
#include <stdio.h>
#include <string.h>

#include "expr_int.h"

typedef struct jp {
    const char *s;
    size_t n, i;
    expr_alloc_fn alloc;
    void *ctx;
    char *msg;
    size_t msglen;
    int depth;
} jp;

static int jfail(jp *p, const char *what)
{
    snprintf(p->msg, p->msglen, "fromJSON: %s at offset %zu", what, p->i);
    return SYM_EINVAL;
}

static void skip_ws(jp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static void *jalloc(jp *p, size_t size)
{
    void *m = p->alloc(p->ctx, size);
    if (!m)
        snprintf(p->msg, p->msglen, "fromJSON: the value is too large");
    return m;
}

static int hex4(jp *p, uint32_t *out)
{
    if (p->n - p->i < 4)
        return jfail(p, "short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return jfail(p, "bad \\u escape");
    }
    *out = v;
    return SYM_OK;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at p->i (the opening quote); the decoded text is never longer
 * than the source, so one allocation of that size holds it. */
static int read_string(jp *p, char **out, uint32_t *len)
{
    size_t start = ++p->i, end = start;
    while (end < p->n && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->n)
        return jfail(p, "unterminated string");
    char *o = jalloc(p, end - start + 1);
    if (!o)
        return SYM_ETOOBIG;
    size_t k = 0;
    while (p->i < end) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20)
            return jfail(p, "control character in string");
        if (c != '\\') {
            o[k++] = (char)c;
            p->i++;
            continue;
        }
        p->i++;
        char e = p->s[p->i++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            o[k++] = to[hit - from];
            continue;
        }
        if (e != 'u')
            return jfail(p, "bad escape in string");
        uint32_t cp;
        if (hex4(p, &cp) != SYM_OK)
            return SYM_EINVAL;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return jfail(p, "lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (p->i + 2 > end || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                return jfail(p, "lone high surrogate");
            p->i += 2;
            if (hex4(p, &lo) != SYM_OK)
                return SYM_EINVAL;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return jfail(p, "bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0)
            return jfail(p, "\\u0000 in string");
        k += put_utf8(o + k, cp);
    }
    p->i = end + 1;
    o[k] = '\0';
    *out = o;
    *len = (uint32_t)k;
    return SYM_OK;
}

static int read_value(jp *p, sym_value *v);

/* Items are collected in a chain of fixed chunks, then copied into one
 * array, so a list costs its size twice at most and no realloc. */
enum { CHUNK = 32 };
typedef struct chunk {
    struct chunk *next;
    sym_value items[CHUNK];
    char *keys[CHUNK];
} chunk;

static int read_container(jp *p, sym_value *v, bool map)
{
    if (++p->depth > EXPR_MAX_JSON_DEPTH)
        return jfail(p, "nesting too deep");
    p->i++;
    chunk *head = NULL, *tail = NULL;
    uint32_t count = 0;
    skip_ws(p);
    char close = map ? '}' : ']';
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
    } else {
        for (;;) {
            if (count % CHUNK == 0) {
                chunk *c = jalloc(p, sizeof *c);
                if (!c)
                    return SYM_ETOOBIG;
                c->next = NULL;
                if (tail)
                    tail->next = c;
                else
                    head = c;
                tail = c;
            }
            skip_ws(p);
            if (map) {
                if (p->i >= p->n || p->s[p->i] != '"')
                    return jfail(p, "expected a string key");
                uint32_t klen;
                int rc = read_string(p, &tail->keys[count % CHUNK], &klen);
                if (rc != SYM_OK)
                    return rc;
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':')
                    return jfail(p, "expected ':'");
                p->i++;
            }
            int rc = read_value(p, &tail->items[count % CHUNK]);
            if (rc != SYM_OK)
                return rc;
            if (count == UINT32_MAX - 1)
                return jfail(p, "too many elements");
            count++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == close) {
                p->i++;
                break;
            }
            return jfail(p, map ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    p->depth--;
    memset(v, 0, sizeof *v);
    v->type = map ? SYM_VALUE_MAP : SYM_VALUE_LIST;
    v->n = count;
    if (count == 0)
        return SYM_OK;
    sym_value *items = map ? NULL : jalloc(p, count * sizeof *items);
    value_entry *entries = map ? jalloc(p, count * sizeof *entries) : NULL;
    if (!items && !entries)
        return SYM_ETOOBIG;
    uint32_t k = 0;
    for (chunk *c = head; c; c = c->next)
        for (uint32_t j = 0; j < CHUNK && k < count; j++, k++) {
            if (map) {
                entries[k].key = c->keys[j];
                entries[k].value = c->items[j];
            } else {
                items[k] = c->items[j];
            }
        }
    if (map)
        v->u.entries = entries;
    else
        v->u.items = items;
    return SYM_OK;
}

static int read_number(jp *p, sym_value *v)
{
    size_t start = p->i;
    if (p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' &&
        p->s[p->i + 1] <= '9')
        return jfail(p, "leading zero in number");
    while (p->i < p->n && strchr("0123456789+-.eE", p->s[p->i]) && p->s[p->i])
        p->i++;
    if (!sym__expr_parse_number(p->s + start, p->i - start, v) || p->s[start] == '+' ||
        p->s[p->i - 1] == '.')
        return jfail(p, "malformed number");
    return SYM_OK;
}

static int read_value(jp *p, sym_value *v)
{
    skip_ws(p);
    memset(v, 0, sizeof *v);
    if (p->i >= p->n)
        return jfail(p, "unexpected end");
    char c = p->s[p->i];
    static const struct {
        const char *word;
        int type;
    } words[] = {{"null", SYM_VALUE_NULL}, {"true", SYM_VALUE_BOOL}, {"false", SYM_VALUE_BOOL}};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(words[k].word);
        if (p->n - p->i >= len && memcmp(p->s + p->i, words[k].word, len) == 0) {
            p->i += len;
            v->type = (uint8_t)words[k].type;
            v->u.b = k == 1;
            return SYM_OK;
        }
    }
    if (c == '"') {
        v->type = SYM_VALUE_STRING;
        return read_string(p, &v->u.s, &v->n);
    }
    if (c == '[' || c == '{')
        return read_container(p, v, c == '{');
    if (c == '-' || (c >= '0' && c <= '9'))
        return read_number(p, v);
    return jfail(p, "unexpected character");
}

int sym__expr_json_parse(const char *s, size_t n, expr_alloc_fn alloc, void *ctx, sym_value *v,
                         char *msg, size_t msglen)
{
    jp p = {s, n, 0, alloc, ctx, msg, msglen, 0};
    int rc = read_value(&p, v);
    if (rc != SYM_OK)
        return rc;
    skip_ws(&p);
    if (p.i != n)
        return jfail(&p, "text after the value");
    return SYM_OK;
}
