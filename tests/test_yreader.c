/* Tests of the YAML reader: event sequences, every input limit (and that
 * pathological inputs stop after little work), alias replay, refused
 * constructs, core-schema scalars, whole values, and sym_value_parse. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check_main.h"
#include "error.h"
#include "strbuf.h"
#include "symphony.h"
#include "value.h"
#include "yreader.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static sym_load_options defaults(void)
{
    sym_load_options o;
    sym_load_options_init(&o);
    o.max_nodes = 1000000;
    o.max_alias_nodes = 0; /* no alias budget of its own: tests set one */
    return o;
}

static const char *tag_text(yr_tag t)
{
    static const char *const names[] = {"", "!!str ", "!!int ", "!!float ", "!!bool ",
                                        "!!null ", "!!seq ", "!!map "};
    return names[t];
}

/* Every event of len bytes of yaml as text, e.g. "{ a 1 b [ x 'y' ] } $":
 * plain scalars bare, others quoted, "$" for YR_END, "!" for YR_ERROR.
 * *count gets the number of events before the end or the error. */
static char *events_n(const char *yaml, size_t len, const sym_load_options *o, sym_error *err,
                      size_t *count)
{
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    strbuf sb;
    sym__sb_init(&sb);
    size_t n = 0;
    if (sym__yr_open(&r, yaml, len, o, &d) != SYM_OK) {
        sym__sb_puts(&sb, "!");
    } else {
        for (;;) {
            yr_event ev;
            yr_kind k = sym__yr_next(r, &ev);
            if (k == YR_END || k == YR_ERROR) {
                sym__sb_puts(&sb, k == YR_END ? "$" : "!");
                break;
            }
            n++;
            sym__sb_puts(&sb, tag_text(ev.tag));
            switch (k) {
            case YR_SCALAR:
                if (ev.plain)
                    sym__sb_putn(&sb, ev.value, ev.length);
                else
                    sym__sb_printf(&sb, "'%.*s'", (int)ev.length, ev.value);
                break;
            case YR_SEQ_START: sym__sb_puts(&sb, "["); break;
            case YR_SEQ_END: sym__sb_puts(&sb, "]"); break;
            case YR_MAP_START: sym__sb_puts(&sb, "{"); break;
            case YR_MAP_END: sym__sb_puts(&sb, "}"); break;
            default: break;
            }
            sym__sb_puts(&sb, " ");
        }
        /* after the end or a failure the reader stays there */
        yr_event ev;
        yr_kind again = sym__yr_next(r, &ev);
        ck_assert(again == YR_END || again == YR_ERROR);
        sym__yr_close(r);
    }
    if (count)
        *count = n;
    char *s = sym__sb_finish(&sb);
    ck_assert_ptr_nonnull(s);
    return s;
}

static char *events(const char *yaml, const sym_load_options *o, sym_error *err)
{
    return events_n(yaml, strlen(yaml), o, err, NULL);
}

static void check_events(const char *yaml, const char *want)
{
    sym_error *err = sym_error_new();
    char *got = events(yaml, NULL, err);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got <%s> want <%s> (%s)", yaml, got, want,
                  sym_error_count(err) ? sym_error_text(err, 0) : "no error");
    ck_assert_uint_eq(sym_error_count(err), 0);
    free(got);
    sym_error_free(err);
}

/* Asserts that err's entry i has code, position and a message containing
 * phrase. */
static void check_error(const sym_error *err, size_t i, int code, unsigned line, unsigned column,
                        const char *phrase)
{
    ck_assert_msg(sym_error_count(err) > i, "no error %zu (want '%s')", i, phrase);
    const char *msg = sym_error_message(err, i);
    ck_assert_msg(strstr(msg, phrase) != NULL, "message <%s> lacks <%s>", msg, phrase);
    ck_assert_msg(sym_error_code(err, i) == code, "<%s>: code %d, want %d", msg,
                  sym_error_code(err, i), code);
    ck_assert_msg(sym_error_line(err, i) == line && sym_error_column(err, i) == column,
                  "<%s> at %u:%u, want %u:%u", msg, sym_error_line(err, i),
                  sym_error_column(err, i), line, column);
}

/* The whole document read with sym__yr_read_value, as JSON; *rc gets its code. */
static char *json_n(const char *yaml, size_t len, const sym_load_options *o, sym_error *err,
                    int *rc)
{
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    *rc = sym__yr_open(&r, yaml, len, o, &d);
    if (*rc != SYM_OK)
        return NULL;
    arena a;
    sym__arena_init(&a);
    char *out = NULL;
    yr_event ev;
    if (sym__yr_next(r, &ev) == YR_ERROR) {
        *rc = d.first;
    } else {
        sym_value v;
        *rc = sym__yr_read_value(r, &ev, &v, &a);
        strbuf sb;
        sym__sb_init(&sb);
        sym__value_write_json(&sb, &v);
        out = sym__sb_finish(&sb);
        if (*rc == SYM_OK && sym__yr_next(r, &ev) != YR_END)
            *rc = d.first;
    }
    sym__yr_close(r);
    sym__arena_free(&a);
    return out;
}

static char *json(const char *yaml, sym_error *err, int *rc)
{
    return json_n(yaml, strlen(yaml), NULL, err, rc);
}

