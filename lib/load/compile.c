/* compile.c - turns a draft (from a file or the builder) into an immutable
 * sym_workflow: checks names, references, cycles and limits, merges the
 * defaults into each task's policy, expands matrices, and lays the DAG out
 * as flat arrays in topological order.
 *
 * Everything is O(tasks + edges): ids resolve through one hash insert per
 * task (batched: sym__ids_fill), dependency lists are CSR
 * arrays built by counting, and the order is Kahn's algorithm (a heap keeps
 * ties in file order only when the file order is not already topological).
 *
 * A million tasks built in code must compile in tens of nanoseconds each,
 * and most of that goes to first touching fresh memory: so no per-task array
 * is made where it would be the identity (order, instance counts, bases),
 * each wf_task is written once (never zeroed first), and passes over the
 * tasks are few. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash keys the small table of distinct policies; allocation failures
 * leave an item out (item->hh.tbl == NULL) instead of calling exit(). */
#define HASH_NONFATAL_OOM 1
/* The library's one hash (hash.h) rather than uthash's own. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                                       \
    ((hashv) = (unsigned)hash_bytes((const char *)(keyptr), (size_t)(keylen)))
#include "common.h"
#include <uthash.h>

#include "dfload.h"
#include "draft.h"
#include "workflow.h"

/* Edges after matrix expansion: each costs 8 bytes (deps + succs), so this
 * bounds what a hostile file can make us allocate (2 GiB). */
#define COMPILE_MAX_EDGES ((uint64_t)1 << 28)

#define NONE UINT32_MAX

/* One cache line per task where pointers are 8 bytes (see workflow.h). */
_Static_assert(sizeof(void *) != 8 || sizeof(wf_task) == 64, "wf_task is 64 bytes");

typedef struct compiler {
    draft *d;
    uint32_t n;        /* draft tasks */
    int first;         /* code of the first error, SYM_OK while none */
    uint32_t *dbeg;    /* n+1: each task's slots in ddep */
    uint32_t *dcnt;    /* n: slots used (NONE-free after dedupe) */
    uint32_t *ddep;    /* dependencies, draft indices */
    uint32_t *order;   /* n: draft indices in topological order */
    uint32_t *ninst;   /* n: instances of each task */
    uint32_t *base;    /* n: index of each task's first instance */
    const sym_value **axis_list; /* per axis of every task: the value list */
    uint32_t *axis_off;          /* n+1: each task's range in axis_list */
    uint64_t total;              /* instances of all tasks */
    uint64_t nedges;             /* edges after expansion */
    uint32_t *send;              /* n: end of each task's successors in wf->succs
                                    (set_flat_edges; NULL otherwise) */
    bool in_place;               /* wf->tasks is written over d->tasks */
    bool forward;                /* known: every dependency comes before its task */
    bool compact;                /* no wf_task records (sym_workflow.policy0) */
    draft_task task0;            /* d->tasks[0], read before it is written over */
    draft_task blank;            /* what a builder slot without a record reads */
} compiler;

/* Task i's record: ID and WORKER are the ones to read for those two (a
 * builder slot's record is the blank). */
static const draft_task *T(const compiler *c, uint32_t i)
{
    const draft_task *t = draft_full(c->d, i);
    return t ? t : &c->blank;
}
#define ID(c, i) draft_id((c)->d, (i))
#define WORKER(c, i) draft_worker((c)->d, (i))

/* The arrays below are NULL in the common case where they would be the
 * identity (no matrix: one instance per task; file order topological). */
static uint32_t INST(const compiler *c, uint32_t i) { return c->ninst ? c->ninst[i] : 1; }
static uint32_t ORDER(const compiler *c, uint32_t p) { return c->order ? c->order[p] : p; }
static uint32_t BASE(const compiler *c, uint32_t i) { return c->base ? c->base[i] : i; }

static const draft_pos no_pos = {0, 0};

static bool full(const compiler *c)
{
    return c->d->diag && sym__diag_full(c->d->diag);
}

/* A file's errors are schema errors; the builder's carry the code its
 * setters would have returned. */
static int code_for(const compiler *c, int code)
{
    return c->d->from_code ? code : SYM_ESCHEMA;
}

#define REPORT(c, code, pos, ...)                                                        \
    do {                                                                                 \
        if ((c)->first == SYM_OK)                                                        \
            (c)->first = (code);                                                         \
        if ((c)->d->diag)                                                                \
            sym__diag_add((c)->d->diag, (code), (pos).line, (pos).column, __VA_ARGS__);       \
    } while (0)

/* The per-task arrays below are big for big workflows: see sym__mem_big_alloc. */
static void *xcalloc(size_t n, size_t size)
{
    return sym__mem_big_calloc(n ? n : 1, size);
}

static void *xmalloc(size_t size)
{
    return sym__mem_big_alloc(size);
}

/* ---- names and ids ---------------------------------------------------- */

static void check_workflow(compiler *c)
{
    draft *d = c->d;
    if (!d->name)
        REPORT(c, code_for(c, SYM_EINVAL), no_pos, "the workflow has no name%s",
               d->from_code ? "" : " (add `name:` at the top level)");
    else if (!sym__name_is_workflow(d->name))
        REPORT(c, code_for(c, SYM_EINVAL), d->name_pos,
               "workflow name '%s' is not valid: names hold letters, digits, '_', '.' and '-' "
               "(at most 128)",
               d->name);
    if (c->n == 0)
        REPORT(c, code_for(c, SYM_EINVAL), no_pos, "the workflow has no tasks");
    for (size_t i = 0; i < d->nlimits && !full(c); i++)
        if (!d->limits[i].worker || !sym__name_is_worker(d->limits[i].worker))
            REPORT(c, code_for(c, SYM_EINVAL), d->limits[i].pos,
                   "worker name '%s' under workers is not valid: worker names hold letters, "
                   "digits, '_', '.' and '-' (at most 64)",
                   d->limits[i].worker ? d->limits[i].worker : "");
}

static void report_duplicate(void *ctx, uint32_t i, uint32_t first)
{
    compiler *c = ctx;
    if (full(c))
        return;
    draft_pos pos = T(c, i)->pos, fp = T(c, first)->pos;
    if (fp.line)
        REPORT(c, code_for(c, SYM_EEXIST), pos, "duplicate task id '%s' (first defined at %u:%u)",
               ID(c, i), (unsigned)fp.line, (unsigned)fp.column);
    else
        REPORT(c, code_for(c, SYM_EEXIST), pos, "duplicate task id '%s'", ID(c, i));
}

/* Builds the id index, reporting repeated ids, and checks ids and workers
 * (the builder checked those as they were added). */
