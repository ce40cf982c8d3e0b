/* workflow.c - the life and the read-only getters of a compiled workflow. */
#include "workflow.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfload.h"

void sym__workflow_retain(sym_workflow *wf)
{
    /* Relaxed: taking a reference needs no ordering, only atomicity. */
    atomic_fetch_add_explicit(&wf->refs, 1, memory_order_relaxed);
}

void sym__workflow_release(sym_workflow *wf)
{
    if (!wf)
        return;
    /* Release/acquire so that the last owner sees every other owner's
     * reads finished before the memory goes. */
    if (atomic_fetch_sub_explicit(&wf->refs, 1, memory_order_acq_rel) != 1)
        return;
    sym__ids_free(wf->ids);
    free(wf->tasks_block);
    sym__mem_big_free(wf->hot);
    sym__mem_big_free(wf->dep_at);
    sym__mem_big_free(wf->slots_block);
    sym__mem_big_free(wf->pos);
    sym__mem_big_free(wf->deps_block);
    sym__dfl_release(wf);
    /* The struct itself lives in a malloc'd block of its own (compile.c),
     * so the arena can be freed from it. */
    arena a = wf->arena;
    free(wf);
    sym__arena_free(&a);
}

void sym_workflow_free(sym_workflow *wf)
{
    sym__workflow_release(wf);
}

const char *sym_workflow_name(const sym_workflow *wf)
{
    return wf ? wf->name : NULL;
}

const char *sym_workflow_description(const sym_workflow *wf)
{
    return wf ? wf->description : NULL;
}

const char *sym_workflow_source(const sym_workflow *wf)
{
    return wf ? wf->source : NULL;
}

const sym_value *sym_workflow_params(const sym_workflow *wf)
{
    return wf ? wf->params : NULL;
}

unsigned sym_workflow_concurrency(const sym_workflow *wf)
{
    return wf ? wf->concurrency : 0;
}

int64_t sym_workflow_deadline_ms(const sym_workflow *wf)
{
    return wf ? wf->deadline_ms : 0;
}

bool sym_workflow_fail_fast(const sym_workflow *wf)
{
    return wf ? wf->fail_fast : false;
}

size_t sym_workflow_worker_limit_count(const sym_workflow *wf)
{
    return wf ? wf->nlimits : 0;
}

int sym_workflow_worker_limit(const sym_workflow *wf, size_t i, const char **name,
                              unsigned *concurrency)
{
    if (!wf)
        return SYM_EINVAL;
    if (i >= wf->nlimits)
        return SYM_ENOTFOUND;
    if (name)
        *name = wf->limits[i].worker;
    if (concurrency)
        *concurrency = wf->limits[i].concurrency;
    return SYM_OK;
}

size_t sym_workflow_task_count(const sym_workflow *wf)
{
    return wf ? wf->ntasks : 0;
}

int sym_workflow_find_task(const sym_workflow *wf, const char *id, size_t *index)
{
    if (!wf || !id || !index)
        return SYM_EINVAL;
    uint32_t found = sym__ids_find(wf->ids, id, strlen(id), wf->id_base, wf->id_stride);
    if (found == IDS_NONE)
        return SYM_ENOTFOUND;
    *index = found;
    return SYM_OK;
}

int sym_workflow_task_info(const sym_workflow *wf, size_t index, sym_task_info *info)
{
    if (!wf || !info || !sym__abi_known(ABI_TASK_INFO, info->version))
        return SYM_EINVAL;
    if (index >= wf->ntasks)
        return SYM_ENOTFOUND;
    uint32_t i = (uint32_t)index;
    sym_task_info full = SYM_TASK_INFO_INIT;
    full.id = wf_task_id(wf, i);
    full.name = wf_task_name(wf, i);
    full.worker = wf->workers[wf_task_worker(wf, i)];
    full.inputs = wf_task_inputs(wf, i);
    full.matrix = wf_task_matrix(wf, i);
    full.condition = wf_task_condition(wf, i);
    full.policy = wf_task_policy(wf, i);
    full.dep_count = wf_dep_count(wf, i);
    full.succ_count = wf_succ_count(wf, i);
    full.line = wf->pos ? wf->pos[index].line : 0;
    full.column = wf->pos ? wf->pos[index].column : 0;
    sym__abi_write(ABI_TASK_INFO, info, &full);
    return SYM_OK;
}

size_t sym_workflow_task_dep(const sym_workflow *wf, size_t index, size_t j)
{
    if (!wf || index >= wf->ntasks || j >= wf_dep_count(wf, (uint32_t)index))
        return (size_t)-1;
    return wf->deps[wf_dep_begin(wf, (uint32_t)index) + j];
}

size_t sym_workflow_task_succ(const sym_workflow *wf, size_t index, size_t j)
{
    if (!wf || index >= wf->ntasks || j >= wf_succ_count(wf, (uint32_t)index))
        return (size_t)-1;
    return wf->succs[wf_succ_begin(wf, (uint32_t)index) + j];
}

const char *sym_trigger_name(sym_trigger trigger)
{
    switch (trigger) {
    case SYM_TRIGGER_ALL_SUCCESS: return "all_success";
    case SYM_TRIGGER_ALL_DONE: return "all_done";
    case SYM_TRIGGER_ALL_FAILED: return "all_failed";
    case SYM_TRIGGER_ONE_FAILED: return "one_failed";
    case SYM_TRIGGER_ONE_SUCCESS: return "one_success";
    case SYM_TRIGGER_NONE_FAILED: return "none_failed";
    }
    return NULL;
}

const char *sym_backoff_name(sym_backoff backoff)
{
    switch (backoff) {
    case SYM_BACKOFF_FIXED: return "fixed";
    case SYM_BACKOFF_LINEAR: return "linear";
    case SYM_BACKOFF_EXPONENTIAL: return "exponential";
    }
    return NULL;
}
