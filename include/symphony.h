/*
 * symphony.h - the public API of libsymphony, an embeddable orchestration
 * library: load a workflow (YAML or built in code) into an immutable DAG,
 * register worker callbacks by name, and execute runs of the DAG on the
 * engine's thread pool.
 *
 * Conventions (they hold for every function below unless its comment says
 * otherwise):
 *
 *  - Fallible functions return int: SYM_OK (0) or a negative SYM_E* code.
 *    Where a function takes a `sym_error *err`, it may be NULL; when it is
 *    not, the function appends every problem it found to it (see sym_error).
 *  - Pointers returned as `const` are borrowed: they stay valid for as long
 *    as the object they came from, unless the comment says otherwise.
 *    `char *` results are owned by the caller and freed with sym_free().
 *  - Each *_new / *_load has exactly one *_free; *_free(NULL) does nothing.
 *  - The library never prints, never exits and has no global mutable state.
 *  - Thread safety: a sym_workflow is immutable and may be used by any
 *    number of threads and runs at once. sym_engine and sym_run functions
 *    may be called from any thread. sym_builder, sym_value (when mutable)
 *    and sym_error objects are not synchronised: one thread at a time.
 *    A sym_task pointer is valid only inside the worker callback that got it.
 */
#ifndef SYMPHONY_H
#define SYMPHONY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SYM_BUILDING_LIBRARY) && defined(__GNUC__)
#define SYM_API __attribute__((visibility("default")))
#else
#define SYM_API
#endif

#if defined(__GNUC__)
#define SYM_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define SYM_PRINTF(fmt_index, first_arg)
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define SYM_VERSION_MAJOR 0
#define SYM_VERSION_MINOR 1
#define SYM_VERSION_PATCH 0
#define SYM_VERSION_STRING "0.1.0"
/* MAJOR*10000 + MINOR*100 + PATCH, comparable with SYM_VERSION_NUMBER. */
#define SYM_VERSION_NUMBER (SYM_VERSION_MAJOR * 10000 + SYM_VERSION_MINOR * 100 + SYM_VERSION_PATCH)

/* The version of the library linked at run time, e.g. "0.1.0". Static
 * string; any thread. */
SYM_API const char *sym_version(void);
/* The same as a number (see SYM_VERSION_NUMBER). Any thread. */
SYM_API unsigned sym_version_number(void);

/* Big arrays (2 MiB and up: a builder's, workflow's or run's of some
 * 100,000 tasks or more) are mappings of their own. When freed, they stay
 * mapped, up to 256 MiB for the whole process, for the next big array to
 * reuse: fresh pages cost a fault and the kernel's clearing, several ns per
 * task at a million tasks (docs/engine.md, "Memory"). This unmaps what is
 * kept and returns how many bytes that was; arrays still in use are not
 * touched. Any thread, at any time. */
SYM_API size_t sym_release_memory(void);

/* ------------------------------------------------------------------------ */
/* Result codes and errors                                                   */
/* ------------------------------------------------------------------------ */

enum {
    SYM_OK = 0,
    SYM_EINVAL = -1,     /* an argument is invalid (NULL, out of range, bad name) */
    SYM_ENOMEM = -2,     /* out of memory */
    SYM_EIO = -3,        /* a file could not be read or written */
    SYM_ESYNTAX = -4,    /* the input is not well-formed YAML */
    SYM_ESCHEMA = -5,    /* the input is YAML, but not a valid workflow */
    SYM_ELIMIT = -6,     /* an input limit (size, depth, nodes, tasks...) was hit */
    SYM_ENOTFOUND = -7,  /* no such task, worker, key or path */
    SYM_EEXIST = -8,     /* the name is already taken */
    SYM_ECYCLE = -9,     /* the dependencies form a cycle */
    SYM_ESTATE = -10,    /* the object is not in a state that allows the call */
    SYM_ETIMEDOUT = -11, /* the wait ended before the awaited event */
    SYM_ECANCELED = -12, /* the operation was cancelled */
    SYM_ENOWORKER = -13, /* a worker the workflow needs is not registered */
    SYM_ETOOBIG = -14,   /* a value exceeds its size limit */
    SYM_EFAILED = -15,   /* a task failed (returned by sym_task_fail) */
    SYM_ETYPE = -16      /* a value is not of the type asked for */
};

/* A static, human-readable description of a SYM_* code ("out of memory").
 * Unknown codes give "unknown error". Any thread. */
SYM_API const char *sym_strerror(int code);

/* Frees memory the library returned as `char *` (JSON, DOT, reports).
 * sym_free(NULL) does nothing. Any thread. */
SYM_API void sym_free(void *ptr);

/*
 * sym_error: a list of diagnostics. Functions that take one append every
 * problem they find (a workflow file reports all its errors, not only the
 * first), so one object can collect the errors of several calls; use
 * sym_error_clear() to reuse it. Each entry has a code, a message, and
 * where one applies, the file name and a 1-based line and column.
 * Owned by the caller; not thread-safe.
 */
typedef struct sym_error sym_error;

/* A new, empty list, or NULL when out of memory. Free with sym_error_free. */
SYM_API sym_error *sym_error_new(void);
SYM_API void sym_error_free(sym_error *err);
/* Removes every entry. */
SYM_API void sym_error_clear(sym_error *err);
/* The number of entries kept. */
SYM_API size_t sym_error_count(const sym_error *err);
/* How many errors were reported to this list but not kept (memory ran out
 * while recording them). A load stops looking once it has reported
 * max_errors (see sym_load_options), so a count equal to that limit means
 * the file may hold more. */
SYM_API size_t sym_error_dropped(const sym_error *err);
/* Entry i's code (SYM_E*), or SYM_OK when i is out of range. */
SYM_API int sym_error_code(const sym_error *err, size_t i);
/* Entry i's message without position ("unknown key 'need' in task 'load'
 * (did you mean 'needs'?)"), or NULL when i is out of range. Borrowed:
 * valid until the list is cleared or freed. */
