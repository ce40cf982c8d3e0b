/* strbuf.h - a growable string for writing JSON, DOT and reports. An
 * allocation failure is sticky: later appends do nothing and sym__sb_finish
 * returns NULL, so writers need not check every call. */
#ifndef SYM_STRBUF_H
#define SYM_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "symphony.h"

typedef struct strbuf {
    char *buf;
    size_t len, cap;
    bool failed;
} strbuf;

void sym__sb_init(strbuf *sb);
void sym__sb_putc(strbuf *sb, char c);
void sym__sb_puts(strbuf *sb, const char *s);
void sym__sb_putn(strbuf *sb, const char *s, size_t n);
void sym__sb_printf(strbuf *sb, const char *fmt, ...) SYM_PRINTF(2, 3);
/* s as a JSON string literal, quotes included (NULL writes null). */
void sym__sb_json_string(strbuf *sb, const char *s);
void sym__sb_json_stringn(strbuf *sb, const char *s, size_t n);
/* The NUL-terminated text, owned by the caller (free with free/sym_free),
 * or NULL when any append failed. sb is left empty. */
char *sym__sb_finish(strbuf *sb);
void sym__sb_free(strbuf *sb);

/* A new malloc'd string, printf-style (free with free/sym_free), or NULL
 * when out of memory. */
char *sym__str_printf(const char *fmt, ...) SYM_PRINTF(1, 2);
char *sym__str_vprintf(const char *fmt, va_list ap) SYM_PRINTF(1, 0);

#endif
