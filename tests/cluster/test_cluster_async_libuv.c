/* adapters/libuv.h of the cluster library against the real cluster: see cluster_async_suite.h. */
#define ADAPTER_NAME "libuv"
#include <hiredis_cluster/adapters/libuv.h>
#include "cluster_async_suite.h"

static uv_loop_t loop;
static void tick(uv_timer_t *t) { (void)t; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibuvAttach(acc, &loop); }
static void cl_step(void) { uv_run(&loop, UV_RUN_ONCE); }

int main(void) {
    uv_timer_t t;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, tick, 10, 10);
    run_cluster_async_suite();
    uv_timer_stop(&t);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(uv_loop_close(&loop) == 0, "every handle released");
    return tl_done();
}
