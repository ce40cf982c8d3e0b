/* builder.c - sym_builder: a workflow assembled in code. It fills the same
 * draft a file fills and compiles it with the same checks. Setters check
 * what they can at once, refuse what is wrong (so the compiler does not
 * report it a second time) and keep the error for sym_builder_build.
 *
 * Adding a task and a dependency by index is the hot path of graphs built
 * in code (a million tasks): a task is its id copied into the arena and a
 * 16-byte slot (a full draft record only once a setter needs one), an edge
 * 8 bytes in one flat array; no allocation per task. Repeated ids are
 * reported by sym_builder_build. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dfload.h"
#include "draft.h"
#include "workflow.h"

/* An input (`with` entry) or a param, already copied into the arena. */
typedef struct builder_value {
    uint32_t task; /* inputs only */
    const char *key;
    sym_value value;
} builder_value;

struct sym_builder {
    draft d;
    char *name;              /* as given to sym_builder_new (kept for reuse) */
    sym_error *errors;       /* the setters' errors, made on the first one */
    int first;               /* the first setter error, SYM_OK while none */
    const char *last_worker; /* the arena copy of the last worker name */
    builder_value *inputs;   /* malloc'd, in the order set */
    size_t ninputs, inputs_cap;
    builder_value *params;   /* malloc'd, in the order set */
    size_t nparams, params_cap;
};

static const char *const SOURCE = "<builder>";

static int fail(sym_builder *b, int code, const char *fmt, ...) SYM_PRINTF(3, 4);

static int fail(sym_builder *b, int code, const char *fmt, ...)
{
    if (b->first == SYM_OK)
        b->first = code;
    if (!b->errors)
        b->errors = sym_error_new();
    va_list ap;
    va_start(ap, fmt);
    sym__error_addv(b->errors, code, NULL, 0, 0, fmt, ap); /* a NULL list is ignored */
    va_end(ap);
    return code;
}

static int oom(sym_builder *b)
{
    return fail(b, SYM_ENOMEM, "out of memory while building the workflow");
}

static int reset(sym_builder *b)
{
    sym__draft_init(&b->d, NULL, NULL, SOURCE);
    b->d.from_code = true;
    b->last_worker = NULL;
    if (b->name) {
        b->d.name = sym__arena_strdup(&b->d.arena, b->name);
        if (!b->d.name)
            return SYM_ENOMEM;
    }
    return SYM_OK;
}

sym_builder *sym_builder_new(const char *name)
{
    sym_builder *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (name) {
        size_t len = strlen(name) + 1;
        b->name = malloc(len);
        if (!b->name) {
            free(b);
            return NULL;
        }
        memcpy(b->name, name, len);
    }
    if (reset(b) != SYM_OK) {
        sym_builder_free(b);
        return NULL;
    }
    return b;
}

static void empty(sym_builder *b)
{
    sym__draft_free(&b->d);
    free(b->inputs);
    free(b->params);
    b->inputs = b->params = NULL;
    b->ninputs = b->inputs_cap = b->nparams = b->params_cap = 0;
    sym_error_free(b->errors);
    b->errors = NULL;
    b->first = SYM_OK;
}

void sym_builder_free(sym_builder *b)
{
    if (!b)
        return;
    empty(b);
    free(b->name);
    free(b);
}

/* ---- workflow settings ------------------------------------------------ */

int sym_builder_set_description(sym_builder *b, const char *text)
{
    if (!b)
        return SYM_EINVAL;
    if (!text) {
        b->d.description = NULL;
        return SYM_OK;
    }
    const char *copy = sym__arena_strdup(&b->d.arena, text);
    if (!copy)
        return oom(b);
    b->d.description = copy;
    return SYM_OK;
}

int sym_builder_set_concurrency(sym_builder *b, unsigned max_in_flight)
{
    if (!b)
        return SYM_EINVAL;
    b->d.concurrency = max_in_flight;
    return SYM_OK;
}

/* The file format's message for a duration past DRAFT_DURATION_MAX_MS. */
static int too_long(sym_builder *b, const char *what, const char *whose, int64_t ms)
{
    return fail(b, SYM_EINVAL, "%s%s'%s': duration '%lldms' is too long (at most 876000h)", whose,
                *whose ? ": " : "", what, (long long)ms);
}

