/* adapters/libev.h of the cluster library against the real cluster: see cluster_async_suite.h. */
#define ADAPTER_NAME "libev"
#include <hiredis_cluster/adapters/libev.h>
#include "cluster_async_suite.h"

static struct ev_loop *loop;
static void tick(EV_P_ ev_timer *w, int revents) { (void)loop; (void)w; (void)revents; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibevAttach(acc, loop); }
static void cl_step(void) { ev_run(loop, EVRUN_ONCE); }

int main(void) {
    ev_timer t;
    loop = ev_default_loop(0);
    ev_timer_init(&t, tick, 0.01, 0.01);
    ev_timer_start(loop, &t);
    run_cluster_async_suite();
    ev_timer_stop(loop, &t);
    ev_loop_destroy(loop);
    return tl_done();
}