SYM_API const char *sym_error_message(const sym_error *err, size_t i);
/* Entry i's file (or buffer) name, NULL when none applies. Borrowed. */
SYM_API const char *sym_error_file(const sym_error *err, size_t i);
/* Entry i's 1-based line and column; 0 when no position applies. */
SYM_API unsigned sym_error_line(const sym_error *err, size_t i);
SYM_API unsigned sym_error_column(const sym_error *err, size_t i);
/* Entry i formatted as "FILE:LINE:COLUMN: message", "FILE: message" or
 * "message", as the position allows. Borrowed, like the message. */
SYM_API const char *sym_error_text(const sym_error *err, size_t i);

/* ------------------------------------------------------------------------ */
/* Versioned structs (the ABI)                                               */
/* ------------------------------------------------------------------------ */

/*
 * Every struct that a caller allocates and the library reads or fills
 * (options, configs, policies, results, infos, metrics) starts with
 * `unsigned version`, in the manner of libgit2's option structs:
 *
 *  - sym_X_init(&x) (an inline wrapper of sym_X_init_version(&x,
 *    SYM_X_VERSION)) or `sym_X x = SYM_X_INIT;` sets the version of the
 *    header compiled against, and the defaults. Always start from one of
 *    them: a struct left at 0 has version 0, which no library accepts.
 *  - Every function that takes such a struct checks its version first:
 *    one the library does not know (0, or newer than the library) gives
 *    SYM_EINVAL, with a message where the function takes a sym_error. A
 *    library accepts every version up to its own and reads or writes only
 *    the fields that version has, so a program built against an older
 *    header keeps working with a newer library.
 *  - Fields are only ever added at the end, with a new SYM_X_VERSION. No
 *    layout depends on a count that may grow (see sym_metrics.tasks and
 *    sym_worker_metrics.name). A NULL options pointer means the defaults.
 *  - sym_event is made by the library; its version says which fields an
 *    observer may read (all of its header's when event->version >= its
 *    SYM_EVENT_VERSION).
 *
 * A binding that mirrors these structs (ctypes, cffi, a Rust -sys crate)
 * checks its mirrors against the library it loaded with the calls below,
 * and passes its mirror's version to the sym_X_init_version functions:
 * they never write more than that version's size.
 */

/* The struct names the calls below know ("sym_load_options", ...): name i,
 * or NULL past the last. Static; any thread. */
SYM_API const char *sym_abi_struct(size_t i);
/* The name of field i of struct `type` in declaration order ("version",
 * "max_file_bytes", ...), or NULL past the last or for an unknown type.
 * A nested struct is one field (sym_task_policy's "retry"). Static. */
SYM_API const char *sym_abi_field(const char *type, size_t i);
/* The newest version of struct `type` this library knows (its
 * SYM_X_VERSION; 1 for sym_retry_policy, which has no version field of its
 * own and a frozen layout), or 0 for an unknown type. */
SYM_API unsigned sym_abi_version(const char *type);
/* sizeof(type) when field is NULL, else the size of that field; 0 for an
 * unknown type or field. Sizes are those of the library's newest version. */
SYM_API size_t sym_abi_sizeof(const char *type, const char *field);
/* offsetof(type, field), or (size_t)-1 for an unknown type or field. */
SYM_API size_t sym_abi_offsetof(const char *type, const char *field);

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * sym_value: a JSON-like value tree (null, bool, integer, float, string,
 * list, map with string keys in insertion order). Task inputs, params and
 * outputs are values. Values owned by a workflow or a run are read-only and
 * borrowed; values made with sym_value_new_* are owned by the caller until
 * handed to a function that says it takes ownership.
 */
typedef struct sym_value sym_value;

typedef enum sym_value_type {
    SYM_VALUE_NULL = 0,
    SYM_VALUE_BOOL,
    SYM_VALUE_INT,
    SYM_VALUE_FLOAT,
    SYM_VALUE_STRING,
    SYM_VALUE_LIST,
    SYM_VALUE_MAP
} sym_value_type;

/* The type of v; SYM_VALUE_NULL when v is NULL. */
SYM_API sym_value_type sym_value_type_of(const sym_value *v);
/* "null", "bool", "int", "float", "string", "list", "map". Static. */
SYM_API const char *sym_value_type_name(sym_value_type type);

/* Typed getters: SYM_OK and *out set, or SYM_ETYPE when v is not of that
 * type (SYM_EINVAL when v or out is NULL). get_float also accepts ints. */
SYM_API int sym_value_get_bool(const sym_value *v, bool *out);
SYM_API int sym_value_get_int(const sym_value *v, int64_t *out);
SYM_API int sym_value_get_float(const sym_value *v, double *out);
/* The string's bytes (NUL-terminated; *len, when not NULL, gets the length
 * in bytes), or NULL when v is not a string. Borrowed from v. */
SYM_API const char *sym_value_string(const sym_value *v, size_t *len);
/* The number of elements of a list or entries of a map; 0 otherwise. */
SYM_API size_t sym_value_count(const sym_value *v);
/* Element i of a list, or the value of entry i of a map; NULL when out of
 * range or v is neither. Borrowed from v. */
SYM_API const sym_value *sym_value_at(const sym_value *v, size_t i);
/* The key of entry i of a map; NULL otherwise. Borrowed from v. */
SYM_API const char *sym_value_key_at(const sym_value *v, size_t i);
/* The value under key in a map; NULL when absent or v is not a map. */
SYM_API const sym_value *sym_value_get(const sym_value *v, const char *key);
/* Follows a path of map keys and list indices from v: "opts.retries",
 * "items[2]", "a.b[0].c". NULL when any step is missing or the path is
 * malformed. Borrowed from v. */
SYM_API const sym_value *sym_value_path(const sym_value *v, const char *path);
/* v as compact JSON (UTF-8; floats that are not finite become null). Owned:
 * free with sym_free. NULL when out of memory. */
SYM_API char *sym_value_to_json(const sym_value *v);
/* True when a and b have the same type and contents (map order matters
 * not; 1 and 1.0 are not equal). */
