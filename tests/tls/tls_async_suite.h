/* TLS scenarios every async adapter runs (tests/tls/test_tls_async_*.c). A test file
 * includes its adapter and this header, then implements
 *
 *   adapter_attach(ac)  attach the adapter (its REDIS_OK / REDIS_ERR)
 *   adapter_step()      run one blocking iteration of its loop
 *
 * and calls run_tls_async_suite(pipeline_n, kill_server) from main(). */
#ifndef HIREDIS_RS_TLS_ASYNC_SUITE_H
#define HIREDIS_RS_TLS_ASYNC_SUITE_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/hiredis_ssl.h>

#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "tls_common.h"

static int adapter_attach(redisAsyncContext *ac);
static void adapter_step(void);

typedef struct tlsState {
    int connected, connect_status, disconnected, disconnect_status;
    int err;
    char errstr[128];
    long long replies, bad, nulls, expect;
    size_t big_len;
    char *big;
    int kill_after; /* > 0: SIGKILL the server after this many INCR replies */
} tlsState;

static double tls_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tls_on_connect(const redisAsyncContext *ac, int status) {
    tlsState *st = ac->data;
    st->connected++;
    st->connect_status = status;
}

static void tls_on_disconnect(const redisAsyncContext *ac, int status) {
    tlsState *st = ac->data;
    st->disconnected++;
    st->disconnect_status = status;
    st->err = ac->err;
    snprintf(st->errstr, sizeof st->errstr, "%s", ac->errstr ? ac->errstr : "");
}

static void tls_on_status(redisAsyncContext *ac, void *r, void *priv) {
    tlsState *st = ac->data;
    if (r == NULL) { st->nulls++; return; }
    if (!is_status(r, priv)) st->bad++;
    st->replies++;
}

static void tls_on_big(redisAsyncContext *ac, void *r, void *priv) {
    tlsState *st = ac->data;
    redisReply *rep = r;
    (void)priv;
    if (rep == NULL) { st->nulls++; return; }
    if (rep->type != REDIS_REPLY_STRING || rep->len != st->big_len || memcmp(rep->str, st->big, st->big_len) != 0) st->bad++;
    st->replies++;
}

static void tls_on_incr(redisAsyncContext *ac, void *r, void *priv) {
    tlsState *st = ac->data;
    redisReply *rep = r;
    long long want = (long long)(intptr_t)priv;
    if (rep == NULL) { st->nulls++; return; }
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer != want) st->bad++;
    st->replies++;
    if (st->kill_after > 0 && want == st->kill_after) tls_kill_server();
    if (want == st->expect) redisAsyncDisconnect(ac);
}

/* Runs the loop until the context is gone or `secs` pass. */
static void tls_run(tlsState *st, double secs) {
    double end = tls_now() + secs;
    while (!st->disconnected && tls_now() < end) adapter_step();
}

static redisAsyncContext *tls_async_connect(tlsState *st, int port, redisSSLContext *ssl, int *initiated) {
    redisAsyncContext *ac = redisAsyncConnect(host(), port);
    if (ac == NULL || ac->err) {
        printf("async connect: %s\n", ac ? ac->errstr : "NULL");
        return NULL;
    }
    /* Before the TCP connect has finished: the handshake runs inside the event loop. */
    *initiated = redisInitiateSSLWithContext(&ac->c, ssl);
    ac->data = st;
    redisAsyncSetConnectCallback(ac, tls_on_connect);
    redisAsyncSetDisconnectCallback(ac, tls_on_disconnect);
    if (adapter_attach(ac) != REDIS_OK) {
        printf("attach failed\n");
        redisAsyncFree(ac);
        return NULL;
    }
    return ac;
}

static void tls_roundtrip(redisSSLContext *ssl, int port, long long n, const char *what) {
    tlsState st;
    int rc = REDIS_ERR;
    memset(&st, 0, sizeof st);
    printf("-- %s: PING, 1 MiB SET/GET, %lld pipelined INCR, disconnect\n", what, n);
    redisAsyncContext *ac = tls_async_connect(&st, port, ssl, &rc);
    CHECK(ac != NULL && rc == REDIS_OK, "initiated on a connecting socket: %d", rc);
    if (!ac) return;
    st.big_len = 1024 * 1024 + 3;
    st.big = malloc(st.big_len);
    for (size_t i = 0; i < st.big_len; i++) st.big[i] = (char)(i * 7);
    st.expect = n;
    redisAsyncCommand(ac, tls_on_status, (void *)(uintptr_t)"PONG", "PING");
    redisAsyncCommand(ac, NULL, NULL, "DEL tls:async:ctr");
    redisAsyncCommand(ac, tls_on_status, (void *)(uintptr_t)"OK", "SET tls:async:big %b", st.big, st.big_len);
    redisAsyncCommand(ac, tls_on_big, NULL, "GET tls:async:big");
    for (long long i = 1; i <= n; i++) redisAsyncCommand(ac, tls_on_incr, (void *)(intptr_t)i, "INCR tls:async:ctr");
    tls_run(&st, 120);
    CHECK(st.connected == 1 && st.connect_status == REDIS_OK, "connected once: %d %d", st.connected, st.connect_status);
    CHECK(st.replies == n + 3 && st.bad == 0 && st.nulls == 0, "all replies in order: %lld/%lld bad %lld nulls %lld",
          st.replies, n + 3, st.bad, st.nulls);
    CHECK(st.disconnected == 1 && st.disconnect_status == REDIS_OK, "clean disconnect: %d %d %s", st.disconnected,
          st.disconnect_status, st.errstr);
    free(st.big);
}

