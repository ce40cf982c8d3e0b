/* version.c - the version of the library linked at run time. */
#include "symphony.h"

SYM_API const char *sym_version(void) { return SYM_VERSION_STRING; }

SYM_API unsigned sym_version_number(void) { return SYM_VERSION_NUMBER; }
