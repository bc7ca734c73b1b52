/* The sync API on a real 3-master cluster with replicas (tests/cluster/harness.sh): slot-map
 * updates by CLUSTER NODES and CLUSTER SLOTS (replicas parsed), routing over all 16384 slots
 * checked against the servers, hash tags, multi-key commands split and merged, error replies,
 * ToNode calls, the node iterator, command timeouts and AUTH on a cluster without password. */
#include "cluster_test.h"

static const char *seed;
static int connects_ok, connects_err;
static void on_connect(const redisContext *c, int status) {
    (void)c;
    if (status == REDIS_OK) connects_ok++; else connects_err++;
}

static void flush_all(redisClusterContext *cc) {
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, cc);
    redisClusterNode *n;
    while ((n = redisClusterNodeNext(&it)) != NULL) freeReplyObject(redisClusterCommandToNode(cc, n, "FLUSHALL"));
}

static void slotmaps(void) {
    SECTION("slot map by CLUSTER NODES");
    memset(cl_events, 0, sizeof cl_events);
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc && cc->err == 0 && cc->route_version == 1, "connect: %s", cc ? cc->errstr : "OOM");
    CHECK(cl_events[HIRCLUSTER_EVENT_SLOTMAP_UPDATED] == 1 && cl_events[HIRCLUSTER_EVENT_READY] == 1, "events %d %d",
          cl_events[1], cl_events[2]);
    CHECK(dictSize(cc->nodes) == 3, "3 masters, got %lu", dictSize(cc->nodes));
    int all = 1;
    for (int s = 0; s < 16384; s++) all &= cc->table[s] != NULL;
    CHECK(all, "every slot served");
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, cc);
    redisClusterNode *n;
    int good = 0, ranges = 0;
    while ((n = redisClusterNodeNext(&it)) != NULL) {
        good += n->role == REDIS_ROLE_MASTER && n->name && strlen(n->name) == 40 && n->slots && n->slaves == NULL;
        ranges += n->slots ? (int)listLength(n->slots) : 0;
        listIter li;
        listRewind(n->slots, &li);
        for (listNode *ln; (ln = listNext(&li)) != NULL;) {
            cluster_slot *sl = listNodeValue(ln);
            for (uint32_t s = sl->start; s <= sl->end; s++) good -= cc->table[s] != n ? 1000 : 0;
        }
    }
    CHECK(good == 3 && ranges >= 3, "masters with ids and ranges matching the table (%d, %d ranges)", good, ranges);
    redisClusterFree(cc);
    CHECK(cl_events[HIRCLUSTER_EVENT_FREE_CONTEXT] == 1, "FREE_CONTEXT event");

    SECTION("replicas by CLUSTER NODES and CLUSTER SLOTS");
    int flags[2] = {HIRCLUSTER_FLAG_ADD_SLAVE, HIRCLUSTER_FLAG_ADD_SLAVE | HIRCLUSTER_FLAG_ROUTE_USE_SLOTS};
    for (int f = 0; f < 2; f++) {
        cc = cl_connect(seed, flags[f]);
        CHECK(cc->err == 0, "connect: %s", cc->errstr);
        redisClusterInitNodeIterator(&it, cc);
        int masters = 0, replicas = 0, named = 0;
        while ((n = redisClusterNodeNext(&it)) != NULL) {
            masters++;
            named += n->name != NULL;
            if (n->slaves && listLength(n->slaves) == 1) {
                redisClusterNode *r = listNodeValue(listFirst(n->slaves));
                replicas += r->role == REDIS_ROLE_SLAVE && r->port != n->port && strncmp(r->addr, "127.0.0.1:", 10) == 0;
            }
        }
        CHECK(masters == 3 && replicas == 3, "%s: %d masters, %d replicas", f ? "SLOTS" : "NODES", masters, replicas);
        CHECK(named == (f ? 0 : 3), "node ids only with CLUSTER NODES (%d)", named);
        redisClusterFree(cc);
    }

    SECTION("redisClusterConnect / ConnectWithTimeout");
    cc = redisClusterConnect(seed, HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    CHECK(cc && cc->err == 0 && cc->flags == HIRCLUSTER_FLAG_ROUTE_USE_SLOTS && dictSize(cc->nodes) == 3, "Connect");
    redisClusterFree(cc);
    struct timeval tv = {2, 0};
    cc = redisClusterConnectWithTimeout(seed, tv, 0);
    CHECK(cc && cc->err == 0 && cc->connect_timeout && cc->connect_timeout->tv_sec == 2, "ConnectWithTimeout");
    redisClusterFree(cc);
    char bad_then_good[128];
    snprintf(bad_then_good, sizeof bad_then_good, "127.0.0.1:1,%s", seed);
    cc = redisClusterConnect(bad_then_good, 0);
    CHECK(cc && cc->err == 0 && cc->route_version == 1, "a dead seed is skipped: %s", cc->errstr);
    redisClusterFree(cc);
}

