/* abi.c - the versioned public structs: their init functions, the check of
 * a caller's version, and the table of sizes and offsets that bindings
 * check their mirrors against (sym_abi_*).
 *
 * Each struct has one size per version it has had (sizes[v - 1]). A
 * caller built against an older header passes an older, shorter struct:
 * the library reads and writes only the bytes of that version, so a new
 * field at the end never reaches past the caller's memory. */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "error.h"

typedef struct abi_field {
    const char *name;
    size_t offset, size;
} abi_field;

typedef struct abi_struct {
    const char *name;
    unsigned version;     /* the newest this library knows */
    const size_t *sizes;  /* sizes[v - 1]: the size of version v */
    const abi_field *fields;
    size_t nfields;
} abi_struct;

#define FIELD(T, f) {#f, offsetof(T, f), sizeof(((T *)0)->f)}
#define STRUCT(T, v, sizes, fields) {#T, v, sizes, fields, sizeof fields / sizeof *fields}

_Static_assert(SYM_TASK_STATE_COUNT <= SYM_METRICS_TASK_STATES,
               "sym_metrics.tasks has no room for every task state");
_Static_assert(SYM_WORKER_NAME_MAX < SYM_WORKER_METRICS_NAME_ROOM,
               "sym_worker_metrics.name has no room for the longest worker name");

/* One list per struct, in declaration order: every field of the newest
 * version. A field added to a struct is added here too (test_abi checks
 * that the fields tile the struct). */
static const abi_field load_options_fields[] = {
    FIELD(sym_load_options, version),          FIELD(sym_load_options, max_file_bytes),
    FIELD(sym_load_options, max_depth),        FIELD(sym_load_options, max_nodes),
    FIELD(sym_load_options, max_alias_nodes),  FIELD(sym_load_options, max_scalar_bytes),
    FIELD(sym_load_options, max_tasks),        FIELD(sym_load_options, max_matrix),
    FIELD(sym_load_options, max_errors)};
static const abi_field retry_policy_fields[] = {
    FIELD(sym_retry_policy, attempts),     FIELD(sym_retry_policy, backoff),
    FIELD(sym_retry_policy, delay_ms),     FIELD(sym_retry_policy, max_delay_ms),
    FIELD(sym_retry_policy, jitter),       FIELD(sym_retry_policy, retry_on)};
static const abi_field task_policy_fields[] = {
    FIELD(sym_task_policy, version), FIELD(sym_task_policy, timeout_ms),
    FIELD(sym_task_policy, retry),   FIELD(sym_task_policy, trigger),
    FIELD(sym_task_policy, continue_on_error)};
static const abi_field task_info_fields[] = {
    FIELD(sym_task_info, version),    FIELD(sym_task_info, id),
    FIELD(sym_task_info, name),       FIELD(sym_task_info, worker),
    FIELD(sym_task_info, inputs),     FIELD(sym_task_info, matrix),
    FIELD(sym_task_info, condition),  FIELD(sym_task_info, policy),
    FIELD(sym_task_info, dep_count),  FIELD(sym_task_info, succ_count),
    FIELD(sym_task_info, line),       FIELD(sym_task_info, column)};
static const abi_field event_fields[] = {
    FIELD(sym_event, version),    FIELD(sym_event, type),    FIELD(sym_event, run),
    FIELD(sym_event, run_id),     FIELD(sym_event, task_id), FIELD(sym_event, task_index),
    FIELD(sym_event, attempt),    FIELD(sym_event, status),  FIELD(sym_event, time_ns),
    FIELD(sym_event, delay_ms),   FIELD(sym_event, error)};
static const abi_field engine_config_fields[] = {
    FIELD(sym_engine_config, version),          FIELD(sym_engine_config, threads),
    FIELD(sym_engine_config, clock),            FIELD(sym_engine_config, clock_userdata),
    FIELD(sym_engine_config, observer),         FIELD(sym_engine_config, observer_userdata),
    FIELD(sym_engine_config, seed),             FIELD(sym_engine_config, max_output_bytes)};
static const abi_field worker_options_fields[] = {
    FIELD(sym_worker_options, version), FIELD(sym_worker_options, concurrency),
    FIELD(sym_worker_options, release)};
static const abi_field run_options_fields[] = {
    FIELD(sym_run_options, version), FIELD(sym_run_options, run_id),
    FIELD(sym_run_options, params)};
