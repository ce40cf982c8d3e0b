/* Tests of the expression language (lib/expr.h): templates, the lexer and
 * parser (tokens, precedence, associativity, errors at exact positions),
 * static checks against a fake scope, evaluation against a fake env
 * (operators, functions, type rules, interpolation), bounds, and a replay
 * of the fuzzing seeds. The fake world is the fuzz target's. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "fuzz/fuzz_expr.c"
#include "strbuf.h"

/* ---- helpers ------------------------------------------------------------- */

static arena ta;         /* templates and results of one test */
static sym_error *terr;  /* errors of one test */

static void setup(void)
{
    sym__arena_init(&ta);
    terr = sym_error_new();
    ck_assert_ptr_nonnull(terr);
}

static void teardown(void)
{
    sym__arena_free(&ta);
    sym_error_free(terr);
}

static int parse_at(const char *text, uint32_t line, uint32_t col, expr_template **t)
{
    diag d;
    sym_error_clear(terr);
    sym__diag_init(&d, terr, "t.yaml", 0);
    int rc = sym__expr_template_parse(text, strlen(text), line, col, &ta, &d, t);
    ck_assert_uint_eq(d.count, sym_error_count(terr));
    return rc;
}

static expr_template *parse_ok(const char *text)
{
    expr_template *t = NULL;
    int rc = parse_at(text, 1, 1, &t);
    ck_assert_msg(rc == SYM_OK, "%s: %s", text,
                  sym_error_count(terr) ? sym_error_text(terr, 0) : "?");
    ck_assert_ptr_nonnull(t);
    return t;
}

/* The first error of parsing text at 1:1 has this code, position and a
 * message containing want. */
static void parse_fails(const char *text, int code, unsigned line, unsigned col, const char *want)
{
    expr_template *t = (expr_template *)&t;
    int rc = parse_at(text, 1, 1, &t);
    ck_assert_msg(rc == code, "%s: got %d, want %d", text, rc, code);
    ck_assert_ptr_null(t);
    ck_assert_uint_ge(sym_error_count(terr), 1);
    ck_assert_int_eq(sym_error_code(terr, 0), code);
    const char *msg = sym_error_message(terr, 0);
    ck_assert_msg(strstr(msg, want) != NULL, "%s: message '%s' lacks '%s'", text, msg, want);
    ck_assert_msg(sym_error_line(terr, 0) == line && sym_error_column(terr, 0) == col,
                  "%s: error at %u:%u, want %u:%u (%s)", text, sym_error_line(terr, 0),
                  sym_error_column(terr, 0), line, col, msg);
}

static int check_text(const char *text)
{
    expr_template *t = parse_ok(text);
    expr_scope scope;
    fuzz_expr_scope(&scope);
    diag d;
    sym_error_clear(terr);
    sym__diag_init(&d, terr, "t.yaml", 0);
    int rc = sym__expr_check(t, &scope, &d);
    ck_assert_int_eq(rc == SYM_OK, sym_error_count(terr) == 0);
    return rc;
}

static void check_fails(const char *text, unsigned col, const char *want)
{
    ck_assert_msg(check_text(text) == SYM_ESCHEMA, "%s: check passed", text);
    const char *msg = sym_error_message(terr, 0);
    ck_assert_msg(strstr(msg, want) != NULL, "%s: message '%s' lacks '%s'", text, msg, want);
    ck_assert_msg(sym_error_line(terr, 0) == 1 && sym_error_column(terr, 0) == col,
                  "%s: error at column %u, want %u (%s)", text, sym_error_column(terr, 0), col,
                  msg);
}

static int eval_text(const char *text, sym_value *v, expr_error *err)
{
    expr_template *t = parse_ok(text);
    expr_env env;
    fuzz_expr_env(&env);
    return sym__expr_eval(t, &env, &ta, v, err);
}

/* The value of text as compact JSON (so the type shows: "\"42\"" vs "42"). */
static const char *ev(const char *text)
{
    sym_value v;
    expr_error err;
    int rc = eval_text(text, &v, &err);
    ck_assert_msg(rc == SYM_OK, "%s: %d %s", text, rc, err.message);
    strbuf sb;
    sym__sb_init(&sb);
    sym__value_write_json(&sb, &v);
    char *s = sym__sb_finish(&sb);
    ck_assert_ptr_nonnull(s);
    char *copy = sym__arena_strdup(&ta, s);
    free(s);
    return copy;
}

#define EV(text, want) ck_assert_str_eq(ev(text), want)

