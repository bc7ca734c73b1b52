/* The async API, on each cluster adapter (cluster_adapter.h), on the password cluster (requirepass
 * secretword): with the password, and with user "default" and the password, READY and commands
 * over every master each called back once with its own reply, ToNode to each master; with a wrong
 * password or none, no READY (the slot-map update fails) and commands refused. */
#include "cluster_adapter.h"

static int ready, updates, done, calls[200], good[200];
static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
    if (event == HIRCLUSTER_EVENT_SLOTMAP_UPDATED) updates++;
}
#define run_until cl_run_until
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "av%ld", i % 100);
    calls[i]++;
    good[i] += i < 100 ? cl_is_status(r, "OK") : i < 200 ? cl_is_str(r, want) : 0;
    done++;
}
static int pongs;
static void on_pong(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc; (void)privdata;
    pongs += cl_is_status(r, "PONG");
    done++;
}

static redisClusterAsyncContext *connect_as(const char *seed, const char *user, const char *pass, double secs) {
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    if (user) redisClusterSetOptionUsername(acc->cc, user);
    if (pass) redisClusterSetOptionPassword(acc->cc, pass);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    cl_adapter_attach(acc);
    ready = updates = 0;
    if (redisClusterAsyncConnect2(acc) == REDIS_OK) run_until(&ready, 1, secs);
    return acc;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_AUTH_SEED", "127.0.0.1:7100");
    const char *pw = tl_env("CLUSTER_PASSWORD", "secretword");
    cl_loop_init();

    const char *users[2] = {NULL, "default"};
    for (int u = 0; u < 2; u++) {
        SECTION(u == 0 ? "async, password" : "async, user and password");
        redisClusterAsyncContext *acc = connect_as(seed, users[u], pw, 10);
        CHECK(ready == 1 && updates == 1, "READY (%s)", acc->errstr);
        memset(calls, 0, sizeof calls);
        memset(good, 0, sizeof good);
        done = 0;
        int sent = 0;
        for (long i = 0; i < 100; i++)
            sent += redisClusterAsyncCommand(acc, on_reply, (void *)i, "SET auth-a%ld av%ld", i, i) == REDIS_OK;
        for (long i = 0; i < 100; i++)
            sent += redisClusterAsyncCommand(acc, on_reply, (void *)(100 + i), "GET auth-a%ld", i) == REDIS_OK;
        run_until(&done, sent, 10);
        int ok = 0;
        for (int i = 0; i < 200; i++) ok += calls[i] == 1 && good[i] == 1;
        CHECK(sent == 200 && ok == 200, "%d of 200 called once with their reply", ok);
        redisClusterNodeIterator it;
        redisClusterNode *node;
        int masters = 0;
        done = pongs = 0;
        redisClusterInitNodeIterator(&it, acc->cc);
        while ((node = redisClusterNodeNext(&it)) != NULL)
            masters += redisClusterAsyncCommandToNode(acc, node, on_pong, NULL, "PING") == REDIS_OK;
        run_until(&done, masters, 5);
        CHECK(masters == 3 && pongs == 3, "PING to each master: %d of %d", pongs, masters);
        cl_async_free(acc);
    }

    SECTION(ADAPTER_NAME ": async, wrong password or none");
    const char *bad[2] = {"wrong", NULL};
    for (int b = 0; b < 2; b++) {
        redisClusterAsyncContext *acc = connect_as(seed, NULL, bad[b], 0.5);
        CHECK(ready == 0 && updates == 0 && acc->cc->table == NULL, "%s: no READY", bad[b] ? bad[b] : "none");
        CHECK(redisClusterAsyncCommand(acc, on_reply, (void *)0L, "GET auth-a1") == REDIS_ERR &&
              strcmp(acc->errstr, "slotmap not available") == 0, "commands refused: %s", acc->errstr);
        cl_async_free(acc);
    }

    cl_loop_free();
    return tl_done();
}
