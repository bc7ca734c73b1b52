/* TLS on blocking and non-blocking sync contexts: context creation errors, verification,
 * commands, pipelines, big values, client certificates, exact error texts. */
#include "tls_common.h"

#include <errno.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A plain-text server for one connection: it answers whatever arrives with a RESP error, as
 * a Redis port without TLS would, then closes. Returns its port; *child gets its pid. */
static int plain_server(pid_t *child) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    *child = fork();
    if (*child == 0) {
        char buf[4096];
        int cfd = accept(fd, NULL, NULL);
        if (cfd >= 0 && read(cfd, buf, sizeof buf) > 0) {
            const char *msg = "-ERR unknown command\r\n";
            if (write(cfd, msg, strlen(msg)) < 0) _exit(1);
        }
        usleep(100000);
        _exit(0);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_error_texts(void) {
    SECTION("redisSSLContextGetError texts and values");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_NONE), "No Error") == 0, "none");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_CREATE_FAILED), "Failed to create OpenSSL SSL_CTX") == 0, "1");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_CERT_KEY_REQUIRED),
                 "Client cert and key must both be specified or skipped") == 0, "2");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_CA_CERT_LOAD_FAILED),
                 "Failed to load CA Certificate or CA Path") == 0, "3");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_CLIENT_CERT_LOAD_FAILED),
                 "Failed to load client certificate") == 0, "4");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_CLIENT_DEFAULT_CERT_FAILED), "Unknown error code") == 0, "5");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_PRIVATE_KEY_LOAD_FAILED), "Failed to load private key") == 0, "6");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_OS_CERTSTORE_OPEN_FAILED),
                 "Failed to open system certificate store") == 0, "7");
    CHECK(strcmp(redisSSLContextGetError(REDIS_SSL_CTX_OS_CERT_ADD_FAILED),
                 "Failed to add CA certificates obtained from system to the SSL context") == 0, "8");
    CHECK(strcmp(redisSSLContextGetError((redisSSLContextError)9), "Unknown error code") == 0, "9");
    CHECK(strcmp(redisSSLContextGetError((redisSSLContextError)-1), "Unknown error code") == 0, "-1");
    CHECK(REDIS_SSL_CTX_OS_CERT_ADD_FAILED == 8 && sizeof(redisSSLContextError) == 4, "enum");
    CHECK(sizeof(redisSSLOptions) == 48, "options size %zu", sizeof(redisSSLOptions));
    CHECK(REDIS_SSL_VERIFY_NONE == 0 && REDIS_SSL_VERIFY_PEER == 1 && REDIS_SSL_VERIFY_FAIL_IF_NO_PEER_CERT == 2 &&
          REDIS_SSL_VERIFY_CLIENT_ONCE == 4 && REDIS_SSL_VERIFY_POST_HANDSHAKE == 8, "verify bits");
    CHECK(redisInitOpenSSL() == REDIS_OK, "init");
}

