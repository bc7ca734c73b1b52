/* The scenario every cluster adapter test runs (tests/cluster/test_cluster_async_<loop>.c):
 * attach with the adapter header, Connect2 in the loop until READY, SET and GET over all
 * masters with each callback once and its own reply, then a disconnect that delivers the
 * pending reply first. A test file defines ADAPTER_NAME, includes its adapter header and this
 * file, and implements:
 *
 *   cl_adapter_attach(acc)   the adapter's redisCluster...Attach (NULL acc: must fail)
 *   cl_step()                one iteration of its loop; it must return within ~10 ms (the
 *                            test file keeps a repeating timer in the loop for that)
 *
 * then calls run_cluster_async_suite() from main() and ends with `return tl_done();`. */
#ifndef HIREDIS_RS_CLUSTER_ASYNC_SUITE_H
#define HIREDIS_RS_CLUSTER_ASYNC_SUITE_H

#include "cluster_test.h"

static int cl_adapter_attach(redisClusterAsyncContext *acc);
static void cl_step(void);

static int suite_ready, suite_pending, suite_disc_ok, suite_calls[512], suite_good[512];

static void suite_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) suite_ready++;
}
static void suite_disconnected(const redisAsyncContext *ac, int status) {
    (void)ac;
    suite_disc_ok += status == REDIS_OK;
}
static void suite_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "%s%ld", ADAPTER_NAME, i % 256);
    suite_calls[i]++;
    suite_good[i] += i < 256 ? cl_is_status(r, "OK") : cl_is_str(r, want);
    suite_pending--;
}

/* Steps the loop until *flag reaches want or `secs` pass; whether it did. */
static int suite_run_until(int *flag, int want, double secs) {
    double end = cl_now() + secs;
    while (*flag != want && cl_now() < end) cl_step();
    return *flag == want;
}

static void run_cluster_async_suite(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    SECTION(ADAPTER_NAME ": attach and Connect2");
    CHECK(cl_adapter_attach(NULL) == REDIS_ERR, "attach(NULL) fails");
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, suite_event, NULL);
    redisClusterAsyncSetDisconnectCallback(acc, suite_disconnected);
    CHECK(cl_adapter_attach(acc) == REDIS_OK && acc->adapter != NULL && acc->attach_fn != NULL, "attach");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(suite_run_until(&suite_ready, 1, 10), "READY");

    SECTION(ADAPTER_NAME ": SET and GET over all masters");
    for (long i = 0; i < 256; i++) {
        suite_pending++;
        if (redisClusterAsyncCommand(acc, suite_reply, (void *)i, "SET %sk%ld %s%ld", ADAPTER_NAME, i, ADAPTER_NAME, i) != REDIS_OK)
            suite_pending--;
    }
    for (long i = 0; i < 256; i++) {
        suite_pending++;
        if (redisClusterAsyncCommand(acc, suite_reply, (void *)(256 + i), "GET %sk%ld", ADAPTER_NAME, i) != REDIS_OK)
            suite_pending--;
    }
    CHECK(suite_pending == 512, "submitted");
    suite_run_until(&suite_pending, 0, 20);
    int once = 0, good = 0;
    for (int i = 0; i < 512; i++) {
        once += suite_calls[i] == 1;
        good += suite_good[i] == 1;
    }
    CHECK(once == 512 && good == 512, "%d called once, %d right", once, good);

    SECTION(ADAPTER_NAME ": disconnect");
    suite_pending = 1;
    CHECK(redisClusterAsyncCommand(acc, suite_reply, (void *)256L, "GET %sk0", ADAPTER_NAME) == REDIS_OK, "GET");
    redisClusterAsyncDisconnect(acc);
    CHECK(suite_run_until(&suite_pending, 0, 5) && suite_calls[256] == 2 && suite_good[256] == 2, "pending reply delivered");
    CHECK(suite_run_until(&suite_disc_ok, 3, 5), "3 disconnect callbacks (%d)", suite_disc_ok);
    redisClusterAsyncFree(acc);
}

#endif
