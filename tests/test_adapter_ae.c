/* adapters/ae.h against a real redis-server, on the ae-compatible loop in tests/ae:
 * see test_adapter_suite.h. */
#define ADAPTER_NAME "ae"
#define ADAPTER_HAS_TIMERS 0
/* ae's before-sleep hook belongs to the application, so this adapter still asks the loop
 * for writability per command (the test loop's poll backend: poll, send, poll, recv). */
#define ADAPTER_SYSCALLS_MAX 4
#include <hiredis/adapters/ae.h>
#include "test_adapter_suite.h"

/* Room for the thousand-connection scenario's descriptors. */
#define LOOP_SETSIZE 4096
static aeEventLoop *loop;

static int adapter_attach(redisAsyncContext *ac) { return redisAeAttach(loop, ac); }
static void adapter_step(void) { aeProcessEvents(loop, AE_ALL_EVENTS); }
static void adapter_step_nowait(void) { aeProcessEvents(loop, AE_ALL_EVENTS | AE_DONT_WAIT); }
/* No descriptor may still be registered. */
static int adapter_quiet(void) {
    for (int fd = 0; fd < LOOP_SETSIZE; fd++)
        if (aeGetFileEvents(loop, fd) != AE_NONE)
            return 0;
    return 1;
}

int main(void) {
    loop = aeCreateEventLoop(LOOP_SETSIZE);
    if (loop == NULL) {
        printf("aeCreateEventLoop failed\n");
        return 1;
    }
    run_adapter_suite();
    aeDeleteEventLoop(loop);
    return tl_done();
}