int sym_builder_set_deadline_ms(sym_builder *b, int64_t deadline_ms)
{
    if (!b)
        return SYM_EINVAL;
    if (deadline_ms < 0)
        return fail(b, SYM_EINVAL, "deadline %lld ms is not valid: give 0 (none) or more",
                    (long long)deadline_ms);
    if (deadline_ms > DRAFT_DURATION_MAX_MS)
        return too_long(b, "deadline", "", deadline_ms);
    b->d.deadline_ms = deadline_ms;
    return SYM_OK;
}

int sym_builder_set_fail_fast(sym_builder *b, bool fail_fast)
{
    if (!b)
        return SYM_EINVAL;
    b->d.fail_fast = fail_fast;
    return SYM_OK;
}

/* Appends (or replaces, by key and task) a value record; takes value. */
static int put_value(sym_builder *b, builder_value **arr, size_t *n, size_t *cap, uint32_t task,
                     const char *key, sym_value *value)
{
    builder_value rec = {task, sym__arena_strdup(&b->d.arena, key), {0}};
    int rc = rec.key ? sym__value_copy_to_arena(&rec.value, value, &b->d.arena) : SYM_ENOMEM;
    sym_value_free(value);
    if (rc != SYM_OK)
        return oom(b);
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        builder_value *grown = realloc(*arr, ncap * sizeof *grown);
        if (!grown)
            return oom(b);
        *arr = grown;
        *cap = ncap;
    }
    (*arr)[(*n)++] = rec;
    return SYM_OK;
}

int sym_builder_set_param(sym_builder *b, const char *name, sym_value *value)
{
    if (!b) {
        sym_value_free(value);
        return SYM_EINVAL;
    }
    if (!name || !sym__name_is_identifier(name)) {
        sym_value_free(value);
        return fail(b, SYM_EINVAL,
                    "param name '%s' is not valid: names start with a letter or '_' and hold "
                    "letters, digits and '_' (at most 64)",
                    name ? name : "(null)");
    }
    if (!value)
        return fail(b, SYM_EINVAL, "param '%s' has no value", name);
    if (sym__value_has_nul(value)) {
        sym_value_free(value);
        return fail(b, SYM_EINVAL, "param '%s': " VALUE_NUL_REFUSED, name);
    }
    return put_value(b, &b->params, &b->nparams, &b->params_cap, 0, name, value);
}

int sym_builder_set_worker_limit(sym_builder *b, const char *worker, unsigned concurrency)
{
    if (!b)
        return SYM_EINVAL;
    if (!worker || !sym__name_is_worker(worker))
        return fail(b, SYM_EINVAL,
                    "worker name '%s' is not valid: worker names hold letters, digits, '_', '.' "
                    "and '-' (at most 64)",
                    worker ? worker : "(null)");
    for (size_t i = 0; i < b->d.nlimits; i++)
        if (strcmp(b->d.limits[i].worker, worker) == 0) {
            b->d.limits[i].concurrency = concurrency;
            return SYM_OK;
        }
    draft_limit limit = {.worker = sym__arena_strdup(&b->d.arena, worker),
                         .concurrency = concurrency};
    if (!limit.worker || sym__draft_add_limit(&b->d, &limit) != SYM_OK)
        return oom(b);
    return SYM_OK;
}

static int check_policy(sym_builder *b, const sym_task_policy *p, const char *fn,
                        const char *whose)
{
    if (!p)
        return fail(b, SYM_EINVAL, "%s: no policy given", whose);
    if (!sym__abi_known(ABI_TASK_POLICY, p->version)) {
        char msg[256];
        sym__abi_message(msg, sizeof msg, fn, ABI_TASK_POLICY, p->version);
        return fail(b, SYM_EINVAL, "%s (%s)", msg, whose);
    }
    if (p->timeout_ms > DRAFT_DURATION_MAX_MS)
        return too_long(b, "timeout", whose, p->timeout_ms);
    if (p->retry.delay_ms > DRAFT_DURATION_MAX_MS)
        return too_long(b, "delay", whose, p->retry.delay_ms);
    if (p->retry.max_delay_ms > DRAFT_DURATION_MAX_MS)
        return too_long(b, "max_delay", whose, p->retry.max_delay_ms);
    if (p->timeout_ms < 0)
        return fail(b, SYM_EINVAL, "%s: timeout must be 0 (none) or more", whose);
    if (p->retry.attempts < 1)
        return fail(b, SYM_EINVAL, "%s: retry attempts must be at least 1 (1 = no retry)", whose);
    if (!sym_backoff_name(p->retry.backoff))
        return fail(b, SYM_EINVAL, "%s: backoff must be fixed, linear or exponential", whose);
    if (p->retry.delay_ms < 0 || p->retry.max_delay_ms < 0)
        return fail(b, SYM_EINVAL, "%s: retry delay and max_delay must be 0 or more", whose);
    if (p->retry.retry_on & ~(unsigned)(SYM_RETRY_ON_ERROR | SYM_RETRY_ON_TIMEOUT))
        return fail(b, SYM_EINVAL, "%s: retry_on holds unknown flags", whose);
    if (!sym_trigger_name(p->trigger))
        return fail(b, SYM_EINVAL,
                    "%s: trigger must be all_success, all_done, all_failed, one_failed, "
                    "one_success or none_failed",
                    whose);
    return SYM_OK;
}

