/* proc_status.h - reading this process's memory figures from
 * /proc/self/status, for the tests and benchmarks that bound a load's peak
 * memory. Header-only (static), so each program gets its own copy. */
#ifndef PROC_STATUS_H
#define PROC_STATUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1. */
static inline long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

#endif