SYM_API bool sym_value_equal(const sym_value *a, const sym_value *b);

/* Constructors: a new owned value, or NULL when out of memory (or, for the
 * string ones, when s is NULL or not valid UTF-8). Free with sym_value_free
 * unless ownership is handed on. */
SYM_API sym_value *sym_value_new_null(void);
SYM_API sym_value *sym_value_new_bool(bool b);
SYM_API sym_value *sym_value_new_int(int64_t i);
SYM_API sym_value *sym_value_new_float(double f);
SYM_API sym_value *sym_value_new_string(const char *s);
SYM_API sym_value *sym_value_new_stringn(const char *s, size_t len);
SYM_API sym_value *sym_value_new_list(void);
SYM_API sym_value *sym_value_new_map(void);
/* A deep, owned copy of v (NULL when out of memory or v is NULL). */
SYM_API sym_value *sym_value_copy(const sym_value *v);
/* Appends item to a list made by sym_value_new_list. Takes ownership of
 * item in every case (it is freed on failure). SYM_EINVAL when list is not
 * an owned list. */
SYM_API int sym_value_list_append(sym_value *list, sym_value *item);
/* Sets key to item in a map made by sym_value_new_map, replacing (and
 * freeing) any earlier value under key. Takes ownership of item in every
 * case. */
SYM_API int sym_value_map_set(sym_value *map, const char *key, sym_value *item);
/* Parses text as one YAML value (a scalar such as `42`, `true`, `hello`, or a
 * flow value such as `[1, 2]`, `{a: b}`; JSON is YAML) into a new owned
 * value in *out. Errors go to err with the name "<value>". */
SYM_API int sym_value_parse(const char *text, size_t len, sym_value **out, sym_error *err);
/* Frees an owned value and everything in it. Values borrowed from a
 * workflow or run must not be passed here. */
SYM_API void sym_value_free(sym_value *v);

/* ------------------------------------------------------------------------ */
/* Policies                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum sym_backoff {
    SYM_BACKOFF_FIXED = 0,  /* every wait is `delay` */
    SYM_BACKOFF_LINEAR,     /* wait n is n * delay */
    SYM_BACKOFF_EXPONENTIAL /* wait n is delay * 2^(n-1) */
} sym_backoff;

/* What is retried (bit flags for sym_retry_policy.retry_on). */
enum { SYM_RETRY_ON_ERROR = 1u << 0, SYM_RETRY_ON_TIMEOUT = 1u << 1 };

/* Only ever part of sym_task_policy, whose version covers it. Its layout is
 * frozen: new retry settings go at the end of sym_task_policy. */
typedef struct sym_retry_policy {
    uint32_t attempts;    /* all tries, first included; 1 = no retry */
    sym_backoff backoff;  /* how the wait grows between tries */
    int64_t delay_ms;     /* the first wait */
    int64_t max_delay_ms; /* cap on any wait; 0 = no cap */
    bool jitter;          /* each wait drawn uniformly from [0, wait] */
    unsigned retry_on;    /* SYM_RETRY_ON_* flags */
} sym_retry_policy;

/* When a task runs, decided once every dependency is final. */
typedef enum sym_trigger {
    SYM_TRIGGER_ALL_SUCCESS = 0,
    SYM_TRIGGER_ALL_DONE,
    SYM_TRIGGER_ALL_FAILED,
    SYM_TRIGGER_ONE_FAILED,
    SYM_TRIGGER_ONE_SUCCESS,
    SYM_TRIGGER_NONE_FAILED
} sym_trigger;

/* "all_success", "all_done", ... as in the workflow format. Static; NULL
 * for an unknown value. */
SYM_API const char *sym_trigger_name(sym_trigger trigger);
/* "fixed", "linear", "exponential". Static; NULL for an unknown value. */
SYM_API const char *sym_backoff_name(sym_backoff backoff);
/* Parses the len bytes at text as a duration of the workflow format ("250ms",
 * "10s", "1.5m", "2h": a unit is required, at most 876000h, a whole number
 * of milliseconds) into *ms. SYM_OK, or SYM_EINVAL (and *ms untouched) for
 * anything else. For workers that take durations as inputs. Any thread. */
SYM_API int sym_duration_parse(const char *text, size_t len, int64_t *ms);

typedef struct sym_task_policy {
    unsigned version;       /* SYM_TASK_POLICY_VERSION */
    int64_t timeout_ms;     /* per attempt; 0 = none */
    sym_retry_policy retry; /* retries */
    sym_trigger trigger;    /* trigger rule */
    bool continue_on_error; /* a final failure does not fail the run */
} sym_task_policy;

#define SYM_TASK_POLICY_VERSION 1
/* The format's defaults: one attempt; when retries are turned on,
 * exponential backoff from 1s capped at 5m, no jitter, retry_on error and
 * timeout; no timeout; trigger all_success; continue_on_error false. */
#define SYM_TASK_POLICY_INIT                                                                  \
    {SYM_TASK_POLICY_VERSION,                                                                 \
     0,                                                                                       \
     {1, SYM_BACKOFF_EXPONENTIAL, 1000, 300000, false,                                        \
      SYM_RETRY_ON_ERROR | SYM_RETRY_ON_TIMEOUT},                                             \
     SYM_TRIGGER_ALL_SUCCESS,                                                                 \
     false}

/* Fills the fields of version `version` of *p with the defaults above and
 * sets p->version: SYM_OK, or SYM_EINVAL (nothing written) for a NULL p or
 * a version this library does not know. Use sym_task_policy_init. */
SYM_API int sym_task_policy_init_version(sym_task_policy *p, unsigned version);
static inline int sym_task_policy_init(sym_task_policy *p)
{
    return sym_task_policy_init_version(p, SYM_TASK_POLICY_VERSION);
}

/* ------------------------------------------------------------------------ */
/* Workflows                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * sym_workflow: a validated, immutable DAG. Tasks are numbered 0..n-1 in a
 * topological order (every task comes after all of its dependencies; ties
 * keep the order of the file). Safe to share between threads and runs; a
 * run keeps its workflow alive, so sym_workflow_free may be called while
 * runs of it are still going.
 */