int sym_builder_set_defaults(sym_builder *b, const sym_task_policy *policy)
{
    if (!b)
        return SYM_EINVAL;
    int rc = check_policy(b, policy, "sym_builder_set_defaults", "defaults");
    if (rc != SYM_OK)
        return rc;
    sym_task_policy_init(&b->d.defaults);
    sym__abi_read(ABI_TASK_POLICY, &b->d.defaults, policy);
    b->d.defaults_set = DRAFT_SET_ALL;
    return SYM_OK;
}

/* ---- tasks ------------------------------------------------------------ */

/* The arena copy of worker: the previous task's when it is the same name
 * (graphs built in code mostly use few workers), so it is checked and
 * copied once. NULL after recording the error. */
static const char *intern_worker(sym_builder *b, const char *id, const char *worker)
{
    if (b->last_worker && strcmp(b->last_worker, worker) == 0)
        return b->last_worker;
    if (!sym__name_is_worker(worker)) {
        fail(b, SYM_EINVAL,
             "worker name '%s' of task '%s' is not valid: worker names hold letters, digits, "
             "'_', '.' and '-' (at most 64)",
             worker, id);
        return NULL;
    }
    const char *copy = sym__arena_strdup(&b->d.arena, worker);
    if (!copy) {
        oom(b);
        return NULL;
    }
    b->last_worker = copy;
    return copy;
}

/* Bytes allowed in a task id after the first (names.h: letters, digits,
 * '_' and '-'); 2 marks those allowed first too. */
