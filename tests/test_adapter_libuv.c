/* adapters/libuv.h against a real redis-server: see test_adapter_suite.h. */
#define ADAPTER_NAME "libuv"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/libuv.h>
#include "test_adapter_suite.h"

static uv_loop_t loop;

static int adapter_attach(redisAsyncContext *ac) { return redisLibuvAttach(ac, &loop); }
static void adapter_step(void) { uv_run(&loop, UV_RUN_ONCE); }
static void adapter_step_nowait(void) { uv_run(&loop, UV_RUN_NOWAIT); }
/* The adapter's handles close asynchronously: one more turn runs their close callbacks
 * (which free the state); after that nothing may keep the loop alive. */
static int adapter_quiet(void) {
    uv_run(&loop, UV_RUN_NOWAIT);
    return !uv_loop_alive(&loop);
}

int main(void) {
    if (uv_loop_init(&loop) != 0) {
        printf("uv_loop_init failed\n");
        return 1;
    }
    SECTION("attach fails cleanly when the fd cannot be polled");
    {
        redisAsyncContext *ac = redisAsyncConnect(tl_env("REDIS_HOST", "127.0.0.1"),
                                                  atoi(tl_env("REDIS_PORT", "6379")));
        CHECK(ac != NULL && ac->err == 0, "connect");
        if (ac != NULL && ac->err == 0) {
            int fd = ac->c.fd;
            ac->c.fd = -1; /* uv_poll_init_socket refuses a bad descriptor */
            CHECK(redisLibuvAttach(ac, &loop) == REDIS_ERR, "attach with a bad fd must fail");
            CHECK(ac->ev.data == NULL, "a failed attach leaves ev.data NULL");
            ac->c.fd = fd;
        }
        redisAsyncFree(ac);
        CHECK(!uv_loop_alive(&loop), "a failed attach leaves nothing in the loop");
    }
    run_adapter_suite();
    CHECK(uv_loop_close(&loop) == 0, "loop closes: every handle was released");
    return tl_done();
}