static void check_json(const char *yaml, const char *want)
{
    sym_error *err = sym_error_new();
    int rc;
    char *got = json(yaml, err, &rc);
    ck_assert_msg(rc == SYM_OK, "%s: rc %d (%s)", yaml, rc,
                  sym_error_count(err) ? sym_error_text(err, 0) : "no error");
    ck_assert_msg(strcmp(got, want) == 0, "%s: got %s want %s", yaml, got, want);
    free(got);
    sym_error_free(err);
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(event_sequences)
{
    check_events("a: 1\nb: [x, 'y', \"z\"]\nc:\n  d: ~\n  e:\n  - f\n",
                 "{ a 1 b [ x 'y' 'z' ] c { d ~ e [ f ] } } $");
    check_events("[]", "[ ] $");
    check_events("{}", "{ } $");
    check_events("plain", "plain $");
    check_events("--- |\n  text\n...\n", "'text\n' $");
    check_events("%YAML 1.1\n---\n- a\n", "[ a ] $");
    check_events("# only a comment\n---\n", " $");
    check_events("!!str 1", "!!str 1 $");
    check_events("!!map {a: !!int 1}", "!!map { a !!int 1 } $");
    /* a UTF-8 byte order mark is allowed */
    check_events("\xEF\xBB\xBFk: v\n", "{ k v } $");
}
END_TEST

START_TEST(event_positions)
{
    const char *yaml = "top:\n  - one\n  - {k: 'v'}\n";
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    ck_assert_int_eq(sym__yr_open(&r, yaml, strlen(yaml), NULL, &d), SYM_OK);
    static const struct {
        yr_kind kind;
        unsigned line, column;
        const char *text;
        bool plain;
    } want[] = {{YR_MAP_START, 1, 1, NULL, false}, {YR_SCALAR, 1, 1, "top", true},
                {YR_SEQ_START, 2, 3, NULL, false}, {YR_SCALAR, 2, 5, "one", true},
                {YR_MAP_START, 3, 5, NULL, false}, {YR_SCALAR, 3, 6, "k", true},
                {YR_SCALAR, 3, 9, "v", false},     {YR_MAP_END, 3, 12, NULL, false}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        yr_event ev;
        ck_assert_int_eq(sym__yr_next(r, &ev), want[i].kind);
        ck_assert_int_eq(ev.kind, want[i].kind);
        ck_assert_msg(ev.line == want[i].line && ev.column == want[i].column,
                      "event %zu at %u:%u, want %u:%u", i, ev.line, ev.column, want[i].line,
                      want[i].column);
        if (want[i].text) {
            ck_assert_str_eq(ev.value, want[i].text);
            ck_assert_uint_eq(ev.length, strlen(want[i].text));
            ck_assert_int_eq(ev.plain, want[i].plain);
        }
    }
    yr_event ev;
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SEQ_END);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_END);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_END);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_END);
    sym__yr_close(r);
    ck_assert_uint_eq(sym_error_count(err), 0);
    sym_error_free(err);
}
END_TEST

START_TEST(skip_nodes)
{
    const char *yaml = "a: {x: [1, {y: 2}], z: 3}\nb: [ [ ] ]\nc: 4\n";
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    ck_assert_int_eq(sym__yr_open(&r, yaml, strlen(yaml), NULL, &d), SYM_OK);
    yr_event ev;
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_START);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR); /* a */
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_START);
    ck_assert(sym__yr_skip(r, &ev));
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "b");
    ck_assert(sym__yr_skip(r, &ev)); /* a scalar: nothing to skip */
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SEQ_START);
    ck_assert(sym__yr_skip(r, &ev));
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "c");
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "4");
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_END);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_END);
    sym__yr_close(r);
    sym_error_free(err);
}
END_TEST

START_TEST(syntax_errors)
{
    sym_error *err = sym_error_new();
    char *got = events("a: [1, 2\nb: 3\n", NULL, err);
    /* libyaml reads b as one more entry, then stops at the ':' */
    ck_assert_str_eq(got, "{ a [ 1 2 b !");
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ESYNTAX, 2, 2, "did not find expected ',' or ']'");
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "while parsing a flow sequence at 1:4"));
    ck_assert_str_eq(sym_error_file(err, 0), "t.yaml");
    free(got);

    sym_error_clear(err);
    got = events("a: 1\n b: 2\n", NULL, err);
    check_error(err, 0, SYM_ESYNTAX, 2, 3, "mapping values are not allowed");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Documents and encodings                                                   */
/* ------------------------------------------------------------------------ */

START_TEST(one_document_only)
{
    sym_error *err = sym_error_new();
    char *got = events("a: 1\n---\nb: 2\n", NULL, err);
    ck_assert_str_eq(got, "{ a 1 } !");
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ESCHEMA, 2, 1, "only one document is allowed");
    free(got);

    /* an explicit end marker alone is fine */
    sym_error_clear(err);
    got = events("---\na: 1\n...\n", NULL, err);
    ck_assert_str_eq(got, "{ a 1 } $");
    ck_assert_uint_eq(sym_error_count(err), 0);
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(empty_input)
{
    static const char *const empties[] = {"", "\n\n", "# nothing here\n", "   "};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        sym_error *err = sym_error_new();
        char *got = events(empties[i], NULL, err);
        ck_assert_str_eq(got, "!");
        ck_assert_uint_eq(sym_error_count(err), 1);
        check_error(err, 0, SYM_ESCHEMA, 0, 0, "the file is empty");
        free(got);
        sym_error_free(err);
    }
    /* a NULL buffer of length 0 is an empty file too */
    sym_error *err = sym_error_new();
    char *got = events_n(NULL, 0, NULL, err, NULL);
    ck_assert_str_eq(got, "!");
    check_error(err, 0, SYM_ESCHEMA, 0, 0, "the file is empty");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(invalid_utf8)
{
    sym_error *err = sym_error_new();
    char *got = events("a: 1\nbb: \xC3\xA9t\xFF\n", NULL, err);
    ck_assert_uint_eq(sym_error_count(err), 1);
    /* the bad byte is the 4th character of line 2 after "bb: " + "ét" */
    check_error(err, 0, SYM_ESYNTAX, 2, 7, "UTF-8");
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "0xff"));
    ck_assert_ptr_nonnull(strstr(got, "!"));
    free(got);

    sym_error_clear(err);
    got = events("k: \xC3(\n", NULL, err); /* a truncated sequence */
    /* reported at the lead byte 0xc3 (column 4), not at the '(' after it */
    check_error(err, 0, SYM_ESYNTAX, 1, 4,
                "invalid UTF-8: the sequence starting with byte 0xc3 is not valid");
    free(got);

    sym_error_clear(err);
    got = events("a: 1\n\tb: 2\n", NULL, err); /* a tab where indentation goes */
    check_error(err, 0, SYM_ESYNTAX, 2, 1, "a tab cannot indent YAML or start a value; use spaces");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(utf16_bom)
{
    static const char le[] = "\xFF\xFE" "a\0:\0 \0" "1\0";
    static const char be[] = "\xFE\xFF" "\0a\0:\0 \0" "1";
    sym_error *err = sym_error_new();
    char *got = events_n(le, sizeof le - 1, NULL, err, NULL);
    ck_assert_str_eq(got, "!");
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ESYNTAX, 1, 1, "byte order mark; only UTF-8 is accepted");
    free(got);
    sym_error_clear(err);
    got = events_n(be, sizeof be - 1, NULL, err, NULL);
    ck_assert_str_eq(got, "!");
    check_error(err, 0, SYM_ESYNTAX, 1, 1, "UTF-16");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

