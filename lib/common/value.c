/* value.c - sym_value: getters shared by owned and arena values, the owned
 * (mutable) constructors, deep copies, paths and JSON. */
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ---- getters ---------------------------------------------------------- */

SYM_API sym_value_type sym_value_type_of(const sym_value *v)
{
    return v ? (sym_value_type)v->type : SYM_VALUE_NULL;
}

SYM_API const char *sym_value_type_name(sym_value_type type)
{
    static const char *const names[] = {"null", "bool", "int", "float", "string", "list", "map"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

SYM_API int sym_value_get_bool(const sym_value *v, bool *out)
{
    if (!v || !out)
        return SYM_EINVAL;
    if (v->type != SYM_VALUE_BOOL)
        return SYM_ETYPE;
    *out = v->u.b;
    return SYM_OK;
}

SYM_API int sym_value_get_int(const sym_value *v, int64_t *out)
{
    if (!v || !out)
        return SYM_EINVAL;
    if (v->type != SYM_VALUE_INT)
        return SYM_ETYPE;
    *out = v->u.i;
    return SYM_OK;
}

SYM_API int sym_value_get_float(const sym_value *v, double *out)
{
    if (!v || !out)
        return SYM_EINVAL;
    if (v->type == SYM_VALUE_INT)
        *out = (double)v->u.i;
    else if (v->type == SYM_VALUE_FLOAT)
        *out = v->u.f;
    else
        return SYM_ETYPE;
    return SYM_OK;
}

SYM_API const char *sym_value_string(const sym_value *v, size_t *len)
{
    if (!v || v->type != SYM_VALUE_STRING)
        return NULL;
    if (len)
        *len = v->n;
    return v->u.s;
}

SYM_API size_t sym_value_count(const sym_value *v)
{
    return v && (v->type == SYM_VALUE_LIST || v->type == SYM_VALUE_MAP) ? v->n : 0;
}

SYM_API const sym_value *sym_value_at(const sym_value *v, size_t i)
{
    if (!v || i >= v->n)
        return NULL;
    if (v->type == SYM_VALUE_LIST)
        return &v->u.items[i];
    if (v->type == SYM_VALUE_MAP)
        return &v->u.entries[i].value;
    return NULL;
}

SYM_API const char *sym_value_key_at(const sym_value *v, size_t i)
{
    return v && v->type == SYM_VALUE_MAP && i < v->n ? v->u.entries[i].key : NULL;
}

static const sym_value *map_lookup(const sym_value *v, const char *key, size_t len)
{
    if (!v || v->type != SYM_VALUE_MAP)
        return NULL;
    for (uint32_t i = 0; i < v->n; i++) {
        const char *k = v->u.entries[i].key;
        if (strncmp(k, key, len) == 0 && k[len] == '\0')
            return &v->u.entries[i].value;
    }
    return NULL;
}

SYM_API const sym_value *sym_value_get(const sym_value *v, const char *key)
{
    return key ? map_lookup(v, key, strlen(key)) : NULL;
}

SYM_API const sym_value *sym_value_path(const sym_value *v, const char *path)
{
    if (!path)
        return NULL;
    const char *p = path;
    while (v && *p) {
        if (*p == '[') {
            char *end;
            if (p[1] < '0' || p[1] > '9')
                return NULL;
            unsigned long long i = strtoull(p + 1, &end, 10);
            if (*end != ']' || v->type != SYM_VALUE_LIST || i >= v->n)
                return NULL;
            v = &v->u.items[i];
            p = end + 1;
            if (*p == '.')
                p++;
            continue;
        }
        size_t len = strcspn(p, ".[");
        if (len == 0)
            return NULL;
        v = map_lookup(v, p, len);
        p += len;
        if (*p == '.' && *++p == '\0')
            return NULL; /* trailing dot */
    }
    return v;
}

SYM_API bool sym_value_equal(const sym_value *a, const sym_value *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    switch ((sym_value_type)a->type) {
    case SYM_VALUE_NULL: return true;
    case SYM_VALUE_BOOL: return a->u.b == b->u.b;
    case SYM_VALUE_INT: return a->u.i == b->u.i;
    case SYM_VALUE_FLOAT: return a->u.f == b->u.f;
    case SYM_VALUE_STRING: return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case SYM_VALUE_LIST:
        if (a->n != b->n)
            return false;
        for (uint32_t i = 0; i < a->n; i++)
            if (!sym_value_equal(&a->u.items[i], &b->u.items[i]))
                return false;
        return true;
    case SYM_VALUE_MAP:
        if (a->n != b->n)
            return false;
        for (uint32_t i = 0; i < a->n; i++) {
            const sym_value *other = sym_value_get(b, a->u.entries[i].key);
            if (!other || !sym_value_equal(&a->u.entries[i].value, other))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- arena constructors ----------------------------------------------- */

void sym__value_set_null(sym_value *v) { memset(v, 0, sizeof *v); }

void sym__value_set_bool(sym_value *v, bool b)
{
    memset(v, 0, sizeof *v);
    v->type = SYM_VALUE_BOOL;
    v->u.b = b;
}

void sym__value_set_int(sym_value *v, int64_t i)
{
    memset(v, 0, sizeof *v);
    v->type = SYM_VALUE_INT;
    v->u.i = i;
}

void sym__value_set_float(sym_value *v, double f)
{
    memset(v, 0, sizeof *v);
    v->type = SYM_VALUE_FLOAT;
    v->u.f = f;
}

int sym__value_set_string(sym_value *v, arena *a, const char *s, size_t n)
{
    memset(v, 0, sizeof *v);
    if (n > UINT32_MAX)
        return SYM_ETOOBIG;
    char *copy = sym__arena_strndup(a, s, n);
    if (!copy)
        return SYM_ENOMEM;
    v->type = SYM_VALUE_STRING;
    v->n = (uint32_t)n;
    v->u.s = copy;
    return SYM_OK;
}

bool sym__value_has_nul(const sym_value *v)
{
    if (!v)
        return false;
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_STRING: return memchr(v->u.s, '\0', v->n) != NULL;
    case SYM_VALUE_LIST:
        for (uint32_t i = 0; i < v->n; i++)
            if (sym__value_has_nul(&v->u.items[i]))
                return true;
        return false;
    case SYM_VALUE_MAP:
        for (uint32_t i = 0; i < v->n; i++)
            if (sym__value_has_nul(&v->u.entries[i].value))
                return true;
        return false;
    default: return false;
    }
}

int sym__value_copy_to_arena(sym_value *dst, const sym_value *src, arena *a)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return SYM_OK;
    switch ((sym_value_type)src->type) {
    case SYM_VALUE_STRING: return sym__value_set_string(dst, a, src->u.s, src->n);
    case SYM_VALUE_LIST: {
        sym_value *items = src->n ? sym__arena_alloc(a, src->n * sizeof *items) : NULL;
        if (src->n && !items)
            return SYM_ENOMEM;
        for (uint32_t i = 0; i < src->n; i++) {
            int rc = sym__value_copy_to_arena(&items[i], &src->u.items[i], a);
            if (rc != SYM_OK)
                return rc;
        }
        dst->type = SYM_VALUE_LIST;
        dst->n = src->n;
        dst->u.items = items;
        return SYM_OK;
    }
    case SYM_VALUE_MAP: {
        value_entry *es = src->n ? sym__arena_alloc(a, src->n * sizeof *es) : NULL;
        if (src->n && !es)
            return SYM_ENOMEM;
        for (uint32_t i = 0; i < src->n; i++) {
            es[i].key = sym__arena_strdup(a, src->u.entries[i].key);
            if (!es[i].key)
                return SYM_ENOMEM;
            int rc = sym__value_copy_to_arena(&es[i].value, &src->u.entries[i].value, a);
            if (rc != SYM_OK)
                return rc;
        }
        dst->type = SYM_VALUE_MAP;
        dst->n = src->n;
        dst->u.entries = es;
        return SYM_OK;
    }
    default:
        *dst = *src;
        dst->owned = 0;
        dst->room = 0;
        return SYM_OK;
    }
}

/* ---- owned values ----------------------------------------------------- */

/* Owned values hold their children inline (items/entries arrays); the
 * top-level handle is a heap sym_value with owned = 1. Children inside the
 * arrays carry owned = 1 too so a copy knows to free them. */

static void owned_release(sym_value *v)
{
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_STRING: free(v->u.s); break;
    case SYM_VALUE_LIST:
        for (uint32_t i = 0; i < v->n; i++)
            owned_release(&v->u.items[i]);
        free(v->u.items);
        break;
    case SYM_VALUE_MAP:
        for (uint32_t i = 0; i < v->n; i++) {
            free(v->u.entries[i].key);
            owned_release(&v->u.entries[i].value);
        }
        free(v->u.entries);
        break;
    default: break;
    }
}

SYM_API void sym_value_free(sym_value *v)
{
    if (!v || !v->owned)
        return;
    owned_release(v);
    free(v);
}

static sym_value *owned_new(sym_value_type type)
{
    sym_value *v = calloc(1, sizeof *v);
    if (v) {
        v->type = (uint8_t)type;
        v->owned = 1;
    }
    return v;
}

SYM_API sym_value *sym_value_new_null(void) { return owned_new(SYM_VALUE_NULL); }

SYM_API sym_value *sym_value_new_bool(bool b)
{
    sym_value *v = owned_new(SYM_VALUE_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

SYM_API sym_value *sym_value_new_int(int64_t i)
{
    sym_value *v = owned_new(SYM_VALUE_INT);
    if (v)
        v->u.i = i;
    return v;
}

SYM_API sym_value *sym_value_new_float(double f)
{
    sym_value *v = owned_new(SYM_VALUE_FLOAT);
    if (v)
        v->u.f = f;
    return v;
}

/* Strict UTF-8 check (no overlongs, no surrogates, at most U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

SYM_API sym_value *sym_value_new_stringn(const char *s, size_t len)
{
    if (!s || len > UINT32_MAX || !valid_utf8((const unsigned char *)s, len))
        return NULL;
    sym_value *v = owned_new(SYM_VALUE_STRING);
    if (!v)
        return NULL;
    v->u.s = malloc(len + 1);
    if (!v->u.s) {
        free(v);
        return NULL;
    }
    memcpy(v->u.s, s, len);
    v->u.s[len] = '\0';
    v->n = (uint32_t)len;
    return v;
}

SYM_API sym_value *sym_value_new_string(const char *s)
{
    return s ? sym_value_new_stringn(s, strlen(s)) : NULL;
}

SYM_API sym_value *sym_value_new_list(void) { return owned_new(SYM_VALUE_LIST); }

SYM_API sym_value *sym_value_new_map(void) { return owned_new(SYM_VALUE_MAP); }

/* Deep-copies src into *dst as owned children. */
static int owned_copy_into(sym_value *dst, const sym_value *src)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->owned = 1;
    switch ((sym_value_type)src->type) {
    case SYM_VALUE_STRING:
        dst->u.s = malloc(src->n + 1u);
        if (!dst->u.s)
            return SYM_ENOMEM;
        memcpy(dst->u.s, src->u.s, src->n);
        dst->u.s[src->n] = '\0';
        dst->n = src->n;
        return SYM_OK;
    case SYM_VALUE_LIST:
        if (!src->n)
            return SYM_OK;
        dst->u.items = calloc(src->n, sizeof *dst->u.items);
        if (!dst->u.items)
            return SYM_ENOMEM;
        for (uint32_t i = 0; i < src->n; i++) {
            int rc = owned_copy_into(&dst->u.items[i], &src->u.items[i]);
            dst->n = i + 1; /* so a failure frees what was copied */
            if (rc != SYM_OK)
                return rc;
        }
        return SYM_OK;
    case SYM_VALUE_MAP:
        if (!src->n)
            return SYM_OK;
        dst->u.entries = calloc(src->n, sizeof *dst->u.entries);
        if (!dst->u.entries)
            return SYM_ENOMEM;
        for (uint32_t i = 0; i < src->n; i++) {
            value_entry *e = &dst->u.entries[i];
            dst->n = i + 1;
            size_t klen = strlen(src->u.entries[i].key) + 1;
            e->key = malloc(klen);
            if (!e->key)
                return SYM_ENOMEM;
            memcpy(e->key, src->u.entries[i].key, klen);
            int rc = owned_copy_into(&e->value, &src->u.entries[i].value);
            if (rc != SYM_OK)
                return rc;
        }
        return SYM_OK;
    default:
        dst->u = src->u;
        return SYM_OK;
    }
}

SYM_API sym_value *sym_value_copy(const sym_value *v)
{
    if (!v)
        return NULL;
    sym_value *out = malloc(sizeof *out);
    if (!out)
        return NULL;
    if (owned_copy_into(out, v) != SYM_OK) {
        owned_release(out);
        free(out);
        return NULL;
    }
    return out;
}

_Static_assert(sizeof(sym_value) == 16, "a value is 16 bytes");

/* arr, the items or entries of the owned list or map v (elements of size
 * bytes), with room for one more: moved, maybe; NULL when out of memory
 * (arr is then untouched). Capacities are powers of two from 4, so one
 * byte (v->room) holds them. */
static void *make_room(sym_value *v, void *arr, size_t size)
{
    size_t room = v->room ? (size_t)1 << v->room : v->n;
    if (v->n < room)
        return arr;
    unsigned k = 2;
    while (((size_t)1 << k) <= v->n)
        k++;
    void *p = realloc(arr, ((size_t)1 << k) * size);
    if (p)
        v->room = (uint8_t)k;
    return p;
}

/* Moves the contents of a heap handle into slot and frees the handle. */
static void adopt_into(sym_value *slot, sym_value *item)
{
    *slot = *item;
    slot->owned = 1;
    free(item);
}

SYM_API int sym_value_list_append(sym_value *list, sym_value *item)
{
    if (!item)
        return SYM_EINVAL;
    if (!list || !list->owned || list->type != SYM_VALUE_LIST || !item->owned ||
        list->n == UINT32_MAX) {
        sym_value_free(item);
        return SYM_EINVAL;
    }
    sym_value *items = make_room(list, list->u.items, sizeof *items);
    if (!items) {
        sym_value_free(item);
        return SYM_ENOMEM;
    }
    list->u.items = items;
    adopt_into(&list->u.items[list->n++], item);
    return SYM_OK;
}

SYM_API int sym_value_map_set(sym_value *map, const char *key, sym_value *item)
{
    if (!item)
        return SYM_EINVAL;
    if (!map || !key || !map->owned || map->type != SYM_VALUE_MAP || !item->owned ||
        !valid_utf8((const unsigned char *)key, strlen(key))) {
        sym_value_free(item);
        return SYM_EINVAL;
    }
    for (uint32_t i = 0; i < map->n; i++) {
        if (strcmp(map->u.entries[i].key, key) == 0) {
            owned_release(&map->u.entries[i].value);
            adopt_into(&map->u.entries[i].value, item);
            return SYM_OK;
        }
    }
    value_entry *entries = make_room(map, map->u.entries, sizeof *entries);
    if (!entries) {
        sym_value_free(item);
        return SYM_ENOMEM;
    }
    map->u.entries = entries;
    size_t klen = strlen(key) + 1;
    char *k = malloc(klen);
    if (!k) {
        sym_value_free(item);
        return SYM_ENOMEM;
    }
    memcpy(k, key, klen);
    map->u.entries[map->n].key = k;
    adopt_into(&map->u.entries[map->n].value, item);
    map->n++;
    return SYM_OK;
}

/* ---- JSON ------------------------------------------------------------- */

/* The shortest of %.15g/%.17g that reads back as the same double, with a
 * ".0" kept on whole numbers so the value stays a float when read again. */
static void write_float(strbuf *sb, double f)
{
    if (!isfinite(f)) {
        sym__sb_puts(sb, "null");
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", f);
    if (strtod(buf, NULL) != f)
        snprintf(buf, sizeof buf, "%.17g", f);
    sym__sb_puts(sb, buf);
    if (!strpbrk(buf, ".eEn"))
        sym__sb_puts(sb, ".0");
}

void sym__value_write_json(strbuf *sb, const sym_value *v)
{
    if (!v) {
        sym__sb_puts(sb, "null");
        return;
    }
    switch ((sym_value_type)v->type) {
    case SYM_VALUE_NULL: sym__sb_puts(sb, "null"); break;
    case SYM_VALUE_BOOL: sym__sb_puts(sb, v->u.b ? "true" : "false"); break;
    case SYM_VALUE_INT: sym__sb_printf(sb, "%lld", (long long)v->u.i); break;
    case SYM_VALUE_FLOAT:
        write_float(sb, v->u.f);
        break;
    case SYM_VALUE_STRING: sym__sb_json_stringn(sb, v->u.s, v->n); break;
    case SYM_VALUE_LIST:
        sym__sb_putc(sb, '[');
        for (uint32_t i = 0; i < v->n; i++) {
            if (i)
                sym__sb_putc(sb, ',');
            sym__value_write_json(sb, &v->u.items[i]);
        }
        sym__sb_putc(sb, ']');
        break;
    case SYM_VALUE_MAP:
        sym__sb_putc(sb, '{');
        for (uint32_t i = 0; i < v->n; i++) {
            if (i)
                sym__sb_putc(sb, ',');
            sym__sb_json_string(sb, v->u.entries[i].key);
            sym__sb_putc(sb, ':');
            sym__value_write_json(sb, &v->u.entries[i].value);
        }
        sym__sb_putc(sb, '}');
        break;
    }
}

SYM_API char *sym_value_to_json(const sym_value *v)
{
    strbuf sb;
    sym__sb_init(&sb);
    sym__value_write_json(&sb, v);
    return sym__sb_finish(&sb);
}