static int check_tasks(compiler *c)
{
    draft *d = c->d;
    size_t stride;
    const void *base = draft_id_base(d, &stride);
    if (!(d->ids = sym__ids_new(c->n)) ||
        sym__ids_fill(d->ids, c->n, base, stride, report_duplicate, c) != SYM_OK)
        return SYM_ENOMEM;
    if (d->slots)
        return SYM_OK;
    const char *last_worker = NULL; /* already checked: tasks often share it */
    for (uint32_t i = 0; i < c->n && !full(c); i++) {
        const draft_task *t = T(c, i);
        const char *id = ID(c, i);
        if (!sym__name_is_task_id(id))
            REPORT(c, code_for(c, SYM_EINVAL), t->pos,
                   "task id '%s' is not valid: ids start with a letter or '_' and hold "
                   "letters, digits, '_' and '-' (at most 64)",
                   id);
        const char *worker = WORKER(c, i);
        if (!worker)
            REPORT(c, code_for(c, SYM_EINVAL), t->pos, "task '%s' has no worker", id);
        else if (worker != last_worker && !sym__name_is_worker(worker))
            REPORT(c, code_for(c, SYM_EINVAL), t->worker_pos,
                   "worker name '%s' of task '%s' is not valid: worker names hold letters, "
                   "digits, '_', '.' and '-' (at most 64)",
                   worker, id);
        else
            last_worker = worker;
    }
    return SYM_OK;
}

/* ---- dependencies ----------------------------------------------------- */

static void report_missing(compiler *c, const char *id, const draft_need *need)
{
    size_t stride;
    const void *base = draft_id_base(c->d, &stride);
    const char *hint = sym__did_you_mean(need->name, base, c->n, stride);
    if (hint)
        REPORT(c, code_for(c, SYM_ENOTFOUND), need->pos,
               "task '%s' needs '%s', which does not exist (did you mean '%s'?)", id,
               need->name, hint);
    else
        REPORT(c, code_for(c, SYM_ENOTFOUND), need->pos,
               "task '%s' needs '%s', which does not exist", id, need->name);
}

/* The dependency a need names (or, without a name, task index `dep`), or
 * NONE (reported) when there is none. */
static uint32_t resolve_need(compiler *c, uint32_t ti, const draft_need *need, uint32_t dep)
{
    const char *id = ID(c, ti);
    if (need->name) {
        size_t stride;
        const void *base = draft_id_base(c->d, &stride);
        dep = sym__ids_find(c->d->ids, need->name, strlen(need->name), base, stride);
        if (dep == IDS_NONE) {
            report_missing(c, id, need);
            return NONE;
        }
    } else if (dep >= c->n) {
        REPORT(c, code_for(c, SYM_ENOTFOUND), need->pos, "task '%s' needs task #%u, which does not exist",
               id, (unsigned)dep);
        return NONE;
    }
    if (dep == ti) {
        REPORT(c, code_for(c, SYM_EINVAL), need->pos, "task '%s' needs itself", id);
        return NONE;
    }
    return dep;
}

/* Lays the needs (by name, then the builder's edges by index) out as CSR in
 * draft indices, dropping and reporting missing, self and repeated ones. */
/* Drops repeated dependencies from every list (reported), and the holes
 * that missing ones left (holes: some entry is NONE already). */
static int drop_repeats(compiler *c, bool holes)
{
    /* Repeats: a short list is compared with itself; a long one marks
     * mark[dep] = i + 1 while task i's list is walked (mark is made only
     * when a long list comes: most graphs have none). */
    uint32_t *mark = NULL;
    for (uint32_t i = 0; i < c->n; i++) {
        if (c->dcnt[i] < 2)
            continue; /* one dependency cannot repeat */
        bool small = c->dcnt[i] <= 8;
        if (!small && !mark && !(mark = calloc(c->n, sizeof *mark)))
            return SYM_ENOMEM;
        const draft_task *t = T(c, i);
        uint32_t *list = &c->ddep[c->dbeg[i]];
        for (uint32_t k = 0; k < c->dcnt[i]; k++) {
            uint32_t dep = list[k];
            if (dep == NONE)
                continue;
            bool repeat = false;
            if (small) {
                for (uint32_t j = 0; j < k; j++)
                    repeat |= list[j] == dep;
            } else {
                repeat = mark[dep] == i + 1;
                mark[dep] = i + 1;
            }
            if (repeat) {
                draft_pos pos = k < t->nneeds ? t->needs[k].pos : no_pos;
                if (!full(c))
                    REPORT(c, code_for(c, SYM_EINVAL), pos, "task '%s' lists '%s' twice in needs",
                           ID(c, i), ID(c, dep));
                list[k] = NONE;
                holes = true;
            }
        }
    }
    free(mark);
    if (holes) {
        for (uint32_t i = 0; i < c->n; i++) {
            uint32_t *list = &c->ddep[c->dbeg[i]], kept = 0;
            for (uint32_t k = 0; k < c->dcnt[i]; k++)
                if (list[k] != NONE)
                    list[kept++] = list[k];
            c->dcnt[i] = kept;
        }
    }
    return SYM_OK;
}

/* The builder's dependencies, when it kept them as CSR (see draft.edge_at):
 * its arrays become the lists as they are, and every list points back. */
static int adopt_builder_deps(compiler *c)
{
    draft *d = c->d;
    if (d->nedge_dep > COMPILE_MAX_EDGES) {
        REPORT(c, SYM_ELIMIT, no_pos, "the workflow has more than %" PRIu64 " dependencies",
               COMPILE_MAX_EDGES);
        return SYM_OK;
    }
    if (d->edge_at_cap < (size_t)c->n + 1) { /* room for the end */
        uint32_t *at = sym__mem_big_realloc(d->edge_at, ((size_t)c->n + 1) * sizeof *at);
        if (!at)
            return SYM_ENOMEM;
        d->edge_at = at;
    }
    c->dbeg = d->edge_at;
    c->dbeg[c->n] = (uint32_t)d->nedge_dep;
    c->ddep = d->nedge_dep ? d->edge_dep : xmalloc(sizeof *c->ddep);
    if (d->nedge_dep == 0)
        sym__mem_big_free(d->edge_dep);
    d->edge_at = d->edge_dep = NULL;
    d->nedge_dep = d->edge_dep_cap = 0;
    c->dcnt = xmalloc((c->n ? c->n : 1) * sizeof *c->dcnt);
    if (!c->ddep || !c->dcnt)
        return SYM_ENOMEM;
    for (uint32_t i = 0; i < c->n; i++)
        c->dcnt[i] = c->dbeg[i + 1] - c->dbeg[i];
    c->forward = true; /* each edge went to the newest task */
    /* Short lists were kept free of repeats as they grew (sym__draft_add_edge). */
    return d->edge_long ? drop_repeats(c, false) : SYM_OK;
}

