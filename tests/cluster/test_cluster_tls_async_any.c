/* The cluster TLS library with the async API on each cluster adapter (cluster_adapter.h),
 * against the harness's TLS cluster: the scenario of cluster_async_suite.h (READY, 512 commands
 * each called back once with its own reply, disconnect) with redisClusterSetOptionEnableSSL on
 * the context before it is attached, so every node context the library makes gets TLS. */
#include <stdlib.h>
#include <hiredis_cluster/hircluster_ssl.h>
#include "cluster_adapter.h"

static redisSSLContext *ssl;
#define SUITE_NAME "tls-" ADAPTER_NAME
#define SUITE_NO_MIGRATION /* the TLS ports: plain hiredis cannot move slots there */
#define SUITE_PREPARE(acc) CHECK(redisClusterSetOptionEnableSSL((acc)->cc, ssl) == REDIS_OK, "EnableSSL")
#include "cluster_async_suite.h"

int main(void) {
    redisSSLContextError serr = REDIS_SSL_CTX_NONE;
    redisInitOpenSSL();
    ssl = redisCreateSSLContext(tl_env("CLUSTER_TLS_CA", "ca.crt"), NULL, NULL, NULL, NULL, &serr);
    CHECK(ssl != NULL, "SSL context: %s", redisSSLContextGetError(serr));
    if (ssl == NULL) return tl_done();
    /* The suite connects to CLUSTER_SEED: the TLS cluster's seed here. */
    setenv("CLUSTER_SEED", tl_env("CLUSTER_TLS_SEED", "127.0.0.1:7300"), 1);
    cl_loop_init();
    run_cluster_async_suite();
    cl_loop_free();
    redisFreeSSLContext(ssl);
    return tl_done();
}