static void routing(redisClusterContext *cc) {
    SECTION("routing over all 16384 slots");
    char (*keys)[16] = cl_keys_per_slot();
    static int ports[16384];
    cl_slot_ports(seed, ports);
    int step = tl_under_valgrind() ? 61 : 1;
    redisContext *raw[3] = {0};
    int raw_port[3] = {0};
    int set_ok = 0, routed_ok = 0, get_ok = 0, tried = 0;
    for (int s = 0; s < 16384; s += step) {
        tried++;
        redisReply *r = redisClusterCommand(cc, "SET %s v%d", keys[s], s);
        set_ok += cl_is_status(r, "OK");
        freeReplyObject(r);
        /* The value must be on the node the servers say owns the slot. */
        int k = 0;
        while (k < 3 && raw_port[k] && raw_port[k] != ports[s]) k++;
        if (k < 3 && !raw_port[k]) {
            char addr[32];
            snprintf(addr, sizeof addr, "127.0.0.1:%d", ports[s]);
            raw[k] = cl_raw(addr);
            raw_port[k] = ports[s];
        }
        char want[16];
        snprintf(want, sizeof want, "v%d", s);
        if (k < 3) {
            r = redisCommand(raw[k], "GET %s", keys[s]);
            routed_ok += cl_is_str(r, want);
            freeReplyObject(r);
        }
        r = redisClusterCommand(cc, "GET %s", keys[s]);
        get_ok += cl_is_str(r, want);
        freeReplyObject(r);
    }
    CHECK(set_ok == tried && routed_ok == tried && get_ok == tried, "SET %d, on the owner %d, GET %d of %d", set_ok,
          routed_ok, get_ok, tried);
    for (int k = 0; k < 3; k++) if (raw[k]) redisFree(raw[k]);
    CHECK(cc->route_version == 1, "no slot-map update was needed (%llu)", (unsigned long long)cc->route_version);

    SECTION("hash slots agree with CLUSTER KEYSLOT");
    redisContext *c = cl_raw(seed);
    int agree = 0, n = 0;
    for (int i = 0; i < 300; i++, n++) {
        char key[64];
        snprintf(key, sizeof key, i % 3 == 0 ? "{tag%d}x" : i % 3 == 1 ? "a{%d}{b}" : "plain:%d:{}", i * 7919);
        redisReply *r = redisCommand(c, "CLUSTER KEYSLOT %s", key);
        agree += cl_is_int(r, redisClusterGetSlotByKey(key));
        freeReplyObject(r);
    }
    redisFree(c);
    CHECK(agree == n, "%d of %d", agree, n);
}