static void tls_async_verify_failure(int port) {
    tlsState st;
    int rc = REDIS_ERR;
    memset(&st, 0, sizeof st);
    printf("-- wrong CA on an async context\n");
    redisSSLContext *bad = make_ctx(tl_env("TLS_OTHER_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, NULL);
    redisAsyncContext *ac = tls_async_connect(&st, port, bad, &rc);
    if (ac && rc == REDIS_OK) {
        redisAsyncCommand(ac, tls_on_status, (void *)(uintptr_t)"PONG", "PING");
        tls_run(&st, 10);
        CHECK(st.disconnected == 1 && st.disconnect_status == REDIS_ERR && st.err == REDIS_ERR_IO,
              "handshake failure disconnects with an I/O error: %d %d %d %s", st.disconnected, st.disconnect_status,
              st.err, st.errstr);
        CHECK(st.nulls == 1 && st.replies == 0, "the pending command gets NULL: %lld %lld", st.nulls, st.replies);
        printf("   wrong CA: %d %s\n", st.err, st.errstr);
    } else {
        /* The loopback server answered within SSL_connect: the failure is reported at once. */
        CHECK(ac != NULL && rc == REDIS_ERR && ac->c.err == REDIS_ERR_IO &&
              strcmp(ac->c.errstr, "SSL_connect failed: certificate verify failed") == 0,
              "refused at once: %s", ac ? ac->c.errstr : "");
        if (ac) redisAsyncFree(ac);
    }
    redisFreeSSLContext(bad);
}

static void tls_async_killed(redisSSLContext *ssl, int port) {
    tlsState st;
    int rc = REDIS_ERR;
    long long n = 200000;
    memset(&st, 0, sizeof st);
    printf("-- server killed mid-stream\n");
    redisAsyncContext *ac = tls_async_connect(&st, port, ssl, &rc);
    if (!ac) { CHECK(0, "connect"); return; }
    redisAsyncCommand(ac, NULL, NULL, "DEL tls:async:ctr");
    st.expect = n + 1; /* never reached */
    st.kill_after = 1000;
    for (long long i = 1; i <= n; i++) redisAsyncCommand(ac, tls_on_incr, (void *)(intptr_t)i, "INCR tls:async:ctr");
    tls_run(&st, 60);
    CHECK(st.disconnected == 1 && st.disconnect_status == REDIS_ERR && (st.err == REDIS_ERR_EOF || st.err == REDIS_ERR_IO),
          "disconnected with an error: %d %d %d %s", st.disconnected, st.disconnect_status, st.err, st.errstr);
    CHECK(st.replies >= 1000 && st.replies + st.nulls == n && st.bad == 0, "every callback ran once: %lld + %lld",
          st.replies, st.nulls);
    printf("   killed: %d %s\n", st.err, st.errstr);
}

static void run_tls_async_suite(long long pipeline_n, int kill_server) {
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);
    redisSSLContext *ssl = make_ctx(tl_env("TLS_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, NULL);
    CHECK(ssl != NULL, "context");
    tls_roundtrip(ssl, env_port("TLS_PORT"), pipeline_n, "TLS");
    redisSSLContext *mtls = make_ctx(tl_env("TLS_CA", ""), tl_env("TLS_CLIENT_CERT", ""), tl_env("TLS_CLIENT_KEY", ""),
                                     REDIS_SSL_VERIFY_PEER, NULL);
    tls_roundtrip(mtls, env_port("TLS_MTLS_PORT"), 1000, "TLS with a client certificate");
    redisFreeSSLContext(mtls);
    tls_async_verify_failure(env_port("TLS_PORT"));
    if (kill_server) tls_async_killed(ssl, env_port("TLS_PORT"));
    redisFreeSSLContext(ssl);
}

#endif
