/* The async API against the real cluster (spec §4), on each cluster adapter
 * (cluster_adapter.h): Connect2 in the event loop (SLOTMAP_UPDATED then READY), commands refused
 * before the slot map and for several slots, many commands over all masters with every callback
 * called exactly once with its own reply, commands longer than a reused record, a NULL callback,
 * a stale error not swallowing a later reply, ToNode, a MOVED followed without blocking (slot map
 * updated), disconnect (pending replies first, then "client closing") and free with a command in
 * flight (callback with NULL); then the scenario of cluster_async_suite.h (all 16384 slots, a slot
 * migrated while commands run, disconnect) on the same loop. */
#include "cluster_adapter.h"
#include "cluster_async_suite.h"

static int pending, ready;
static int events_seen[8], nevents;
static int connected_ok, disconnected_ok, disconnected_err;

static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (nevents < 8) events_seen[nevents] = event;
    nevents++;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
}
static void on_connect(const redisAsyncContext *ac, int status) { (void)ac; connected_ok += status == REDIS_OK; }
static void on_disconnect(const redisAsyncContext *ac, int status) {
    (void)ac;
    if (status == REDIS_OK) disconnected_ok++; else disconnected_err++;
}

#define NMANY 2048
static int calls[2 * NMANY], good[2 * NMANY];
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    char want[48];
    snprintf(want, sizeof want, "%s-v%ld", ADAPTER_NAME, i % NMANY);
    calls[i]++;
    good[i] += i < NMANY ? cl_is_status(r, "OK") : cl_is_str(r, want);
    pending--;
}

/* Commands longer than a reused record (600-byte values), between short ones. */
#define NBIG 64
static char bigval[NBIG][600];
static int big_calls[3 * NBIG], big_good[3 * NBIG];
static void on_big(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    redisReply *reply = r;
    big_calls[i]++;
    if (i < NBIG || i >= 2 * NBIG) big_good[i] += cl_is_status(reply, "OK");
    else big_good[i] += reply && reply->type == REDIS_REPLY_STRING && reply->len == sizeof bigval[0] &&
                        memcmp(reply->str, bigval[i - NBIG], sizeof bigval[0]) == 0;
    pending--;
}

/* The last reply's type, integer and text, copied (replies belong to hiredis until the
 * callback returns); last_null when it was NULL. */
static int last_calls, last_null, last_type;
static long long last_int;
static char last_str[128], last_err[128];
static void keep_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)privdata;
    redisReply *reply = r;
    last_calls++;
    last_null = reply == NULL;
    last_type = reply ? reply->type : 0;
    last_int = reply ? reply->integer : 0;
    snprintf(last_str, sizeof last_str, "%s", reply && reply->str ? reply->str : "");
    snprintf(last_err, sizeof last_err, "%s", acc->errstr);
    pending--;
}
static void reset_last(void) {
    last_calls = last_null = last_type = 0;
    last_str[0] = last_err[0] = 0;
}

static void connect_in_loop(redisClusterAsyncContext *acc) {
    SECTION(ADAPTER_NAME ": Connect2 in the event loop");
    CHECK(redisClusterAsyncSetConnectCallback(acc, on_connect) == REDIS_OK &&
          redisClusterAsyncSetConnectCallbackNC(acc, NULL) == REDIS_ERR, "one connect callback");
    CHECK(redisClusterAsyncSetDisconnectCallback(acc, on_disconnect) == REDIS_OK, "disconnect callback");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_ERR, "no adapter yet");
    CHECK(cl_adapter_attach(acc) == REDIS_OK, "attach");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_ERR, "a second update while one is in flight is refused");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "SET a 1") == REDIS_ERR &&
          strcmp(acc->errstr, "slotmap not available") == 0, "before the slot map: %s", acc->errstr);
    CHECK(cl_run_until(&ready, 1, 10), "READY");
    CHECK(nevents == 2 && events_seen[0] == HIRCLUSTER_EVENT_SLOTMAP_UPDATED && events_seen[1] == HIRCLUSTER_EVENT_READY,
          "SLOTMAP_UPDATED then READY (%d events)", nevents);
}