static const unsigned char ID_CHAR[256] = {
    ['-'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 2,
    ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2, ['H'] = 2,
    ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2,
    ['Q'] = 2, ['R'] = 2, ['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2,
    ['Y'] = 2, ['Z'] = 2,
    ['a'] = 2, ['b'] = 2, ['c'] = 2, ['d'] = 2, ['e'] = 2, ['f'] = 2, ['g'] = 2, ['h'] = 2,
    ['i'] = 2, ['j'] = 2, ['k'] = 2, ['l'] = 2, ['m'] = 2, ['n'] = 2, ['o'] = 2, ['p'] = 2,
    ['q'] = 2, ['r'] = 2, ['s'] = 2, ['t'] = 2, ['u'] = 2, ['v'] = 2, ['w'] = 2, ['x'] = 2,
    ['y'] = 2, ['z'] = 2,
};

/* sym__name_is_task_id, measuring the id on the way (one pass instead of two on
 * the hot path); 0 when not valid. */
static size_t task_id_length(const char *id)
{
    const unsigned char *p = (const unsigned char *)id;
    if (ID_CHAR[p[0]] != 2)
        return 0;
    size_t n = 1;
    while (ID_CHAR[p[n]])
        n++;
    return p[n] == '\0' && n <= 64 ? n : 0;
}

/* memcpy of n (1 to 65) bytes in a few fixed-size moves: an id is a few
 * bytes, and a memcpy of unknown length (an inline `rep movs`) costs more
 * to start than the copy itself. */
static void copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        for (size_t k = 0; k + 8 < n; k += 8)
            memcpy(dst + k, src + k, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

int sym_builder_add_task(sym_builder *b, const char *id, const char *worker, size_t *index)
{
    if (!b)
        return SYM_EINVAL;
    size_t len = id ? task_id_length(id) : 0;
    if (len == 0)
        return fail(b, SYM_EINVAL,
                    "task id '%s' is not valid: ids start with a letter or '_' and hold letters, "
                    "digits, '_' and '-' (at most 64)",
                    id ? id : "(null)");
    if (!worker)
        return fail(b, SYM_EINVAL, "task '%s' has no worker", id);
    const char *w = intern_worker(b, id, worker);
    if (!w)
        return b->first == SYM_ENOMEM ? SYM_ENOMEM : SYM_EINVAL;
    char *copy = sym__arena_alloc(&b->d.arena, len + 1);
    if (!copy)
        return oom(b);
    copy_short(copy, id, len + 1);
    /* A repeated id is found at build, where every id goes into the index
     * at once (sym__ids_fill): checking each as it comes costs a lookup in a
     * table that keeps growing. */
    if (sym__draft_add_slot(&b->d, copy, w) != SYM_OK)
        return oom(b);
    if (index)
        *index = b->d.nslots - 1;
    return SYM_OK;
}

/* Whether task `task` exists; records why not. */
static bool task_ok(sym_builder *b, size_t task, const char *what)
{
    if (task >= b->d.nslots) {
        fail(b, SYM_EINVAL, "%s: no task #%zu (%zu tasks added)", what, task, b->d.nslots);
        return false;
    }
    return true;
}

/* Task `task`'s full draft record (made on first need), or NULL after
 * recording why not. Valid until the next call. */
static draft_task *task_at(sym_builder *b, size_t task, const char *what)
{
    if (!task_ok(b, task, what))
        return NULL;
    draft_task *t = sym__draft_slot_full(&b->d, task);
    if (!t)
        oom(b);
    return t;
}

int sym_builder_add_dep(sym_builder *b, size_t task, size_t dep)
{
    if (!b)
        return SYM_EINVAL;
    if (task >= b->d.nslots || dep >= b->d.nslots)
        return fail(b, SYM_EINVAL, "dependency: no task #%zu (%zu tasks added)",
                    task >= b->d.nslots ? task : dep, b->d.nslots);
    if (task == dep)
        return fail(b, SYM_EINVAL, "task '%s' needs itself", b->d.slots[task].id);
    int rc = sym__draft_add_edge(&b->d, (uint32_t)task, (uint32_t)dep);
    if (rc == SYM_EEXIST) /* the words compile uses for a repeat it finds */
        return fail(b, SYM_EINVAL, "task '%s' lists '%s' twice in needs", b->d.slots[task].id,
                    b->d.slots[dep].id);
    return rc == SYM_OK ? SYM_OK : oom(b);
}

int sym_builder_add_dep_id(sym_builder *b, size_t task, const char *dep_id)
{
    if (!b)
        return SYM_EINVAL;
    if (!task_ok(b, task, "dependency"))
        return SYM_EINVAL;
    if (!dep_id)
        return fail(b, SYM_EINVAL, "task '%s' needs a task with no id", b->d.slots[task].id);
    draft_need need = {.name = sym__arena_strdup(&b->d.arena, dep_id)};
    draft_task *t = need.name ? task_at(b, task, "dependency") : NULL;
    if (!t || sym__draft_add_need(&b->d, t, &need) != SYM_OK)
        return oom(b);
    return SYM_OK;
}

int sym_builder_set_input(sym_builder *b, size_t task, const char *key, sym_value *value)
{
    if (!b) {
        sym_value_free(value);
        return SYM_EINVAL;
    }
    bool ok = task_ok(b, task, "input");
    if (!ok || !key || !*key || !value) {
        sym_value_free(value);
        if (!ok)
            return SYM_EINVAL;
        return fail(b, SYM_EINVAL, "input of task '%s' needs a key and a value",
                    b->d.slots[task].id);
    }
    if (sym__value_has_nul(value)) {
        sym_value_free(value);
        return fail(b, SYM_EINVAL, "input '%s' of task '%s': " VALUE_NUL_REFUSED, key,
                    b->d.slots[task].id);
    }
    return put_value(b, &b->inputs, &b->ninputs, &b->inputs_cap, (uint32_t)task, key, value);
}

int sym_builder_set_policy(sym_builder *b, size_t task, const sym_task_policy *policy)
{
    if (!b)
        return SYM_EINVAL;
    if (!task_ok(b, task, "policy"))
        return SYM_EINVAL;
    char whose[96];
    snprintf(whose, sizeof whose, "task '%s'", b->d.slots[task].id);
    int rc = check_policy(b, policy, "sym_builder_set_policy", whose);
    if (rc != SYM_OK)
        return rc;
    draft_task *t = task_at(b, task, "policy");
    if (!t)
        return SYM_ENOMEM;
    if (!t->policy && !(t->policy = sym__arena_calloc(&b->d.arena, 1, sizeof *t->policy)))
        return SYM_ENOMEM;
    sym_task_policy_init(t->policy);
    sym__abi_read(ABI_TASK_POLICY, t->policy, policy);
    t->set = DRAFT_SET_ALL;
    return SYM_OK;
}

/* The errors of parsing one string (tmp, positions inside the string from
 * 1:1) as the builder's: to the build's diag when given (and remembered as
 * refused), else kept like a setter's. Returns the first code. */
static int relay(sym_builder *b, const sym_error *tmp, const char *what, diag *to)
{
    int first = SYM_OK;
    for (size_t i = 0; i < tmp->count; i++) {
        const error_entry *e = &tmp->entries[i];
        int code = e->code == SYM_ESCHEMA ? SYM_EINVAL : e->code;
        char where[64];
        sym__error_where_in_string(e, where, sizeof where);
        if (first == SYM_OK)
            first = code;
        if (!to) {
            fail(b, code, "%s: %s%s", what, e->message, where);
            continue;
        }
        if (b->first == SYM_OK)
            b->first = code;
        sym__diag_add(to, code, 0, 0, "%s: %s%s", what, e->message, where);
    }
    return first;
}

/* A diag over a fresh error list, for one string's parse. */
static sym_error *parse_sink(diag *dg)
{
    sym_error *tmp = sym_error_new();
    if (tmp)
        sym__diag_init(dg, tmp, NULL, 0);
    return tmp;
}

/* Parsed at once, like a file's `if`: a string with `${{ }}` or one
 * expression without. */
int sym_builder_set_condition(sym_builder *b, size_t task, const char *expr)
{
    if (!b)
        return SYM_EINVAL;
    if (!task_ok(b, task, "condition"))
        return SYM_EINVAL;
    if (!expr && draft_full(&b->d, task) == NULL)
        return SYM_OK; /* nothing to clear */
    expr_template *cond = NULL;
    if (expr) {
        diag dg;
        sym_error *tmp = parse_sink(&dg);
        if (!tmp)
            return oom(b);
        int rc = sym__dfl_parse_condition(&b->d.arena, expr, strlen(expr), 1, 1, &dg, &cond);
        char what[128];
        snprintf(what, sizeof what, "condition of task '%s'", b->d.slots[task].id);
        if (rc != SYM_OK && rc != SYM_ENOMEM)
            rc = relay(b, tmp, what, NULL);
        sym_error_free(tmp);
        if (rc != SYM_OK)
            return rc == SYM_ENOMEM ? oom(b) : rc;
    }
    const char *copy = expr ? sym__arena_strdup(&b->d.arena, expr) : NULL;
    draft_task *t = !expr || copy ? task_at(b, task, "condition") : NULL;
    if (!t)
        return expr && !copy ? oom(b) : SYM_ENOMEM;
    t->condition = copy;
    t->cond = cond;
    b->d.has_df |= cond != NULL;
    return SYM_OK;
}

int sym_builder_add_matrix(sym_builder *b, size_t task, const char *key, sym_value *values)
{
    if (!b) {
        sym_value_free(values);
        return SYM_EINVAL;
    }
    draft_task *t = task_ok(b, task, "matrix") ? task_at(b, task, "matrix") : NULL;
    int rc = SYM_OK;
    if (!t)
        rc = task < b->d.nslots ? SYM_ENOMEM : SYM_EINVAL;
    else if (!key || !sym__name_is_identifier(key))
        rc = fail(b, SYM_EINVAL,
                  "matrix key '%s' of task '%s' is not valid: keys start with a letter or '_' "
                  "and hold letters, digits and '_' (at most 64)",
                  key ? key : "(null)", t->id);
    else if (sym_value_type_of(values) != SYM_VALUE_LIST || sym_value_count(values) == 0)
        rc = fail(b, SYM_ETYPE, "matrix '%s' of task '%s' must be a list of at least one value",
                  key, t->id);
    for (size_t i = 0; rc == SYM_OK && i < t->naxes; i++)
        if (strcmp(t->axes[i].key, key) == 0)
            rc = fail(b, SYM_EEXIST, "matrix key '%s' of task '%s' is given twice", key, t->id);
    for (size_t i = 0; rc == SYM_OK && i < sym_value_count(values); i++) {
        sym_value_type type = sym_value_type_of(sym_value_at(values, i));
        if (type == SYM_VALUE_LIST || type == SYM_VALUE_MAP)
            rc = fail(b, SYM_ETYPE,
                      "matrix '%s' of task '%s': value %zu is a %s, but matrix values must be "
                      "strings, numbers, booleans or null",
                      key, t->id, i + 1, sym_value_type_name(type));
        else if (sym__value_has_nul(sym_value_at(values, i)))
            rc = fail(b, SYM_EINVAL, "matrix '%s' of task '%s': value %zu: " VALUE_NUL_REFUSED, key,
                      t->id, i + 1);
    }
    if (rc != SYM_OK) {
        sym_value_free(values);
        return rc;
    }
    sym_value *copy = sym__arena_alloc(&b->d.arena, sizeof *copy);
    draft_axis axis = {.key = sym__arena_strdup(&b->d.arena, key), .values = copy};
    rc = copy && axis.key ? sym__value_copy_to_arena(copy, values, &b->d.arena) : SYM_ENOMEM;
    sym_value_free(values);
    if (rc != SYM_OK || sym__draft_add_axis(&b->d, t, &axis) != SYM_OK)
        return oom(b);
    return SYM_OK;
}

int sym_builder_add_matrix_expr(sym_builder *b, size_t task, const char *key, const char *expr)
{
    if (!b)
        return SYM_EINVAL;
    draft_task *t = task_ok(b, task, "matrix") ? task_at(b, task, "matrix") : NULL;
    if (!t)
        return task < b->d.nslots ? SYM_ENOMEM : SYM_EINVAL;
    const char *id = b->d.slots[task].id;
    if (!key || !sym__name_is_identifier(key))
        return fail(b, SYM_EINVAL,
                    "matrix key '%s' of task '%s' is not valid: keys start with a letter or "
                    "'_' and hold letters, digits and '_' (at most 64)",
                    key ? key : "(null)", id);
    for (size_t i = 0; i < t->naxes; i++)
        if (strcmp(t->axes[i].key, key) == 0)
            return fail(b, SYM_EEXIST, "matrix key '%s' of task '%s' is given twice", key, id);
    if (!expr)
        return fail(b, SYM_EINVAL, "matrix '%s' of task '%s' has no expression", key, id);
    draft_axis axis = {.key = sym__arena_strdup(&b->d.arena, key),
                       .expr = sym__arena_strdup(&b->d.arena, expr)};
    if (!axis.key || !axis.expr)
        return oom(b);
    diag dg;
    sym_error *tmp = parse_sink(&dg);
    if (!tmp)
        return oom(b);
    int rc = sym__expr_template_parse(expr, strlen(expr), 1, 1, &b->d.arena, &dg, &axis.tmpl);
    char what[160];
    snprintf(what, sizeof what, "matrix '%s' of task '%s'", key, id);
    if (rc != SYM_OK && rc != SYM_ENOMEM)
        rc = relay(b, tmp, what, NULL);
    sym_error_free(tmp);
    if (rc != SYM_OK)
        return rc == SYM_ENOMEM ? oom(b) : rc;
    if (!sym__expr_template_is_single(axis.tmpl))
        return fail(b, SYM_EINVAL,
                    "matrix '%s' of task '%s' must be exactly one expression such as "
                    "\"${{ params.shards }}\", not '%s'",
                    key, id, expr);
    if (sym__draft_add_axis(&b->d, t, &axis) != SYM_OK)
        return oom(b);
    b->d.has_df = true;
    return SYM_OK;
}

int sym_builder_set_max_parallel(sym_builder *b, size_t task, unsigned n)
{
    if (!b)
        return SYM_EINVAL;
    if (!task_ok(b, task, "max_parallel"))
        return SYM_EINVAL;
    if (n == 0 && draft_full(&b->d, task) == NULL)
        return SYM_OK; /* nothing to clear */
    draft_task *t = task_at(b, task, "max_parallel");
    if (!t)
        return SYM_ENOMEM;
    t->max_parallel = n;
    b->d.has_df |= n > 0;
    return SYM_OK;
}

/* ---- build ------------------------------------------------------------ */


/* A map in the arena from records [from, to) of recs; a later record
 * replaces an earlier one with the same key. */
static sym_value *make_map(arena *a, const builder_value *recs, const size_t *which, size_t n)
{
    sym_value *map = sym__arena_calloc(a, 1, sizeof *map);
    value_entry *entries = sym__arena_alloc(a, (n ? n : 1) * sizeof *entries);
    if (!map || !entries)
        return NULL;
    uint32_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const builder_value *r = &recs[which ? which[i] : i];
        uint32_t j = 0;
        while (j < count && strcmp(entries[j].key, r->key) != 0)
            j++;
        entries[j].key = (char *)r->key;
        entries[j].value = r->value;
        if (j == count)
            count++;
    }
    map->type = SYM_VALUE_MAP;
    map->n = count;
    map->u.entries = entries;
    return map;
}

/* The strings of task t's inputs that hold `${{`: parsed and recorded;
 * errors go to the build's diag. */
static int scan_inputs(sym_builder *b, uint32_t t, const sym_value *with)
{
    diag dg;
    sym_error *tmp = parse_sink(&dg);
    if (!tmp)
        return SYM_ENOMEM;
    bool bad = false;
    int rc = sym__dfl_scan_with(&b->d, t, with, NULL, NULL, &dg, &bad);
    if (rc == SYM_OK && bad) {
        char what[128];
        snprintf(what, sizeof what, "an input of task '%s'", b->d.slots[t].id);
        relay(b, tmp, what, b->d.diag);
    }
    sym_error_free(tmp);
    return rc;
}

/* Params and each task's `with` into arena maps. */
static int finish_draft(sym_builder *b)
{

    draft *d = &b->d;
    if (b->nparams > 0) {
        d->params = make_map(&d->arena, b->params, NULL, b->nparams);
        if (!d->params)
            return SYM_ENOMEM;
    }
    if (b->ninputs == 0)
        return SYM_OK;
    /* Group the inputs by task, keeping the order set (counting sort). */
    size_t n = d->nslots;
    size_t *start = calloc(n + 1, sizeof *start);
    size_t *which = malloc(b->ninputs * sizeof *which);
    int rc = start && which ? SYM_OK : SYM_ENOMEM;
    if (rc == SYM_OK) {
        for (size_t i = 0; i < b->ninputs; i++)
            start[b->inputs[i].task + 1]++;
        for (size_t t = 0; t < n; t++)
            start[t + 1] += start[t];
        for (size_t i = 0; i < b->ninputs; i++)
            which[start[b->inputs[i].task]++] = i;
        /* start[t] is now the end of task t's run; its start is start[t-1]. */
        size_t from = 0;
        for (size_t t = 0; t < n && rc == SYM_OK; t++) {
            if (start[t] > from) {
                const sym_value *with = make_map(&d->arena, b->inputs, which + from,
                                                 start[t] - from);
                draft_task *full = with ? sym__draft_slot_full(d, t) : NULL;
                if (full)
                    full->with = with;
                else
                    rc = SYM_ENOMEM;
                if (rc == SYM_OK)
                    rc = scan_inputs(b, (uint32_t)t, with);
            }
            from = start[t];
        }
    }
    free(start);
    free(which);
    return rc;
}

int sym_builder_build(sym_builder *b, sym_workflow **out, sym_error *err)
{
    if (out)
        *out = NULL;
    if (!b || !out)
        return SYM_EINVAL;
    /* The setters' errors come first, in the order they happened. */
    for (size_t i = 0; b->errors && i < b->errors->count; i++) {
        const error_entry *e = &b->errors->entries[i];
        sym__error_add(err, e->code, e->file, e->line, e->column, "%s", e->message);
    }
    diag dg;
    sym__diag_init(&dg, err, NULL, b->d.opts->max_errors);
    b->d.diag = &dg;
    int rc = finish_draft(b);
    if (rc == SYM_OK)
        rc = sym__draft_compile(&b->d, out);
    else
        sym__diag_add(&dg, rc, 0, 0, "out of memory while building the workflow");
    if (b->first != SYM_OK) {
        /* Something the host asked for was refused: no partial workflow. */
        sym_workflow_free(*out);
        *out = NULL;
        rc = b->first;
    }
    empty(b);
    /* Out of memory here leaves the name unset: the next build says so. */
    (void)reset(b);
    return rc;
}
