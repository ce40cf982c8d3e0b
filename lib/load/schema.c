/* schema.c - the YAML schema of a workflow file (docs/workflow-format.md).
 *
 * One pass over the reader's events fills the draft. Every problem is
 * reported at the node at fault (the key for unknown and repeated keys,
 * the value for bad values) with what would be right, and the offending
 * node is skipped so the rest of the file is still checked: a file shows
 * all its errors at once. Reading stops only when the reader fails (a
 * syntax error or a limit), memory runs out, or the diag is full.
 *
 * Speed matters here (a 100,000-task file must load in about twice the
 * time of a bare libyaml parse), so the walk allocates nothing per task
 * beyond the draft's own arrays: key names are matched by length and first
 * byte before any memcmp, strings are classified without being copied, and
 * worker names are interned so a hundred thousand tasks of three workers
 * keep three strings. */
#include "schema.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "dfload.h"
#include "expr.h"
#include "common.h"

/* ------------------------------------------------------------------------ */
/* Key tables                                                                */
/* ------------------------------------------------------------------------ */

typedef struct keyname {
    const char *name; /* first, so sym__did_you_mean can walk the table */
    size_t len;
} keyname;

#define KEY(s) {s, sizeof(s) - 1}

enum { TOP_SYMPHONY, TOP_NAME, TOP_DESCRIPTION, TOP_PARAMS, TOP_DEFAULTS, TOP_CONCURRENCY,
       TOP_DEADLINE, TOP_FAIL_FAST, TOP_WORKERS, TOP_TASKS, TOP_COUNT };
static const keyname top_keys[TOP_COUNT] = {
    KEY("symphony"), KEY("name"),     KEY("description"), KEY("params"),  KEY("defaults"),
    KEY("concurrency"), KEY("deadline"), KEY("fail_fast"), KEY("workers"), KEY("tasks")};

/* The policy keys, shared by `defaults` and tasks (tasks list them last). */
enum { POL_TIMEOUT, POL_RETRY, POL_TRIGGER, POL_CONTINUE, POL_COUNT };
static const keyname policy_keys[POL_COUNT] = {KEY("timeout"), KEY("retry"), KEY("trigger"),
                                               KEY("continue_on_error")};

enum { TASK_WORKER, TASK_NEEDS, TASK_WITH, TASK_IF, TASK_MATRIX, TASK_MAX_PARALLEL,
       TASK_DESCRIPTION, TASK_POLICY, TASK_COUNT = TASK_POLICY + POL_COUNT };
static const keyname task_keys[TASK_COUNT] = {
    KEY("worker"),  KEY("needs"),       KEY("with"),    KEY("if"),
    KEY("matrix"),  KEY("max_parallel"), KEY("description"), KEY("timeout"),
    KEY("retry"),   KEY("trigger"),     KEY("continue_on_error")};

enum { RETRY_ATTEMPTS, RETRY_BACKOFF, RETRY_DELAY, RETRY_MAX_DELAY, RETRY_JITTER, RETRY_ON,
       RETRY_COUNT };
static const keyname retry_keys[RETRY_COUNT] = {KEY("attempts"), KEY("backoff"),
                                                KEY("delay"),    KEY("max_delay"),
                                                KEY("jitter"),   KEY("retry_on")};

static const keyname limit_keys[1] = {KEY("concurrency")};

/* Value names, in the order of their enums in symphony.h. */
static const keyname trigger_names[] = {KEY("all_success"), KEY("all_done"),
                                        KEY("all_failed"),  KEY("one_failed"),
                                        KEY("one_success"), KEY("none_failed")};
static const keyname backoff_names[] = {KEY("fixed"), KEY("linear"), KEY("exponential")};
static const keyname retry_on_names[] = {KEY("error"), KEY("timeout")};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The index of the n bytes at s in tab, or -1. The tables hold a dozen
 * short names, so comparing the length and the first byte rejects nearly
 * every candidate without a memcmp. */
static int find_name(const char *s, size_t n, const keyname *tab, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (tab[i].len == n && tab[i].name[0] == s[0] && memcmp(tab[i].name, s, n) == 0)
            return (int)i;
    return -1;
}

/* "a, b or c" for messages. */
static void list_names(char *buf, size_t cap, const keyname *tab, size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
        int w = snprintf(buf + used, cap - used, "%s%s", sep, tab[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ------------------------------------------------------------------------ */
/* A set of strings (keys seen in one mapping; interned worker names)        */
/* ------------------------------------------------------------------------ */

typedef struct sslot {
    const char *s; /* NUL-terminated, stable (in the draft's arena) */
    uint32_t len;
    uint32_t gen; /* the slot is in use when this is the set's gen */
    draft_pos pos;
} sslot;

/* Open addressing with a generation counter, so emptying the set between
 * two mappings costs nothing however big an earlier one was: repeated keys
 * are found in O(1) even in a mapping of a hundred thousand keys. */
typedef struct strset {
    sslot *slots;
    size_t cap, count; /* cap is a power of two, or 0 */
    uint32_t gen;      /* starts at 1: zeroed slots are free */
} strset;

static void strset_clear(strset *set)
{
    set->count = 0;
    if (++set->gen == 0) { /* wrapped: old marks would look current */
        if (set->slots)
            memset(set->slots, 0, set->cap * sizeof *set->slots);
        set->gen = 1;
    }
}

static sslot *strset_slot(const strset *set, const char *s, size_t n)
{
    size_t mask = set->cap - 1;
    for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        sslot *e = &set->slots[i];
        if (e->gen != set->gen || (e->len == n && memcmp(e->s, s, n) == 0))
            return e;
    }
}

static bool strset_grow(strset *set)
{
    size_t cap = set->cap ? set->cap * 2 : 16;
    sslot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    strset old = *set;
    set->slots = slots;
    set->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].gen == old.gen)
            *strset_slot(set, old.slots[i].s, old.slots[i].len) = old.slots[i];
    free(old.slots);
    return true;
}

/* The entry for the n bytes at s. When absent it is added, with the bytes
 * copied into a (or, when a is NULL, s itself kept: it must then be stable
 * and NUL-terminated) and *found false. NULL when out of memory. */
static sslot *strset_put(strset *set, arena *a, const char *s, size_t n, draft_pos pos,
                         bool *found)
{
    if (set->gen == 0)
        set->gen = 1;
    if ((set->count + 1) * 2 > set->cap && !strset_grow(set))
        return NULL;
    sslot *e = strset_slot(set, s, n);
    *found = e->gen == set->gen;
    if (*found)
        return e;
    const char *copy = a ? sym__arena_strndup(a, s, n) : s;
    if (!copy || n > UINT32_MAX)
        return NULL;
    *e = (sslot){copy, (uint32_t)n, set->gen, pos};
    set->count++;
    return e;
}

