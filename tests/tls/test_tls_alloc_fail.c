/* TLS with the Nth hook allocation failing, for every N until a run needs no failure: the SSL
 * context (with its SNI name), a sync TLS connection and a few commands; then an async TLS
 * connection on the poll adapter with a pipeline. No crash, every hook allocation freed once
 * the objects are gone, every accepted async callback called exactly once, and each failure
 * reported as hiredis reports it (a NULL context, "Out of memory" or a failed
 * command on a connection). OpenSSL's own memory is OpenSSL's, as with hiredis. */
#include <hiredis/async.h>
#include <hiredis/adapters/poll.h>
#include "fail_alloc.h"
#include "tls_common.h"


static void test_sync(void) {
    long n, complete = 0, leaks = 0, bad = 0, ctx_failures = 0, recovered = 0;
    SECTION("sync TLS: context, connect, SET/GET, the Nth allocation failing");
    for (n = 1; n < 100000; n++) {
        redisSSLContextError e = REDIS_SSL_CTX_NONE;
        redisSSLContext *ssl;
        redisContext *c;
        redisReply *r;
        int ok = 1;
        arm(n);
        ssl = make_ctx(tl_env("TLS_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, &e);
        if (ssl == NULL) {
            /* hiredis leaves *error alone when the struct itself cannot be allocated */
            if (e != REDIS_SSL_CTX_CREATE_FAILED && e != REDIS_SSL_CTX_NONE) bad++;
            ctx_failures++;
            goto next;
        }
        c = redisConnect(host(), env_port("TLS_PORT"));
        if (c == NULL) goto free_ssl; /* the context itself could not be allocated */
        if (c->err) {
            if (c->err != REDIS_ERR_OOM) bad++;
            ok = 0;
        } else if (redisInitiateSSLWithContext(c, ssl) != REDIS_OK) {
            if (c->err == 0) bad++;
            ok = 0;
        }
        for (int i = 0; ok && i < 3; i++) {
            r = redisCommand(c, "SET tls:oom:%d %s", i, "value");
            ok = is_status(r, "OK");
            freeReplyObject(r);
            if (ok) {
                r = redisCommand(c, "GET tls:oom:%d", i);
                ok = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "value") == 0;
                freeReplyObject(r);
            }
            if (!ok && c->err == 0) bad++; /* a failed command leaves an error behind */
        }
        /* A reply whose allocation failed on the reader's fast path is made again by the
         * parser, so a single failure there can pass unnoticed (hiredis would report it). */
        if (ok && failed_once) recovered++;
        redisFree(c);
    free_ssl:
        redisFreeSSLContext(ssl);
    next:
        armed = 0;
        if (live != 0) leaks++;
        live = 0;
        if (!failed_once) {
            complete = n;
            break;
        }
    }
    printf("   a full run makes %ld hook allocations; %ld runs failed at the context, %ld recovered\n", complete,
           ctx_failures, recovered);
    CHECK(complete > 0, "reached a run with no failure");
    CHECK(ctx_failures == 2, "the context makes two hook allocations, its struct and its SNI name (%ld)", ctx_failures);
    CHECK(bad == 0, "every failure reported as hiredis does (%ld not)", bad);
    CHECK(leaks == 0, "every hook allocation freed (%ld runs leaked)", leaks);
}

static int accepted, called, disconnected;
static void on_reply(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac;
    (void)r;
    (void)priv;
    called++;
}
static void on_disconnect(const redisAsyncContext *ac, int status) {
    (void)ac;
    (void)status;
    disconnected = 1;
}

static void test_async(void) {
    long n, complete = 0, leaks = 0, mismatched = 0;
    SECTION("async TLS (poll adapter): pipeline of 20, the Nth allocation failing");
    for (n = 1; n < 100000; n++) {
        redisSSLContextError e = REDIS_SSL_CTX_NONE;
        redisSSLContext *ssl;
        redisAsyncContext *ac;
        accepted = called = disconnected = 0;
        arm(n);
        ssl = make_ctx(tl_env("TLS_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, &e);
        if (ssl == NULL) goto next;
        ac = redisAsyncConnect(host(), env_port("TLS_PORT"));
        if (ac == NULL) goto free_ssl;
        if (ac->err || redisInitiateSSLWithContext(&ac->c, ssl) != REDIS_OK ||
            redisPollAttach(ac) != REDIS_OK) {
            redisAsyncFree(ac);
            goto free_ssl;
        }
        redisAsyncSetDisconnectCallback(ac, on_disconnect);
        for (int i = 0; i < 20; i++)
            if (redisAsyncCommand(ac, on_reply, NULL, "INCR tls:oom:async") == REDIS_OK) accepted++;
        for (int t = 0; t < 2000 && !disconnected && called < accepted; t++) redisPollTick(ac, 0.01);
        if (!disconnected) redisAsyncFree(ac); /* any callback still queued gets NULL here */
    free_ssl:
        redisFreeSSLContext(ssl);
    next:
        armed = 0;
        if (called != accepted) mismatched++;
        if (live != 0) leaks++;
        live = 0;
        if (!failed_once) {
            complete = n;
            break;
        }
    }
    printf("   a full run makes %ld hook allocations\n", complete);
    CHECK(complete > 0, "reached a run with no failure");
    CHECK(accepted == 20 && called == 20, "the complete run got all 20 replies");
    CHECK(mismatched == 0, "each accepted callback called exactly once (%ld runs not)", mismatched);
    CHECK(leaks == 0, "every hook allocation freed (%ld runs leaked)", leaks);
}

int main(void) {
    hiredisAllocFuncs fns = FAIL_ALLOC_FNS;
    hiredisAllocFuncs old = hiredisSetAllocators(&fns);
    signal(SIGPIPE, SIG_IGN);
    redisInitOpenSSL();
    test_sync();
    test_async();
    hiredisSetAllocators(&old);
    return tl_done();
}
