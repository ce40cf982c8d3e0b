/* report.c - a run as JSON: the report (what became of each task) and the
 * timeline as Chrome trace events (chrome://tracing, Perfetto). */
#include <stdlib.h>

#include "engine.h"
#include "common.h"

static void put_ms(strbuf *sb, int64_t ns)
{
    sym__sb_printf(sb, "%.3f", (double)ns / 1e6);
}

/* The run's end, or now while it goes on. */
static int64_t run_end_ns(sym_run *r, bool *ended)
{
    pthread_mutex_lock(&r->mu);
    *ended = r->ended;
    int64_t end = r->ended ? r->end_ns : r->eng ? engine_now(r->eng) : r->start_ns;
    pthread_mutex_unlock(&r->mu);
    return end;
}

static void put_task(strbuf *sb, sym_run *r, uint32_t i)
{
    sym_task_result res;
    /* Under the run lock: a consistent snapshot of error and outputs. */
    pthread_mutex_lock(&r->mu);
    sym__run_task_result_locked(r, i, &res);
    sym__sb_puts(sb, "{\"id\":");
    sym__sb_json_string(sb, res.id);
    sym__sb_puts(sb, ",\"worker\":");
    sym__sb_json_string(sb, res.worker);
    sym__sb_puts(sb, ",\"status\":");
    sym__sb_json_string(sb, sym_task_state_name(res.state));
    sym__sb_printf(sb, ",\"attempts\":%d,\"duration_ms\":", res.attempts);
    put_ms(sb, res.duration_ns);
    sym__sb_puts(sb, ",\"error\":");
    sym__sb_json_string(sb, res.error);
    sym__sb_puts(sb, ",\"outputs\":");
    sym__value_write_json(sb, res.outputs);
    pthread_mutex_unlock(&r->mu);
    sym__sb_putc(sb, '}');
}

char *sym_run_report_json(sym_run *run)
{
    if (!run)
        return NULL;
    bool ended;
    int64_t end = run_end_ns(run, &ended);
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, "{\"workflow\":");
    sym__sb_json_string(&sb, run->wf->name);
    sym__sb_puts(&sb, ",\"run_id\":");
    sym__sb_json_string(&sb, run->id);
    sym__sb_puts(&sb, ",\"status\":");
    sym__sb_json_string(&sb, sym_run_status_name(sym_run_get_status(run)));
    sym__sb_puts(&sb, ",\"started_at\":");
    sym__sb_json_string(&sb, run->started_at);
    sym__sb_puts(&sb, ",\"duration_ms\":");
    put_ms(&sb, end - run->start_ns);
    sym__sb_puts(&sb, ",\"tasks\":[");
    for (uint32_t i = 0; i < run->wf->ntasks; i++) {
        if (i)
            sym__sb_putc(&sb, ',');
        put_task(&sb, run, i);
    }
    sym__sb_puts(&sb, "]}");
    return sym__sb_finish(&sb);
}

static void put_us(strbuf *sb, int64_t ns)
{
    sym__sb_printf(sb, "%.3f", (double)ns / 1e3);
}

static void put_slice(strbuf *sb, sym_run *r, uint32_t i, const slice *s, uint32_t attempt,
                      bool *first)
{
    if (!*first)
        sym__sb_putc(sb, ',');
    *first = false;
    sym__sb_puts(sb, "{\"name\":");
    sym__sb_json_string(sb, wf_task_id(r->wf, i));
    sym__sb_printf(sb,
                   ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,\"ts\":", (unsigned)s->tid);
    put_us(sb, s->start - r->start_ns);
    sym__sb_puts(sb, ",\"dur\":");
    put_us(sb, s->end > s->start ? s->end - s->start : 0);
    sym__sb_printf(sb, ",\"args\":{\"attempt\":%u,\"outcome\":", attempt);
    sym__sb_json_string(sb, sym_task_state_name((sym_task_state)s->outcome));
    sym__sb_puts(sb, "}}");
}

/* Marks tid as used in a bitmap of 64-bit words (tids are < 1024). */
static void mark_tid(uint64_t *used, uint16_t tid)
{
    if (tid < POOL_MAX_THREADS)
        used[tid / 64] |= (uint64_t)1 << (tid % 64);
}

static void put_task_slices(strbuf *sb, sym_run *r, uint32_t i, uint64_t *used, bool *first)
{
    rtask *t = &r->rt[i];
    uint8_t st = atomic_load_explicit(&t->state, memory_order_acquire);
    uint32_t attempts = atomic_load_explicit(&t->attempts, RLX);
    if (attempts == 0)
        return;
    pthread_mutex_lock(&r->mu);
    rtask_aux *aux = run_aux(r, i);
    if (aux && aux->nslices > 0) {
        for (uint32_t k = 0; k < aux->nslices; k++) {
            mark_tid(used, aux->slices[k].tid);
            put_slice(sb, r, i, &aux->slices[k], k + 1, first);
        }
    } else if (st >= SYM_TASK_SUCCEEDED) {
        slice s = {atomic_load_explicit(&t->first_ns, RLX), atomic_load_explicit(&t->end_ns, RLX),
                   atomic_load_explicit(&t->tid, RLX), st};
        mark_tid(used, s.tid);
        put_slice(sb, r, i, &s, 1, first);
    }
    pthread_mutex_unlock(&r->mu);
}

char *sym_run_trace_json(sym_run *run)
{
    if (!run)
        return NULL;
    uint64_t used[POOL_MAX_THREADS / 64] = {0};
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
    bool first = true;
    for (uint32_t i = 0; i < run->wf->ntasks; i++)
        put_task_slices(&sb, run, i, used, &first);
    for (unsigned tid = 0; tid < POOL_MAX_THREADS; tid++) {
        if (!(used[tid / 64] >> (tid % 64) & 1))
            continue;
        if (!first)
            sym__sb_putc(&sb, ',');
        first = false;
        sym__sb_printf(&sb,
                  "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
                  "\"args\":{\"name\":\"symphony-%u\"}}",
                  tid, tid);
    }
    sym__sb_puts(&sb, "]}");
    return sym__sb_finish(&sb);
}