static void eval_fails(const char *text, int code, unsigned col, const char *want)
{
    sym_value v;
    expr_error err;
    int rc = eval_text(text, &v, &err);
    ck_assert_msg(rc == code, "%s: got %d, want %d", text, rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_int_eq(v.type, SYM_VALUE_NULL);
    ck_assert_msg(strstr(err.message, want) != NULL, "%s: '%s' lacks '%s'", text, err.message,
                  want);
    ck_assert_msg(col == 0 || (err.line == 1 && err.column == col), "%s: at %u:%u, want 1:%u",
                  text, err.line, err.column, col);
}

/* ---- templates -------------------------------------------------------------- */

START_TEST(literal_templates)
{
    static const char *const texts[] = {"plain", "", "costs $5 and {{ braces }}", "${ {x}", "$",
                                        "a}}b"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ck_assert(!sym__expr_has_template(texts[i], strlen(texts[i])));
        expr_template *t = parse_ok(texts[i]);
        ck_assert(sym__expr_template_is_literal(t));
        ck_assert(!sym__expr_template_is_single(t));
        size_t len = 99;
        ck_assert_str_eq(sym__expr_template_text(t, &len), texts[i]);
        ck_assert_uint_eq(len, strlen(texts[i]));
        const expr_ref *refs;
        ck_assert_uint_eq(sym__expr_template_refs(t, &refs), 0);
        (void)ev(texts[i]); /* evaluates, no error */
    }
    EV("plain", "\"plain\"");
    ck_assert(sym__expr_has_template("x ${{ 1 }}", 10));
    ck_assert(!sym__expr_has_template("x ${{ 1 }}", 4)); /* only the first n bytes count */
}
END_TEST

START_TEST(single_keeps_type_interpolation_makes_text)
{
    expr_template *t = parse_ok("${{ params.shards }}");
    ck_assert(sym__expr_template_is_single(t));
    ck_assert_ptr_null(sym__expr_template_text(t, NULL));
    EV("${{ params.shards }}", "[1,2,3,4]");
    EV("${{params.n}}", "5");
    EV(" ${{ params.n }}", "\" 5\"");
    ck_assert(!sym__expr_template_is_single(parse_ok("${{ 1 }}${{ 2 }}")));
    EV("${{ 1 }}${{ 2 }}", "\"12\"");
    EV("s3://bucket/${{ params.date }}/part-${{ matrix.shard }}",
       "\"s3://bucket/2026-11-27/part-2\"");
    EV("list ${{ params.shards }}, map ${{ params.opts }}",
       "\"list [1,2,3,4], map {\\\"retries\\\":3,\\\"tags\\\":[\\\"a\\\",\\\"b\\\"]}\"");
    EV("[${{ params.none }}] ${{ params.flag }} ${{ params.ratio }} ${{ -2.5e3 }}",
       "\"[] true 0.5 -2500\"");
    EV("${{ '${{' }} kept", "\"${{ kept\"");
    /* Nine parts: more than the evaluator's local table. */
    EV("${{1}}-${{2}}-${{3}}-${{4}}-${{5}}", "\"1-2-3-4-5\"");
}
END_TEST

/* ---- lexer and parser --------------------------------------------------------- */

START_TEST(literals)
{
    EV("${{ 42 }}", "42");
    EV("${{ -7 }}", "-7");
    EV("${{ 0x1F }}", "31");
    EV("${{ -0x10 }}", "-16");
    EV("${{ 9223372036854775807 }}", "9223372036854775807");
    EV("${{ -9223372036854775808 }}", "-9223372036854775808");
    EV("${{ 1.5 }}", "1.5");
    EV("${{ 2e3 }}", "2000.0");
    EV("${{ 1E-2 }}", "0.01");
    EV("${{ 'it''s' }}", "\"it's\"");
    EV("${{ '' }}", "\"\"");
    EV("${{ 'a }} b' }}", "\"a }} b\"");
    EV("${{ true }}", "true");
    EV("${{ false }}", "false");
    EV("${{ null }}", "null");
    EV("${{\ttrue\n}}", "true");
}
END_TEST

START_TEST(every_operator_token)
{
    EV("${{ 1 == 1 }}", "true");
    EV("${{ 1 != 1 }}", "false");
    EV("${{ 1 < 2 }}", "true");
    EV("${{ 2 <= 2 }}", "true");
    EV("${{ 1 > 2 }}", "false");
    EV("${{ 1 >= 2 }}", "false");
    EV("${{ true && 'x' }}", "\"x\"");
    EV("${{ false || 3 }}", "3");
    EV("${{ !true }}", "false");
    EV("${{ (1) }}", "1");
    EV("${{ params.shards[0] }}", "1");
    EV("${{ params.opts.retries }}", "3");
    EV("${{ format('{0}{1}', 1, 2) }}", "\"12\"");
}
END_TEST

START_TEST(precedence_and_associativity)
{
    EV("${{ true || false && false }}", "true");    /* && binds tighter than || */
    EV("${{ (true || false) && false }}", "false");
    EV("${{ false && true || true }}", "true");
    EV("${{ !false == false }}", "false");          /* ! binds tighter than == */
    EV("${{ !(false == false) }}", "false");
    EV("${{ 1 < 2 == 2 < 3 }}", "true");            /* < binds tighter than == */
    EV("${{ 1 == 1 && 2 == 2 }}", "true");          /* == tighter than && */
    EV("${{ 1 && 2 && 3 }}", "3");                  /* left to right, last operand */
    EV("${{ 0 && params.n }}", "0");
    EV("${{ null || '' || 'last' }}", "\"last\"");
    EV("${{ 'first' || 'second' || 'third' }}", "\"first\"");
    EV("${{ true == true == true }}", "true");      /* (true == true) == true */
    EV("${{ 2 == 2 == 2 }}", "false");              /* (2 == 2) == 2: true == 2 */
    EV("${{ !!'x' }}", "true");
    EV("${{ ((((1)))) }}", "1");
}
END_TEST

START_TEST(short_circuit_skips_the_right_operand)
{
    /* The right side would be a type error if it ran. */
    EV("${{ false && fromJSON('[1]') < 1 }}", "false");
    EV("${{ true || fromJSON('[1]') < 1 }}", "true");
    eval_fails("${{ true && fromJSON('[1]') < 1 }}", SYM_ETYPE, 29, "cannot order a list and a int");
}
END_TEST

START_TEST(parse_errors_with_positions)
{
    parse_fails("${{ 'abc }}", SYM_ESCHEMA, 1, 5, "unterminated string");
    parse_fails("ab ${{ 1 == 1 ", SYM_ESCHEMA, 1, 4, "never closed");
    parse_fails("${{ 1 = 1 }}", SYM_ESCHEMA, 1, 7, "did you mean '=='?");
    parse_fails("${{ a & b }}", SYM_ESCHEMA, 1, 7, "did you mean '&&'?");
    parse_fails("${{ 1 | 2 }}", SYM_ESCHEMA, 1, 7, "did you mean '||'?");
    parse_fails("${{ 1 # 2 }}", SYM_ESCHEMA, 1, 7, "unknown character '#'");
    parse_fails("${{ 1 \x01 2 }}", SYM_ESCHEMA, 1, 7, "unknown character \\x01");
    parse_fails("${{ 1 + 2 }}", SYM_ESCHEMA, 1, 7, "no arithmetic");
    parse_fails("${{ \"x\" }}", SYM_ESCHEMA, 1, 5, "single quotes");
    parse_fails("${{ startswith('a', 'b') }}", SYM_ESCHEMA, 1, 5,
                "unknown function 'startswith' (did you mean 'startsWith'?)");
    parse_fails("${{ frobnicate(1) }}", SYM_ESCHEMA, 1, 5, "unknown function 'frobnicate'");
    parse_fails("${{ contains('a') }}", SYM_ESCHEMA, 1, 5, "'contains' takes 2 arguments, not 1");
    parse_fails("${{ toJSON(1, 2) }}", SYM_ESCHEMA, 1, 5, "'toJSON' takes 1 argument, not 2");
    parse_fails("${{ format() }}", SYM_ESCHEMA, 1, 5, "'format' takes a format string");
    parse_fails("${{ 1 2 }}", SYM_ESCHEMA, 1, 7, "unexpected '2' after the expression");
    parse_fails("${{ (1 }}", SYM_ESCHEMA, 1, 8, "')'");
    parse_fails("${{ 1 == }}", SYM_ESCHEMA, 1, 10, "ends where a value was expected");
    parse_fails("${{ }}", SYM_ESCHEMA, 1, 1, "empty expression");
    parse_fails("x ${{\n }}", SYM_ESCHEMA, 1, 3, "empty expression");
    parse_fails("${{ parms.x }}", SYM_ESCHEMA, 1, 5,
                "unknown name 'parms' in expression (did you mean 'params'?)");
    parse_fails("${{ params }}", SYM_ESCHEMA, 1, 12, "a param name");
    parse_fails("${{ params[0] }}", SYM_ESCHEMA, 1, 12, "a param name");
    parse_fails("${{ tasks.a.outptus }}", SYM_ESCHEMA, 1, 13, "did you mean 'outputs'?");
    parse_fails("${{ tasks.a }}", SYM_ESCHEMA, 1, 13, "'outputs' or 'status'");
    parse_fails("${{ run.foo }}", SYM_ESCHEMA, 1, 9, "a run has 'id' and 'name'");
    parse_fails("${{ format('{0} {1}', 1) }}", SYM_ESCHEMA, 1, 12, "uses {1}, but 1 value follows");
    parse_fails("${{ format('{x}', 1) }}", SYM_ESCHEMA, 1, 12, "not a placeholder");
    parse_fails("${{ format('a } b') }}", SYM_ESCHEMA, 1, 12, "lone '}'");
    parse_fails("${{ 99999999999999999999 }}", SYM_ESCHEMA, 1, 5, "out of range");
    parse_fails("${{ 0xFFFFFFFFFFFFFFFF }}", SYM_ESCHEMA, 1, 5, "out of range");
    parse_fails("${{ 1. }}", SYM_ESCHEMA, 1, 5, "malformed number");
    parse_fails("${{ 1e }}", SYM_ESCHEMA, 1, 5, "malformed number");
    parse_fails("${{ 12abc }}", SYM_ESCHEMA, 1, 5, "malformed number");
    parse_fails("${{ params.shards[0 }}", SYM_ESCHEMA, 1, 21, "']'");
    parse_fails("${{ params.opts. }}", SYM_ESCHEMA, 1, 18, "a name after '.'");
}
END_TEST

START_TEST(positions_are_in_the_file)
{
    expr_template *t;
    /* The caller passes where the string starts: columns add up. */
    ck_assert_int_eq(parse_at("${{ 1 = 1 }}", 3, 10, &t), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_line(terr, 0), 3);
    ck_assert_uint_eq(sym_error_column(terr, 0), 16);
    /* A line break starts a new line at column 1. */
    ck_assert_int_eq(parse_at("line one\n  ${{ 1 = 2 }}", 5, 10, &t), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_line(terr, 0), 6);
    ck_assert_uint_eq(sym_error_column(terr, 0), 9);
    ck_assert_int_eq(parse_at("${{ 'a\nb' == \n  = }}", 1, 1, &t), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_line(terr, 0), 3);
    ck_assert_uint_eq(sym_error_column(terr, 0), 3);
    /* Every expression of a string is looked at: two errors. */
    ck_assert_int_eq(parse_at("${{ 1 = 1 }} and ${{ nope() }}", 1, 1, &t), SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(terr), 2);
    ck_assert_uint_eq(sym_error_column(terr, 1), 22);
    /* References carry their position. */
    t = parse_ok("ab\n ${{ matrix.os == run.id }}");
    const expr_ref *refs;
    ck_assert_uint_eq(sym__expr_template_refs(t, &refs), 2);
    ck_assert_int_eq(refs[0].kind, EXPR_REF_MATRIX);
    ck_assert_str_eq(refs[0].name, "os");
    ck_assert_uint_eq(refs[0].line, 2);
    ck_assert_uint_eq(refs[0].column, 6);
    ck_assert_int_eq(refs[1].kind, EXPR_REF_RUN_ID);
    ck_assert_uint_eq(refs[1].column, 19);
    ck_assert_uint_eq(refs[1].index, EXPR_NO_INDEX);
}
END_TEST

START_TEST(reference_forms)
{
    expr_template *t = parse_ok("${{ tasks.load.outputs.rows }}${{ tasks.load.outputs['a b'] }}"
                                "${{ tasks.x-y.status }}${{ tasks.load.outputs }}"
                                "${{ tasks.load.outputs[params.date] }}${{ params['date'] }}");
    const expr_ref *r;
    ck_assert_uint_eq(sym__expr_template_refs(t, &r), 7);
    ck_assert_int_eq(r[0].kind, EXPR_REF_TASK_OUTPUT);
    ck_assert_str_eq(r[0].name, "load");
    ck_assert_str_eq(r[0].key, "rows");
    ck_assert_int_eq(r[1].kind, EXPR_REF_TASK_OUTPUT);
    ck_assert_str_eq(r[1].key, "a b");
    ck_assert_int_eq(r[2].kind, EXPR_REF_TASK_STATUS);
    ck_assert_str_eq(r[2].name, "x-y");
    ck_assert_int_eq(r[3].kind, EXPR_REF_TASK_OUTPUTS);
    ck_assert_ptr_null(r[3].key);
    ck_assert_int_eq(r[4].kind, EXPR_REF_TASK_OUTPUTS); /* indexed by an expression later */
    ck_assert_int_eq(r[5].kind, EXPR_REF_PARAM);
    ck_assert_int_eq(r[6].kind, EXPR_REF_PARAM);
    ck_assert_str_eq(r[6].name, "date");
}
END_TEST

START_TEST(depth_is_bounded_at_parse)
{
    char buf[4096];
    /* Parentheses, nots, chains and indexes all count. */
    const char *open[] = {"(", "!", "true && ", "params.shards["};
    const char *close[] = {")", "", "", "]"};
    for (int k = 0; k < 4; k++) {
        for (int depth = 10; depth <= 200; depth += 190) {
            size_t n = (size_t)snprintf(buf, sizeof buf, "${{ ");
            for (int i = 0; i < depth; i++)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", open[k]);
            n += (size_t)snprintf(buf + n, sizeof buf - n, "1");
            for (int i = 0; i < depth; i++)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", close[k]);
            snprintf(buf + n, sizeof buf - n, " }}");
            expr_template *t;
            int rc = parse_at(buf, 1, 1, &t);
            if (depth == 10)
                ck_assert_msg(rc == SYM_OK, "%s", buf);
            else {
                ck_assert_msg(rc == SYM_ELIMIT, "%s: %d", open[k], rc);
                ck_assert(strstr(sym_error_message(terr, 0), "nested too deeply") != NULL);
            }
        }
    }
}
END_TEST

/* ---- type rules ------------------------------------------------------------------ */

START_TEST(equality_rules)
{
    EV("${{ 1 == 1.0 }}", "true");
    EV("${{ '42' == 42 }}", "true");          /* a number and a numeric string */
    EV("${{ 42 == ' 42 ' }}", "true");
    EV("${{ '4.2e1' == 42 }}", "true");
    EV("${{ 'abc' == 0 }}", "false");
    EV("${{ '' == 0 }}", "false");            /* not GitHub's '' == 0 */
    EV("${{ 'abc' != 0 }}", "true");
    EV("${{ 'a' == 'A' }}", "false");         /* case-sensitive */
    EV("${{ null == null }}", "true");
    EV("${{ null == false }}", "false");
    EV("${{ null == 0 }}", "false");
    EV("${{ true == 1 }}", "false");
    EV("${{ true == 'true' }}", "false");
    EV("${{ params.shards == fromJSON('[1, 2, 3, 4.0]') }}", "true"); /* deep */
    EV("${{ params.shards == fromJSON('[1, 2, 3]') }}", "false");
    EV("${{ params.shards == fromJSON('[1, 2, 3, 5]') }}", "false");
    EV("${{ fromJSON('{\"a\":1,\"b\":[2]}') == fromJSON('{\"b\":[2],\"a\":1}') }}", "true");
    EV("${{ fromJSON('{\"a\":1}') == fromJSON('{\"b\":1}') }}", "false");
    EV("${{ fromJSON('{\"a\":1}') == fromJSON('[1]') }}", "false");
    EV("${{ params.opts == params.opts }}", "true");
}
END_TEST

START_TEST(ordering_rules)
{
    EV("${{ 1 < 1.5 }}", "true");
    EV("${{ -1 < 0 }}", "true");
    EV("${{ 9007199254740993 > 9007199254740992 }}", "true"); /* int64, not doubles */
    EV("${{ 'a' < 'b' }}", "true");
    EV("${{ 'B' < 'a' }}", "true");            /* bytewise: uppercase first */
    EV("${{ 'ab' < 'abc' }}", "true");
    EV("${{ 'abd' > 'abc' }}", "true");
    EV("${{ 'é' > 'z' }}", "true");            /* UTF-8 bytes */
    EV("${{ '10' > 9 }}", "true");             /* numeric string against a number */
    EV("${{ '10' > '9' }}", "false");          /* two strings: text order */
    EV("${{ 'x' > 1 }}", "false");             /* not a number: every ordering false */
    EV("${{ 'x' <= 1 }}", "false");
    EV("${{ null < 1 }}", "false");
    EV("${{ null >= 0 }}", "false");
    EV("${{ params.none <= params.none }}", "false");
    eval_fails("${{ fromJSON('[1]') < 1 }}", SYM_ETYPE, 21, "cannot order a list and a int");
    eval_fails("${{ 1 >= fromJSON('{}') }}", SYM_ETYPE, 7, "cannot order a int and a map");
    eval_fails("${{ true > false }}", SYM_ETYPE, 10, "cannot order a bool and a bool");
}
END_TEST

START_TEST(truthiness)
{
    static const struct {
        const char *text;
        bool want;
    } cases[] = {{"${{ null }}", false},        {"${{ false }}", false},
                 {"${{ 0 }}", false},           {"${{ 0.0 }}", false},
                 {"${{ '' }}", false},          {"${{ params.empty }}", false},
                 {"${{ true }}", true},         {"${{ 1 }}", true},
                 {"${{ -0.5 }}", true},         {"${{ 'false' }}", true},
                 {"${{ '0' }}", true},          {"${{ fromJSON('[]') }}", true},
                 {"${{ fromJSON('{}') }}", true}, {"${{ tasks.load.outputs.rows > 0 }}", true},
                 {"${{ tasks.load.outputs.missing > 0 }}", false},
                 {"x${{ false }}", true} /* interpolated: the text 'xfalse' */};
    expr_env env;
    fuzz_expr_env(&env);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool b = !cases[i].want;
        expr_error err;
        ck_assert_int_eq(sym__expr_eval_bool(parse_ok(cases[i].text), &env, &ta, &b, &err), SYM_OK);
        ck_assert_msg(b == cases[i].want, "%s", cases[i].text);
    }
    ck_assert(!sym__expr_truthy(NULL));
    sym_value nan;
    sym__value_set_float(&nan, NAN);
    ck_assert(!sym__expr_truthy(&nan));
}
END_TEST

