/* Connecting: blocking and non-blocking over TCP, IPv6 and unix sockets, the connect error
 * paths with hiredis's exact texts, connect timeouts (against a loopback listener whose accept
 * queue is full), options and flags, and what the context records about its endpoint. */
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* net.h is not installed (as in hiredis); these are its exported functions we exercise,
 * plus the two timeout helpers hiredis exports without declaring them anywhere. */
void redisNetClose(redisContext *c);
ssize_t redisNetRead(redisContext *c, char *buf, size_t bufcap);
ssize_t redisNetWrite(redisContext *c);
int redisCheckSocketError(redisContext *c);
int redisContextSetTimeout(redisContext *c, const struct timeval tv);
int redisContextConnectTcp(redisContext *c, const char *addr, int port, const struct timeval *timeout);
int redisContextConnectBindTcp(redisContext *c, const char *addr, int port, const struct timeval *timeout,
                               const char *source_addr);
int redisContextConnectUnix(redisContext *c, const char *path, const struct timeval *timeout);
int redisKeepAlive(redisContext *c, int interval);
int redisCheckConnectDone(redisContext *c, int *completed);
int redisSetTcpNoDelay(redisContext *c);
int redisContextSetTcpUserTimeout(redisContext *c, unsigned int timeout);
int redisContextUpdateConnectTimeout(redisContext *c, const struct timeval *timeout);
int redisContextUpdateCommandTimeout(redisContext *c, const struct timeval *timeout);

static const char *host;
static int port;
static const char *sock_path;
static const char *tmpdir;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PING on a blocking context; 1 when the answer is PONG. */
static int ping_ok(redisContext *c) {
    const char *argv[] = { "PING" };
    redisReply *r = redisCommandArgv(c, 1, argv, NULL);
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    freeReplyObject(r);
    return ok;
}

/* Drives a non-blocking context through PING with redisBufferWrite/redisBufferRead.
 * Redis's protected mode answers clients from 127.0.0.2 with a DENIED error, which also
 * proves the round trip. */
static int ping_nonblock(redisContext *c) {
    static const char cmd[] = "*1\r\n$4\r\nPING\r\n";
    void *reply = NULL;
    int done = 0, ok;
    struct pollfd pfd;
    if (redisAppendFormattedCommand(c, cmd, strlen(cmd)) != REDIS_OK) return 0;
    while (!done) {
        pfd.fd = c->fd; pfd.events = POLLOUT;
        if (poll(&pfd, 1, 2000) != 1) return 0;
        if (redisBufferWrite(c, &done) != REDIS_OK) return 0;
    }
    while (reply == NULL) {
        pfd.fd = c->fd; pfd.events = POLLIN;
        if (poll(&pfd, 1, 2000) != 1) return 0;
        if (redisBufferRead(c) != REDIS_OK) return 0;
        if (redisGetReply(c, &reply) != REDIS_OK) return 0;
    }
    ok = (((redisReply *)reply)->type == REDIS_REPLY_STATUS && strcmp(((redisReply *)reply)->str, "PONG") == 0) ||
         (((redisReply *)reply)->type == REDIS_REPLY_ERROR && strncmp(((redisReply *)reply)->str, "DENIED", 6) == 0);
    freeReplyObject(reply);
    return ok;
}

/* Waits for a non-blocking connect to finish; returns redisCheckConnectDone's verdict. */
static int wait_connected(redisContext *c) {
    int completed = 0, rc = REDIS_OK;
    long long end = now_ms() + 2000;
    while (now_ms() < end) {
        struct pollfd pfd = { c->fd, POLLOUT, 0 };
        poll(&pfd, 1, 100);
        rc = redisCheckConnectDone(c, &completed);
        if (rc != REDIS_OK || completed) break;
    }
    return rc == REDIS_OK && completed ? REDIS_OK : REDIS_ERR;
}

static int cloexec(int fd) {
    int f = fcntl(fd, F_GETFD);
    return f != -1 && (f & FD_CLOEXEC);
}

static int nonblocking(int fd) {
    int f = fcntl(fd, F_GETFL);
    return f != -1 && (f & O_NONBLOCK);
}