/* n copies of unit (of unit_len bytes) in a new buffer. */
static char *repeat(const char *unit, size_t n, size_t *len)
{
    size_t u = strlen(unit);
    char *s = malloc(n * u + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[n * u] = '\0';
    *len = n * u;
    return s;
}

/* 200 KB of one flow indicator: refused at the 65th level after exactly
 * 64 events, so libyaml never scans the rest of the file. */
static void check_flow_bomb(const char *unit)
{
    size_t len;
    char *yaml = repeat(unit, 200000, &len);
    sym_error *err = sym_error_new();
    size_t n = 0;
    char *got = events_n(yaml, len, NULL, err, &n);
    ck_assert_uint_eq(n, 64);
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ELIMIT, 1, 65, "nesting deeper than 64 levels (load option max_depth)");
    free(got);
    free(yaml);
    sym_error_free(err);
}

START_TEST(depth_flow_sequences)
{
    check_flow_bomb("[");
}
END_TEST

START_TEST(depth_flow_mappings)
{
    check_flow_bomb("{");
}
END_TEST

START_TEST(depth_block)
{
    size_t len;
    char *yaml = repeat("- ", 100000, &len);
    sym_error *err = sym_error_new();
    size_t n = 0;
    char *got = events_n(yaml, len, NULL, err, &n);
    ck_assert_uint_eq(n, 64);
    check_error(err, 0, SYM_ELIMIT, 1, 129, "load option max_depth");
    free(got);
    free(yaml);

    /* block mappings, one level per line */
    strbuf sb;
    sym__sb_init(&sb);
    for (int i = 0; i < 1000; i++)
        sym__sb_printf(&sb, "%*sk:\n", i, "");
    yaml = sym__sb_finish(&sb);
    sym_error_clear(err);
    got = events_n(yaml, strlen(yaml), NULL, err, &n);
    ck_assert_uint_eq(n, 64 * 2); /* each level: its start and its key */
    check_error(err, 0, SYM_ELIMIT, 65, 65, "nesting deeper than 64 levels");
    free(got);
    free(yaml);
    sym_error_free(err);
}
END_TEST

START_TEST(depth_option)
{
    sym_load_options o = defaults();
    o.max_depth = 3;
    sym_error *err = sym_error_new();
    char *got = events("[[[x]]]", &o, err);
    ck_assert_str_eq(got, "[ [ [ x ] ] ] $");
    free(got);
    got = events("[[[[x]]]]", &o, err);
    ck_assert_str_eq(got, "[ [ [ !");
    check_error(err, 0, SYM_ELIMIT, 1, 4, "nesting deeper than 3 levels");
    free(got);

    /* an alias that would nest too deep is refused where it stands */
    sym_error_clear(err);
    got = events("a: &a [[x]]\nb: [*a]\n", &o, err);
    ck_assert_str_eq(got, "{ a [ [ x ] ] b [ !");
    check_error(err, 0, SYM_ELIMIT, 2, 5, "alias '*a' nests deeper than 3 levels (load option max_depth)");
    free(got);

    /* 0 is no limit */
    o.max_depth = 0;
    size_t len;
    char *deep = repeat("[", 300, &len);
    char *close = repeat("]", 300, &len);
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, deep);
    sym__sb_puts(&sb, close);
    char *yaml = sym__sb_finish(&sb);
    sym_error_clear(err);
    size_t n;
    got = events_n(yaml, strlen(yaml), &o, err, &n);
    ck_assert_uint_eq(n, 600);
    ck_assert_uint_eq(sym_error_count(err), 0);
    free(got);
    free(yaml);
    free(deep);
    free(close);
    sym_error_free(err);
}
END_TEST

/* Nine levels of nine aliases: 10^9 nodes if expanded. */
static const char laughs[] = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                             "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                             "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                             "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                             "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                             "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                             "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                             "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";

