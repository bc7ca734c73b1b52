/* Async TLS under adapters/libevent.h, with the million-command pipeline and a server
 * killed mid-stream (tls_async_suite.h). TLS_PIPELINE_N overrides the pipeline length. */
#include <hiredis/adapters/libevent.h>
#include "tls_async_suite.h"

static struct event_base *base;

static int adapter_attach(redisAsyncContext *ac) { return redisLibeventAttach(ac, base); }
static void adapter_step(void) { event_base_loop(base, EVLOOP_ONCE); }

int main(void) {
    base = event_base_new();
    run_tls_async_suite(atoll(tl_env("TLS_PIPELINE_N", "1000000")), 1);
    event_base_free(base);
    return tl_done();
}
