/* Allocations per command in the steady state, counted through counting hiredisAllocFns and
 * attributed by caller (dladdr of the return address): the cluster library's own against the
 * core's (the formatter's command buffer, the reader's replies). A stream of async SETs with
 * 600-byte values (records larger than the pooled size) on libevent, and pipelined MGETs of 40
 * keys split over the masters (a key-order block larger than the pooled size): after warm-up
 * the cluster library allocates nothing for the SETs and only the merged reply (the reply and
 * its element array) for each MGET, besides the request list once per pipeline. A larger
 * command allocates its record once and the next of its size none; one of 2 MiB (over the kept
 * bytes' bound) allocates each time. Memory Rust's own collections take (the transient argument
 * array of a command of more than 32 arguments, the per-slot key list of a split over more than
 * 32 keys, a sub-command over 512 bytes) does not pass through the table and is not counted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <hiredis_cluster/adapters/libevent.h>
#include "cluster_test.h"

#include <event2/event.h>

static unsigned long n_cluster, n_core, n_other;

static void count(void *caller) {
    Dl_info info;
    if (dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "cluster")) n_cluster++;
    else if (info.dli_fname && strstr(info.dli_fname, "hiredis")) n_core++;
    else n_other++;
}
static void *c_malloc(size_t n) { count(__builtin_return_address(0)); return malloc(n); }
static void *c_calloc(size_t n, size_t m) { count(__builtin_return_address(0)); return calloc(n, m); }
static void *c_realloc(void *p, size_t n) { count(__builtin_return_address(0)); return realloc(p, n); }
static char *c_strdup(const char *s) { count(__builtin_return_address(0)); return strdup(s); }
static void c_free(void *p) { free(p); }

static struct event_base *base;
static int pending, ready, bad;
static char value[600];

static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) { ready = 1; event_base_loopbreak(base); }
}
static void on_set(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc; (void)privdata;
    if (!cl_is_status(r, "OK")) bad++;
    if (--pending == 0) event_base_loopbreak(base);
}

/* 1000 SETs in flight, run until all have replied. */
static int set_round(redisClusterAsyncContext *acc, int round) {
    for (int i = 0; i < 1000; i++) {
        if (redisClusterAsyncCommand(acc, on_set, NULL, "SET allocs:%d:%d %b", round, i, value,
                                     sizeof value) != REDIS_OK)
            return 0;
        pending++;
    }
    while (pending > 0 && event_base_loop(base, EVLOOP_ONCE) == 0) {}
    return pending == 0;
}

/* 100 pipelined MGETs of 40 keys each; every reply checked. */
static int mget_round(redisClusterContext *cc) {
    static char keys[40][32];
    const char *argv[41];
    size_t lens[41];
    argv[0] = "MGET";
    lens[0] = 4;
    for (int k = 0; k < 40; k++) {
        lens[k + 1] = (size_t)snprintf(keys[k], sizeof keys[k], "allocs:m:%d", k);
        argv[k + 1] = keys[k];
    }
    for (int i = 0; i < 100; i++)
        if (redisClusterAppendCommandArgv(cc, 41, argv, lens) != REDIS_OK) return 0;
    int ok = 1;
    for (int i = 0; i < 100; i++) {
        redisReply *r = NULL;
        if (redisClusterGetReply(cc, (void **)&r) != REDIS_OK || !r) { ok = 0; continue; }
        ok &= r->type == REDIS_REPLY_ARRAY && r->elements == 40 && cl_is_str(r->element[7], "v7");
        freeReplyObject(r);
    }
    redisClusterReset(cc);
    return ok;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    hiredisAllocFuncs fns = {c_malloc, c_calloc, c_realloc, c_strdup, c_free};
    hiredisSetAllocators(&fns);
    memset(value, 'x', sizeof value);

    SECTION("async SETs of 600-byte values");
    base = event_base_new();
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    redisClusterLibeventAttach(acc, base);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "connect2: %s\n", acc->errstr);
    while (!ready && event_base_loop(base, EVLOOP_ONCE) == 0) {}
    CHECK(ready, "ready\n");
    CHECK(set_round(acc, 0) && set_round(acc, 1), "warm-up rounds\n");
    n_cluster = n_core = 0;
    int ok = 1;
    for (int round = 2; round < 5; round++) ok &= set_round(acc, round);
    CHECK(ok && bad == 0, "3000 SETs, %d bad replies\n", bad);
    printf("async SET 600 B: cluster %.3f, core %.3f allocations per command\n",
           n_cluster / 3000.0, n_core / 3000.0);
    CHECK(n_cluster == 0, "cluster library allocated %lu times for 3000 SETs\n", n_cluster);
    CHECK(n_core > 0, "the counting table is in use\n");

    /* A command larger than every kept record: one new block, which then takes its place, so
     * the next such command allocates nothing. One over the kept bytes' bound (1 MiB) is
     * freed when done: every such command allocates its record. */
    static char mid[1000];
    memset(mid, 'm', sizeof mid);
    size_t huge_len = 2u << 20;
    char *huge = malloc(huge_len);
    memset(huge, 'h', huge_len);
    unsigned long per[4];
    for (int i = 0; i < 4; i++) {
        n_cluster = 0;
        const char *v = i < 2 ? mid : huge;
        size_t len = i < 2 ? sizeof mid : huge_len;
        int rc = redisClusterAsyncCommand(acc, on_set, NULL, "SET allocs:big:%d %b", i, v, len);
        CHECK(rc == REDIS_OK, "SET of %zu bytes\n", len);
        if (rc == REDIS_OK) pending++;
        while (pending > 0 && event_base_loop(base, EVLOOP_ONCE) == 0) {}
        per[i] = n_cluster;
    }
    CHECK(per[0] == 1 && per[1] == 0, "1000-byte SETs after 600-byte ones: %lu then %lu\n",
          per[0], per[1]);
    CHECK(per[2] == 1 && per[3] == 1, "2 MiB SETs: %lu then %lu\n", per[2], per[3]);
    CHECK(bad == 0, "%d bad replies\n", bad);
    free(huge);
    redisClusterAsyncFree(acc);
    event_base_free(base);

    SECTION("pipelined MGETs of 40 keys");
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc && cc->err == 0, "connect\n");
    for (int k = 0; k < 40; k++) {
        char key[32], val[16];
        snprintf(key, sizeof key, "allocs:m:%d", k);
        snprintf(val, sizeof val, "v%d", k);
        redisReply *r = redisClusterCommand(cc, "SET %s %s", key, val);
        CHECK(cl_is_status(r, "OK"), "SET %s\n", key);
        if (r) freeReplyObject(r);
    }
    CHECK(mget_round(cc) && mget_round(cc), "warm-up rounds\n");
    n_cluster = n_core = 0;
    ok = 1;
    for (int round = 0; round < 3; round++) ok &= mget_round(cc);
    CHECK(ok, "300 MGETs answered in key order\n");
    printf("pipelined MGET 40 keys: cluster %.3f, core %.3f allocations per command\n",
           n_cluster / 300.0, n_core / 300.0);
    /* The merged reply (the array reply and its element array) per MGET, and the request list
     * once per pipeline (redisClusterReset releases it; the first append makes it again). */
    CHECK(n_cluster == 2 * 300 + 3, "cluster library allocated %lu times for 300 MGETs\n", n_cluster);
    redisClusterFree(cc);
    return tl_done();
}
