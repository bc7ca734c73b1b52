/* The cluster TLS library with the async API on libevent, against the harness's TLS cluster:
 * the scenario of cluster_async_suite.h (READY, 512 commands each called back once with its own
 * reply, disconnect) with redisClusterSetOptionEnableSSL on the context, so every node context
 * the library makes gets TLS. */
#define ADAPTER_NAME "tls-libevent"
#define SUITE_NO_MIGRATION /* the TLS ports: plain hiredis cannot move slots there */
#include <stdlib.h>
#include <hiredis_cluster/hircluster_ssl.h>
#include <hiredis_cluster/adapters/libevent.h>
#include "cluster_async_suite.h"

#include <event2/event.h>

static struct event_base *base;
static redisSSLContext *ssl;
static void tick(evutil_socket_t fd, short what, void *arg) { (void)fd; (void)what; (void)arg; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) {
    if (acc != NULL && redisClusterSetOptionEnableSSL(acc->cc, ssl) != REDIS_OK) return REDIS_ERR;
    return redisClusterLibeventAttach(acc, base);
}
static void cl_step(void) { event_base_loop(base, EVLOOP_ONCE); }

int main(void) {
    redisSSLContextError serr = REDIS_SSL_CTX_NONE;
    redisInitOpenSSL();
    ssl = redisCreateSSLContext(tl_env("CLUSTER_TLS_CA", "ca.crt"), NULL, NULL, NULL, NULL, &serr);
    CHECK(ssl != NULL, "SSL context: %s", redisSSLContextGetError(serr));
    if (ssl == NULL) return tl_done();
    /* The suite connects to CLUSTER_SEED: the TLS cluster's seed here. */
    setenv("CLUSTER_SEED", tl_env("CLUSTER_TLS_SEED", "127.0.0.1:7300"), 1);
    base = event_base_new();
    struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(t, &tv);
    run_cluster_async_suite();
    event_free(t);
    event_base_free(base);
    redisFreeSSLContext(ssl);
    return tl_done();
}