static void multikey(redisClusterContext *cc) {
    SECTION("hash tags");
    redisReply *r = redisClusterCommand(cc, "MSET {user1}a 1 {user1}b 2");
    CHECK(cl_is_status(r, "OK"), "MSET in one slot");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "MGET {user1}a {user1}b {user1}c");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && cl_is_str(r->element[0], "1") &&
          cl_is_str(r->element[1], "2") && r->element[2]->type == REDIS_REPLY_NIL, "MGET in one slot");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "SUNIONSTORE {user1}d {user1}a");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0 && cc->err == 0,
          "a server error is a reply: %s", r ? r->str : cc->errstr);
    freeReplyObject(r);

    SECTION("multi-key commands split across slots and merged");
    r = redisClusterCommand(cc, "MSET a 1 b 2 c 3 foo x");
    CHECK(cl_is_status(r, "OK") && cc->err == 0, "MSET over 4 slots");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "MGET a b c nokey foo");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 5 && cl_is_str(r->element[0], "1") &&
          cl_is_str(r->element[1], "2") && cl_is_str(r->element[2], "3") && r->element[3]->type == REDIS_REPLY_NIL &&
          cl_is_str(r->element[4], "x"), "MGET merged in key order");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "EXISTS a b c foo foo nokey");
    CHECK(cl_is_int(r, 5), "EXISTS sum counts duplicates (%lld)", r ? r->integer : -1);
    freeReplyObject(r);
    /* Many keys over many slots, in both directions. */
    const char *argv[401];
    size_t lens[401];
    char kb[200][16], vb[200][16];
    argv[0] = "MSET"; lens[0] = 4;
    for (int i = 0; i < 200; i++) {
        snprintf(kb[i], 16, "mk%d", i);
        snprintf(vb[i], 16, "mv%d", i);
        argv[1 + 2 * i] = kb[i]; lens[1 + 2 * i] = strlen(kb[i]);
        argv[2 + 2 * i] = vb[i]; lens[2 + 2 * i] = strlen(vb[i]);
    }
    r = redisClusterCommandArgv(cc, 401, argv, lens);
    CHECK(cl_is_status(r, "OK"), "MSET of 200 keys (Argv)");
    freeReplyObject(r);
    argv[0] = "MGET"; lens[0] = 4;
    for (int i = 0; i < 200; i++) { argv[1 + i] = kb[i]; lens[1 + i] = strlen(kb[i]); }
    r = redisClusterCommandArgv(cc, 201, argv, lens);
    int in_order = r && r->type == REDIS_REPLY_ARRAY && r->elements == 200;
    for (int i = 0; in_order && i < 200; i++) in_order = cl_is_str(r->element[i], vb[i]);
    CHECK(in_order, "MGET of 200 keys in order");
    freeReplyObject(r);
    argv[0] = "DEL"; lens[0] = 3;
    r = redisClusterCommandArgv(cc, 201, argv, lens);
    CHECK(cl_is_int(r, 200), "DEL of 200 keys (%lld)", r ? r->integer : -1);
    freeReplyObject(r);
    r = redisClusterCommand(cc, "DEL a b c nokey");
    CHECK(cl_is_int(r, 3), "DEL sum");
    freeReplyObject(r);

    SECTION("commands routed by their first key only");
    r = redisClusterCommand(cc, "UNLINK a foo");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "CROSSSLOT", 9) == 0 && cc->err == 0, "UNLINK: %s",
          r ? r->str : cc->errstr);
    freeReplyObject(r);
    r = redisClusterCommand(cc, "TOUCH {t}1 {t}2");
    CHECK(cl_is_int(r, 0), "TOUCH in one slot");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "EVAL %s 2 {t}k {t}l", "return redis.call('SET', KEYS[1], 'e')");
    CHECK(cl_is_status(r, "OK"), "EVAL with keys");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "XADD {s}x * f v");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "XREAD STREAMS {s}x 0");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "XREAD STREAMS key id (key finder fix)");
    freeReplyObject(r);

    SECTION("binary keys");
    const char *bargv[3] = {"SET", "bin\0key", "v\0v"};
    size_t blens[3] = {3, 7, 3};
    r = redisClusterCommandArgv(cc, 3, bargv, blens);
    CHECK(cl_is_status(r, "OK"), "SET binary");
    freeReplyObject(r);
    r = redisClusterCommand(cc, "GET %b", "bin\0key", (size_t)7);
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 3 && memcmp(r->str, "v\0v", 3) == 0, "GET binary");
    freeReplyObject(r);
}

