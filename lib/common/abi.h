/* abi.h - the versioned public structs (see "Versioned structs" in
 * symphony.h): the version check every function that takes one makes, and
 * reading or writing only the fields of the caller's version. */
#ifndef SYM_ABI_H
#define SYM_ABI_H

#include <stdbool.h>
#include <stddef.h>

#include "symphony.h"

typedef enum abi_type {
    ABI_LOAD_OPTIONS,
    ABI_RETRY_POLICY,
    ABI_TASK_POLICY,
    ABI_TASK_INFO,
    ABI_EVENT,
    ABI_ENGINE_CONFIG,
    ABI_WORKER_OPTIONS,
    ABI_RUN_OPTIONS,
    ABI_TASK_RESULT,
    ABI_METRICS,
    ABI_WORKER_METRICS,
    ABI_TYPE_COUNT
} abi_type;

/* True when v is a version of t this library knows: 1 to its SYM_X_VERSION. */
bool sym__abi_known(abi_type t, unsigned v);
/* The size of version v of t (v known). */
size_t sym__abi_size(abi_type t, unsigned v);
/* Writes "fn: sym_x has version v, which this library does not know ..."
 * into buf. */
void sym__abi_message(char *buf, size_t cap, const char *fn, abi_type t, unsigned v);
/* Adds that message to err (may be NULL) and returns SYM_EINVAL. */
int sym__abi_refuse(sym_error *err, const char *fn, abi_type t, unsigned v);
/* *dst (the newest version of t, holding defaults) takes the fields that
 * src's version has; src's version must be known. */
void sym__abi_read(abi_type t, void *dst, const void *src);
/* *dst (of a known version) takes the fields of its version from src (the
 * newest version of t), keeping its version field. */
void sym__abi_write(abi_type t, void *dst, const void *src);

#endif
