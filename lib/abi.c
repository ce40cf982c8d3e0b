/* abi.c - the versioned public structs: their init functions and the check
 * of a caller's version.
 *
 * Each struct has one size per version it has had (sizes[v - 1]). A
 * caller built against an older header passes an older, shorter struct:
 * the library reads and writes only the bytes of that version, so a new
 * field at the end never reaches past the caller's memory. */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "error.h"

typedef struct abi_struct {
    const char *name;
    unsigned version;     /* the newest this library knows */
    const size_t *sizes;  /* sizes[v - 1]: the size of version v */
} abi_struct;

#define STRUCT(T, v, sizes) {#T, v, sizes}

_Static_assert(SYM_TASK_STATE_COUNT <= SYM_METRICS_TASK_STATES,
               "sym_metrics.tasks has no room for every task state");
_Static_assert(SYM_WORKER_NAME_MAX < SYM_WORKER_METRICS_NAME_ROOM,
               "sym_worker_metrics.name has no room for the longest worker name");

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
    STRUCT(sym_load_options, SYM_LOAD_OPTIONS_VERSION, load_options_sizes),
    STRUCT(sym_retry_policy, 1, retry_policy_sizes),
    STRUCT(sym_task_policy, SYM_TASK_POLICY_VERSION, task_policy_sizes),
    STRUCT(sym_task_info, SYM_TASK_INFO_VERSION, task_info_sizes),
    STRUCT(sym_event, SYM_EVENT_VERSION, event_sizes),
    STRUCT(sym_engine_config, SYM_ENGINE_CONFIG_VERSION, engine_config_sizes),
    STRUCT(sym_worker_options, SYM_WORKER_OPTIONS_VERSION, worker_options_sizes),
    STRUCT(sym_run_options, SYM_RUN_OPTIONS_VERSION, run_options_sizes),
    STRUCT(sym_task_result, SYM_TASK_RESULT_VERSION, task_result_sizes),
    STRUCT(sym_metrics, SYM_METRICS_VERSION, metrics_sizes),
    STRUCT(sym_worker_metrics, SYM_WORKER_METRICS_VERSION, worker_metrics_sizes)};

/* ---- inside the library ---- */

bool abi_known(abi_type t, unsigned v)
{
    return v - 1u < structs[t].version;
}

size_t abi_size(abi_type t, unsigned v)
{
    return structs[t].sizes[v - 1];
}

void abi_message(char *buf, size_t cap, const char *fn, abi_type t, unsigned v)
{
    const char *name = structs[t].name;
    snprintf(buf, cap,
             "%s: %s has version %u, which this library does not know (it knows 1 to %u): "
             "initialise it with %s_init",
             fn, name, v, structs[t].version, name);
}

int abi_refuse(sym_error *err, const char *fn, abi_type t, unsigned v)
{
    char msg[256];
    abi_message(msg, sizeof msg, fn, t, v);
    return error_add(err, SYM_EINVAL, NULL, 0, 0, "%s", msg);
}

/* Every versioned struct starts with `unsigned version`. */
static unsigned version_of(const void *s)
{
    unsigned v;
    memcpy(&v, s, sizeof v);
    return v;
}

void abi_read(abi_type t, void *dst, const void *src)
{
    memcpy(dst, src, abi_size(t, version_of(src)));
}

void abi_write(abi_type t, void *dst, const void *src)
{
    unsigned v = version_of(dst);
    memcpy(dst, src, abi_size(t, v));
    memcpy(dst, &v, sizeof v);
}

/* The init functions: the fields of version v from defaults, and v. */
static int init(abi_type t, void *dst, unsigned v, const void *defaults)
{
    if (!dst || !abi_known(t, v))
        return SYM_EINVAL;
    memcpy(dst, defaults, abi_size(t, v));
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
