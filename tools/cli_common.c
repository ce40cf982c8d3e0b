/* cli_common.c - helpers the `symphony` commands share (see cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "symphony %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: symphony %s %s\n", cmd->name, cmd->usage);
    return CLI_USAGE;
}

int cli_is_option(const char *arg)
{
    return arg[0] == '-' && arg[1] != '\0';
}

/* Reads all of stdin into a new buffer, stopping one byte past limit so the
 * library still sees (and reports) an input that is too big. */
static int read_stdin(size_t limit, char **data, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return SYM_ENOMEM;
    for (;;) {
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return SYM_ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t want = cap - n;
        if (limit < SIZE_MAX && n + want > limit + 1)
            want = limit + 1 - n;
        size_t got = fread(buf + n, 1, want, stdin);
        n += got;
        if (got < want || n > limit)
            break;
    }
    if (ferror(stdin)) {
        free(buf);
        return SYM_EIO;
    }
    *data = buf;
    *len = n;
    return SYM_OK;
}

static int load_stdin(const sym_load_options *opts, sym_workflow **out, sym_error *err)
{
    char *data = NULL;
    size_t len = 0;
    size_t limit = opts->max_file_bytes ? opts->max_file_bytes : SIZE_MAX;
    int rc = read_stdin(limit, &data, &len);
    if (rc != SYM_OK)
        return rc;
    rc = sym_workflow_load_buffer(data, len, "<stdin>", opts, out, err);
    free(data);
    return rc;
}

static void print_errors(const char *path, int rc, const sym_error *err, size_t max_errors)
{
    size_t n = sym_error_count(err);
    for (size_t i = 0; i < n; i++) {
        const char *text = sym_error_text(err, i);
        /* The text is made on demand; without memory, the bare message. */
        fprintf(stderr, "%s\n", text ? text : sym_error_message(err, i));
    }
    size_t dropped = sym_error_dropped(err);
    if (dropped > 0)
        fprintf(stderr, "%s: %zu more error%s not shown\n", path, dropped,
                dropped == 1 ? "" : "s");
    else if (max_errors > 0 && n >= max_errors)
        fprintf(stderr, "%s: stopped after %zu errors\n", path, n);
    if (n == 0 && dropped == 0)
        fprintf(stderr, "%s: %s\n", path, sym_strerror(rc));
}

int cli_load(const char *path, sym_workflow **out)
{
    *out = NULL;
    sym_error *err = sym_error_new();
    if (!err) {
        fprintf(stderr, "%s: %s\n", path, sym_strerror(SYM_ENOMEM));
        return SYM_ENOMEM;
    }
    sym_load_options opts;
    sym_load_options_init(&opts);
    int rc = strcmp(path, "-") == 0 ? load_stdin(&opts, out, err)
                                    : sym_workflow_load_file(path, &opts, out, err);
    if (rc != SYM_OK)
        print_errors(strcmp(path, "-") == 0 ? "<stdin>" : path, rc, err, opts.max_errors);
    sym_error_free(err);
    return rc;
}

int cli_print(const char *s)
{
    size_t len = strlen(s);
    if (fwrite(s, 1, len, stdout) != len || (len > 0 && s[len - 1] != '\n' && putchar('\n') == EOF)) {
        fprintf(stderr, "symphony: cannot write to standard output\n");
        return CLI_FAILED;
    }
    return CLI_OK;
}