static const abi_field task_result_fields[] = {
    FIELD(sym_task_result, version),  FIELD(sym_task_result, id),
    FIELD(sym_task_result, worker),   FIELD(sym_task_result, state),
    FIELD(sym_task_result, attempts), FIELD(sym_task_result, duration_ns),
    FIELD(sym_task_result, error),    FIELD(sym_task_result, outputs)};
static const abi_field metrics_fields[] = {
    FIELD(sym_metrics, version),     FIELD(sym_metrics, threads),
    FIELD(sym_metrics, busy_threads), FIELD(sym_metrics, runs_active),
    FIELD(sym_metrics, retries),     FIELD(sym_metrics, queue_depth),
    FIELD(sym_metrics, tasks)};
static const abi_field worker_metrics_fields[] = {
    FIELD(sym_worker_metrics, version),        FIELD(sym_worker_metrics, in_flight),
    FIELD(sym_worker_metrics, calls),          FIELD(sym_worker_metrics, failures),
    FIELD(sym_worker_metrics, latency_sum_ns), FIELD(sym_worker_metrics, latency_max_ns),
    FIELD(sym_worker_metrics, name)};

/* The size of each version, oldest first. */
static const size_t load_options_sizes[] = {sizeof(sym_load_options)};
static const size_t retry_policy_sizes[] = {sizeof(sym_retry_policy)};
static const size_t task_policy_sizes[] = {sizeof(sym_task_policy)};
static const size_t task_info_sizes[] = {sizeof(sym_task_info)};
static const size_t event_sizes[] = {sizeof(sym_event)};
static const size_t engine_config_sizes[] = {sizeof(sym_engine_config)};
static const size_t worker_options_sizes[] = {sizeof(sym_worker_options)};
static const size_t run_options_sizes[] = {sizeof(sym_run_options)};
static const size_t task_result_sizes[] = {sizeof(sym_task_result)};
static const size_t metrics_sizes[] = {sizeof(sym_metrics)};
static const size_t worker_metrics_sizes[] = {sizeof(sym_worker_metrics)};

/* In abi_type order. sym_retry_policy has no version field: its layout is
 * frozen at 1 (it lives inside sym_task_policy). */
static const abi_struct structs[ABI_TYPE_COUNT] = {
    STRUCT(sym_load_options, SYM_LOAD_OPTIONS_VERSION, load_options_sizes, load_options_fields),
    STRUCT(sym_retry_policy, 1, retry_policy_sizes, retry_policy_fields),
    STRUCT(sym_task_policy, SYM_TASK_POLICY_VERSION, task_policy_sizes, task_policy_fields),
    STRUCT(sym_task_info, SYM_TASK_INFO_VERSION, task_info_sizes, task_info_fields),
    STRUCT(sym_event, SYM_EVENT_VERSION, event_sizes, event_fields),
    STRUCT(sym_engine_config, SYM_ENGINE_CONFIG_VERSION, engine_config_sizes,
           engine_config_fields),
    STRUCT(sym_worker_options, SYM_WORKER_OPTIONS_VERSION, worker_options_sizes,
           worker_options_fields),
    STRUCT(sym_run_options, SYM_RUN_OPTIONS_VERSION, run_options_sizes, run_options_fields),
    STRUCT(sym_task_result, SYM_TASK_RESULT_VERSION, task_result_sizes, task_result_fields),
    STRUCT(sym_metrics, SYM_METRICS_VERSION, metrics_sizes, metrics_fields),
    STRUCT(sym_worker_metrics, SYM_WORKER_METRICS_VERSION, worker_metrics_sizes,
           worker_metrics_fields)};

/* ---- inside the library ---- */

bool sym__abi_known(abi_type t, unsigned v)
{
    return v - 1u < structs[t].version;
}

size_t sym__abi_size(abi_type t, unsigned v)
{
    return structs[t].sizes[v - 1];
}

void sym__abi_message(char *buf, size_t cap, const char *fn, abi_type t, unsigned v)
{
    const char *name = structs[t].name;
    snprintf(buf, cap,
             "%s: %s has version %u, which this library does not know (it knows 1 to %u): "
             "initialise it with %s_init",
             fn, name, v, structs[t].version, name);
}

int sym__abi_refuse(sym_error *err, const char *fn, abi_type t, unsigned v)
{
    char msg[256];
    sym__abi_message(msg, sizeof msg, fn, t, v);
    return sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "%s", msg);
}

