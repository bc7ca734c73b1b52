/* Async TLS under adapters/libsdevent.h (tls_async_suite.h). */
#include <hiredis/adapters/libsdevent.h>
#include "tls_async_suite.h"

static sd_event *loop;

static int adapter_attach(redisAsyncContext *ac) { return redisLibsdeventAttach(ac, loop); }
/* Bounded, so the suite's own deadlines are checked now and then. */
static void adapter_step(void) { sd_event_run(loop, 100000); }

int main(void) {
    if (sd_event_new(&loop) < 0) {
        printf("sd_event_new failed\n");
        return 1;
    }
    run_tls_async_suite(20000, 0);
    sd_event_unref(loop);
    return tl_done();
}