typedef struct sym_workflow sym_workflow;

/* Limits for untrusted input; 0 in a field means "no limit" except where
 * said. Initialise with sym_load_options_init or SYM_LOAD_OPTIONS_INIT.
 * Memory: a load's peak stays under 20 times the file's size, plus about
 * 64 bytes per max_alias_nodes and 250 per task a matrix makes, so
 * max_file_bytes, max_alias_nodes and max_tasks bound it. */
typedef struct sym_load_options {
    unsigned version;         /* SYM_LOAD_OPTIONS_VERSION */
    size_t max_file_bytes;    /* default 64 MiB */
    size_t max_depth;         /* nesting of collections; default 64 */
    size_t max_nodes;         /* YAML nodes after alias expansion; default 10,000,000 */
    size_t max_alias_nodes;   /* of them, nodes made by expanding aliases; default
                                 1,000,000 (stops "billion laughs" early). A string
                                 counts a node per 16 bytes, a ${{ }} template 8
                                 and one per 2 bytes; what anchors hold is held to
                                 it too */
    size_t max_scalar_bytes;  /* default 1 MiB */
    size_t max_tasks;         /* after matrix expansion; default 1,000,000 */
    size_t max_matrix;        /* instances of one matrix task; default 10,000 */
    size_t max_errors;        /* errors kept per load before stopping; default 100 */
} sym_load_options;

#define SYM_LOAD_OPTIONS_VERSION 1
/* The defaults above. */
#define SYM_LOAD_OPTIONS_INIT                                                                 \
    {SYM_LOAD_OPTIONS_VERSION, (size_t)64 << 20, 64, 10000000, 1000000, (size_t)1 << 20,      \
     1000000, 10000, 100}

/* Fills the fields of version `version` of *opts with the defaults and
 * sets opts->version: SYM_OK, or SYM_EINVAL (nothing written) for a NULL
 * opts or an unknown version. Use sym_load_options_init. */
SYM_API int sym_load_options_init_version(sym_load_options *opts, unsigned version);
static inline int sym_load_options_init(sym_load_options *opts)
{
    return sym_load_options_init_version(opts, SYM_LOAD_OPTIONS_VERSION);
}

/* Loads and validates the workflow file at path. On SYM_OK, *out is a new
 * workflow (free with sym_workflow_free). Otherwise *out is NULL, the code
 * is that of the first error, and err (when given) holds every error found,
 * each with the path, line and column. opts may be NULL for the defaults;
 * an unknown opts->version gives SYM_EINVAL. Only a regular file is read: a
 * FIFO, device, socket or directory is refused (SYM_EIO) without blocking.
 * Any thread. */
SYM_API int sym_workflow_load_file(const char *path, const sym_load_options *opts,
                                   sym_workflow **out, sym_error *err);
/* The same from len bytes at data; name is used in messages ("<memory>"
 * when NULL). The bytes are not kept. */
SYM_API int sym_workflow_load_buffer(const char *data, size_t len, const char *name,
                                     const sym_load_options *opts, sym_workflow **out,
                                     sym_error *err);
/* Drops the caller's reference; the memory goes when no run uses it. */
SYM_API void sym_workflow_free(sym_workflow *wf);

/* Borrowed strings of the workflow: its name, description (NULL when none)
 * and source (the file or buffer name, "<builder>" when built in code). */
SYM_API const char *sym_workflow_name(const sym_workflow *wf);
SYM_API const char *sym_workflow_description(const sym_workflow *wf);
SYM_API const char *sym_workflow_source(const sym_workflow *wf);
/* The declared params with their defaults: a map (never NULL). */
SYM_API const sym_value *sym_workflow_params(const sym_workflow *wf);
/* Most tasks of one run in flight; 0 = no limit beyond the pool. */
SYM_API unsigned sym_workflow_concurrency(const sym_workflow *wf);
/* The whole-run time limit in ms; 0 = none. */
SYM_API int64_t sym_workflow_deadline_ms(const sym_workflow *wf);
SYM_API bool sym_workflow_fail_fast(const sym_workflow *wf);
/* The `workers:` limits: their count, and entry i's name and concurrency.
 * sym_workflow_worker_limit returns SYM_ENOTFOUND when i is out of range. */
SYM_API size_t sym_workflow_worker_limit_count(const sym_workflow *wf);
SYM_API int sym_workflow_worker_limit(const sym_workflow *wf, size_t i, const char **name,
                                      unsigned *concurrency);

/* The number of tasks (matrix instances counted one by one). */
SYM_API size_t sym_workflow_task_count(const sym_workflow *wf);
/* The index of the task with this id ("load", "transform[shard=1]") in
 * *index: SYM_OK or SYM_ENOTFOUND. */
SYM_API int sym_workflow_find_task(const sym_workflow *wf, const char *id, size_t *index);

/* What is known of one task. Strings, values and the policy are borrowed
 * from the workflow. */
typedef struct sym_task_info {
    unsigned version;         /* SYM_TASK_INFO_VERSION */
    const char *id;           /* "transform[shard=1]" */
    const char *name;         /* the task's key in the file: "transform" */
    const char *worker;       /* worker name */
    const sym_value *inputs;  /* `with`: a map, or NULL when absent */
    const sym_value *matrix;  /* this instance's matrix values (a map), or NULL */
    const char *condition;    /* the `if` text, or NULL */
    const sym_task_policy *policy; /* with defaults merged in (never NULL); a
                                      pointer, so that the policy may grow */
    size_t dep_count;         /* dependencies (see sym_workflow_task_dep) */
    size_t succ_count;        /* dependents (see sym_workflow_task_succ) */
    unsigned line, column;    /* where the task is defined; 0 when built in code */
} sym_task_info;

#define SYM_TASK_INFO_VERSION 1
#define SYM_TASK_INFO_INIT                                                                    \
    {SYM_TASK_INFO_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0}

