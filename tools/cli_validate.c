/* cli_validate.c - `symphony validate [-v] FILE...`: loads every file, goes
 * on past invalid ones, and prints each error with its position. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_validate(const cli_command *cmd, int argc, char **argv)
{
    int verbose = 0, nfiles = 0, options_done = 0;
    /* Options first, so that no file is read when the line is wrong. */
    for (int i = 0; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = 1;
        else if (!options_done && (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0))
            verbose = 1;
        else if (!options_done && cli_is_option(argv[i]))
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else
            nfiles++;
    }
    if (nfiles == 0)
        return cli_usage_error(cmd, "missing FILE");

    int status = CLI_OK;
    options_done = 0;
    for (int i = 0; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && cli_is_option(argv[i]))
            continue;
        sym_workflow *wf = NULL;
        if (cli_load(argv[i], &wf) != SYM_OK) {
            status = CLI_FAILED;
            continue;
        }
        if (verbose)
            printf("%s: ok\n", strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i]);
        sym_workflow_free(wf);
    }
    return status;
}
