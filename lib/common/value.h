/* value.h - the layout of sym_value. Two kinds live side by side:
 * owned values (sym_value_new_*; heap; mutable; freed by sym_value_free)
 * and arena values (inside a workflow or run; read-only; freed with their
 * arena). The public getters work on both. */
#ifndef SYM_VALUE_H
#define SYM_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "symphony.h"

typedef struct value_entry value_entry;

/* 16 bytes: a big workflow's inputs are millions of them. */
struct sym_value {
    uint8_t type;  /* sym_value_type */
    uint8_t owned; /* 1: heap value made by sym_value_new_* */
    uint8_t room;  /* owned list/map: room for 1 << room elements; 0: exactly n */
    uint32_t n;    /* string: length in bytes; list/map: element count */
    union {
        bool b;
        int64_t i;
        double f;
        char *s;               /* NUL-terminated */
        sym_value *items;      /* list: n values */
        value_entry *entries;  /* map: n entries, in insertion order */
    } u;
};

struct value_entry {
    char *key; /* NUL-terminated */
    sym_value value;
};

/* Arena constructors: fill *v in place (v itself may live in an array). */
void sym__value_set_null(sym_value *v);
void sym__value_set_bool(sym_value *v, bool b);
void sym__value_set_int(sym_value *v, int64_t i);
void sym__value_set_float(sym_value *v, double f);
/* Copies n bytes of s into a. SYM_OK or SYM_ENOMEM. */
int sym__value_set_string(sym_value *v, arena *a, const char *s, size_t n);

/* True when a string anywhere in v holds a NUL byte (a sym_value string
 * carries its length, so it can). Such a value is refused where it would
 * become a workflow's params or inputs: each string is handed on as a C
 * string in the end (a program's argv, an environment variable), cut at
 * the NUL. Map keys are C strings already. */
bool sym__value_has_nul(const sym_value *v);
/* What is said of such a string, by the loader and the builder alike. */
#define VALUE_NUL_REFUSED                                                                   \
    "a NUL character (\\0) is not allowed in a string: a program given the string would see " \
    "it cut short there"

/* A deep copy of src into arena a, stored in *dst. SYM_OK or SYM_ENOMEM. */
int sym__value_copy_to_arena(sym_value *dst, const sym_value *src, arena *a);

/* Writes v as JSON to a strbuf (declared in strbuf.h). */
struct strbuf;
void sym__value_write_json(struct strbuf *sb, const sym_value *v);

#endif
