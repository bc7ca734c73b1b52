/* The async API, on each cluster adapter (cluster_adapter.h), against the scripted peer of
 * fake_peer.h, for what a real cluster will not send: MOVED to a dead node (connection refused)
 * and to a node that accepts but never answers (command timeout set; on the adapters that schedule
 * timers): the callback gets NULL exactly once with acc->errstr set, and the context stays usable;
 * MOVED with a slot >= 16384 (followed, table untouched); malformed CLUSTER SLOTS / CLUSTER NODES
 * replies to the async slot-map update, at Connect2 (no READY, commands refused) and after a MOVED
 * (the old map kept, commands still served). */
#include "cluster_adapter.h"
#include "fake_peer.h"

static int ready, updates;
static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
    if (event == HIRCLUSTER_EVENT_SLOTMAP_UPDATED) updates++;
}
#define run_for cl_run_for
#define run_until cl_run_until

/* The callback's record: calls, the last reply's string (or "NULL") and acc->errstr then. */
static int calls;
static char got[128], got_err[160];
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)privdata;
    redisReply *reply = r;
    calls++;
    if (reply == NULL) snprintf(got, sizeof got, "NULL");
    else snprintf(got, sizeof got, "%s", reply->str ? reply->str : "(no string)");
    snprintf(got_err, sizeof got_err, "%s", acc->errstr);
}
static void reset_reply(void) {
    calls = 0;
    got[0] = got_err[0] = 0;
}

/* An async context on the peer (CLUSTER SLOTS unless nodes), with a command timeout,
 * Connect2 started and the loop run until READY or `secs`. */
static redisClusterAsyncContext *async_on_peer(int nodes, double secs) {
    char seed[64];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", port);
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    if (!nodes) acc->cc->flags |= HIRCLUSTER_FLAG_ROUTE_USE_SLOTS;
    redisClusterSetOptionAddNodes(acc->cc, seed);
    struct timeval tv = {0, 300000};
    redisClusterSetOptionTimeout(acc->cc, tv);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    cl_adapter_attach(acc);
    ready = updates = 0;
    if (redisClusterAsyncConnect2(acc) == REDIS_OK) run_until(&ready, 1, secs);
    return acc;
}

/* A GET of key; waits for its callback; whether it was called once with `want`. */
static int get_once(redisClusterAsyncContext *acc, const char *key, const char *want, double secs) {
    reset_reply();
    if (redisClusterAsyncCommand(acc, on_reply, NULL, "GET %s", key) != REDIS_OK) {
        snprintf(got_err, sizeof got_err, "refused: %s", acc->errstr);
        return 0;
    }
    run_until(&calls, 1, secs);
    run_for(0.05); /* a second call would come now */
    return calls == 1 && strcmp(got, want) == 0;
}

static char map[128];

static void redirects_to_bad_nodes(void) {
    /* A port nobody listens on, and a socket that listens (the kernel accepts) but is never
     * read or answered. */
    int dead = atoi(tl_env("FAKE_DEAD_PORT", "0"));
    if (dead == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        socklen_t len = sizeof a;
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(s, (struct sockaddr *)&a, sizeof a);
        getsockname(s, (struct sockaddr *)&a, &len);
        dead = ntohs(a.sin_port);
        close(s);
    }
    int mute = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(mute, (struct sockaddr *)&a, sizeof a) != 0 || listen(mute, 8) != 0) abort();
    getsockname(mute, (struct sockaddr *)&a, &len);
    int mute_port = ntohs(a.sin_port);

    char to_dead[64], to_mute[64], past[64];
    snprintf(to_dead, sizeof to_dead, "-MOVED 12182 127.0.0.1:%d\r\n", dead);
    snprintf(to_mute, sizeof to_mute, "-MOVED 5061 127.0.0.1:%d\r\n", mute_port);
    snprintf(past, sizeof past, "-MOVED 99999 127.0.0.1:%d\r\n", port);
    rule rules[] = {
        {"CLUSTER SLOTS", map, 0},
        {"GET foo", to_dead, 0},        /* slot 12182 */
        {"GET bar", to_mute, 0},        /* slot 5061 */
        {"GET past", past, 1},          /* slot 1640, then its value */
        {"GET past", "$6\r\npast-v\r\n", 0},
        {"GET", "$2\r\nok\r\n", 0},
    };
    peer_start(rules, 6);
    redisClusterAsyncContext *acc = async_on_peer(0, 5);
    CHECK(ready == 1 && updates == 1, "READY on the peer's map");

    SECTION(ADAPTER_NAME ": MOVED to a dead node");
    CHECK(get_once(acc, "foo", "NULL", 5), "once, NULL (%d calls)", calls);
    CHECK(strcmp(got_err, "Connection refused") == 0, "acc->errstr in the callback: %s", got_err);
    CHECK(get_once(acc, "other", "ok", 5), "the context still serves (%d calls, %s, %s)", calls, got, got_err);