static int nodelay(int fd) {
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l);
    return v != 0;
}

static int privdata_frees;
static void count_free(void *p) { privdata_frees++; (void)p; }
static void my_push(void *privdata, void *reply) { (void)privdata; freeReplyObject(reply); }

static void test_tcp_blocking(void) {
    redisContext *c;
    struct timeval tv = { 1, 500000 };
    SECTION("blocking TCP");
    c = redisConnect(host, port);
    CHECK(c != NULL && c->err == 0, "redisConnect: %s", c ? c->errstr : "NULL");
    CHECK(c->fd >= 0, "fd %d", c->fd);
    CHECK(c->flags == (REDIS_BLOCK | REDIS_CONNECTED), "flags %#x", c->flags);
    CHECK(c->connection_type == REDIS_CONN_TCP, "type %d", (int)c->connection_type);
    CHECK(c->tcp.host && strcmp(c->tcp.host, host) == 0 && c->tcp.host != host, "host copy");
    CHECK(c->tcp.port == port && c->tcp.source_addr == NULL, "port/source");
    CHECK(c->connect_timeout == NULL && c->command_timeout == NULL, "no timeouts");
    CHECK(c->saddr != NULL && c->addrlen == sizeof(struct sockaddr_in) && c->saddr->sa_family == AF_INET,
          "saddr family %d len %zu", c->saddr ? c->saddr->sa_family : -1, c->addrlen);
    CHECK(ntohs(((struct sockaddr_in *)c->saddr)->sin_port) == port, "saddr port");
    CHECK(!nonblocking(c->fd), "socket is blocking again");
    CHECK(nodelay(c->fd), "TCP_NODELAY after a waited connect");
    CHECK(!cloexec(c->fd), "no CLOEXEC without the option");
    CHECK(c->funcs != NULL && c->funcs->read != NULL && c->funcs->write != NULL &&
          c->funcs->close == redisNetClose && c->funcs->free_privctx == NULL, "default funcs");
    CHECK(c->obuf != NULL && sdslen(c->obuf) == 0, "empty obuf");
    CHECK(c->reader != NULL && c->reader->maxbuf == REDIS_READER_MAX_BUF, "reader");
    CHECK(c->push_cb != NULL, "default push handler (test #90)");
    CHECK(ping_ok(c), "PING");
    redisFree(c);

    c = redisConnectWithTimeout("localhost", port, tv);
    CHECK(c && c->err == 0, "localhost resolves: %s", c->errstr);
    CHECK(c->connect_timeout != NULL && c->connect_timeout != &tv &&
          c->connect_timeout->tv_sec == 1 && c->connect_timeout->tv_usec == 500000, "connect timeout copy");
    CHECK(ping_ok(c), "PING via localhost");
    redisFree(c);

    c = redisConnect(NULL, port); /* hiredis hands the NULL host to getaddrinfo: loopback */
    CHECK(c && c->err == 0 && c->tcp.host == NULL, "NULL host means loopback: '%s'", c->errstr);
    CHECK(ping_ok(c), "PING via a NULL host");
    redisFree(c);
    redisFree(NULL); /* #72 */
}

