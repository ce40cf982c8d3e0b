/* load.c - sym_workflow_load_file and _buffer: bytes -> reader -> schema
 * -> draft -> compile.
 *
 * compile also runs after shape errors when the schema read the whole
 * document (see sym__schema_read), so a file reports its bad references, names
 * and cycles beside its bad keys and types: all its errors at once. The
 * workflow such a run may build is dropped. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "draft.h"
#include "schema.h"
#include "symphony.h"
#include "yreader.h"

/* *own: the caller's options (NULL for the defaults) in the library's
 * newest layout. SYM_EINVAL, reported to err, for an unknown version. */
static int take_options(const sym_load_options *opts, sym_load_options *own, const char *fn,
                        sym_error *err)
{
    *own = (sym_load_options)SYM_LOAD_OPTIONS_INIT;
    if (!opts)
        return SYM_OK;
    if (!sym__abi_known(ABI_LOAD_OPTIONS, opts->version))
        return sym__abi_refuse(err, fn, ABI_LOAD_OPTIONS, opts->version);
    sym__abi_read(ABI_LOAD_OPTIONS, own, opts);
    return SYM_OK;
}

/* Puts the entries a load added to err (from index `from` on) in file
 * order: a missing key is reported when its mapping ends but belongs at
 * the mapping's start. Stable, and entries without a position go last in
 * the order found. Insertion sort: entries arrive nearly sorted (only
 * such end-of-mapping reports move), so this is close to linear. */
static void sort_entries(sym_error *err, size_t from)
{
    if (!err)
        return;
    for (size_t i = from + 1; i < err->count; i++) {
        error_entry e = err->entries[i];
        uint64_t key = e.line ? (uint64_t)e.line << 32 | e.column : UINT64_MAX;
        size_t j = i;
        while (j > from) {
            const error_entry *p = &err->entries[j - 1];
            uint64_t pk = p->line ? (uint64_t)p->line << 32 | p->column : UINT64_MAX;
            if (pk <= key)
                break;
            err->entries[j] = *p;
            j--;
        }
        err->entries[j] = e;
    }
}

/* Where one load reports: the caller's list, or a private one when the
 * caller gave none, so the result is the same code either way. */
typedef struct report {
    sym_error *err; /* NULL only when the private list could not be made */
    sym_error *own;
    size_t from; /* the first entry this load adds */
    diag dg;
} report;

static void report_begin(report *rp, sym_error *err, const char *name, size_t max_errors)
{
    rp->own = err ? NULL : sym_error_new();
    rp->err = err ? err : rp->own;
    rp->from = sym_error_count(rp->err);
    sym__diag_init(&rp->dg, rp->err, name, max_errors);
}

/* Puts this load's errors in file order and returns the code of the first
 * of them (a load's result is the code of the first error it lists). */
static int report_end(report *rp, int rc)
{
    if (rc != SYM_OK) {
        sort_entries(rp->err, rp->from);
        if (sym_error_count(rp->err) > rp->from)
            rc = sym_error_code(rp->err, rp->from);
    }
    sym_error_free(rp->own);
    return rc;
}

/* The load proper, into a diag set up by the caller (*out is NULL). */
static int load(const char *data, size_t len, const char *name, const sym_load_options *opts,
                diag *dg, sym_workflow **out)
{
    draft d;
    sym__draft_init(&d, dg, opts, name);
    yreader *r = NULL;
    int rc = sym__yr_open(&r, data, len, opts, dg);
    if (rc == SYM_OK) {
        bool checkable = false;
        rc = sym__schema_read(r, &d, &checkable);
        sym__yr_close(r);
        if (rc == SYM_OK || checkable) {
            int crc = sym__draft_compile(&d, out);
            if (rc == SYM_OK)
                rc = crc;
        }
    }
    sym__draft_free(&d);
    if (dg->first != SYM_OK)
        rc = dg->first;
    if (rc != SYM_OK && *out) {
        sym_workflow_free(*out);
        *out = NULL;
    }
    return rc;
}

SYM_API int sym_workflow_load_buffer(const char *data, size_t len, const char *name,
                                     const sym_load_options *opts, sym_workflow **out,
                                     sym_error *err)
{
    if (out)
        *out = NULL;
    if (!name)
        name = "<memory>";
    if (!out || (!data && len > 0))
        return sym__error_add(err, SYM_EINVAL, name, 0, 0,
                         "sym_workflow_load_buffer: %s is NULL", out ? "data" : "out");
    sym_load_options own;
    int rc = take_options(opts, &own, "sym_workflow_load_buffer", err);
    if (rc != SYM_OK)
        return rc;
    opts = &own;
    report rp;
    report_begin(&rp, err, name, opts->max_errors);
    return report_end(&rp, load(data, len, name, opts, &rp.dg, out));
}

