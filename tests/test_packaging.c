/* test_packaging.c - what a user of the installed library relies on: the
 * shared library exports exactly the functions of include/symphony.h, the
 * header compiles alone as C11 and as C++, and `make install` / `make
 * uninstall` produce a tree that pkg-config and a compiler can use, shared
 * and static, for the small consumer and for the first example host (C and
 * Python).
 *
 * Runs from the repository root (as `make check-unit` does). Shell commands
 * run with make's variables removed from the environment, so a sub-make
 * here does not inherit the BUILD, SANFLAGS... of the `make check` that
 * started this test. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"

#ifndef SYM_BUILD_DIR
#define SYM_BUILD_DIR "build"
#endif

/* Sanitizer builds make a libsymphony.so that only a sanitized program can
 * load; the install test then installs a plain build of its own. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#ifdef __clang__
#define TEST_CC "clang"
#else
#define TEST_CC "cc"
#endif

#define CMD_MAX 8192

/* A temporary directory per test, removed afterwards. */
static char tmpdir[64];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/symphony-pkg-XXXXXX",
             base && strlen(base) < 32 ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_packaging: could not remove %s\n", tmpdir);
}

/* The whole of a file, NUL-terminated, or NULL. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Runs a shell command; *output (when out is not NULL) gets its stdout and
 * stderr together, to free. Returns the exit status (-1 when it did not
 * exit normally). */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
    char body[CMD_MAX], cmd[CMD_MAX + 256], log[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof body);
    snprintf(log, sizeof log, "%s/.log", tmpdir);
    snprintf(cmd, sizeof cmd,
             /* make exports its command-line variables (BUILD, SANFLAGS,
              * CFLAGS... of a sanitizer run) to the environment as well
              * as MAKEFLAGS: a nested make must see none of them. */
             "unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS BUILD SANFLAGS CFLAGS "
             "TEST_ENV CC; ( %s ) >'%s' 2>&1",
             body, log);
    int status = system(cmd);
    if (out) {
        *out = read_all(log);
        ck_assert_ptr_nonnull(*out);
    }
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs a command that must succeed; fails the test with its output. */
static char *sh_ok(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sh_ok(const char *what, const char *fmt, ...)
{
    char body[CMD_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof body);
    char *out = NULL;
    int rc = sh(&out, "%s", body);
    if (rc != 0) {
        fprintf(stderr, "%s failed (exit %d):\n$ %s\n%s\n", what, rc, body, out);
        free(out);
        ck_abort_msg("%s failed", what);
    }
    return out;
}

/* ------------------------------------------------------------------------ */
/* Exported symbols                                                          */
/* ------------------------------------------------------------------------ */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void names_add(names *s, const char *name, size_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        ck_assert_ptr_nonnull(s->v);
    }
    s->v[s->n] = malloc(len + 1);
    ck_assert_ptr_nonnull(s->v[s->n]);
    memcpy(s->v[s->n], name, len);
    s->v[s->n][len] = '\0';
    s->n++;
}

static void names_free(names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The start of the line after line's, or NULL at the end of the text. */
static const char *next_line(const char *line)
{
    const char *end = strchr(line, '\n');
    return end && end[1] ? end + 1 : NULL;
}

/* The function names declared `SYM_API ... name(` at the start of a line of
 * the header text. */
static void header_functions(const char *text, names *out)
{
    for (const char *line = text; line; line = next_line(line)) {
        if (strncmp(line, "SYM_API ", 8) != 0)
            continue;
        const char *end = strchr(line, '\n');
        const char *paren = strchr(line, '(');
        ck_assert_msg(paren && (!end || paren < end), "a SYM_API declaration without '(' on its line");
        const char *start = paren;
        while (start > line && is_ident(start[-1]))
            start--;
        ck_assert_msg(strncmp(start, "sym_", 4) == 0, "SYM_API name does not start with sym_: %.40s", start);
        names_add(out, start, (size_t)(paren - start));
    }
}

/* The symbol names of `nm -D --defined-only` output (versions stripped). */
static void nm_symbols(const char *text, names *out)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *name = line + len;
        while (name > line && name[-1] != ' ')
            name--;
        size_t nlen = (size_t)(line + len - name);
        const char *at = memchr(name, '@', nlen);
        if (at)
            nlen = (size_t)(at - name);
        if (nlen > 0)
            names_add(out, name, nlen);
        line = end ? end + 1 : line + len;
    }
}