static void many_and_long(redisClusterAsyncContext *acc) {
    SECTION(ADAPTER_NAME ": many commands, each callback once with its own reply");
    int n = tl_under_valgrind() ? 200 : NMANY;
    for (long i = 0; i < n; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)i, "SET %s-ak%ld %s-v%ld", ADAPTER_NAME, i, ADAPTER_NAME, i) != REDIS_OK)
            pending--;
    }
    for (long i = 0; i < n; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)(NMANY + i), "GET %s-ak%ld", ADAPTER_NAME, i) != REDIS_OK) pending--;
    }
    CHECK(pending == 2 * n, "all submitted (%d)", pending);
    cl_run_until_eq(&pending, 0, 20);
    int once = 0, right = 0;
    for (long i = 0; i < n; i++) {
        once += calls[i] == 1 && calls[NMANY + i] == 1;
        right += good[i] == 1 && good[NMANY + i] == 1;
    }
    CHECK(pending == 0 && once == n && right == n, "%d called once, %d right, of %d", once, right, n);
    CHECK(connected_ok == 3, "connect callback per master (%d)", connected_ok);

    SECTION(ADAPTER_NAME ": long commands (not from the record free list) between short ones");
    for (long i = 0; i < NBIG; i++) {
        for (size_t j = 0; j < sizeof bigval[0]; j++) bigval[i][j] = (char)('a' + (i + (long)j) % 26);
        pending += 3;
        if (redisClusterAsyncCommand(acc, on_big, (void *)i, "SET %s-bk%ld %b", ADAPTER_NAME, i, bigval[i], sizeof bigval[i]) != REDIS_OK)
            pending--;
        if (redisClusterAsyncCommand(acc, on_big, (void *)(2 * NBIG + i), "SET %s-sk%ld x", ADAPTER_NAME, i) != REDIS_OK) pending--;
        if (redisClusterAsyncCommand(acc, on_big, (void *)(NBIG + i), "GET %s-bk%ld", ADAPTER_NAME, i) != REDIS_OK) pending--;
    }
    CHECK(pending == 3 * NBIG, "all submitted (%d)", pending);
    cl_run_until_eq(&pending, 0, 20);
    once = right = 0;
    for (int i = 0; i < 3 * NBIG; i++) {
        once += big_calls[i] == 1;
        right += big_good[i] == 1;
    }
    CHECK(pending == 0 && once == 3 * NBIG && right == 3 * NBIG, "%d called once, %d right, of %d", once, right, 3 * NBIG);
}

static void refused_and_stale(redisClusterAsyncContext *acc) {
    SECTION(ADAPTER_NAME ": refused submissions");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "MGET a b") == REDIS_ERR && acc->err == REDIS_ERR_OTHER &&
          strcmp(acc->errstr, "Asynchronous API now not support multi-key command") == 0, "multi-slot: %s", acc->errstr);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "PING") == REDIS_ERR &&
          strncmp(acc->errstr, "No keys in command", 18) == 0, "PING: %s", acc->errstr);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "FOO bar") == REDIS_ERR && acc->err == REDIS_ERR_PROTOCOL &&
          strcmp(acc->errstr, "Unknown command FOO bar") == 0, "unknown: %s", acc->errstr);
    pending = 1;
    reset_last();
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "MGET {t}a {t}b") == REDIS_OK, "same-slot MGET accepted");
    cl_run_until_eq(&pending, 0, 5);
    CHECK(last_calls == 1 && last_type == REDIS_REPLY_ARRAY, "same-slot MGET reply");

    SECTION(ADAPTER_NAME ": a NULL callback, and a stale error");
    CHECK(redisClusterAsyncCommand(acc, NULL, NULL, "SET %s-nocb 1", ADAPTER_NAME) == REDIS_OK, "NULL callback accepted");
    pending = 1;
    reset_last();
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET %s-nocb", ADAPTER_NAME) == REDIS_OK, "GET");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "PING") == REDIS_ERR && acc->err != 0,
          "a failed submission leaves acc->err set");
    cl_run_until_eq(&pending, 0, 5);
    CHECK(last_calls == 1 && last_type == REDIS_REPLY_STRING && strcmp(last_str, "1") == 0,
          "the earlier command still gets its reply (0.14.0: NULL)");
    CHECK(acc->err == 0, "errors cleared after the callback");
}