/* ---- references and access ---------------------------------------------------------- */

START_TEST(references_evaluate)
{
    EV("${{ params.date }}", "\"2026-11-27\"");
    EV("${{ params['date'] }}", "\"2026-11-27\"");
    EV("${{ params.shards[1] }}", "2");
    EV("${{ params.shards[1.0] }}", "2");
    EV("${{ params.shards[10] }}", "null");
    EV("${{ params.shards[-1] }}", "null");
    EV("${{ params.shards['x'] }}", "null");
    EV("${{ params.opts.tags[1] }}", "\"b\"");
    EV("${{ params.opts['retries'] }}", "3");
    EV("${{ params.opts.missing.deeper }}", "null");
    EV("${{ params.date.length }}", "null");     /* a property of a non-map */
    EV("${{ matrix.shard }}", "2");
    EV("${{ matrix.os }}", "\"linux\"");
    EV("${{ tasks.load.outputs.rows }}", "\"42\"");
    EV("${{ tasks.load.outputs['rows'] }}", "\"42\"");
    EV("${{ tasks.load.outputs.rows > 0 }}", "true");
    EV("${{ tasks.load.outputs.rows == 42 }}", "true");
    EV("${{ tasks.extract.outputs }}", "{\"path\":\"/data/in.csv\"}");
    EV("${{ tasks.load.status }}", "\"succeeded\"");
    EV("${{ tasks.load.status == 'succeeded' }}", "true");
    EV("${{ tasks.nope.outputs.x }}", "null");   /* unchecked: the env knows nothing */
    EV("${{ run.id }}", "\"run-1\"");
    EV("${{ run.name }}", "\"nightly\"");
    EV("${{ fromJSON(tasks.load.outputs.json).a[1] }}", "2");
    EV("${{ fromJSON(tasks.load.outputs.json)['b'] }}", "\"x\"");
    /* An empty env reads every reference as null. */
    sym_value v;
    expr_error err;
    ck_assert_int_eq(sym__expr_eval(parse_ok("${{ params.n }}"), NULL, &ta, &v, &err), SYM_OK);
    ck_assert_int_eq(v.type, SYM_VALUE_NULL);
    expr_env env;
    memset(&env, 0, sizeof env);
    ck_assert_int_eq(
        sym__expr_eval(parse_ok("${{ run.id }}${{ tasks.load.status }}"), &env, &ta, &v, &err),
        SYM_OK);
    ck_assert_str_eq(v.u.s, "");
}
END_TEST

