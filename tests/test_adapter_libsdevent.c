/* adapters/libsdevent.h against a real redis-server: see test_adapter_suite.h. The test
 * also wraps the adapter's cleanup hook to check, each time a context goes, that its
 * sources are off and its socket is out of sd-event's epoll set. */
#define ADAPTER_NAME "libsdevent"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/libsdevent.h>
#include "test_adapter_suite.h"
#include "adapter_fdwatch.h"

static sd_event *loop;

/* Runs the adapter's cleanup, then checks what it left in the loop. */
static void checked_cleanup(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    sd_event_source *io = sd_event_source_ref(e->fdSource);
    sd_event_source *timer = sd_event_source_ref(e->timerSource);
    int on;

    fdwatch_cleanup(privdata, e->fd); /* e may be gone now */
    if (io != NULL && (sd_event_source_get_enabled(io, &on) < 0 || on))
        fdwatch_dirty++;
    if (timer != NULL && (sd_event_source_get_enabled(timer, &on) < 0 || on))
        fdwatch_dirty++;
    sd_event_source_unref(io);
    sd_event_source_unref(timer);
}

static int adapter_attach(redisAsyncContext *ac) {
    return fdwatch_wrap(ac, redisLibsdeventAttach(ac, loop), checked_cleanup);
}
/* Bounded, so a scenario waiting on the wall clock (spin) never hangs here. */
static void adapter_step(void) { sd_event_run(loop, 100000); }
static void adapter_step_nowait(void) { sd_event_run(loop, 0); }
static int adapter_quiet(void) { return fdwatch_dirty == 0; }

int main(void) {
    if (sd_event_new(&loop) < 0) {
        printf("sd_event_new failed\n");
        return 1;
    }
    CHECK(fdwatch_init() >= 1, "found sd-event's epoll instance");
    run_adapter_suite();

    SECTION("every cleanup left the loop clean");
    CHECK(fdwatch_cleanups > 1000, "cleanups seen: %ld", fdwatch_cleanups);
    CHECK(fdwatch_dirty == 0, "%ld cleanups left a source on or the socket watched", fdwatch_dirty);
    sd_event_unref(loop);
    return tl_done();
}
