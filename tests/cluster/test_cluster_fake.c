/* What a real cluster will not send, from a small scripted peer on a loopback port (a forked
 * child that answers each command by a list of rules and logs what it received): malformed
 * CLUSTER SLOTS / CLUSTER NODES replies and their error texts, MOVED with a slot >= 16384 to a
 * dead node, TRYAGAIN / CLUSTERDOWN without end, malformed redirects, ASK (wire order checked),
 * a node that never answers; and parse_cluster_nodes called directly. */
#include "cluster_test.h"
#include "fake_peer.h"
#include <hiredis_cluster/hiarray.h>

static char seedaddr[64];

/* A context on the peer (flags), whose connect result is returned. */
static redisClusterContext *on_peer(int flags) {
    redisClusterContext *cc = redisClusterContextInit();
    cc->flags = flags;
    redisClusterSetOptionAddNodes(cc, seedaddr);
    struct timeval tv = {0, 300000};
    redisClusterSetOptionTimeout(cc, tv);
    redisClusterConnect2(cc);
    return cc;
}

static void slots_errors(void) {
    SECTION("malformed CLUSTER SLOTS replies");
    struct { const char *reply; const char *err; } t[] = {
        {"+OK\r\n", "Command (cluster slots) reply error: type is not array."},
        {"*0\r\n", "Command(cluster slots) reply error: reply is not an array."},
        {"*1\r\n*2\r\n:0\r\n:100\r\n", "Command(cluster slots) reply error: first sub_reply is not an array."},
        {"*1\r\n*3\r\n$1\r\na\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot begin is not an integer."},
        {"*1\r\n*3\r\n:0\r\n$1\r\na\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot end is not an integer."},
        {"*1\r\n*3\r\n:100\r\n:0\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot begin is bigger than slot end."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*1\r\n$9\r\n127.0.0.1\r\n", "Command(cluster slots) reply error: nodes sub_reply is not an correct array."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$-1\r\n:7000\r\n", "Command(cluster slots) reply error: master ip or port is not correct."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$0\r\n\r\n:7000\r\n", "Command(cluster slots) reply error: node ip is not string."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:0\r\n", "Command(cluster slots) reply error: node port is not integer."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:70000\r\n", "Command(cluster slots) reply error: node port is not valid."},
        {"*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Slot region for node is invalid"},
        {"*2\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n*3\r\n:50\r\n:200\r\n*2\r\n$9\r\n127.0.0.1\r\n:7001\r\n", "Different node holds same slot"},
        {"-ERR This instance has cluster support disabled\r\n", "ERR This instance has cluster support disabled"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rule rules[] = {{"CLUSTER SLOTS", t[i].reply, 0}};
        peer_start(rules, 1);
        redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, t[i].err) == 0 && cc->route_version == 0 && !cc->table,
              "%zu: %d %s", i, cc->err, cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }
    rule silent[] = {{"CLUSTER SLOTS", NULL, 0}};
    peer_start(silent, 1);
    redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, "Command (cluster slots) reply error (NULL).") == 0,
          "a node that never answers: %s", cc->errstr);
    redisClusterFree(cc);
    peer_stop();
}

static void nodes_errors(void) {
    SECTION("malformed CLUSTER NODES replies");
    struct { const char *reply; const char *err; } t[] = {
        {"$69\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave\n\r\n", "split cluster nodes error"},
        {"$95\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 myself,master - 0 0 1 connected\n\r\n", "No slot information"},
        {"$194\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 myself,master - 0 0 1 connected 0-10\n"
         "17c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 master - 0 0 1 connected 11-20\n\r\n", "The address already exists in the nodes"},
        {":1\r\n", "Command(cluster nodes) reply error: type is not string."},
        {"-NOAUTH Authentication required.\r\n", "NOAUTH Authentication required."},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rule rules[] = {{"CLUSTER NODES", t[i].reply, 0}};
        peer_start(rules, 1);
        redisClusterContext *cc = on_peer(0);
        CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, t[i].err) == 0, "%zu: %d %s", i, cc->err, cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }
}