START_TEST(param_index_is_a_hint_not_a_rule)
{
    /* The index found by the check is used only when the name matches. */
    expr_template *t = parse_ok("${{ params.n }}");
    expr_scope scope;
    fuzz_expr_scope(&scope);
    diag d;
    sym__diag_init(&d, terr, "t.yaml", 0);
    ck_assert_int_eq(sym__expr_check(t, &scope, &d), SYM_OK);
    const expr_ref *r;
    sym__expr_template_refs(t, &r);
    ck_assert_uint_eq(r[0].index, 2);
    /* A run map in another order still finds it by name. */
    value_entry es[] = {{(char *)"n", {.type = SYM_VALUE_INT, .u.i = 7}},
                        {(char *)"date", {.type = SYM_VALUE_NULL}}};
    sym_value params = {.type = SYM_VALUE_MAP, .n = 2, .u.entries = es};
    expr_env env;
    fuzz_expr_env(&env);
    env.params = &params;
    sym_value v;
    ck_assert_int_eq(sym__expr_eval(t, &env, NULL, &v, NULL), SYM_OK);
    ck_assert_int_eq(v.u.i, 7);
}
END_TEST

/* ---- functions ------------------------------------------------------------------------ */

START_TEST(function_contains)
{
    EV("${{ contains('hello world', 'o w') }}", "true");
    EV("${{ contains('hello', 'H') }}", "false");  /* case-sensitive */
    EV("${{ contains('hello', '') }}", "true");
    EV("${{ contains('', 'a') }}", "false");
    EV("${{ contains(params.shards, 3) }}", "true");
    EV("${{ contains(params.shards, 3.0) }}", "true");
    EV("${{ contains(params.shards, '3') }}", "true"); /* the == rules */
    EV("${{ contains(params.shards, 5) }}", "false");
    EV("${{ contains(params.opts.tags, 'b') }}", "true");
    EV("${{ contains(fromJSON('[[1]]'), fromJSON('[1]')) }}", "true");
    EV("${{ contains(12345, 34) }}", "true");          /* numbers as text */
    EV("${{ contains(null, 'x') }}", "false");
    EV("${{ contains('a null', null) }}", "true");     /* null is '' */
    eval_fails("${{ contains(fromJSON('{}'), 'a') }}", SYM_ETYPE, 5, "not a map");
    eval_fails("${{ contains('abc', fromJSON('[1]')) }}", SYM_ETYPE, 5, "needs text, not a list");
}
END_TEST

