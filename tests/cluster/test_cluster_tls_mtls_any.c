/* Mutual TLS: the harness's mutual-TLS cluster (3 masters, tls-auth-clients yes) with a client
 * certificate given to redisCreateSSLContext (cert and key): the slot map, commands over every
 * master and ToNode, sync and async (on each cluster adapter, cluster_adapter.h: every callback
 * once with its own reply); then a client without a certificate, refused sync and async with the
 * server's TLS alert as the error. */
#include "cluster_adapter.h"
#include <hiredis_cluster/hircluster_ssl.h>

static int ready, pending, calls[200], good[200], nulls;
static char null_err[128];

static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
}
static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    long i = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "mv%ld", i % 100);
    calls[i]++;
    good[i] += i < 100 ? cl_is_status(r, "OK") : cl_is_str(r, want);
    if (r == NULL) {
        nulls++;
        snprintf(null_err, sizeof null_err, "%s", acc->errstr);
    }
    pending--;
}
static int link_errs;
static char link_err[128];
static void on_link(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        link_errs++;
        snprintf(link_err, sizeof link_err, "%s", ac->errstr);
    }
}

static redisClusterContext *sync_on(const char *seed, redisSSLContext *ssl) {
    redisClusterContext *cc = redisClusterContextInit();
    struct timeval tv = {5, 0};
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetOptionConnectTimeout(cc, tv);
    redisClusterSetOptionTimeout(cc, tv);
    redisClusterSetOptionEnableSSL(cc, ssl);
    redisClusterConnect2(cc);
    return cc;
}

/* How a refused client sees the server's alert and close: TLS 1.3 finishes the client's side
 * of the handshake, so the refusal shows on the next read as the server closing the connection
 * (or resetting it, when the alert is still unread); OpenSSL's text if it reads the alert. */
