/* names.c - the grammar of names in the workflow format, and suggestions
 * for misspelt ones. */
#include "names.h"

#include <string.h>

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool sym__name_is_task_id(const char *s)
{
    if (!s || !(is_alpha(s[0]) || s[0] == '_'))
        return false;
    size_t n = 1;
    for (; s[n]; n++)
        if (!(is_alpha(s[n]) || is_digit(s[n]) || s[n] == '_' || s[n] == '-'))
            return false;
    return n <= 64;
}

static bool all_name_chars(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!(is_alpha(s[n]) || is_digit(s[n]) || s[n] == '_' || s[n] == '.' || s[n] == '-'))
            return false;
    return n >= 1 && n <= max;
}

bool sym__name_is_worker(const char *s) { return s && all_name_chars(s, 64); }

bool sym__name_is_workflow(const char *s) { return s && all_name_chars(s, 128); }

bool sym__name_is_identifier(const char *s)
{
    if (!s || !(is_alpha(s[0]) || s[0] == '_'))
        return false;
    size_t n = 1;
    for (; s[n]; n++)
        if (!(is_alpha(s[n]) || is_digit(s[n]) || s[n] == '_'))
            return false;
    return n <= 64;
}

/* Levenshtein distance with an early exit: anything above `limit` is
 * reported as limit + 1, which is all a suggestion needs. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = diag + cost;
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
    }
    return row[lb];
}

const char *sym__did_you_mean(const char *word, const void *cands, size_t n, size_t stride)
{
    size_t len = strlen(word);
    size_t limit = len < 4 ? 1 : 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = *(const char *const *)((const char *)cands + i * stride);
        if (!c || strcmp(c, word) == 0)
            continue;
        size_t d = edit_distance(word, c, limit);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}
