/* Sync Redis Cluster client (hiredis-cluster's API on hiredis-rs): connect through one seed,
 * keys routed to their slot's master, a multi-slot MSET/MGET split and merged by the library, a
 * pipeline, and every master listed by the node iterator with its key count.
 *
 *   example-cluster [host:port[,host:port...]]      (default 127.0.0.1:7000)
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis_cluster/hircluster.h>
#include <hiredis_cluster/adlist.h>

static int show(redisClusterContext *cc, const char *label, redisReply *reply) {
    if (reply == NULL) {
        printf("%s: failed: %s\n", label, cc->errstr);
        return 0;
    }
    switch (reply->type) {
    case REDIS_REPLY_INTEGER: printf("%s -> (integer) %lld\n", label, reply->integer); break;
    case REDIS_REPLY_NIL: printf("%s -> (nil)\n", label); break;
    case REDIS_REPLY_ARRAY: printf("%s -> %zu elements\n", label, reply->elements); break;
    default: printf("%s -> %s\n", label, reply->str); break;
    }
    freeReplyObject(reply);
    return 1;
}

int main(int argc, char **argv) {
    const char *seeds = argc > 1 ? argv[1] : "127.0.0.1:7000";
    struct timeval timeout = {1, 500000};
    redisClusterContext *cc = redisClusterContextInit();
    redisClusterNodeIterator ni;
    redisClusterNode *node;
    redisReply *reply;
    int ok = 1;

    if (cc == NULL) {
        printf("out of memory\n");
        return 1;
    }
    redisClusterSetOptionAddNodes(cc, seeds);
    redisClusterSetOptionConnectTimeout(cc, timeout);
    redisClusterSetOptionTimeout(cc, timeout);
    redisClusterSetOptionRouteUseSlots(cc); /* the slot map by CLUSTER SLOTS */
    if (redisClusterConnect2(cc) != REDIS_OK) {
        printf("connect failed: %s\n", cc->errstr);
        redisClusterFree(cc);
        return 1;
    }
    printf("connected through %s\n", seeds);

    /* A key goes to the master of its slot; "{user:1}" keys share one slot (a hash tag). */
    printf("slot of example:{user:1}:name is %u\n", redisClusterGetSlotByKey((char *)"example:{user:1}:name"));
    ok &= show(cc, "SET example:{user:1}:name", redisClusterCommand(cc, "SET example:{user:1}:name %s", "Ada"));
    ok &= show(cc, "GET example:{user:1}:name", redisClusterCommand(cc, "GET example:{user:1}:name"));

    /* Keys of different slots: the library splits the command per slot and merges the replies. */
    ok &= show(cc, "MSET example:a example:b example:c",
               redisClusterCommand(cc, "MSET example:a 1 example:b 2 example:c 3"));
    reply = redisClusterCommand(cc, "MGET example:a example:b example:c");
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3)
        printf("MGET across %u, %u and %u -> %s %s %s\n", redisClusterGetSlotByKey((char *)"example:a"),
               redisClusterGetSlotByKey((char *)"example:b"), redisClusterGetSlotByKey((char *)"example:c"),
               reply->element[0]->str, reply->element[1]->str, reply->element[2]->str);
    else
        ok = 0;
    freeReplyObject(reply);

    /* A pipeline: commands appended, sent on the first GetReply, replies in order. */
    for (int i = 0; i < 3; i++) redisClusterAppendCommand(cc, "INCR example:counter:%d", i);
    for (int i = 0; i < 3; i++) {
        if (redisClusterGetReply(cc, (void **)&reply) != REDIS_OK) {
            printf("pipeline: %s\n", cc->errstr);
            ok = 0;
            break;
        }
        printf("pipeline reply %d: (integer) %lld\n", i, reply->integer);
        freeReplyObject(reply);
    }
    redisClusterReset(cc);

    /* Every master, with its slot ranges and its key count (DBSIZE sent to that node). */
    redisClusterInitNodeIterator(&ni, cc);
    while ((node = redisClusterNodeNext(&ni)) != NULL) {
        reply = redisClusterCommandToNode(cc, node, "DBSIZE");
        printf("master %s: %lu slot range(s), %lld keys\n", node->addr,
               node->slots ? node->slots->len : 0UL, reply ? reply->integer : -1LL);
        ok &= reply != NULL;
        freeReplyObject(reply);
    }

    ok &= show(cc, "DEL example:a example:b example:c", redisClusterCommand(cc, "DEL example:a example:b example:c"));
    redisClusterFree(cc);
    printf(ok ? "done\n" : "done, with errors\n");
    return ok ? 0 : 1;
}