static void test_tcp_errors(void) {
    redisContext *c;
    struct timeval tv = { 0, 10000001 };
    SECTION("TCP errors");
    c = redisConnect("127.0.0.1", 1);
    CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection refused") == 0,
          "refused: %d '%s'", c->err, c->errstr);
    CHECK(!(c->flags & REDIS_CONNECTED), "not connected");
    CHECK(c->fd >= 0, "hiredis leaves the fd of a refused connect open (%d)", c->fd);
    redisFree(c);

    {   /* #70: connect + command timeouts keep the connect error */
        struct timeval t1 = { 0, 100000 };
        redisOptions o = {0};
        REDIS_OPTIONS_SET_TCP(&o, "127.0.0.1", 1);
        o.connect_timeout = &t1;
        o.command_timeout = &t1;
        c = redisConnectWithOptions(&o);
        CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection refused") == 0,
              "refused with timeouts: '%s'", c->errstr);
        CHECK(c->command_timeout && c->command_timeout->tv_usec == 100000, "command timeout stored");
        redisFree(c);
    }

    c = redisConnectWithTimeout(host, port, tv);
    CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Invalid timeout specified") == 0,
          "usec too large: '%s'", c->errstr);
    CHECK(c->fd == -1, "no socket for an invalid timeout");
    redisFree(c);
    tv.tv_sec = (LONG_MAX - 999) / 1000 + 1;
    tv.tv_usec = 0;
    c = redisConnectWithTimeout(host, port, tv);
    CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Invalid timeout specified") == 0,
          "sec too large: '%s'", c->errstr);
    redisFree(c);
    tv.tv_sec = (LONG_MAX - 999) / 1000;
    c = redisConnectWithTimeout(host, port, tv);
    CHECK(c && c->err == 0 && ping_ok(c), "largest valid timeout (clamped): '%s'", c->errstr);
    redisFree(c);

    c = redisConnect("idontexist.invalid", port);
    CHECK(c && c->err == REDIS_ERR_OTHER && c->errstr[0] != '\0', "unresolvable: %d '%s'", c->err, c->errstr);
    printf("   (resolver says: %s)\n", c->errstr);
    redisFree(c);

    c = redisConnectBindNonBlock(host, port, "192.0.2.1");
    CHECK(c && c->err == REDIS_ERR_OTHER &&
          strcmp(c->errstr, "Can't bind socket: Cannot assign requested address") == 0,
          "bind to a foreign address: %d '%s'", c->err, c->errstr);
    redisFree(c);
}

static void test_tcp_nonblock(void) {
    redisContext *c;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    SECTION("non-blocking TCP");
    c = redisConnectNonBlock(host, port);
    CHECK(c && c->err == 0, "nonblock: '%s'", c->errstr);
    CHECK(c->flags == REDIS_CONNECTED, "flags %#x (no BLOCK)", c->flags);
    CHECK(nonblocking(c->fd), "socket stays non-blocking");
    CHECK(wait_connected(c) == REDIS_OK, "redisCheckConnectDone completes");
    CHECK(!nodelay(c->fd), "no TCP_NODELAY after a non-blocking connect (hiredis)");
    CHECK(redisCommand(c, "PING") == NULL, "redisCommand returns NULL when non-blocking");
    CHECK(sdslen(c->obuf) == 14, "but appended the command (%zu)", sdslen(c->obuf));
    {
        void *r = NULL;
        CHECK(redisGetReply(c, &r) == REDIS_OK && r == NULL, "nothing buffered yet");
    }
    sdsclear(c->obuf);
    CHECK(ping_nonblock(c), "PING non-blocking");
    redisFree(c);

    c = redisConnectBindNonBlock(host, port, "127.0.0.2");
    CHECK(c && c->err == 0, "bind 127.0.0.2: '%s'", c->errstr);
    CHECK(c->tcp.source_addr && strcmp(c->tcp.source_addr, "127.0.0.2") == 0, "source recorded");
    CHECK(getsockname(c->fd, (struct sockaddr *)&sin, &sl) == 0 &&
          sin.sin_addr.s_addr == htonl(0x7f000002), "bound to 127.0.0.2");
    CHECK(wait_connected(c) == REDIS_OK && ping_nonblock(c), "PING from 127.0.0.2");
    redisFree(c);

    c = redisConnectBindNonBlockWithReuse(host, port, "127.0.0.3");
    CHECK(c && c->err == 0 && (c->flags & REDIS_REUSEADDR), "reuse flag: '%s'", c->errstr);
    CHECK(!cloexec(c->fd), "REUSEADDR does not imply CLOEXEC (deliberate difference)");
    {
        int v = 0; socklen_t l = sizeof v;
        getsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &v, &l);
        CHECK(v != 0, "SO_REUSEADDR on the bound socket");
    }
    CHECK(wait_connected(c) == REDIS_OK && ping_nonblock(c), "PING with reuse");
    redisFree(c);

    c = redisConnectNonBlock("127.0.0.1", 1);
    CHECK(c && c->err == 0 && (c->flags & REDIS_CONNECTED), "refused is not known yet: '%s'", c->errstr);
    {
        int completed = 0, rc;
        struct pollfd pfd = { c->fd, POLLOUT, 0 };
        poll(&pfd, 1, 1000);
        rc = redisCheckConnectDone(c, &completed);
        CHECK(rc == REDIS_ERR && errno == ECONNREFUSED, "redisCheckConnectDone fails (rc %d errno %d)", rc, errno);
        CHECK(redisCheckSocketError(c) == REDIS_ERR && c->err == REDIS_ERR_IO &&
              strcmp(c->errstr, "Connection refused") == 0, "redisCheckSocketError: '%s'", c->errstr);
    }
    redisFree(c);
}

