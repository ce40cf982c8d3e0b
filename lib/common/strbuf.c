/* strbuf.c - growable strings with a sticky failure flag. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sym__sb_init(strbuf *sb) { memset(sb, 0, sizeof *sb); }

static bool sb_reserve(strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (sb->len + extra + 1 <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            sb->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(sb->buf, cap);
    if (!p) {
        sb->failed = true;
        return false;
    }
    sb->buf = p;
    sb->cap = cap;
    return true;
}

void sym__sb_putn(strbuf *sb, const char *s, size_t n)
{
    if (!sb_reserve(sb, n))
        return;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sym__sb_putc(strbuf *sb, char c) { sym__sb_putn(sb, &c, 1); }

void sym__sb_puts(strbuf *sb, const char *s) { sym__sb_putn(sb, s, strlen(s)); }

void sym__sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[128];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) {
        sb->failed = true;
    } else if ((size_t)n < sizeof small) {
        sym__sb_putn(sb, small, (size_t)n);
    } else if (sb_reserve(sb, (size_t)n)) {
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
        sb->len += (size_t)n;
    }
    va_end(ap);
}

void sym__sb_json_stringn(strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sym__sb_putc(sb, '"');
    size_t start = 0; /* first byte not yet written: plain runs go in one copy */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            if (c >= 0x20)
                continue;
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        }
        sym__sb_putn(sb, s + start, i - start);
        sym__sb_puts(sb, esc);
        start = i + 1;
    }
    sym__sb_putn(sb, s + start, n - start);
    sym__sb_putc(sb, '"');
}

void sym__sb_json_string(strbuf *sb, const char *s)
{
    if (!s)
        sym__sb_puts(sb, "null");
    else
        sym__sb_json_stringn(sb, s, strlen(s));
}

char *sym__sb_finish(strbuf *sb)
{
    if (sb->failed || !sb_reserve(sb, 0)) {
        sym__sb_free(sb);
        return NULL;
    }
    char *out = sb->buf;
    sym__sb_init(sb);
    return out;
}

void sym__sb_free(strbuf *sb)
{
    free(sb->buf);
    sym__sb_init(sb);
}

char *sym__str_vprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *sym__str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sym__str_vprintf(fmt, ap);
    va_end(ap);
    return s;
}
