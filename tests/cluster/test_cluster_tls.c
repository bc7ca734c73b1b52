/* The cluster TLS library (hircluster_ssl.h, libhiredis_rs_cluster_ssl) against the harness's TLS
 * cluster (6 nodes, --tls-cluster yes, --tls-replication yes; CLUSTER_TLS_SEED is a TLS port):
 * redisClusterSetOptionEnableSSL's checks, the slot map fetched over TLS (its nodes on TLS
 * ports), commands over every master, a multi-slot MGET, ToNode, the pipeline, and a context
 * without TLS refused by the TLS port. */
#include "cluster_test.h"
#include <hiredis_cluster/hircluster_ssl.h>

/* Whether "host:port" names one of the TLS ports of the cluster. */
static int is_tls_port(const char *addr) {
    const char *ports = tl_env("CLUSTER_TLS_PORTS", "");
    const char *colon = strrchr(addr, ':');
    char want[16];
    if (colon == NULL) return 0;
    snprintf(want, sizeof want, " %s ", colon + 1);
    char all[256];
    snprintf(all, sizeof all, " %s ", ports);
    return strstr(all, want) != NULL;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_TLS_SEED", "127.0.0.1:7300");
    redisSSLContextError serr = REDIS_SSL_CTX_NONE;
    redisInitOpenSSL();
    redisSSLContext *ssl = redisCreateSSLContext(tl_env("CLUSTER_TLS_CA", "ca.crt"), NULL, NULL, NULL, NULL, &serr);
    CHECK(ssl != NULL, "SSL context: %s", redisSSLContextGetError(serr));
    if (ssl == NULL) return tl_done();

    SECTION("redisClusterSetOptionEnableSSL");
    redisClusterContext *cc = redisClusterContextInit();
    CHECK(redisClusterSetOptionEnableSSL(NULL, ssl) == REDIS_ERR, "NULL context: REDIS_ERR");
    CHECK(redisClusterSetOptionEnableSSL(cc, NULL) == REDIS_ERR && cc->ssl == NULL && cc->ssl_init_fn == NULL,
          "NULL SSL context: REDIS_ERR, nothing set");
    CHECK(redisClusterSetOptionEnableSSL(cc, ssl) == REDIS_OK && cc->ssl == (void *)ssl && cc->ssl_init_fn != NULL,
          "set: cc->ssl and cc->ssl_init_fn");

    SECTION("the slot map over TLS");
    struct timeval tv = {5, 0};
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetOptionConnectTimeout(cc, tv);
    redisClusterSetOptionTimeout(cc, tv);
    CHECK(redisClusterConnect2(cc) == REDIS_OK, "Connect2 over TLS: %s", cc->errstr);
    redisClusterNodeIterator ni;
    redisClusterNode *node;
    int masters = 0, tls_nodes = 0, pongs = 0;
    redisClusterInitNodeIterator(&ni, cc);
    while ((node = redisClusterNodeNext(&ni)) != NULL) {
        masters++;
        tls_nodes += is_tls_port(node->addr);
        redisReply *r = redisClusterCommandToNode(cc, node, "PING");
        pongs += cl_is_status(r, "PONG");
        freeReplyObject(r);
    }
    CHECK(masters == 3 && tls_nodes == 3, "3 masters, on TLS ports: %d, %d", masters, tls_nodes);
    CHECK(pongs == 3, "PING to each master over TLS: %d", pongs);

    SECTION("commands over every master");
    int set_ok = 0, get_ok = 0;
    for (int i = 0; i < 300; i++) {
        redisReply *r = redisClusterCommand(cc, "SET tls:k%d v%d", i, i);
        set_ok += cl_is_status(r, "OK");
        freeReplyObject(r);
    }
    for (int i = 0; i < 300; i++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", i);
        redisReply *r = redisClusterCommand(cc, "GET tls:k%d", i);
        get_ok += cl_is_str(r, want);
        freeReplyObject(r);
    }
    CHECK(set_ok == 300 && get_ok == 300, "SET %d, GET %d of 300", set_ok, get_ok);
    redisReply *r = redisClusterCommand(cc, "MGET tls:k1 tls:k2 tls:k3 tls:k4");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && cl_is_str(r->element[0], "v1") &&
          cl_is_str(r->element[3], "v4"), "MGET across slots, merged");
    freeReplyObject(r);
    for (int i = 0; i < 100; i++) redisClusterAppendCommand(cc, "GET tls:k%d", i);
    int piped = 0;
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", i);
        if (redisClusterGetReply(cc, (void **)&r) != REDIS_OK) break;
        piped += cl_is_str(r, want);
        freeReplyObject(r);
    }
    redisClusterReset(cc);
    CHECK(piped == 100, "pipelined GETs: %d of 100", piped);
    redisClusterFree(cc);

    SECTION("no TLS on a TLS port");
    cc = redisClusterContextInit();
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetOptionConnectTimeout(cc, tv);
    redisClusterSetOptionTimeout(cc, tv);
    CHECK(redisClusterConnect2(cc) == REDIS_ERR && cc->err != 0, "refused: %d %s", cc->err, cc->errstr);
    redisClusterFree(cc);

    redisFreeSSLContext(ssl);
    return tl_done();
}