static void test_ipv6(void) {
    redisContext *c;
    redisOptions o = {0};
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a;
    SECTION("IPv6");
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("   NOTE: ::1 unavailable here, IPv6 tests skipped\n");
        if (s >= 0) close(s);
        return;
    }
    close(s);
    c = redisConnect("::1", port);
    CHECK(c && c->err == 0, "::1 (after the AF_INET lookup fails): '%s'", c->errstr);
    CHECK(c->saddr && c->saddr->sa_family == AF_INET6 && c->addrlen == sizeof(struct sockaddr_in6), "saddr v6");
    CHECK(ping_ok(c), "PING over IPv6");
    redisFree(c);

    REDIS_OPTIONS_SET_TCP(&o, "localhost", port);
    o.options = REDIS_OPT_PREFER_IPV6;
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && (c->flags & REDIS_PREFER_IPV6), "prefer v6: '%s'", c->errstr);
    CHECK(c->saddr && (c->saddr->sa_family == AF_INET6 || c->saddr->sa_family == AF_INET),
          "localhost as ::1 (or 127.0.0.1 when /etc/hosts lacks ::1 localhost)");
    CHECK(ping_ok(c), "PING");
    redisFree(c);

    o.options = REDIS_OPT_PREFER_IP_UNSPEC;
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && (c->flags & (REDIS_PREFER_IPV4 | REDIS_PREFER_IPV6)) ==
          (REDIS_PREFER_IPV4 | REDIS_PREFER_IPV6), "unspec: '%s'", c->errstr);
    CHECK(ping_ok(c), "PING (either family)");
    redisFree(c);

    o.options = REDIS_OPT_PREFER_IPV4;
    REDIS_OPTIONS_SET_TCP(&o, "::1", port);
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && c->saddr->sa_family == AF_INET6, "v4 preferred, v6 literal still works");
    redisFree(c);
}

