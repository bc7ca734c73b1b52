/* Async TLS under adapters/ivykis.h (tls_async_suite.h). One step: a task keeps iv_main
 * polling once (after a short wait on ivykis's epoll descriptor), then quits it. */
#include <hiredis/adapters/ivykis.h>
#include "tls_async_suite.h"
#include "../adapter_fdwatch.h"
#include <poll.h>

static struct iv_task stepper;
static int stepper_runs;

static void stepper_run(void *arg) {
    (void)arg;
    if (stepper_runs++ == 0)
        iv_task_register(&stepper);
    else
        iv_quit();
}

static int adapter_attach(redisAsyncContext *ac) { return redisIvykisAttach(ac); }
static void adapter_step(void) {
    struct pollfd p = {fdwatch_epolls[0], POLLIN, 0};
    poll(&p, 1, 5);
    stepper_runs = 0;
    iv_task_register(&stepper);
    iv_main();
}

int main(void) {
    iv_init();
    IV_TASK_INIT(&stepper);
    stepper.handler = stepper_run;
    if (fdwatch_init() != 1) {
        printf("ivykis's epoll instance not found\n");
        return 1;
    }
    run_tls_async_suite(20000, 0);
    iv_deinit();
    return tl_done();
}