/* Empties *info and sets its version (SYM_EINVAL for NULL or an unknown
 * version). Use sym_task_info_init. */
SYM_API int sym_task_info_init_version(sym_task_info *info, unsigned version);
static inline int sym_task_info_init(sym_task_info *info)
{
    return sym_task_info_init_version(info, SYM_TASK_INFO_VERSION);
}

/* Fills *info (initialised with sym_task_info_init) for task index: SYM_OK,
 * SYM_ENOTFOUND when out of range, SYM_EINVAL for an unknown version. */
SYM_API int sym_workflow_task_info(const sym_workflow *wf, size_t index, sym_task_info *info);
/* Dependency j (j < dep_count) / dependent j (j < succ_count) of task index,
 * as a task index; (size_t)-1 when out of range. */
SYM_API size_t sym_workflow_task_dep(const sym_workflow *wf, size_t index, size_t j);
SYM_API size_t sym_workflow_task_succ(const sym_workflow *wf, size_t index, size_t j);

/* The DAG as Graphviz DOT / as JSON ({"name", "tasks": [{"id", "worker",
 * "needs", ...}]}). Owned: free with sym_free. NULL when out of memory. */
SYM_API char *sym_workflow_to_dot(const sym_workflow *wf);
SYM_API char *sym_workflow_to_json(const sym_workflow *wf);

/* ------------------------------------------------------------------------ */
/* Building a workflow in code                                               */
/* ------------------------------------------------------------------------ */

/*
 * sym_builder: assembles a workflow in code and produces the same validated
 * sym_workflow as a file does, with the same checks. The setters check what
 * they can at once and return an error code; every error is also kept, so
 * a host may check only the result of sym_builder_build, which reports them
 * all. A value (param, input, matrix) with a string holding a NUL byte is
 * refused (SYM_EINVAL), as in a file. Not thread-safe.
 */
typedef struct sym_builder sym_builder;

/* A new builder for a workflow called name (checked at build), or NULL when
 * out of memory. Free with sym_builder_free. */
SYM_API sym_builder *sym_builder_new(const char *name);
SYM_API void sym_builder_free(sym_builder *b);

SYM_API int sym_builder_set_description(sym_builder *b, const char *text);
SYM_API int sym_builder_set_concurrency(sym_builder *b, unsigned max_in_flight);
SYM_API int sym_builder_set_deadline_ms(sym_builder *b, int64_t deadline_ms);
SYM_API int sym_builder_set_fail_fast(sym_builder *b, bool fail_fast);
/* Declares param name with its default; takes ownership of value. */
SYM_API int sym_builder_set_param(sym_builder *b, const char *name, sym_value *value);
SYM_API int sym_builder_set_worker_limit(sym_builder *b, const char *worker, unsigned concurrency);
/* The policy every task starts from (like the file's `defaults:`); tasks
 * added before or after this call both get it unless they set their own.
 * A policy with an unknown version is refused (SYM_EINVAL), here and in
 * sym_builder_set_policy. */
SYM_API int sym_builder_set_defaults(sym_builder *b, const sym_task_policy *policy);

/* Adds a task; *index (when not NULL) gets its handle for the calls below.
 * SYM_EINVAL for a malformed id or worker name. An id used twice is
 * reported by sym_builder_build (SYM_EEXIST, "duplicate task id 'x'"): ids
 * are checked all at once there, which costs far less per task than a
 * lookup at each add in a table that keeps growing. */
SYM_API int sym_builder_add_task(sym_builder *b, const char *id, const char *worker,
                                 size_t *index);
/* Task `task` needs task `dep` (both handles from sym_builder_add_task).
 * SYM_EINVAL for an unknown handle, a task needing itself, or dep listed
 * twice where that shows at once (among the newest task's first eight);
 * other repeats are reported by sym_builder_build. Adding each task's
 * dependencies right after the task is the fastest order (see README). */
SYM_API int sym_builder_add_dep(sym_builder *b, size_t task, size_t dep);
/* Task `task` needs the task called dep_id, resolved at build time, so it
 * may be added later. */
SYM_API int sym_builder_add_dep_id(sym_builder *b, size_t task, const char *dep_id);
/* Sets input key of the task's `with` map; takes ownership of value. */
SYM_API int sym_builder_set_input(sym_builder *b, size_t task, const char *key, sym_value *value);
/* The task's own policy, replacing the defaults for it. */
SYM_API int sym_builder_set_policy(sym_builder *b, size_t task, const sym_task_policy *policy);
/* The task's `if` condition as text. */
SYM_API int sym_builder_set_condition(sym_builder *b, size_t task, const char *expr);
/* A matrix axis of the task: key with a list of values (takes ownership of
 * values); the task becomes one instance per combination. */
SYM_API int sym_builder_add_matrix(sym_builder *b, size_t task, const char *key,
                                   sym_value *values);

/* A matrix axis given by an expression over params, exactly as in a file:
 * "${{ params.shards }}" (expanded from the param's default, and again at
 * each run whose params change it). */
SYM_API int sym_builder_add_matrix_expr(sym_builder *b, size_t task, const char *key,
                                        const char *expr);
/* At most n instances of the task's matrix in flight in one run (0 = no
 * limit), like `max_parallel` in a file. */
SYM_API int sym_builder_set_max_parallel(sym_builder *b, size_t task, unsigned n);

/* Validates and compiles what was added. On SYM_OK *out is a new workflow;
 * otherwise every error goes to err. Either way the builder is emptied and
 * may be reused or freed. */
SYM_API int sym_builder_build(sym_builder *b, sym_workflow **out, sym_error *err);

/* ------------------------------------------------------------------------ */
/* States                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum sym_task_state {
    SYM_TASK_PENDING = 0,     /* waiting for dependencies */
    SYM_TASK_READY,           /* dependencies done; queued */
    SYM_TASK_RUNNING,         /* an attempt is in a worker */
    SYM_TASK_RETRYING,        /* waiting out a backoff between attempts */
    SYM_TASK_SUCCEEDED,
    SYM_TASK_FAILED,
    SYM_TASK_TIMED_OUT,
    SYM_TASK_SKIPPED,         /* its `if` was false */
    SYM_TASK_UPSTREAM_FAILED, /* its trigger rule ruled it out */
    SYM_TASK_CANCELLED,
    SYM_TASK_STATE_COUNT /* may grow, up to SYM_METRICS_TASK_STATES */
} sym_task_state;