static void test_unix(void) {
    redisContext *c;
    struct timeval tv = { 0, 10000001 };
    char path[512];
    SECTION("unix sockets");
    c = redisConnectUnix(sock_path);
    CHECK(c && c->err == 0, "unix: '%s'", c->errstr);
    CHECK(c->connection_type == REDIS_CONN_UNIX && strcmp(c->unix_sock.path, sock_path) == 0 &&
          c->unix_sock.path != sock_path, "path copy");
    CHECK(c->saddr && c->saddr->sa_family == AF_UNIX && c->addrlen == sizeof(struct sockaddr_un), "saddr");
    CHECK(c->flags == (REDIS_BLOCK | REDIS_CONNECTED) && !nonblocking(c->fd), "blocking");
    CHECK(ping_ok(c), "PING over unix");
    redisFree(c);

    tv.tv_sec = 1; tv.tv_usec = 0;
    c = redisConnectUnixWithTimeout(sock_path, tv);
    CHECK(c && c->err == 0 && c->connect_timeout && c->connect_timeout->tv_sec == 1, "unix with timeout");
    CHECK(ping_ok(c), "PING");
    redisFree(c);

    tv.tv_sec = 0; tv.tv_usec = 10000001;
    c = redisConnectUnixWithTimeout(sock_path, tv);
    CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Invalid timeout specified") == 0, "unix bad timeout");
    redisFree(c);

    c = redisConnectUnixNonBlock(sock_path);
    CHECK(c && c->err == 0 && c->flags == REDIS_CONNECTED && nonblocking(c->fd), "unix nonblock: '%s'", c->errstr);
    CHECK(ping_nonblock(c), "PING non-blocking over unix");
    redisFree(c);

    snprintf(path, sizeof path, "%s/no/such/socket", tmpdir);
    c = redisConnectUnix(path);
    CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "No such file or directory") == 0,
          "missing path: %d '%s'", c->err, c->errstr);
    CHECK(c->fd == -1, "fd closed");
    redisFree(c);

    {   /* bound but not listening */
        struct sockaddr_un sa;
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/deaf.sock", tmpdir);
        bind(s, (struct sockaddr *)&sa, sizeof sa);
        c = redisConnectUnix(sa.sun_path);
        CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection refused") == 0,
              "no listener: '%s'", c->errstr);
        redisFree(c);
        close(s);
        unlink(sa.sun_path);
    }

    {   /* paths longer than sun_path are truncated to 107 bytes */
        size_t base = strlen(tmpdir) + 1;
        if (base < 100) {
            struct sockaddr_un sa;
            char longp[300];
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            memset(&sa, 0, sizeof sa);
            sa.sun_family = AF_UNIX;
            snprintf(sa.sun_path, sizeof sa.sun_path, "%s/", tmpdir);
            memset(sa.sun_path + base, 'x', 107 - base);
            bind(s, (struct sockaddr *)&sa, sizeof sa);
            listen(s, 4);
            snprintf(longp, sizeof longp, "%s-and-then-some-more", sa.sun_path);
            c = redisConnectUnix(longp);
            CHECK(c && c->err == 0, "truncated path connects: '%s'", c->errstr);
            CHECK(c->unix_sock.path && strcmp(c->unix_sock.path, longp) == 0, "full path recorded");
            redisFree(c);
            close(s);
            unlink(sa.sun_path);
        } else {
            printf("   NOTE: TEST_TMPDIR too long for the truncation test\n");
        }
    }
}

/* A loopback listener with backlog 0 whose accept queue is filled until connects hang. */
static void test_connect_timeout(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0), fillers[64], nf = 0, hanging = 0;
    SECTION("connect timeout");
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 0);
    getsockname(l, (struct sockaddr *)&a, &al);
    while (nf < 64 && !hanging) {
        struct pollfd pfd;
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(s, (struct sockaddr *)&a, sizeof a);
        fillers[nf++] = s;
        pfd.fd = s; pfd.events = POLLOUT; pfd.revents = 0;
        if (poll(&pfd, 1, 100) == 0) hanging = 1;
    }
    if (!hanging) {
        printf("   NOTE: could not fill the accept queue; connect-timeout test skipped\n");
    } else {
        char ip[32];
        struct timeval tv = { 0, 200000 };
        long long t0, dt;
        redisContext *c;
        snprintf(ip, sizeof ip, "127.0.0.1");
        t0 = now_ms();
        c = redisConnectWithTimeout(ip, ntohs(a.sin_port), tv);
        dt = now_ms() - t0;
        CHECK(c && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection timed out") == 0,
              "timed out: %d '%s'", c->err, c->errstr);
        CHECK(c->fd == -1, "fd closed after a timeout");
        CHECK(dt >= 190 && dt < 1500, "took %lld ms for a 200 ms timeout", dt);
        redisFree(c);

        c = redisConnectNonBlock(ip, ntohs(a.sin_port));
        CHECK(c && c->err == 0 && (c->flags & REDIS_CONNECTED), "non-blocking connect returns at once");
        {
            int completed = -1;
            CHECK(redisCheckConnectDone(c, &completed) == REDIS_OK && completed == 0, "still in progress");
        }
        redisFree(c);
    }
    while (nf > 0) close(fillers[--nf]);
    close(l);
}