static void test_context_errors(void) {
    const char *ca = tl_env("TLS_CA", ""), *cert = tl_env("TLS_CLIENT_CERT", ""), *key = tl_env("TLS_CLIENT_KEY", "");
    redisSSLContextError e;
    redisSSLContext *s;
    SECTION("context creation errors");
    e = 42;
    s = redisCreateSSLContext(ca, NULL, cert, NULL, NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_CERT_KEY_REQUIRED, "cert without key: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext(ca, NULL, NULL, key, NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_CERT_KEY_REQUIRED, "key without cert: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext("/nonexistent/ca.crt", NULL, NULL, NULL, NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_CA_CERT_LOAD_FAILED, "missing CA: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext(key, NULL, NULL, NULL, NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_CA_CERT_LOAD_FAILED, "a key file as CA: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext(ca, NULL, "/nonexistent.crt", key, NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_CLIENT_CERT_LOAD_FAILED, "missing cert: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext(ca, NULL, cert, "/nonexistent.key", NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_PRIVATE_KEY_LOAD_FAILED, "missing key: %d", (int)e);
    e = 42;
    s = redisCreateSSLContext(ca, NULL, cert, tl_env("TLS_OTHER_KEY", ""), NULL, &e);
    CHECK(s == NULL && e == REDIS_SSL_CTX_PRIVATE_KEY_LOAD_FAILED, "key of another cert: %d", (int)e);
    s = redisCreateSSLContext(ca, NULL, cert, key, NULL, NULL);
    CHECK(s != NULL, "NULL error pointer, success");
    redisFreeSSLContext(s);
    CHECK(redisCreateSSLContext(ca, NULL, cert, NULL, NULL, NULL) == NULL, "NULL error pointer, failure");
    e = 42;
    s = redisCreateSSLContext(ca, NULL, cert, key, "localhost", &e);
    CHECK(s != NULL && e == 42, "success leaves *error alone: %d", (int)e);
    redisFreeSSLContext(s);
    redisFreeSSLContext(NULL);
    e = 42;
    s = redisCreateSSLContext(NULL, tl_env("TLS_CA_DIR", ""), NULL, NULL, NULL, &e);
    CHECK(s != NULL, "CA path only: %d", (int)e);
    redisFreeSSLContext(s);
}

static void test_commands(redisSSLContext *ssl) {
    redisContext *c;
    redisReply *r;
    SECTION("blocking commands over TLS");
    c = tls_connect(env_port("TLS_PORT"), ssl);
    CHECK(c != NULL, "connected");
    if (!c) return;
    CHECK(c->privctx != NULL && c->funcs != NULL, "TLS installed");
    r = redisCommand(c, "PING");
    CHECK(is_status(r, "PONG"), "PING");
    freeReplyObject(r);
    r = redisCommand(c, "SET %s %b", "tls:bin", "a\0b\r\nc", (size_t)6);
    CHECK(is_status(r, "OK"), "SET binary");
    freeReplyObject(r);
    r = redisCommand(c, "GET tls:bin");
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 6 && memcmp(r->str, "a\0b\r\nc", 6) == 0, "GET binary");
    freeReplyObject(r);

    /* A value much larger than a TLS record (16 KiB) and than one read. */
    size_t big = 3 * 1024 * 1024 + 7;
    char *v = malloc(big);
    for (size_t i = 0; i < big; i++) v[i] = (char)('a' + i % 26);
    r = redisCommand(c, "SET tls:big %b", v, big);
    CHECK(is_status(r, "OK"), "SET 3 MiB");
    freeReplyObject(r);
    r = redisCommand(c, "GET tls:big");
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == big && memcmp(r->str, v, big) == 0, "GET 3 MiB");
    freeReplyObject(r);
    free(v);

    SECTION("pipeline over TLS");
    int n = 10000, ok = 1;
    for (int i = 0; i < n; i++) redisAppendCommand(c, "INCR tls:ctr");
    for (int i = 0; i < n; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_INTEGER || r->integer != i + 1) ok = 0;
        freeReplyObject(r);
    }
    CHECK(ok, "10000 INCR in order");

    SECTION("second initiate, NULL arguments");
    CHECK(redisInitiateSSLWithContext(c, ssl) == REDIS_ERR && c->err == 0, "already TLS: REDIS_ERR, no error set");
    CHECK(redisInitiateSSLWithContext(NULL, ssl) == REDIS_ERR, "NULL context");
    CHECK(redisInitiateSSLWithContext(c, NULL) == REDIS_ERR, "NULL ssl context");
    SSL_CTX *raw = SSL_CTX_new(TLS_client_method());
    SSL *extra = SSL_new(raw);
    CHECK(redisInitiateSSL(c, extra) == REDIS_ERR && c->err == REDIS_ERR_OTHER &&
          strcmp(c->errstr, "redisContext was already associated") == 0, "redisInitiateSSL twice: %s", c->errstr);
    SSL_free(extra);
    SSL_CTX_free(raw);

    SECTION("command timeout over TLS");
    redisFree(c);
    c = tls_connect(env_port("TLS_PORT"), ssl);
    if (!c) return;
    struct timeval tv = {0, 100000};
    CHECK(redisSetTimeout(c, tv) == REDIS_OK, "timeout set");
    r = redisCommand(c, "DEBUG SLEEP 0.5");
    CHECK(r == NULL && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Resource temporarily unavailable") == 0,
          "timed out: %d %s", c->err, c->errstr);
    freeReplyObject(r);

    SECTION("reconnect, then TLS again");
    usleep(600000); /* let DEBUG SLEEP end: the timeout is re-applied on reconnect */
    CHECK(redisReconnect(c) == REDIS_OK && c->privctx == NULL, "reconnected");
    CHECK(redisInitiateSSLWithContext(c, ssl) == REDIS_OK, "initiated again: %s", c->errstr);
    r = redisCommand(c, "GET tls:ctr");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "10000") == 0, "GET after reconnect");
    freeReplyObject(r);
    redisFree(c);
}

