/* adapters/ivykis.h against a real redis-server: see test_adapter_suite.h. ivykis has no
 * "run one iteration" call, so a step is built from a task that lets iv_main poll once
 * without waiting and then quits it; the blocking step first waits (briefly) on ivykis's
 * epoll descriptor. The test wraps the adapter's cleanup hook to check that each context's
 * socket left ivykis's epoll set. */
#define ADAPTER_NAME "ivykis"
#define ADAPTER_HAS_TIMERS 0
#include <hiredis/adapters/ivykis.h>
#include "test_adapter_suite.h"
#include "adapter_fdwatch.h"

static struct iv_task stepper;
static int stepper_runs;
static void (*adapter_cleanup)(void *);
static long cleanups, dirty_cleanups;

static void checked_cleanup(void *privdata) {
    int fd = ((redisIvykisEvents *)privdata)->fd.fd;
    adapter_cleanup(privdata);
    cleanups++;
    if (fdwatch_watched(fd))
        dirty_cleanups++;
}

static int adapter_attach(redisAsyncContext *ac) {
    int rc = redisIvykisAttach(ac);
    if (rc == REDIS_OK) {
        adapter_cleanup = ac->ev.cleanup;
        ac->ev.cleanup = checked_cleanup;
    }
    return rc;
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

static int adapter_quiet(void) { return dirty_cleanups == 0; }

int main(void) {
    iv_init();
    IV_TASK_INIT(&stepper);
    stepper.handler = stepper_run;
    CHECK(fdwatch_init() == 1, "found ivykis's epoll instance (%s)", iv_poll_method_name());
    run_adapter_suite();

    SECTION("every cleanup took the socket out of ivykis's epoll set");
    CHECK(cleanups > 1000, "cleanups seen: %ld", cleanups);
    CHECK(dirty_cleanups == 0, "%ld cleanups left the socket watched", dirty_cleanups);
    iv_deinit();
    return tl_done();
}