static void to_node_and_moved(redisClusterAsyncContext *acc) {
    SECTION(ADAPTER_NAME ": ToNode");
    redisClusterNodeIterator it;
    redisClusterNode *node;
    redisClusterInitNodeIterator(&it, acc->cc);
    pending = 0;
    reset_last();
    while ((node = redisClusterNodeNext(&it)) != NULL) {
        pending++;
        if (redisClusterAsyncCommandToNode(acc, node, keep_reply, NULL, "DBSIZE") != REDIS_OK) pending--;
    }
    CHECK(pending == 3, "DBSIZE to 3 nodes");
    cl_run_until_eq(&pending, 0, 5);
    CHECK(last_calls == 3 && last_type == REDIS_REPLY_INTEGER, "3 replies");
    const char *argv[] = {"ECHO", "hi"};
    pending = 1;
    redisClusterInitNodeIterator(&it, acc->cc);
    CHECK(redisClusterAsyncCommandArgvToNode(acc, redisClusterNodeNext(&it), keep_reply, NULL, 2, argv, NULL) == REDIS_OK,
          "ArgvToNode");
    cl_run_until_eq(&pending, 0, 5);
    CHECK(strcmp(last_str, "hi") == 0, "ECHO hi");

    SECTION(ADAPTER_NAME ": MOVED followed from the callback");
    usleep(1100000); /* past the one-second throttle of slot-map updates */
    char key[32], want[48];
    snprintf(key, sizeof key, "%s-ak1", ADAPTER_NAME);
    snprintf(want, sizeof want, "%s-v1", ADAPTER_NAME);
    int slot = redisClusterGetSlotByKey(key);
    redisClusterNode *owner = acc->cc->table[slot], *other = NULL;
    redisClusterInitNodeIterator(&it, acc->cc);
    while ((node = redisClusterNodeNext(&it)) != NULL) if (node != owner) other = node;
    int owner_port = owner->port;
    acc->cc->table[slot] = other; /* the client now believes the wrong node */
    int before = nevents;
    pending = 1;
    reset_last();
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET %s", key) == REDIS_OK, "GET to the wrong node");
    cl_run_until_eq(&pending, 0, 5);
    CHECK(last_calls == 1 && strcmp(last_str, want) == 0, "the value, after MOVED (%s)", last_str);
    /* The update's reply may come after the command's. */
    int updated = before + 1;
    cl_run_until(&nevents, updated, 2);
    CHECK(nevents == updated && events_seen[nevents < 8 ? nevents - 1 : 7] == HIRCLUSTER_EVENT_SLOTMAP_UPDATED,
          "one slot-map update (%d events)", nevents - before);
    CHECK(acc->cc->table[slot] && acc->cc->table[slot]->port == owner_port, "slot map fixed");
}

static void disconnect_and_free(redisClusterAsyncContext *acc, const char *seed) {
    SECTION(ADAPTER_NAME ": disconnect: pending replies first");
    char want[48];
    snprintf(want, sizeof want, "%s-v2", ADAPTER_NAME);
    pending = 1;
    reset_last();
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET %s-ak2", ADAPTER_NAME) == REDIS_OK, "GET");
    redisClusterAsyncDisconnect(acc);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET %s-ak2", ADAPTER_NAME) == REDIS_ERR &&
          strcmp(acc->errstr, "client closing") == 0, "keyed after disconnect: %s", acc->errstr);
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, acc->cc);
    CHECK(redisClusterAsyncCommandToNode(acc, redisClusterNodeNext(&it), keep_reply, NULL, "PING") == REDIS_ERR &&
          strcmp(acc->errstr, "disconnecting") == 0, "ToNode after disconnect: %s", acc->errstr);
    cl_run_until_eq(&pending, 0, 5);
    CHECK(last_calls == 1 && strcmp(last_str, want) == 0, "the pending GET got its reply");
    cl_run_until(&disconnected_ok, 3, 2);
    CHECK(disconnected_ok == 3 && disconnected_err == 0, "disconnect callbacks %d ok, %d err", disconnected_ok, disconnected_err);
    cl_async_free(acc);

    SECTION(ADAPTER_NAME ": free with a command in flight");
    acc = redisClusterAsyncConnect(seed, 0);
    CHECK(acc && acc->err == 0, "AsyncConnect (blocking slot map): %s", acc ? acc->errstr : "OOM");
    if (acc == NULL) return;
    CHECK(cl_adapter_attach(acc) == REDIS_OK, "attach");
    pending = 1;
    reset_last();
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET %s-ak3", ADAPTER_NAME) == REDIS_OK, "GET");
    cl_async_free(acc);
    CHECK(last_calls == 1 && last_null, "its callback ran once, with NULL (%d)", last_calls);
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    cl_loop_init();
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    CHECK(acc && acc->cc && sizeof *acc == 192, "init");
    if (acc == NULL) return tl_done();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    connect_in_loop(acc);
    many_and_long(acc);
    refused_and_stale(acc);
    to_node_and_moved(acc);
    disconnect_and_free(acc, seed);
    run_cluster_async_suite();
    cl_loop_free();
    return tl_done();
}
