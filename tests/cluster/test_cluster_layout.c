/* The cluster library without a server: struct layouts and constants of the installed headers
 * (spec §2), the exported dict/adlist/hiarray/hiutil helpers, hash slots, seed addresses, the
 * node dict's iteration order, option setters, and the key finder's errors. */
#include <hiredis_cluster/hircluster.h>
#include <hiredis_cluster/adlist.h>
#include <hiredis_cluster/hiarray.h>
#include <hiredis_cluster/hiutil.h>
#include "hircluster.h" /* the pkg-config style include reaches the same header */

#include <stddef.h>
#include <stdint.h>

#include "testlib.h"

#define OFF(T, f, want) CHECK(offsetof(T, f) == (want), #T "." #f " at %zu", offsetof(T, f))
#define SIZE(T, want) CHECK(sizeof(T) == (want), "sizeof " #T " %zu", sizeof(T))

static void layouts(void) {
    SECTION("layouts");
    SIZE(redisClusterNode, 88);
    OFF(redisClusterNode, addr, 8); OFF(redisClusterNode, host, 16); OFF(redisClusterNode, port, 24);
    OFF(redisClusterNode, role, 26); OFF(redisClusterNode, pad, 27); OFF(redisClusterNode, failure_count, 28);
    OFF(redisClusterNode, con, 32); OFF(redisClusterNode, acon, 40);
    OFF(redisClusterNode, lastConnectionAttempt, 48); OFF(redisClusterNode, slots, 56);
    OFF(redisClusterNode, slaves, 64); OFF(redisClusterNode, migrating, 72); OFF(redisClusterNode, importing, 80);
    SIZE(cluster_slot, 16); OFF(cluster_slot, end, 4); OFF(cluster_slot, node, 8);
    SIZE(copen_slot, 24); OFF(copen_slot, migrate, 4); OFF(copen_slot, remote_name, 8); OFF(copen_slot, node, 16);
    SIZE(redisClusterContext, 256);
    OFF(redisClusterContext, errstr, 4); OFF(redisClusterContext, flags, 132);
    OFF(redisClusterContext, connect_timeout, 136); OFF(redisClusterContext, command_timeout, 144);
    OFF(redisClusterContext, max_retry_count, 152); OFF(redisClusterContext, username, 160);
    OFF(redisClusterContext, password, 168); OFF(redisClusterContext, nodes, 176);
    OFF(redisClusterContext, route_version, 184); OFF(redisClusterContext, table, 192);
    OFF(redisClusterContext, requests, 200); OFF(redisClusterContext, retry_count, 208);
    OFF(redisClusterContext, need_update_route, 212); OFF(redisClusterContext, ssl, 216);
    OFF(redisClusterContext, ssl_init_fn, 224); OFF(redisClusterContext, on_connect, 232);
    OFF(redisClusterContext, event_callback, 240); OFF(redisClusterContext, event_privdata, 248);
    SIZE(redisClusterAsyncContext, 192);
    OFF(redisClusterAsyncContext, err, 8); OFF(redisClusterAsyncContext, errstr, 12);
    OFF(redisClusterAsyncContext, lastSlotmapUpdateAttempt, 144); OFF(redisClusterAsyncContext, adapter, 152);
    OFF(redisClusterAsyncContext, attach_fn, 160); OFF(redisClusterAsyncContext, onDisconnect, 168);
    OFF(redisClusterAsyncContext, onConnect, 176); OFF(redisClusterAsyncContext, onConnectNC, 184);
    SIZE(redisClusterNodeIterator, 56); OFF(redisClusterNodeIterator, route_version, 8);
    OFF(redisClusterNodeIterator, retries_left, 16); OFF(redisClusterNodeIterator, di, 24);
    SIZE(dictEntry, 24); SIZE(dictType, 48); OFF(dictType, keyCompare, 24); OFF(dictType, valDestructor, 40);
    SIZE(dict, 48); OFF(dict, used, 32); OFF(dict, privdata, 40);
    SIZE(dictIterator, 32); OFF(dictIterator, index, 8); OFF(dictIterator, nextEntry, 24);
    SIZE(listNode, 24); SIZE(listIter, 16); OFF(listIter, direction, 8);
    SIZE(hilist, 48); OFF(hilist, match, 32); OFF(hilist, len, 40);
    SIZE(struct hiarray, 32); OFF(struct hiarray, elem, 8); OFF(struct hiarray, size, 16); OFF(struct hiarray, nalloc, 24);
}

static void constants(void) {
    SECTION("constants");
    CHECK(HIREDIS_CLUSTER_MAJOR == 0 && HIREDIS_CLUSTER_MINOR == 14 && HIREDIS_CLUSTER_PATCH == 0, "version");
    CHECK(REDIS_CLUSTER_SLOTS == 16384, "slots");
    CHECK(REDIS_ROLE_NULL == 0 && REDIS_ROLE_MASTER == 1 && REDIS_ROLE_SLAVE == 2, "roles");
    CHECK(HIRCLUSTER_FLAG_NULL == 0 && HIRCLUSTER_FLAG_ADD_SLAVE == 0x1000 && HIRCLUSTER_FLAG_ADD_OPENSLOT == 0x2000 &&
          HIRCLUSTER_FLAG_ROUTE_USE_SLOTS == 0x4000 && HIRCLUSTER_FLAG_SHUTDOWN == 0x8000, "flags");
    CHECK(HIRCLUSTER_EVENT_SLOTMAP_UPDATED == 1 && HIRCLUSTER_EVENT_READY == 2 && HIRCLUSTER_EVENT_FREE_CONTEXT == 3, "events");
    CHECK(DICT_OK == 0 && DICT_ERR == 1 && DICT_HT_INITIAL_SIZE == 4 && AL_START_HEAD == 0 && AL_START_TAIL == 1, "helpers");
#ifdef HIRCLUSTER_NO_NONCONST_CONNECT_CB
    CHECK(0, "HIRCLUSTER_NO_NONCONST_CONNECT_CB must not be defined with hiredis 1.4");
#endif
    /* The old names. */
    nodeIterator it;
    cluster_node *n = NULL;
    (void)it; UNUSED(n);
    CHECK(sizeof(nodeIterator) == 56, "nodeIterator");
}

static void helpers(void) {
    SECTION("crc16 and slots");
    CHECK(crc16("123456789", 9) == 0x31C3, "crc16 check value");
    CHECK(redisClusterGetSlotByKey((char *)"foo") == 12182, "foo");
    CHECK(redisClusterGetSlotByKey((char *)"{user1}a") == 8106, "{user1}a");
    CHECK(redisClusterGetSlotByKey((char *)"{user1}zzz") == 8106, "same tag, same slot");
    CHECK(redisClusterGetSlotByKey((char *)"123456789") == 12739, "123456789");
    CHECK(redisClusterGetSlotByKey((char *)"") == 0, "empty");
    CHECK(redisClusterGetSlotByKey((char *)"{}") == 15257, "{}");
    CHECK(hi_valid_port(6379) == 1 && hi_valid_port(70000) == 0, "hi_valid_port");
    CHECK(hi_atoi("1234", 4) == 1234 && hi_atoi("12a", 3) == -1, "hi_atoi");
    CHECK(hi_usec_now() > 1600000000000000LL && hi_msec_now() > 1600000000000LL, "clocks");

    SECTION("adlist");
    hilist *l = listCreate();
    long vals[5] = {0, 1, 2, 3, 4};
    for (int i = 1; i < 4; i++) listAddNodeTail(l, &vals[i]);
    listAddNodeHead(l, &vals[0]);
    listInsertNode(l, listLast(l), &vals[4], 1);
    CHECK(listLength(l) == 5, "length %lu", listLength(l));
    listIter li;
    listRewind(l, &li);
    int order_ok = 1, i = 0;
    for (listNode *n = listNext(&li); n; n = listNext(&li), i++) order_ok &= *(long *)listNodeValue(n) == i;
    CHECK(order_ok && i == 5, "head-to-tail order");
    CHECK(*(long *)listNodeValue(listIndex(l, -1)) == 4 && *(long *)listNodeValue(listIndex(l, 2)) == 2, "listIndex");
    CHECK(listSearchKey(l, &vals[3]) != NULL && listSearchKey(l, &i) == NULL, "listSearchKey");
    listRotate(l);
    CHECK(*(long *)listNodeValue(listFirst(l)) == 4, "listRotate");
    hilist *d = listDup(l);
    CHECK(d && listLength(d) == 5, "listDup");
    listDelNode(d, listFirst(d));
    CHECK(listLength(d) == 4 && *(long *)listNodeValue(listFirst(d)) == 0, "listDelNode");
    listRelease(d);
    listRelease(l);

    SECTION("hiarray");
    struct hiarray *a = hiarray_create(1, sizeof(int));
    for (int v = 0; v < 10; v++) *(int *)hiarray_push(a) = 9 - v;
    CHECK(hiarray_n(a) == 10 && a->nalloc == 16, "push doubles: n %u nalloc %u", hiarray_n(a), a->nalloc);
    CHECK(*(int *)hiarray_get(a, 3) == 6 && *(int *)hiarray_top(a) == 0, "get/top");
    CHECK(hiarray_idx(a, hiarray_get(a, 7)) == 7, "idx");
    hiarray_destroy(a);
}

static void seeds(void) {
    SECTION("seed addresses");
    redisClusterContext *cc = redisClusterContextInit();
    CHECK(cc && cc->max_retry_count == 5 && cc->nodes == NULL && cc->table == NULL, "init");
    CHECK(redisClusterConnect2(cc) == REDIS_ERR && strcmp(cc->errstr, "servers address does not set up") == 0,
          "connect without seeds: %s", cc->errstr);
    struct { const char *addr, *err; } bad[] = {
        {"127.0.0.1", "server address is incorrect, port separator missing."},
        {"", "server address is incorrect, port separator missing."},
        {":7000", "server address is incorrect, address part missing."},
        {"127.0.0.1:", "server address is incorrect, port part missing."},
        {"127.0.0.1:7x", "server port is incorrect"},
        {"127.0.0.1:0", "server port is incorrect"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        CHECK(redisClusterSetOptionAddNode(cc, bad[k].addr) == REDIS_ERR && cc->err == REDIS_ERR_OTHER &&
              strcmp(cc->errstr, bad[k].err) == 0, "AddNode(%s): %s", bad[k].addr, cc->errstr);
    }
    CHECK(redisClusterSetOptionAddNodes(cc, "127.0.0.1:1,127.0.0.1:2,127.0.0.1:30002,127.0.0.1:3") == REDIS_OK, "AddNodes");
    CHECK(redisClusterSetOptionAddNode(cc, "127.0.0.1:2") == REDIS_OK && dictSize(cc->nodes) == 4, "a known address is a no-op");
    /* hiredis-cluster 0.14.0's dict order (spec §2.5). */
    const char *want[] = {"127.0.0.1:30002", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"};
    dictIterator di;
    dictInitIterator(&di, cc->nodes);
    int k = 0, same = 1;
    for (dictEntry *de; (de = dictNext(&di)) != NULL; k++) {
        redisClusterNode *n = dictGetEntryVal(de);
        same &= k < 4 && strcmp(n->addr, want[k]) == 0 && strcmp((char *)dictGetEntryKey(de), want[k]) == 0;
        same &= n->role == REDIS_ROLE_NULL && n->name == NULL && n->con == NULL;
    }
    CHECK(same && k == 4, "iteration order 30002, 1, 2, 3");
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, cc);
    redisClusterNode *n = redisClusterNodeNext(&it);
    CHECK(n && n->port == 30002 && strcmp(n->host, "127.0.0.1") == 0, "node iterator first");
    k = 1;
    while (redisClusterNodeNext(&it)) k++;
    CHECK(k == 4, "node iterator count %d", k);
    CHECK(redisClusterSetOptionAddNode(cc, "::1:70000") == REDIS_OK, "IPv6 unbracketed, port unchecked");
    sds key = sdsnew("::1:70000");
    dictEntry *de = dictFind(cc->nodes, key);
    sdsfree(key);
    CHECK(de && ((redisClusterNode *)dictGetEntryVal(de))->port == 4464 &&
          strcmp(((redisClusterNode *)dictGetEntryVal(de))->host, "::1") == 0, "70000 stored as 4464, host ::1");
    redisClusterFree(cc);

    SECTION("options");
    cc = redisClusterContextInit();
    CHECK(redisClusterSetOptionMaxRetry(cc, 0) == REDIS_ERR && redisClusterSetOptionMaxRetry(cc, 3) == REDIS_OK &&
          cc->max_retry_count == 3, "max retry");
    CHECK(redisClusterSetOptionPassword(cc, "pw") == REDIS_OK && strcmp(cc->password, "pw") == 0, "password");
    CHECK(redisClusterSetOptionPassword(cc, "") == REDIS_OK && cc->password == NULL, "empty password clears");
    CHECK(redisClusterSetOptionUsername(cc, "u") == REDIS_OK && strcmp(cc->username, "u") == 0, "username");
    CHECK(redisClusterSetOptionParseSlaves(cc) == REDIS_OK && redisClusterSetOptionParseOpenSlots(cc) == REDIS_OK &&
          redisClusterSetOptionRouteUseSlots(cc) == REDIS_OK && cc->flags == 0x7000, "flag setters");
    struct timeval tv = {1, 500};
    CHECK(redisClusterSetOptionConnectTimeout(cc, tv) == REDIS_OK && cc->connect_timeout->tv_usec == 500, "connect timeout");
    CHECK(redisClusterSetOptionTimeout(cc, tv) == REDIS_OK && cc->command_timeout->tv_sec == 1, "command timeout");
    CHECK(redisClusterSetOptionConnectBlock(cc) == REDIS_OK && redisClusterSetOptionConnectNonBlock(cc) == REDIS_OK, "no-ops");
    CHECK(redisClusterSetOptionAddNode(NULL, "a:1") == REDIS_ERR && redisClusterConnect2(NULL) == REDIS_ERR, "NULL contexts");
    redisClusterFree(cc);
}

static void key_errors(void) {
    SECTION("key finder errors (no server needed)");
    redisClusterContext *cc = redisClusterContextInit();
    redisClusterSetOptionAddNode(cc, "127.0.0.1:1");
    struct { const char *cmd; int kind; const char *err; } e[] = {
        {"GET", REDIS_ERR_PROTOCOL, "Failed to find keys of command GET"},
        {"GET a b", REDIS_ERR_PROTOCOL, "Failed to find keys of command GET"},
        {"MSET a 1 b", REDIS_ERR_PROTOCOL, "Failed to find keys of command MSET"},
        {"xgroup destroy", REDIS_ERR_PROTOCOL, "Failed to find keys of command XGROUP DESTROY"},
        {"FOO bar", REDIS_ERR_PROTOCOL, "Unknown command FOO bar"},
        {"CLUSTER", REDIS_ERR_PROTOCOL, "Unknown command CLUSTER"},
        {"PING", REDIS_ERR_OTHER, "No keys in command(must have keys for redis cluster mode)"},
        {"EVAL return 0", REDIS_ERR_OTHER, "No keys in command(must have keys for redis cluster mode)"},
        {"MULTI", REDIS_ERR_OTHER, "No keys in command(must have keys for redis cluster mode)"},
    };
    for (size_t k = 0; k < sizeof e / sizeof e[0]; k++) {
        redisReply *r = redisClusterCommand(cc, e[k].cmd);
        CHECK(r == NULL && cc->err == e[k].kind && strcmp(cc->errstr, e[k].err) == 0, "%s: %d %s", e[k].cmd, cc->err, cc->errstr);
    }
    CHECK(redisClusterFormattedCommand(cc, (char *)"GET foo\r\n", 9) == NULL && cc->err == REDIS_ERR_PROTOCOL &&
          strcmp(cc->errstr, "Command parse error") == 0, "not RESP: %s", cc->errstr);
    CHECK(redisClusterAppendCommand(cc, "PING") == REDIS_ERR && cc->err == REDIS_ERR_OTHER, "append PING refused");
    void *reply = (void *)1;
    CHECK(redisClusterGetReply(cc, &reply) == REDIS_OK && reply == NULL, "empty queue");
    /* A command to a dead seed: the lazy slot-map update fails with the connect error. */
    redisReply *r = redisClusterCommand(cc, "GET foo");
    CHECK(r == NULL && cc->err == REDIS_ERR_IO && strstr(cc->errstr, "refused"), "dead seed: %d %s", cc->err, cc->errstr);
    CHECK(redisClusterGetNodeByKey(cc, (char *)"foo") == NULL && strcmp(cc->errstr, "slotmap not available") == 0, "no map: %s", cc->errstr);
    redisClusterFree(cc);
}

int main(void) {
    layouts();
    constants();
    helpers();
    seeds();
    key_errors();
    return tl_done();
}
