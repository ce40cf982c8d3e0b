/* cli_graph.c - `symphony graph FILE [--format dot|json]`: the task graph
 * of a workflow on stdout, as Graphviz DOT or JSON. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef char *(*export_fn)(const sym_workflow *wf);

/* The exporter for a --format value, or NULL when there is none. */
static export_fn find_format(const char *name)
{
    if (strcmp(name, "dot") == 0)
        return sym_workflow_to_dot;
    if (strcmp(name, "json") == 0)
        return sym_workflow_to_json;
    return NULL;
}

int cli_graph(const cli_command *cmd, int argc, char **argv)
{
    const char *file = NULL, *format = "dot";
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
        } else if (!options_done && (strcmp(arg, "--format") == 0 || strcmp(arg, "-f") == 0)) {
            if (i + 1 == argc)
                return cli_usage_error(cmd, "option '%s' needs a value (dot or json)", arg);
            format = argv[++i];
        } else if (!options_done && strncmp(arg, "--format=", 9) == 0) {
            format = arg + 9;
        } else if (!options_done && cli_is_option(arg)) {
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        } else if (file) {
            return cli_usage_error(cmd, "unexpected argument '%s' (one FILE only)", arg);
        } else {
            file = arg;
        }
    }
    export_fn export = find_format(format);
    if (!export)
        return cli_usage_error(cmd, "unknown format '%s' (expected dot or json)", format);
    if (!file)
        return cli_usage_error(cmd, "missing FILE");

    sym_workflow *wf = NULL;
    if (cli_load(file, &wf) != SYM_OK)
        return CLI_FAILED;
    char *text = export(wf);
    sym_workflow_free(wf);
    if (!text) {
        fprintf(stderr, "%s: %s\n", file, sym_strerror(SYM_ENOMEM));
        return CLI_FAILED;
    }
    int status = cli_print(text);
    sym_free(text);
    return status;
}