static int contains(const names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return 1;
    return 0;
}

/* A host links libsymphony.a beside its own code: every global the static
 * library defines is the API (sym_) or an internal (sym__), so none can
 * clash with a host's sym__pool_new or sym__timer_add. */
START_TEST(static_library_defines_only_prefixed_names)
{
    char *nm = sh_ok("nm", "nm -g --defined-only %s/libsymphony.a | awk 'NF==3 {print $3}'",
                     SYM_BUILD_DIR);
    names defined = {0};
    nm_symbols(nm, &defined);
    free(nm);
    ck_assert_uint_gt(defined.n, 100);
    int bad = 0;
    for (size_t i = 0; i < defined.n; i++)
        /* Names starting with "__" are the compiler's own (a sanitizer's
         * __odr_asan.* markers), in the implementation's namespace. */
        if (strncmp(defined.v[i], "sym_", 4) != 0 && strncmp(defined.v[i], "__", 2) != 0) {
            fprintf(stderr, "libsymphony.a defines %s, outside the sym_ namespace\n",
                    defined.v[i]);
            bad++;
        }
    names_free(&defined);
    ck_assert_msg(bad == 0, "%d global(s) of libsymphony.a lack the sym_ prefix", bad);
}
END_TEST

/* The tool is a user like any other: it links the shared library (so it
 * can use nothing the library does not export) and no copy of its own. */
START_TEST(tool_links_the_shared_library)
{
    char *ldd = sh_ok("ldd", "ldd %s/symphony", SYM_BUILD_DIR);
    ck_assert_msg(strstr(ldd, "libsymphony.so.0") != NULL, "%s", ldd);
    free(ldd);
    char *undef = sh_ok("nm", "nm %s/symphony | grep -c ' T sym_' || true", SYM_BUILD_DIR);
    ck_assert_msg(atoi(undef) == 0, "the tool defines %s sym_ functions of its own", undef);
    free(undef);
}
END_TEST

START_TEST(exports_match_header)
{
    char *header = read_all("include/symphony.h");
    ck_assert_ptr_nonnull(header);
    names declared = {0}, exported = {0};
    header_functions(header, &declared);
    free(header);
    /* A sanity floor: the parse found the API, not a handful of lines. */
    ck_assert_uint_gt(declared.n, 100);

    char *nm = sh_ok("nm", "nm -D --defined-only %s/libsymphony.so", SYM_BUILD_DIR);
    nm_symbols(nm, &exported);
    free(nm);

    int bad = 0;
    for (size_t i = 0; i < declared.n; i++)
        if (!contains(&exported, declared.v[i])) {
            fprintf(stderr, "missing from %s/libsymphony.so: %s\n", SYM_BUILD_DIR, declared.v[i]);
            bad++;
        }
    for (size_t i = 0; i < exported.n; i++)
        if (!contains(&declared, exported.v[i])) {
            fprintf(stderr, "exported but not in symphony.h: %s\n", exported.v[i]);
            bad++;
        }
    names_free(&declared);
    names_free(&exported);
    ck_assert_msg(bad == 0, "%d symbol(s) differ between symphony.h and libsymphony.so", bad);
}
END_TEST