typedef enum sym_run_status {
    SYM_RUN_RUNNING = 0,
    SYM_RUN_SUCCEEDED,
    SYM_RUN_FAILED,
    SYM_RUN_CANCELLED
} sym_run_status;

/* "pending", "ready", ..., "upstream_failed", "cancelled"; static, NULL for
 * an unknown value. */
SYM_API const char *sym_task_state_name(sym_task_state state);
/* "running", "succeeded", "failed", "cancelled"; static. */
SYM_API const char *sym_run_status_name(sym_run_status status);

/* ------------------------------------------------------------------------ */
/* Engine                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct sym_engine sym_engine;
typedef struct sym_run sym_run;
typedef struct sym_task sym_task;

/* A monotonic clock in nanoseconds. The engine reads time only through
 * this (tests drive a manual clock). Called from any engine thread. */
typedef int64_t (*sym_clock_fn)(void *userdata);

typedef enum sym_event_type {
    SYM_EVENT_RUN_STARTED = 0,
    SYM_EVENT_RUN_FINISHED,
    SYM_EVENT_TASK_READY,
    SYM_EVENT_TASK_STARTED,
    SYM_EVENT_TASK_RETRYING,
    SYM_EVENT_TASK_SUCCEEDED,
    SYM_EVENT_TASK_FAILED,
    SYM_EVENT_TASK_TIMED_OUT,
    SYM_EVENT_TASK_SKIPPED,
    SYM_EVENT_TASK_UPSTREAM_FAILED,
    SYM_EVENT_TASK_CANCELLED
} sym_event_type;

/* "run_started", "task_ready", ...; static. */
SYM_API const char *sym_event_type_name(sym_event_type type);

/* One state change, made by the library. Every pointer is borrowed for the
 * duration of the observer call only. */
typedef struct sym_event {
    unsigned version;      /* the library's SYM_EVENT_VERSION: the fields of
                              every version up to it are set */
    sym_event_type type;
    sym_run *run;
    const char *run_id;
    const char *task_id;   /* NULL for run events */
    size_t task_index;     /* (size_t)-1 for run events */
    int attempt;           /* 1-based; 0 where none applies */
    sym_run_status status; /* RUN_FINISHED: how the run ended */
    int64_t time_ns;       /* the engine clock */
    int64_t delay_ms;      /* TASK_RETRYING: the backoff before the next try */
    const char *error;     /* failures: the message; else NULL */
} sym_event;

#define SYM_EVENT_VERSION 1

/* Receives every state change. Called on the engine thread where the change
 * happens (or the thread that called sym_run_start / sym_run_cancel), from
 * several threads at once: it must be thread-safe, quick, and must not call
 * sym_run_wait, sym_run_free or sym_engine_free. */
typedef void (*sym_observer_fn)(const sym_event *event, void *userdata);

typedef struct sym_engine_config {
    unsigned version;          /* SYM_ENGINE_CONFIG_VERSION */
    unsigned threads;          /* pool size; 0 = one per online CPU */
    sym_clock_fn clock;        /* NULL = CLOCK_MONOTONIC (read through the
                                  CPU's counter between readings at most
                                  1 ms apart where it can: docs/engine.md) */
    void *clock_userdata;
    sym_observer_fn observer;  /* NULL = none (the hot path pays nothing) */
    void *observer_userdata;
    uint64_t seed;             /* seeds jitter; 0 = from the clock */
    size_t max_output_bytes;   /* outputs per task; default 1 MiB */
} sym_engine_config;

#define SYM_ENGINE_CONFIG_VERSION 1
#define SYM_ENGINE_CONFIG_INIT                                                                \
    {SYM_ENGINE_CONFIG_VERSION, 0, NULL, NULL, NULL, NULL, 0, (size_t)1 << 20}

/* The defaults above into the fields of that version, and cfg->version:
 * SYM_OK, or SYM_EINVAL for NULL or an unknown version. Use
 * sym_engine_config_init. */
SYM_API int sym_engine_config_init_version(sym_engine_config *cfg, unsigned version);
static inline int sym_engine_config_init(sym_engine_config *cfg)
{
    return sym_engine_config_init_version(cfg, SYM_ENGINE_CONFIG_VERSION);
}

/* Starts an engine and its thread pool. cfg may be NULL for the defaults;
 * an unknown cfg->version gives SYM_EINVAL. On SYM_OK *out is the engine:
 * free with sym_engine_free. */
SYM_API int sym_engine_new(const sym_engine_config *cfg, sym_engine **out);
/* Cancels every run still going, waits until all have ended (their workers
 * returned), stops the threads and frees the engine. Runs not yet freed by
 * the host stay readable until sym_run_free. Must not be called from an
 * engine thread (a worker or observer). */
SYM_API void sym_engine_free(sym_engine *engine);
/* Grows or shrinks the pool while runs go on (n >= 1). A shrink takes
 * effect as threads finish their current task. */
SYM_API int sym_engine_set_threads(sym_engine *engine, unsigned n);
SYM_API unsigned sym_engine_threads(const sym_engine *engine);

/* A worker: does one attempt of a task. Returns SYM_OK for success, or the
 * value of sym_task_fail (any other non-zero return fails the attempt as a
 * retryable error named by sym_strerror). Called on an engine thread. */
typedef int (*sym_worker_fn)(sym_task *task, void *userdata);

typedef struct sym_worker_options {
    unsigned version;                /* SYM_WORKER_OPTIONS_VERSION */
    unsigned concurrency;            /* calls in flight at most; 0 = no limit */
    void (*release)(void *userdata); /* called once when the engine is done
                                        with userdata (see unregister) */
} sym_worker_options;