static int cert_refusal(const char *err) {
    return strcmp(err, "Server closed the connection") == 0 || strcmp(err, "Connection reset by peer") == 0 ||
           strstr(err, "certificate required") != NULL || strstr(err, "handshake failure") != NULL;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_MTLS_SEED", "127.0.0.1:7400");
    const char *ca = tl_env("CLUSTER_TLS_CA", "ca.crt");
    redisSSLContextError serr = REDIS_SSL_CTX_NONE;
    redisInitOpenSSL();
    redisSSLContext *ssl = redisCreateSSLContext(ca, NULL, tl_env("CLUSTER_TLS_CERT", "client.crt"),
                                                 tl_env("CLUSTER_TLS_KEY", "client.key"), NULL, &serr);
    CHECK(ssl != NULL, "SSL context with a client certificate: %s", redisSSLContextGetError(serr));
    redisSSLContext *nocert = redisCreateSSLContext(ca, NULL, NULL, NULL, NULL, &serr);
    CHECK(nocert != NULL, "SSL context without one: %s", redisSSLContextGetError(serr));
    if (ssl == NULL || nocert == NULL) return tl_done();

    SECTION("sync, with a client certificate");
    redisClusterContext *cc = sync_on(seed, ssl);
    CHECK(cc->err == 0 && cc->route_version == 1, "Connect2: %s", cc->errstr);
    redisClusterNodeIterator ni;
    redisClusterNode *node;
    int masters = 0, pongs = 0;
    redisClusterInitNodeIterator(&ni, cc);
    while ((node = redisClusterNodeNext(&ni)) != NULL) {
        masters++;
        redisReply *r = redisClusterCommandToNode(cc, node, "PING");
        pongs += cl_is_status(r, "PONG");
        freeReplyObject(r);
    }
    CHECK(masters == 3 && pongs == 3, "PING to each master: %d of %d", pongs, masters);
    int set_ok = 0, get_ok = 0;
    for (int i = 0; i < 100; i++) {
        redisReply *r = redisClusterCommand(cc, "SET mtls:k%d mv%d", i, i);
        set_ok += cl_is_status(r, "OK");
        freeReplyObject(r);
    }
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof want, "mv%d", i);
        redisReply *r = redisClusterCommand(cc, "GET mtls:k%d", i);
        get_ok += cl_is_str(r, want);
        freeReplyObject(r);
    }
    CHECK(set_ok == 100 && get_ok == 100, "SET %d, GET %d of 100", set_ok, get_ok);
    redisReply *r = redisClusterCommand(cc, "MGET mtls:k1 mtls:k2 mtls:k3");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && cl_is_str(r->element[2], "mv3"), "MGET across slots");
    freeReplyObject(r);
    redisClusterFree(cc);

    SECTION("async on " ADAPTER_NAME ", with a client certificate");
    cl_loop_init();
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    CHECK(redisClusterSetOptionEnableSSL(acc->cc, ssl) == REDIS_OK, "EnableSSL");
    CHECK(cl_adapter_attach(acc) == REDIS_OK, "attach");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(cl_run_until_eq(&ready, 1, 10), "READY");
    for (long i = 0; i < 100; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)i, "SET mtls:a%ld mv%ld", i, i) != REDIS_OK) pending--;
    }
    for (long i = 0; i < 100; i++) {
        pending++;
        if (redisClusterAsyncCommand(acc, on_reply, (void *)(100 + i), "GET mtls:a%ld", i) != REDIS_OK) pending--;
    }
    CHECK(pending == 200, "submitted");
    cl_run_until_eq(&pending, 0, 20);
    int once = 0, right = 0;
    for (int i = 0; i < 200; i++) {
        once += calls[i] == 1;
        right += good[i] == 1;
    }
    CHECK(once == 200 && right == 200 && nulls == 0, "%d called once, %d right", once, right);
    cl_async_free(acc);

    SECTION(ADAPTER_NAME ": without a client certificate: refused");
    /* TLS 1.3 lets the client finish its handshake; the server's alert (and reset) comes on the
     * first write or read. The slot-map request then fails as spec 3.4 e/f says: a failed flush
     * leaves no error text (as 0.14.0), a failed read gives the NULL-reply text. */
    cc = sync_on(seed, nocert);
    CHECK(cc->route_version == 0 && cc->table == NULL &&
          (strcmp(cc->errstr, "") == 0 || strcmp(cc->errstr, "Command (cluster nodes) reply error (NULL).") == 0),
          "sync Connect2: %d %s", cc->err, cc->errstr);
    r = redisClusterCommand(cc, "GET mtls:k1");
    CHECK(r == NULL && cc->err != 0, "a command: no reply (%d %s)", cc->err, cc->errstr);
    redisClusterFree(cc);
    /* The core's own view of the refusal, on a plain hiredis connection. */
    redisContext *c = cl_raw(seed);
    CHECK(c && c->err == 0 && redisInitiateSSLWithContext(c, nocert) == REDIS_OK, "TCP connect and handshake");
    r = c ? redisCommand(c, "PING") : NULL;
    CHECK(r == NULL && c && (c->err == REDIS_ERR_IO || c->err == REDIS_ERR_EOF) && cert_refusal(c->errstr), "PING: %s", c ? c->errstr : "");
    if (c) redisFree(c);
    /* Async: the node context's connect or disconnect callback reports the refusal; no slot
     * map, so no READY and commands refused. */
    ready = 0;
    memset(calls, 0, sizeof calls);
    memset(good, 0, sizeof good);
    nulls = 0;
    acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    redisClusterSetOptionEnableSSL(acc->cc, nocert);
    redisClusterAsyncSetConnectCallback(acc, on_link);
    redisClusterAsyncSetDisconnectCallback(acc, on_link);
    cl_adapter_attach(acc);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2 starts: %s", acc->errstr);
    cl_run_until_eq(&link_errs, 1, 5);
    cl_run_for(0.2);
    CHECK(ready == 0, "no READY without a certificate");
    CHECK(link_errs >= 1 && cert_refusal(link_err), "the node context failed: %d, %s", link_errs, link_err);
    CHECK(redisClusterAsyncCommand(acc, on_reply, (void *)0L, "GET mtls:a0") == REDIS_ERR &&
          strcmp(acc->errstr, "slotmap not available") == 0, "commands refused: %s", acc->errstr);
    cl_async_free(acc);

    /* AsyncConnect builds the slot map blocking, with the same refusal. */
    acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetOptionEnableSSL(acc->cc, nocert);
    CHECK(redisClusterConnect2(acc->cc) == REDIS_ERR && acc->cc->table == NULL, "blocking slot map: %s",
          acc->cc->errstr);
    cl_async_free(acc);

    cl_loop_free();
    redisFreeSSLContext(ssl);
    redisFreeSSLContext(nocert);
    return tl_done();
}