static void to_node(redisClusterContext *cc) {
    SECTION("ToNode, GetNodeByKey and the iterator");
    flush_all(cc);
    redisReply *r = redisClusterCommand(cc, "MSET a 1 b 2 c 3 foo x {t}1 y");
    freeReplyObject(r);
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, cc);
    redisClusterNode *n;
    long long total = 0;
    int nodes = 0;
    while ((n = redisClusterNodeNext(&it)) != NULL) {
        r = redisClusterCommandToNode(cc, n, "DBSIZE");
        if (r && r->type == REDIS_REPLY_INTEGER) total += r->integer;
        freeReplyObject(r);
        nodes++;
    }
    CHECK(nodes == 3 && total == 5, "DBSIZE over %d nodes: %lld", nodes, total);
    static int ports[16384];
    cl_slot_ports(seed, ports);
    redisClusterNode *owner = redisClusterGetNodeByKey(cc, (char *)"foo");
    CHECK(owner && owner->port == ports[12182], "GetNodeByKey(foo)");
    redisClusterInitNodeIterator(&it, cc);
    while ((n = redisClusterNodeNext(&it)) != NULL && n == owner) {}
    r = redisClusterCommandToNode(cc, n, "GET foo");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "MOVED 12182 ", 12) == 0 && cc->err == 0,
          "ToNode delivers MOVED as is: %s", r ? r->str : cc->errstr);
    freeReplyObject(r);
    r = redisClusterCommandToNode(cc, owner, "MULTI");
    freeReplyObject(r);
    r = redisClusterCommandToNode(cc, owner, "SET foo 100");
    freeReplyObject(r);
    r = redisClusterCommandToNode(cc, owner, "INCR foo");
    freeReplyObject(r);
    r = redisClusterCommandToNode(cc, owner, "EXEC");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && cl_is_status(r->element[0], "OK") &&
          cl_is_int(r->element[1], 101), "a transaction on one node");
    freeReplyObject(r);
    CHECK(redisClusterCommandToNode(cc, NULL, "PING") == NULL, "ToNode NULL node");

    SECTION("the iterator after a slot-map update runs through the new nodes");
    redisClusterInitNodeIterator(&it, cc);
    n = redisClusterNodeNext(&it);
    uint64_t v = cc->route_version;
    CHECK(n && redisClusterUpdateSlotmap(cc) == REDIS_OK && cc->route_version == v + 1, "update");
    int after = 0;
    while (redisClusterNodeNext(&it) != NULL) after++;
    CHECK(after == 3 && it.route_version == cc->route_version, "restarted once, %d nodes", after);
    CHECK(redisClusterUpdateSlotmap(cc) == REDIS_OK && redisClusterNodeNext(&it) == NULL, "a second change ends it");
}

static void timeouts_and_auth(void) {
    SECTION("command timeout");
    redisClusterContext *cc = cl_connect(seed, 0);
    redisClusterSetConnectCallback(cc, on_connect);
    struct timeval tv = {0, 200000};
    CHECK(redisClusterSetOptionTimeout(cc, tv) == REDIS_OK, "set timeout while connected");
    double t0 = cl_now();
    redisReply *r = redisClusterCommand(cc, "BLPOP emptylist 3");
    double took = cl_now() - t0;
    CHECK(r == NULL && cc->err == REDIS_ERR_IO && strcmp(cc->errstr, "Resource temporarily unavailable") == 0,
          "BLPOP times out: %d %s", cc->err, cc->errstr);
    CHECK(took < 2.0 && cc->need_update_route == 1, "after %.2f s, update scheduled", took);
    freeReplyObject(r);
    r = redisClusterCommand(cc, "SET afterwards 1");
    CHECK(cl_is_status(r, "OK") && cc->err == 0 && cc->need_update_route == 0, "next command reconnects and updates");
    freeReplyObject(r);
    CHECK(connects_ok > 0 && connects_err == 0, "connect callback (%d ok, %d failed)", connects_ok, connects_err);
    redisClusterFree(cc);

    SECTION("connect errors");
    cc = redisClusterContextInit();
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetOptionPassword(cc, "nopass");
    CHECK(redisClusterConnect2(cc) == REDIS_ERR && cc->err == REDIS_ERR_OTHER && strncmp(cc->errstr, "ERR AUTH", 8) == 0,
          "AUTH without a server password: %s", cc->errstr);
    redisClusterFree(cc);
    cc = redisClusterConnect("127.0.0.1:1", 0);
    CHECK(cc->err == REDIS_ERR_IO && strcmp(cc->errstr, "Connection refused") == 0, "refused: %s", cc->errstr);
    redisClusterFree(cc);
}

int main(void) {
    seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    slotmaps();
    redisClusterContext *cc = cl_connect(seed, 0);
    flush_all(cc);
    routing(cc);
    multikey(cc);
    to_node(cc);
    redisClusterFree(cc);
    timeouts_and_auth();
    return tl_done();
}
