/* consumer.c - a program that uses an installed libsymphony the way a host
 * would: through <symphony.h> and pkg-config only. The packaging test
 * builds it against a temporary install, shared and static, and runs it.
 * It prints the library version and the task count of a small workflow. */
#include <stdio.h>
#include <string.h>

#include <symphony.h>

static const char workflow[] = "symphony: 1\n"
                               "name: consumer\n"
                               "tasks:\n"
                               "  fetch: { worker: http.get }\n"
                               "  parse:\n"
                               "    worker: parse\n"
                               "    needs: fetch\n"
                               "    matrix: { part: [1, 2] }\n"
                               "  report: { worker: report, needs: [parse] }\n";

int main(void)
{
    sym_error *err = sym_error_new();
    if (!err) {
        fputs("consumer: out of memory\n", stderr);
        return 1;
    }
    sym_workflow *wf = NULL;
    int rc = sym_workflow_load_buffer(workflow, strlen(workflow), "consumer.yaml", NULL, &wf, err);
    if (rc != SYM_OK) {
        for (size_t i = 0; i < sym_error_count(err); i++)
            fprintf(stderr, "%s\n", sym_error_text(err, i));
        fprintf(stderr, "consumer: %s\n", sym_strerror(rc));
        sym_error_free(err);
        return 1;
    }
    printf("libsymphony %s: %zu tasks\n", sym_version(), sym_workflow_task_count(wf));
    sym_workflow_free(wf);
    sym_error_free(err);
    return 0;
}
