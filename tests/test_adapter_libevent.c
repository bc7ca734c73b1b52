/* adapters/libevent.h against a real redis-server: see test_adapter_suite.h. */
#define ADAPTER_NAME "libevent"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/libevent.h>
#include "test_adapter_suite.h"

static struct event_base *base;

static int adapter_attach(redisAsyncContext *ac) { return redisLibeventAttach(ac, base); }
static void adapter_step(void) { event_base_loop(base, EVLOOP_ONCE); }
static void adapter_step_nowait(void) { event_base_loop(base, EVLOOP_NONBLOCK); }
/* event_base_loop returns 1 when no event is pending or active. */
static int adapter_quiet(void) { return event_base_loop(base, EVLOOP_NONBLOCK) == 1; }

int main(void) {
    base = event_base_new();
    if (base == NULL) {
        printf("event_base_new failed\n");
        return 1;
    }
    run_adapter_suite();
    event_base_free(base);
    return tl_done();
}