START_TEST(billion_laughs)
{
    sym_error *err = sym_error_new();
    size_t n = 0;
    sym_load_options whole = defaults(); /* no alias budget: the node limit acts */
    char *got = events_n(laughs, strlen(laughs), &whole, err, &n);
    ck_assert_uint_eq(sym_error_count(err), 1);
    /* a..f hold 10, 91, 820, 7381, 66430 and 597871 nodes: with the keys
     * that is 672612 by g's first *f, which would pass 1,000,000 */
    check_error(err, 0, SYM_ELIMIT, 7, 8, "alias expansion exceeds the node limit");
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "'*f' expands to 597871 nodes, after 672612 already read"));
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "load option max_nodes"));
    /* the work done is bounded by the limit, not by the expansion */
    ck_assert_uint_le(n, 1000000);
    free(got);

    /* with a small budget the work stays as small: 14 nodes, then 8 *a of
     * 10 nodes each; the 9th is refused before it is replayed */
    sym_load_options o = defaults();
    o.max_nodes = 100;
    sym_error_clear(err);
    got = events_n(laughs, strlen(laughs), &o, err, &n);
    ck_assert_uint_eq(n, 103); /* 94 nodes and 9 ends */
    check_error(err, 0, SYM_ELIMIT, 2, 40,
                "alias expansion exceeds the node limit: '*a' expands to 10 nodes, after 94 "
                "already read, over 100 (load option max_nodes)");
    free(got);

    /* sym__yr_read_value stops at the same point */
    sym_error_clear(err);
    int rc;
    got = json_n(laughs, strlen(laughs), &o, err, &rc);
    ck_assert_int_eq(rc, SYM_ELIMIT);
    ck_assert_uint_eq(sym_error_count(err), 1);
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(alias_limit)
{
    /* with the library's defaults, expansions stop at max_alias_nodes long
     * before the document's own node limit */
    sym_error *err = sym_error_new();
    size_t n = 0;
    char *got = events_n(laughs, strlen(laughs), NULL, err, &n);
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ELIMIT, 7, 8, "alias expansion exceeds the alias limit");
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "load option max_alias_nodes"));
    ck_assert_uint_le(n, 1100000);
    free(got);

    /* a small budget: the a..b expansions fit, the first *b does not */
    sym_load_options o = defaults();
    o.max_alias_nodes = 50;
    sym_error_clear(err);
    got = events_n(laughs, strlen(laughs), &o, err, &n);
    check_error(err, 0, SYM_ELIMIT, 2, 28,
                "alias expansion exceeds the alias limit: '*a' expands to 10 nodes, after 50 "
                "from aliases already, over 50 (load option max_alias_nodes)");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(node_limit)
{
    sym_load_options o = defaults();
    o.max_nodes = 5;
    sym_error *err = sym_error_new();
    char *got = events("[1, 2, 3, 4]", &o, err);
    ck_assert_str_eq(got, "[ 1 2 3 4 ] $");
    free(got);
    got = events("[1, 2, 3, 4, 5]", &o, err);
    ck_assert_str_eq(got, "[ 1 2 3 4 !");
    check_error(err, 0, SYM_ELIMIT, 1, 14, "more than 5 YAML nodes");
    ck_assert_ptr_nonnull(strstr(sym_error_message(err, 0), "load option max_nodes"));
    free(got);
    /* aliases count what they expand to */
    sym_error_clear(err);
    got = events("[&a [1, 2], *a]", &o, err);
    ck_assert_str_eq(got, "[ [ 1 2 ] !");
    check_error(err, 0, SYM_ELIMIT, 1, 13, "'*a' expands to 3 nodes, after 4 already read, over 5");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(scalar_limit)
{
    sym_load_options o = defaults();
    o.max_scalar_bytes = 10;
    sym_error *err = sym_error_new();
    char *got = events("a: 0123456789\nb: '01234567890'\n", &o, err);
    ck_assert_str_eq(got, "{ a 0123456789 b !");
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ELIMIT, 2, 4,
                "a scalar of 11 bytes is over the limit of 10 bytes (load option max_scalar_bytes)");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(file_limit)
{
    sym_load_options o = defaults();
    o.max_file_bytes = 8;
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r = (yreader *)&d; /* must be reset to NULL */
    ck_assert_int_eq(sym__yr_open(&r, "a: 12345", 8, &o, &d), SYM_OK);
    sym__yr_close(r);
    ck_assert_int_eq(sym__yr_open(&r, "a: 123456", 9, &o, &d), SYM_ELIMIT);
    ck_assert_ptr_null(r);
    check_error(err, 0, SYM_ELIMIT, 0, 0,
                "the file is 9 bytes, over the limit of 8 bytes (load option max_file_bytes)");
    sym__yr_close(NULL);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Aliases                                                                   */
/* ------------------------------------------------------------------------ */

static void check_same(const char *with_aliases, const char *written_out)
{
    sym_error *err = sym_error_new();
    int rc1, rc2;
    char *a = json(with_aliases, err, &rc1);
    char *b = json(written_out, err, &rc2);
    ck_assert_int_eq(rc1, SYM_OK);
    ck_assert_int_eq(rc2, SYM_OK);
    ck_assert_msg(strcmp(a, b) == 0, "%s\n  gave %s\n  want %s", with_aliases, a, b);
    ck_assert_uint_eq(sym_error_count(err), 0);
    free(a);
    free(b);
    /* and the event streams are the same too */
    char *ea = events(with_aliases, NULL, err);
    char *eb = events(written_out, NULL, err);
    ck_assert_str_eq(ea, eb);
    free(ea);
    free(eb);
    sym_error_free(err);
}

START_TEST(alias_replay)
{
    check_same("a: &x 1\nb: *x\n", "a: 1\nb: 1\n");
    check_same("d: &d {timeout: 30s, retry: {attempts: 3}}\nt1: *d\nt2: {x: *d}\n",
               "d: {timeout: 30s, retry: {attempts: 3}}\nt1: {timeout: 30s, retry: {attempts: 3}}\n"
               "t2: {x: {timeout: 30s, retry: {attempts: 3}}}\n");
    /* nested anchors, and an alias inside a recorded node */
    check_same("a: &a [1, &b [2, 3]]\nb: &c [*b, *a, 'q']\nc: [*c, *b]\n",
               "a: [1, [2, 3]]\nb: [[2, 3], [1, [2, 3]], 'q']\n"
               "c: [[[2, 3], [1, [2, 3]], 'q'], [2, 3]]\n");
    /* a redefined anchor: later aliases see the new node, earlier
     * recordings keep the old one */
    check_same("a: &x 1\nb: &y [*x]\nc: &x 2\nd: [*x, *y]\n", "a: 1\nb: [1]\nc: 2\nd: [2, [1]]\n");
    /* quoting and tags survive replay */
    check_same("a: &s '12'\nb: *s\nc: &t !!str 5\nd: *t\n", "a: '12'\nb: '12'\nc: !!str 5\nd: !!str 5\n");
    /* an alias as a key */
    check_same("- &k name\n- {*k : v}\n", "- name\n- {name: v}\n");
    /* an anchored empty collection */
    check_same("a: &e []\nb: *e\n", "a: []\nb: []\n");
}
END_TEST

START_TEST(alias_positions)
{
    /* replayed events carry the positions of the anchored node */
    const char *yaml = "a: &x [q]\nb: *x\n";
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    ck_assert_int_eq(sym__yr_open(&r, yaml, strlen(yaml), NULL, &d), SYM_OK);
    yr_event ev;
    for (int i = 0; i < 6; i++) /* { a [ q ] b */
        ck_assert_int_ne(sym__yr_next(r, &ev), YR_ERROR);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SEQ_START);
    ck_assert_uint_eq(ev.line, 1);
    ck_assert_uint_eq(ev.column, 4);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "q");
    ck_assert_uint_eq(ev.line, 1);
    ck_assert_uint_eq(ev.column, 8);
    sym__yr_close(r);
    sym_error_free(err);
}
END_TEST

