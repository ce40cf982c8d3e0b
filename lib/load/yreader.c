/* yreader.c - a pull cursor over libyaml events for one document, with the
 * input limits enforced as the events stream by (see yreader.h).
 *
 * Aliases: the events of every anchored node are recorded (scalars copied
 * into a pool) as they pass. An alias is expanded by replaying its anchor's
 * events; an alias met while recording is stored as a reference, so memory
 * stays linear in the input. Each anchor knows how many nodes it expands to
 * and how deep it nests, so an alias is refused before any replay when it
 * would cross max_nodes or max_depth: "billion laughs" fails at the first
 * alias that would pass the limit, so the work done is bounded by
 * max_nodes, never by the size of the expansion.
 *
 * Depth: libyaml has no depth limit of its own and its scanner does work
 * proportional to the flow depth for every token, so a file of `[[[[...`
 * is quadratic. The depth limit is checked at every start event, and
 * libyaml only scans a bounded distance ahead of the event it returns, so
 * the parse stops after a few thousand tokens whatever the file size. */
#include "yreader.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common.h"

#define DEFAULT_MAX_FILE ((size_t)64 << 20)
#define DEFAULT_MAX_DEPTH ((size_t)64)
#define DEFAULT_MAX_NODES ((size_t)10000000)
#define DEFAULT_MAX_ALIAS_NODES ((size_t)1000000)
#define DEFAULT_MAX_SCALAR ((size_t)1 << 20)

/* A recorded event. kind is a yr_kind, or REC_ALIAS for an alias met while
 * recording (off is then the anchor's index). */
enum { REC_ALIAS = 100 };

typedef struct rec {
    uint8_t kind, tag, plain;
    uint32_t line, column;
    size_t off, len; /* scalar bytes in the pool */
} rec;

typedef struct anchor {
    size_t name;       /* offset of the NUL-terminated name in the pool */
    size_t begin, end; /* its events in the log */
    size_t nodes;      /* nodes its expansion yields */
    size_t cost;       /* what an expansion counts against max_alias_nodes (alias_cost) */
    size_t height;     /* collections nested in it (0 for a scalar) */
    bool open;         /* its node has not ended yet */
} anchor;

/* An open collection. */
typedef struct frame {
    uint8_t kind;     /* YR_SEQ_START or YR_MAP_START */
    bool at_key;      /* maps: the next child is a key */
    size_t height;    /* the greatest height among its children so far */
    size_t anchor;    /* 1 + index of the anchor it opened, or 0 */
    size_t nodes0;    /* the node count when it started */
    size_t cost0;     /* anchored: the recorded cost when it started */
} frame;

typedef struct replay {
    size_t pos, end;
} replay;

/* sym__yr_read_value's work stacks (kept in the reader so they are reused):
 * the values of every open collection, and for each map entry its key and
 * where the key was written (for "duplicate key ... (first at L:C)"). Two
 * stacks, so that a list's items cost 16 bytes each here, not 32. */
typedef struct key_info {
    char *key;
    uint32_t line, column;
} key_info;

typedef struct vframe {
    uint8_t kind;        /* YR_SEQ_START or YR_MAP_START */
    bool skip_value;     /* maps: the value of a refused key is skipped */
    bool have_key;       /* maps: key holds the pending key */
    char *key;
    uint32_t key_line, key_column;
    uint32_t line, column;
    size_t base;         /* its first value in vals */
    size_t kbase;        /* maps: its first key in mkeys */
    uint32_t *hash;      /* big maps: slots of 1 + entry offset; NULL when small */
    size_t hcap;
} vframe;

enum { KEY_CACHE = 256, KEY_CACHE_MAX_LEN = 64 };

struct yreader {
    yaml_parser_t parser;
    yaml_event_t event;
    bool have_event;
    const char *data;
    size_t len;
    diag *d;
    size_t max_depth, max_nodes, max_alias_nodes, max_scalar;

    bool started, failed, ended;
    uint32_t at_line;   /* a line whose start is known (0: none yet), */
    size_t at_off;      /* at this offset: see byte_offset */
    int fail_code;
    size_t docs;
    size_t nodes;
    size_t alias_nodes; /* the cost of the aliases expanded so far (see alias_cost) */
    size_t cost;        /* the cost of every node recorded so far, replays included */
    size_t recorded;    /* nodes recorded for anchors, against max_alias_nodes */

    frame *frames;
    size_t nframes, frames_cap;

    rec *log;
    size_t nlog, log_cap;
    char *pool;
    size_t npool, pool_cap;
    size_t recording; /* anchored collections open */

    anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t *slots; /* 1 + anchor index, by name hash; 0 = empty */
    size_t slots_cap;

    replay *replays;
    size_t nreplays, replays_cap;

    sym_value *vals;
    size_t nvals, vals_cap;
    key_info *mkeys;
    size_t nmkeys, mkeys_cap;
    vframe *vframes;
    size_t nvframes, vframes_cap;
    int read_first; /* the first error reported during sym__yr_read_value */
    size_t pending_anchor; /* 1 + index of the anchor the current start event opens */
    bool ev_is_key;        /* the scalar just returned is a mapping key */
    bool ev_replayed;      /* the event just returned comes from an alias */
    yr_string_fn on_string; /* see sym__yr_on_string */
    void *on_string_ctx;
    /* Map keys read into an arena repeat from task to task ("url", "path"),
     * and so do short strings: a small direct-mapped cache hands out one
     * copy per arena. */
    arena *keys_arena;
    const char *keys[KEY_CACHE];
    uint32_t key_hash[KEY_CACHE]; /* each one's full hash: most misses end there */
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

/* Grows *buf (of *cap elements of size sz) to hold need elements. */
static bool grow(void **buf, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / sz)
            return false;
        n *= 2;
    }
    void *p = realloc(*buf, n * sz);
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

static void report(yreader *r, int code, uint32_t line, uint32_t column, const char *fmt, ...)
    SYM_PRINTF(5, 6);

static void report(yreader *r, int code, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__diag_addv(r->d, code, line, column, fmt, ap);
    va_end(ap);
    if (r->read_first == SYM_OK)
        r->read_first = code;
}

/* Reports a fatal error: the reader is finished. */
static yr_kind fail(yreader *r, int code, uint32_t line, uint32_t column, const char *fmt, ...)
    SYM_PRINTF(5, 6);

static yr_kind fail(yreader *r, int code, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__diag_addv(r->d, code, line, column, fmt, ap);
    va_end(ap);
    if (r->read_first == SYM_OK)
        r->read_first = code;
    r->failed = true;
    r->fail_code = code;
    return YR_ERROR;
}

static yr_kind fail_nomem(yreader *r)
{
    return fail(r, SYM_ENOMEM, 0, 0, "out of memory while reading YAML");
}

