/* Async TLS under adapters/libuv.h (tls_async_suite.h). */
#include <hiredis/adapters/libuv.h>
#include "tls_async_suite.h"

static int adapter_attach(redisAsyncContext *ac) { return redisLibuvAttach(ac, uv_default_loop()); }
static void adapter_step(void) { uv_run(uv_default_loop(), UV_RUN_ONCE); }

int main(void) {
    run_tls_async_suite(20000, 0);
    uv_loop_close(uv_default_loop());
    return tl_done();
}