static int build_deps(compiler *c)
{
    draft *d = c->d;
    if (d->edge_at && !d->edge_pairs && d->nneed_store == 0)
        return adopt_builder_deps(c);
    if (d->edge_at && sym__draft_edges_to_pairs(d) != SYM_OK)
        return SYM_ENOMEM;
    c->dbeg = xmalloc(((size_t)c->n + 1) * sizeof *c->dbeg);
    c->dcnt = xcalloc(c->n, sizeof *c->dcnt);
    if (!c->dbeg || !c->dcnt)
        return SYM_ENOMEM;
    for (size_t e = 0; e < d->nedges; e++)
        if (d->edges[e].task < c->n)
            c->dcnt[d->edges[e].task]++;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        c->dbeg[i] = (uint32_t)sum;
        uint32_t nneeds = T(c, i)->nneeds;
        sum += (uint64_t)nneeds + c->dcnt[i];
        if (sum > COMPILE_MAX_EDGES) {
            REPORT(c, SYM_ELIMIT, no_pos, "the workflow has more than %" PRIu64 " dependencies",
                   COMPILE_MAX_EDGES);
            return SYM_OK;
        }
        c->dcnt[i] = nneeds;
    }
    c->dbeg[c->n] = (uint32_t)sum;
    c->ddep = xmalloc((sum ? sum : 1) * sizeof *c->ddep);
    if (!c->ddep)
        return SYM_ENOMEM;
    bool holes = false;
    for (uint32_t i = 0; i < c->n && (!d->slots || d->full); i++) {
        const draft_task *t = T(c, i);
        for (uint32_t k = 0; k < t->nneeds; k++) {
            uint32_t dep = full(c) ? NONE : resolve_need(c, i, &t->needs[k], 0);
            holes |= dep == NONE;
            c->ddep[c->dbeg[i] + k] = dep;
        }
    }
    for (size_t e = 0; e < d->nedges; e++) {
        draft_edge ed = d->edges[e];
        if (ed.task >= c->n)
            continue;
        uint32_t dep = ed.dep;
        if (dep >= c->n || dep == ed.task) { /* the builder refuses these */
            draft_need need = {NULL, no_pos};
            dep = full(c) ? NONE : resolve_need(c, ed.task, &need, ed.dep);
        }
        holes |= dep == NONE;
        c->ddep[c->dbeg[ed.task] + c->dcnt[ed.task]++] = dep;
    }
    return drop_repeats(c, holes);
}

/* ---- order and cycles ------------------------------------------------- */

typedef struct heap {
    uint32_t *v;
    uint32_t n;
} heap;

static void heap_push(heap *h, uint32_t x)
{
    uint32_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2] > x) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
}

static uint32_t heap_pop(heap *h)
{
    uint32_t top = h->v[0], x = h->v[--h->n], i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l >= h->n)
            break;
        m = (l + 1 < h->n && h->v[l + 1] < h->v[l]) ? l + 1 : l;
        if (h->v[m] >= x)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n > 0)
        h->v[i] = x;
    return top;
}

/* Successors (draft indices) as CSR, each list ascending. */
static int build_succs(const compiler *c, uint32_t **sbeg_out, uint32_t **succ_out)
{
    uint32_t *sbeg = xcalloc((size_t)c->n + 1, sizeof *sbeg);
    uint32_t *succ = malloc(((size_t)c->dbeg[c->n] + 1) * sizeof *succ);
    uint32_t *fill = xcalloc(c->n, sizeof *fill);
    if (!sbeg || !succ || !fill) {
        sym__mem_big_free(sbeg);
        free(succ);
        sym__mem_big_free(fill);
        return SYM_ENOMEM;
    }
    for (uint32_t i = 0; i < c->n; i++)
        for (uint32_t k = 0; k < c->dcnt[i]; k++)
            sbeg[c->ddep[c->dbeg[i] + k] + 1]++;
    for (uint32_t i = 0; i < c->n; i++)
        sbeg[i + 1] += sbeg[i];
    for (uint32_t i = 0; i < c->n; i++)
        for (uint32_t k = 0; k < c->dcnt[i]; k++) {
            uint32_t dep = c->ddep[c->dbeg[i] + k];
            succ[sbeg[dep] + fill[dep]++] = i;
        }
    sym__mem_big_free(fill);
    *sbeg_out = sbeg;
    *succ_out = succ;
    return SYM_OK;
}

/* Reports one cycle through s, the first task (in file order) of a
 * strongly connected component: the shortest path s -> ... -> s, found by
 * a breadth-first walk that stays inside the component. Arrows point from
 * a task to one that needs it, the way the work flows. */
static int report_cycle(compiler *c, uint32_t s, const uint32_t *comp, const uint32_t *sbeg,
                        const uint32_t *succ, uint32_t *parent, uint32_t *queue)
{
    uint32_t head = 0, tail = 0, last = NONE;
    parent[s] = s;
    queue[tail++] = s;
    while (head < tail && last == NONE) {
        uint32_t x = queue[head++];
        for (uint32_t k = sbeg[x]; k < sbeg[x + 1]; k++) {
            uint32_t y = succ[k];
            if (comp[y] != comp[s])
                continue;
            if (y == s) {
                last = x;
                break;
            }
            if (parent[y] == NONE) {
                parent[y] = x;
                queue[tail++] = y;
            }
        }
    }
    /* last is always found in a component of two or more tasks. */
    uint32_t len = 0;
    for (uint32_t x = last; x != s; x = parent[x])
        queue[len++] = x; /* the path backwards, reusing the queue */
    strbuf sb;
    sym__sb_init(&sb);
    sym__sb_puts(&sb, "cycle: ");
    sym__sb_puts(&sb, ID(c, s));
    while (len > 0) {
        sym__sb_puts(&sb, " -> ");
        sym__sb_puts(&sb, ID(c, queue[--len]));
    }
    sym__sb_puts(&sb, " -> ");
    sym__sb_puts(&sb, ID(c, s));
    char *text = sym__sb_finish(&sb);
    if (!text)
        return SYM_ENOMEM;
    REPORT(c, SYM_ECYCLE, no_pos, "%s", text);
    free(text);
    /* parent is left as it is: later walks stay inside other components. */
    return SYM_OK;
}

/* Tarjan's algorithm (iterative) over the tasks Kahn's algorithm could not
 * order; reports one cycle per component that has one. */
static int report_cycles(compiler *c, const uint32_t *indeg, const uint32_t *sbeg,
                         const uint32_t *succ)
{
    uint32_t n = c->n;
    uint32_t *num = malloc((size_t)n * sizeof *num), *low = malloc((size_t)n * sizeof *low);
    uint32_t *comp = malloc((size_t)n * sizeof *comp), *stack = malloc((size_t)n * sizeof *stack);
    uint32_t *call = malloc((size_t)n * sizeof *call), *edge = malloc((size_t)n * sizeof *edge);
    uint32_t *size = xcalloc(n, sizeof *size);
    int rc = SYM_ENOMEM;
    if (!num || !low || !comp || !stack || !call || !edge || !size)
        goto out;
    for (uint32_t i = 0; i < n; i++)
        num[i] = comp[i] = NONE;
    uint32_t counter = 0, sp = 0, ncomp = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (indeg[root] == 0 || num[root] != NONE)
            continue;
        uint32_t depth = 0;
        call[depth] = root;
        edge[depth] = sbeg[root];
        num[root] = low[root] = counter++;
        stack[sp++] = root;
        while (true) {
            uint32_t v = call[depth];
            if (edge[depth] < sbeg[v + 1]) {
                uint32_t w = succ[edge[depth]++];
                if (indeg[w] == 0)
                    continue; /* ordered by Kahn: on no cycle */
                if (num[w] == NONE) {
                    num[w] = low[w] = counter++;
                    stack[sp++] = w;
                    call[++depth] = w;
                    edge[depth] = sbeg[w];
                } else if (comp[w] == NONE && num[w] < low[v]) {
                    low[v] = num[w];
                }
                continue;
            }
            if (low[v] == num[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    comp[w] = ncomp;
                    size[ncomp]++;
                } while (w != v);
                ncomp++;
            }
            if (depth == 0)
                break;
            depth--;
            uint32_t u = call[depth];
            if (low[v] < low[u])
                low[u] = low[v];
        }
    }
    /* Report in file order: a component's first task comes first. num and
     * low are free now: reuse them as BFS parent and queue. */
    bool *seen = xcalloc(ncomp, sizeof *seen);
    if (!seen)
        goto out;
    for (uint32_t i = 0; i < n; i++)
        num[i] = NONE;
    rc = SYM_OK;
    for (uint32_t i = 0; i < n && rc == SYM_OK && !full(c); i++) {
        if (comp[i] == NONE || seen[comp[i]] || size[comp[i]] < 2)
            continue;
        seen[comp[i]] = true;
        rc = report_cycle(c, i, comp, sbeg, succ, num, low);
    }
    sym__mem_big_free(seen);
