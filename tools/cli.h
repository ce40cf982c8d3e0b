/* cli.h - what the `symphony` commands share: the command table entry, exit
 * codes, usage errors, and loading a workflow with its errors printed.
 *
 * Adding a command: write `int cli_NAME(const cli_command *cmd, int argc,
 * char **argv)` in tools/cli_NAME.c, declare it below, and add one entry to
 * the table in tools/symphony.c. */
#ifndef SYM_CLI_H
#define SYM_CLI_H

#include "symphony.h"

enum {
    CLI_OK = 0,     /* everything went well */
    CLI_FAILED = 1, /* the command ran, and what it checked or ran failed */
    CLI_USAGE = 2   /* the command line was wrong */
};

typedef struct cli_command cli_command;

/* Runs a command. argv holds the arguments after the command name (argc of
 * them, argv[argc] == NULL); `--help` has already been handled. Returns a
 * CLI_* exit code. */
typedef int (*cli_main_fn)(const cli_command *cmd, int argc, char **argv);

struct cli_command {
    const char *name;    /* "validate" */
    const char *usage;   /* the arguments: "[-v] FILE..." */
    const char *summary; /* one line for `symphony --help` */
    const char *help;    /* the body of `symphony NAME --help` */
    cli_main_fn main;
};

/* Prints "symphony NAME: message" and the command's usage line to stderr
 * and returns CLI_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) SYM_PRINTF(2, 3);

/* True when arg looks like an option ("-x", "--xyz"); "-" alone is a file
 * name (standard input). */
int cli_is_option(const char *arg);

/* Loads the workflow at path ("-" reads standard input) with the default
 * limits. On SYM_OK *out is the workflow; otherwise every error has been
 * printed to stderr, one per line, and the SYM_E* code is returned. */
int cli_load(const char *path, sym_workflow **out);

/* Writes s and a final newline (unless s ends with one) to stdout. Returns
 * CLI_OK, or CLI_FAILED with a message when the write failed. */
int cli_print(const char *s);

/* The commands. */
int cli_validate(const cli_command *cmd, int argc, char **argv);
int cli_graph(const cli_command *cmd, int argc, char **argv);
int cli_run(const cli_command *cmd, int argc, char **argv);

#endif
