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
            sb_putc(sb, '\\');
            sb_putc(sb, (char)ch);
        } else if (ch == '\n') {
            sb_puts(sb, "\\n");
        } else if (ch < 0x20 || ch == 0x7f) {
            sb_putc(sb, ' ');
        } else {
            sb_putc(sb, (char)ch);
        }
    }
}

static void dot_string(strbuf *sb, const char *s)
{
    sb_putc(sb, '"');
    dot_escaped(sb, s);
    sb_putc(sb, '"');
}

char *sym_workflow_to_dot(const sym_workflow *wf)
{
    if (!wf)
        return NULL;
    strbuf sb;
    sb_init(&sb);
    sb_puts(&sb, "digraph ");
    dot_string(&sb, wf->name);
    sb_puts(&sb, " {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        sb_puts(&sb, "  ");
        dot_string(&sb, wf_task_id(wf, i));
        /* Two centred lines: the id, then the worker. */
        sb_puts(&sb, " [label=\"");
        dot_escaped(&sb, wf_task_id(wf, i));
        sb_puts(&sb, "\\n");
        dot_escaped(&sb, wf->workers[wf_task_worker(wf, i)]);
        sb_puts(&sb, "\"];\n");
    }
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        for (uint32_t j = 0; j < wf_dep_count(wf, i); j++) {
            sb_puts(&sb, "  ");
            dot_string(&sb, wf_task_id(wf, wf->deps[wf_dep_begin(wf, i) + j]));
            sb_puts(&sb, " -> ");
            dot_string(&sb, wf_task_id(wf, i));
            sb_puts(&sb, ";\n");
        }
    }
    sb_puts(&sb, "}\n");
    return sb_finish(&sb);
}

static void json_key(strbuf *sb, const char *key, bool first)
{
    if (!first)
        sb_putc(sb, ',');
    sb_json_string(sb, key);
    sb_putc(sb, ':');
}

static void json_value_or_null(strbuf *sb, const sym_value *v)
{
    if (v)
        value_write_json(sb, v);
    else
        sb_puts(sb, "null");
}

static void json_retry(strbuf *sb, const sym_retry_policy *r)
{
    sb_printf(sb, "{\"attempts\":%" PRIu32 ",\"backoff\":", r->attempts);
    sb_json_string(sb, sym_backoff_name(r->backoff));
    sb_printf(sb, ",\"delay_ms\":%" PRId64 ",\"max_delay_ms\":%" PRId64 ",\"jitter\":%s",
              r->delay_ms, r->max_delay_ms, r->jitter ? "true" : "false");
    sb_puts(sb, ",\"retry_on\":[");
    bool more = false;
    if (r->retry_on & SYM_RETRY_ON_ERROR) {
        sb_puts(sb, "\"error\"");
        more = true;
    }
    if (r->retry_on & SYM_RETRY_ON_TIMEOUT)
        sb_puts(sb, more ? ",\"timeout\"" : "\"timeout\"");
    sb_puts(sb, "]}");
}

static void json_task(strbuf *sb, const sym_workflow *wf, uint32_t i)
{
    sb_putc(sb, '{');
    json_key(sb, "id", true);
    sb_json_string(sb, wf_task_id(wf, i));
    json_key(sb, "name", false);
    sb_json_string(sb, wf_task_name(wf, i));
    json_key(sb, "worker", false);
    sb_json_string(sb, wf->workers[wf_task_worker(wf, i)]);
    json_key(sb, "needs", false);
    sb_putc(sb, '[');
    for (uint32_t j = 0; j < wf_dep_count(wf, i); j++) {
        if (j > 0)
            sb_putc(sb, ',');
        sb_json_string(sb, wf_task_id(wf, wf->deps[wf_dep_begin(wf, i) + j]));
    }
    sb_putc(sb, ']');
    json_key(sb, "with", false);
    json_value_or_null(sb, wf_task_inputs(wf, i));
    json_key(sb, "matrix", false);
    json_value_or_null(sb, wf_task_matrix(wf, i));
    json_key(sb, "if", false);
    sb_json_string(sb, wf_task_condition(wf, i)); /* null when none */
    json_key(sb, "timeout_ms", false);
    sb_printf(sb, "%" PRId64, wf_task_policy(wf, i)->timeout_ms);
    json_key(sb, "retry", false);
    json_retry(sb, &wf_task_policy(wf, i)->retry);
    json_key(sb, "trigger", false);
    sb_json_string(sb, sym_trigger_name(wf_task_policy(wf, i)->trigger));
    json_key(sb, "continue_on_error", false);
    sb_puts(sb, wf_task_policy(wf, i)->continue_on_error ? "true" : "false");
    sb_putc(sb, '}');
}

char *sym_workflow_to_json(const sym_workflow *wf)
{
    if (!wf)
        return NULL;
    strbuf sb;
    sb_init(&sb);
    sb_putc(&sb, '{');
    json_key(&sb, "name", true);
    sb_json_string(&sb, wf->name);
    json_key(&sb, "description", false);
    sb_json_string(&sb, wf->description);
    json_key(&sb, "params", false);
    json_value_or_null(&sb, wf->params);
    json_key(&sb, "concurrency", false);
    sb_printf(&sb, "%u", wf->concurrency);
    json_key(&sb, "deadline_ms", false);
    sb_printf(&sb, "%" PRId64, wf->deadline_ms);
    json_key(&sb, "fail_fast", false);
    sb_puts(&sb, wf->fail_fast ? "true" : "false");
    json_key(&sb, "workers", false);
    sb_putc(&sb, '{');
    for (uint32_t i = 0; i < wf->nlimits; i++) {
        json_key(&sb, wf->limits[i].worker, i == 0);
        sb_printf(&sb, "{\"concurrency\":%u}", wf->limits[i].concurrency);
    }
    sb_putc(&sb, '}');
    json_key(&sb, "tasks", false);
    sb_putc(&sb, '[');
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        if (i > 0)
            sb_putc(&sb, ',');
        json_task(&sb, wf, i);
    }
    sb_puts(&sb, "]}");
    return sb_finish(&sb);
}
