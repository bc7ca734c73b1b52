/* Sync Redis Cluster client over TLS (hiredis-cluster's API and its TLS library on hiredis-rs):
 * a hiredis_ssl context made from a CA file, handed to the cluster context with
 * redisClusterSetOptionEnableSSL, so every node connection runs TLS; then a SET and GET and a
 * PING to each master.
 *
 *   example-cluster-ssl host:port ca.crt [client.crt client.key]
 *
 * host:port is a node's TLS port (a cluster with tls-cluster yes names its TLS ports). */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis_cluster/hircluster_ssl.h>

int main(int argc, char **argv) {
    struct timeval timeout = {1, 500000};
    redisSSLContextError ssl_error = REDIS_SSL_CTX_NONE;
    redisSSLContext *ssl;
    redisClusterContext *cc;
    redisClusterNodeIterator ni;
    redisClusterNode *node;
    redisReply *reply;
    int ok = 1;

    if (argc < 3) {
        printf("usage: %s host:port ca.crt [client.crt client.key]\n", argv[0]);
        return 2;
    }
    redisInitOpenSSL();
    ssl = redisCreateSSLContext(argv[2], NULL, argc > 4 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, NULL,
                                &ssl_error);
    if (ssl == NULL) {
        printf("SSL context: %s\n", redisSSLContextGetError(ssl_error));
        return 1;
    }

    cc = redisClusterContextInit();
    if (cc == NULL) {
        printf("out of memory\n");
        redisFreeSSLContext(ssl);
        return 1;
    }
    redisClusterSetOptionAddNodes(cc, argv[1]);
    redisClusterSetOptionConnectTimeout(cc, timeout);
    redisClusterSetOptionTimeout(cc, timeout);
    redisClusterSetOptionEnableSSL(cc, ssl); /* every connection the context makes: TLS */
    if (redisClusterConnect2(cc) != REDIS_OK) {
        printf("connect failed: %s\n", cc->errstr);
        redisClusterFree(cc);
        redisFreeSSLContext(ssl);
        return 1;
    }
    printf("connected over TLS through %s\n", argv[1]);

    reply = redisClusterCommand(cc, "SET example:tls %s", "encrypted on every node link");
    ok &= reply != NULL;
    freeReplyObject(reply);
    reply = redisClusterCommand(cc, "GET example:tls");
    if (reply && reply->type == REDIS_REPLY_STRING) printf("GET example:tls -> %s\n", reply->str);
    else ok = 0, printf("GET failed: %s\n", cc->errstr);
    freeReplyObject(reply);

    redisClusterInitNodeIterator(&ni, cc);
    while ((node = redisClusterNodeNext(&ni)) != NULL) {
        reply = redisClusterCommandToNode(cc, node, "PING");
        printf("master %s: %s\n", node->addr, reply ? reply->str : cc->errstr);
        ok &= reply != NULL;
        freeReplyObject(reply);
    }

    redisClusterFree(cc);
    redisFreeSSLContext(ssl); /* after the cluster context, which only kept a pointer */
    printf(ok ? "done\n" : "done, with errors\n");
    return ok ? 0 : 1;
}
