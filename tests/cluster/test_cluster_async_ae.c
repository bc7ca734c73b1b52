/* adapters/ae.h of the cluster library against the real cluster, on the ae-compatible loop in
 * tests/ae: see cluster_async_suite.h. */
#define ADAPTER_NAME "ae"
#include <hiredis_cluster/adapters/ae.h>
#include "cluster_async_suite.h"

static aeEventLoop *loop;
static int tick(aeEventLoop *l, long long id, void *data) { (void)l; (void)id; (void)data; return 10; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterAeAttach(loop, acc); }
static void cl_step(void) { aeProcessEvents(loop, AE_ALL_EVENTS); }

int main(void) {
    loop = aeCreateEventLoop(1024);
    aeCreateTimeEvent(loop, 10, tick, NULL, NULL);
    run_cluster_async_suite();
    aeDeleteEventLoop(loop);
    return tl_done();
}