/* Reads the whole of fd, a file of `size` bytes by fstat (0 when it has no
 * size, like some files under /proc), refusing more than max bytes (0 = no
 * limit).
 * SYM_OK with *buf (malloc'd) and *len, or SYM_EIO / SYM_ELIMIT /
 * SYM_ENOMEM with errno or the size in *len. */
static int read_all(int fd, size_t size, size_t max, char **buf, size_t *len)
{
    size_t cap = size ? size + 1 : 65536, n = 0;
    char *p = malloc(cap);
    if (!p)
        return SYM_ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                free(p);
                return SYM_ENOMEM;
            }
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                return SYM_ENOMEM;
            }
            p = q;
            cap *= 2;
        }
        ssize_t got = read(fd, p + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(p);
            *len = (size_t)e;
            return SYM_EIO;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (max && n > max) { /* the file grew, or has no size to check first */
            free(p);
            *len = n;
            return SYM_ELIMIT;
        }
    }
    *buf = p;
    *len = n;
    return SYM_OK;
}

static const char *errno_text(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
}

/* What a file that is not a regular one is, for messages; NULL for a
 * regular file. */
static const char *special_kind(mode_t mode)
{
    return S_ISREG(mode)    ? NULL
           : S_ISDIR(mode)  ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO (named pipe)"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "a special file";
}

static int refuse_special(diag *dg, const char *path, const char *kind)
{
    sym__diag_add(dg, SYM_EIO, 0, 0, "cannot read '%s': it is %s, not a regular file", path,
             kind);
    return SYM_EIO;
}

/* Opens path and reads it all, checking its size against the limit before
 * reading it. Errors go to dg.
 *
 * Only regular files are read. A FIFO with no writer would block the open
 * and the read forever, a device may never end: the open does not wait
 * (O_NONBLOCK), and what fstat does not call a regular file is refused
 * before any read. */
static int read_file(const char *path, size_t max, diag *dg, char **buf, size_t *len)
{
    char why[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        const char *kind = e == ENXIO && stat(path, &st) == 0 ? special_kind(st.st_mode) : NULL;
        if (kind) /* a socket: open says "No such device or address" */
            return refuse_special(dg, path, kind);
        sym__diag_add(dg, SYM_EIO, 0, 0, "cannot open '%s': %s", path,
                      errno_text(e, why, sizeof why));
        return SYM_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        sym__diag_add(dg, SYM_EIO, 0, 0, "cannot read '%s': %s", path,
                      errno_text(e, why, sizeof why));
        return SYM_EIO;
    }
    const char *kind = special_kind(st.st_mode);
    if (kind) {
        close(fd);
        return refuse_special(dg, path, kind);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags != -1)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    size_t size = st.st_size > 0 ? (size_t)st.st_size : 0;
    if (max && (uintmax_t)st.st_size > max) {
        close(fd);
        sym__diag_add(dg, SYM_ELIMIT, 0, 0,
                 "'%s' is %jd bytes, over the limit of %zu bytes (load option max_file_bytes)",
                 path, (intmax_t)st.st_size, max);
        return SYM_ELIMIT;
    }
    int rc = read_all(fd, size, max, buf, len);
    close(fd);
    if (rc == SYM_EIO)
        sym__diag_add(dg, SYM_EIO, 0, 0, "cannot read '%s': %s", path,
                 errno_text((int)*len, why, sizeof why));
    else if (rc == SYM_ELIMIT)
        sym__diag_add(dg, SYM_ELIMIT, 0, 0,
                 "'%s' is over the limit of %zu bytes (load option max_file_bytes)", path, max);
    else if (rc == SYM_ENOMEM)
        sym__diag_add(dg, SYM_ENOMEM, 0, 0, "out of memory reading '%s'", path);
    return rc;
}

SYM_API int sym_workflow_load_file(const char *path, const sym_load_options *opts,
                                   sym_workflow **out, sym_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return sym__error_add(err, SYM_EINVAL, NULL, 0, 0, "sym_workflow_load_file: %s is NULL",
                         path ? "out" : "path");
    sym_load_options own;
    int rc = take_options(opts, &own, "sym_workflow_load_file", err);
    if (rc != SYM_OK)
        return rc;
    opts = &own;
    report rp;
    report_begin(&rp, err, path, opts->max_errors);
    char *data = NULL;
    size_t len = 0;
    rc = read_file(path, opts->max_file_bytes, &rp.dg, &data, &len);
    if (rc == SYM_OK)
        rc = load(data, len, path, opts, &rp.dg, out);
    free(data);
    return report_end(&rp, rc);
}
