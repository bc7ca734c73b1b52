/* The async API on libevent against the real cluster (spec §4): Connect2 in the event loop
 * (SLOTMAP_UPDATED then READY), commands refused before the slot map and for several slots,
 * many commands over all masters with every callback called exactly once with its own reply,
 * commands longer than a reused record, a NULL callback, ToNode, a MOVED followed without blocking (slot map updated), a stale error
 * not swallowing a later reply, disconnect (pending replies first, then "client closing") and
 * free with a command in flight (callback with NULL), a SET and GET in every slot (no MOVED, the
 * table agreeing with CLUSTER SLOTS); then the scenario of cluster_async_suite.h
 * (with its slot migration) on libevent. */
#define ADAPTER_NAME "libevent"
#include <hiredis_cluster/adapters/libevent.h>
#include "cluster_async_suite.h"

#include <event2/event.h>

static struct event_base *base;
static void tick(evutil_socket_t fd, short what, void *arg) { (void)fd; (void)what; (void)arg; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibeventAttach(acc, base); }
static void cl_step(void) { event_base_loop(base, EVLOOP_ONCE); }
static int pending, timed_out;
static int events_seen[8], nevents;
static int connected_ok, disconnected_ok, disconnected_err;

static void on_timeout(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what; (void)arg;
    timed_out = 1;
    event_base_loopbreak(base);
}

/* Runs the loop until something breaks it, or `secs` pass. */
static void run(double secs) {
    struct event *t = evtimer_new(base, on_timeout, NULL);
    struct timeval tv = {(time_t)secs, (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};
    timed_out = 0;
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (nevents < 8) events_seen[nevents] = event;
    nevents++;
    if (event == HIRCLUSTER_EVENT_READY) event_base_loopbreak(base);
}
static void on_connect(const redisAsyncContext *ac, int status) { (void)ac; connected_ok += status == REDIS_OK; }
static void on_disconnect(const redisAsyncContext *ac, int status) {
    (void)ac;
    if (status == REDIS_OK) disconnected_ok++; else disconnected_err++;
}

static int calls[4096], good[4096];
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    redisReply *reply = r;
    calls[i]++;
    char want[32];
    snprintf(want, sizeof want, "v%ld", i % 2048);
    if (i < 2048) good[i] += cl_is_status(reply, "OK");
    else good[i] += cl_is_str(reply, want);
    if (--pending == 0) event_base_loopbreak(base);
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
    if (--pending == 0) event_base_loopbreak(base);
}

static int slot_once[16384], slot_right[16384];
static void slot_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long s = (long)privdata;
    char want[16];
    snprintf(want, sizeof want, "s%ld", s);
    slot_once[s]++;
    slot_right[s] += cl_is_str(r, want);
    if (--pending == 0) event_base_loopbreak(base);
}