out:
    free(num);
    free(low);
    free(comp);
    free(stack);
    free(call);
    free(edge);
    sym__mem_big_free(size);
    return rc;
}

/* c->order: the file order when it is already topological (the common
 * case, checked in one pass), else Kahn's algorithm with a min-heap so
 * that ties keep file order. Unorderable tasks are on or behind cycles. */
static int order_tasks(compiler *c)
{
    /* The lists are laid out in task order: one sweep over them. */
    bool forward = true;
    if (c->forward)
        return SYM_OK;
    for (uint32_t i = 0; i < c->n && forward; i++)
        for (uint32_t k = c->dbeg[i], end = k + c->dcnt[i]; k < end; k++)
            if (c->ddep[k] > i) {
                forward = false;
                break;
            }
    if (forward)
        return SYM_OK; /* c->order stays NULL: the identity */
    c->order = malloc(((size_t)c->n + 1) * sizeof *c->order);
    if (!c->order)
        return SYM_ENOMEM;
    uint32_t *sbeg, *succ;
    if (build_succs(c, &sbeg, &succ) != SYM_OK)
        return SYM_ENOMEM;
    uint32_t *indeg = malloc(((size_t)c->n + 1) * sizeof *indeg);
    heap h = {malloc(((size_t)c->n + 1) * sizeof *h.v), 0};
    int rc = SYM_ENOMEM;
    if (!indeg || !h.v)
        goto out;
    for (uint32_t i = 0; i < c->n; i++) {
        indeg[i] = c->dcnt[i];
        if (indeg[i] == 0)
            heap_push(&h, i);
    }
    uint32_t done = 0;
    while (h.n > 0) {
        uint32_t v = heap_pop(&h);
        c->order[done++] = v;
        for (uint32_t k = sbeg[v]; k < sbeg[v + 1]; k++)
            if (--indeg[succ[k]] == 0)
                heap_push(&h, succ[k]);
    }
    rc = done == c->n ? SYM_OK : report_cycles(c, indeg, sbeg, succ);
out:
    free(indeg);
    free(h.v);
    sym__mem_big_free(sbeg);
    free(succ);
    return rc;
}

/* ---- matrices --------------------------------------------------------- */

/* The list an axis expands over, or NULL (reported). An expression axis
 * is evaluated over the param defaults (or a run's params when
 * re-expanding): dfload.c. */
static const sym_value *axis_list(compiler *c, const char *id, const draft_axis *ax)
{
    const sym_value *list = ax->values;
    if (ax->expr) {
        list = sym__dfl_axis_list(c->d, id, (draft_axis *)ax, &c->first);
        if (!list) {
            /* Reported, here or by the schema when it refused the
             * expression: either way nothing may be built from this draft. */
            if (c->first == SYM_OK)
                c->first = c->d->diag && c->d->diag->first != SYM_OK ? c->d->diag->first
                                                                      : SYM_ESCHEMA;
            return NULL;
        }
    }
    if (!list || list->type != SYM_VALUE_LIST) {
        REPORT(c, code_for(c, SYM_ETYPE), ax->pos,
               "matrix '%s' of task '%s' must be a list (or ${{ params.NAME }} naming a list "
               "param)",
               ax->key, id);
        return NULL;
    }
    if (list->n == 0) {
        REPORT(c, code_for(c, SYM_EINVAL), ax->pos,
               "matrix '%s' of task '%s' is empty: give it at least one value", ax->key, id);
        return NULL;
    }
    for (uint32_t i = 0; i < list->n; i++) {
        uint8_t type = list->u.items[i].type;
        if (type == SYM_VALUE_LIST || type == SYM_VALUE_MAP) {
            REPORT(c, code_for(c, SYM_ETYPE), ax->pos,
                   "matrix '%s' of task '%s': value %u is a %s, but matrix values must be "
                   "strings, numbers, booleans or null",
                   ax->key, id, (unsigned)i + 1, sym_value_type_name(type));
            return NULL;
        }
    }
    return list;
}

static void check_total(compiler *c)
{
    size_t max_tasks = c->d->opts->max_tasks;
    if ((max_tasks && c->total > max_tasks) || c->total >= UINT32_MAX)
        REPORT(c, SYM_ELIMIT, no_pos,
               "the workflow has %" PRIu64 " tasks after matrix expansion, more than max_tasks (%zu)",
               c->total, max_tasks ? max_tasks : (size_t)UINT32_MAX - 1);
}

/* Checks every matrix, counts instances, and checks the size limits. */
static int expand_counts(compiler *c)
{
    draft *d = c->d;
    /* Builder slots without a record have no matrix: only records count. */
    bool any = false;
    for (size_t i = 0; i < d->ntasks && !any; i++)
        any = d->tasks[i].naxes > 0;
    c->total = c->n;
    if (!any) {
        check_total(c);
        return SYM_OK; /* no matrix: ninst and axis_off stay NULL */
    }
    c->ninst = malloc(((size_t)c->n + 1) * sizeof *c->ninst);
    c->axis_off = malloc(((size_t)c->n + 1) * sizeof *c->axis_off);
    if (!c->ninst || !c->axis_off)
        return SYM_ENOMEM;
    uint64_t naxes = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        c->axis_off[i] = (uint32_t)naxes;
        naxes += T(c, i)->naxes;
        if (naxes >= UINT32_MAX)
            return SYM_ENOMEM;
    }
    c->axis_off[c->n] = (uint32_t)naxes;
    if (naxes > 0) {
        c->axis_list = xcalloc((size_t)naxes, sizeof *c->axis_list);
        if (!c->axis_list)
            return SYM_ENOMEM;
    }
    size_t max_matrix = d->opts->max_matrix;
    c->total = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        const draft_task *t = T(c, i);
        const char *id = ID(c, i);
        uint64_t count = 1;
        bool ok = true;
        for (uint32_t a = 0; a < t->naxes && !full(c); a++) {
            const draft_axis *ax = &t->axes[a];
            if (!ax->key || !sym__name_is_identifier(ax->key)) {
                REPORT(c, code_for(c, SYM_EINVAL), ax->pos,
                       "matrix key '%s' of task '%s' is not valid: keys start with a letter or "
                       "'_' and hold letters, digits and '_' (at most 64)",
                       ax->key ? ax->key : "", id);
                ok = false;
                continue;
            }
            for (uint32_t b = 0; b < a; b++)
                if (t->axes[b].key && strcmp(t->axes[b].key, ax->key) == 0) {
                    REPORT(c, code_for(c, SYM_EEXIST), ax->pos,
                           "matrix key '%s' of task '%s' is listed twice", ax->key, id);
                    ok = false;
                }
            const sym_value *list = axis_list(c, id, ax);
            if (!list) {
                ok = false;
                continue;
            }
            c->axis_list[c->axis_off[i] + a] = list;
            count = count > UINT32_MAX ? count : count * list->n; /* saturates past 2^32 */
        }
        if (ok && ((max_matrix && count > max_matrix) || count >= UINT32_MAX)) {
            if (count >= UINT32_MAX)
                REPORT(c, SYM_ELIMIT, t->pos,
                       "task '%s' expands to more than %u matrix instances (max_matrix %zu)",
                       id, (unsigned)UINT32_MAX - 1, max_matrix);
            else
                REPORT(c, SYM_ELIMIT, t->pos,
                       "task '%s' expands to %" PRIu64
                       " matrix instances, more than max_matrix (%zu)",
                       id, count, max_matrix);
            ok = false;
        }
        c->ninst[i] = ok ? (uint32_t)count : 1;
        c->total += c->ninst[i];
    }
    check_total(c);
    return SYM_OK;
}

