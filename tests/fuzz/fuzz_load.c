/* fuzz_load.c - the libFuzzer target of the workflow loader: any bytes go
 * through sym_workflow_load_buffer; what loads is also exported to JSON
 * and DOT, so the compiled form is walked too. Nothing may crash, leak or
 * hang. `make fuzz` builds it with -fsanitize=fuzzer; tests/test_fuzz_replay.c
 * includes this file to replay the seeds under every `make check` build. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symphony.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strings the library returns must be complete, NUL-terminated text. */
static void fuzz_touch(const char *s)
{
    if (s)
        (void)strlen(s);
}

/* Loads one input and checks the loader's contract on it: a failure leaves
 * no workflow and reports at least one error whose code is the result; a
 * success reports none. Returns false when the contract is broken. */
static bool fuzz_load_one(const uint8_t *data, size_t size)
{
    sym_load_options opts;
    sym_load_options_init(&opts);
    /* Smaller limits than the defaults keep each input fast, so the fuzzer
     * explores instead of expanding one large input. */
    opts.max_nodes = 100000;
    opts.max_tasks = 10000;
    opts.max_matrix = 1000;

    sym_error *err = sym_error_new();
    if (!err)
        return true;
    sym_workflow *wf = NULL;
    int rc = sym_workflow_load_buffer((const char *)data, size, "fuzz.yaml", &opts, &wf, err);
    for (size_t i = 0; i < sym_error_count(err); i++)
        fuzz_touch(sym_error_text(err, i));
    bool ok = rc == SYM_OK ? wf != NULL && sym_error_count(err) == 0
                           : wf == NULL && sym_error_count(err) > 0 &&
                                 sym_error_code(err, 0) == rc;
    if (rc == SYM_OK && wf) {
        char *json = sym_workflow_to_json(wf);
        char *dot = sym_workflow_to_dot(wf);
        fuzz_touch(json);
        fuzz_touch(dot);
        sym_free(json);
        sym_free(dot);
    }
    sym_workflow_free(wf);
    sym_error_free(err);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A broken contract is a finding: stop so the fuzzer keeps the input.
     * -DFUZZ_IGNORE_CONTRACT hunts only memory errors and hangs, for while
     * a known contract bug would stop every run at once. */
    bool ok = fuzz_load_one(data, size);
#ifndef FUZZ_IGNORE_CONTRACT
    if (!ok)
        abort();
#else
    (void)ok;
#endif
    return 0;
}