START_TEST(parser_sees_declarations)
{
    /* The parser itself: multi-line declarations, pointer returns, and the
     * #define lines it must skip. */
    names got = {0};
    header_functions("#define SYM_API __attribute__((visibility(\"default\")))\n"
                     "SYM_API const char *sym_a(void);\n"
                     "  SYM_API int not_at_line_start(void);\n"
                     "SYM_API int sym_b(const char *path,\n"
                     "                  int x);\n"
                     "SYM_API sym_value *sym_c(void) SYM_PRINTF(1, 2);\n",
                     &got);
    ck_assert_uint_eq(got.n, 3);
    ck_assert_str_eq(got.v[0], "sym_a");
    ck_assert_str_eq(got.v[1], "sym_b");
    ck_assert_str_eq(got.v[2], "sym_c");
    names_free(&got);

    names syms = {0};
    nm_symbols("0000000000002740 T sym_x\n0000000000002750 T sym_y@@SYM_1\n", &syms);
    ck_assert_uint_eq(syms.n, 2);
    ck_assert_str_eq(syms.v[0], "sym_x");
    ck_assert_str_eq(syms.v[1], "sym_y");
    names_free(&syms);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The header alone                                                          */
/* ------------------------------------------------------------------------ */

START_TEST(header_compiles_as_c11)
{
    free(sh_ok("C11 header check",
               "cc -x c -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only include/symphony.h"));
    /* As the library sees it, with the export attribute on. */
    free(sh_ok("C11 header check (library side)",
               "cc -x c -std=c11 -Wall -Wextra -Wpedantic -Werror -DSYM_BUILDING_LIBRARY "
               "-fsyntax-only include/symphony.h"));
    free(sh_ok("C11 static initialisers",
               "cc -x c -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only "
               "tests/consumer/initialisers.c"));
}
END_TEST

START_TEST(header_compiles_as_cxx)
{
    free(sh_ok("C++ header check",
               "c++ -x c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only include/symphony.h"));
    free(sh_ok("C++ static initialisers",
               "c++ -x c++ -std=c++11 -Wall -Wextra -Werror -Iinclude -fsyntax-only "
               "tests/consumer/initialisers.c"));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Install, use, uninstall                                                   */
/* ------------------------------------------------------------------------ */

/* A sanitized run installs a plain build made once for the install tests,
 * in its own directory (made before, and removed after, all of them). */
static char plain_dir[64];

static void plain_build_setup(void)
{
    if (!SANITIZED)
        return;
    make_tmpdir();
    memcpy(plain_dir, tmpdir, sizeof plain_dir);
    free(sh_ok("plain build", "make BUILD='%s/build' CC=%s all", plain_dir, TEST_CC));
}

static void plain_build_teardown(void)
{
    if (!SANITIZED)
        return;
    memcpy(tmpdir, plain_dir, sizeof tmpdir);
    remove_tmpdir();
}

/* The build directory to install from. */
static void install_build_dir(char *dir, size_t size)
{
    if (SANITIZED)
        snprintf(dir, size, "%s/build", plain_dir);
    else
        snprintf(dir, size, "%s", SYM_BUILD_DIR);
}

static void build_and_run_hello(const char *env, const char *libdir);

/* Builds tests/consumer/consumer.c with pkg-config's flags (env sets the
 * pkg-config search) both ways and checks what each prints. */
static void build_and_run_consumer(const char *env, const char *libdir)
{
    const char *expect = "libsymphony 0.1.0: 4 tasks\n";
    char *out;

    free(sh_ok("shared consumer build",
               "%s; %s -std=c11 -Wall -Wextra -Wpedantic -Werror -o '%s/consumer-shared' "
               "tests/consumer/consumer.c $(pkg-config --cflags --libs symphony)",
               env, TEST_CC, tmpdir));
    out = sh_ok("shared consumer", "LD_LIBRARY_PATH='%s' '%s/consumer-shared'", libdir, tmpdir);
    ck_assert_str_eq(out, expect);
    free(out);
    /* It really uses the installed shared library. */
    out = sh_ok("ldd", "LD_LIBRARY_PATH='%s' ldd '%s/consumer-shared'", libdir, tmpdir);
    ck_assert_msg(strstr(out, "libsymphony.so.0 => ") && strstr(out, libdir),
                  "consumer-shared does not load %s/libsymphony.so.0:\n%s", libdir, out);
    free(out);

    /* --static: libsymphony.a plus everything Libs.private and
     * Requires.private say it needs (-l:NAME picks the .a over the .so). */
    free(sh_ok("static consumer build",
               "%s; libs=$(pkg-config --static --libs symphony) && "
               "libs=$(echo \" $libs \" | sed 's/ -lsymphony / -l:libsymphony.a /') && "
               "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -o '%s/consumer-static' "
               "tests/consumer/consumer.c $(pkg-config --static --cflags symphony) $libs",
               env, TEST_CC, tmpdir));
    out = sh_ok("static consumer", "'%s/consumer-static'", tmpdir);
    ck_assert_str_eq(out, expect);
    free(out);
    out = sh_ok("readelf", "readelf -d '%s/consumer-static'", tmpdir);
    ck_assert_msg(!strstr(out, "libsymphony"), "consumer-static needs a shared libsymphony:\n%s", out);
    free(out);
    build_and_run_hello(env, libdir);
}

/* The first C example, examples/hello.c, built out of tree with only
 * pkg-config's flags (shared, then static) and run; then the Python twin,
 * examples/hello.py, run against the installed shared library. */
static void build_and_run_hello(const char *env, const char *libdir)
{
    const char *expect = "greet: hello\nworld: world\n{\"workflow\":\"hello\"";
    char *out;

    free(sh_ok("hello build (shared)",
               "%s; cd '%s' && %s -std=c11 -Wall -Wextra -Wpedantic -Werror -o hello-shared "
               "\"$OLDPWD/examples/hello.c\" $(pkg-config --cflags --libs symphony)",
               env, tmpdir, TEST_CC));
    out = sh_ok("hello (shared)", "LD_LIBRARY_PATH='%s' '%s/hello-shared' examples/hello.yaml",
                libdir, tmpdir);
    ck_assert_msg(strncmp(out, expect, strlen(expect)) == 0, "hello-shared said:\n%s", out);
    free(out);

    free(sh_ok("hello build (static)",
               "%s; libs=$(pkg-config --static --libs symphony) && "
               "libs=$(echo \" $libs \" | sed 's/ -lsymphony / -l:libsymphony.a /') && "
               "cd '%s' && %s -std=c11 -Wall -Wextra -Wpedantic -Werror -o hello-static "
               "\"$OLDPWD/examples/hello.c\" $(pkg-config --static --cflags symphony) $libs",
               env, tmpdir, TEST_CC));
    out = sh_ok("hello (static)", "'%s/hello-static' examples/hello.yaml", tmpdir);
    ck_assert_msg(strncmp(out, expect, strlen(expect)) == 0, "hello-static said:\n%s", out);
    free(out);

    /* The binding finds the installed library through SYMPHONY_LIBRARY. */
    out = sh_ok("hello.py", "SYMPHONY_LIBRARY='%s/libsymphony.so.0' PYTHONPATH=bindings/python "
                "python3 examples/hello.py examples/hello.yaml", libdir);
    ck_assert_msg(strncmp(out, expect, strlen(expect)) == 0, "hello.py said:\n%s", out);
    free(out);
}

/* Nothing but directories may remain under root. */
static void assert_empty_tree(const char *root)
{
    char *out = sh_ok("find", "find '%s' ! -type d", root);
    ck_assert_msg(out[0] == '\0', "left behind after make uninstall:\n%s", out);
    free(out);
}

START_TEST(install_with_destdir)
{
    char build[256], dest[128], env[512], libdir[256];
    install_build_dir(build, sizeof build);
    snprintf(dest, sizeof dest, "%s/dest", tmpdir);
    free(sh_ok("make install", "make BUILD='%s' CC=%s DESTDIR='%s' PREFIX=/usr install", build,
               TEST_CC, dest));

    const char *files[] = {"/usr/include/symphony.h", "/usr/lib/libsymphony.a",
                           "/usr/lib/libsymphony.so.0.1.0", "/usr/lib/libsymphony.so.0",
                           "/usr/lib/libsymphony.so", "/usr/bin/symphony",
                           "/usr/lib/pkgconfig/symphony.pc"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", dest, files[i]);
        ck_assert_msg(access(path, F_OK) == 0, "make install did not make %s", files[i]);
    }
    char *pc = sh_ok("symphony.pc", "cat '%s/usr/lib/pkgconfig/symphony.pc'", dest);
    ck_assert_msg(strstr(pc, "prefix=/usr\n") && strstr(pc, "Version: 0.1.0\n") && !strstr(pc, "@"),
                  "symphony.pc is not filled in:\n%s", pc);
    free(pc);

    /* The pc file names /usr; the sysroot maps it into DESTDIR. The system
     * directories stay searched, for the yaml-0.1 that symphony requires. */
    snprintf(env, sizeof env, "export PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='%s'",
             dest, dest);
    snprintf(libdir, sizeof libdir, "%s/usr/lib", dest);
    build_and_run_consumer(env, libdir);

    /* The installed CLI runs too. */
    char *out = sh_ok("installed symphony", "'%s/usr/bin/symphony' --version", dest);
    ck_assert_msg(strncmp(out, "symphony 0.1.0", 14) == 0, "symphony --version said: %s", out);
    free(out);

    free(sh_ok("make uninstall", "make BUILD='%s' CC=%s DESTDIR='%s' PREFIX=/usr uninstall", build,
               TEST_CC, dest));
    assert_empty_tree(dest);
}
END_TEST

START_TEST(install_with_own_directories)
{
    /* PREFIX without DESTDIR, and every directory variable moved. */
    char build[256], prefix[128], vars[1024], env[512], libdir[256];
    install_build_dir(build, sizeof build);
    snprintf(prefix, sizeof prefix, "%s/prefix", tmpdir);
    snprintf(libdir, sizeof libdir, "%s/lib64", prefix);
    snprintf(vars, sizeof vars,
             "BUILD='%s' CC=%s PREFIX='%s' LIBDIR='%s' INCLUDEDIR='%s/inc' PKGCONFIGDIR='%s/pc'",
             build, TEST_CC, prefix, libdir, prefix, prefix);
    free(sh_ok("make install", "make %s install", vars));

    const char *files[] = {"/inc/symphony.h", "/lib64/libsymphony.a", "/lib64/libsymphony.so.0",
                           "/bin/symphony", "/pc/symphony.pc"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", prefix, files[i]);
        ck_assert_msg(access(path, F_OK) == 0, "make install did not make %s", path);
    }
    snprintf(env, sizeof env, "export PKG_CONFIG_PATH='%s/pc'", prefix);
    build_and_run_consumer(env, libdir);

    free(sh_ok("make uninstall", "make %s uninstall", vars));
    assert_empty_tree(prefix);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The README's C examples                                                   */
/* ------------------------------------------------------------------------ */

/* Writes each ```c block of README.md that is a whole program to
 * tmpdir/readme-N.c; returns how many. */
static int extract_readme_programs(void)
{
    char *readme = read_all("README.md");
    ck_assert_ptr_nonnull(readme);
    int n = 0;
    for (char *p = strstr(readme, "\n```c\n"); p; p = strstr(p, "\n```c\n")) {
        char *code = p + 6;
        char *end = strstr(code, "\n```\n");
        ck_assert_msg(end, "README.md: a ```c block is not closed");
        *end = '\0'; /* the block alone, for strstr; put back below */
        int is_program = strstr(code, "int main(") != NULL;
        *end = '\n';
        if (is_program) {
            char path[128];
            snprintf(path, sizeof path, "%s/readme-%d.c", tmpdir, n++);
            FILE *f = fopen(path, "w");
            ck_assert_ptr_nonnull(f);
            fwrite(code, 1, (size_t)(end - code) + 1, f);
            ck_assert_int_eq(fclose(f), 0);
        }
        p = end + 1;
    }
    free(readme);
    return n;
}

START_TEST(readme_examples_work)
{
    /* What each program prints first, and its exit status. */
    static const struct {
        const char *starts;
        int status;
    } expect[] = {{"nightly-etl: 8 tasks\n", 0}, {"digraph", 0}, {"load: ", 1}};
    int n = extract_readme_programs();
    ck_assert_int_eq(n, (int)(sizeof expect / sizeof expect[0]));
    char build[256];
    install_build_dir(build, sizeof build);
    for (int i = 0; i < n; i++) {
        free(sh_ok("README example build",
                   "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -o '%s/readme-%d' "
                   "'%s/readme-%d.c' '%s/libsymphony.a' $(pkg-config --libs yaml-0.1) -pthread -lm",
                   TEST_CC, tmpdir, i, tmpdir, i, build));
        char *out = NULL;
        int status = sh(&out, "'%s/readme-%d'", tmpdir, i);
        ck_assert_msg(status == expect[i].status &&
                          strncmp(out, expect[i].starts, strlen(expect[i].starts)) == 0,
                      "README example %d: exit %d, output:\n%s", i + 1, status, out);
        free(out);
    }
}
END_TEST

static Suite *packaging_suite(void)
{
    Suite *s = suite_create("packaging");
    TCase *tc = tcase_create("exports");
    tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_add_test(tc, parser_sees_declarations);
    tcase_add_test(tc, exports_match_header);
    tcase_add_test(tc, static_library_defines_only_prefixed_names);
    tcase_add_test(tc, tool_links_the_shared_library);
    suite_add_tcase(s, tc);

    tc = tcase_create("header");
    tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_add_test(tc, header_compiles_as_c11);
    tcase_add_test(tc, header_compiles_as_cxx);
    suite_add_tcase(s, tc);

    tc = tcase_create("install");
    tcase_add_unchecked_fixture(tc, plain_build_setup, plain_build_teardown);
    tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
    /* A sanitized run builds the library once more first. */
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, install_with_destdir);
    tcase_add_test(tc, install_with_own_directories);
    tcase_add_test(tc, readme_examples_work);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(packaging_suite)