static void test_own_ssl(void) {
    SECTION("redisInitiateSSL with the caller's SSL object");
    SSL_CTX *raw = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(raw, tl_env("TLS_CA", ""), NULL);
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, NULL);
    redisContext *c = redisConnect(host(), env_port("TLS_PORT"));
    SSL *ssl = SSL_new(raw);
    CHECK(redisInitiateSSL(c, ssl) == REDIS_OK, "initiated: %s", c->errstr);
    redisReply *r = redisCommand(c, "PING");
    CHECK(is_status(r, "PONG"), "PING");
    freeReplyObject(r);
    redisFree(c); /* frees ssl */

    SECTION("name mismatch (caller's SSL checks the host name)");
    c = redisConnect(host(), env_port("TLS_PORT"));
    ssl = SSL_new(raw);
    SSL_set1_host(ssl, "wrong.example");
    CHECK(redisInitiateSSL(c, ssl) == REDIS_ERR && c->err == REDIS_ERR_IO &&
          strcmp(c->errstr, "SSL_connect failed: certificate verify failed") == 0, "mismatch: %d %s", c->err, c->errstr);
    SSL_free(ssl); /* still the caller's after a failure */
    redisFree(c);
    c = redisConnect(host(), env_port("TLS_PORT"));
    ssl = SSL_new(raw);
    SSL_set1_host(ssl, "localhost");
    CHECK(redisInitiateSSL(c, ssl) == REDIS_OK, "matching name: %s", c->errstr);
    redisFree(c);
    SSL_CTX_free(raw);
}

/* How hiredis reports a server that drops a TLS 1.3 client after the handshake: the close
 * (EOF) or the reset (IO), whichever the socket sees first. */
