/* Async Redis Cluster client on libevent (hiredis-cluster's API on hiredis-rs): Connect2 fetches
 * the slot map from within the event loop; once the cluster is ready, SET and GET for keys of
 * every master, each reply to its own callback; a disconnect once the last reply is in.
 *
 *   example-cluster-libevent [host:port[,host:port...]]      (default 127.0.0.1:7000)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis_cluster/hircluster.h>
#include <hiredis_cluster/adapters/libevent.h>

#define NKEYS 8

static struct event_base *base;
static int ready, pending, failed;

static void onEvent(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc;
    (void)privdata;
    if (event == HIRCLUSTER_EVENT_SLOTMAP_UPDATED) printf("slot map updated\n");
    if (event == HIRCLUSTER_EVENT_READY) {
        printf("cluster ready\n");
        ready = 1;
        event_base_loopbreak(base); /* back to main, which sends the commands */
    }
}

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) printf("node connect failed: %s\n", ac->errstr);
    else printf("connected to %s:%d\n", ac->c.tcp.host, ac->c.tcp.port);
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    printf("disconnected from %s:%d%s\n", ac->c.tcp.host, ac->c.tcp.port, status == REDIS_OK ? "" : " (error)");
}

/* privdata is the command's label. */
static void onReply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    redisReply *reply = r;
    if (reply == NULL) {
        printf("%s: no reply (%s)\n", (char *)privdata, acc->errstr);
        failed++;
    } else if (reply->type == REDIS_REPLY_ERROR) {
        printf("%s -> (error) %s\n", (char *)privdata, reply->str);
        failed++;
    } else {
        printf("%s -> %s\n", (char *)privdata, reply->str);
    }
    free(privdata);
    if (--pending == 0) {
        printf("all %d replies received\n", 2 * NKEYS);
        redisClusterAsyncDisconnect(acc); /* nothing pending: closes every node connection */
    }
}

/* Sends a command with a copy of its label as privdata (freed by onReply). */
#define SEND(acc, label, ...)                                                          \
    do {                                                                               \
        char *copy = strdup(label);                                                    \
        pending++;                                                                     \
        if (redisClusterAsyncCommand(acc, onReply, copy, __VA_ARGS__) != REDIS_OK) {   \
            printf("%s: not sent: %s\n", label, (acc)->errstr); /* no callback then */ \
            free(copy);                                                                \
            pending--;                                                                 \
            failed++;                                                                  \
        }                                                                              \
    } while (0)

int main(int argc, char **argv) {
    const char *seeds = argc > 1 ? argv[1] : "127.0.0.1:7000";
    struct timeval timeout = {1, 500000};
    redisClusterAsyncContext *acc;

    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    acc = redisClusterAsyncContextInit();
    if (base == NULL || acc == NULL) {
        printf("out of memory\n");
        return 1;
    }
    redisClusterSetOptionAddNodes(acc->cc, seeds);
    redisClusterSetOptionConnectTimeout(acc->cc, timeout);
    redisClusterSetOptionTimeout(acc->cc, timeout);
    redisClusterSetEventCallback(acc->cc, onEvent, NULL);
    redisClusterAsyncSetConnectCallback(acc, onConnect);
    redisClusterAsyncSetDisconnectCallback(acc, onDisconnect);
    redisClusterLibeventAttach(acc, base);

    if (redisClusterAsyncConnect2(acc) != REDIS_OK) {
        printf("connect failed: %s\n", acc->errstr);
        redisClusterAsyncFree(acc);
        event_base_free(base);
        return 1;
    }
    event_base_dispatch(base); /* until READY (or every connection failed) */
    if (!ready) {
        printf("no slot map: %s\n", acc->errstr[0] ? acc->errstr : "cluster not reachable");
        redisClusterAsyncFree(acc);
        event_base_free(base);
        return 1;
    }

    /* SETs and GETs: the keys spread over the slots of every master. */
    char label[64];
    for (int i = 0; i < NKEYS; i++) {
        snprintf(label, sizeof label, "SET example:async:%d", i);
        SEND(acc, label, "SET example:async:%d value-%d", i, i);
    }
    for (int i = 0; i < NKEYS; i++) {
        snprintf(label, sizeof label, "GET example:async:%d", i);
        SEND(acc, label, "GET example:async:%d", i);
    }
    if (pending > 0) event_base_dispatch(base); /* until the disconnect leaves nothing to wait for */

    redisClusterAsyncFree(acc);
    event_base_free(base);
    return failed ? 1 : 0;
}
