/* export.c - a compiled workflow as Graphviz DOT (to draw it) and as JSON
 * (to inspect or diff it): both list tasks in topological order. */
#include <inttypes.h>

#include "common.h"
#include "workflow.h"

/* s inside a DOT double-quoted string. Backslashes are doubled so that a
 * label's escapes (\N, \G, ...) mean nothing unintended; a newline becomes
 * DOT's \n and other control characters a space. */
static void dot_escaped(strbuf *sb, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            sym__sb_putc(sb, '\\');
            sym__sb_putc(sb, (char)ch);
        } else if (ch == '\n') {
            sym__sb_puts(sb, "\\n");
        } else if (ch < 0x20 || ch == 0x7f) {
            sym__sb_putc(sb, ' ');
        } else {
            sym__sb_putc(sb, (char)ch);
        }
    }
}

static void dot_string(strbuf *sb, const char *s)
{
    sym__sb_putc(sb, '"');
    dot_escaped(sb, s);
    sym__sb_putc(sb, '"');
}

char *sym_workflow_to_dot(const sym_workflow *wf)
{
    if (!wf)
        return NULL;
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, "digraph ");
    dot_string(&sb, wf->name);
    sym__sb_puts(&sb, " {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        sym__sb_puts(&sb, "  ");
        dot_string(&sb, wf_task_id(wf, i));
        /* Two centred lines: the id, then the worker. */
        sym__sb_puts(&sb, " [label=\"");
        dot_escaped(&sb, wf_task_id(wf, i));
        sym__sb_puts(&sb, "\\n");
        dot_escaped(&sb, wf->workers[wf_task_worker(wf, i)]);
        sym__sb_puts(&sb, "\"];\n");
    }
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        for (uint32_t j = 0; j < wf_dep_count(wf, i); j++) {
            sym__sb_puts(&sb, "  ");
            dot_string(&sb, wf_task_id(wf, wf->deps[wf_dep_begin(wf, i) + j]));
            sym__sb_puts(&sb, " -> ");
            dot_string(&sb, wf_task_id(wf, i));
            sym__sb_puts(&sb, ";\n");
        }
    }
    sym__sb_puts(&sb, "}\n");
    return sym__sb_finish(&sb);
}

static void json_key(strbuf *sb, const char *key, bool first)
{
    if (!first)
        sym__sb_putc(sb, ',');
    sym__sb_json_string(sb, key);
    sym__sb_putc(sb, ':');
}

static void json_value_or_null(strbuf *sb, const sym_value *v)
{
    if (v)
        sym__value_write_json(sb, v);
    else
        sym__sb_puts(sb, "null");
}

static void json_retry(strbuf *sb, const sym_retry_policy *r)
{
    sym__sb_printf(sb, "{\"attempts\":%" PRIu32 ",\"backoff\":", r->attempts);
    sym__sb_json_string(sb, sym_backoff_name(r->backoff));
    sym__sb_printf(sb, ",\"delay_ms\":%" PRId64 ",\"max_delay_ms\":%" PRId64 ",\"jitter\":%s",
                   r->delay_ms, r->max_delay_ms, r->jitter ? "true" : "false");
    sym__sb_puts(sb, ",\"retry_on\":[");
    bool more = false;
    if (r->retry_on & SYM_RETRY_ON_ERROR) {
        sym__sb_puts(sb, "\"error\"");
        more = true;
    }
    if (r->retry_on & SYM_RETRY_ON_TIMEOUT)
        sym__sb_puts(sb, more ? ",\"timeout\"" : "\"timeout\"");
    sym__sb_puts(sb, "]}");
}

static void json_task(strbuf *sb, const sym_workflow *wf, uint32_t i)
{
    sym__sb_putc(sb, '{');
    json_key(sb, "id", true);
    sym__sb_json_string(sb, wf_task_id(wf, i));
    json_key(sb, "name", false);
    sym__sb_json_string(sb, wf_task_name(wf, i));
    json_key(sb, "worker", false);
    sym__sb_json_string(sb, wf->workers[wf_task_worker(wf, i)]);
    json_key(sb, "needs", false);
    sym__sb_putc(sb, '[');
    for (uint32_t j = 0; j < wf_dep_count(wf, i); j++) {
        if (j > 0)
            sym__sb_putc(sb, ',');
        sym__sb_json_string(sb, wf_task_id(wf, wf->deps[wf_dep_begin(wf, i) + j]));
    }
    sym__sb_putc(sb, ']');
    json_key(sb, "with", false);
    json_value_or_null(sb, wf_task_inputs(wf, i));
    json_key(sb, "matrix", false);
    json_value_or_null(sb, wf_task_matrix(wf, i));
    json_key(sb, "if", false);
    sym__sb_json_string(sb, wf_task_condition(wf, i)); /* null when none */
    json_key(sb, "timeout_ms", false);
    sym__sb_printf(sb, "%" PRId64, wf_task_policy(wf, i)->timeout_ms);
    json_key(sb, "retry", false);
    json_retry(sb, &wf_task_policy(wf, i)->retry);
    json_key(sb, "trigger", false);
    sym__sb_json_string(sb, sym_trigger_name(wf_task_policy(wf, i)->trigger));
    json_key(sb, "continue_on_error", false);
    sym__sb_puts(sb, wf_task_policy(wf, i)->continue_on_error ? "true" : "false");
    sym__sb_putc(sb, '}');
}

char *sym_workflow_to_json(const sym_workflow *wf)
{
    if (!wf)
        return NULL;
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_putc(&sb, '{');
    json_key(&sb, "name", true);
    sym__sb_json_string(&sb, wf->name);
    json_key(&sb, "description", false);
    sym__sb_json_string(&sb, wf->description);
    json_key(&sb, "params", false);
    json_value_or_null(&sb, wf->params);
    json_key(&sb, "concurrency", false);
    sym__sb_printf(&sb, "%u", wf->concurrency);
    json_key(&sb, "deadline_ms", false);
    sym__sb_printf(&sb, "%" PRId64, wf->deadline_ms);
    json_key(&sb, "fail_fast", false);
    sym__sb_puts(&sb, wf->fail_fast ? "true" : "false");
    json_key(&sb, "workers", false);
    sym__sb_putc(&sb, '{');
    for (uint32_t i = 0; i < wf->nlimits; i++) {
        json_key(&sb, wf->limits[i].worker, i == 0);
        sym__sb_printf(&sb, "{\"concurrency\":%u}", wf->limits[i].concurrency);
    }
    sym__sb_putc(&sb, '}');
    json_key(&sb, "tasks", false);
    sym__sb_putc(&sb, '[');
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        if (i > 0)
            sym__sb_putc(&sb, ',');
        json_task(&sb, wf, i);
    }
    sym__sb_puts(&sb, "]}");
    return sym__sb_finish(&sb);
}
