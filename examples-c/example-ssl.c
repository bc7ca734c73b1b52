/* TLS on a blocking connection: make an SSL context from a CA bundle (and optionally a
 * client certificate), connect, start TLS, then use the ordinary sync API.
 *
 *   example-ssl host port ca.crt [client.crt client.key [server-name]]
 *
 * Build: cc example-ssl.c $(pkg-config --cflags --libs hiredis_ssl)
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s host port ca.crt [client.crt client.key [server-name]]\n", argv[0]);
        return 2;
    }
    const char *cert = argc > 5 ? argv[4] : NULL, *key = argc > 5 ? argv[5] : NULL;
    const char *sni = argc > 6 ? argv[6] : NULL;

    redisSSLContextError ssl_err = REDIS_SSL_CTX_NONE;
    redisSSLContext *ssl = redisCreateSSLContext(argv[3], NULL, cert, key, sni, &ssl_err);
    if (ssl == NULL) {
        fprintf(stderr, "SSL context: %s\n", redisSSLContextGetError(ssl_err));
        return 1;
    }

    struct timeval timeout = {1, 500000};
    redisContext *c = redisConnectWithTimeout(argv[1], atoi(argv[2]), timeout);
    if (c == NULL || c->err) {
        fprintf(stderr, "connect: %s\n", c ? c->errstr : "out of memory");
        redisFree(c);
        redisFreeSSLContext(ssl);
        return 1;
    }
    /* The handshake (and certificate verification) happens here. */
    if (redisInitiateSSLWithContext(c, ssl) != REDIS_OK) {
        fprintf(stderr, "TLS: %s\n", c->errstr);
        redisFree(c);
        redisFreeSSLContext(ssl);
        return 1;
    }

    redisReply *r = redisCommand(c, "PING");
    printf("PING: %s\n", r ? r->str : c->errstr);
    freeReplyObject(r);
    r = redisCommand(c, "SET %s %s", "example:tls", "encrypted on the wire");
    printf("SET: %s\n", r ? r->str : c->errstr);
    freeReplyObject(r);
    r = redisCommand(c, "GET example:tls");
    printf("GET: %s\n", r && r->type == REDIS_REPLY_STRING ? r->str : "(error)");
    freeReplyObject(r);

    /* Pipelining works as on a plain connection. */
    for (int i = 0; i < 3; i++) redisAppendCommand(c, "INCR example:tls:counter");
    for (int i = 0; i < 3; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK) break;
        printf("INCR: %lld\n", r->integer);
        freeReplyObject(r);
    }

    redisFree(c);            /* sends TLS close_notify, closes the socket */
    redisFreeSSLContext(ssl); /* after the contexts that use it, or before: they hold their own */
    return 0;
}