static void test_options(void) {
    redisOptions o = {0};
    redisContext *c;
    struct timeval ct = { 2, 0 }, cmd = { 1, 250000 };
    SECTION("options");
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.options = REDIS_OPT_SET_SOCK_CLOEXEC;
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && cloexec(c->fd), "SET_SOCK_CLOEXEC gives FD_CLOEXEC");
    CHECK(!(c->flags & REDIS_REUSEADDR), "SET_SOCK_CLOEXEC does not set REDIS_REUSEADDR (deliberate difference)");
    CHECK(ping_ok(c), "PING");
    redisFree(c);

    REDIS_OPTIONS_SET_UNIX(&o, sock_path);
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && cloexec(c->fd), "CLOEXEC on unix sockets too");
    redisFree(c);

    memset(&o, 0, sizeof o); /* endpoint is a union: the unix path would become source_addr */
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.options = REDIS_OPT_NOAUTOFREE | REDIS_OPT_NOAUTOFREEREPLIES | REDIS_OPT_NO_PUSH_AUTOFREE | REDIS_OPT_REUSEADDR;
    o.connect_timeout = &ct;
    o.command_timeout = &cmd;
    REDIS_OPTIONS_SET_PRIVDATA(&o, &privdata_frees, count_free);
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0, "options: '%s'", c->errstr);
    CHECK(c->flags == (REDIS_BLOCK | REDIS_CONNECTED | REDIS_NO_AUTO_FREE | REDIS_NO_AUTO_FREE_REPLIES | REDIS_REUSEADDR),
          "flags %#x", c->flags);
    CHECK(!cloexec(c->fd), "REUSEADDR alone: no CLOEXEC");
    CHECK(c->push_cb == NULL, "NO_PUSH_AUTOFREE leaves push_cb NULL (#92)");
    CHECK(c->privdata == &privdata_frees && c->free_privdata == count_free, "privdata (#95)");
    CHECK(c->connect_timeout && c->connect_timeout != &ct && c->connect_timeout->tv_sec == 2, "connect timeout");
    CHECK(c->command_timeout && c->command_timeout != &cmd && c->command_timeout->tv_usec == 250000, "command timeout");
    {
        struct timeval got = {0};
        socklen_t l = sizeof got;
        getsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
        /* the kernel rounds to its clock tick */
        CHECK(got.tv_sec == 1 && got.tv_usec >= 240000 && got.tv_usec <= 260000, "SO_RCVTIMEO applied (%ld.%06ld)", (long)got.tv_sec, (long)got.tv_usec);
    }
    CHECK(ping_ok(c), "PING");
    privdata_frees = 0;
    redisFree(c);
    CHECK(privdata_frees == 1, "destructor ran once (#96): %d", privdata_frees);

    memset(&o, 0, sizeof o);
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.push_cb = my_push;
    c = redisConnectWithOptions(&o);
    CHECK(c && c->push_cb == my_push, "push_cb from options (#93)");
    CHECK(redisSetPushCallback(c, NULL) == my_push && c->push_cb == NULL, "redisSetPushCallback returns the old one");
    redisFree(c);

    memset(&o, 0, sizeof o);
    o.options = REDIS_OPT_NONBLOCK;
    o.command_timeout = &cmd;
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && c->command_timeout, "nonblock keeps the command timeout value");
    {
        struct timeval got = {9, 9};
        socklen_t l = sizeof got;
        getsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
        CHECK(got.tv_sec == 0 && got.tv_usec == 0, "but does not apply it to the socket");
    }
    CHECK(redisSetTimeout(c, cmd) == REDIS_ERR && c->err == 0, "redisSetTimeout refuses non-blocking contexts");
    redisFree(c);

    memset(&o, 0, sizeof o);
    o.type = 42;
    CHECK(redisConnectWithOptions(&o) == NULL, "unknown connection type gives NULL");
}

