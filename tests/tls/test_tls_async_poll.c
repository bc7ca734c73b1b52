/* Async TLS under adapters/poll.h (tls_async_suite.h). */
#include <hiredis/adapters/poll.h>
#include "tls_async_suite.h"

static redisAsyncContext *current;

static int adapter_attach(redisAsyncContext *ac) {
    current = ac;
    return redisPollAttach(ac);
}
/* The poll adapter drives one context; the suite runs them one at a time. */
static void adapter_step(void) { if (current) redisPollTick(current, 0.1); }

int main(void) {
    run_tls_async_suite(20000, 0);
    return tl_done();
}