START_TEST(function_starts_ends)
{
    EV("${{ startsWith('s3://bucket', 's3://') }}", "true");
    EV("${{ startsWith('s3://bucket', 'S3') }}", "false");
    EV("${{ startsWith('ab', 'abc') }}", "false");
    EV("${{ startsWith('ab', '') }}", "true");
    EV("${{ endsWith('data.csv', '.csv') }}", "true");
    EV("${{ endsWith('data.csv', '.CSV') }}", "false");
    EV("${{ endsWith('a', 'ba') }}", "false");
    EV("${{ endsWith(1234, 34) }}", "true");
    EV("${{ startsWith(true, 'tr') }}", "true");
    eval_fails("${{ startsWith(params.shards, '1') }}", SYM_ETYPE, 5, "startsWith needs text");
    eval_fails("${{ endsWith('a', fromJSON('{}')) }}", SYM_ETYPE, 5, "endsWith needs text");
}
END_TEST

START_TEST(function_format)
{
    EV("${{ format('{0} and {1}', 'a', 2) }}", "\"a and 2\"");
    EV("${{ format('{1}{0}{1}', 'x', 'y') }}", "\"yxy\"");
    EV("${{ format('{{0}} is {0}', 5) }}", "\"{0} is 5\"");
    EV("${{ format('}}{{') }}", "\"}{\"");
    EV("${{ format('no placeholders') }}", "\"no placeholders\"");
    EV("${{ format('{0}|{1}|{2}|{3}', null, true, 0.25, params.shards) }}",
       "\"|true|0.25|[1,2,3,4]\"");
    EV("${{ format('{10}', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'ten') }}", "\"ten\"");
}
END_TEST