static int refused(redisContext *c) {
    return (c->err == REDIS_ERR_EOF && strcmp(c->errstr, "Server closed the connection") == 0) ||
           (c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection reset by peer") == 0);
}

static void test_verify_failures(void) {
    redisSSLContext *s;
    redisContext *c;
    SECTION("wrong CA");
    s = make_ctx(tl_env("TLS_OTHER_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, NULL);
    c = redisConnect(host(), env_port("TLS_PORT"));
    CHECK(redisInitiateSSLWithContext(c, s) == REDIS_ERR && c->err == REDIS_ERR_IO &&
          strcmp(c->errstr, "SSL_connect failed: certificate verify failed") == 0, "wrong CA: %d %s", c->err, c->errstr);
    CHECK(c->privctx == NULL, "nothing installed");
    redisFree(c);
    redisFreeSSLContext(s);

    SECTION("wrong CA without verification");
    s = make_ctx(tl_env("TLS_OTHER_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_NONE, NULL);
    c = tls_connect(env_port("TLS_PORT"), s);
    CHECK(c != NULL, "VERIFY_NONE connects");
    redisFree(c);
    redisFreeSSLContext(s);

    SECTION("plain-text server");
    s = make_ctx(tl_env("TLS_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, NULL);
    pid_t child = -1;
    int port = plain_server(&child);
    c = redisConnect(host(), port);
    CHECK(redisInitiateSSLWithContext(c, s) == REDIS_ERR && c->err == REDIS_ERR_IO &&
          strcmp(c->errstr, "SSL_connect failed: wrong version number") == 0, "plain: %d %s", c->err, c->errstr);
    redisFree(c);
    if (child > 0) waitpid(child, NULL, 0);
    /* Redis's own plain port keeps waiting for the end of an inline command: with a read
     * timeout the handshake fails as a timed-out system call. */
    c = redisConnect(host(), env_port("PLAIN_PORT"));
    struct timeval tv = {0, 300000};
    redisSetTimeout(c, tv);
    CHECK(redisInitiateSSLWithContext(c, s) == REDIS_ERR && c->err == REDIS_ERR_IO &&
          strcmp(c->errstr, "SSL_connect failed: (null)") == 0, "redis plain port: %d %s", c->err, c->errstr);
    printf("   redis plain port: %s\n", c->errstr);
    redisFree(c);

    SECTION("client certificate required");
    c = redisConnect(host(), env_port("TLS_MTLS_PORT"));
    int rc = redisInitiateSSLWithContext(c, s);
    redisReply *r = rc == REDIS_OK ? redisCommand(c, "PING") : NULL;
    /* TLS 1.3: the server's refusal arrives after the client finished its handshake. */
    CHECK(r == NULL && refused(c), "no client cert refused: %d %d %s", rc, c->err, c->errstr);
    printf("   no client cert: %s\n", c->errstr);
    redisFree(c);
    redisFreeSSLContext(s);

    s = make_ctx(tl_env("TLS_CA", ""), tl_env("TLS_OTHER_CERT", ""), tl_env("TLS_OTHER_KEY", ""),
                 REDIS_SSL_VERIFY_PEER, NULL);
    c = redisConnect(host(), env_port("TLS_MTLS_PORT"));
    rc = redisInitiateSSLWithContext(c, s);
    r = rc == REDIS_OK ? redisCommand(c, "PING") : NULL;
    CHECK(r == NULL && refused(c), "untrusted client cert refused: %d %d %s", rc, c->err, c->errstr);
    printf("   bad client cert: %s\n", c->errstr);
    redisFree(c);
    redisFreeSSLContext(s);

    s = make_ctx(tl_env("TLS_CA", ""), tl_env("TLS_CLIENT_CERT", ""), tl_env("TLS_CLIENT_KEY", ""),
                 REDIS_SSL_VERIFY_PEER, NULL);
    c = tls_connect(env_port("TLS_MTLS_PORT"), s);
    r = c ? redisCommand(c, "PING") : NULL;
    CHECK(is_status(r, "PONG"), "client cert accepted");
    freeReplyObject(r);
    redisFree(c);
    redisFreeSSLContext(s);
}

/* Drives a non-blocking context until a reply arrives (or 5 s pass). */
static redisReply *nb_reply(redisContext *c) {
    void *r = NULL;
    for (int spins = 0; spins < 5000; spins++) {
        int done = 0;
        if (redisBufferWrite(c, &done) != REDIS_OK) return NULL;
        if (redisGetReply(c, &r) != REDIS_OK) return NULL;
        if (r) return r;
        struct pollfd p = {c->fd, (short)(POLLIN | (done ? 0 : POLLOUT)), 0};
        poll(&p, 1, 1);
        if (redisBufferRead(c) != REDIS_OK) return NULL;
        if (redisGetReply(c, &r) != REDIS_OK) return NULL;
        if (r) return r;
    }
    return NULL;
}

static void test_nonblocking(redisSSLContext *ssl) {
    SECTION("non-blocking sync context: handshake over several rounds");
    redisContext *c = redisConnectNonBlock(host(), env_port("TLS_PORT"));
    CHECK(c && !c->err, "connecting");
    if (!c || c->err) { redisFree(c); return; }
    CHECK(redisInitiateSSLWithContext(c, ssl) == REDIS_OK, "initiate returns OK before the handshake ends: %s", c->errstr);
    redisAppendCommand(c, "PING");
    redisReply *r = nb_reply(c);
    CHECK(is_status(r, "PONG"), "PING: %s", c->errstr);
    freeReplyObject(r);
    for (int i = 0; i < 2000; i++) redisAppendCommand(c, "ECHO %d", i);
    int ok = 1;
    for (int i = 0; i < 2000; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        r = nb_reply(c);
        if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0) ok = 0;
        freeReplyObject(r);
    }
    CHECK(ok, "2000 pipelined ECHO");
    redisFree(c);
}

static void test_server_killed(redisSSLContext *ssl) {
    SECTION("server killed mid-stream");
    redisContext *c = tls_connect(env_port("TLS_PORT"), ssl);
    if (!c) { CHECK(0, "connect"); return; }
    redisReply *r = redisCommand(c, "SET k v");
    freeReplyObject(r);
    int pid = tls_kill_server();
    CHECK(pid > 0, "server pid");
    usleep(200000);
    r = redisCommand(c, "GET k");
    CHECK(r == NULL && c->err == REDIS_ERR_EOF && strcmp(c->errstr, "Server closed the connection") == 0,
          "error after kill: %d %s", c->err, c->errstr);
    printf("   killed: %d %s\n", c->err, c->errstr);
    r = redisCommand(c, "GET k");
    CHECK(r == NULL && c->err != 0, "error is sticky");
    redisFree(c);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);
    test_error_texts();
    test_context_errors();
    redisSSLContext *ssl = make_ctx(tl_env("TLS_CA", ""), NULL, NULL, REDIS_SSL_VERIFY_PEER, NULL);
    CHECK(ssl != NULL, "context");
    test_commands(ssl);
    test_own_ssl();
    test_verify_failures();
    test_nonblocking(ssl);
    test_server_killed(ssl);
    redisFreeSSLContext(ssl);
    return tl_done();
}