static redisReply *last;
static int last_calls;
static char last_err[128];
static void keep_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)privdata;
    last_calls++;
    freeReplyObject(last);
    last = NULL;
    snprintf(last_err, sizeof last_err, "%s", acc->errstr);
    if (r) {
        /* Replies belong to hiredis until the callback returns: keep a copy of the parts used. */
        redisReply *c = calloc(1, sizeof *c);
        c->type = ((redisReply *)r)->type;
        c->integer = ((redisReply *)r)->integer;
        c->len = ((redisReply *)r)->len;
        c->str = ((redisReply *)r)->str ? strdup(((redisReply *)r)->str) : NULL;
        last = c;
    }
    if (--pending == 0) event_base_loopbreak(base);
}
static void free_last(void) {
    if (last) { free(last->str); free(last); last = NULL; }
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    base = event_base_new();

    SECTION("Connect2 in the event loop");
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    CHECK(acc && acc->cc && sizeof *acc == 192, "init");
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    CHECK(redisClusterAsyncSetConnectCallback(acc, on_connect) == REDIS_OK &&
          redisClusterAsyncSetConnectCallbackNC(acc, NULL) == REDIS_ERR, "one connect callback");
    CHECK(redisClusterAsyncSetDisconnectCallback(acc, on_disconnect) == REDIS_OK, "disconnect callback");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_ERR, "no adapter yet");
    CHECK(redisClusterLibeventAttach(acc, base) == REDIS_OK, "attach");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_ERR, "a second update while one is in flight is refused");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "SET a 1") == REDIS_ERR &&
          strcmp(acc->errstr, "slotmap not available") == 0, "before the slot map: %s", acc->errstr);
    run(10);
    CHECK(!timed_out && nevents == 2 && events_seen[0] == HIRCLUSTER_EVENT_SLOTMAP_UPDATED &&
          events_seen[1] == HIRCLUSTER_EVENT_READY, "SLOTMAP_UPDATED then READY (%d events)", nevents);

    SECTION("many commands, each callback once with its own reply");
    int n = tl_under_valgrind() ? 200 : 2048;
    for (long i = 0; i < n; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)i, "SET ak%ld v%ld", i, i) != REDIS_OK) pending--;
    }
    for (long i = 0; i < n; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)(2048 + i), "GET ak%ld", i) != REDIS_OK) pending--;
    }
    CHECK(pending == 2 * n, "all submitted (%d)", pending);
    run(20);
    int once = 0, right = 0;
    for (long i = 0; i < n; i++) {
        once += calls[i] == 1 && calls[2048 + i] == 1;
        right += good[i] == 1 && good[2048 + i] == 1;
    }
    CHECK(!timed_out && once == n && right == n, "%d called once, %d right, of %d", once, right, n);
    CHECK(connected_ok == 3, "connect callback per master (%d)", connected_ok);

    SECTION("long commands (not from the record free list) between short ones");
    for (long i = 0; i < NBIG; i++) {
        for (size_t j = 0; j < sizeof bigval[0]; j++) bigval[i][j] = (char)('a' + (i + (long)j) % 26);
        pending += 3;
        if (redisClusterAsyncCommand(acc, on_big, (void *)i, "SET bk%ld %b", i, bigval[i], sizeof bigval[i]) != REDIS_OK)
            pending--;
        if (redisClusterAsyncCommand(acc, on_big, (void *)(2 * NBIG + i), "SET sk%ld x", i) != REDIS_OK) pending--;
        if (redisClusterAsyncCommand(acc, on_big, (void *)(NBIG + i), "GET bk%ld", i) != REDIS_OK) pending--;
    }
    CHECK(pending == 3 * NBIG, "all submitted (%d)", pending);
    run(20);
    once = right = 0;
    for (int i = 0; i < 3 * NBIG; i++) {
        once += big_calls[i] == 1;
        right += big_good[i] == 1;
    }
    CHECK(!timed_out && once == 3 * NBIG && right == 3 * NBIG, "%d called once, %d right, of %d", once, right, 3 * NBIG);

    SECTION("refused submissions");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "MGET a b") == REDIS_ERR && acc->err == REDIS_ERR_OTHER &&
          strcmp(acc->errstr, "Asynchronous API now not support multi-key command") == 0, "multi-slot: %s", acc->errstr);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "PING") == REDIS_ERR &&
          strncmp(acc->errstr, "No keys in command", 18) == 0, "PING: %s", acc->errstr);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "FOO bar") == REDIS_ERR && acc->err == REDIS_ERR_PROTOCOL &&
          strcmp(acc->errstr, "Unknown command FOO bar") == 0, "unknown: %s", acc->errstr);
    pending = 1;
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "MGET {t}a {t}b") == REDIS_OK, "same-slot MGET accepted");
    run(5);
    CHECK(last_calls == 1 && last && last->type == REDIS_REPLY_ARRAY, "same-slot MGET reply");
    free_last();

    SECTION("a NULL callback, and a stale error");
    CHECK(redisClusterAsyncCommand(acc, NULL, NULL, "SET nocb 1") == REDIS_OK, "NULL callback accepted");
    pending = 1;
    last_calls = 0;
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET nocb") == REDIS_OK, "GET");
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "PING") == REDIS_ERR && acc->err != 0,
          "a failed submission leaves acc->err set");
    run(5);
    CHECK(last_calls == 1 && last && last->type == REDIS_REPLY_STRING && strcmp(last->str, "1") == 0,
          "the earlier command still gets its reply (0.14.0: NULL)");
    CHECK(acc->err == 0, "errors cleared after the callback");
    free_last();

    SECTION("ToNode");
    redisClusterNodeIterator it;
    redisClusterNode *node;
    redisClusterInitNodeIterator(&it, acc->cc);
    pending = 0;
    last_calls = 0;
    while ((node = redisClusterNodeNext(&it)) != NULL) {
        pending++;
        if (redisClusterAsyncCommandToNode(acc, node, keep_reply, NULL, "DBSIZE") != REDIS_OK) pending--;
    }
    CHECK(pending == 3, "DBSIZE to 3 nodes");
    run(5);
    CHECK(last_calls == 3 && last && last->type == REDIS_REPLY_INTEGER, "3 replies");
    free_last();
    const char *argv[] = {"ECHO", "hi"};
    pending = 1;
    redisClusterInitNodeIterator(&it, acc->cc);
    CHECK(redisClusterAsyncCommandArgvToNode(acc, redisClusterNodeNext(&it), keep_reply, NULL, 2, argv, NULL) == REDIS_OK,
          "ArgvToNode");
    run(5);
    CHECK(last && strcmp(last->str, "hi") == 0, "ECHO hi");
    free_last();

    SECTION("routing over all 16384 slots");
    {
        /* A key per slot (every 16th slot under valgrind): SET then GET, each callback once
         * with its own reply; no MOVED (no slot-map update, with the throttle open); the table
         * names, for every slot, the owner the servers' CLUSTER SLOTS names. */
        static int owners[16384];
        char (*keys)[16] = cl_keys_per_slot();
        int step = tl_under_valgrind() ? 16 : 1, sent = 0, before_all = nevents;
        usleep(1100000);
        for (long s = 0; s < 16384; s += step) {
            sent += redisClusterAsyncCommand(acc, NULL, NULL, "SET %s s%ld", keys[s], s) == REDIS_OK;
            pending++;
            if (redisClusterAsyncCommand(acc, slot_reply, (void *)s, "GET %s", keys[s]) != REDIS_OK) pending--;
        }
        CHECK(sent == 16384 / step && pending == 16384 / step, "submitted (%d, %d)", sent, pending);
        run(30);
        int once = 0;
        for (int s = 0; s < 16384; s += step) once += slot_once[s] == 1 && slot_right[s] == 1;
        CHECK(!timed_out && once == 16384 / step, "%d of %d called once with their value", once, 16384 / step);
        run(0.2);
        CHECK(nevents == before_all, "no slot-map update (%d events)", nevents - before_all);
        cl_slot_ports(seed, owners);
        int agree = 0;
        for (int s = 0; s < 16384; s++) agree += acc->cc->table[s] && acc->cc->table[s]->port == owners[s];
        CHECK(agree == 16384, "the table agrees with CLUSTER SLOTS on %d slots", agree);
    }

    SECTION("MOVED followed from the callback");
    usleep(1100000); /* past the one-second throttle of slot-map updates */
    int slot = redisClusterGetSlotByKey((char *)"ak1");
    redisClusterNode *owner = acc->cc->table[slot], *other = NULL;
    redisClusterInitNodeIterator(&it, acc->cc);
    while ((node = redisClusterNodeNext(&it)) != NULL) if (node != owner) other = node;
    int owner_port = owner->port;
    acc->cc->table[slot] = other; /* the client now believes the wrong node */
    int before = nevents;
    pending = 1;
    last_calls = 0;
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET ak1") == REDIS_OK, "GET to the wrong node");
    run(5);
    CHECK(last_calls == 1 && last && strcmp(last->str, "v1") == 0, "the value, after MOVED");
    free_last();
    if (nevents == before) run(1); /* the update's reply may come after the command's */
    CHECK(nevents == before + 1 && events_seen[nevents < 8 ? nevents - 1 : 7] == HIRCLUSTER_EVENT_SLOTMAP_UPDATED,
          "one slot-map update (%d events)", nevents - before);
    CHECK(acc->cc->table[slot] && acc->cc->table[slot]->port == owner_port, "slot map fixed");

    SECTION("disconnect: pending replies first");
    pending = 1;
    last_calls = 0;
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET ak2") == REDIS_OK, "GET");
    redisClusterAsyncDisconnect(acc);
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET ak2") == REDIS_ERR &&
          strcmp(acc->errstr, "client closing") == 0, "keyed after disconnect: %s", acc->errstr);
    redisClusterInitNodeIterator(&it, acc->cc);
    CHECK(redisClusterAsyncCommandToNode(acc, redisClusterNodeNext(&it), keep_reply, NULL, "PING") == REDIS_ERR &&
          strcmp(acc->errstr, "disconnecting") == 0, "ToNode after disconnect: %s", acc->errstr);
    run(5);
    CHECK(last_calls == 1 && last && strcmp(last->str, "v2") == 0, "the pending GET got its reply");
    free_last();
    run(0.3);
    CHECK(disconnected_ok == 3 && disconnected_err == 0, "disconnect callbacks %d ok, %d err", disconnected_ok, disconnected_err);
    redisClusterAsyncFree(acc);

    SECTION("free with a command in flight");
    acc = redisClusterAsyncConnect(seed, 0);
    CHECK(acc && acc->err == 0, "AsyncConnect (blocking slot map): %s", acc ? acc->errstr : "OOM");
    redisClusterLibeventAttach(acc, base);
    pending = 1;
    last_calls = 0;
    CHECK(redisClusterAsyncCommand(acc, keep_reply, NULL, "GET ak3") == REDIS_OK, "GET");
    redisClusterAsyncFree(acc);
    CHECK(last_calls == 1 && last == NULL, "its callback ran once, with NULL (%d)", last_calls);

    struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(t, &tv);
    run_cluster_async_suite();
    event_free(t);
    event_base_free(base);
    return tl_done();
}