START_TEST(bad_aliases)
{
    sym_error *err = sym_error_new();
    char *got = events("a: 1\nb: *nope\n", NULL, err);
    ck_assert_str_eq(got, "{ a 1 b !");
    check_error(err, 0, SYM_ESYNTAX, 2, 4, "alias '*nope' refers to an undefined anchor");
    free(got);

    sym_error_clear(err);
    got = events("a: &x [1, *x]\n", NULL, err);
    ck_assert_str_eq(got, "{ a [ 1 !");
    check_error(err, 0, SYM_ESYNTAX, 1, 11, "recursive");
    free(got);

    sym_error_clear(err);
    got = events("a: &x {b: {c: *x}}\n", NULL, err);
    check_error(err, 0, SYM_ESYNTAX, 1, 15, "'*x' refers to a node that contains it");
    free(got);

    /* an anchor defined only after its alias is undefined there */
    sym_error_clear(err);
    got = events("- *later\n- &later 1\n", NULL, err);
    check_error(err, 0, SYM_ESYNTAX, 1, 3, "undefined anchor");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Refused constructs                                                        */
/* ------------------------------------------------------------------------ */

START_TEST(merge_keys)
{
    const char *yaml = "base: &b {x: 1}\n"
                       "t: &t\n"
                       "  <<: *b\n"
                       "  y: 2\n"
                       "u: *t\n";
    sym_error *err = sym_error_new();
    int rc;
    char *got = json(yaml, err, &rc);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    /* reported once, where it is written, and dropped with its value */
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ESCHEMA, 3, 3, "merge keys (<<) are not supported; write the keys out");
    ck_assert_str_eq(got, "{\"base\":{\"x\":1},\"t\":{\"y\":2},\"u\":{\"y\":2}}");
    free(got);

    /* a merge value that is a list of maps is skipped whole */
    sym_error_clear(err);
    got = events("a: {<<: [{p: 1}, {q: 2}], z: 0}\n", NULL, err);
    ck_assert_str_eq(got, "{ a { z 0 } } $");
    check_error(err, 0, SYM_ESCHEMA, 1, 5, "merge keys");
    free(got);

    /* quoted, or as a value, << is an ordinary string */
    sym_error_clear(err);
    check_json("'<<': 1\nk: <<\n", "{\"<<\":1,\"k\":\"<<\"}");
    sym_error_free(err);
}
END_TEST

