/* initialisers.c - every SYM_X_INIT static initialiser of symphony.h, which
 * the packaging test compiles as C11 and as C++11 with every warning an
 * error (a field added to a struct and not to its initialiser shows). */
#include <symphony.h>

sym_load_options load_options = SYM_LOAD_OPTIONS_INIT;
sym_task_policy task_policy = SYM_TASK_POLICY_INIT;
sym_task_info task_info = SYM_TASK_INFO_INIT;
sym_engine_config engine_config = SYM_ENGINE_CONFIG_INIT;
sym_worker_options worker_options = SYM_WORKER_OPTIONS_INIT;
sym_run_options run_options = SYM_RUN_OPTIONS_INIT;
sym_task_result task_result = SYM_TASK_RESULT_INIT;
sym_metrics metrics = SYM_METRICS_INIT;
sym_worker_metrics worker_metrics = SYM_WORKER_METRICS_INIT;

int init_all(void);
int init_all(void)
{
    sym_load_options a;
    sym_task_policy b;
    sym_task_info c;
    sym_engine_config d;
    sym_worker_options e;
    sym_run_options f;
    sym_task_result g;
    sym_metrics h;
    sym_worker_metrics i;
    return sym_load_options_init(&a) | sym_task_policy_init(&b) | sym_task_info_init(&c) |
           sym_engine_config_init(&d) | sym_worker_options_init(&e) | sym_run_options_init(&f) |
           sym_task_result_init(&g) | sym_metrics_init(&h) | sym_worker_metrics_init(&i);
}
