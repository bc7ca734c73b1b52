/* adapters/ae.h against a real redis-server, on the ae-compatible loop in tests/ae:
 * see test_adapter_suite.h. */
#define ADAPTER_NAME "ae"
#define ADAPTER_HAS_TIMERS 0
#include <hiredis/adapters/ae.h>
#include "test_adapter_suite.h"

static aeEventLoop *loop;
static int attached_fd = -1;

static int adapter_attach(redisAsyncContext *ac) {
    attached_fd = ac->c.fd;
    return redisAeAttach(loop, ac);
}
static void adapter_step(void) { aeProcessEvents(loop, AE_ALL_EVENTS); }
static int adapter_quiet(void) { return aeGetFileEvents(loop, attached_fd) == AE_NONE; }

int main(void) {
    loop = aeCreateEventLoop(1024);
    if (loop == NULL) {
        printf("aeCreateEventLoop failed\n");
        return 1;
    }
    run_adapter_suite();
    aeDeleteEventLoop(loop);
    return tl_done();
}
