/* symphony.c - the `symphony` command-line tool: the command table, global
 * options (--help, --version) and dispatch. Each command lives in its own
 * tools/cli_*.c file (see cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"validate", "[-v] FILE...", "check workflow files and report every error",
     "Loads and validates each FILE (\"-\" reads standard input) as a workflow,\n"
     "going on past invalid ones. Every error is printed to stderr as\n"
     "FILE:LINE:COLUMN: message (or FILE: message where no position applies).\n"
     "\n"
     "Options:\n"
     "  -v, --verbose   print \"FILE: ok\" on stdout for each valid file\n"
     "  -h, --help      show this help\n"
     "\n"
     "Exit status: 0 when every file is valid, 1 when one is not, 2 on a\n"
     "usage error.\n",
     cli_validate},
    {"graph", "FILE [--format dot|json]", "print the task graph of a workflow",
     "Loads FILE (\"-\" reads standard input) and prints its task graph on stdout,\n"
     "matrix instances drawn one by one.\n"
     "\n"
     "Options:\n"
     "  -f, --format dot    Graphviz DOT, the default (render it with\n"
     "                      `symphony graph FILE | dot -Tsvg > graph.svg`)\n"
     "  -f, --format json   {\"name\", \"tasks\": [{\"id\", \"worker\", \"needs\", ...}]}\n"
     "  -h, --help          show this help\n"
     "\n"
     "Exit status: 0 on success, 1 when FILE is not a valid workflow, 2 on a\n"
     "usage error.\n",
     cli_graph},
    {"run", "FILE [--threads N] [--param KEY=VALUE]... [--report PATH] [--trace PATH] [--log-dir DIR]",
     "run a workflow with the built-in workers",
     "Runs the workflow in FILE (\"-\" reads standard input) with the built-in\n"
     "workers noop, sleep (`with: {duration: 100ms}`) and exec (`with: {argv:\n"
     "[prog, arg...]}` or `with: {shell: \"...\"}`, optional `env` and `cwd`).\n"
     "Task events and the children's output (each line prefixed with\n"
     "[TASK_ID]) go to stdout; on a terminal a progress line is shown too.\n"
     "\n"
     "Options:\n"
     "  --threads N          engine threads (default: one per CPU)\n"
     "  --param KEY=VALUE    override a declared param; VALUE is read as YAML\n"
     "                       (3, true, [a, b], text); may be repeated\n"
     "  --report PATH        write the run's JSON report to PATH\n"
     "  --trace PATH         write the run's Chrome trace-event JSON to PATH\n"
     "  --log-dir DIR        each exec attempt's output to DIR/TASK.attemptN.log\n"
     "                       (DIR is created) instead of stdout\n"
     "  -h, --help           show this help\n"
     "\n"
     "An exec child runs in its own process group with SYMPHONY_RUN_ID,\n"
     "SYMPHONY_TASK_ID, SYMPHONY_ATTEMPT and SYMPHONY_OUTPUT (a file whose\n"
     "key=value lines become the task's outputs) in its environment. The first\n"
     "Ctrl-C (or SIGTERM) cancels the run: children are killed and the report\n"
     "is written; a second one exits at once (status 130).\n"
     "\n"
     "Exit status: 0 when the run succeeded, 1 when it failed or was cancelled,\n"
     "2 on a usage error or an invalid workflow.\n",
     cli_run},
};

enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_main_help(void)
{
    printf("usage: symphony COMMAND [ARGS...]\n"
           "       symphony COMMAND --help\n"
           "       symphony --version\n"
           "\n"
           "Workflow tool of libsymphony %s.\n"
           "\n"
           "Commands:\n",
           sym_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n");
}

static void print_command_help(const cli_command *cmd)
{
    printf("usage: symphony %s %s\n\n%s: %s.\n\n%s", cmd->name, cmd->usage, cmd->name,
           cmd->summary, cmd->help);
}

/* Prints "symphony: WHAT 'ARG'" (ARG may be NULL) and the usage line. */
static int main_usage_error(const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, "symphony: %s '%s'\n", what, arg);
    else
        fprintf(stderr, "symphony: %s\n", what);
    fputs("usage: symphony COMMAND [ARGS...] (see 'symphony --help')\n", stderr);
    return CLI_USAGE;
}

/* True when args (up to a "--") ask for help. */
static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

/* `symphony help [COMMAND]`, a spelling of --help people reach for. */
static int help_command(int argc, char **argv)
{
    if (argc == 0) {
        print_main_help();
        return CLI_OK;
    }
    if (argc > 1)
        return main_usage_error("unexpected argument", argv[1]);
    const cli_command *cmd = find_command(argv[0]);
    if (!cmd)
        return main_usage_error("no help for", argv[0]);
    print_command_help(cmd);
    return CLI_OK;
}

static int finish(int code)
{
    /* Output that could not be written is a failure, not a success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "symphony: cannot write to standard output\n");
        return code == CLI_OK ? CLI_FAILED : code;
    }
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return main_usage_error("missing COMMAND", NULL);
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        if (argc > 2)
            return main_usage_error("unexpected argument", argv[2]);
        print_main_help();
        return finish(CLI_OK);
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        if (argc > 2)
            return main_usage_error("unexpected argument", argv[2]);
        printf("symphony %s (libsymphony %s)\n", SYM_VERSION_STRING, sym_version());
        return finish(CLI_OK);
    }
    if (strcmp(name, "help") == 0)
        return finish(help_command(argc - 2, argv + 2));
    if (cli_is_option(name))
        return main_usage_error("unknown option", name);

    const cli_command *cmd = find_command(name);
    if (!cmd)
        return main_usage_error("unknown command", name);
    if (wants_help(argc - 2, argv + 2)) {
        print_command_help(cmd);
        return finish(CLI_OK);
    }
    return finish(cmd->main(cmd, argc - 2, argv + 2));
}