#define SYM_WORKER_OPTIONS_VERSION 1
#define SYM_WORKER_OPTIONS_INIT {SYM_WORKER_OPTIONS_VERSION, 0, NULL}

/* As sym_engine_config_init_version. Use sym_worker_options_init. */
SYM_API int sym_worker_options_init_version(sym_worker_options *opts, unsigned version);
static inline int sym_worker_options_init(sym_worker_options *opts)
{
    return sym_worker_options_init_version(opts, SYM_WORKER_OPTIONS_VERSION);
}

/* The longest worker name, in bytes. */
#define SYM_WORKER_NAME_MAX 64

/* Registers fn under name ([A-Za-z0-9_.-]{1,SYM_WORKER_NAME_MAX}); opts
 * may be NULL. Any thread, at any time. SYM_EEXIST when the name is taken;
 * SYM_EINVAL for a bad name or an unknown opts->version. */
SYM_API int sym_engine_register(sym_engine *engine, const char *name, sym_worker_fn fn,
                                void *userdata, const sym_worker_options *opts);
/* Unregisters name: no call of it starts after this returns; calls in
 * flight finish normally (their results count); tasks of running runs that
 * would have called it end failed ("worker 'x' is not registered"), not
 * retried. release(userdata), when set, runs once the last call in flight
 * has returned (on that thread, or on this one when none was in flight).
 * SYM_ENOTFOUND when no such worker. Any thread, including a worker. */
SYM_API int sym_engine_unregister(sym_engine *engine, const char *name);

/* ------------------------------------------------------------------------ */
/* Runs                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct sym_run_options {
    unsigned version;         /* SYM_RUN_OPTIONS_VERSION */
    const char *run_id;       /* NULL = generated; copied */
    const sym_value *params;  /* overrides of declared params (a map); copied;
                                 strings holding a NUL byte are refused */
} sym_run_options;

#define SYM_RUN_OPTIONS_VERSION 1
#define SYM_RUN_OPTIONS_INIT {SYM_RUN_OPTIONS_VERSION, NULL, NULL}

/* As sym_engine_config_init_version. Use sym_run_options_init. */
SYM_API int sym_run_options_init_version(sym_run_options *opts, unsigned version);
static inline int sym_run_options_init(sym_run_options *opts)
{
    return sym_run_options_init_version(opts, SYM_RUN_OPTIONS_VERSION);
}

/* Starts a run of wf on engine and returns at once. Before anything starts
 * it checks opts (NULL for the defaults; SYM_EINVAL for an unknown
 * version), that every worker the workflow names is registered
 * (SYM_ENOWORKER, with one error per missing worker) and that params are
 * declared. On SYM_OK *out is the run: free with sym_run_free. Any thread. */
SYM_API int sym_run_start(sym_engine *engine, sym_workflow *wf, const sym_run_options *opts,
                          sym_run **out, sym_error *err);
/* Waits until the run has ended: SYM_OK, or SYM_ETIMEDOUT after timeout_ms
 * (negative = wait forever). Any thread but an engine thread. */
SYM_API int sym_run_wait(sym_run *run, int64_t timeout_ms);
/* Stops dispatching, sets the cancel flag of every running attempt, and
 * ends the run `cancelled` once they return. SYM_ESTATE when already
 * ended. Any thread. */
SYM_API int sym_run_cancel(sym_run *run);
/* Cancels the run if it is still going, waits for it to end, and frees it.
 * The task records of a big run stay mapped for reuse (see
 * sym_release_memory). Any thread but an engine thread. */
SYM_API void sym_run_free(sym_run *run);

SYM_API sym_run_status sym_run_get_status(const sym_run *run);
/* The run id (given or generated). Borrowed from the run. */
SYM_API const char *sym_run_id(const sym_run *run);
SYM_API const sym_workflow *sym_run_workflow(const sym_run *run);
/* The run's effective params (defaults with overrides). Borrowed. */
SYM_API const sym_value *sym_run_params(const sym_run *run);

/* What became of one task. Pointers are borrowed from the run and valid
 * until sym_run_free; read it after the run has ended (during a run, the
 * fields are a consistent snapshot of that moment). */
typedef struct sym_task_result {
    unsigned version;         /* SYM_TASK_RESULT_VERSION */
    const char *id;
    const char *worker;
    sym_task_state state;
    int attempts;             /* attempts started */
    int64_t duration_ns;      /* first start to final state; 0 if never ran */
    const char *error;        /* the last error message, or NULL */
    const sym_value *outputs; /* a map of outputs (never NULL after the end) */
} sym_task_result;

#define SYM_TASK_RESULT_VERSION 1
#define SYM_TASK_RESULT_INIT                                                                  \
    {SYM_TASK_RESULT_VERSION, NULL, NULL, SYM_TASK_PENDING, 0, 0, NULL, NULL}

/* Empties *res and sets its version (SYM_EINVAL for NULL or an unknown
 * version). Use sym_task_result_init. */
SYM_API int sym_task_result_init_version(sym_task_result *res, unsigned version);
static inline int sym_task_result_init(sym_task_result *res)
{
    return sym_task_result_init_version(res, SYM_TASK_RESULT_VERSION);
}

/* Fills *out (initialised with sym_task_result_init) for task index
 * (sym_workflow numbering): SYM_OK, SYM_ENOTFOUND, or SYM_EINVAL for an
 * unknown version. */
SYM_API int sym_run_task_result(sym_run *run, size_t index, sym_task_result *out);
/* The report of the run as JSON: {"workflow", "run_id", "status",
 * "started_at", "duration_ms", "tasks": [...]}. Owned: free with sym_free. */
SYM_API char *sym_run_report_json(sym_run *run);
/* The run's timeline as Chrome trace-event JSON (one slice per attempt, on
 * the engine thread that ran it). Owned: free with sym_free. */
SYM_API char *sym_run_trace_json(sym_run *run);

/* ------------------------------------------------------------------------ */
/* The worker side                                                           */
/* ------------------------------------------------------------------------ */