/* A matrix value as it appears in an instance id: strings raw, numbers as
 * the shortest text that reads back the same, true/false/null. */
static const char *scalar_text(const sym_value *v, char *buf, size_t cap, size_t *len)
{
    switch (v->type) {
    case SYM_VALUE_STRING:
        *len = v->n;
        return v->u.s;
    case SYM_VALUE_BOOL:
        snprintf(buf, cap, "%s", v->u.b ? "true" : "false");
        break;
    case SYM_VALUE_INT:
        snprintf(buf, cap, "%" PRId64, v->u.i);
        break;
    case SYM_VALUE_FLOAT:
        if (isnan(v->u.f))
            snprintf(buf, cap, ".nan");
        else if (isinf(v->u.f))
            snprintf(buf, cap, "%s", v->u.f < 0 ? "-.inf" : ".inf");
        else {
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, cap, "%.*g", prec, v->u.f);
                if (strtod(buf, NULL) == v->u.f)
                    break;
            }
            if (!strpbrk(buf, ".e")) /* keep it a float: 2.0, not 2 */
                strncat(buf, ".0", cap - strlen(buf) - 1);
        }
        break;
    default:
        snprintf(buf, cap, "null");
        break;
    }
    *len = strlen(buf);
    return buf;
}

/* ---- the workflow ----------------------------------------------------- */

/* The packed fields of a policy: a padding-free key to find equal ones. */
typedef struct policy_item {
    UT_hash_handle hh;
    int64_t key[9];
    const sym_task_policy *policy;
} policy_item;

static void policy_key(const sym_task_policy *p, int64_t key[9])
{
    key[0] = p->timeout_ms;
    key[1] = p->retry.attempts;
    key[2] = p->retry.backoff;
    key[3] = p->retry.delay_ms;
    key[4] = p->retry.max_delay_ms;
    key[5] = p->retry.jitter;
    key[6] = p->retry.retry_on;
    key[7] = p->trigger;
    key[8] = p->continue_on_error;
}

/* Field by field: the task's own value, else the defaults', else the
 * format's. */
static void merge_policy(sym_task_policy *out, const sym_task_policy *own, unsigned set,
                         const sym_task_policy *defs, unsigned defs_set)
{
    sym_task_policy_init(out);
#define PICK(bit, field)                                                                     \
    do {                                                                                     \
        if (set & (bit))                                                                     \
            out->field = own->field;                                                         \
        else if (defs_set & (bit))                                                           \
            out->field = defs->field;                                                        \
    } while (0)
    PICK(DRAFT_SET_TIMEOUT, timeout_ms);
    PICK(DRAFT_SET_ATTEMPTS, retry.attempts);
    PICK(DRAFT_SET_BACKOFF, retry.backoff);
    PICK(DRAFT_SET_DELAY, retry.delay_ms);
    PICK(DRAFT_SET_MAX_DELAY, retry.max_delay_ms);
    PICK(DRAFT_SET_JITTER, retry.jitter);
    PICK(DRAFT_SET_RETRY_ON, retry.retry_on);
    PICK(DRAFT_SET_TRIGGER, trigger);
    PICK(DRAFT_SET_CONTINUE, continue_on_error);
#undef PICK
}

/* The shared copy of policy p in the arena (one per distinct policy). */
static const sym_task_policy *intern_policy(arena *a, policy_item **set,
                                            const sym_task_policy *p)
{
    int64_t key[9];
    policy_key(p, key);
    policy_item *found;
    HASH_FIND(hh, *set, key, sizeof key, found);
    if (found)
        return found->policy;
    policy_item *item = sym__arena_alloc(a, sizeof *item);
    sym_task_policy *copy = sym__arena_alloc(a, sizeof *copy);
    if (!item || !copy)
        return NULL;
    *copy = *p;
    memcpy(item->key, key, sizeof key);
    item->policy = copy;
    HASH_ADD(hh, *set, key, sizeof item->key, item);
    return item->hh.tbl ? copy : NULL;
}

/* The distinct worker names, in first-use order. */
typedef struct worker_set {
    struct wf_id *index; /* over list */
    const char **list;   /* malloc'd */
    uint32_t count, cap;
} worker_set;

/* *at gets w's index in the set, w being added when new. */
static int worker_index(worker_set *ws, const char *w, uint32_t *at)
{
    if (!ws->index && !(ws->index = sym__ids_new(8)))
        return SYM_ENOMEM;
    if (ws->count == ws->cap) {
        uint32_t cap = ws->cap ? ws->cap * 2 : 8;
        const char **grown = realloc(ws->list, cap * sizeof *grown);
        if (!grown)
            return SYM_ENOMEM;
        ws->list = grown;
        ws->cap = cap;
    }
    int rc = sym__ids_put(ws->index, w, strlen(w), ws->count, ws->list, sizeof *ws->list, at);
    if (rc == SYM_OK) {
        ws->list[ws->count] = w;
        *at = ws->count++;
    }
    return rc == SYM_EEXIST ? SYM_OK : rc;
}

static int set_workers(compiler *c, sym_workflow *wf, worker_set *ws)
{
    wf->workers = sym__arena_alloc(&c->d->arena, (ws->count ? ws->count : 1) * sizeof *wf->workers);
    if (!wf->workers)
        return SYM_ENOMEM;
    if (ws->count)
        memcpy(wf->workers, ws->list, ws->count * sizeof *ws->list);
    wf->nworkers = ws->count;
    return SYM_OK;
}