#ifdef CL_ADAPTER_HAS_TIMER
    SECTION(ADAPTER_NAME ": MOVED to a node that never answers, with a command timeout");
    double t0 = cl_now();
    CHECK(get_once(acc, "bar", "NULL", 5), "once, NULL (%d calls)", calls);
    double took = cl_now() - t0;
    CHECK(strcmp(got_err, "Timeout") == 0 && took >= 0.25 && took < 3, "acc->errstr set: \"%s\" after %.2f s", got_err, took);
    CHECK(get_once(acc, "other2", "ok", 5), "the context still serves (%d calls, %s, %s)", calls, got, got_err);
#else
    printf("SKIP: %s schedules no timers (as in hiredis 1.4.1): no command timeout to test\n", ADAPTER_NAME);
#endif

    SECTION(ADAPTER_NAME ": MOVED with a slot past the table");
    redisClusterNode *before = acc->cc->table[1640];
    CHECK(get_once(acc, "past", "past-v", 5), "followed to the named node (%d calls, %s, %s)", calls, got, got_err);
    CHECK(acc->cc->table != NULL && acc->cc->table[1640] != NULL && acc->cc->table[1640]->port == port &&
          (before == acc->cc->table[1640] || updates > 1), "the table untouched by slot 99999");

    cl_async_free(acc);
    close(mute);
    peer_stop();
}

static void malformed_maps(void) {
    SECTION(ADAPTER_NAME ": malformed replies to the async slot-map update at Connect2");
    struct { int nodes; const char *reply; } t[] = {
        {0, "+OK\r\n"},
        {0, "*1\r\n*3\r\n:100\r\n:0\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n"},
        {0, "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n"},
        {0, "*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:70000\r\n"},
        {0, "-ERR This instance has cluster support disabled\r\n"},
        {1, ":1\r\n"},
        {1, "$69\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave\n\r\n"},
    };
    int n = (int)(sizeof t / sizeof t[0]), refused = 0, no_ready = 0, asked = 0;
    for (int i = 0; i < n; i++) {
        rule rules[] = {{t[i].nodes ? "CLUSTER NODES" : "CLUSTER SLOTS", t[i].reply, 0}};
        peer_start(rules, 1);
        redisClusterAsyncContext *acc = async_on_peer(t[i].nodes, 0);
        const char *asked_for = t[i].nodes ? "CLUSTER NODES" : "CLUSTER SLOTS";
        for (double end = cl_now() + 5; !log_has_q(asked_for, 1) && cl_now() < end;) cl_step();
        run_for(0.1); /* the reply */
        no_ready += ready == 0 && updates == 0 && acc->cc->table == NULL;
        refused += redisClusterAsyncCommand(acc, on_reply, NULL, "GET foo") == REDIS_ERR &&
                   strcmp(acc->errstr, "slotmap not available") == 0;
        asked += log_has(asked_for);
        cl_async_free(acc);
        peer_stop();
    }
    CHECK(asked == n, "each peer was asked (%d of %d)", asked, n);
    CHECK(no_ready == n, "no READY, no slot map (%d of %d)", no_ready, n);
    CHECK(refused == n, "commands refused: slotmap not available (%d of %d)", refused, n);

    SECTION(ADAPTER_NAME ": a malformed update after MOVED keeps the old map");
    char moved[64];
    snprintf(moved, sizeof moved, "-MOVED 12182 127.0.0.1:%d\r\n", port);
    rule rules[] = {
        {"CLUSTER SLOTS", map, 1},
        {"CLUSTER SLOTS", "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", 0},
        {"GET foo", moved, 1},
        {"GET", "$2\r\nv2\r\n", 0},
    };
    peer_start(rules, 4);
    redisClusterAsyncContext *acc = async_on_peer(0, 5);
    CHECK(ready == 1, "READY");
    run_for(1.1); /* past the throttle of slot-map updates */
    reset_reply();
    CHECK(get_once(acc, "foo", "v2", 5), "MOVED followed (%d calls, %s, %s)", calls, got, got_err);
    run_for(0.2);
    CHECK(log_has("CLUSTER SLOTS|GET foo|CLUSTER SLOTS|GET foo"), "the update was asked for");
    CHECK(updates == 1 && acc->cc->table && acc->cc->table[0] && acc->cc->table[0]->port == port &&
          acc->cc->route_version == 1, "the old map kept (%d updates)", updates);
    CHECK(get_once(acc, "other", "v2", 5), "commands still served");
    cl_async_free(acc);
    peer_stop();
}

int main(void) {
    snprintf(logpath, sizeof logpath, "%s/peer.log", tl_env("TEST_TMPDIR", "/tmp"));
    signal(SIGPIPE, SIG_IGN);
    cl_loop_init();
    peer_listen();
    snprintf(map, sizeof map, "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n", port);
    redirects_to_bad_nodes();
    malformed_maps();
    close(listen_fd);
    cl_loop_free();
    return tl_done();
}