static void redirects(void) {
    char map[128];
    snprintf(map, sizeof map, "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n", port);

    SECTION("MOVED with a slot past the table, to a dead node");
    rule moved[] = {{"CLUSTER SLOTS", map, 0}, {"GET", "-MOVED 99999 127.0.0.1:1\r\n", 0}};
    peer_start(moved, 2);
    redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    CHECK(cc->err == 0 && cc->route_version == 1, "connect: %s", cc->errstr);
    redisReply *r = redisClusterCommand(cc, "GET foo");
    CHECK(r == NULL && cc->err == REDIS_ERR_IO && strcmp(cc->errstr, "Connection refused") == 0, "%d %s", cc->err, cc->errstr);
    CHECK(log_has("CLUSTER SLOTS|GET foo|CLUSTER SLOTS"), "the update went out on the redirecting connection");
    CHECK(cc->route_version == 2 && cc->table[12182] && cc->table[12182]->port == port, "map from the pipelined update");
    redisClusterFree(cc);
    peer_stop();

    SECTION("TRYAGAIN and CLUSTERDOWN without end");
    const char *again[2] = {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", "-CLUSTERDOWN The cluster is down\r\n"};
    for (int k = 0; k < 2; k++) {
        rule rules[] = {{"CLUSTER SLOTS", map, 0}, {"GET", again[k], 0}};
        peer_start(rules, 2);
        cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        redisClusterSetOptionMaxRetry(cc, 2);
        r = redisClusterCommand(cc, "GET foo");
        CHECK(r == NULL && cc->err == 100 && strcmp(cc->errstr, "too many cluster retries") == 0, "%d %s", cc->err, cc->errstr);
        CHECK(log_has("GET foo|GET foo|GET foo") && !log_has_q("GET foo|GET foo|GET foo|GET foo", 1), "3 tries (max retry 2)");
        redisClusterFree(cc);
        peer_stop();
    }

    SECTION("malformed redirects");
    struct { const char *reply, *err; } bad[] = {
        {"-MOVED 12182\r\n", "failed to parse redirect"},
        {"-MOVED 12182 127.0.0.1\r\n", "port separator missing in redirect"},
        {"-ASK 12182 :7000\r\n", "endpoint missing in redirect"},
    };
    for (int k = 0; k < 3; k++) {
        rule rules[] = {{"CLUSTER SLOTS", map, 0}, {"GET", bad[k].reply, 0}};
        peer_start(rules, 2);
        cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        r = redisClusterCommand(cc, "GET foo");
        CHECK(r == NULL && cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, bad[k].err) == 0, "%s", cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }

    SECTION("ASK: ASKING then the command, on the target");
    char ask[64];
    snprintf(ask, sizeof ask, "-ASK 12182 127.0.0.1:%d\r\n", port);
    rule asks[] = {{"CLUSTER SLOTS", map, 0}, {"GET", ask, 1}, {"ASKING", "+OK\r\n", 0}, {"GET", "$3\r\nbar\r\n", 0}};
    peer_start(asks, 4);
    cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    r = redisClusterCommand(cc, "GET foo");
    CHECK(cl_is_str(r, "bar") && cc->err == 0 && cc->route_version == 1, "GET after ASK");
    freeReplyObject(r);
    CHECK(log_has("CLUSTER SLOTS|GET foo|ASKING|GET foo"), "wire order");
    redisClusterFree(cc);
    peer_stop();
}

static void parse_nodes_directly(void) {
    SECTION("parse_cluster_nodes");
    redisClusterContext *cc = redisClusterContextInit();
    char text[] =
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30005@31005,replica-host slave "
        "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected\n"
        "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,hostname2 myself,master - 0 0 2 connected "
        "5461-10922 [5460-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [10923->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n"
        "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 0 3 connected 0-5460 10923-16383 junk\n"
        "6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,noaddr - 0 0 0 disconnected\n"
        "ignored tail without newline";
    dict *d = parse_cluster_nodes(cc, text, (int)strlen(text),
                                  HIRCLUSTER_FLAG_ADD_SLAVE | HIRCLUSTER_FLAG_ADD_OPENSLOT);
    CHECK(d && dictSize(d) == 2, "two masters (:0 skipped): %s", cc->errstr);
    dictIterator di;
    int checked = 0;
    dictInitIterator(&di, d);
    for (dictEntry *de; d && (de = dictNext(&di)) != NULL;) {
        redisClusterNode *n = dictGetEntryVal(de);
        if (n->port == 30002) {
            redisClusterNode *rep = n->slaves ? listNodeValue(listFirst(n->slaves)) : NULL;
            copen_slot **mig = n->migrating ? hiarray_get(n->migrating, 0) : NULL;
            copen_slot **imp = n->importing ? hiarray_get(n->importing, 0) : NULL;
            checked += rep && rep->role == REDIS_ROLE_SLAVE && strcmp(rep->addr, "127.0.0.1:30005") == 0 &&
                       strncmp(rep->name, "e7d1eecce", 9) == 0 && strcmp(n->addr, "127.0.0.1:30002") == 0 &&
                       listLength(n->slots) == 1 && mig && (*mig)->slot_num == 10923 && (*mig)->migrate == 1 &&
                       imp && (*imp)->slot_num == 5460 && (*imp)->migrate == 0 &&
                       strncmp((*imp)->remote_name, "292f8b", 6) == 0 && (*imp)->node == n;
        } else if (n->port == 30003) {
            cluster_slot *a = listNodeValue(listFirst(n->slots)), *b = listNodeValue(listLast(n->slots));
            checked += listLength(n->slots) == 2 && a->start == 0 && a->end == 5460 && b->start == 10923 &&
                       b->end == 16383 && n->slaves == NULL && a->node == n;
        }
    }
    CHECK(checked == 2, "replica moved under its later master, open slots, ranges (%d)", checked);
    dictRelease(d);
    d = parse_cluster_nodes(cc, text, (int)strlen(text), 0);
    int no_extras = d != NULL;
    dictInitIterator(&di, d);
    for (dictEntry *de; d && (de = dictNext(&di)) != NULL;) {
        redisClusterNode *n = dictGetEntryVal(de);
        no_extras &= n->slaves == NULL && n->migrating == NULL && n->importing == NULL;
    }
    CHECK(no_extras, "without the flags: no replicas, no open slots");
    dictRelease(d);
    redisClusterFree(cc);
}

int main(void) {
    snprintf(logpath, sizeof logpath, "%s/peer.log", tl_env("TEST_TMPDIR", "/tmp"));
    signal(SIGPIPE, SIG_IGN);
    peer_listen();
    snprintf(seedaddr, sizeof seedaddr, "127.0.0.1:%d", port);
    slots_errors();
    nodes_errors();
    redirects();
    parse_nodes_directly();
    close(listen_fd);
    return tl_done();
}