START_TEST(function_format_runtime_errors)
{
    EV("${{ format(params.date, 1) }}", "\"2026-11-27\"");
    eval_fails("${{ format(fromJSON('\"{1}\"'), 1) }}", SYM_EINVAL, 5, "uses {1}");
    eval_fails("${{ format(fromJSON('\"{a}\"'), 1) }}", SYM_EINVAL, 5, "not a placeholder");
    eval_fails("${{ format(fromJSON('\"x}\"')) }}", SYM_EINVAL, 5, "lone '}'");
    eval_fails("${{ format(fromJSON('1'), 1) }}", SYM_ETYPE, 5, "format string, not a int");
}
END_TEST

START_TEST(function_json)
{
    EV("${{ toJSON(params.opts) }}", "\"{\\\"retries\\\":3,\\\"tags\\\":[\\\"a\\\",\\\"b\\\"]}\"");
    EV("${{ toJSON('a\"b') }}", "\"\\\"a\\\\\\\"b\\\"\"");
    EV("${{ toJSON(null) }}", "\"null\"");
    EV("${{ fromJSON('{\"a\": [1, 2.5, true, null, \"x\"]}') }}",
       "{\"a\":[1,2.5,true,null,\"x\"]}");
    EV("${{ fromJSON(' 7 ') }}", "7");
    EV("${{ fromJSON('-0.5e1') }}", "-5.0");
    EV("${{ fromJSON('\"\\u00e9\\ud83d\\ude00\\n\"') }}", "\"\xc3\xa9\xf0\x9f\x98\x80\\n\"");
    EV("${{ fromJSON(toJSON(params.opts)) == params.opts }}", "true");
    static const char *const bad[] = {"", "[1,]", "{\"a\" 1}", "01", "1.", "+1", "tru", "[1",
                                      "\"abc", "\"\\x\"", "\"\\ud800\"", "{1:2}", "1 2",
                                      "\"\\u0000\"", "nan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "${{ fromJSON('%s') }}", bad[i]);
        eval_fails(text, SYM_EINVAL, 5, "fromJSON: ");
    }
    eval_fails("${{ fromJSON(1) }}", SYM_ETYPE, 5, "needs a string, not a int");
}
END_TEST