static void strset_free(strset *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* ------------------------------------------------------------------------ */
/* The walk and its reports                                                  */
/* ------------------------------------------------------------------------ */

typedef struct walker {
    yreader *r;
    draft *d;
    diag *dg;
    bool stop;       /* the reader failed, memory ran out, or the diag is full */
    bool ended;      /* the reader's end of the document was reached */
    strset workers;  /* interned worker names */
    strset keys;     /* keys of the user-named mapping being read */
    /* Where the templated strings of the `with` being read were written
     * (sym__yr_on_string), found again by their bytes' address. */
    struct leaf_pos *leaves;
    size_t nleaves, leaves_cap, leaf_cursor;
    bool leaves_nomem;
} walker;

typedef struct leaf_pos {
    const char *s;
    uint32_t line, column;
} leaf_pos;

static void say(walker *w, int code, uint32_t line, uint32_t column, const char *fmt, ...)
    SYM_PRINTF(5, 6);

static void say(walker *w, int code, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sym__diag_addv(w->dg, code, line, column, fmt, ap);
    va_end(ap);
    if (sym__diag_full(w->dg))
        w->stop = true;
}

#define SAY_AT(w, ev, ...) say(w, SYM_ESCHEMA, (ev)->line, (ev)->column, __VA_ARGS__)

static void out_of_memory(walker *w)
{
    if (!w->stop)
        sym__diag_add(w->dg, SYM_ENOMEM, 0, 0, "out of memory while reading the workflow");
    w->stop = true;
}

/* At most 48 bytes of s for a message, cut on a character boundary, with
 * control characters blanked so a message stays on one line. */
static const char *clip(const char *s, size_t n, char *buf, size_t cap)
{
    enum { MAX = 48 };
    size_t k = n;
    if (k > MAX) {
        k = MAX;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
    }
    if (k + 4 > cap)
        k = cap - 4;
    for (size_t i = 0; i < k; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    strcpy(buf + k, k < n ? "..." : "");
    return buf;
}

typedef struct shown {
    char buf[64];
} shown;

/* How a node is named after "not": 'text', a list, a mapping. */
static const char *what(const yr_event *ev, shown *sh)
{
    switch (ev->kind) {
    case YR_SEQ_START:
        return "a list";
    case YR_MAP_START:
        return "a mapping";
    case YR_SCALAR:
        if (ev->plain && ev->length == 0)
            return "an empty value";
        sh->buf[0] = '\'';
        clip(ev->value, ev->length, sh->buf + 1, sizeof sh->buf - 2);
        strcat(sh->buf, "'");
        return sh->buf;
    default:
        return "nothing";
    }
}

static const char *clip_ev(const yr_event *ev, shown *sh)
{
    return clip(ev->value, ev->length, sh->buf, sizeof sh->buf);
}

static bool next(walker *w, yr_event *ev)
{
    if (w->stop)
        return false;
    yr_kind k = sym__yr_next(w->r, ev);
    w->ended = k == YR_END;
    if (k == YR_ERROR || k == YR_END || sym__diag_full(w->dg)) {
        /* YR_END inside a node cannot happen: the reader balances nodes. */
        w->stop = true;
        return false;
    }
    return true;
}

static void skip(walker *w, const yr_event *ev)
{
    if (!w->stop && !sym__yr_skip(w->r, ev))
        w->stop = true;
}

/* Reports that the value ev is not what `key` `where` must be (wanted,
 * e.g. "an integer >= 1") and skips it. */
static void wrong(walker *w, const yr_event *ev, const char *key, const char *where,
                  const char *wanted)
{
    shown sh;
    SAY_AT(w, ev, "'%s' %s must be %s, not %s", key, where, wanted, what(ev, &sh));
    skip(w, ev);
}

static draft_pos pos_of(const yr_event *ev) { return (draft_pos){ev->line, ev->column}; }

/* ------------------------------------------------------------------------ */
/* Mappings                                                                  */
/* ------------------------------------------------------------------------ */

/* The next key of the mapping being read: 1 with the key in *k, 0 at the
 * mapping's end, -1 when reading stops. A key that is not a scalar is
 * reported and skipped with its value. */
static int next_key(walker *w, yr_event *k, const char *where)
{
    for (;;) {
        if (!next(w, k))
            return -1;
        if (k->kind == YR_MAP_END)
            return 0;
        if (k->kind == YR_SCALAR)
            return 1;
        shown sh;
        SAY_AT(w, k, "keys %s must be plain names, not %s", where, what(k, &sh));
        skip(w, k);
        yr_event v;
        if (!next(w, &v))
            return -1;
        skip(w, &v);
    }
}

/* Reads the value of a key that was refused and skips it. */
static void skip_value(walker *w)
{
    yr_event v;
    if (next(w, &v))
        skip(w, &v);
}

/* The keys met in one mapping of fixed keys: where each was first met,
 * and which ones a misspelt key was taken for (a required key suggested
 * that way is not reported missing as well). */
typedef struct seen_keys {
    draft_pos at[16];
    unsigned suggested; /* bit i: key i was offered as "did you mean" */
} seen_keys;

_Static_assert(TOP_COUNT <= 16 && TASK_COUNT <= 16 && RETRY_COUNT <= 16,
               "seen_keys holds 16 keys per mapping");

/* Whether required key i is absent and was not already hinted at. */
static bool missing(const seen_keys *seen, int i)
{
    return !seen->at[i].line && !(seen->suggested & 1u << i);
}

/* The index of key k in tab when it is allowed there and not a repeat.
 * Otherwise reports it, skips its value, and returns -1. */
static int known_key(walker *w, const yr_event *k, const keyname *tab, size_t count,
                     seen_keys *seen, const char *where)
{
    shown sh;
    int i = find_name(k->value, k->length, tab, count);
    if (i < 0) {
        const char *hint = sym__did_you_mean(k->value, tab, count, sizeof *tab);
        if (hint) {
            seen->suggested |= 1u << find_name(hint, strlen(hint), tab, count);
            SAY_AT(w, k, "unknown key '%s' %s (did you mean '%s'?)", clip_ev(k, &sh), where,
                   hint);
        } else {
            char all[256];
            list_names(all, sizeof all, tab, count);
            SAY_AT(w, k, "unknown key '%s' %s (allowed: %s)", clip_ev(k, &sh), where, all);
        }
    } else if (seen->at[i].line) {
        SAY_AT(w, k, "duplicate key '%s' %s (first at %" PRIu32 ":%" PRIu32 ")", tab[i].name,
               where, seen->at[i].line, seen->at[i].column);
        i = -1;
    } else {
        seen->at[i] = pos_of(k);
        return i;
    }
    skip_value(w);
    return -1;
}

/* Starts reading a user-named mapping (params, workers, a matrix): checks
 * that ev is a mapping and readies the repeat check. A null value means an
 * empty section when null_ok. Returns whether there are keys to read. */
static bool begin_named_map(walker *w, const yr_event *ev, const char *key, const char *where,
                            const char *wanted, bool null_ok)
{
    if (ev->kind == YR_MAP_START) {
        strset_clear(&w->keys);
        return true;
    }
    if (!(null_ok && ev->kind == YR_SCALAR && ev->plain && ev->length == 0))
        wrong(w, ev, key, where, wanted);
    return false;
}

/* Checks that user-named key k is new in the mapping being read; a repeat
 * is reported and its value skipped. The key is copied into the arena
 * (*copy) unless stable is given, which is then used instead. */
static bool new_named_key(walker *w, const yr_event *k, const char *where, const char *stable,
                          const char **copy)
{
    bool found;
    sslot *e = strset_put(&w->keys, stable ? NULL : &w->d->arena, stable ? stable : k->value,
                          k->length, pos_of(k), &found);
    if (!e) {
        out_of_memory(w);
        return false;
    }
    if (found) {
        shown sh;
        SAY_AT(w, k, "duplicate key '%s' %s (first at %" PRIu32 ":%" PRIu32 ")",
               clip_ev(k, &sh), where, e->pos.line, e->pos.column);
        skip_value(w);
        return false;
    }
    *copy = e->s;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Scalars                                                                   */
/* ------------------------------------------------------------------------ */

/* Whether a plain scalar might be null, a bool or a number. The rest (by
 * far most names) are strings without a look at the core schema. */
static bool maybe_not_string(const char *s, size_t n)
{
    static const char *const words[] = {"null", "Null", "NULL", "true",  "True",
                                        "TRUE", "false", "False", "FALSE"};
    if (n == 0 || (n == 1 && s[0] == '~'))
        return true;
    char c = s[0];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')
        return true;
    for (size_t i = 0; i < COUNT(words); i++)
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    return false;
}

/* The core-schema value of a scalar; false when memory ran out (reported)
 * or a tag contradicts the text (*v is then a null). */
static bool resolve(walker *w, const yr_event *ev, sym_value *v)
{
    int rc = sym__yr_scalar_value(ev, v, &w->d->arena);
    if (rc == SYM_ENOMEM)
        out_of_memory(w);
    if (rc != SYM_OK)
        sym__value_set_null(v);
    return rc == SYM_OK;
}

static bool is_string(walker *w, const yr_event *ev)
{
    if (ev->kind != YR_SCALAR)
        return false;
    if (ev->tag == YR_TAG_STR || (ev->tag == YR_TAG_NONE && !ev->plain))
        return true;
    if (ev->tag != YR_TAG_NONE)
        return false;
    if (!maybe_not_string(ev->value, ev->length))
        return true;
    sym_value v;
    return resolve(w, ev, &v) && v.type == SYM_VALUE_STRING;
}

/* A string usable as a C string: 1, 0 when ev is no string (the caller
 * reports that), -1 when it holds a NUL byte (the reader reported it). */
static int text_of(walker *w, const yr_event *ev)
{
    if (!is_string(w, ev))
        return 0;
    return memchr(ev->value, '\0', ev->length) ? -1 : 1;
}

static bool get_int(walker *w, const yr_event *ev, int64_t *out)
{
    sym_value v;
    if (ev->kind != YR_SCALAR || !resolve(w, ev, &v) || v.type != SYM_VALUE_INT)
        return false;
    *out = v.u.i;
    return true;
}

/* An integer in [1, max] for `key` `where`; reported otherwise. */
static bool get_count(walker *w, const yr_event *ev, const char *key, const char *where,
                      uint64_t max, uint64_t *out)
{
    int64_t i;
    if (!get_int(w, ev, &i) || i < 1) {
        wrong(w, ev, key, where, "an integer >= 1");
        return false;
    }
    if ((uint64_t)i > max) {
        char wanted[64];
        snprintf(wanted, sizeof wanted, "an integer from 1 to %" PRIu64, max);
        wrong(w, ev, key, where, wanted);
        return false;
    }
    *out = (uint64_t)i;
    return true;
}

static bool get_bool(walker *w, const yr_event *ev, const char *key, const char *where,
                     bool *out)
{
    sym_value v;
    if (ev->kind != YR_SCALAR || !resolve(w, ev, &v) || v.type != SYM_VALUE_BOOL) {
        wrong(w, ev, key, where, "true or false");
        return false;
    }
    *out = v.u.b;
    return true;
}

/* One of names (an enumeration such as the trigger rules): its index, or
 * -1 after a report naming the allowed values and the likely one. */
static int get_enum(walker *w, const yr_event *ev, const char *key, const char *where,
                    const char *noun, const keyname *names, size_t count)
{
    char all[160];
    list_names(all, sizeof all, names, count);
    if (!is_string(w, ev)) {
        char wanted[200];
        snprintf(wanted, sizeof wanted, "one of %s", all);
        wrong(w, ev, key, where, wanted);
        return -1;
    }
    int i = find_name(ev->value, ev->length, names, count);
    if (i >= 0)
        return i;
    shown sh;
    const char *hint = sym__did_you_mean(ev->value, names, count, sizeof *names);
    if (hint)
        SAY_AT(w, ev, "unknown %s '%s' %s (did you mean '%s'?); use one of %s", noun,
               clip_ev(ev, &sh), where, hint, all);
    else
        SAY_AT(w, ev, "unknown %s '%s' %s; use one of %s", noun, clip_ev(ev, &sh), where, all);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Durations                                                                 */
/* ------------------------------------------------------------------------ */

static size_t count_digits(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++;
    return j - i;
}

/* The unit's length in ms, or 0 when u is no unit. */
static int64_t unit_ms(const char *u, size_t n)
{
    if (n == 2 && u[0] == 'm' && u[1] == 's')
        return 1;
    if (n != 1)
        return 0;
    return u[0] == 's' ? 1000 : u[0] == 'm' ? 60000 : u[0] == 'h' ? 3600000 : 0;
}

schema_duration_status sym__schema_parse_duration(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    bool negative = n > 0 && s[0] == '-';
    if (negative || (n > 0 && s[0] == '+'))
        i = 1;
    size_t whole = count_digits(s, n, i);
    if (whole == 0)
        return SCHEMA_DURATION_MALFORMED;
    /* Past 19 digits the count is too long whatever the unit; the whole
     * part is kept below that so it cannot overflow. */
    bool huge = whole > 18;
    uint64_t ip = 0;
    for (size_t k = i; k < i + whole && !huge; k++)
        ip = ip * 10 + (uint64_t)(s[k] - '0');
    i += whole;
    uint64_t frac = 0, scale = 1;
    bool has_frac = i < n && s[i] == '.';
    if (has_frac) {
        size_t fd = count_digits(s, n, ++i);
        if (fd == 0)
            return SCHEMA_DURATION_MALFORMED;
        size_t last = i + fd; /* trailing zeros say nothing: 1.50s is 1.5s */
        while (last > i && s[last - 1] == '0')
            last--;
        if (last - i > 9)
            return SCHEMA_DURATION_INEXACT;
        for (size_t k = i; k < last; k++, scale *= 10)
            frac = frac * 10 + (uint64_t)(s[k] - '0');
        i += fd;
    }
    if (i == n)
        return SCHEMA_DURATION_NO_UNIT;
    int64_t unit = unit_ms(s + i, n - i);
    if (unit == 0)
        return SCHEMA_DURATION_BAD_UNIT;
    if (negative && (ip > 0 || frac > 0))
        return SCHEMA_DURATION_NEGATIVE;
    if (has_frac && unit == 1 && frac > 0)
        return SCHEMA_DURATION_INEXACT;
    uint64_t u = (uint64_t)unit;
    if (huge || ip > (uint64_t)SCHEMA_DURATION_MAX_MS / u)
        return SCHEMA_DURATION_TOO_LONG;
    if ((frac * u) % scale != 0) /* frac < 1e9 and u <= 3.6e6: no overflow */
        return SCHEMA_DURATION_INEXACT;
    uint64_t total = ip * u + frac * u / scale;
    if (total > (uint64_t)SCHEMA_DURATION_MAX_MS)
        return SCHEMA_DURATION_TOO_LONG;
    *ms = (int64_t)total;
    return SCHEMA_DURATION_OK;
}

/* A duration for `key` `where`: true with *ms set, else reported. Numbers
 * are read as text, so `timeout: 30` gets "needs a unit", not a type
 * error. */
static bool get_duration(walker *w, const yr_event *ev, const char *key, const char *where,
                         int64_t *ms)
{
    static const char wanted[] = "a duration such as 30s or 250ms";
    if (ev->kind != YR_SCALAR || (ev->plain && ev->length == 0)) {
        wrong(w, ev, key, where, wanted);
        return false;
    }
    shown sh;
    const char *t = clip_ev(ev, &sh);
    switch (sym__schema_parse_duration(ev->value, ev->length, ms)) {
    case SCHEMA_DURATION_OK:
        return true;
    case SCHEMA_DURATION_NO_UNIT:
        if (memchr(ev->value, '.', ev->length))
            SAY_AT(w, ev, "'%s' %s: duration %s needs a unit (e.g. %ss or %sm)", key, where, t, t,
                   t);
        else
            SAY_AT(w, ev, "'%s' %s: duration %s needs a unit (e.g. %ss or %sms)", key, where, t,
                   t, t);
        return false;
    case SCHEMA_DURATION_BAD_UNIT:
        SAY_AT(w, ev, "'%s' %s: duration '%s' has an unknown unit (use ms, s, m or h, as in 30s)",
               key, where, t);
        return false;
    case SCHEMA_DURATION_NEGATIVE:
        SAY_AT(w, ev, "'%s' %s: duration '%s' may not be negative", key, where, t);
        return false;
    case SCHEMA_DURATION_TOO_LONG:
        SAY_AT(w, ev, "'%s' %s: duration '%s' is too long (at most 876000h)", key, where, t);
        return false;
    case SCHEMA_DURATION_INEXACT:
        SAY_AT(w, ev,
               "'%s' %s: duration '%s' is not a whole number of milliseconds (fractions are for "
               "s, m and h, as in 1.5s)",
               key, where, t);
        return false;
    case SCHEMA_DURATION_MALFORMED:
        break;
    }
    wrong(w, ev, key, where, wanted);
    return false;
}

/* ------------------------------------------------------------------------ */
/* Policies: defaults and tasks                                              */
/* ------------------------------------------------------------------------ */

/* Where a policy lives, for messages: "task 'load'" or "'defaults'". */
typedef struct owner {
    const char *in; /* "in task 'load'" */
    const char *of; /* "task 'load'" */
} owner;

/* The retry_on list into *flags; false (reported) when any entry is bad. */
static bool read_retry_on(walker *w, const yr_event *ev, const owner *o, unsigned *flags)
{
    if (ev->kind != YR_SEQ_START) {
        wrong(w, ev, "retry_on", o->in, "a list such as [error, timeout]");
        return false;
    }
    yr_event item;
    unsigned f = 0;
    bool ok = true;
    while (next(w, &item) && item.kind != YR_SEQ_END) {
        int i = get_enum(w, &item, "retry_on", o->in, "retry_on value", retry_on_names,
                         COUNT(retry_on_names));
        if (i < 0)
            ok = false;
        else
            f |= i == 0 ? SYM_RETRY_ON_ERROR : SYM_RETRY_ON_TIMEOUT;
    }
    if (ok && !w->stop)
        *flags = f;
    return ok && !w->stop;
}

static void read_retry_key(walker *w, int key, const yr_event *v, const owner *o,
                           sym_retry_policy *rp, unsigned *set)
{
    const char *name = retry_keys[key].name;
    uint64_t n;
    int i;
    switch (key) {
    case RETRY_ATTEMPTS:
        if (get_count(w, v, name, o->in, UINT32_MAX, &n)) {
            rp->attempts = (uint32_t)n;
            *set |= DRAFT_SET_ATTEMPTS;
        }
        break;
    case RETRY_BACKOFF:
        if ((i = get_enum(w, v, name, o->in, "backoff", backoff_names, COUNT(backoff_names))) >=
            0) {
            rp->backoff = (sym_backoff)i;
            *set |= DRAFT_SET_BACKOFF;
        }
        break;
    case RETRY_DELAY:
        if (get_duration(w, v, name, o->in, &rp->delay_ms))
            *set |= DRAFT_SET_DELAY;
        break;
    case RETRY_MAX_DELAY:
        if (get_duration(w, v, name, o->in, &rp->max_delay_ms))
            *set |= DRAFT_SET_MAX_DELAY;
        break;
    case RETRY_JITTER:
        if (get_bool(w, v, name, o->in, &rp->jitter))
            *set |= DRAFT_SET_JITTER;
        break;
    case RETRY_ON:
        if (read_retry_on(w, v, o, &rp->retry_on))
            *set |= DRAFT_SET_RETRY_ON;
        break;
    }
}

static void read_retry(walker *w, const yr_event *ev, const owner *o, sym_retry_policy *rp,
                       unsigned *set)
{
    if (ev->kind != YR_MAP_START) {
        wrong(w, ev, "retry", o->in, "a mapping such as {attempts: 3, delay: 1s}");
        return;
    }
    char where[160];
    snprintf(where, sizeof where, "in 'retry' of %s", o->of);
    seen_keys seen = {0};
    yr_event k, v;
    while (next_key(w, &k, where) > 0) {
        int key = known_key(w, &k, retry_keys, RETRY_COUNT, &seen, where);
        if (key >= 0 && next(w, &v))
            read_retry_key(w, key, &v, o, rp, set);
    }
}

static void read_policy_key(walker *w, int key, const yr_event *v, const owner *o,
                            sym_task_policy *p, unsigned *set)
{
    const char *name = policy_keys[key].name;
    int i;
    switch (key) {
    case POL_TIMEOUT:
        if (get_duration(w, v, name, o->in, &p->timeout_ms))
            *set |= DRAFT_SET_TIMEOUT;
        break;
    case POL_RETRY:
        read_retry(w, v, o, &p->retry, set);
        break;
    case POL_TRIGGER:
        if ((i = get_enum(w, v, name, o->in, "trigger", trigger_names, COUNT(trigger_names))) >=
            0) {
            p->trigger = (sym_trigger)i;
            *set |= DRAFT_SET_TRIGGER;
        }
        break;
    case POL_CONTINUE:
        if (get_bool(w, v, name, o->in, &p->continue_on_error))
            *set |= DRAFT_SET_CONTINUE;
        break;
    }
}

/* A null `defaults:` (written with nothing under it) sets nothing. */
static void read_defaults(walker *w, const yr_event *ev)
{
    const owner o = {"in 'defaults'", "'defaults'"};
    if (ev->kind != YR_MAP_START) {
        if (!(ev->kind == YR_SCALAR && ev->plain && ev->length == 0))
            wrong(w, ev, "defaults", "at the top level", "a mapping such as {timeout: 30s}");
        return;
    }
    seen_keys seen = {0};
    yr_event k, v;
    while (next_key(w, &k, o.in) > 0) {
        int key = known_key(w, &k, policy_keys, POL_COUNT, &seen, o.in);
        if (key >= 0 && next(w, &v))
            read_policy_key(w, key, &v, &o, &w->d->defaults, &w->d->defaults_set);
    }
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                     */
/* ------------------------------------------------------------------------ */

/* The interned copy of a worker name (one string per distinct name). */
static const char *intern(walker *w, const yr_event *ev)
{
    bool found;
    sslot *e = strset_put(&w->workers, &w->d->arena, ev->value, ev->length, pos_of(ev), &found);
    if (!e) {
        out_of_memory(w);
        return NULL;
    }
    return e->s;
}

static void add_need(walker *w, draft_task *t, const yr_event *ev, const owner *o)
{
    int ok = text_of(w, ev);
    if (ok == 0) {
        shown sh;
        SAY_AT(w, ev, "each entry of 'needs' %s must be a task id, not %s", o->in, what(ev, &sh));
        skip(w, ev);
    }
    if (ok <= 0)
        return;
    draft_need need = {sym__arena_strndup(&w->d->arena, ev->value, ev->length), pos_of(ev)};
    if (!need.name || sym__draft_add_need(w->d, t, &need) != SYM_OK)
        out_of_memory(w);
}

static void read_needs(walker *w, const yr_event *ev, draft_task *t, const owner *o)
{
    if (ev->kind == YR_SCALAR && is_string(w, ev)) {
        add_need(w, t, ev, o);
        return;
    }
    if (ev->kind != YR_SEQ_START) {
        wrong(w, ev, "needs", o->in, "a task id or a list of task ids");
        return;
    }
    yr_event item;
    while (next(w, &item) && item.kind != YR_SEQ_END)
        add_need(w, t, &item, o);
}

/* A value read whole into the arena (`with`, params, matrix lists). */
static sym_value *read_value(walker *w, const yr_event *ev)
{
    sym_value *v = sym__arena_alloc(&w->d->arena, sizeof *v);
    if (!v) {
        out_of_memory(w);
        return NULL;
    }
    size_t before = w->dg->count;
    int rc = sym__yr_read_value(w->r, ev, v, &w->d->arena);
    if (rc == SYM_OK)
        return v;
    if (rc == SYM_ENOMEM) {
        out_of_memory(w);
    } else if (w->dg->count == before) {
        /* The reader reports what it finds; this is a safety net. */
        shown sh;
        sym__diag_add(w->dg, rc, ev->line, ev->column, "value %s could not be read: %s",
                      what(ev, &sh), sym_strerror(rc));
    }
    if (sym__diag_full(w->dg))
        w->stop = true;
    return NULL;
}

/* sym__yr_on_string's callback while a `with` is read: notes where each string
 * holding "${{" starts (inside a quoted scalar: after the quote, so
 * positions inside it are exact when it has no escapes). */
static void note_leaf(void *ctx, const sym_value *v, const yr_event *ev)
{
    walker *w = ctx;
    if (!sym__expr_has_template(v->u.s, v->n))
        return;
    if (w->nleaves == w->leaves_cap) {
        size_t cap = w->leaves_cap ? w->leaves_cap * 2 : 8;
        /* A mapping of its own once big: grown by moving pages, not by
         * copying (see sym__mem_big_realloc), so growth holds no second copy. */
        leaf_pos *grown = sym__mem_big_realloc(w->leaves, cap * sizeof *grown);
        if (!grown) {
            w->leaves_nomem = true;
            return;
        }
        w->leaves = grown;
        w->leaves_cap = cap;
    }
    w->leaves[w->nleaves++] = (leaf_pos){v->u.s, ev->line, ev->column + (ev->plain ? 0 : 1)};
}

/* sym__dfl_scan_with's position lookup: the leaves come in the order noted, so
 * the next one is almost always at the cursor. */
static void leaf_position(void *ctx, const sym_value *leaf, uint32_t *line, uint32_t *column)
{
    walker *w = ctx;
    for (size_t k = 0; k < w->nleaves; k++) {
        size_t at = (w->leaf_cursor + k) % w->nleaves;
        if (w->leaves[at].s == leaf->u.s) {
            *line = w->leaves[at].line;
            *column = w->leaves[at].column;
            w->leaf_cursor = at + 1;
            return;
        }
    }
    *line = *column = 0;
}

/* `with:` left empty means no inputs. Its strings holding `${{` are parsed
 * here, each at its own position. */
static void read_with(walker *w, const yr_event *ev, draft_task *t, const owner *o)
{
    if (ev->kind != YR_MAP_START) {
        if (!(ev->kind == YR_SCALAR && ev->plain && ev->length == 0))
            wrong(w, ev, "with", o->in, "a mapping of input names to values");
        return;
    }
    w->nleaves = w->leaf_cursor = 0;
    sym__yr_on_string(w->r, note_leaf, w);
    t->with = read_value(w, ev);
    sym__yr_on_string(w->r, NULL, NULL);
    if (w->leaves_nomem) {
        out_of_memory(w);
        return;
    }
    if (!t->with || w->nleaves == 0)
        return;
    bool bad = false;
    uint32_t task = (uint32_t)(t - w->d->tasks);
    if (sym__dfl_scan_with(w->d, task, t->with, leaf_position, w, w->dg, &bad) != SYM_OK)
        out_of_memory(w);
    if (sym__diag_full(w->dg))
        w->stop = true;
}

/* `if`: a string (a template, or one expression without `${{ }}`) or a
 * bool (`if: false` turns a task off). */
static void read_if(walker *w, const yr_event *v, draft_task *t, const owner *o)
{
    sym_value b;
    const char *text = v->value;
    size_t len = v->length;
    uint32_t column = v->column + (v->plain ? 0 : 1);
    int ok = text_of(w, v);
    if (ok < 0)
        return;
    if (ok == 0) {
        if (v->kind != YR_SCALAR || !resolve(w, v, &b) || b.type != SYM_VALUE_BOOL) {
            wrong(w, v, "if", o->in, "an expression such as \"${{ params.enabled }}\" or a bool");
            return;
        }
        text = b.u.b ? "true" : "false";
        len = strlen(text);
        column = v->column;
    }
    if (!(t->condition = sym__arena_strndup(&w->d->arena, text, len))) {
        out_of_memory(w);
        return;
    }
    t->condition_pos = pos_of(v);
    int rc = sym__dfl_parse_condition(&w->d->arena, text, len, v->line, column, w->dg, &t->cond);
    if (rc == SYM_ENOMEM)
        out_of_memory(w);
    else if (rc == SYM_OK)
        w->d->has_df = true;
    if (sym__diag_full(w->dg))
        w->stop = true;
}

/* Exactly one ${{ ... }}: the value of the expression, not text around it.
 * (Whether the inside parses is compile's to say.) */
static bool is_one_expression(const char *s, size_t n)
{
    if (n < 5 || memcmp(s, "${{", 3) != 0 || memcmp(s + n - 2, "}}", 2) != 0)
        return false;
    size_t end = n - 2; /* where the closing braces start */
    for (size_t i = 3; i + 1 < end; i++)
        if (s[i] == '}' && s[i + 1] == '}')
            return false;
    for (size_t i = 3; i + 2 < end; i++)
        if (s[i] == '$' && s[i + 1] == '{' && s[i + 2] == '{')
            return false;
    return true;
}

/* A literal list of an axis: every value must name an instance, so it is
 * a scalar (nested lists, maps and nulls cannot). */
static bool check_axis_values(walker *w, const yr_event *ev, const sym_value *list,
                              const char *key, const owner *o)
{
    if (list->n == 0) {
        SAY_AT(w, ev, "matrix axis '%s' %s has no values (it would make no instances)", key,
               o->in);
        return false;
    }
    for (uint32_t i = 0; i < list->n; i++) {
        sym_value_type t = (sym_value_type)list->u.items[i].type;
        if (t == SYM_VALUE_NULL || t == SYM_VALUE_LIST || t == SYM_VALUE_MAP) {
            SAY_AT(w, ev,
                   "value %" PRIu32 " of matrix axis '%s' %s must be a string, number or bool, "
                   "not %s",
                   i + 1, key, o->in, t == SYM_VALUE_NULL ? "null" : t == SYM_VALUE_LIST ? "a list" : "a mapping");
            return false;
        }
    }
    return true;
}

static void read_axis(walker *w, const yr_event *ev, const char *key, draft_task *t,
                      const owner *o)
{
    draft_axis axis = {.key = key, .pos = pos_of(ev)};
    if (ev->kind == YR_SEQ_START) {
        sym_value *list = read_value(w, ev);
        if (!list || !check_axis_values(w, ev, list, key, o))
            return;
        axis.values = list;
    } else if (is_string(w, ev) && is_one_expression(ev->value, ev->length)) {
        if (!(axis.expr = sym__arena_strndup(&w->d->arena, ev->value, ev->length))) {
            out_of_memory(w);
            return;
        }
        uint32_t column = ev->column + (ev->plain ? 0 : 1);
        int rc = sym__expr_template_parse(ev->value, ev->length, ev->line, column, &w->d->arena,
                                          w->dg, &axis.tmpl);
        if (rc == SYM_ENOMEM) {
            out_of_memory(w);
            return;
        }
        /* A refused axis is still an axis: max_parallel beside it is fine. */
        axis.bad = rc != SYM_OK;
        w->d->has_df = true;
        if (sym__diag_full(w->dg))
            w->stop = true;
    } else {
        shown sh;
        SAY_AT(w, ev,
               "matrix axis '%s' %s must be a list of values or one expression such as "
               "\"${{ params.shards }}\", not %s",
               key, o->in, what(ev, &sh));
        skip(w, ev);
        return;
    }
    if (sym__draft_add_axis(w->d, t, &axis) != SYM_OK)
        out_of_memory(w);
}

static void read_matrix(walker *w, const yr_event *ev, draft_task *t, const owner *o)
{
    char where[160];
    snprintf(where, sizeof where, "in the matrix of %s", o->of);
    if (!begin_named_map(w, ev, "matrix", o->in, "a mapping of axis names to lists of values",
                         false))
        return;
    yr_event k, v;
    while (next_key(w, &k, where) > 0) {
        const char *key;
        if (!sym__name_is_identifier(k.value) || strlen(k.value) != k.length) {
            shown sh;
            SAY_AT(w, &k,
                   "matrix axis name '%s' %s is not valid (letters, digits and '_', not starting "
                   "with a digit)",
                   clip_ev(&k, &sh), o->in);
            skip_value(w);
        } else if (new_named_key(w, &k, where, NULL, &key) && next(w, &v)) {
            read_axis(w, &v, key, t, o);
        }
    }
}

static void read_task_key(walker *w, int key, const yr_event *v, draft_task *t, const owner *o)
{
    int ok;
    switch (key) {
    case TASK_WORKER:
        if ((ok = text_of(w, v)) == 0)
            wrong(w, v, "worker", o->in, "a worker name");
        else if (ok > 0 && (t->worker = intern(w, v)))
            t->worker_pos = pos_of(v);
        break;
    case TASK_NEEDS:
        read_needs(w, v, t, o);
        break;
    case TASK_WITH:
        read_with(w, v, t, o);
        break;
    case TASK_IF:
        read_if(w, v, t, o);
        break;
    case TASK_MATRIX:
        read_matrix(w, v, t, o);
        break;
    case TASK_MAX_PARALLEL: {
        uint64_t n;
        if (get_count(w, v, "max_parallel", o->in, UINT32_MAX, &n)) {
            t->max_parallel = (unsigned)n;
            t->max_parallel_pos = pos_of(v);
            w->d->has_df = true;
        }
        break;
    }
    case TASK_DESCRIPTION: /* for readers of the file only */
        if (!is_string(w, v))
            wrong(w, v, "description", o->in, "a string");
        break;
    default:
        if (!t->policy && !(t->policy = sym__arena_calloc(&w->d->arena, 1, sizeof *t->policy))) {
            out_of_memory(w);
            return;
        }
        read_policy_key(w, key - TASK_POLICY, v, o, t->policy, &t->set);
        break;
    }
}

static void read_task(walker *w, const yr_event *ev, draft_task *t)
{
    shown sh;
    char of[96], in[104];
    snprintf(of, sizeof of, "task '%s'", clip(t->id, strlen(t->id), sh.buf, sizeof sh.buf));
    snprintf(in, sizeof in, "in %s", of);
    const owner o = {in, of};
    if (ev->kind != YR_MAP_START) {
        SAY_AT(w, ev, "%s must be a mapping with at least 'worker', not %s", of, what(ev, &sh));
        skip(w, ev);
        return;
    }
    seen_keys seen = {0};
    yr_event k, v;
    while (next_key(w, &k, in) > 0) {
        int key = known_key(w, &k, task_keys, TASK_COUNT, &seen, in);
        if (key >= 0 && next(w, &v))
            read_task_key(w, key, &v, t, &o);
    }
    if (!w->stop && missing(&seen, TASK_WORKER))
        say(w, SYM_ESCHEMA, t->pos.line, t->pos.column,
            "%s has no 'worker' (the name of the worker that runs it)", of);
}

/* Tasks with the same id are both kept: compile reports the repeat, with
 * both positions. */
static void read_tasks(walker *w, const yr_event *ev)
{
    if (ev->kind != YR_MAP_START) {
        wrong(w, ev, "tasks", "at the top level", "a mapping of task ids to tasks");
        return;
    }
    draft *d = w->d;
    size_t max = d->opts->max_tasks;
    size_t before = d->ntasks, reported = w->dg->count;
    yr_event k, v;
    while (next_key(w, &k, "in 'tasks'") > 0) {
        if (max && d->ntasks >= max) {
            say(w, SYM_ELIMIT, k.line, k.column,
                "more than %zu tasks (load option max_tasks)", max);
            w->stop = true;
            return;
        }
        draft_task *t = sym__draft_add_task(d, k.value, k.length);
        if (!t) {
            out_of_memory(w);
            return;
        }
        t->pos = pos_of(&k);
        if (next(w, &v))
            read_task(w, &v, t);
    }
    if (!w->stop && d->ntasks == before && w->dg->count == reported)
        SAY_AT(w, ev, "'tasks' has no tasks (a workflow needs at least one)");
}

/* ------------------------------------------------------------------------ */
/* The top level                                                             */
/* ------------------------------------------------------------------------ */

static void read_params(walker *w, const yr_event *ev)
{
    static const char where[] = "in 'params'";
    if (!begin_named_map(w, ev, "params", "at the top level",
                         "a mapping of param names to default values", true))
        return;
    value_entry *entries = NULL;
    size_t n = 0, cap = 0;
    yr_event k, v;
    while (next_key(w, &k, where) > 0) {
        const char *key;
        if (!sym__name_is_identifier(k.value) || strlen(k.value) != k.length) {
            shown sh;
            SAY_AT(w, &k,
                   "param name '%s' is not valid (letters, digits and '_', not starting with a "
                   "digit)",
                   clip_ev(&k, &sh));
            skip_value(w);
            continue;
        }
        if (!new_named_key(w, &k, where, NULL, &key) || !next(w, &v))
            continue;
        sym_value *val = read_value(w, &v);
        if (!val)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            value_entry *p = realloc(entries, ncap * sizeof *p);
            if (!p) {
                out_of_memory(w);
                break;
            }
            entries = p;
            cap = ncap;
        }
        entries[n].key = (char *)key;
        entries[n++].value = *val;
    }
    sym_value *map = sym__arena_alloc(&w->d->arena, sizeof *map);
    value_entry *kept = n ? sym__arena_alloc(&w->d->arena, n * sizeof *kept) : NULL;
    if (!map || (n && !kept)) {
        out_of_memory(w);
    } else {
        memset(map, 0, sizeof *map);
        map->type = SYM_VALUE_MAP;
        map->n = (uint32_t)n;
        map->u.entries = kept;
        if (n)
            memcpy(kept, entries, n * sizeof *kept);
        w->d->params = map;
    }
    free(entries);
}

static void read_limit(walker *w, const yr_event *ev, const char *worker, draft_pos pos)
{
    shown sh;
    char in[112];
    snprintf(in, sizeof in, "in worker '%s'", clip(worker, strlen(worker), sh.buf, sizeof sh.buf));
    if (ev->kind != YR_MAP_START) {
        wrong(w, ev, worker, "in 'workers'", "a mapping such as {concurrency: 2}");
        return;
    }
    seen_keys seen = {0};
    draft_limit limit = {worker, 0, pos};
    bool ok = false;
    yr_event k, v;
    uint64_t n;
    while (next_key(w, &k, in) > 0) {
        if (known_key(w, &k, limit_keys, 1, &seen, in) >= 0 && next(w, &v) &&
            get_count(w, &v, "concurrency", in, UINT32_MAX, &n)) {
            limit.concurrency = (unsigned)n;
            ok = true;
        }
    }
    if (w->stop)
        return;
    if (missing(&seen, 0))
        SAY_AT(w, ev, "worker '%s' in 'workers' has no 'concurrency'", sh.buf);
    else if (ok && seen.at[0].line && sym__draft_add_limit(w->d, &limit) != SYM_OK)
        out_of_memory(w);
}

static void read_workers(walker *w, const yr_event *ev)
{
    static const char where[] = "in 'workers'";
    if (!begin_named_map(w, ev, "workers", "at the top level",
                         "a mapping of worker names to settings", true))
        return;
    yr_event k, v;
    while (next_key(w, &k, where) > 0) {
        const char *name, *key;
        int ok = text_of(w, &k);
        if (ok == 0) {
            shown sh;
            SAY_AT(w, &k, "worker name %s in 'workers' must be a string", what(&k, &sh));
        }
        if (ok <= 0) {
            skip_value(w);
            continue;
        }
        draft_pos pos = pos_of(&k);
        if ((name = intern(w, &k)) && new_named_key(w, &k, where, name, &key) && next(w, &v))
            read_limit(w, &v, name, pos);
    }
}

/* The format version: only 1 is read. Returns false for a later version,
 * whose keys this library cannot judge. */
static bool read_version(walker *w, const yr_event *ev)
{
    int64_t version;
    if (!get_int(w, ev, &version)) {
        wrong(w, ev, "symphony", "at the top level", "the format version, 1");
        return true;
    }
    if (version == 1)
        return true;
    SAY_AT(w, ev, "unsupported format version %" PRId64 " (this library reads version 1)",
           version);
    return false;
}

static const char *top_text(walker *w, const yr_event *ev, const char *key)
{
    int ok = text_of(w, ev);
    if (ok == 0)
        wrong(w, ev, key, "at the top level", "a string");
    if (ok <= 0)
        return NULL;
    const char *s = sym__arena_strndup(&w->d->arena, ev->value, ev->length);
    if (!s)
        out_of_memory(w);
    return s;
}

static void read_top_key(walker *w, int key, const yr_event *v)
{
    static const char top[] = "at the top level";
    draft *d = w->d;
    uint64_t n;
    switch (key) {
    case TOP_SYMPHONY:
        if (!read_version(w, v))
            w->stop = true; /* the rest is in a format this library does not read */
        break;
    case TOP_NAME:
        if ((d->name = top_text(w, v, "name")))
            d->name_pos = pos_of(v);
        break;
    case TOP_DESCRIPTION:
        d->description = top_text(w, v, "description");
        break;
    case TOP_PARAMS:
        read_params(w, v);
        break;
    case TOP_DEFAULTS:
        read_defaults(w, v);
        break;
    case TOP_CONCURRENCY:
        if (get_count(w, v, "concurrency", top, UINT32_MAX, &n))
            d->concurrency = (unsigned)n;
        break;
    case TOP_DEADLINE:
        get_duration(w, v, "deadline", top, &d->deadline_ms);
        break;
    case TOP_FAIL_FAST:
        get_bool(w, v, "fail_fast", top, &d->fail_fast);
        break;
    case TOP_WORKERS:
        read_workers(w, v);
        break;
    case TOP_TASKS:
        read_tasks(w, v);
        break;
    }
}

static void read_top(walker *w, const yr_event *root)
{
    static const char top[] = "at the top level";
    seen_keys seen = {0};
    yr_event k, v;
    while (next_key(w, &k, top) > 0) {
        int key = known_key(w, &k, top_keys, TOP_COUNT, &seen, top);
        if (key >= 0 && next(w, &v))
            read_top_key(w, key, &v);
    }
    if (w->stop)
        return;
    if (missing(&seen, TOP_SYMPHONY))
        SAY_AT(w, root, "missing key 'symphony' (the format version: add 'symphony: 1')");
    if (missing(&seen, TOP_NAME) && !w->stop)
        SAY_AT(w, root, "missing key 'name' (the workflow's name)");
    if (missing(&seen, TOP_TASKS) && !w->stop)
        SAY_AT(w, root, "missing key 'tasks' (a mapping of task ids to tasks)");
}

/* After errors: a valid name where the schema refused a required one, so
 * compile, checking the rest, does not report the same gap again. */
static void stand_in(draft *d)
{
    static const char placeholder[] = "refused";
    if (!d->name)
        d->name = placeholder;
    for (size_t i = 0; i < d->ntasks; i++)
        if (!d->tasks[i].worker)
            d->tasks[i].worker = placeholder;
}

int sym__schema_read(yreader *r, draft *d, bool *checkable)
{
    walker w = {.r = r, .d = d, .dg = d->diag};
    size_t before = d->diag->count;
    yr_event root;
    if (next(&w, &root)) {
        if (root.kind == YR_MAP_START) {
            read_top(&w, &root);
        } else {
            shown sh;
            SAY_AT(&w, &root,
                   "a workflow must be a mapping with 'symphony', 'name' and 'tasks', not %s",
                   what(&root, &sh));
            skip(&w, &root);
        }
        /* Pulling past the root lets the reader refuse a second document. */
        yr_event end;
        if (!w.stop)
            next(&w, &end);
    }
    strset_free(&w.workers);
    strset_free(&w.keys);
    sym__mem_big_free(w.leaves);
    bool whole = w.ended && !sym__diag_full(d->diag) && d->ntasks > 0;
    if (checkable)
        *checkable = whole;
    if (d->diag->count == before)
        return SYM_OK;
    if (whole)
        stand_in(d);
    return d->diag->first != SYM_OK ? d->diag->first : SYM_ESCHEMA;
}

int sym_duration_parse(const char *text, size_t len, int64_t *ms)
{
    int64_t v;
    if (!text || !ms || sym__schema_parse_duration(text, len, &v) != SCHEMA_DURATION_OK)
        return SYM_EINVAL;
    *ms = v;
    return SYM_OK;
}
