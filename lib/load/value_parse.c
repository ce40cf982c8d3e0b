/* value_parse.c - sym_value_parse: one YAML value from text into an owned
 * value, through the same reader (and limits) as workflow files. */
#include <stdlib.h>

#include "common.h"
#include "yreader.h"

#define VALUE_NAME "<value>"

/* Only blanks and line breaks: YAML reads that as no document at all. */
static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Reads the one node of r into a (an arena value in *v). */
static int read_one(yreader *r, diag *d, arena *a, sym_value *v)
{
    yr_event ev;
    if (sym__yr_next(r, &ev) == YR_ERROR)
        return d->first != SYM_OK ? d->first : SYM_ESYNTAX;
    int rc = sym__yr_read_value(r, &ev, v, a);
    if (rc != SYM_OK)
        return rc;
    if (sym__yr_next(r, &ev) != YR_END)
        return d->first != SYM_OK ? d->first : SYM_ESYNTAX;
    return d->first; /* non-fatal problems (a refused tag) still fail */
}

SYM_API int sym_value_parse(const char *text, size_t len, sym_value **out, sym_error *err)
{
    if (!out)
        return sym__error_add(err, SYM_EINVAL, VALUE_NAME, 0, 0, "no place for the result");
    *out = NULL;
    if (!text && len)
        return sym__error_add(err, SYM_EINVAL, VALUE_NAME, 0, 0, "text is NULL");
    if (!text || is_blank(text, len))
        return sym__error_add(err, SYM_ESYNTAX, VALUE_NAME, 0, 0, "the value is empty");
    diag d;
    sym__diag_init(&d, err, VALUE_NAME, 0);
    yreader *r;
    int rc = sym__yr_open(&r, text, len, NULL, &d);
    if (rc != SYM_OK)
        return rc;
    arena a;
    sym__arena_init(&a);
    sym_value v;
    rc = read_one(r, &d, &a, &v);
    if (rc == SYM_OK) {
        *out = sym_value_copy(&v);
        if (!*out)
            rc = sym__error_add(err, SYM_ENOMEM, VALUE_NAME, 0, 0, "out of memory");
    }
    sym__yr_close(r);
    sym__arena_free(&a);
    return rc;
}
