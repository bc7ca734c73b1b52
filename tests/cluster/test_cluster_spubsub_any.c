/* Sharded pub/sub through the async API, on each cluster adapter (cluster_adapter.h), against the
 * real cluster, Redis >= 7: SSUBSCRIBE goes to the channel's slot owner, SPUBLISH from a sync
 * context delivers each message to the subscribe callback in order, the subscription stays (more
 * messages later, and while other commands run on the other masters) until SUNSUBSCRIBE, whose
 * frame is the callback's last (SUNSUBSCRIBE's own callback is never called, as in hiredis, and
 * its record is not leaked as 0.14.0's is); a second subscription ended by redisClusterAsyncFree
 * gets NULL once. The harness runs it under valgrind too (0.14.0 reads the freed callback record
 * here). */
#include "cluster_adapter.h"

static int ready;
static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
}
#define run_until cl_run_until
#define run_for cl_run_for

/* Every frame the subscribe callback got: "kind channel count-or-payload", and NULLs. */
static char frames[64][96];
static int nframes, nulls, after_last;
static const char *cookie = "sub-cookie";
static void on_sub(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    redisReply *reply = r;
    if (privdata != cookie) return;
    if (nframes > 0 && strncmp(frames[nframes - 1], "sunsubscribe", 12) == 0) after_last++;
    if (reply == NULL) {
        nulls++;
        return;
    }
    if (nframes < 64 && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        redisReply *c = reply->element[2];
        if (c->type == REDIS_REPLY_INTEGER)
            snprintf(frames[nframes], 96, "%s %s %lld", reply->element[0]->str, reply->element[1]->str, c->integer);
        else
            snprintf(frames[nframes], 96, "%s %s %s", reply->element[0]->str, reply->element[1]->str, c->str);
    } else if (nframes < 64) {
        snprintf(frames[nframes], 96, "type %d", reply->type);
    }
    nframes++;
}
static int others, others_ok;
static void on_other(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc; (void)privdata;
    others++;
    others_ok += r != NULL;
}

/* The server's major version (INFO server), 0 if unknown. */
static int server_major(const char *addr) {
    redisContext *c = cl_raw(addr);
    redisReply *r = c && c->err == 0 ? redisCommand(c, "INFO server") : NULL;
    const char *v = NULL;
    int major = 0;
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_VERB) &&
        (v = strstr(r->str, "redis_version:")) != NULL)
        major = atoi(v + 14);
    freeReplyObject(r);
    if (c) redisFree(c);
    return major;
}

static long long publish(redisClusterContext *cc, const char *ch, const char *msg) {
    redisReply *r = redisClusterCommand(cc, "SPUBLISH %s %s", ch, msg);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    int major = server_major(seed);
    if (major < 7) {
        printf("SKIP: sharded pub/sub needs Redis >= 7 (the server says %d)\n", major);
        return tl_done();
    }
    cl_loop_init();
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc->err == 0, "sync context: %s", cc->errstr);

    SECTION(ADAPTER_NAME ": SSUBSCRIBE to the slot owner");
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    cl_adapter_attach(acc);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK && run_until(&ready, 1, 10), "READY");
    const char *ch = "news{spub}";
    redisClusterNode *owner = redisClusterGetNodeByKey(acc->cc, (char *)ch);
    CHECK(redisClusterAsyncCommand(acc, on_sub, (void *)cookie, "SSUBSCRIBE %s", ch) == REDIS_OK, "SSUBSCRIBE: %s",
          acc->errstr);
    CHECK(run_until(&nframes, 1, 5) && strcmp(frames[0], "ssubscribe news{spub} 1") == 0, "subscribed: %s", frames[0]);
    CHECK(owner && owner->acon != NULL, "on the owner's node context");
    redisContext *ro = owner ? cl_raw(owner->addr) : NULL;
    redisReply *r = ro ? redisCommand(ro, "PUBSUB SHARDNUMSUB %s", ch) : NULL;
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && cl_is_int(r->element[1], 1),
          "the owner counts one shard subscriber");
    freeReplyObject(r);
    if (ro) redisFree(ro);

    SECTION(ADAPTER_NAME ": SPUBLISH from a sync context");
    int delivered = 0;
    for (int i = 0; i < 5; i++) {
        char m[16];
        snprintf(m, sizeof m, "m%d", i);
        delivered += publish(cc, ch, m) == 1;
    }
    CHECK(delivered == 5, "each SPUBLISH reached one subscriber (%d)", delivered);
    CHECK(run_until(&nframes, 6, 5), "5 messages (%d frames)", nframes);
    int in_order = 0;
    for (int i = 0; i < 5; i++) {
        char want[64];
        snprintf(want, sizeof want, "smessage news{spub} m%d", i);
        in_order += strcmp(frames[1 + i], want) == 0;
    }
    CHECK(in_order == 5, "in order, whole (%d)", in_order);

    SECTION(ADAPTER_NAME ": the subscription stays");
    /* Other commands meanwhile, to the other masters: on RESP2 the owner's connection takes
     * only pub/sub commands now (the server refuses others with an error, which hiredis treats
     * as fatal for the connection). */
    int submitted = 0;
    for (long i = 0; submitted < 30 && i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "spub-other%ld", i);
        if (redisClusterGetNodeByKey(acc->cc, key) == owner) continue;
        submitted += redisClusterAsyncCommand(acc, on_other, NULL, "SET %s %ld", key, i) == REDIS_OK;
    }
    run_until(&others, submitted, 5);
    run_for(1.2);
    CHECK(publish(cc, ch, "later") == 1 && run_until(&nframes, 7, 5) && strcmp(frames[6], "smessage news{spub} later") == 0,
          "a message 1.2 s later: %s", nframes > 6 ? frames[6] : "none");
    CHECK(submitted == 30 && others == 30 && others_ok == 30 && nulls == 0, "other commands meanwhile: %d, %d replies",
          others, others_ok);

    SECTION(ADAPTER_NAME ": SUNSUBSCRIBE: the callback's last frame");
    CHECK(redisClusterAsyncCommand(acc, on_other, NULL, "SUNSUBSCRIBE %s", ch) == REDIS_OK, "SUNSUBSCRIBE: %s",
          acc->errstr);
    CHECK(run_until(&nframes, 8, 5) && strcmp(frames[7], "sunsubscribe news{spub} 0") == 0, "last frame: %s",
          nframes > 7 ? frames[7] : "none");
    CHECK(publish(cc, ch, "gone") == 0, "SPUBLISH after: no subscriber");
    run_for(0.3);
    CHECK(nframes == 8 && after_last == 0 && nulls == 0, "nothing after the last frame (%d frames, %d NULL)", nframes,
          nulls);
    CHECK(others == 30, "SUNSUBSCRIBE's own callback is not called, as in hiredis (%d)", others);

    SECTION(ADAPTER_NAME ": a subscription ended by free");
    nframes = 0;
    CHECK(redisClusterAsyncCommand(acc, on_sub, (void *)cookie, "SSUBSCRIBE %s", ch) == REDIS_OK &&
          run_until(&nframes, 1, 5) && strcmp(frames[0], "ssubscribe news{spub} 1") == 0, "subscribed again");
    CHECK(publish(cc, ch, "again") == 1 && run_until(&nframes, 2, 5), "a message");
    cl_async_free(acc);
    CHECK(nulls == 1 && nframes == 2, "free: NULL once (%d)", nulls);

    redisClusterFree(cc);
    cl_loop_free();
    return tl_done();
}
