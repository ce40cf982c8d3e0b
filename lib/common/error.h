/* error.h - the internals of sym_error, and `diag`, the sink a load or build
 * reports into (it knows the file name and stops keeping errors past a
 * limit). */
#ifndef SYM_ERROR_H
#define SYM_ERROR_H

#include "symphony.h"

typedef struct error_entry {
    int code;
    unsigned line, column;
    char *message;
    char *file; /* NULL when none */
    char *text; /* "file:line:col: message", made on demand */
} error_entry;

struct sym_error {
    error_entry *entries;
    size_t count, cap;
    size_t dropped;
};

/* Appends an entry to err (a NULL err is allowed and ignored). Returns code,
 * so `return sym__error_add(err, SYM_EINVAL, ...)` reads naturally. file may be
 * NULL; line/column 0 mean "no position". */
int sym__error_add(sym_error *err, int code, const char *file, unsigned line, unsigned column,
                   const char *fmt, ...) SYM_PRINTF(6, 7);
int sym__error_addv(sym_error *err, int code, const char *file, unsigned line, unsigned column,
                    const char *fmt, va_list ap) SYM_PRINTF(6, 0);

/* Where error e, found in a string parsed on its own (positions from 1:1
 * of that string), lies, as words to end a message with: " (line L, column
 * C of the string)", " (at character C)", or "" when it has no position. */
void sym__error_where_in_string(const error_entry *e, char *buf, size_t cap);

/* A diagnostics sink for one load or build. */
typedef struct diag {
    sym_error *err;   /* may be NULL: errors are then only counted */
    const char *file; /* used in every entry; may be NULL */
    size_t count;     /* errors reported so far */
    size_t max;       /* keep at most this many (0 = no limit) */
    int first;        /* the code of the first error, SYM_OK while none */
} diag;

void sym__diag_init(diag *d, sym_error *err, const char *file, size_t max);
/* Records an error. Past d->max it is only counted (sym_error_dropped). */
void sym__diag_add(diag *d, int code, unsigned line, unsigned column, const char *fmt, ...)
    SYM_PRINTF(5, 6);
void sym__diag_addv(diag *d, int code, unsigned line, unsigned column, const char *fmt, va_list ap)
    SYM_PRINTF(5, 0);
/* True once d->max errors were reported: callers stop looking for more. */
int sym__diag_full(const diag *d);

#endif
