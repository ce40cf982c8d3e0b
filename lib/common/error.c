/* error.c - sym_error, the caller-owned list of diagnostics, and the diag
 * sink that loads and builds report into. */
#include "error.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int sym__error_addv(sym_error *err, int code, const char *file, unsigned line, unsigned column,
                    const char *fmt, va_list ap)
{
    if (!err)
        return code;
    if (err->count == err->cap) {
        size_t cap = err->cap ? err->cap * 2 : 8;
        error_entry *e = realloc(err->entries, cap * sizeof *e);
        if (!e) {
            err->dropped++;
            return code;
        }
        err->entries = e;
        err->cap = cap;
    }
    error_entry *e = &err->entries[err->count];
    memset(e, 0, sizeof *e);
    e->code = code;
    e->line = line;
    e->column = line ? column : 0;
    e->message = sym__str_vprintf(fmt, ap);
    e->file = dup_or_null(file);
    if (!e->message || (file && !e->file)) {
        free(e->message);
        free(e->file);
        err->dropped++;
        return code;
    }
    err->count++;
    return code;
}

void sym__error_where_in_string(const error_entry *e, char *buf, size_t cap)
{
    if (e->line > 1)
        snprintf(buf, cap, " (line %u, column %u of the string)", e->line, e->column);
    else if (e->column > 0)
        snprintf(buf, cap, " (at character %u)", e->column);
    else if (cap > 0)
        buf[0] = '\0';
}

int sym__error_add(sym_error *err, int code, const char *file, unsigned line, unsigned column,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__error_addv(err, code, file, line, column, fmt, ap);
    va_end(ap);
    return code;
}

SYM_API sym_error *sym_error_new(void) { return calloc(1, sizeof(sym_error)); }

SYM_API void sym_error_clear(sym_error *err)
{
    if (!err)
        return;
    for (size_t i = 0; i < err->count; i++) {
        free(err->entries[i].message);
        free(err->entries[i].file);
        free(err->entries[i].text);
    }
    err->count = 0;
    err->dropped = 0;
}

SYM_API void sym_error_free(sym_error *err)
{
    if (!err)
        return;
    sym_error_clear(err);
    free(err->entries);
    free(err);
}

SYM_API size_t sym_error_count(const sym_error *err) { return err ? err->count : 0; }

SYM_API size_t sym_error_dropped(const sym_error *err) { return err ? err->dropped : 0; }

static const error_entry *entry(const sym_error *err, size_t i)
{
    return err && i < err->count ? &err->entries[i] : NULL;
}

SYM_API int sym_error_code(const sym_error *err, size_t i)
{
    const error_entry *e = entry(err, i);
    return e ? e->code : SYM_OK;
}

SYM_API const char *sym_error_message(const sym_error *err, size_t i)
{
    const error_entry *e = entry(err, i);
    return e ? e->message : NULL;
}

SYM_API const char *sym_error_file(const sym_error *err, size_t i)
{
    const error_entry *e = entry(err, i);
    return e ? e->file : NULL;
}

SYM_API unsigned sym_error_line(const sym_error *err, size_t i)
{
    const error_entry *e = entry(err, i);
    return e ? e->line : 0;
}

SYM_API unsigned sym_error_column(const sym_error *err, size_t i)
{
    const error_entry *e = entry(err, i);
    return e ? e->column : 0;
}

static char *format_text(const error_entry *e)
{
    size_t n = strlen(e->message) + (e->file ? strlen(e->file) : 0) + 48;
    char *s = malloc(n);
    if (!s)
        return NULL;
    if (e->file && e->line && e->column)
        snprintf(s, n, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
    else if (e->file && e->line)
        snprintf(s, n, "%s:%u: %s", e->file, e->line, e->message);
    else if (e->file)
        snprintf(s, n, "%s: %s", e->file, e->message);
    else
        snprintf(s, n, "%s", e->message);
    return s;
}

SYM_API const char *sym_error_text(const sym_error *err, size_t i)
{
    if (!err || i >= err->count)
        return NULL;
    /* Made on first use and cached: the entry owns it, and the list is
     * single-threaded by contract. */
    error_entry *e = &err->entries[i];
    if (!e->text)
        e->text = format_text(e);
    return e->text ? e->text : e->message;
}

void sym__diag_init(diag *d, sym_error *err, const char *file, size_t max)
{
    d->err = err;
    d->file = file;
    d->count = 0;
    d->max = max;
    d->first = SYM_OK;
}

void sym__diag_addv(diag *d, int code, unsigned line, unsigned column, const char *fmt, va_list ap)
{
    if (d->first == SYM_OK)
        d->first = code;
    d->count++;
    if (d->max && d->count > d->max) {
        if (d->err)
            d->err->dropped++;
        return;
    }
    sym__error_addv(d->err, code, d->file, line, column, fmt, ap);
}

void sym__diag_add(diag *d, int code, unsigned line, unsigned column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__diag_addv(d, code, line, column, fmt, ap);
    va_end(ap);
}

int sym__diag_full(const diag *d) { return d->max && d->count >= d->max; }

static const struct {
    int code;
    const char *text;
} error_texts[] = {
    {SYM_OK, "success"},
    {SYM_EINVAL, "invalid argument"},
    {SYM_ENOMEM, "out of memory"},
    {SYM_EIO, "input/output error"},
    {SYM_ESYNTAX, "YAML syntax error"},
    {SYM_ESCHEMA, "invalid workflow"},
    {SYM_ELIMIT, "input limit exceeded"},
    {SYM_ENOTFOUND, "not found"},
    {SYM_EEXIST, "already exists"},
    {SYM_ECYCLE, "dependency cycle"},
    {SYM_ESTATE, "operation not allowed in this state"},
    {SYM_ETIMEDOUT, "timed out"},
    {SYM_ECANCELED, "cancelled"},
    {SYM_ENOWORKER, "worker not registered"},
    {SYM_ETOOBIG, "value too large"},
    {SYM_EFAILED, "task failed"},
    {SYM_ETYPE, "wrong value type"},
};

SYM_API const char *sym_strerror(int code)
{
    for (size_t i = 0; i < sizeof error_texts / sizeof error_texts[0]; i++)
        if (error_texts[i].code == code)
            return error_texts[i].text;
    return "unknown error";
}

SYM_API void sym_free(void *ptr) { free(ptr); }
