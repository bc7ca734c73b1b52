/* TLS on an async connection under libevent: start TLS right after redisAsyncConnect (the
 * handshake then runs inside the event loop), queue commands, disconnect from a callback.
 *
 *   example-libevent-ssl host port ca.crt [client.crt client.key] [value]
 *
 * Build: cc example-libevent-ssl.c $(pkg-config --cflags --libs hiredis_ssl libevent)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/hiredis_ssl.h>
#include <hiredis/adapters/libevent.h>

static int status = 1;
static char get_label[] = "GET example:tls:async";

static void on_connect(const redisAsyncContext *ac, int st) {
    if (st != REDIS_OK) fprintf(stderr, "connect: %s\n", ac->errstr);
    else printf("connected (TLS handshake under way)\n");
}

static void on_disconnect(const redisAsyncContext *ac, int st) {
    if (st != REDIS_OK) fprintf(stderr, "disconnected: %s\n", ac->errstr);
    else printf("disconnected\n");
}

static void on_get(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    if (reply == NULL) return; /* the connection failed: on_disconnect says why */
    printf("%s: %s\n", (const char *)privdata, reply->type == REDIS_REPLY_STRING ? reply->str : "(unexpected)");
    status = 0;
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc < 4) {
        fprintf(stderr, "usage: %s host port ca.crt [client.crt client.key] [value]\n", argv[0]);
        return 2;
    }
    int has_cert = argc > 5;
    const char *value = argc > (has_cert ? 6 : 4) ? argv[has_cert ? 6 : 4] : "hello over TLS";

    redisSSLOptions opts = {0};
    opts.cacert_filename = argv[3];
    opts.cert_filename = has_cert ? argv[4] : NULL;
    opts.private_key_filename = has_cert ? argv[5] : NULL;
    opts.verify_mode = REDIS_SSL_VERIFY_PEER;
    redisSSLContextError ssl_err = REDIS_SSL_CTX_NONE;
    redisSSLContext *ssl = redisCreateSSLContextWithOptions(&opts, &ssl_err);
    if (ssl == NULL) {
        fprintf(stderr, "SSL context: %s\n", redisSSLContextGetError(ssl_err));
        return 1;
    }

    struct event_base *base = event_base_new();
    redisAsyncContext *ac = redisAsyncConnect(argv[1], atoi(argv[2]));
    if (ac == NULL || ac->err) {
        fprintf(stderr, "connect: %s\n", ac ? ac->errstr : "out of memory");
        return 1;
    }
    if (redisInitiateSSLWithContext(&ac->c, ssl) != REDIS_OK) {
        fprintf(stderr, "TLS: %s\n", ac->c.errstr);
        redisAsyncFree(ac);
        return 1;
    }
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:tls:async %s", value);
    redisAsyncCommand(ac, on_get, get_label, "GET example:tls:async");
    event_base_dispatch(base);

    event_base_free(base);
    redisFreeSSLContext(ssl);
    return status;
}