/* Instance k of task i gets its id "name[key=value,...]" and matrix map. */
static int expand_matrix(compiler *c, sym_workflow *wf, uint32_t i)
{
    draft *d = c->d;
    const draft_task *t = T(c, i);
    const char *name = ID(c, i);
    wf_task *first = &wf->tasks[BASE(c, i)];
    const sym_value **lists = &c->axis_list[c->axis_off[i]];
    size_t name_len = strlen(name);
    for (uint32_t k = 0; k < INST(c, i); k++) {
        sym_value *map = sym__arena_alloc(&d->arena, sizeof *map);
        value_entry *entries = sym__arena_alloc(&d->arena, t->naxes * sizeof *entries);
        if (!map || !entries)
            return SYM_ENOMEM;
        /* Digits of k in mixed radix, the last axis turning fastest. */
        uint32_t rest = k;
        for (uint32_t a = t->naxes; a-- > 0;) {
            entries[a].key = (char *)t->axes[a].key;
            entries[a].value = lists[a]->u.items[rest % lists[a]->n];
            rest /= lists[a]->n;
        }
        memset(map, 0, sizeof *map);
        map->type = SYM_VALUE_MAP;
        map->n = t->naxes;
        map->u.entries = entries;
        char bufs[2][64];
        size_t len = name_len + 2;
        for (uint32_t a = 0; a < t->naxes; a++) {
            size_t vlen;
            scalar_text(&entries[a].value, bufs[0], sizeof bufs[0], &vlen);
            len += strlen(entries[a].key) + 1 + vlen + (a > 0);
        }
        char *id = sym__arena_alloc(&d->arena, len + 1), *p = id;
        if (!id)
            return SYM_ENOMEM;
        memcpy(p, name, name_len);
        p += name_len;
        *p++ = '[';
        for (uint32_t a = 0; a < t->naxes; a++) {
            size_t klen = strlen(entries[a].key), vlen;
            const char *text = scalar_text(&entries[a].value, bufs[1], sizeof bufs[1], &vlen);
            if (a > 0)
                *p++ = ',';
            memcpy(p, entries[a].key, klen);
            p += klen;
            *p++ = '=';
            memcpy(p, text, vlen);
            p += vlen;
        }
        *p++ = ']';
        *p = '\0';
        first[k].id = id;
        first[k].matrix = map;
    }
    return SYM_OK;
}

/* Writes every field of every instance once (the array is not zeroed
 * first): the draft's fields, the worker's index, the merged policy
 * (shared by equal ones; a task that sets none gets the defaults' copy),
 * matrix ids and maps; edges are zero here (set_edges). One pass over the
 * draft. */
/* The WF_HOT_* flags of a task with policy p. */
static uint32_t hot_flags(const sym_task_policy *p)
{
    uint32_t flags = 0;
    if (p && p->timeout_ms > 0)
        flags |= WF_HOT_TIMEOUT;
    if (p && (p->trigger == SYM_TRIGGER_ALL_FAILED || p->trigger == SYM_TRIGGER_ONE_FAILED))
        flags |= WF_HOT_ON_FAILURE;
    return flags;
}

/* The engine's copy of what it reads of a task on every run (wf_hot). */
static wf_hot hot_of(const wf_task *t)
{
    return (wf_hot){t->succ_begin, t->dep_count, t->worker, hot_flags(t->policy)};
}

/* ntasks + 1 entries, aligned to a cache line (four to a line, none across
 * two); free with sym__mem_big_free. */
static wf_hot *alloc_hot(uint32_t ntasks)
{
    return sym__mem_big_alloc(((size_t)ntasks + 1) * sizeof(wf_hot));
}

/* Every entry from the laid-out tasks, and the end of the last list. */
static void fill_hot(sym_workflow *wf)
{
    for (uint32_t i = 0; i < wf->ntasks; i++)
        wf->hot[i] = hot_of(&wf->tasks[i]);
    wf->hot[wf->ntasks] = (wf_hot){.succ_begin = wf->nedges};
}

static int fill_tasks(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    policy_item *set = NULL;
    sym_task_policy merged;
    merge_policy(&merged, &d->defaults, 0, &d->defaults, d->defaults_set);
    const sym_task_policy *common = intern_policy(&d->arena, &set, &merged);
    worker_set ws = {0};
    int rc = common ? SYM_OK : SYM_ENOMEM;
    uint32_t flags = hot_flags(common); /* every task's, when compact */
    wf->policy0 = c->compact ? common : NULL;
    const char *last_name = NULL;
    uint32_t worker = 0;
    for (uint32_t i = 0; i < c->n && rc == SYM_OK; i++) {
        /* In place, wf_task i (64 bytes at 64 i) covers only draft records
         * before i, except for task 0, which was copied aside. */
        const draft_task *t = c->in_place && i == 0 ? &c->task0 : T(c, i);
        const char *w = c->in_place && i == 0 ? t->worker : WORKER(c, i);
        if (w != last_name) {
            rc = worker_index(&ws, w, &worker);
            if (rc != SYM_OK)
                break;
            last_name = w;
        }
        const sym_task_policy *pol = common;
        if (t->set) {
            merge_policy(&merged, t->policy, t->set, &d->defaults, d->defaults_set);
            pol = intern_policy(&d->arena, &set, &merged);
            if (!pol) {
                rc = SYM_ENOMEM;
                break;
            }
        }
        if (c->compact) { /* the edges are laid out already */
            wf->hot[i] = (wf_hot){i > 0 ? c->send[i - 1] : 0, c->dcnt[i], worker, flags};
            continue;
        }
        const char *id = c->in_place && i == 0 ? t->id : ID(c, i);
        wf_task *first = &wf->tasks[BASE(c, i)];
        for (uint32_t k = 0, m = INST(c, i); k < m; k++)
            first[k] = (wf_task){.id = id,
                                 .name = id,
                                 .inputs = t->with,
                                 .condition = t->condition,
                                 .policy = pol,
                                 .worker = worker};
        if (wf->pos)
            for (uint32_t k = 0, m = INST(c, i); k < m; k++)
                wf->pos[BASE(c, i) + k] = (wf_pos){t->pos.line, t->pos.column};
        if (c->send) { /* the edges are laid out already (one instance) */
            first->dep_begin = c->dbeg[i];
            first->dep_count = c->dcnt[i];
            first->succ_begin = i > 0 ? c->send[i - 1] : 0;
            if (wf->hot)
                wf->hot[i] = hot_of(first);
        }
        if (t->naxes > 0)
            rc = expand_matrix(c, wf, i);
    }
    HASH_CLEAR(hh, set);
    if (rc == SYM_OK)
        rc = set_workers(c, wf, &ws);
    sym__ids_free(ws.index);
    free(ws.list);
    return rc;
}

/* The id index over the instances. When no task has a matrix and the file
 * order is kept, instance i is draft task i under the same id string, so
 * the draft's index serves as it is; otherwise a new index is filled from
 * the stored hashes (plain tasks) and the instance ids. */
static int set_instances(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    struct wf_id *x = d->ids;
    if (c->base) {
        x = sym__ids_new(wf->ntasks);
        if (!x)
            return SYM_ENOMEM;
        for (size_t s = 0; s <= d->ids->mask; s++) {
            uint64_t slot = d->ids->slots[s];
            uint32_t i = (uint32_t)slot - 1;
            if (slot != 0 && T(c, i)->naxes == 0 &&
                sym__ids_put_new(x, (uint32_t)(slot >> 32), BASE(c, i)) != SYM_OK) {
                sym__ids_free(x);
                return SYM_ENOMEM;
            }
        }
        for (uint32_t i = 0; i < c->n; i++) {
            const draft_task *t = T(c, i);
            for (uint32_t k = 0; t->naxes > 0 && k < INST(c, i); k++) {
                const char *id = wf->tasks[BASE(c, i) + k].id;
                int rc = sym__ids_put(x, id, strlen(id), BASE(c, i) + k, wf->tasks,
                                      sizeof *wf->tasks, NULL);
                if (rc == SYM_EEXIST && !full(c))
                    REPORT(c, code_for(c, SYM_EEXIST), t->pos,
                           "task '%s' has two matrix instances named '%s': give its matrix "
                           "distinct values",
                           ID(c, i), id);
                if (rc == SYM_ENOMEM) {
                    sym__ids_free(x);
                    return rc;
                }
            }
        }
        sym__ids_free(d->ids);
    }
    d->ids = NULL;
    wf->ids = x;
    return SYM_OK;
}

