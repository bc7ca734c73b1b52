/* What only the poll adapter of the cluster library has, against the real cluster (the
 * scenarios every adapter runs are the poll builds of test_cluster_*_any.c): an idle tick that
 * waits its timeout, and a command timeout (the node paused by CLIENT PAUSE) whose node context
 * is freed inside the tick, followed by a working command on a new context. */
#include <hiredis_cluster/adapters/poll.h>
#include "cluster_test.h"

static redisClusterAsyncContext *ticked;

static int ready, replies, nulls, ok_after;
static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
}
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    replies++;
    if (r == NULL) nulls++;
    else if (privdata != NULL && cl_is_str(r, (const char *)privdata)) ok_after++;
}
static int until(int *flag, int want, double secs) {
    double end = cl_now() + secs;
    while (*flag < want && cl_now() < end) redisClusterPollTick(ticked, 0.01);
    return *flag >= want;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    SECTION("poll: idle tick, command timeout freeing a node context in the tick");
    CHECK(redisClusterPollAttach(NULL) == REDIS_ERR, "attach(NULL) fails");
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    struct timeval tv = {0, 200000};
    redisClusterSetOptionTimeout(acc->cc, tv);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    CHECK(redisClusterPollAttach(acc) == REDIS_OK, "attach");
    ticked = acc;
    CHECK(redisClusterPollTick(acc, 0.01) == 0, "a tick before any node context does nothing");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(until(&ready, 1, 10), "READY");
    /* Nothing in flight once the connects and the idle firing of the 200 ms command timer
     * (armed by the last read) are behind: ticks of 300 ms until one finds nothing. Then a
     * tick waits for its own timeout. */
    while (redisClusterPollTick(acc, 0.3) > 0) {}
    double t0 = cl_now();
    int h = redisClusterPollTick(acc, 0.15);
    double waited = cl_now() - t0;
    CHECK(h == 0 && waited >= 0.12 && waited < 1.0, "idle tick: %d after %.3f s", h, waited);

    redisClusterNode *node = redisClusterGetNodeByKey(acc->cc, (char *)"pollkey");
    CHECK(node != NULL, "node of pollkey");
    CHECK(redisClusterAsyncCommandToNode(acc, node, on_reply, NULL, "CLIENT PAUSE 700 ALL") == REDIS_OK, "CLIENT PAUSE");
    CHECK(until(&replies, 1, 5) && nulls == 0, "paused");
    CHECK(redisClusterAsyncCommand(acc, on_reply, NULL, "GET pollkey") == REDIS_OK, "GET while paused");
    CHECK(until(&replies, 2, 5) && nulls == 1, "the command timeout delivers NULL (%d replies, %d NULL)", replies, nulls);
    CHECK(node->acon == NULL, "the timed-out node context is gone");
    usleep(800000); /* the pause ends */
    CHECK(redisClusterAsyncCommand(acc, on_reply, NULL, "SET pollkey pv") == REDIS_OK, "SET after the pause");
    CHECK(redisClusterAsyncCommand(acc, on_reply, (void *)"pv", "GET pollkey") == REDIS_OK, "GET after the pause");
    CHECK(until(&replies, 4, 5) && ok_after == 1, "a new node context answers (%d replies, %d right)", replies, ok_after);
    redisClusterAsyncFree(acc);
    return tl_done();
}