enum { SYM_FAIL_FATAL = 1 }; /* sym_task_fail flag: do not retry */
/* The longest failure message kept, in bytes: a longer one is cut at a
 * UTF-8 character boundary and ends "... (truncated, N bytes)", N being
 * its full length, so that the whole fits in this many bytes. */
enum { SYM_MAX_ERROR_BYTES = 65536 };

/* Borrowed strings, valid during the callback. */
SYM_API const char *sym_task_id(const sym_task *task);
SYM_API const char *sym_task_worker(const sym_task *task);
SYM_API const char *sym_task_run_id(const sym_task *task);
/* 1 for the first attempt, 2 for the first retry, ... */
SYM_API int sym_task_attempt(const sym_task *task);
/* The task's inputs (a map, never NULL) / the input at a path (see
 * sym_value_path), NULL when absent. Borrowed for the callback. */
SYM_API const sym_value *sym_task_inputs(const sym_task *task);
SYM_API const sym_value *sym_task_input(const sym_task *task, const char *path);
/* True once this attempt should stop: its timeout passed, or the run was
 * cancelled. Workers that take time should poll it. */
SYM_API bool sym_task_cancelled(const sym_task *task);
/* Sets output key to a copy of value. SYM_ETOOBIG past the engine's
 * max_output_bytes for the task. */
SYM_API int sym_task_set_output(sym_task *task, const char *key, const char *value);
/* Sets output key to a copy of any value (a JSON output: a number, list or
 * map stays one for expressions downstream and in the report). The same
 * size limit as sym_task_set_output applies, counted on its JSON text. */
SYM_API int sym_task_set_output_value(sym_task *task, const char *key, const sym_value *value);
/* Records why this attempt failed (printf-style) and returns SYM_EFAILED,
 * for `return sym_task_fail(t, 0, "...")`. flags: SYM_FAIL_FATAL to fail
 * the task for good whatever its retry policy. The message is kept up to
 * SYM_MAX_ERROR_BYTES (see there). */
SYM_API int sym_task_fail(sym_task *task, int flags, const char *fmt, ...) SYM_PRINTF(3, 4);
SYM_API int sym_task_failv(sym_task *task, int flags, const char *fmt, va_list ap)
    SYM_PRINTF(3, 0);
/* The same with the message as it is (copied; NULL for none): for hosts
 * that call C through a foreign-function interface, which cannot always
 * pass variadic arguments as the platform's C calling convention wants
 * (Apple's arm64, for one). */
SYM_API int sym_task_fail_message(sym_task *task, int flags, const char *message);

/* ------------------------------------------------------------------------ */
/* Metrics                                                                   */
/* ------------------------------------------------------------------------ */

/* The room in sym_metrics.tasks: states may be added up to this many
 * (SYM_TASK_STATE_COUNT <= SYM_METRICS_TASK_STATES always) without a new
 * layout. */
#define SYM_METRICS_TASK_STATES 16

typedef struct sym_metrics {
    unsigned version;      /* SYM_METRICS_VERSION */
    unsigned threads;      /* pool size */
    unsigned busy_threads; /* threads inside a worker now */
    unsigned runs_active;  /* runs not yet ended */
    uint64_t retries;      /* retries scheduled since the engine began */
    uint64_t queue_depth;  /* tasks ready but not yet started */
    /* Tasks now in each state (index: sym_task_state), over live runs;
     * final states count since the engine began. Entries from
     * SYM_TASK_STATE_COUNT on are 0. */
    uint64_t tasks[SYM_METRICS_TASK_STATES];
} sym_metrics;

#define SYM_METRICS_VERSION 1
#define SYM_METRICS_INIT {SYM_METRICS_VERSION, 0, 0, 0, 0, 0, {0}}

/* The room in sym_worker_metrics.name: names may grow up to this less one
 * byte (SYM_WORKER_NAME_MAX < SYM_WORKER_METRICS_NAME_ROOM) without a new
 * layout. */
#define SYM_WORKER_METRICS_NAME_ROOM 128

typedef struct sym_worker_metrics {
    unsigned version;        /* SYM_WORKER_METRICS_VERSION */
    unsigned in_flight;      /* calls running now */
    uint64_t calls;          /* attempts finished */
    uint64_t failures;       /* of them, failed */
    uint64_t latency_sum_ns; /* total time in the callback */
    uint64_t latency_max_ns; /* longest call */
    char name[SYM_WORKER_METRICS_NAME_ROOM]; /* NUL-terminated */
} sym_worker_metrics;

#define SYM_WORKER_METRICS_VERSION 1
#define SYM_WORKER_METRICS_INIT {SYM_WORKER_METRICS_VERSION, 0, 0, 0, 0, 0, ""}

/* Empty the struct and set its version (SYM_EINVAL for NULL or an unknown
 * version). Use sym_metrics_init / sym_worker_metrics_init. */
SYM_API int sym_metrics_init_version(sym_metrics *m, unsigned version);
static inline int sym_metrics_init(sym_metrics *m)
{
    return sym_metrics_init_version(m, SYM_METRICS_VERSION);
}
SYM_API int sym_worker_metrics_init_version(sym_worker_metrics *m, unsigned version);
static inline int sym_worker_metrics_init(sym_worker_metrics *m)
{
    return sym_worker_metrics_init_version(m, SYM_WORKER_METRICS_VERSION);
}

/* A snapshot of the engine's counters into *out (initialised with
 * sym_metrics_init): SYM_OK, or SYM_EINVAL for an unknown version. Any
 * thread. */
SYM_API int sym_engine_metrics(sym_engine *engine, sym_metrics *out);
/* Copies the metrics of up to cap registered workers into out[0..cap)
 * (sorted by name; every element initialised with sym_worker_metrics_init)
 * and sets *count to how many are registered, so a call with cap 0 (out
 * may then be NULL) sizes the array. SYM_EINVAL, with nothing written, when
 * an element has an unknown version. Any thread. */
SYM_API int sym_engine_worker_metrics(sym_engine *engine, sym_worker_metrics *out, size_t cap,
                                      size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* SYMPHONY_H */
