/* Async TLS under adapters/libev.h (tls_async_suite.h). */
#include <hiredis/adapters/libev.h>
#include "tls_async_suite.h"

static int adapter_attach(redisAsyncContext *ac) { return redisLibevAttach(EV_DEFAULT_ ac); }
static void adapter_step(void) { ev_run(EV_DEFAULT_ EVRUN_ONCE); }

int main(void) {
    run_tls_async_suite(20000, 0);
    return tl_done();
}