static void test_net_functions(void) {
    redisContext *c = redisConnectNonBlock(host, port);
    struct timeval tv = { 3, 0 }, *kept;
    char buf[64];
    ssize_t n;
    int done = 0;
    SECTION("net.h functions called directly");
    CHECK(c && c->err == 0 && wait_connected(c) == REDIS_OK, "non-blocking context");
    CHECK(!nodelay(c->fd) && redisSetTcpNoDelay(c) == REDIS_OK && nodelay(c->fd), "redisSetTcpNoDelay");
    redisAppendFormattedCommand(c, "*1\r\n$4\r\nPING\r\n", 14);
    n = redisNetWrite(c);
    CHECK(n == 14, "redisNetWrite sent %zd", n);
    sdsclear(c->obuf);
    {
        struct pollfd pfd = { c->fd, POLLIN, 0 };
        poll(&pfd, 1, 2000);
    }
    n = redisNetRead(c, buf, sizeof buf);
    CHECK(n == 7 && memcmp(buf, "+PONG\r\n", 7) == 0, "redisNetRead got %zd", n);
    n = redisNetRead(c, buf, sizeof buf);
    CHECK(n == 0 && c->err == 0, "nothing more: 0 on a non-blocking socket (EAGAIN)");
    CHECK(redisKeepAlive(c, 10) == REDIS_OK && redisContextSetTcpUserTimeout(c, 500) == REDIS_OK, "keepalive, user timeout");

    CHECK(redisContextUpdateCommandTimeout(c, &tv) == REDIS_OK && c->command_timeout && c->command_timeout != &tv &&
          c->command_timeout->tv_sec == 3, "redisContextUpdateCommandTimeout copies");
    kept = c->command_timeout;
    tv.tv_sec = 4;
    CHECK(redisContextUpdateCommandTimeout(c, &tv) == REDIS_OK && c->command_timeout == kept && kept->tv_sec == 4,
          "and reuses its copy");
    CHECK(redisContextUpdateCommandTimeout(c, kept) == REDIS_OK && kept->tv_sec == 4, "its own copy is a no-op");
    CHECK(redisContextUpdateConnectTimeout(c, &tv) == REDIS_OK && c->connect_timeout && c->connect_timeout->tv_sec == 4,
          "redisContextUpdateConnectTimeout");
    CHECK(redisContextSetTimeout(c, tv) == REDIS_OK, "redisContextSetTimeout (any context)");
    {
        struct timeval got = {0};
        socklen_t l = sizeof got;
        getsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &got, &l);
        CHECK(got.tv_sec == 4, "SO_SNDTIMEO %ld", (long)got.tv_sec);
    }

    redisNetClose(c);
    CHECK(c->fd == -1, "redisNetClose");
    redisNetClose(c); /* twice is fine */
    c->flags |= REDIS_BLOCK;
    CHECK(redisContextConnectUnix(c, sock_path, NULL) == REDIS_OK && c->connection_type == REDIS_CONN_UNIX &&
          c->connect_timeout == NULL && !nonblocking(c->fd), "redisContextConnectUnix (clears the connect timeout)");
    CHECK(ping_ok(c), "PING over the new unix socket");
    redisNetClose(c);
    CHECK(redisContextConnectBindTcp(c, host, port, &tv, "127.0.0.1") == REDIS_OK && c->connection_type == REDIS_CONN_TCP &&
          c->tcp.source_addr && strcmp(c->tcp.source_addr, "127.0.0.1") == 0 && c->connect_timeout->tv_sec == 4,
          "redisContextConnectBindTcp: '%s'", c->errstr);
    CHECK(ping_ok(c), "PING over the bound TCP socket");
    redisNetClose(c);
    CHECK(redisContextConnectTcp(c, host, port, NULL) == REDIS_OK && c->tcp.source_addr == NULL, "redisContextConnectTcp");
    CHECK(redisBufferWrite(c, &done) == REDIS_OK && done && ping_ok(c), "PING");
    {
        /* The stored host passed back in (as hiredis's own reconnect does) keeps its block. */
        char *stored = c->tcp.host;
        redisNetClose(c);
        CHECK(redisContextConnectTcp(c, c->tcp.host, port, NULL) == REDIS_OK && c->tcp.host == stored &&
                  strcmp(stored, host) == 0 && ping_ok(c),
              "redisContextConnectTcp with the stored host keeps it");
    }
    redisFree(c);
}

int main(void) {
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    sock_path = tl_env("REDIS_SOCK", "/tmp/redis.sock");
    tmpdir = tl_env("TEST_TMPDIR", "/tmp");
    signal(SIGPIPE, SIG_IGN);

    test_tcp_blocking();
    test_tcp_errors();
    test_tcp_nonblock();
    test_ipv6();
    test_unix();
    test_connect_timeout();
    test_options();
    test_net_functions();
    return tl_done();
}
