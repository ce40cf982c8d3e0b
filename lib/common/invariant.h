/* invariant.h - SYM_ASSERT: invariants of the library's own state, checked
 * in test builds (-DSYM_ASSERTS: the sanitizer, clang and valgrind builds of
 * `make check`) and compiled away elsewhere. Never for bad input: that gets
 * an error code. A failed invariant is a bug in the library, and a test
 * build stops at once with the condition and where it failed. */
#ifndef SYM_INVARIANT_H
#define SYM_INVARIANT_H

#ifdef SYM_ASSERTS
/* Prints "file:line: invariant failed: cond" to stderr and aborts. */
_Noreturn void sym__assert_fail(const char *cond, const char *file, int line);
#define SYM_ASSERT(cond) ((cond) ? (void)0 : sym__assert_fail(#cond, __FILE__, __LINE__))
#else
/* Not evaluated, but still compiled: its variables count as used. */
#define SYM_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif
