/* A slot migrated while commands run (spec §3.8): the slot of "foo" moves from its owner to
 * another master with CLUSTER SETSLOT / MIGRATE, and the client follows ASK (mid-migration,
 * table unchanged), gets TRYAGAIN for a multi-key command over half-moved keys (retries
 * exhausted: kind 100), then MOVED once the slot is reassigned (slot map updated through the
 * redirecting connection, SLOTMAP_UPDATED once). */
#include "cluster_test.h"

#define SLOT 12182 /* of "foo", and of every "{foo}..." key */

static char *node_id(redisContext *c) {
    redisReply *r = redisCommand(c, "CLUSTER MYID");
    char *id = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : strdup("?");
    freeReplyObject(r);
    return id;
}

/* Moves every key of the slot from `from` to 127.0.0.1:port (other programs may have left keys
 * such as "foo" there); the number of keys moved, -1 on an error. */
static int migrate_all(redisContext *from, int port) {
    int moved = 0;
    for (;;) {
        redisReply *keys = redisCommand(from, "CLUSTER GETKEYSINSLOT %d 100", SLOT);
        if (!keys || keys->type != REDIS_REPLY_ARRAY) { freeReplyObject(keys); return -1; }
        if (keys->elements == 0) { freeReplyObject(keys); return moved; }
        const char *argv[108] = {"MIGRATE", "127.0.0.1", NULL, "", "0", "5000", "KEYS"};
        char portbuf[16];
        snprintf(portbuf, sizeof portbuf, "%d", port);
        argv[2] = portbuf;
        int argc = 7;
        for (size_t i = 0; i < keys->elements; i++) argv[argc++] = keys->element[i]->str;
        redisReply *r = redisCommandArgv(from, argc, argv, NULL);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        moved += (int)keys->elements;
        freeReplyObject(r);
        freeReplyObject(keys);
        if (!ok) return -1;
    }
}