/* Every versioned struct starts with `unsigned version`. */
static unsigned version_of(const void *s)
{
    unsigned v;
    memcpy(&v, s, sizeof v);
    return v;
}

void sym__abi_read(abi_type t, void *dst, const void *src)
{
    memcpy(dst, src, sym__abi_size(t, version_of(src)));
}

void sym__abi_write(abi_type t, void *dst, const void *src)
{
    unsigned v = version_of(dst);
    memcpy(dst, src, sym__abi_size(t, v));
    memcpy(dst, &v, sizeof v);
}

/* The init functions: the fields of version v from defaults, and v. */
static int init(abi_type t, void *dst, unsigned v, const void *defaults)
{
    if (!dst || !sym__abi_known(t, v))
        return SYM_EINVAL;
    memcpy(dst, defaults, sym__abi_size(t, v));
    memcpy(dst, &v, sizeof v);
    return SYM_OK;
}

int sym_load_options_init_version(sym_load_options *opts, unsigned version)
{
    static const sym_load_options defaults = SYM_LOAD_OPTIONS_INIT;
    return init(ABI_LOAD_OPTIONS, opts, version, &defaults);
}

int sym_task_policy_init_version(sym_task_policy *p, unsigned version)
{
    static const sym_task_policy defaults = SYM_TASK_POLICY_INIT;
    return init(ABI_TASK_POLICY, p, version, &defaults);
}

int sym_task_info_init_version(sym_task_info *info, unsigned version)
{
    static const sym_task_info empty = SYM_TASK_INFO_INIT;
    return init(ABI_TASK_INFO, info, version, &empty);
}

int sym_engine_config_init_version(sym_engine_config *cfg, unsigned version)
{
    static const sym_engine_config defaults = SYM_ENGINE_CONFIG_INIT;
    return init(ABI_ENGINE_CONFIG, cfg, version, &defaults);
}

int sym_worker_options_init_version(sym_worker_options *opts, unsigned version)
{
    static const sym_worker_options defaults = SYM_WORKER_OPTIONS_INIT;
    return init(ABI_WORKER_OPTIONS, opts, version, &defaults);
}

int sym_run_options_init_version(sym_run_options *opts, unsigned version)
{
    static const sym_run_options defaults = SYM_RUN_OPTIONS_INIT;
    return init(ABI_RUN_OPTIONS, opts, version, &defaults);
}

int sym_task_result_init_version(sym_task_result *res, unsigned version)
{
    static const sym_task_result empty = SYM_TASK_RESULT_INIT;
    return init(ABI_TASK_RESULT, res, version, &empty);
}

int sym_metrics_init_version(sym_metrics *m, unsigned version)
{
    static const sym_metrics empty = SYM_METRICS_INIT;
    return init(ABI_METRICS, m, version, &empty);
}

int sym_worker_metrics_init_version(sym_worker_metrics *m, unsigned version)
{
    static const sym_worker_metrics empty = SYM_WORKER_METRICS_INIT;
    return init(ABI_WORKER_METRICS, m, version, &empty);
}

/* ---- for bindings ---- */

static const abi_struct *find_struct(const char *type)
{
    for (size_t i = 0; type && i < ABI_TYPE_COUNT; i++)
        if (strcmp(structs[i].name, type) == 0)
            return &structs[i];
    return NULL;
}

static const abi_field *find_field(const char *type, const char *field)
{
    const abi_struct *s = find_struct(type);
    for (size_t i = 0; s && field && i < s->nfields; i++)
        if (strcmp(s->fields[i].name, field) == 0)
            return &s->fields[i];
    return NULL;
}

const char *sym_abi_struct(size_t i)
{
    return i < ABI_TYPE_COUNT ? structs[i].name : NULL;
}

const char *sym_abi_field(const char *type, size_t i)
{
    const abi_struct *s = find_struct(type);
    return s && i < s->nfields ? s->fields[i].name : NULL;
}

unsigned sym_abi_version(const char *type)
{
    const abi_struct *s = find_struct(type);
    return s ? s->version : 0;
}

size_t sym_abi_sizeof(const char *type, const char *field)
{
    if (!field) {
        const abi_struct *s = find_struct(type);
        return s ? s->sizes[s->version - 1] : 0;
    }
    const abi_field *f = find_field(type, field);
    return f ? f->size : 0;
}

size_t sym_abi_offsetof(const char *type, const char *field)
{
    const abi_field *f = find_field(type, field);
    return f ? f->offset : (size_t)-1;
}
