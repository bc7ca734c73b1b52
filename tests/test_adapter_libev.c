/* adapters/libev.h against a real redis-server: see test_adapter_suite.h. */
#define ADAPTER_NAME "libev"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/libev.h>
#include "test_adapter_suite.h"

static struct ev_loop *loop;

static int adapter_attach(redisAsyncContext *ac) { return redisLibevAttach(loop, ac); }
static void adapter_step(void) { ev_run(loop, EVRUN_ONCE); }
static void adapter_step_nowait(void) { ev_run(loop, EVRUN_NOWAIT); }
/* ev_run returns false when no watcher is active anymore. */
static int adapter_quiet(void) { return !ev_run(loop, EVRUN_NOWAIT); }

int main(void) {
    loop = ev_loop_new(EVFLAG_AUTO);
    if (loop == NULL) {
        printf("ev_loop_new failed\n");
        return 1;
    }
    run_adapter_suite();
    ev_loop_destroy(loop);
    return tl_done();
}