START_TEST(tags)
{
    sym_error *err = sym_error_new();
    char *got = events("a: !custom x\nb: !!python/object:os.system y\nc: ! z\n", NULL, err);
    /* refused but not fatal: every one is reported, nodes read untagged */
    ck_assert_str_eq(got, "{ a x b y c z } $");
    ck_assert_uint_eq(sym_error_count(err), 3);
    check_error(err, 0, SYM_ESCHEMA, 1, 4, "tag '!custom' is not supported");
    check_error(err, 1, SYM_ESCHEMA, 2, 4, "tag '!!python/object:os.system' is not supported");
    check_error(err, 2, SYM_ESCHEMA, 3, 4, "tag '!' is not supported");
    free(got);

    sym_error_clear(err);
    got = events("- !!map [1]\n- !!seq {a: 1}\n- !<tag:example.com,2000:x> [2]\n", NULL, err);
    ck_assert_str_eq(got, "[ [ 1 ] { a 1 } [ 2 ] ] $");
    check_error(err, 0, SYM_ESCHEMA, 1, 3, "tag '!!map' does not apply to a sequence");
    check_error(err, 1, SYM_ESCHEMA, 2, 3, "tag '!!seq' does not apply to a mapping");
    check_error(err, 2, SYM_ESCHEMA, 3, 3, "tag 'tag:example.com,2000:x' is not supported");
    free(got);

    /* core tags through sym__yr_read_value */
    check_json("[!!str 12, !!int '12', !!float 1, !!bool 'true', !!null '', !!str null]",
               "[\"12\",12,1.0,true,null,\"null\"]");
    sym_error_clear(err);
    int rc;
    got = json("a: !!int abc\nb: !!bool yes\nc: !!seq x\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ETYPE);
    ck_assert_uint_eq(sym_error_count(err), 3);
    check_error(err, 0, SYM_ETYPE, 1, 4, "'abc' is not a valid !!int");
    check_error(err, 1, SYM_ETYPE, 2, 4, "'yes' is not a valid !!bool");
    check_error(err, 2, SYM_ETYPE, 3, 4, "'x' is not a valid !!seq");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Scalars                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct scalar_case {
    const char *text;
    bool plain;
    yr_tag tag;
    int rc;
    sym_value_type type;
    const char *json; /* of the value */
} scalar_case;

static const scalar_case scalar_cases[] = {
    {"", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_NULL, "null"},
    {"~", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_NULL, "null"},
    {"null", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_NULL, "null"},
    {"Null", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_NULL, "null"},
    {"NULL", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_NULL, "null"},
    {"nULL", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"nULL\""},
    {"null", false, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"null\""},
    {"true", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "true"},
    {"True", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "true"},
    {"TRUE", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "true"},
    {"false", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "false"},
    {"False", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "false"},
    {"FALSE", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_BOOL, "false"},
    {"yes", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"yes\""},
    {"on", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"on\""},
    {"true", false, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"true\""},
    {"0", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "0"},
    {"42", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "42"},
    {"-17", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "-17"},
    {"+5", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "5"},
    {"007", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "7"},
    {"0x1F", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "31"},
    {"0xff", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "255"},
    {"0o17", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "15"},
    {"0o8", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"0o8\""},
    {"0x", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"0x\""},
    {"-0x1", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"-0x1\""},
    {"1_000", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"1_000\""},
    {"9223372036854775807", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "9223372036854775807"},
    {"-9223372036854775808", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "-9223372036854775808"},
    {"0x7fffffffffffffff", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_INT, "9223372036854775807"},
    /* an int too big for 64 bits is an error, not a float or a string */
    {"9223372036854775808", true, YR_TAG_NONE, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"-9223372036854775809", true, YR_TAG_NONE, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"0x8000000000000000", true, YR_TAG_NONE, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"1.5", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "1.5"},
    {"-0.25", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "-0.25"},
    {".5", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "0.5"},
    {"1.", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "1.0"},
    {"1e3", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "1000.0"},
    {"2.5E-1", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "0.25"},
    {"+1.5e+2", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_FLOAT, "150.0"},
    {"1e", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"1e\""},
    {".", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\".\""},
    {"1.2.3", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"1.2.3\""},
    {"30s", true, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"30s\""},
    {"1.5", false, YR_TAG_NONE, SYM_OK, SYM_VALUE_STRING, "\"1.5\""},
    {"!!str", true, YR_TAG_STR, SYM_OK, SYM_VALUE_STRING, "\"!!str\""},
    {"1", true, YR_TAG_STR, SYM_OK, SYM_VALUE_STRING, "\"1\""},
    {"12", false, YR_TAG_INT, SYM_OK, SYM_VALUE_INT, "12"},
    {"1.5", true, YR_TAG_INT, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"99999999999999999999", true, YR_TAG_INT, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"99999999999999999999", true, YR_TAG_FLOAT, SYM_OK, SYM_VALUE_FLOAT, "1e+20"},
    {"3", true, YR_TAG_FLOAT, SYM_OK, SYM_VALUE_FLOAT, "3.0"},
    {"x", true, YR_TAG_FLOAT, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"False", false, YR_TAG_BOOL, SYM_OK, SYM_VALUE_BOOL, "false"},
    {"no", true, YR_TAG_BOOL, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"~", true, YR_TAG_NULL, SYM_OK, SYM_VALUE_NULL, "null"},
    {"0", true, YR_TAG_NULL, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"a", true, YR_TAG_SEQ, SYM_ETYPE, SYM_VALUE_NULL, NULL},
    {"a", true, YR_TAG_MAP, SYM_ETYPE, SYM_VALUE_NULL, NULL},
};

START_TEST(scalar_resolution)
{
    const scalar_case *c = &scalar_cases[_i];
    yr_event ev = {.kind = YR_SCALAR, .line = 1, .column = 1, .value = c->text,
                   .length = strlen(c->text), .plain = c->plain, .tag = c->tag};
    arena a;
    sym__arena_init(&a);
    sym_value v;
    int rc = sym__yr_scalar_value(&ev, &v, &a);
    ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->text, rc, c->rc);
    if (rc == SYM_OK) {
        ck_assert_msg(sym_value_type_of(&v) == c->type, "'%s': type %s, want %s", c->text,
                      sym_value_type_name(sym_value_type_of(&v)), sym_value_type_name(c->type));
        strbuf sb;
        sym__sb_init(&sb);
        sym__value_write_json(&sb, &v);
        char *got = sym__sb_finish(&sb);
        ck_assert_msg(strcmp(got, c->json) == 0, "'%s': %s, want %s", c->text, got, c->json);
        free(got);
    }
    sym__arena_free(&a);
}
END_TEST

START_TEST(special_floats)
{
    static const struct {
        const char *text;
        int sign; /* 1 +inf, -1 -inf, 0 nan */
    } cases[] = {{".inf", 1}, {".Inf", 1}, {".INF", 1}, {"+.inf", 1}, {"-.inf", -1},
                 {"-.INF", -1}, {".nan", 0}, {".NaN", 0}, {".NAN", 0}};
    arena a;
    sym__arena_init(&a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yr_event ev = {.kind = YR_SCALAR, .value = cases[i].text, .length = strlen(cases[i].text),
                       .plain = true};
        sym_value v;
        ck_assert_int_eq(sym__yr_scalar_value(&ev, &v, &a), SYM_OK);
        double f = 0;
        ck_assert_int_eq(sym_value_get_float(&v, &f), SYM_OK);
        if (cases[i].sign == 0)
            ck_assert_msg(isnan(f), "%s", cases[i].text);
        else
            ck_assert_msg(isinf(f) && (f > 0) == (cases[i].sign > 0), "%s", cases[i].text);
    }
    /* not floats */
    static const char *const strings[] = {".infinity", "-.nan", "inf", "nan", "..inf"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        yr_event ev = {.kind = YR_SCALAR, .value = strings[i], .length = strlen(strings[i]),
                       .plain = true};
        sym_value v;
        ck_assert_int_eq(sym__yr_scalar_value(&ev, &v, &a), SYM_OK);
        ck_assert_msg(sym_value_type_of(&v) == SYM_VALUE_STRING, "%s", strings[i]);
    }
    sym__arena_free(&a);
}
END_TEST

START_TEST(int_overflow_reported)
{
    sym_error *err = sym_error_new();
    int rc;
    char *got = json("a: 1\nb: 123456789012345678901234567890\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ETYPE);
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ETYPE, 2, 4,
                "'123456789012345678901234567890' is out of the 64-bit integer range");
    /* the tree stays whole, with the text kept */
    ck_assert_str_eq(got, "{\"a\":1,\"b\":\"123456789012345678901234567890\"}");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Whole values                                                              */
/* ------------------------------------------------------------------------ */

START_TEST(read_values)
{
    check_json("a: 1\nb: [x, 2.5, true, ~]\nc: {d: {}, e: []}\n'q': \"s\"\n",
               "{\"a\":1,\"b\":[\"x\",2.5,true,null],\"c\":{\"d\":{},\"e\":[]},\"q\":\"s\"}");
    /* insertion order is kept */
    check_json("z: 1\na: 2\nm: 3\n", "{\"z\":1,\"a\":2,\"m\":3}");
    /* keys are their text, whatever it would resolve to */
    check_json("1: a\nnull: b\ntrue: c\n", "{\"1\":\"a\",\"null\":\"b\",\"true\":\"c\"}");
    check_json("42", "42");
    check_json("'text'", "\"text\"");
    check_json("[[[]]]", "[[[]]]");
}
END_TEST

START_TEST(read_value_inside_document)
{
    /* the schema layer reads single values in the middle of a document */
    const char *yaml = "name: x\nwith: {url: 'u', n: [1, 2]}\nafter: 3\n";
    sym_error *err = sym_error_new();
    diag d;
    sym__diag_init(&d, err, "t.yaml", 100);
    yreader *r;
    ck_assert_int_eq(sym__yr_open(&r, yaml, strlen(yaml), NULL, &d), SYM_OK);
    arena a;
    sym__arena_init(&a);
    yr_event ev;
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_START);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "with");
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_START);
    sym_value v;
    ck_assert_int_eq(sym__yr_read_value(r, &ev, &v, &a), SYM_OK);
    ck_assert_str_eq(sym_value_string(sym_value_get(&v, "url"), NULL), "u");
    int64_t i = 0;
    ck_assert_int_eq(sym_value_get_int(sym_value_path(&v, "n[1]"), &i), SYM_OK);
    ck_assert_int_eq(i, 2);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_str_eq(ev.value, "after");
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_SCALAR);
    ck_assert_int_eq(sym__yr_read_value(r, &ev, &v, &a), SYM_OK);
    ck_assert_int_eq(sym_value_get_int(&v, &i), SYM_OK);
    ck_assert_int_eq(i, 3);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_MAP_END);
    ck_assert_int_eq(sym__yr_next(r, &ev), YR_END);
    sym__yr_close(r);
    sym__arena_free(&a);
    ck_assert_uint_eq(sym_error_count(err), 0);
    sym_error_free(err);
}
END_TEST

