/* Helpers of the cluster tests (tests/cluster/test_*.c), on top of ../testlib.h. */
#ifndef HIREDIS_RS_CLUSTER_TEST_H
#define HIREDIS_RS_CLUSTER_TEST_H

#include <hiredis_cluster/hircluster.h>
#include <hiredis_cluster/adlist.h>
#include <hiredis/hiredis.h>

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int cl_events[4];
static inline void cl_event_cb(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc;
    (void)privdata;
    if (event >= 1 && event <= 3) cl_events[event]++;
}

/* A context on the seed with the given flags, connected with Connect2 (events counted). */
static inline redisClusterContext *cl_connect(const char *seed, int flags) {
    redisClusterContext *cc = redisClusterContextInit();
    if (!cc) return NULL;
    cc->flags |= flags;
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetEventCallback(cc, cl_event_cb, NULL);
    struct timeval tv = {5, 0};
    redisClusterSetOptionConnectTimeout(cc, tv);
    redisClusterSetOptionTimeout(cc, tv);
    if (redisClusterConnect2(cc) != REDIS_OK) printf("connect: %d %s\n", cc->err, cc->errstr);
    return cc;
}

/* A plain hiredis connection to 127.0.0.1:port (or host:port text). */
static inline redisContext *cl_raw(const char *addr) {
    char host[64];
    const char *colon = strrchr(addr, ':');
    size_t n = (size_t)(colon - addr);
    memcpy(host, addr, n);
    host[n] = 0;
    return redisConnect(host, atoi(colon + 1));
}

static inline int cl_is_status(redisReply *r, const char *s) {
    return r && (r->type == REDIS_REPLY_STATUS) && strcmp(r->str, s) == 0;
}
static inline int cl_is_str(redisReply *r, const char *s) {
    return r && r->type == REDIS_REPLY_STRING && strcmp(r->str, s) == 0;
}
static inline int cl_is_int(redisReply *r, long long v) {
    return r && r->type == REDIS_REPLY_INTEGER && r->integer == v;
}

/* For each slot a short key that hashes to it ("k<n>"): keys[slot], 16 bytes each. */
static inline char (*cl_keys_per_slot(void))[16] {
    static char keys[16384][16];
    static int done;
    int found = 0;
    if (done) return keys;
    for (int n = 0; found < 16384; n++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", n);
        int s = redisClusterGetSlotByKey(k);
        if (keys[s][0] == 0) {
            memcpy(keys[s], k, sizeof k);
            found++;
        }
    }
    done = 1;
    return keys;
}

/* The port serving each slot by a server's own CLUSTER SLOTS (asked over plain hiredis). */
static inline void cl_slot_ports(const char *addr, int ports[16384]) {
    redisContext *c = cl_raw(addr);
    redisReply *r = c ? redisCommand(c, "CLUSTER SLOTS") : NULL;
    memset(ports, 0, 16384 * sizeof(int));
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        int port = (int)e->element[2]->element[1]->integer;
        for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++) ports[s] = port;
    }
    freeReplyObject(r);
    if (c) redisFree(c);
}

/* A server's node id (CLUSTER MYID), malloc'd; "?" when it does not answer. */
static inline char *cl_node_id(redisContext *c) {
    redisReply *r = redisCommand(c, "CLUSTER MYID");
    char *id = strdup(r && r->type == REDIS_REPLY_STRING ? r->str : "?");
    freeReplyObject(r);
    return id;
}

/* Whether a reply is the status OK (freed); what it was instead is printed. */
static inline int cl_ok(redisReply *r) {
    int ok = cl_is_status(r, "OK");
    if (!ok) printf("not OK: %s\n", r ? (r->str ? r->str : "(no text)") : "no reply");
    freeReplyObject(r);
    return ok;
}

/* cl_ok, or the refusal of a node that became a replica: Redis 7 turns a master that lost
 * its last slot into a replica of the new owner as soon as it hears of it. */
static inline int cl_ok_or_replica(redisReply *r) {
    if (r && r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR Please use SETSLOT only with masters.") == 0) {
        freeReplyObject(r);
        return 1;
    }
    return cl_ok(r);
}

/* MIGRATEs up to `max` keys of `slot` from `from` to 127.0.0.1:port (all of them with max -1),
 * 100 at a time; the number moved, -1 on an error. */
static inline int cl_migrate_keys(redisContext *from, int slot, int port, int max) {
    int moved = 0;
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", port);
    while (max < 0 || moved < max) {
        int want = max < 0 || max - moved > 100 ? 100 : max - moved;
        redisReply *keys = redisCommand(from, "CLUSTER GETKEYSINSLOT %d %d", slot, want);
        if (!keys || keys->type != REDIS_REPLY_ARRAY) {
            printf("GETKEYSINSLOT: %s\n", keys && keys->str ? keys->str : "no reply");
            freeReplyObject(keys);
            return -1;
        }
        if (keys->elements == 0) { freeReplyObject(keys); break; }
        const char *argv[108] = {"MIGRATE", "127.0.0.1", portbuf, "", "0", "5000", "KEYS"};
        int argc = 7;
        for (size_t i = 0; i < keys->elements; i++) argv[argc++] = keys->element[i]->str;
        redisReply *r = redisCommandArgv(from, argc, argv, NULL);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        if (!ok) printf("MIGRATE: %s\n", r && r->str ? r->str : "no reply");
        moved += (int)keys->elements;
        freeReplyObject(r);
        freeReplyObject(keys);
        if (!ok) return -1;
    }
    return moved;
}

/* CLUSTER SETSLOT slot NODE id on each of the given addresses; how many said OK. */
static inline int cl_assign_slot(int slot, const char *id, char addrs[][64], int n) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
        redisContext *c = cl_raw(addrs[i]);
        if (c && c->err == 0) ok += cl_ok(redisCommand(c, "CLUSTER SETSLOT %d NODE %s", slot, id));
        if (c) redisFree(c);
    }
    return ok;
}

/* Moves a slot with its keys from `from` to `to` (IMPORTING, MIGRATING, MIGRATE, then NODE on
 * every address given); whether each step worked. */
static inline int cl_move_slot(int slot, const char *from, const char *to, char addrs[][64], int n) {
    redisContext *f = cl_raw(from), *t = cl_raw(to);
    int ok = 0;
    if (f && t && f->err == 0 && t->err == 0) {
        char *fid = cl_node_id(f), *tid = cl_node_id(t);
        ok = cl_ok(redisCommand(t, "CLUSTER SETSLOT %d IMPORTING %s", slot, fid)) &&
             cl_ok(redisCommand(f, "CLUSTER SETSLOT %d MIGRATING %s", slot, tid)) &&
             cl_migrate_keys(f, slot, atoi(strrchr(to, ':') + 1), -1) >= 0 &&
             cl_ok(redisCommand(t, "CLUSTER SETSLOT %d NODE %s", slot, tid)) &&
             cl_ok_or_replica(redisCommand(f, "CLUSTER SETSLOT %d NODE %s", slot, tid)) &&
             cl_assign_slot(slot, tid, addrs, n) == n;
        free(fid);
        free(tid);
    }
    if (f) redisFree(f);
    if (t) redisFree(t);
    return ok;
}

static inline double cl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
