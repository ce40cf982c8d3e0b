/* common.h - what lib/common offers the other folders of lib/ (expr, load,
 * engine), which include this header rather than its parts. Nothing here
 * knows of workflows, expressions or runs.
 *
 *   arena.h      bump allocation for data that lives and dies together
 *   bigmem.h     big arrays in mappings of their own, kept for reuse
 *   strbuf.h     a growable string (JSON, DOT, reports) and sym__str_printf
 *   error.h      sym_error's internals and the load-time diagnostic sink
 *   value.h      sym_value's layout (owned and arena values)
 *   names.h      the name grammars of the format and "did you mean"
 *   hash.h       the one string hash every table of the library uses
 *   ids.h        the task id index (id -> task index)
 *   abi.h        checking the versions of caller-allocated structs
 *   invariant.h  SYM_ASSERT, on in test builds */
#ifndef SYM_COMMON_H
#define SYM_COMMON_H

#include "abi.h"
#include "arena.h"
#include "bigmem.h"
#include "error.h"
#include "hash.h"
#include "ids.h"
#include "invariant.h"
#include "names.h"
#include "strbuf.h"
#include "value.h"

#endif
