/* The sync context against a fake server on loopback that this program controls (the real
 * redis-server of the harness is not used): partial writes keep exactly the unsent tail,
 * a protocol error in the stream reaches the context, a reply cut short by the peer gives
 * EOF, and replies split into single bytes are reassembled. */
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

static int listener(int *port) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 8) != 0) {
        printf("cannot listen on loopback: %s\n", strerror(errno));
        exit(1);
    }
    getsockname(l, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return l;
}

/* A blocking client connected to the fake server, and the server's end of it. */
static redisContext *pair(int l, int port, int nonblock, int *server_fd) {
    redisContext *c = nonblock ? redisConnectNonBlock("127.0.0.1", port) : redisConnect("127.0.0.1", port);
    *server_fd = accept(l, NULL, NULL);
    if (c == NULL || c->err || *server_fd < 0) {
        printf("pair failed: %s\n", c ? c->errstr : "NULL");
        exit(1);
    }
    return c;
}

static void test_partial_writes(int l, int port) {
    int s, done = 0, rounds = 0, small = 4096;
    size_t n = 2u * 1024 * 1024, expect_len, got = 0, i;
    redisContext *c = pair(l, port, 1, &s);
    char *v = malloc(n), *expect, *recvd, buf[65536];
    int ok = 1;
    SECTION("partial writes keep exactly the unsent tail");
    for (i = 0; i < n; i++) v[i] = (char)(i * 31 + 7);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    CHECK(redisAppendCommand(c, "SET key %b", v, n) == REDIS_OK, "append 2 MB");
    expect_len = sdslen(c->obuf);
    expect = malloc(expect_len);
    memcpy(expect, c->obuf, expect_len);
    recvd = malloc(expect_len);

    CHECK(redisBufferWrite(c, &done) == REDIS_OK && !done, "first write is partial");
    CHECK(sdslen(c->obuf) > 0 && sdslen(c->obuf) < expect_len, "obuf shrank to %zu of %zu", sdslen(c->obuf), expect_len);
    CHECK(memcmp(c->obuf, expect + (expect_len - sdslen(c->obuf)), sdslen(c->obuf)) == 0, "and holds the exact tail");
    CHECK(redisBufferWrite(c, &done) == REDIS_OK && !done, "a full socket buffer is not an error (EAGAIN -> 0)");
    while (got < expect_len && rounds < 200) {
        struct pollfd p[2] = { { s, POLLIN, 0 }, { c->fd, done ? 0 : POLLOUT, 0 } };
        ssize_t r;
        if (poll(p, 2, 50) == 0) rounds++; /* 10 s without progress: give up */
        r = recv(s, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
            memcpy(recvd + got, buf, (size_t)r);
            got += (size_t)r;
        }
        if (!done && redisBufferWrite(c, &done) != REDIS_OK) { ok = 0; break; }
    }
    CHECK(ok && done && got == expect_len && memcmp(recvd, expect, expect_len) == 0,
          "the server received the whole command, in order (%zu of %zu bytes)", got, expect_len);
    CHECK(sdslen(c->obuf) == 0, "obuf empty");
    redisFree(c);
    close(s);
    free(v); free(expect); free(recvd);
}

static void test_protocol_error(int l, int port) {
    int s;
    redisContext *c = pair(l, port, 0, &s);
    redisReply *r;
    char buf[256];
    SECTION("protocol error from the stream");
    send(s, "garbage\r\n", 9, 0);
    r = redisCommand(c, "PING");
    CHECK(r == NULL && c->err == REDIS_ERR_PROTOCOL &&
          strcmp(c->errstr, "Protocol error, got \"g\" as reply type byte") == 0, "%d '%s'", c->err, c->errstr);
    CHECK(recv(s, buf, sizeof buf, 0) == 14, "the PING was sent");
    CHECK(redisCommand(c, "PING") == NULL && c->err == REDIS_ERR_PROTOCOL, "sticky");
    redisFree(c);
    close(s);
}

static void test_cut_reply(int l, int port) {
    int s;
    redisContext *c = pair(l, port, 0, &s);
    redisReply *r;
    char buf[256];
    SECTION("reply cut short by the peer");
    send(s, "$10\r\nhello", 10, 0);
    close(s);
    r = redisCommand(c, "GET x");
    CHECK(r == NULL && c->err == REDIS_ERR_EOF && strcmp(c->errstr, "Server closed the connection") == 0,
          "%d '%s'", c->err, c->errstr);
    redisFree(c);
    (void)buf;
}

static void test_byte_by_byte(int l, int port) {
    int s, i, ok = 1;
    redisContext *c = pair(l, port, 1, &s);
    const char *stream = "*3\r\n$3\r\nfoo\r\n:42\r\n*2\r\n+in\r\n-ERR nested\r\n+next\r\n";
    void *reply = NULL;
    SECTION("replies split into single bytes");
    for (i = 0; stream[i]; i++) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        send(s, stream + i, 1, 0);
        poll(&p, 1, 1000);
        if (redisBufferRead(c) != REDIS_OK) { ok = 0; break; }
        if (redisGetReply(c, &reply) != REDIS_OK) { ok = 0; break; }
        if (reply != NULL) break;
    }
    CHECK(ok && reply != NULL, "one reply after the last byte of the array");
    if (reply) {
        redisReply *r = reply;
        CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && strcmp(r->element[0]->str, "foo") == 0 &&
              r->element[1]->integer == 42 && r->element[2]->elements == 2 &&
              r->element[2]->element[1]->type == REDIS_REPLY_ERROR, "nested array intact");
        freeReplyObject(reply);
    }
    reply = NULL;
    for (i++; stream[i]; i++) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        send(s, stream + i, 1, 0);
        poll(&p, 1, 1000);
        redisBufferRead(c);
    }
    CHECK(redisGetReply(c, &reply) == REDIS_OK && reply && ((redisReply *)reply)->type == REDIS_REPLY_STATUS &&
          strcmp(((redisReply *)reply)->str, "next") == 0, "the next reply");
    freeReplyObject(reply);
    reply = (void *)1;
    CHECK(redisGetReply(c, &reply) == REDIS_OK && reply == NULL, "then nothing (non-blocking)");
    redisFree(c);
    close(s);
}

int main(void) {
    int port, l;
    signal(SIGPIPE, SIG_IGN);
    l = listener(&port);
    test_partial_writes(l, port);
    test_protocol_error(l, port);
    test_cut_reply(l, port);
    test_byte_by_byte(l, port);
    close(l);
    return tl_done();
}