/* At most 60 bytes of s (cut at a character boundary), for messages. */
static int excerpt_len(const char *s, size_t n)
{
    if (n <= 60)
        return (int)n;
    size_t m = 60;
    while (m > 0 && ((unsigned char)s[m] & 0xC0) == 0x80)
        m--;
    return (int)m;
}

static const char *excerpt_more(size_t n)
{
    return n > 60 ? "..." : "";
}

/* The 1-based line and column of byte offset off (columns in characters,
 * as libyaml counts them). */
static void offset_position(const char *data, size_t len, size_t off, uint32_t *line,
                            uint32_t *column)
{
    uint32_t l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

/* The offset of the first byte that does not begin a valid UTF-8 sequence
 * (overlongs, surrogates and values past U+10FFFF included), or len. Run
 * only after libyaml has refused the input, to point at the right byte. */
static size_t first_invalid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > len)
            return i;
        uint32_t cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

static yr_tag tag_of(const yaml_char_t *tag)
{
    static const struct {
        const char *name;
        yr_tag tag;
    } core[] = {{"str", YR_TAG_STR},     {"int", YR_TAG_INT},   {"float", YR_TAG_FLOAT},
                {"bool", YR_TAG_BOOL},   {"null", YR_TAG_NULL}, {"seq", YR_TAG_SEQ},
                {"map", YR_TAG_MAP}};
    static const char prefix[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    if (!t || strncmp(t, prefix, sizeof prefix - 1) != 0)
        return YR_TAG_NONE;
    t += sizeof prefix - 1;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
        if (strcmp(t, core[i].name) == 0)
            return core[i].tag;
    return YR_TAG_NONE;
}

/* Checks an explicit tag; unknown ones are reported (not fatal: the node is
 * read as if untagged, so the rest of the file is still checked). */
static yr_tag check_tag(yreader *r, const yaml_char_t *tag, yr_kind kind, uint32_t line,
                        uint32_t column)
{
    if (!tag)
        return YR_TAG_NONE;
    yr_tag t = tag_of(tag);
    if (t == YR_TAG_NONE) {
        static const char prefix[] = "tag:yaml.org,2002:";
        const char *s = (const char *)tag;
        bool core = strncmp(s, prefix, sizeof prefix - 1) == 0;
        report(r, SYM_ESCHEMA, line, column,
               "tag '%s%.60s' is not supported (only the YAML core tags !!str, !!int, !!float, "
               "!!bool, !!null, !!seq and !!map are)",
               core ? "!!" : "", core ? s + sizeof prefix - 1 : s);
        return YR_TAG_NONE;
    }
    if ((kind == YR_SEQ_START && t != YR_TAG_SEQ) || (kind == YR_MAP_START && t != YR_TAG_MAP)) {
        static const char *const names[] = {"", "str", "int", "float", "bool", "null", "seq", "map"};
        report(r, SYM_ESCHEMA, line, column, "tag '!!%s' does not apply to a %s", names[t],
               kind == YR_SEQ_START ? "sequence" : "mapping");
        return YR_TAG_NONE;
    }
    return t;
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                            */
/* ------------------------------------------------------------------------ */

int sym__yr_open(yreader **out, const char *data, size_t len, const sym_load_options *opts, diag *d)
{
    *out = NULL;
    size_t max_file = opts ? opts->max_file_bytes : DEFAULT_MAX_FILE;
    if (max_file && len > max_file) {
        sym__diag_add(d, SYM_ELIMIT, 0, 0,
                      "the file is %zu bytes, over the limit of %zu bytes "
                      "(load option max_file_bytes)",
                      len, max_file);
        return SYM_ELIMIT;
    }
    yreader *r = calloc(1, sizeof *r);
    if (!r || !yaml_parser_initialize(&r->parser)) {
        free(r);
        sym__diag_add(d, SYM_ENOMEM, 0, 0, "out of memory while reading YAML");
        return SYM_ENOMEM;
    }
    /* A UTF-8 byte order mark (editors on Windows write one) is not part
     * of the document. libyaml skips one only when it detects the
     * encoding itself, and then counts it as a column; dropping it here
     * keeps every line:column right, column 1 being after it. */
    if (data && len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    yaml_parser_set_input_string(&r->parser, (const unsigned char *)(data ? data : ""),
                                 data ? len : 0);
    yaml_parser_set_encoding(&r->parser, YAML_UTF8_ENCODING);
    r->data = data ? data : "";
    r->len = data ? len : 0;
    r->d = d;
    r->max_depth = opts ? opts->max_depth : DEFAULT_MAX_DEPTH;
    r->max_nodes = opts ? opts->max_nodes : DEFAULT_MAX_NODES;
    r->max_alias_nodes = opts ? opts->max_alias_nodes : DEFAULT_MAX_ALIAS_NODES;
    r->max_scalar = opts ? opts->max_scalar_bytes : DEFAULT_MAX_SCALAR;
    *out = r;
    return SYM_OK;
}

static void free_vframes(yreader *r)
{
    for (size_t i = 0; i < r->nvframes; i++)
        free(r->vframes[i].hash);
    r->nvframes = 0;
}

void sym__yr_close(yreader *r)
{
    if (!r)
        return;
    if (r->have_event)
        yaml_event_delete(&r->event);
    yaml_parser_delete(&r->parser);
    free_vframes(r);
    free(r->frames);
    free(r->log);
    free(r->pool);
    free(r->anchors);
    free(r->slots);
    free(r->replays);
    free(r->vals);
    free(r->mkeys);
    free(r->vframes);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* Recording and anchors                                                     */
/* ------------------------------------------------------------------------ */

static bool pool_add(yreader *r, const char *s, size_t n, size_t *off)
{
    if (n >= SIZE_MAX - r->npool || !grow((void **)&r->pool, &r->pool_cap, r->npool + n + 1, 1))
        return false;
    *off = r->npool;
    if (n)
        memcpy(r->pool + r->npool, s, n);
    r->pool[r->npool + n] = '\0';
    r->npool += n + 1;
    return true;
}

static bool record(yreader *r, const yr_event *ev, uint8_t kind, size_t alias)
{
    if (!grow((void **)&r->log, &r->log_cap, r->nlog + 1, sizeof *r->log))
        return false;
    rec *e = &r->log[r->nlog];
    e->kind = kind;
    e->tag = (uint8_t)ev->tag;
    e->plain = ev->plain;
    e->line = ev->line;
    e->column = ev->column;
    e->off = alias;
    e->len = 0;
    if (kind == YR_SCALAR) {
        if (!pool_add(r, ev->value, ev->length, &e->off))
            return false;
        e->len = ev->length;
    }
    r->nlog++;
    return true;
}

static size_t hash_name(const char *s)
{
    return (size_t)hash_bytes(s, strlen(s));
}

/* The slot for name: the one holding it, or the empty one where it goes. */
static size_t *anchor_slot(yreader *r, const char *name)
{
    size_t mask = r->slots_cap - 1;
    for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        size_t s = r->slots[i];
        if (s == 0 || strcmp(r->pool + r->anchors[s - 1].name, name) == 0)
            return &r->slots[i];
    }
}

static const anchor *anchor_find(const yreader *r, const char *name, size_t *index)
{
    if (r->slots_cap == 0)
        return NULL;
    size_t s = *anchor_slot((yreader *)r, name);
    if (s == 0)
        return NULL;
    *index = s - 1;
    return &r->anchors[s - 1];
}

static bool slots_rehash(yreader *r)
{
    size_t cap = r->slots_cap ? r->slots_cap * 2 : 64;
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t *old = r->slots, oldcap = r->slots_cap;
    r->slots = slots;
    r->slots_cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            *anchor_slot(r, r->pool + r->anchors[old[i] - 1].name) = old[i];
    free(old);
    return true;
}

/* A new anchor named name whose events start at the end of the log; a later
 * anchor of the same name hides the earlier one (as YAML says). */
static bool anchor_new(yreader *r, const char *name, size_t *index)
{
    if (!grow((void **)&r->anchors, &r->anchors_cap, r->nanchors + 1, sizeof *r->anchors))
        return false;
    if ((r->nanchors + 1) * 2 > r->slots_cap && !slots_rehash(r))
        return false;
    anchor *an = &r->anchors[r->nanchors];
    memset(an, 0, sizeof *an);
    if (!pool_add(r, name, strlen(name), &an->name))
        return false;
    an->begin = r->nlog;
    an->open = true;
    *anchor_slot(r, name) = r->nanchors + 1;
    *index = r->nanchors++;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

static uint32_t mark_line(yaml_mark_t m)
{
    return (uint32_t)m.line + 1;
}

static uint32_t mark_column(yaml_mark_t m)
{
    return (uint32_t)m.column + 1;
}

static yr_kind syntax_error(yreader *r)
{
    yaml_parser_t *p = &r->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return fail_nomem(r);
    if (p->error == YAML_READER_ERROR) {
        uint32_t line, column;
        size_t bad = first_invalid_utf8((const unsigned char *)r->data, r->len);
        if (bad < r->len && bad <= p->problem_offset) {
            /* libyaml names the octet where it noticed; the sequence that is
             * wrong starts earlier, at its lead byte. */
            offset_position(r->data, r->len, bad, &line, &column);
            return fail(r, SYM_ESYNTAX, line, column,
                        "invalid UTF-8: the sequence starting with byte 0x%02x is not valid "
                        "(the file must be UTF-8)",
                        (unsigned char)r->data[bad]);
        }
        offset_position(r->data, r->len, p->problem_offset, &line, &column);
        if (p->problem_value == 0)
            return fail(r, SYM_ESYNTAX, line, column,
                        "a NUL byte is not allowed in YAML text");
        if ((p->problem_value > 0 && p->problem_value < 0x20) ||
            (p->problem_value >= 0x7F && p->problem_value <= 0x9F))
            return fail(r, SYM_ESYNTAX, line, column,
                        "control character 0x%02x is not allowed in YAML text (a double-quoted "
                        "string can write it as \\x%02x)",
                        (unsigned)p->problem_value, (unsigned)p->problem_value);
        if (p->problem_value != -1)
            return fail(r, SYM_ESYNTAX, line, column, "%s (byte 0x%02x): the file must be UTF-8",
                        p->problem ? p->problem : "invalid input", (unsigned)p->problem_value);
        return fail(r, SYM_ESYNTAX, line, column, "%s: the file must be UTF-8",
                    p->problem ? p->problem : "invalid input");
    }
    /* libyaml puts the end of the stream on a line of its own; an error
     * there is better shown at the end of the last line. */
    uint32_t line = mark_line(p->problem_mark), column = mark_column(p->problem_mark);
    if (p->problem_mark.index >= r->len)
        offset_position(r->data, r->len, r->len, &line, &column);
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (strstr(problem, "tab character") ||
        (p->problem_mark.index < r->len && r->data[p->problem_mark.index] == '\t' &&
         strstr(problem, "cannot start any token")))
        return fail(r, SYM_ESYNTAX, line, column,
                    "a tab cannot indent YAML or start a value; use spaces");
    if (p->context)
        return fail(r, SYM_ESYNTAX, line, column, "%s (%s at %u:%u)", problem, p->context,
                    mark_line(p->context_mark), mark_column(p->context_mark));
    return fail(r, SYM_ESYNTAX, line, column, "%s", problem);
}

/* The byte offset of (line, column), 1-based as in events (lines end at
 * '\n', columns count characters). Asked in file order, so the scan goes
 * on from the line found last. */
static size_t byte_offset(yreader *r, uint32_t line, uint32_t column)
{
    if (r->at_line == 0 || line < r->at_line) {
        r->at_line = 1;
        r->at_off = 0;
    }
    while (r->at_line < line && r->at_off < r->len) {
        const char *nl = memchr(r->data + r->at_off, '\n', r->len - r->at_off);
        r->at_off = nl ? (size_t)(nl - r->data) + 1 : r->len;
        r->at_line++;
    }
    size_t off = r->at_off;
    for (uint32_t c = 1; c < column && off < r->len; c++)
        do
            off++;
        while (off < r->len && ((unsigned char)r->data[off] & 0xC0) == 0x80);
    return off;
}

static bool all_zeros(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

/* Where a double-quoted scalar starting at byte off (at its tag or anchor,
 * if any, before the quote) writes its first NUL: the escape \0, \x00,
 * \u0000 or \U00000000 (a NUL byte in the text itself is refused by
 * libyaml). SIZE_MAX when it is not found. */
static size_t nul_escape(const char *s, size_t len, size_t off)
{
    const char *q = off < len ? memchr(s + off, '"', len - off) : NULL;
    if (!q)
        return SIZE_MAX;
    for (size_t i = (size_t)(q - s) + 1; i < len && s[i] != '"'; i++) {
        if (s[i] != '\\' || i + 1 >= len)
            continue;
        char k = s[i + 1];
        size_t n = k == '0' ? 0 : k == 'x' ? 2 : k == 'u' ? 4 : k == 'U' ? 8 : SIZE_MAX;
        if (n != SIZE_MAX && n <= len - i - 2 && all_zeros(s + i + 2, n))
            return i;
        i++; /* the escaped character: \\ or \" among them */
    }
    return SIZE_MAX;
}

/* A double-quoted scalar holding a NUL: reported where the NUL was
 * written (or at the scalar), and not fatal, so the rest of the file is still checked. A
 * string is handed on as a C string (a program's argv, its environment, a
 * script), which would end at the NUL: what was reviewed would not be what
 * runs. Every scalar passes here, keys and values, once (replays of an
 * alias are not checked again). */
static void report_nul(yreader *r, uint32_t line, uint32_t column)
{
    size_t start = byte_offset(r, line, column);
    size_t at = nul_escape(r->data, r->len, start);
    if (at != SIZE_MAX) {
        for (size_t i = start; i < at; i++) {
            unsigned char c = (unsigned char)r->data[i];
            if (c == '\n') {
                line++;
                column = 1;
            } else if ((c & 0xC0) != 0x80) {
                column++;
            }
        }
    }
    report(r, SYM_ESCHEMA, line, column, "%s", VALUE_NUL_REFUSED);
}

/* What a node counts against max_alias_nodes each time an alias replays
 * it: one, and for a scalar one more per 16 bytes of its text, or for a
 * string holding "${{" 8 more and one per 2 bytes. The text is copied at
 * every replay, and a template is parsed and checked again at every place
 * it lands, at about 10 times its size: counted so, an alias of a long
 * string or of a template costs what it makes, not one node. */
static size_t alias_cost(const yr_event *ev)
{
    if (ev->kind != YR_SCALAR)
        return ev->kind == YR_SEQ_END || ev->kind == YR_MAP_END ? 0 : 1;
    for (const char *p = ev->value, *end = ev->value + ev->length;
         (p = memchr(p, '$', (size_t)(end - p))) != NULL && end - p >= 3; p++)
        if (p[1] == '{' && p[2] == '{')
            return 8 + ev->length / 2;
    return 1 + ev->length / 16;
}

/* Counts a node of cost `cost` recorded for an anchor. Anchored nodes are
 * kept (events and text) until the reader closes, so all of them together
 * are held to max_alias_nodes too: no alias could expand more. */
static bool count_recorded(yreader *r, size_t cost, uint32_t line, uint32_t column)
{
    r->cost += cost;
    if (r->max_alias_nodes && (cost > r->max_alias_nodes - r->recorded ||
                               r->recorded > r->max_alias_nodes)) {
        fail(r, SYM_ELIMIT, line, column,
             "more than %zu YAML nodes inside anchors (load option max_alias_nodes; long "
             "strings and ${{ }} templates count as several nodes)",
             r->max_alias_nodes);
        return false;
    }
    r->recorded += cost;
    return true;
}

/* Counts n more nodes at (line, column). */
static bool count_nodes(yreader *r, size_t n, uint32_t line, uint32_t column)
{
    if (r->max_nodes && (n > r->max_nodes || r->nodes > r->max_nodes - n)) {
        fail(r, SYM_ELIMIT, line, column,
             "more than %zu YAML nodes, counting alias expansions (load option max_nodes)",
             r->max_nodes);
        return false;
    }
    r->nodes += n;
    return true;
}

/* A node of height h ended: its parent's height grows to fit it. */
static void node_done(yreader *r, size_t h)
{
    if (r->nframes == 0)
        return;
    frame *f = &r->frames[r->nframes - 1];
    if (h > f->height)
        f->height = h;
    if (f->kind == YR_MAP_START)
        f->at_key = !f->at_key;
}

static yr_kind start_alias(yreader *r, const yaml_event_t *e)
{
    uint32_t line = mark_line(e->start_mark), column = mark_column(e->start_mark);
    const char *name = (const char *)e->data.alias.anchor;
    size_t index = 0;
    const anchor *an = anchor_find(r, name, &index);
    if (!an)
        return fail(r, SYM_ESYNTAX, line, column, "alias '*%.60s' refers to an undefined anchor", name);
    if (an->open)
        return fail(r, SYM_ESYNTAX, line, column,
                    "alias '*%.60s' refers to a node that contains it (recursive aliases are not "
                    "supported)",
                    name);
    if (r->max_nodes && (an->nodes > r->max_nodes || r->nodes > r->max_nodes - an->nodes))
        return fail(r, SYM_ELIMIT, line, column,
                    "alias expansion exceeds the node limit: '*%.60s' expands to %zu nodes, after "
                    "%zu already read, over %zu (load option max_nodes)",
                    name, an->nodes, r->nodes, r->max_nodes);
    /* A second, smaller budget for expansions alone: a small file can ask
     * for millions of nodes through aliases, and a value read from them is
     * held in memory, so expansions are cut well before the document's own
     * node limit. */
    if (r->max_alias_nodes &&
        (an->cost > r->max_alias_nodes || r->alias_nodes > r->max_alias_nodes - an->cost))
        return fail(r, SYM_ELIMIT, line, column,
                    "alias expansion exceeds the alias limit: '*%.60s' expands to %zu nodes, "
                    "after %zu from aliases already, over %zu (load option max_alias_nodes%s)",
                    name, an->cost, r->alias_nodes, r->max_alias_nodes,
                    an->cost > an->nodes ? "; long strings and ${{ }} templates count as "
                                           "several nodes"
                                         : "");
    if (r->max_depth && r->nframes + an->height > r->max_depth)
        return fail(r, SYM_ELIMIT, line, column,
                    "alias '*%.60s' nests deeper than %zu levels (load option max_depth)", name,
                    r->max_depth);
    r->nodes += an->nodes;
    r->alias_nodes += an->cost;
    r->cost += an->cost;
    if (r->recording) {
        yr_event ev = {.line = line, .column = column};
        if (!record(r, &ev, REC_ALIAS, index))
            return fail_nomem(r);
    }
    if (!grow((void **)&r->replays, &r->replays_cap, r->nreplays + 1, sizeof *r->replays))
        return fail_nomem(r);
    r->replays[r->nreplays++] = (replay){an->begin, an->end};
    return YR_SCALAR; /* anything but YR_ERROR: go on */
}

/* The next event from the replay stack; false when it is empty. */
static bool next_replayed(yreader *r, yr_event *ev)
{
    while (r->nreplays > 0) {
        replay *rp = &r->replays[r->nreplays - 1];
        if (rp->pos == rp->end) {
            r->nreplays--;
            continue;
        }
        const rec *e = &r->log[rp->pos++];
        if (e->kind == REC_ALIAS) {
            /* Counted and checked when the enclosing alias was; the stack
             * is bounded by the nesting of the anchors. */
            const anchor *an = &r->anchors[e->off];
            if (!grow((void **)&r->replays, &r->replays_cap, r->nreplays + 1,
                      sizeof *r->replays)) {
                fail_nomem(r);
                return false;
            }
            r->replays[r->nreplays++] = (replay){an->begin, an->end};
            continue;
        }
        ev->kind = (yr_kind)e->kind;
        ev->line = e->line;
        ev->column = e->column;
        ev->value = e->kind == YR_SCALAR ? r->pool + e->off : NULL;
        ev->length = e->len;
        ev->plain = e->plain;
        ev->tag = (yr_tag)e->tag;
        return true;
    }
    return false;
}

/* Turns the libyaml event in r->event into ev, with every check. Returns
 * the kind, YR_END for events that yield nothing (stream and document
 * markers, aliases), or YR_ERROR. */
static yr_kind take_parsed(yreader *r, yr_event *ev, bool *emit)
{
    yaml_event_t *e = &r->event;
    uint32_t line = mark_line(e->start_mark), column = mark_column(e->start_mark);
    const yaml_char_t *anchor_name = NULL;
    *emit = false;
    memset(ev, 0, sizeof *ev);
    ev->line = line;
    ev->column = column;
    switch (e->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
        return YR_END;
    case YAML_DOCUMENT_START_EVENT:
        if (r->docs++ > 0)
            return fail(r, SYM_ESCHEMA, line, column,
                        "only one document is allowed (a second one starts here)");
        return YR_END;
    case YAML_STREAM_END_EVENT:
        if (r->docs == 0)
            return fail(r, SYM_ESCHEMA, 0, 0, "the file is empty");
        r->ended = true;
        *emit = true;
        ev->kind = YR_END;
        return YR_END;
    case YAML_ALIAS_EVENT:
        return start_alias(r, e) == YR_ERROR ? YR_ERROR : YR_END;
    case YAML_SCALAR_EVENT:
        ev->kind = YR_SCALAR;
        ev->value = (const char *)e->data.scalar.value;
        ev->length = e->data.scalar.length;
        ev->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (r->max_scalar && ev->length > r->max_scalar)
            return fail(r, SYM_ELIMIT, line, column,
                        "a scalar of %zu bytes is over the limit of %zu bytes (load option "
                        "max_scalar_bytes)",
                        ev->length, r->max_scalar);
        /* Only an escape writes a NUL (libyaml refuses a NUL byte). */
        if (e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
            memchr(ev->value, '\0', ev->length))
            report_nul(r, line, column);
        ev->tag = check_tag(r, e->data.scalar.tag, YR_SCALAR, line, column);
        anchor_name = e->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        ev->kind = YR_SEQ_START;
        ev->tag = check_tag(r, e->data.sequence_start.tag, YR_SEQ_START, line, column);
        anchor_name = e->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        ev->kind = YR_MAP_START;
        ev->tag = check_tag(r, e->data.mapping_start.tag, YR_MAP_START, line, column);
        anchor_name = e->data.mapping_start.anchor;
        break;
    case YAML_SEQUENCE_END_EVENT:
        ev->kind = YR_SEQ_END;
        break;
    case YAML_MAPPING_END_EVENT:
        ev->kind = YR_MAP_END;
        break;
    }
    if ((ev->kind == YR_SCALAR || ev->kind == YR_SEQ_START || ev->kind == YR_MAP_START) &&
        !count_nodes(r, 1, line, column))
        return YR_ERROR;

    size_t index = 0, cost = 0;
    if (r->recording || anchor_name) {
        cost = alias_cost(ev);
        if (!count_recorded(r, cost, line, column))
            return YR_ERROR;
        if (anchor_name && !anchor_new(r, (const char *)anchor_name, &index))
            return fail_nomem(r);
        if (!record(r, ev, (uint8_t)ev->kind, 0))
            return fail_nomem(r);
    }
    if (anchor_name) {
        anchor *an = &r->anchors[index];
        if (ev->kind == YR_SCALAR) {
            an->end = r->nlog;
            an->nodes = 1;
            an->cost = cost;
            an->open = false;
        } else {
            r->recording++;
            r->pending_anchor = index + 1;
        }
    }
    *emit = true;
    return ev->kind;
}

/* Keeps the stack of open collections (depth, map key positions, anchor
 * sizes) in step with the event about to be returned. */
static yr_kind track(yreader *r, yr_event *ev, size_t anchor1)
{
    r->ev_is_key = false;
    switch (ev->kind) {
    case YR_SCALAR:
        r->ev_is_key = r->nframes > 0 && r->frames[r->nframes - 1].kind == YR_MAP_START &&
                       r->frames[r->nframes - 1].at_key;
        node_done(r, 0);
        break;
    case YR_SEQ_START:
    case YR_MAP_START:
        if (r->max_depth && r->nframes >= r->max_depth)
            return fail(r, SYM_ELIMIT, ev->line, ev->column,
                        "nesting deeper than %zu levels (load option max_depth)", r->max_depth);
        if (!grow((void **)&r->frames, &r->frames_cap, r->nframes + 1, sizeof *r->frames))
            return fail_nomem(r);
        r->frames[r->nframes++] = (frame){.kind = (uint8_t)ev->kind,
                                          .at_key = true,
                                          .anchor = anchor1,
                                          .nodes0 = r->nodes - 1,
                                          .cost0 = r->cost - 1};
        break;
    case YR_SEQ_END:
    case YR_MAP_END: {
        if (r->nframes == 0) /* libyaml balances its events; never happens */
            return fail(r, SYM_ESYNTAX, ev->line, ev->column, "unbalanced collection end");
        frame f = r->frames[--r->nframes];
        if (f.anchor) {
            anchor *an = &r->anchors[f.anchor - 1];
            an->end = r->nlog;
            an->nodes = r->nodes - f.nodes0;
            an->cost = r->cost - f.cost0;
            an->height = f.height + 1;
            an->open = false;
            r->recording--;
        }
        node_done(r, f.height + 1);
        break;
    }
    default:
        break;
    }
    return ev->kind;
}

/* A UTF-16 or UTF-32 byte order mark: libyaml would decode such a file,
 * but the format is UTF-8 only, and saying so beats "invalid octet". */
static bool has_wide_bom(const char *d, size_t n)
{
    const unsigned char *u = (const unsigned char *)d;
    return (n >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE))) ||
           (n >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF);
}

/* The next event with aliases expanded and every limit checked. */
static yr_kind pull(yreader *r, yr_event *ev)
{
    if (r->failed)
        return YR_ERROR;
    if (r->ended) {
        memset(ev, 0, sizeof *ev);
        ev->kind = YR_END;
        return YR_END;
    }
    if (!r->started) {
        r->started = true;
        if (has_wide_bom(r->data, r->len))
            return fail(r, SYM_ESYNTAX, 1, 1,
                        "the file starts with a UTF-16 or UTF-32 byte order mark; only UTF-8 is "
                        "accepted");
    }
    for (;;) {
        if (r->nreplays > 0) {
            if (next_replayed(r, ev)) {
                r->ev_replayed = true;
                return track(r, ev, 0);
            }
            if (r->failed)
                return YR_ERROR;
            continue;
        }
        if (r->have_event) {
            yaml_event_delete(&r->event);
            r->have_event = false;
        }
        if (!yaml_parser_parse(&r->parser, &r->event))
            return syntax_error(r);
        r->have_event = true;
        bool emit;
        r->pending_anchor = 0;
        yr_kind k = take_parsed(r, ev, &emit);
        if (k == YR_ERROR)
            return YR_ERROR;
        if (!emit)
            continue;
        r->ev_replayed = false;
        if (k == YR_END)
            return YR_END;
        return track(r, ev, r->pending_anchor);
    }
}

/* Consumes events until the collection just started is closed. */
static bool skip_rest(yreader *r)
{
    yr_event ev;
    size_t level = 1;
    while (level > 0) {
        switch (pull(r, &ev)) {
        case YR_SEQ_START:
        case YR_MAP_START:
            level++;
            break;
        case YR_SEQ_END:
        case YR_MAP_END:
            level--;
            break;
        case YR_ERROR:
            return false;
        case YR_END: /* the document cannot end inside a node */
            fail(r, SYM_ESYNTAX, ev.line, ev.column, "unexpected end of the document");
            return false;
        default:
            break;
        }
    }
    return true;
}

static bool is_merge_key(const yreader *r, const yr_event *ev)
{
    return ev->kind == YR_SCALAR && r->ev_is_key && ev->plain && ev->tag == YR_TAG_NONE &&
           ev->length == 2 && ev->value[0] == '<' && ev->value[1] == '<';
}

yr_kind sym__yr_next(yreader *r, yr_event *ev)
{
    for (;;) {
        yr_kind k = pull(r, ev);
        if (k == YR_ERROR) {
            memset(ev, 0, sizeof *ev);
            ev->kind = YR_ERROR;
            return k;
        }
        if (k != YR_SCALAR || !is_merge_key(r, ev))
            return k;
        /* Reported once, where it is written (not again when replayed);
         * the key and its value are dropped so no later check trips on
         * a key named "<<". */
        if (!r->ev_replayed)
            report(r, SYM_ESCHEMA, ev->line, ev->column,
                   "merge keys (<<) are not supported; write the keys out");
        k = pull(r, ev);
        if (k == YR_ERROR)
            continue; /* reported; the next pull says YR_ERROR again */
        if (k == YR_SEQ_START || k == YR_MAP_START)
            skip_rest(r); /* a failure shows at the next pull */
    }
}

bool sym__yr_skip(yreader *r, const yr_event *start)
{
    if (r->failed)
        return false;
    if (start->kind != YR_SEQ_START && start->kind != YR_MAP_START)
        return true;
    return skip_rest(r);
}

/* ------------------------------------------------------------------------ */
/* Scalars                                                                   */
/* ------------------------------------------------------------------------ */

static bool text_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

static bool is_null(const char *s, size_t n)
{
    return n == 0 || text_is(s, n, "~") || text_is(s, n, "null") || text_is(s, n, "Null") ||
           text_is(s, n, "NULL");
}

/* 1 true, 0 false, -1 neither. */
static int bool_of(const char *s, size_t n)
{
    if (text_is(s, n, "true") || text_is(s, n, "True") || text_is(s, n, "TRUE"))
        return 1;
    if (text_is(s, n, "false") || text_is(s, n, "False") || text_is(s, n, "FALSE"))
        return 0;
    return -1;
}

static int digit_value(char c, int base)
{
    int d;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return d < base ? d : -1;
}

/* The core schema's ints: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. Returns 1
 * with *out set, 0 when s is not an int, -1 when it is one that does not
 * fit in 64 bits. */
static int int_of(const char *s, size_t n, int64_t *out)
{
    int base = 10;
    bool neg = false;
    size_t i = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        base = s[1] == 'x' ? 16 : 8;
        i = 2;
    } else if (n > 1 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    bool over = false;
    for (; i < n; i++) {
        int d = digit_value(s[i], base);
        if (d < 0)
            return 0;
        if (acc > (limit - (uint64_t)d) / (uint64_t)base)
            over = true;
        else
            acc = acc * (uint64_t)base + (uint64_t)d;
    }
    if (over)
        return -1;
    *out = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    return 1;
}

static size_t digits(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++;
    return j - i;
}

/* The core schema's floats:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?\.(inf|Inf|INF),
 * \.(nan|NaN|NAN). Returns true with *out set. */
static bool float_of(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    const char *rest = s + i;
    size_t rn = n - i;
    if (text_is(rest, rn, ".inf") || text_is(rest, rn, ".Inf") || text_is(rest, rn, ".INF")) {
        *out = neg ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (i == 0 && (text_is(s, n, ".nan") || text_is(s, n, ".NaN") || text_is(s, n, ".NAN"))) {
        *out = NAN;
        return true;
    }
    size_t whole = digits(s, n, i);
    i += whole;
    size_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        frac = digits(s, n, i);
        i += frac;
    }
    if (whole == 0 && frac == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e = digits(s, n, i);
        if (e == 0)
            return false;
        i += e;
    }
    if (i != n)
        return false;
    /* strtod follows the locale's decimal point; the text is in the C
     * locale's form, so it is rewritten when the host set another one. */
    const char *point = localeconv()->decimal_point;
    if (point[0] == '.' && point[1] == '\0') {
        *out = strtod(s, NULL); /* s is NUL-terminated (yr_event's contract) */
        return true;
    }
    size_t plen = strlen(point);
    char *buf = malloc(n + plen + 1);
    if (!buf)
        return false;
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (s[j] == '.') {
            memcpy(buf + k, point, plen);
            k += plen;
        } else {
            buf[k++] = s[j];
        }
    }
    buf[k] = '\0';
    *out = strtod(buf, NULL);
    free(buf);
    return true;
}

static const char *const tag_names[] = {"", "str", "int", "float", "bool", "null", "seq", "map"};

/* sym__yr_scalar_value, with *why set to a reason when it returns SYM_ETYPE.
 *
 * An int literal too big for 64 bits is SYM_ETYPE (not silently a float
 * or a string): a number that cannot be kept exactly is an error the
 * caller reports, as with `!!int abc`. */
static char *intern_key(yreader *r, arena *a, const char *s, size_t n);

/* Strings up to this long are shared (see set_string): the ones whose
 * copy would cost more than the text they come from, as `[a, a, a]` has. */
enum { SHARED_STRING_MAX = 2 };

/* Sets *v to the n-byte string at s, in a. A short one is shared with an
 * equal string read before into the same arena (arena values are never
 * written after reading), so that `[a, a, a]` costs its values and not a
 * copy each. r NULL: always copied. So is a string holding '$': a
 * template's leaf is found again by the address of its bytes
 * (sym__yr_on_string). */
static int set_string(yreader *r, sym_value *v, arena *a, const char *s, size_t n)
{
    if (!r || n > SHARED_STRING_MAX)
        return sym__value_set_string(v, a, s, n);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '$' || s[i] == '\0')
            return sym__value_set_string(v, a, s, n);
    char *copy = intern_key(r, a, s, n);
    if (!copy)
        return SYM_ENOMEM;
    memset(v, 0, sizeof *v);
    v->type = SYM_VALUE_STRING;
    v->n = (uint32_t)n;
    v->u.s = copy;
    return SYM_OK;
}

static int scalar_value(yreader *r, const yr_event *ev, sym_value *v, arena *a,
                        const char **why)
{
    const char *s = ev->value ? ev->value : "";
    size_t n = ev->length;
    int64_t i = 0;
    double f = 0;
    int b, ir;
    *why = NULL;
    switch (ev->tag) {
    case YR_TAG_STR:
        return set_string(r, v, a, s, n);
    case YR_TAG_NULL:
        if (!is_null(s, n))
            break;
        sym__value_set_null(v);
        return SYM_OK;
    case YR_TAG_BOOL:
        if ((b = bool_of(s, n)) < 0)
            break;
        sym__value_set_bool(v, b == 1);
        return SYM_OK;
    case YR_TAG_INT:
        if ((ir = int_of(s, n, &i)) == 0)
            break;
        if (ir < 0) {
            *why = "is out of the 64-bit integer range";
            return SYM_ETYPE;
        }
        sym__value_set_int(v, i);
        return SYM_OK;
    case YR_TAG_FLOAT:
        if (!float_of(s, n, &f))
            break;
        sym__value_set_float(v, f);
        return SYM_OK;
    case YR_TAG_SEQ:
    case YR_TAG_MAP:
        break;
    case YR_TAG_NONE:
        if (!ev->plain)
            return set_string(r, v, a, s, n);
        if (is_null(s, n)) {
            sym__value_set_null(v);
            return SYM_OK;
        }
        if ((b = bool_of(s, n)) >= 0) {
            sym__value_set_bool(v, b == 1);
            return SYM_OK;
        }
        if ((ir = int_of(s, n, &i)) != 0) {
            if (ir < 0) {
                *why = "is out of the 64-bit integer range";
                return SYM_ETYPE;
            }
            sym__value_set_int(v, i);
            return SYM_OK;
        }
        if (float_of(s, n, &f)) {
            sym__value_set_float(v, f);
            return SYM_OK;
        }
        return set_string(r, v, a, s, n);
    }
    return SYM_ETYPE; /* the text does not match its tag: *why stays NULL */
}

int sym__yr_scalar_value(const yr_event *ev, sym_value *v, arena *a)
{
    const char *why;
    return scalar_value(NULL, ev, v, a, &why);
}

/* ------------------------------------------------------------------------ */
/* Whole values                                                              */
/* ------------------------------------------------------------------------ */

/* Maps with more entries than this find duplicate keys by hash (a mapping
 * of 100,000 tasks must not cost n^2 comparisons); smaller ones by a scan. */
#define HASH_FROM 16

/* Work stacks up to this many entries are kept between values. */
#define STACK_KEEP 4096

static int scalar_into(yreader *r, const yr_event *ev, sym_value *v, arena *a)
{
    const char *why;
    int rc = scalar_value(r, ev, v, a, &why);
    if (rc == SYM_ENOMEM) {
        fail_nomem(r);
        return rc;
    }
    if (rc != SYM_ETYPE)
        return rc;
    const char *s = ev->value ? ev->value : "";
    if (why)
        report(r, SYM_ETYPE, ev->line, ev->column, "'%.*s%s' %s", excerpt_len(s, ev->length), s,
               excerpt_more(ev->length), why);
    else
        report(r, SYM_ETYPE, ev->line, ev->column, "'%.*s%s' is not a valid !!%s",
               excerpt_len(s, ev->length), s, excerpt_more(ev->length), tag_names[ev->tag]);
    /* Keep the text, so the tree stays whole for the checks after this. */
    if (sym__value_set_string(v, a, s, ev->length) != SYM_OK) {
        fail_nomem(r);
        return SYM_ENOMEM;
    }
    return rc;
}

static size_t ht_find(const yreader *r, const vframe *f, const char *key, bool *found)
{
    size_t mask = f->hcap - 1;
    for (size_t i = hash_name(key) & mask;; i = (i + 1) & mask) {
        uint32_t s = f->hash[i];
        if (s == 0) {
            *found = false;
            return i;
        }
        if (strcmp(r->mkeys[f->kbase + s - 1].key, key) == 0) {
            *found = true;
            return i;
        }
    }
}

/* (Re)builds f's hash of keys with room for twice its entries. */
static bool ht_build(yreader *r, vframe *f)
{
    size_t n = r->nmkeys - f->kbase, cap = 64;
    while (cap < 2 * (n + 1))
        cap *= 2;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return false;
    free(f->hash);
    f->hash = h;
    f->hcap = cap;
    for (size_t j = 0; j < n; j++) {
        bool found;
        size_t slot = ht_find(r, f, r->mkeys[f->kbase + j].key, &found);
        f->hash[slot] = (uint32_t)(j + 1);
    }
    return true;
}

/* The entry of f whose key is key, or NULL. */
static const key_info *find_key(const yreader *r, const vframe *f, const char *key)
{
    if (f->hash) {
        bool found;
        size_t slot = ht_find(r, f, key, &found);
        return found ? &r->mkeys[f->kbase + f->hash[slot] - 1] : NULL;
    }
    for (size_t j = f->kbase; j < r->nmkeys; j++)
        if (strcmp(r->mkeys[j].key, key) == 0)
            return &r->mkeys[j];
    return NULL;
}

/* A copy of the n-byte key (or short string) s in a, shared with earlier
 * equal ones copied into the same arena when the cache still holds one. */
static char *intern_key(yreader *r, arena *a, const char *s, size_t n)
{
    if (n > KEY_CACHE_MAX_LEN)
        return sym__arena_strndup(a, s, n);
    if (r->keys_arena != a) {
        memset(r->keys, 0, sizeof r->keys);
        r->keys_arena = a;
    }
    uint32_t h = (uint32_t)hash_bytes(s, n);
    size_t at = h % KEY_CACHE;
    const char *k = r->keys[at];
    if (k && r->key_hash[at] == h && strncmp(k, s, n) == 0 && k[n] == '\0')
        return (char *)k; /* arena values are never written after reading */
    char *copy = sym__arena_strndup(a, s, n);
    if (copy) {
        r->keys[at] = copy;
        r->key_hash[at] = h;
    }
    return copy;
}

static int map_key(yreader *r, vframe *f, const yr_event *ev, arena *a)
{
    const char *s = ev->value ? ev->value : "";
    if (memchr(s, '\0', ev->length)) { /* reported when read */
        f->skip_value = true;
        return SYM_OK;
    }
    const key_info *first = find_key(r, f, s);
    if (first) {
        report(r, SYM_ESCHEMA, ev->line, ev->column, "duplicate key '%.*s%s' (first at %u:%u)",
               excerpt_len(s, ev->length), s, excerpt_more(ev->length), (unsigned)first->line,
               (unsigned)first->column);
        f->skip_value = true;
        return SYM_OK;
    }
    f->key = intern_key(r, a, s, ev->length);
    if (!f->key) {
        fail_nomem(r);
        return SYM_ENOMEM;
    }
    f->have_key = true;
    f->key_line = ev->line;
    f->key_column = ev->column;
    return SYM_OK;
}

/* Adds a finished child value to the innermost open collection. */
static int deliver(yreader *r, const sym_value *v)
{
    vframe *f = &r->vframes[r->nvframes - 1];
    bool map = f->kind == YR_MAP_START;
    if ((r->nvals == r->vals_cap &&
         !grow((void **)&r->vals, &r->vals_cap, r->nvals + 1, sizeof *r->vals)) ||
        (map && r->nmkeys == r->mkeys_cap &&
         !grow((void **)&r->mkeys, &r->mkeys_cap, r->nmkeys + 1, sizeof *r->mkeys))) {
        fail_nomem(r);
        return SYM_ENOMEM;
    }
    r->vals[r->nvals++] = *v;
    if (!map)
        return SYM_OK;
    r->mkeys[r->nmkeys++] = (key_info){f->key, f->key_line, f->key_column};
    f->have_key = false;
    size_t n = r->nmkeys - f->kbase;
    if (n >= HASH_FROM && (!f->hash || 2 * n > f->hcap)) {
        if (!ht_build(r, f)) {
            fail_nomem(r);
            return SYM_ENOMEM;
        }
    } else if (f->hash) {
        bool found;
        size_t slot = ht_find(r, f, f->key, &found);
        f->hash[slot] = (uint32_t)n;
    }
    return SYM_OK;
}

/* Turns the top frame's entries into an exact-size arena array. */
static int finish(yreader *r, sym_value *v, arena *a)
{
    vframe *f = &r->vframes[r->nvframes - 1];
    size_t n = r->nvals - f->base;
    if (n > UINT32_MAX) {
        fail(r, SYM_ELIMIT, f->line, f->column, "a collection of more than %u elements",
             (unsigned)UINT32_MAX);
        return SYM_ELIMIT;
    }
    memset(v, 0, sizeof *v);
    v->n = (uint32_t)n;
    if (f->kind == YR_SEQ_START) {
        v->type = SYM_VALUE_LIST;
        sym_value *items = n ? sym__arena_alloc(a, n * sizeof *items) : NULL;
        if (n && !items)
            goto nomem;
        if (n)
            memcpy(items, r->vals + f->base, n * sizeof *items);
        v->u.items = items;
    } else {
        v->type = SYM_VALUE_MAP;
        value_entry *entries = n ? sym__arena_alloc(a, n * sizeof *entries) : NULL;
        if (n && !entries)
            goto nomem;
        for (size_t j = 0; j < n; j++)
            entries[j] = (value_entry){r->mkeys[f->kbase + j].key, r->vals[f->base + j]};
        v->u.entries = entries;
    }
    r->nvals = f->base;
    r->nmkeys = f->kbase;
    free(f->hash);
    r->nvframes--;
    return SYM_OK;
nomem:
    fail_nomem(r);
    return SYM_ENOMEM;
}

static int push_vframe(yreader *r, const yr_event *ev)
{
    if (!grow((void **)&r->vframes, &r->vframes_cap, r->nvframes + 1, sizeof *r->vframes)) {
        fail_nomem(r);
        return SYM_ENOMEM;
    }
    r->vframes[r->nvframes++] = (vframe){.kind = (uint8_t)ev->kind,
                                         .line = ev->line,
                                         .column = ev->column,
                                         .base = r->nvals,
                                         .kbase = r->nmkeys};
    return SYM_OK;
}

/* One step of sym__yr_read_value: handles the event ev inside the top frame.
 * On SYM_OK with *done set, *v holds the whole value. */
static int read_step(yreader *r, const yr_event *ev, sym_value *v, arena *a, bool *done)
{
    vframe *f = &r->vframes[r->nvframes - 1];
    if (ev->kind == YR_SEQ_END || ev->kind == YR_MAP_END) {
        sym_value c;
        int rc = finish(r, &c, a);
        if (rc != SYM_OK)
            return rc;
        if (r->nvframes == 0) {
            *v = c;
            *done = true;
            return SYM_OK;
        }
        return deliver(r, &c);
    }
    if (f->kind == YR_MAP_START && !f->have_key && !f->skip_value) {
        if (ev->kind == YR_SCALAR)
            return map_key(r, f, ev, a);
        report(r, SYM_ESCHEMA, ev->line, ev->column, "a map key must be a scalar, not a %s",
               ev->kind == YR_SEQ_START ? "sequence" : "mapping");
        f->skip_value = true;
        return sym__yr_skip(r, ev) ? SYM_OK : r->fail_code;
    }
    if (f->skip_value) {
        f->skip_value = false;
        return sym__yr_skip(r, ev) ? SYM_OK : r->fail_code;
    }
    if (ev->kind == YR_SCALAR) {
        sym_value s;
        int rc = scalar_into(r, ev, &s, a);
        if (rc == SYM_ENOMEM)
            return rc;
        if (r->on_string && s.type == SYM_VALUE_STRING)
            r->on_string(r->on_string_ctx, &s, ev);
        return deliver(r, &s);
    }
    return push_vframe(r, ev);
}

void sym__yr_on_string(yreader *r, yr_string_fn fn, void *ctx)
{
    r->on_string = fn;
    r->on_string_ctx = ctx;
}

int sym__yr_read_value(yreader *r, const yr_event *start, sym_value *v, arena *a)
{
    sym__value_set_null(v);
    r->read_first = SYM_OK;
    if (r->failed)
        return r->fail_code;
    if (start->kind == YR_SCALAR) {
        int rc = scalar_into(r, start, v, a);
        if (rc == SYM_OK && r->on_string && v->type == SYM_VALUE_STRING)
            r->on_string(r->on_string_ctx, v, start);
        return rc;
    }
    if (start->kind != YR_SEQ_START && start->kind != YR_MAP_START)
        return SYM_EINVAL;
    /* Collections are read with explicit stacks, not recursion, so no
     * input can exhaust the C stack even with max_depth 0. */
    int rc = push_vframe(r, start);
    bool done = false;
    while (rc == SYM_OK && !done) {
        yr_event ev;
        yr_kind k = sym__yr_next(r, &ev);
        if (k == YR_ERROR) {
            rc = r->fail_code;
            break;
        }
        if (k == YR_END) {
            fail(r, SYM_ESYNTAX, ev.line, ev.column, "unexpected end of the document");
            rc = SYM_ESYNTAX;
            break;
        }
        rc = read_step(r, &ev, v, a, &done);
    }
    if (!done) {
        free_vframes(r);
        r->nvals = r->nmkeys = 0;
        sym__value_set_null(v);
    }
    /* The stacks are empty again: big ones are given back, so what the
     * caller builds on the value (templates) does not stand on them. */
    if (r->vals_cap > STACK_KEEP) {
        free(r->vals);
        r->vals = NULL;
        r->vals_cap = 0;
    }
    if (r->mkeys_cap > STACK_KEEP) {
        free(r->mkeys);
        r->mkeys = NULL;
        r->mkeys_cap = 0;
    }
    if (rc == SYM_OK && r->read_first != SYM_OK)
        rc = r->read_first;
    return rc;
}
