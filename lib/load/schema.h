/* schema.h - the YAML schema of a workflow file (docs/workflow-format.md): walks the
 * reader's events for one document and fills a draft, reporting every
 * problem of shape (unknown or repeated keys, wrong types, bad durations and
 * names of enumerations) at the node at fault. What needs the whole file
 * (ids, references, cycles, name grammar, matrix expansion) is compile's. */
#ifndef SYM_SCHEMA_H
#define SYM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "draft.h"
#include "yreader.h"

/* Reads the document of r into d, reporting to d->diag. Every error of the
 * file is reported (not only the first) until the diag is full or the
 * reader fails. Returns SYM_OK when nothing was reported while reading (by
 * the reader or by the schema), else the code of the diag's first error.
 *
 * *checkable (when not NULL) says whether d may still go through
 * sym__draft_compile after errors, so that a file's reference, name and cycle
 * errors are reported beside its shape errors: the whole document was read
 * (no syntax error, limit, unsupported version or full diag), it has
 * tasks, and a required value the schema refused (a task's worker, the
 * name) was replaced by a valid stand-in so compile does not report it a
 * second time. Such a draft never yields a workflow the host sees. */
int sym__schema_read(yreader *r, draft *d, bool *checkable);

typedef enum schema_duration_status {
    SCHEMA_DURATION_OK = 0,
    SCHEMA_DURATION_NO_UNIT,   /* "30" */
    SCHEMA_DURATION_BAD_UNIT,  /* "30sec", "30 s" */
    SCHEMA_DURATION_NEGATIVE,  /* "-5s" */
    SCHEMA_DURATION_TOO_LONG,  /* past SCHEMA_DURATION_MAX_MS */
    SCHEMA_DURATION_INEXACT,   /* "1.5ms", "1.0001s": not whole milliseconds */
    SCHEMA_DURATION_MALFORMED  /* anything else: "", "s", ".5s", "abc" */
} schema_duration_status;

/* The longest duration (draft.h): files and the builder API share it. */
#define SCHEMA_DURATION_MAX_MS DRAFT_DURATION_MAX_MS

/* Parses the n bytes at s as a duration: digits, an optional fraction, and
 * a unit of ms, s, m or h ("250ms", "10s", "1.5m", "2h"). A fraction is
 * allowed where it comes to whole milliseconds (1.5s, 0.25m; not 1.5ms or
 * 1.0005s), so a duration is always an exact count of milliseconds. On
 * SCHEMA_DURATION_OK *ms is set. */
schema_duration_status sym__schema_parse_duration(const char *s, size_t n, int64_t *ms);

#endif