/* ---- static checks ------------------------------------------------------------------- */

START_TEST(checks_pass_and_record_indices)
{
    ck_assert_int_eq(check_text("${{ params.date }}/${{ matrix.shard }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ tasks.load.outputs.rows > 0 && tasks.extract.status == "
                                "'succeeded' }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ tasks.load.outputs.rows < params.shards[0] }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ contains(params.shards, params.n) }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ format(params.date) }}${{ run.id }}"), SYM_OK);
    ck_assert_int_eq(check_text("plain text"), SYM_OK);
    expr_template *t = parse_ok("${{ tasks.load.outputs.rows }}${{ params.flag }}");
    expr_scope scope;
    fuzz_expr_scope(&scope);
    diag d;
    sym__diag_init(&d, terr, "t.yaml", 0);
    ck_assert_int_eq(sym__expr_check(t, &scope, &d), SYM_OK);
    const expr_ref *r;
    ck_assert_uint_eq(sym__expr_template_refs(t, &r), 2);
    ck_assert_uint_eq(r[0].index, 1); /* load */
    ck_assert_uint_eq(r[1].index, 4); /* flag */
    /* Without a scope, every reference is unknown. */
    ck_assert_int_eq(sym__expr_check(parse_ok("${{ params.n }}"), NULL, &d), SYM_ESCHEMA);
}
END_TEST

START_TEST(checks_report_names)
{
    check_fails("x ${{ params.dat }}", 7, "unknown param 'dat' (did you mean 'date'?)");
    check_fails("${{ params.zzzzzz }}", 5, "unknown param 'zzzzzz'");
    check_fails("${{ matrix.shrd }}", 5, "unknown matrix key 'shrd' in task 'archive' "
                "(did you mean 'shard'?)");
    check_fails("${{ tasks.lod.outputs.rows }}", 5, "task 'lod' does not exist (did you mean "
                "'load'?)");
    check_fails("${{ tasks.notify.status }}", 5, "task 'notify' is not upstream of task "
                "'archive' (add it to 'needs')");
    check_fails("${{ tasks.archive.outputs }}", 5, "task 'archive' refers to its own outputs");
    /* Several problems: each reported. */
    ck_assert_int_eq(check_text("${{ params.a }} ${{ tasks.b.status }} ${{ matrix.c }}"),
                     SYM_ESCHEMA);
    ck_assert_uint_eq(sym_error_count(terr), 3);
    /* A task with no matrix, and a workflow with no params. */
    expr_scope scope;
    fuzz_expr_scope(&scope);
    scope.nmatrix = 0;
    scope.params = NULL;
    diag d;
    sym_error_clear(terr);
    sym__diag_init(&d, terr, "t.yaml", 0);
    ck_assert_int_eq(sym__expr_check(parse_ok("${{ matrix.os }}${{ params.x }}"), &scope, &d),
                     SYM_ESCHEMA);
    ck_assert_str_eq(sym_error_message(terr, 0), "'matrix.os': task 'archive' has no matrix");
    ck_assert_str_eq(sym_error_message(terr, 1), "unknown param 'x' (the workflow declares no params)");
}
END_TEST

START_TEST(checks_report_static_types)
{
    check_fails("${{ params.shards > 1 }}", 19, "cannot order a list and a number");
    check_fails("${{ 1 <= params.opts }}", 7, "cannot order a number and a map");
    check_fails("${{ params.flag < 1 }}", 17, "cannot order a bool and a number");
    check_fails("${{ (1 == 1) < 2 }}", 14, "cannot order a bool and a number");
    check_fails("${{ tasks.load.outputs > 1 }}", 24, "cannot order a map and a number");
    check_fails("${{ contains(params.opts, 'x') }}", 5, "not a map");
    check_fails("${{ contains('abc', params.shards) }}", 5, "needs text to look for");
    check_fails("${{ startsWith(params.shards, 'x') }}", 5, "startsWith needs text, not a list");
    check_fails("${{ endsWith('x', params.opts) }}", 5, "endsWith needs text, not a map");
    check_fails("${{ format(params.n) }}", 5, "format needs a format string, not a number");
    check_fails("${{ fromJSON(params.shards) }}", 5, "fromJSON needs a string, not a list");
    check_fails("${{ fromJSON(1 == 1) }}", 5, "fromJSON needs a string, not a bool");
    /* Unknown types pass: outputs, matrix values, null defaults. */
    ck_assert_int_eq(check_text("${{ tasks.load.outputs.rows > 1 }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ matrix.shard > 1 }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ params.none > 1 }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ fromJSON(tasks.load.outputs.json) > 1 }}"), SYM_OK);
    ck_assert_int_eq(check_text("${{ params.shards == 1 }}"), SYM_OK); /* equality is total */
}
END_TEST

/* ---- bounds --------------------------------------------------------------------------- */

