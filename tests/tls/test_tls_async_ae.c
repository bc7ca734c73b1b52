/* Async TLS under adapters/ae.h on the ae-compatible loop in tests/ae (tls_async_suite.h). */
#include <hiredis/adapters/ae.h>
#include "tls_async_suite.h"

static aeEventLoop *loop;

static int adapter_attach(redisAsyncContext *ac) { return redisAeAttach(loop, ac); }
static void adapter_step(void) { aeProcessEvents(loop, AE_ALL_EVENTS); }

int main(void) {
    loop = aeCreateEventLoop(1024);
    run_tls_async_suite(20000, 0);
    aeDeleteEventLoop(loop);
    return tl_done();
}