START_TEST(duplicate_keys)
{
    sym_error *err = sym_error_new();
    int rc;
    char *got = json("a: 1\nb:\n  c: 2\n  c: [3]\na: 4\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 2);
    check_error(err, 0, SYM_ESCHEMA, 4, 3, "duplicate key 'c' (first at 3:3)");
    check_error(err, 1, SYM_ESCHEMA, 5, 1, "duplicate key 'a' (first at 1:1)");
    /* the first one is kept, and the node is consumed */
    ck_assert_str_eq(got, "{\"a\":1,\"b\":{\"c\":2}}");
    free(got);

    /* big maps find duplicates by hash */
    strbuf sb;
    sym__sb_init(&sb);
    for (int i = 0; i < 5000; i++)
        sym__sb_printf(&sb, "k%d: %d\n", i, i);
    sym__sb_puts(&sb, "k1234: again\n");
    char *yaml = sym__sb_finish(&sb);
    sym_error_clear(err);
    got = json(yaml, err, &rc);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 1);
    check_error(err, 0, SYM_ESCHEMA, 5001, 1, "duplicate key 'k1234' (first at 1235:1)");
    free(got);
    free(yaml);

    /* a long key is cut short in the message */
    sym_error_clear(err);
    got = json("? aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
               ": 1\n"
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 2\n",
               err, &rc);
    check_error(err, 0, SYM_ESCHEMA, 3, 1, "...' (first at 1:3)");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(complex_keys)
{
    sym_error *err = sym_error_new();
    int rc;
    char *got = json("? [a, b]\n: 1\nok: 2\n{x: y}: 3\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(err), 2);
    check_error(err, 0, SYM_ESCHEMA, 1, 3, "a map key must be a scalar, not a sequence");
    check_error(err, 1, SYM_ESCHEMA, 4, 1, "a map key must be a scalar, not a mapping");
    ck_assert_str_eq(got, "{\"ok\":2}");
    free(got);

    sym_error_clear(err);
    got = json("\"a\\0b\": 1\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ESCHEMA);
    check_error(err, 0, SYM_ESCHEMA, 1, 3, "a NUL character (\\0) is not allowed in a string");
    free(got);
    sym_error_free(err);
}
END_TEST

START_TEST(read_value_after_failure)
{
    sym_error *err = sym_error_new();
    int rc;
    char *got = json("a: [1, {b: 2, c: [}\n", err, &rc);
    ck_assert_int_eq(rc, SYM_ESYNTAX);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_str_eq(got, "null");
    free(got);
    sym_error_free(err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* sym_value_parse                                                           */
/* ------------------------------------------------------------------------ */

static void check_parse(const char *text, const char *want)
{
    sym_error *err = sym_error_new();
    sym_value *v = NULL;
    ck_assert_int_eq(sym_value_parse(text, strlen(text), &v, err), SYM_OK);
    ck_assert_ptr_nonnull(v);
    char *got = sym_value_to_json(v);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got %s want %s", text, got, want);
    /* an owned value: the mutators work on it */
    if (sym_value_type_of(v) == SYM_VALUE_LIST)
        ck_assert_int_eq(sym_value_list_append(v, sym_value_new_null()), SYM_OK);
    if (sym_value_type_of(v) == SYM_VALUE_MAP)
        ck_assert_int_eq(sym_value_map_set(v, "added", sym_value_new_null()), SYM_OK);
    sym_free(got);
    sym_value_free(v);
    ck_assert_uint_eq(sym_error_count(err), 0);
    sym_error_free(err);
}

START_TEST(value_parse)
{
    check_parse("42", "42");
    check_parse("-1.5", "-1.5");
    check_parse("true", "true");
    check_parse("~", "null");
    check_parse("hello world", "\"hello world\"");
    check_parse("'42'", "\"42\"");
    check_parse("[1, 2, {a: b}]", "[1,2,{\"a\":\"b\"}]");
    check_parse("{\"json\": [true, null, 1e2]}", "{\"json\":[true,null,100.0]}");
    check_parse("a: 1\nb:\n  - x\n", "{\"a\":1,\"b\":[\"x\"]}");
    /* a length, not a NUL, ends the text */
    sym_value *v = NULL;
    ck_assert_int_eq(sym_value_parse("12345", 2, &v, NULL), SYM_OK);
    int64_t i = 0;
    ck_assert_int_eq(sym_value_get_int(v, &i), SYM_OK);
    ck_assert_int_eq(i, 12);
    sym_value_free(v);
}
END_TEST

START_TEST(value_parse_errors)
{
    sym_error *err = sym_error_new();
    sym_value *v = (sym_value *)err;
    ck_assert_int_eq(sym_value_parse("[1, 2", 5, &v, err), SYM_ESYNTAX);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(sym_error_count(err), 1);
    ck_assert_str_eq(sym_error_file(err, 0), "<value>");
    check_error(err, 0, SYM_ESYNTAX, 1, 6, "did not find expected ',' or ']'");

    sym_error_clear(err);
    ck_assert_int_eq(sym_value_parse("a\n---\nb", 7, &v, err), SYM_ESCHEMA);
    check_error(err, 0, SYM_ESCHEMA, 2, 1, "only one document");
    ck_assert_ptr_null(v);

    sym_error_clear(err);
    ck_assert_int_eq(sym_value_parse("{a: 1, a: 2}", 12, &v, err), SYM_ESCHEMA);
    check_error(err, 0, SYM_ESCHEMA, 1, 8, "duplicate key 'a' (first at 1:2)");
    ck_assert_ptr_null(v);

    sym_error_clear(err);
    ck_assert_int_eq(sym_value_parse("!foo 1", 6, &v, err), SYM_ESCHEMA);
    check_error(err, 0, SYM_ESCHEMA, 1, 1, "tag '!foo' is not supported");
    ck_assert_ptr_null(v);

    sym_error_clear(err);
    ck_assert_int_eq(sym_value_parse(laughs, strlen(laughs), &v, err), SYM_ELIMIT);
    check_error(err, 0, SYM_ELIMIT, 7, 8, "alias expansion exceeds the alias limit");
    ck_assert_ptr_null(v);

    sym_error_clear(err);
    ck_assert_int_eq(sym_value_parse("  \n", 3, &v, err), SYM_ESYNTAX);
    ck_assert_str_eq(sym_error_message(err, 0), "the value is empty");
    ck_assert_int_eq(sym_value_parse(NULL, 0, &v, NULL), SYM_ESYNTAX);
    ck_assert_int_eq(sym_value_parse(NULL, 3, &v, NULL), SYM_EINVAL);
    ck_assert_int_eq(sym_value_parse("1", 1, NULL, NULL), SYM_EINVAL);
    sym_error_free(err);
}
END_TEST

START_TEST(repeated_and_many_keys)
{
    /* Keys are shared between maps of one arena through a small cache:
     * equal keys must read back equal, and the many different keys that
     * land in the same cache slot must each keep their own text. */
    strbuf yaml, want;
    sym__sb_init(&yaml);
    sym__sb_init(&want);
    sym__sb_putc(&want, '[');
    for (int i = 0; i < 2000; i++) {
        sym__sb_printf(&yaml, "- {same: %d, key%d: x, %s: y}\n", i, i, i % 2 ? "odd" : "even");
        sym__sb_printf(&want, "%s{\"same\":%d,\"key%d\":\"x\",\"%s\":\"y\"}", i ? "," : "", i, i,
                       i % 2 ? "odd" : "even");
    }
    sym__sb_putc(&want, ']');
    char *text = sym__sb_finish(&yaml), *expected = sym__sb_finish(&want);
    sym_error *err = sym_error_new();
    int rc;
    char *got = json(text, err, &rc);
    ck_assert_int_eq(rc, SYM_OK);
    ck_assert_str_eq(got, expected);
    free(got);
    free(text);
    free(expected);
    sym_error_free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("yreader");
    TCase *tc = tcase_create("events");
    tcase_add_test(tc, event_sequences);
    tcase_add_test(tc, event_positions);
    tcase_add_test(tc, skip_nodes);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, one_document_only);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, utf16_bom);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, depth_flow_sequences);
    tcase_add_test(tc, depth_flow_mappings);
    tcase_add_test(tc, depth_block);
    tcase_add_test(tc, depth_option);
    tcase_add_test(tc, billion_laughs);
    tcase_add_test(tc, alias_limit);
    tcase_add_test(tc, node_limit);
    tcase_add_test(tc, scalar_limit);
    tcase_add_test(tc, file_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("aliases and refusals");
    tcase_add_test(tc, alias_replay);
    tcase_add_test(tc, alias_positions);
    tcase_add_test(tc, bad_aliases);
    tcase_add_test(tc, merge_keys);
    tcase_add_test(tc, tags);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_loop_test(tc, scalar_resolution, 0,
                        (int)(sizeof scalar_cases / sizeof scalar_cases[0]));
    tcase_add_test(tc, special_floats);
    tcase_add_test(tc, int_overflow_reported);
    tcase_add_test(tc, read_values);
    tcase_add_test(tc, read_value_inside_document);
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, complex_keys);
    tcase_add_test(tc, read_value_after_failure);
    tcase_add_test(tc, value_parse);
    tcase_add_test(tc, value_parse_errors);
    tcase_add_test(tc, repeated_and_many_keys);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