/* The edges when instance i is draft task i (no matrix, file order kept):
 * the dependency lists move into wf->deps as they are, c->dbeg following
 * them, and the successor lists are counted and filled in compact arrays,
 * so that the wf_task array is written in one pass (fill_tasks) instead of
 * being walked four times. */
static int set_flat_edges(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    uint64_t nedges = 0;
    for (uint32_t i = 0; i < c->n; i++)
        nedges += c->dcnt[i]; /* at most COMPILE_MAX_EDGES (build_deps) */
    wf->nedges = (uint32_t)nedges;
    /* Without holes (every list as long as its slots, the usual case: a
     * hole is a reported error) the lists are wf->deps as they stand: the
     * workflow takes the block over instead of a copy. */
    bool whole = nedges == c->dbeg[c->n] && c->ddep;
    if (whole) {
        wf->deps = c->ddep;
        wf->deps_block = c->ddep;
        c->ddep = NULL;
    } else {
        wf->deps = sym__arena_alloc(&d->arena, (nedges ? nedges : 1) * sizeof *wf->deps);
    }
    wf->succs = sym__arena_alloc(&d->arena, (nedges ? nedges : 1) * sizeof *wf->succs);
    c->send = xcalloc((size_t)c->n + 1, sizeof *c->send);
    if (!wf->deps || !wf->succs || !c->send)
        return SYM_ENOMEM;
    if (whole) {
        for (uint64_t e = 0; e < nedges; e++)
            c->send[wf->deps[e]]++;
    } else {
        uint32_t at = 0;
        for (uint32_t i = 0; i < c->n; i++) {
            const uint32_t *list = &c->ddep[c->dbeg[i]];
            c->dbeg[i] = at;
            for (uint32_t k = 0; k < c->dcnt[i]; k++) {
                wf->deps[at++] = list[k];
                c->send[list[k]]++;
            }
        }
    }
    /* The lists lie one after another from here on: starts[e] counts the
     * tasks whose list starts at edge e, so that the fill below finds each
     * edge's task by a running sum instead of a loop per task, whose
     * varying length (0 to 3 edges in a random graph) the processor
     * mispredicts about once a task. */
    uint32_t *starts = xcalloc(nedges + 1, sizeof *starts);
    if (!starts)
        return SYM_ENOMEM;
    /* send[i]: first the count, then the start, and after the fill the end
     * of task i's successors (the start of task i + 1's). */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        uint32_t count = c->send[i];
        c->send[i] = sum;
        sum += count;
        starts[c->dbeg[i]]++;
    }
    /* Locals: the stores into succs and send could alias them, which the
     * compiler would otherwise read again after every edge. */
    const uint32_t *deps = wf->deps;
    uint32_t *send = c->send, *succs = wf->succs, task = UINT32_MAX;
    for (uint64_t e = 0; e < nedges; e++) {
        task += starts[e]; /* the last task whose list starts at or before e */
        succs[send[deps[e]]++] = task;
    }
    sym__mem_big_free(starts);
    return SYM_OK;
}

/* Instance-level CSR: an instance needs every instance of each task its
 * task needs, in the order written; successor lists come out ascending. */
static int set_edges(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    uint64_t nedges = 0;
    if (!c->ninst) {
        for (uint32_t i = 0; i < c->n; i++)
            nedges += c->dcnt[i]; /* at most COMPILE_MAX_EDGES (build_deps) */
    }
    for (uint32_t i = 0; c->ninst && i < c->n; i++) {
        uint64_t per = 0;
        for (uint32_t k = 0; k < c->dcnt[i]; k++)
            per += INST(c, c->ddep[c->dbeg[i] + k]);
        nedges += per * INST(c, i);
        if (nedges > COMPILE_MAX_EDGES) {
            REPORT(c, SYM_ELIMIT, no_pos,
                   "the dependencies expand to more than %" PRIu64
                   " edges after matrix expansion",
                   COMPILE_MAX_EDGES);
            return SYM_OK;
        }
    }
    wf->nedges = (uint32_t)nedges;
    wf->deps = sym__arena_alloc(&d->arena, (nedges ? nedges : 1) * sizeof *wf->deps);
    wf->succs = sym__arena_alloc(&d->arena, (nedges ? nedges : 1) * sizeof *wf->succs);
    /* Per instance: its successor count, then where the next one goes. */
    uint32_t *next = xcalloc(wf->ntasks, sizeof *next);
    if (!wf->deps || !wf->succs || !next) {
        sym__mem_big_free(next);
        return SYM_ENOMEM;
    }
    uint32_t at = 0;
    for (uint32_t p = 0; p < c->n; p++) {
        uint32_t i = ORDER(c, p);
        const uint32_t *deps = &c->ddep[c->dbeg[i]];
        for (uint32_t k = 0, m = INST(c, i); k < m; k++) {
            wf_task *w = &wf->tasks[BASE(c, i) + k];
            w->dep_begin = at;
            for (uint32_t j = 0; j < c->dcnt[i]; j++) {
                uint32_t b = BASE(c, deps[j]), n = INST(c, deps[j]);
                for (uint32_t x = 0; x < n; x++) {
                    wf->deps[at++] = b + x;
                    next[b + x]++;
                }
            }
            w->dep_count = at - w->dep_begin;
        }
    }
    uint32_t sum = 0;
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        wf->tasks[i].succ_begin = sum;
        sum += next[i];
        next[i] = wf->tasks[i].succ_begin;
    }
    for (uint32_t i = 0; i < wf->ntasks; i++) {
        const wf_task *w = &wf->tasks[i];
        for (uint32_t j = w->dep_begin; j < w->dep_begin + w->dep_count; j++)
            wf->succs[next[wf->deps[j]]++] = i;
    }
    sym__mem_big_free(next);
    return SYM_OK;
}

static int set_header(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    wf->name = d->name;
    wf->description = d->description;
    wf->source = d->source ? d->source : "<memory>";
    wf->concurrency = d->concurrency;
    wf->deadline_ms = d->deadline_ms;
    wf->fail_fast = d->fail_fast;
    if (d->params && d->params->type == SYM_VALUE_MAP) {
        wf->params = d->params;
    } else {
        sym_value *empty = sym__arena_calloc(&d->arena, 1, sizeof *empty);
        if (!empty)
            return SYM_ENOMEM;
        empty->type = SYM_VALUE_MAP;
        wf->params = empty;
    }
    wf->nlimits = (uint32_t)d->nlimits;
    wf->limits = sym__arena_alloc(&d->arena, (d->nlimits ? d->nlimits : 1) * sizeof *wf->limits);
    if (!wf->limits)
        return SYM_ENOMEM;
    for (size_t i = 0; i < d->nlimits; i++)
        wf->limits[i] = (wf_limit){d->limits[i].worker, d->limits[i].concurrency};
    return SYM_OK;
}

