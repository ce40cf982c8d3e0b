/* yreader.h - a pull cursor over libyaml's events for one document, with the
 * untrusted-input limits enforced while reading (not after): file size,
 * nesting depth at every start event, total nodes after alias expansion,
 * scalar size, UTF-8 only, one document only. Aliases are expanded by
 * replaying the events recorded for their anchor, so the consumer never
 * sees an alias and the alias budget counts the work an expansion does.
 * Merge keys (<<) and tags other than the YAML core tags are refused.
 *
 * Every problem is reported to the diag with line and column; after a
 * fatal one (syntax error, limit) sym__yr_next keeps returning YR_ERROR. */
#ifndef SYM_YREADER_H
#define SYM_YREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "symphony.h"

typedef enum yr_kind {
    YR_SCALAR,
    YR_SEQ_START,
    YR_SEQ_END,
    YR_MAP_START,
    YR_MAP_END,
    YR_END,  /* the document ended (and nothing follows it) */
    YR_ERROR /* reported to the diag; the reader is finished */
} yr_kind;

/* The YAML core tags a node may carry explicitly. */
typedef enum yr_tag { YR_TAG_NONE, YR_TAG_STR, YR_TAG_INT, YR_TAG_FLOAT, YR_TAG_BOOL,
                      YR_TAG_NULL, YR_TAG_SEQ, YR_TAG_MAP } yr_tag;

typedef struct yr_event {
    yr_kind kind;
    uint32_t line, column; /* 1-based start of the node */
    const char *value;     /* scalars: NUL-terminated bytes, valid until the next sym__yr_next */
    size_t length;
    bool plain;            /* scalars: unquoted, so it may resolve to null/bool/number */
    yr_tag tag;
} yr_event;

typedef struct yreader yreader;

/* Opens a reader over len bytes at data (not copied: they must outlive the
 * reader). opts may be NULL for the defaults. Returns SYM_OK, SYM_ENOMEM, or
 * SYM_ELIMIT when the input is over max_file_bytes (reported to d). */
int sym__yr_open(yreader **out, const char *data, size_t len, const sym_load_options *opts,
                 diag *d);
/* The next event. The document's root node comes first; YR_END after it. */
yr_kind sym__yr_next(yreader *r, yr_event *ev);
/* Skips the rest of the node whose start event was just returned (nothing
 * to do for a scalar). Returns false when the reader failed meanwhile. */
bool sym__yr_skip(yreader *r, const yr_event *start);
void sym__yr_close(yreader *r);

/* The core-schema meaning of a scalar (YAML 1.2: null, true/false, ints in
 * decimal/0x/0o, floats, .inf, .nan; everything else, and every non-plain
 * scalar, is a string), honouring an explicit tag. SYM_OK with *v set
 * (strings copied into a), SYM_ETYPE when a tag contradicts the text
 * (`!!int abc`), SYM_ENOMEM. */
struct sym_value;
struct arena;
int sym__yr_scalar_value(const yr_event *ev, struct sym_value *v, struct arena *a);

/* Reads a whole node (its start event just returned in `start`) as a value
 * into *v, copying everything into a. Duplicate keys in a map are reported
 * to d and the node is still consumed. Returns SYM_OK or the first error. */
int sym__yr_read_value(yreader *r, const yr_event *start, struct sym_value *v, struct arena *a);

/* From now on sym__yr_read_value calls fn(ctx, v, ev) for each string it reads
 * as a value (not as a key), ev being its scalar event: v->u.s is where the
 * string's bytes stay in the value read, so the caller can tell where each
 * leaf was written. fn NULL: no calls. */
typedef void (*yr_string_fn)(void *ctx, const struct sym_value *v, const yr_event *ev);
void sym__yr_on_string(yreader *r, yr_string_fn fn, void *ctx);

#endif
