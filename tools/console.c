/* console.c - line-at-a-time output for `symphony run` (see runner.h). Every
 * write holds one lock, so lines from task output relays, the observer and
 * the main loop never mix within a line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"

/* ANSI: carriage return, then erase to the end of the line. */
#define ERASE_LINE "\r\033[K"

void console_init(console *c, FILE *out, FILE *tty)
{
    pthread_mutex_init(&c->mu, NULL);
    c->out = out;
    c->tty = tty;
    c->progress[0] = '\0';
}

void console_destroy(console *c)
{
    pthread_mutex_destroy(&c->mu);
}

/* With c->mu held: takes the progress line off the screen. */
static void hide_progress(console *c)
{
    if (c->tty && c->progress[0]) {
        fputs(ERASE_LINE, c->tty);
        fflush(c->tty);
    }
}

/* With c->mu held: puts it back under the line just written. */
static void show_progress(console *c)
{
    if (c->tty && c->progress[0]) {
        fputs(c->progress, c->tty);
        fflush(c->tty);
    }
}

void console_line(console *c, const char *prefix, const char *text, size_t len)
{
    pthread_mutex_lock(&c->mu);
    hide_progress(c);
    fputs(prefix, c->out);
    fwrite(text, 1, len, c->out);
    putc('\n', c->out);
    fflush(c->out);
    show_progress(c);
    pthread_mutex_unlock(&c->mu);
}

void console_printf(console *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    console_line(c, "", line, len);
}

void console_error(console *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&c->mu);
    hide_progress(c);
    vfprintf(stderr, fmt, ap);
    putc('\n', stderr);
    fflush(stderr);
    show_progress(c);
    pthread_mutex_unlock(&c->mu);
    va_end(ap);
}

void console_progress(console *c, const char *line)
{
    if (!c->tty)
        return;
    pthread_mutex_lock(&c->mu);
    hide_progress(c);
    snprintf(c->progress, sizeof c->progress, "%s", line);
    show_progress(c);
    pthread_mutex_unlock(&c->mu);
}