static int build(compiler *c, sym_workflow *wf)
{
    draft *d = c->d;
    uint32_t at = (uint32_t)c->total;
    if (c->order || c->ninst) {
        c->base = malloc(((size_t)c->n + 1) * sizeof *c->base);
        if (!c->base)
            return SYM_ENOMEM;
        at = 0;
        for (uint32_t p = 0; p < c->n; p++) {
            c->base[ORDER(c, p)] = at;
            at += INST(c, ORDER(c, p));
        }
    }
    wf->ntasks = at;
    /* A file's tasks, without matrices or data flow and in file order, are
     * laid out over the draft's own records (wf_task i only ever covers
     * records already read), and the block then passes to the workflow:
     * the loader's peak memory does not hold both arrays at once. */
    c->in_place = !c->base && !d->slots && !d->has_df && at == d->ntasks && at > 0 &&
                  sizeof(wf_task) <= sizeof(draft_task);
    /* Slots without a full record have nothing but an id and a worker. */
    c->compact = d->slots && !d->full && !d->has_df && !c->base;
    if (c->compact) {
        wf->tasks = NULL;
    } else if (c->in_place) {
        c->task0 = d->tasks[0];
        wf->tasks = (wf_task *)(void *)d->tasks;
    } else {
        /* Not zeroed: fill_tasks writes every field of every task. Aligned
         * to a cache line, so that each task is one line. */
        char *block = sym__arena_alloc(&d->arena, (at ? at : 1) * sizeof *wf->tasks + 63);
        if (!block)
            return SYM_ENOMEM;
        wf->tasks = (wf_task *)(void *)(block + (64 - (uintptr_t)block % 64) % 64);
    }
    /* A file's tasks laid out in place get theirs once compile has freed
     * what it used (sym__draft_compile): made here, it would raise the load's
     * peak memory by its size. */
    if (!c->in_place && !(wf->hot = alloc_hot(at)))
        return SYM_ENOMEM;
    /* A file's positions; the builder's tasks have none. A block of its
     * own (freed with the workflow), so the arena is not grown by a block
     * that this array would leave mostly empty. */
    if (!d->from_code) {
        wf->pos = sym__mem_big_alloc((at ? at : 1) * sizeof *wf->pos);
        if (!wf->pos)
            return SYM_ENOMEM;
    }
    int rc = set_header(c, wf);
    if (rc == SYM_OK && !c->base)
        rc = set_flat_edges(c, wf);
    if (rc == SYM_OK)
        rc = fill_tasks(c, wf);
    if (rc == SYM_OK)
        rc = set_instances(c, wf);
    if (rc == SYM_OK && c->first == SYM_OK && c->base) {
        rc = set_edges(c, wf);
        if (rc == SYM_OK)
            fill_hot(wf);
    } else if (rc == SYM_OK && wf->hot) { /* fill_tasks wrote every entry */
        wf->hot[wf->ntasks] = (wf_hot){.succ_begin = wf->nedges};
    }
    return rc;
}

static int check(compiler *c)
{
    check_workflow(c);
    int rc = check_tasks(c);
    if (rc == SYM_OK)
        rc = build_deps(c);
    if (rc == SYM_OK && c->d->has_df && c->ddep && !full(c))
        rc = sym__dfl_check(c->d, c->n, c->dbeg, c->dcnt, c->ddep, &c->first);
    if (c->d->need_store)
        sym__draft_drop_needs(c->d); /* resolved into c->ddep: not read again */
    if (rc == SYM_OK)
        rc = expand_counts(c);
    if (rc == SYM_OK && c->ddep && !full(c))
        rc = order_tasks(c);
    return rc;
}

int sym__draft_compile(draft *d, sym_workflow **out)
{
    if (!d || !out)
        return SYM_EINVAL;
    *out = NULL;
    compiler c = {.d = d, .n = (uint32_t)draft_count(d)};
    sym_workflow *wf = NULL;
    int rc = check(&c);
    if (rc == SYM_OK && c.first == SYM_OK) {
        wf = calloc(1, sizeof *wf);
        rc = wf ? build(&c, wf) : SYM_ENOMEM;
        /* Data flow only when the draft has some: one test otherwise. The
         * flat layout moved the dependency lists into wf->deps. */
        if (rc == SYM_OK && c.first == SYM_OK && d->has_df)
            rc = sym__dfl_build(d, wf, c.n, c.base, c.ninst, c.dbeg, c.dcnt,
                           c.send ? wf->deps : c.ddep);
    }
    if (rc == SYM_OK && c.first != SYM_OK)
        rc = c.first;
    if (rc == SYM_ENOMEM && d->diag)
        sym__diag_add(d->diag, SYM_ENOMEM, 0, 0, "out of memory while compiling the workflow");
    if (c.in_place) {
        /* The draft records are overwritten: the draft keeps the block only
         * to free it (no record has axes to free: no matrices here). */
        size_t ntasks = d->ntasks;
        d->ntasks = 0;
        if (rc == SYM_OK) {
            wf_task *shrunk = realloc(d->tasks, ntasks * sizeof *wf->tasks);
            if (shrunk)
                wf->tasks = shrunk;
            wf->tasks_block = wf->tasks;
            d->tasks = NULL;
            d->tasks_cap = 0;
        }
    }
    if (rc == SYM_OK && c.compact) {
        /* The ids stay where the builder put them, the lists' starts are
         * the ones compile laid out. */
        wf->id_base = d->slots;
        wf->id_stride = sizeof *d->slots;
        wf->slots_block = d->slots;
        d->slots = NULL;
        d->nslots = d->slots_cap = 0;
        wf->dep_at = c.dbeg;
        wf->dep_at[wf->ntasks] = wf->nedges;
        c.dbeg = NULL;
    } else if (rc == SYM_OK) {
        wf->id_base = wf->tasks;
        wf->id_stride = sizeof *wf->tasks;
    }
    if (rc == SYM_OK) {
        atomic_init(&wf->refs, 1);
        sym__arena_init(&wf->arena);
        sym__arena_adopt(&wf->arena, &d->arena);
        if (wf->slots_block) /* for memory figures, as if in the arena */
            wf->arena.bytes += (size_t)wf->ntasks * (sizeof(draft_slot) + sizeof *wf->dep_at);
        if (wf->tasks_block) /* for memory figures, as if in the arena */
            wf->arena.bytes += (size_t)wf->ntasks * sizeof *wf->tasks;
        if (wf->pos)
            wf->arena.bytes += (size_t)wf->ntasks * sizeof *wf->pos;
        if (wf->deps_block)
            wf->arena.bytes += (size_t)wf->nedges * sizeof *wf->deps;
        *out = wf;
    } else if (wf) {
        sym__ids_free(wf->ids);
        sym__mem_big_free(wf->hot);
        sym__mem_big_free(wf->pos);
        sym__mem_big_free(wf->deps_block);
        free(wf);
    }
    sym__mem_big_free(c.dbeg);
    sym__mem_big_free(c.dcnt);
    sym__mem_big_free(c.ddep);
    free(c.order);
    free(c.ninst);
    free(c.base);
    sym__mem_big_free(c.axis_list);
    free(c.axis_off);
    sym__mem_big_free(c.send);
    if (rc == SYM_OK && !wf->hot) { /* laid out in place: see build */
        wf->hot = alloc_hot(wf->ntasks);
        if (!wf->hot) {
            if (d->diag)
                sym__diag_add(d->diag, SYM_ENOMEM, 0, 0,
                              "out of memory while compiling the workflow");
            sym__workflow_release(wf);
            *out = NULL;
            return SYM_ENOMEM;
        }
        fill_hot(wf);
    }
    if (rc == SYM_OK) /* for memory figures, as if in the arena */
        wf->arena.bytes += ((size_t)wf->ntasks + 1) * sizeof *wf->hot;
    return rc;
}