START_TEST(results_are_capped)
{
    /* A 64 KiB string param, formatted 32 times over: 2 MiB, over the cap. */
    size_t big = 64 * 1024;
    char *s = malloc(big + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'x', big);
    s[big] = '\0';
    value_entry es[] = {{(char *)"big", {.type = SYM_VALUE_STRING, .n = (uint32_t)big, .u.s = s}}};
    sym_value params = {.type = SYM_VALUE_MAP, .n = 1, .u.entries = es};
    expr_env env;
    fuzz_expr_env(&env);
    env.params = &params;
    char fmt[512] = "${{ format('";
    for (int i = 0; i < 32; i++)
        strcat(fmt, "{0}");
    strcat(fmt, "', params.big) }}");
    sym_value v;
    expr_error err;
    ck_assert_int_eq(sym__expr_eval(parse_ok(fmt), &env, &ta, &v, &err), SYM_ETOOBIG);
    ck_assert_int_eq(err.code, SYM_ETOOBIG);
    ck_assert(strstr(err.message, "format would make more than") != NULL);
    /* Half of that fits. */
    strcpy(fmt, "${{ format('");
    for (int i = 0; i < 15; i++)
        strcat(fmt, "{0}");
    strcat(fmt, "', params.big) }}");
    ck_assert_int_eq(sym__expr_eval(parse_ok(fmt), &env, &ta, &v, &err), SYM_OK);
    ck_assert_uint_eq(v.n, 15 * big);
    /* Interpolation too. */
    char interp[1024] = "";
    for (int i = 0; i < 20; i++)
        strcat(interp, "${{ params.big }}");
    ck_assert_int_eq(sym__expr_eval(parse_ok(interp), &env, &ta, &v, &err), SYM_ETOOBIG);
    /* And the total one evaluation may take: 12 strings of 15 x 64 KiB. */
    char many[4096] = "${{ ";
    for (int i = 0; i < 12; i++) {
        strcat(many, i ? " && format('" : "format('");
        for (int k = 0; k < 15; k++)
            strcat(many, "{0}");
        strcat(many, "', params.big)");
    }
    strcat(many, " }}");
    ck_assert_int_eq(sym__expr_eval(parse_ok(many), &env, &ta, &v, &err), SYM_ETOOBIG);
    ck_assert(strstr(err.message, "needs more than") != NULL);
    free(s);
}
END_TEST

START_TEST(from_json_is_bounded)
{
    char text[512];
    int n = snprintf(text, sizeof text, "${{ fromJSON('");
    for (int i = 0; i < EXPR_MAX_JSON_DEPTH + 1; i++)
        text[n++] = '[';
    text[n] = '\0';
    strcat(text, "') }}");
    eval_fails(text, SYM_EINVAL, 5, "nesting too deep");
    /* Many elements go through chunks into one array. */
    char list[4096] = "${{ fromJSON('[";
    for (int i = 0; i < 200; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? "," : "", i);
    strcat(list, "]')[199] }}");
    EV(list, "199");
}
END_TEST

START_TEST(typical_condition_allocates_nothing)
{
    /* No scratch arena at all: the `if` of the benchmark still evaluates. */
    expr_template *t = parse_ok("${{ tasks.load.outputs.rows > 0 }}");
    expr_env env;
    fuzz_expr_env(&env);
    bool b = false;
    expr_error err;
    ck_assert_int_eq(sym__expr_eval_bool(t, &env, NULL, &b, &err), SYM_OK);
    ck_assert(b);
    /* A string that must be made says so instead. */
    sym_value v;
    ck_assert_int_eq(sym__expr_eval(parse_ok("a${{ 1 }}"), &env, NULL, &v, &err), SYM_EINVAL);
    ck_assert(strstr(err.message, "no scratch memory") != NULL);
}
END_TEST

/* ---- fuzz seeds -------------------------------------------------------------------------- */

START_TEST(replay_fuzz_seeds)
{
    const char *dir = "tests/fuzz/expr_seeds";
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (tests run from the repository root)", dir);
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ck_assert_msg(fuzz_expr_one(buf, n), "%s: the expression module broke its contract", path);
        /* Every prefix too: the cheapest way to reach end-of-input paths. */
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(fuzz_expr_one(buf, k), "%s cut at %zu bytes", path, k);
        count++;
    }
    closedir(d);
    ck_assert_uint_gt(count, 10);
}
END_TEST

static Suite *expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("expr");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, literal_templates);
    tcase_add_test(tc, single_keeps_type_interpolation_makes_text);
    tcase_add_test(tc, literals);
    tcase_add_test(tc, every_operator_token);
    tcase_add_test(tc, precedence_and_associativity);
    tcase_add_test(tc, short_circuit_skips_the_right_operand);
    tcase_add_test(tc, parse_errors_with_positions);
    tcase_add_test(tc, positions_are_in_the_file);
    tcase_add_test(tc, reference_forms);
    tcase_add_test(tc, depth_is_bounded_at_parse);
    tcase_add_test(tc, equality_rules);
    tcase_add_test(tc, ordering_rules);
    tcase_add_test(tc, truthiness);
    tcase_add_test(tc, references_evaluate);
    tcase_add_test(tc, param_index_is_a_hint_not_a_rule);
    tcase_add_test(tc, function_contains);
    tcase_add_test(tc, function_starts_ends);
    tcase_add_test(tc, function_format);
    tcase_add_test(tc, function_format_runtime_errors);
    tcase_add_test(tc, function_json);
    tcase_add_test(tc, checks_pass_and_record_indices);
    tcase_add_test(tc, checks_report_names);
    tcase_add_test(tc, checks_report_static_types);
    tcase_add_test(tc, results_are_capped);
    tcase_add_test(tc, from_json_is_bounded);
    tcase_add_test(tc, typical_condition_allocates_nothing);
    tcase_add_test(tc, replay_fuzz_seeds);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(expr_suite)