static int ok_reply(redisReply *r) {
    int ok = cl_is_status(r, "OK");
    freeReplyObject(r);
    return ok;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    memset(cl_events, 0, sizeof cl_events);
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc->err == 0, "connect: %s", cc->errstr);

    /* Source: the owner of the slot; destination: another master. */
    redisClusterNode *src = redisClusterGetNodeByKey(cc, (char *)"foo"), *dst = NULL, *n;
    redisClusterNodeIterator it;
    redisClusterInitNodeIterator(&it, cc);
    while ((n = redisClusterNodeNext(&it)) != NULL) if (n != src && dst == NULL) dst = n;
    char src_addr[64], dst_addr[64];
    snprintf(src_addr, sizeof src_addr, "%s", src->addr);
    snprintf(dst_addr, sizeof dst_addr, "%s", dst->addr);
    int dst_port = dst->port, src_port = src->port; /* node pointers die at each slot-map update */
    redisContext *rs = cl_raw(src_addr), *rd = cl_raw(dst_addr);
    char *src_id = node_id(rs), *dst_id = node_id(rd);

    SECTION("before the migration");
    redisReply *r = redisClusterCommand(cc, "MSET {foo}1 v1 {foo}2 v2");
    CHECK(cl_is_status(r, "OK"), "MSET in the slot");
    freeReplyObject(r);

    SECTION("mid-migration: ASK");
    CHECK(ok_reply(redisCommand(rd, "CLUSTER SETSLOT %d IMPORTING %s", SLOT, src_id)), "IMPORTING on the destination");
    CHECK(ok_reply(redisCommand(rs, "CLUSTER SETSLOT %d MIGRATING %s", SLOT, dst_id)), "MIGRATING on the source");
    r = redisClusterCommand(cc, "GET {foo}1");
    CHECK(cl_is_str(r, "v1"), "a key not moved yet is served by the source");
    freeReplyObject(r);
    r = redisCommand(rs, "MIGRATE 127.0.0.1 %d %s 0 5000 KEYS {foo}1", dst_port, "");
    CHECK(cl_is_status(r, "OK"), "MIGRATE {foo}1: %s", r ? r->str : "NULL");
    freeReplyObject(r);
    uint64_t version = cc->route_version;
    r = redisClusterCommand(cc, "GET {foo}1");
    CHECK(cl_is_str(r, "v1") && cc->err == 0, "a moved key: ASK followed (%s)", r ? r->str : cc->errstr);
    freeReplyObject(r);
    r = redisClusterCommand(cc, "SET {foo}3 v3");
    CHECK(cl_is_status(r, "OK"), "a new key goes to the destination through ASK");
    freeReplyObject(r);
    CHECK(cc->route_version == version && cc->table[SLOT] == redisClusterGetNodeByKey(cc, (char *)"foo") &&
          cc->table[SLOT]->port == src_port, "ASK leaves the slot map alone");
    freeReplyObject(redisCommand(rd, "ASKING"));
    r = redisCommand(rd, "GET {foo}3");
    CHECK(cl_is_str(r, "v3"), "{foo}3 is on the destination");
    freeReplyObject(r);

    SECTION("mid-migration: TRYAGAIN for keys on both sides");
    redisClusterSetOptionMaxRetry(cc, 3);
    r = redisClusterCommand(cc, "MGET {foo}1 {foo}2");
    CHECK(r == NULL && cc->err == 100 && strcmp(cc->errstr, "too many cluster retries") == 0, "MGET: %d %s", cc->err,
          cc->errstr);
    CHECK(cc->retry_count == 0, "retry count reset after the call");
    redisClusterSetOptionMaxRetry(cc, 5);
    r = redisClusterCommand(cc, "GET {foo}2");
    CHECK(cl_is_str(r, "v2"), "single keys still work");
    freeReplyObject(r);

    SECTION("after the migration: MOVED");
    CHECK(migrate_all(rs, dst_port) >= 1, "MIGRATE the rest of the slot");
    int assigned = 0;
    redisClusterInitNodeIterator(&it, cc);
    while ((n = redisClusterNodeNext(&it)) != NULL) {
        redisContext *c = cl_raw(n->addr);
        assigned += ok_reply(redisCommand(c, "CLUSTER SETSLOT %d NODE %s", SLOT, dst_id));
        redisFree(c);
    }
    CHECK(assigned == 3, "slot given to the destination on every master");
    int updates = cl_events[HIRCLUSTER_EVENT_SLOTMAP_UPDATED];
    r = redisClusterCommand(cc, "MGET {foo}1 {foo}2 {foo}3");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && cl_is_str(r->element[0], "v1") &&
          cl_is_str(r->element[1], "v2") && cl_is_str(r->element[2], "v3"), "MGET after MOVED");
    freeReplyObject(r);
    CHECK(cc->err == 0 && cc->route_version == version + 1 && cl_events[HIRCLUSTER_EVENT_SLOTMAP_UPDATED] == updates + 1,
          "one slot-map update (version %llu)", (unsigned long long)cc->route_version);
    CHECK(cc->table[SLOT] && cc->table[SLOT]->port == dst_port, "slot now served by the destination");
    r = redisClusterCommand(cc, "GET {foo}1");
    CHECK(cl_is_str(r, "v1") && cc->route_version == version + 1, "no more redirects");
    freeReplyObject(r);

    SECTION("pipelined MOVED schedules an update");
    /* Give the slot back; the client still thinks the destination has it. */
    redisClusterInitNodeIterator(&it, cc);
    CHECK(ok_reply(redisCommand(rs, "CLUSTER SETSLOT %d IMPORTING %s", SLOT, dst_id)), "IMPORTING back");
    CHECK(ok_reply(redisCommand(rd, "CLUSTER SETSLOT %d MIGRATING %s", SLOT, src_id)), "MIGRATING back");
    CHECK(migrate_all(rd, src_port) >= 3, "MIGRATE the slot back");
    assigned = 0;
    while ((n = redisClusterNodeNext(&it)) != NULL) {
        redisContext *c = cl_raw(n->addr);
        assigned += ok_reply(redisCommand(c, "CLUSTER SETSLOT %d NODE %s", SLOT, src_id));
        redisFree(c);
    }
    CHECK(assigned == 3, "slot given back");
    redisClusterAppendCommand(cc, "GET {foo}1");
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ERROR &&
          strncmp(r->str, "MOVED", 5) == 0 && cc->need_update_route == 1, "MOVED returned as is in a pipeline");
    freeReplyObject(r);
    redisClusterReset(cc);
    CHECK(cc->need_update_route == 0 && cc->table[SLOT]->port == src_port, "Reset updated the slot map");
    r = redisClusterCommand(cc, "GET {foo}1");
    CHECK(cl_is_str(r, "v1"), "served by the source again");
    freeReplyObject(r);

    free(src_id);
    free(dst_id);
    redisFree(rs);
    redisFree(rd);
    redisClusterFree(cc);
    return tl_done();
}
