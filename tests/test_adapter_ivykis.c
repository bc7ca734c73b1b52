/* adapters/ivykis.h against a real redis-server: see test_adapter_suite.h. ivykis has no
 * "run one iteration" call, so a step is built from a task that lets iv_main poll once
 * without waiting and then quits it; the blocking step first waits (briefly) on ivykis's
 * epoll descriptor. The test wraps the adapter's cleanup hook to check that each context's
 * socket left ivykis's epoll set. */
#define ADAPTER_NAME "ivykis"
#define ADAPTER_HAS_TIMERS 0
/* The system call count runs iv_main itself: the steps below add a poll of their own. */
#define ADAPTER_RUN_NATIVE iv_main()
#include <hiredis/adapters/ivykis.h>
#include "test_adapter_suite.h"
#include "adapter_fdwatch.h"

static struct iv_task stepper;
static int stepper_runs;

static void checked_cleanup(void *privdata) {
    fdwatch_cleanup(privdata, ((redisIvykisEvents *)privdata)->fd.fd);
}

static int adapter_attach(redisAsyncContext *ac) {
    return fdwatch_wrap(ac, redisIvykisAttach(ac), checked_cleanup);
}

/* First run: stay pending, so iv_main polls with a zero timeout; second run: quit. */
static void stepper_run(void *arg) {
    (void)arg;
    if (stepper_runs++ == 0)
        iv_task_register(&stepper);
    else
        iv_quit();
}

static void adapter_step_nowait(void) {
    stepper_runs = 0;
    iv_task_register(&stepper);
    iv_main();
}

/* Waits up to 5 ms for ivykis's epoll set to report something (changes ivykis has not
 * handed to the kernel yet are caught by the cap), then runs an iteration. */
static void adapter_step(void) {
    struct pollfd p = {fdwatch_epolls[0], POLLIN, 0};
    poll(&p, 1, 5);
    adapter_step_nowait();
}

static int adapter_quiet(void) { return fdwatch_dirty == 0; }

int main(void) {
    iv_init();
    IV_TASK_INIT(&stepper);
    stepper.handler = stepper_run;
    CHECK(fdwatch_init() == 1, "found ivykis's epoll instance (%s)", iv_poll_method_name());
    run_adapter_suite();

    SECTION("every cleanup took the socket out of ivykis's epoll set");
    CHECK(fdwatch_cleanups > 1000, "cleanups seen: %ld", fdwatch_cleanups);
    CHECK(fdwatch_dirty == 0, "%ld cleanups left the socket watched", fdwatch_dirty);
    iv_deinit();
    return tl_done();
}
