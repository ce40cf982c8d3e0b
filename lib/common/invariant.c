/* invariant.c - where a failed SYM_ASSERT ends a test build. The only
 * place the library writes to stderr, and only with -DSYM_ASSERTS. */
#include "invariant.h"

#ifdef SYM_ASSERTS
#include <stdio.h>
#include <stdlib.h>

_Noreturn void sym__assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, cond);
    abort();
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int sym__invariant_unused;
#endif
