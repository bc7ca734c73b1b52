/* Connection care on a live server: command timeouts (#97-#99), reconnecting with owned
 * parameters (#100), I/O errors (#101/#102), the server killed and restarted under a live
 * context, redisFreeKeepFd + redisConnectFd, keepalive and TCP_USER_TIMEOUT (#106/#107,
 * #140/#141), and the exported internals __redisSetError/__redisAppendCommand. */
#include <hiredis/hiredis.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* Exported by hiredis (and us) but declared in no installed header. */
void __redisSetError(redisContext *c, int type, const char *str);
int __redisAppendCommand(redisContext *c, const char *cmd, size_t len);

extern char **environ;

static const char *host;
static int port;
static const char *sock_path;
static const char *conf;
static const char *pidfile;

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static redisContext *connect_to(int unix_sock) {
    redisContext *c = unix_sock ? redisConnectUnix(sock_path) : redisConnect(host, port);
    if (c == NULL || c->err) {
        printf("connect failed: %s\n", c ? c->errstr : "NULL");
        exit(1);
    }
    return c;
}

static int pong(redisReply *r) {
    return r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
}

static int ping_ok(redisContext *c) {
    redisReply *r = redisCommand(c, "PING");
    int ok = pong(r);
    freeReplyObject(r);
    return ok;
}

static void test_timeouts(int unix_sock) {
    redisContext *c;
    redisReply *r;
    /* 200 ms: room for a loaded machine's scheduling, far below the server's 1 s sleep. */
    struct timeval tv = { 0, 200000 };
    const char *sleep_cmd = "DEBUG SLEEP 1\r\n";
    char hostbuf[64], pathbuf[256];
    ssize_t s;
    SECTION(unix_sock ? "command timeouts (unix)" : "command timeouts (tcp)");

    c = connect_to(unix_sock);
    freeReplyObject(redisCommand(c, "SET foo fast"));
    CHECK(redisSetTimeout(c, tv) == REDIS_OK, "redisSetTimeout");
    CHECK(c->command_timeout && c->command_timeout->tv_usec == 200000, "command timeout stored");
    r = redisCommand(c, "GET foo");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "fast") == 0, "#97 fast command within 200 ms");
    freeReplyObject(r);
    redisFree(c);

    /* #98: the server sleeps 1 s, a 200 ms receive timeout fires */
    c = connect_to(unix_sock);
    redisAppendFormattedCommand(c, sleep_cmd, strlen(sleep_cmd));
    s = c->funcs->write(c);
    CHECK(s == (ssize_t)sdslen(c->obuf), "funcs->write flushed %zd bytes", s);
    sdsfree(c->obuf);
    c->obuf = sdsempty();
    redisSetTimeout(c, tv);
    errno = 0;
    r = redisCommand(c, "GET foo");
    CHECK(r == NULL && c->err == REDIS_ERR_IO && strcmp(c->errstr, "Resource temporarily unavailable") == 0 &&
          errno == EAGAIN, "#98 timeout: %d '%s' errno %d", c->err, c->errstr, errno);
    freeReplyObject(r);
    sleep_ms(1100);

    /* #99 reconnect after a timeout (the 200 ms timeout is re-applied) */
    CHECK(redisReconnect(c) == REDIS_OK && c->err == 0 && c->errstr[0] == '\0', "#99 reconnect: '%s'", c->errstr);
    {
        struct timeval got = {0};
        socklen_t l = sizeof got;
        getsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
        CHECK(got.tv_sec == 0 && got.tv_usec >= 190000 && got.tv_usec < 210000, "command timeout re-applied (%ld us)", (long)got.tv_usec);
    }
    CHECK(sdslen(c->obuf) == 0 && c->reader->len == 0, "fresh obuf and reader");
    CHECK(ping_ok(c), "#99 PING after reconnect");

    /* #100: the context owns its copies of host and path */
    if (unix_sock) {
        redisFree(c);
        snprintf(pathbuf, sizeof pathbuf, "%s", sock_path);
        c = redisConnectUnix(pathbuf);
        strcpy(pathbuf, "foo");
    } else {
        redisFree(c);
        snprintf(hostbuf, sizeof hostbuf, "%s", host);
        c = redisConnect(hostbuf, port);
        strcpy(hostbuf, "foo");
    }
    CHECK(redisReconnect(c) == REDIS_OK && ping_ok(c), "#100 reconnect with owned parameters: '%s'", c->errstr);

    /* pending output and reader settings are dropped by a reconnect */
    redisAppendCommand(c, "SET lost 1");
    c->reader->maxbuf = 7;
    CHECK(redisReconnect(c) == REDIS_OK && sdslen(c->obuf) == 0 && c->reader->maxbuf == REDIS_READER_MAX_BUF,
          "reconnect resets obuf and reader");
    r = redisCommand(c, "EXISTS lost");
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0, "the pending SET never ran");
    freeReplyObject(r);
    redisFree(c);
}

static void test_io_errors(int unix_sock) {
    redisContext *c;
    redisReply *r;
    void *reply = NULL;
    struct timeval tv = { 0, 1000 };
    SECTION(unix_sock ? "I/O errors (unix)" : "I/O errors (tcp)");
    c = connect_to(unix_sock);
    r = redisCommand(c, "QUIT");
    CHECK(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0, "QUIT");
    freeReplyObject(r);
    CHECK(redisGetReply(c, &reply) == REDIS_ERR && c->err == REDIS_ERR_EOF &&
          strcmp(c->errstr, "Server closed the connection") == 0, "#101 EOF: %d '%s'", c->err, c->errstr);
    CHECK(redisBufferRead(c) == REDIS_ERR, "further reads refused");
    redisFree(c);

    c = connect_to(unix_sock);
    redisSetTimeout(c, tv);
    errno = 0;
    CHECK(redisGetReply(c, &reply) == REDIS_ERR && c->err == REDIS_ERR_IO && errno == EAGAIN,
          "#102 socket timeout with nothing outstanding: %d '%s'", c->err, c->errstr);
    redisFree(c);
}

static pid_t spawned;
static void stop_spawned(void) {
    if (spawned > 0) {
        kill(spawned, SIGTERM);
        waitpid(spawned, NULL, 0);
    }
}

static pid_t start_server(void) {
    pid_t pid;
    char *argv[5];
    argv[0] = (char *)"redis-server";
    argv[1] = (char *)conf;
    argv[2] = (char *)"--daemonize";
    argv[3] = (char *)"no";
    argv[4] = NULL;
    if (posix_spawnp(&pid, "redis-server", NULL, NULL, argv, environ) != 0) return -1;
    return pid;
}

static pid_t read_pidfile(void) {
    FILE *f = fopen(pidfile, "r");
    long p = -1;
    if (f) {
        if (fscanf(f, "%ld", &p) != 1) p = -1;
        fclose(f);
    }
    return (pid_t)p;
}

static void test_server_restart(void) {
    redisContext *tcp, *ux, *probe;
    redisReply *r;
    pid_t old = read_pidfile(), mine;
    int i, up = 0;
    SECTION("server killed and restarted under live contexts");
    if (old <= 0) {
        printf("   NOTE: no pidfile (%s); restart test skipped\n", pidfile);
        return;
    }
    tcp = connect_to(0);
    ux = connect_to(1);
    CHECK(ping_ok(tcp) && ping_ok(ux), "both live");
    CHECK(kill(old, SIGTERM) == 0, "killed the server");
    for (i = 0; i < 200; i++) { /* wait until it is gone */
        probe = redisConnect(host, port);
        int gone = probe->err != 0;
        redisFree(probe);
        if (gone) break;
        sleep_ms(25);
    }
    r = redisCommand(tcp, "PING");
    CHECK(r == NULL && (tcp->err == REDIS_ERR_EOF || tcp->err == REDIS_ERR_IO), "tcp: %d '%s'", tcp->err, tcp->errstr);
    r = redisCommand(ux, "PING");
    CHECK(r == NULL && (ux->err == REDIS_ERR_EOF || ux->err == REDIS_ERR_IO), "unix: %d '%s'", ux->err, ux->errstr);
    CHECK(redisReconnect(tcp) == REDIS_ERR && tcp->err == REDIS_ERR_IO &&
          strcmp(tcp->errstr, "Connection refused") == 0, "reconnect while down: '%s'", tcp->errstr);

    /* The restarted server is ours: it serves the rest of this program and is stopped at exit
     * (the harness also stops whatever pid the pidfile names). */
    mine = start_server();
    spawned = mine;
    CHECK(mine > 0, "restarted redis-server");
    for (i = 0; i < 200 && !up; i++) {
        sleep_ms(25);
        probe = redisConnectUnix(sock_path);
        if (probe->err == 0) {
            r = redisCommand(probe, "PING");
            up = pong(r);
            freeReplyObject(r);
        }
        redisFree(probe);
    }
    CHECK(up, "server back");
    CHECK(redisReconnect(tcp) == REDIS_OK && tcp->err == 0 && ping_ok(tcp), "tcp reconnected: '%s'", tcp->errstr);
    CHECK(redisReconnect(ux) == REDIS_OK && ux->err == 0 && ping_ok(ux), "unix reconnected: '%s'", ux->errstr);
    redisFree(tcp);
    redisFree(ux);
}

static void test_keep_fd(int unix_sock) {
    redisContext *c = connect_to(unix_sock), *d;
    int fd, flags;
    SECTION(unix_sock ? "redisFreeKeepFd + redisConnectFd (unix)" : "redisFreeKeepFd + redisConnectFd (tcp)");
    freeReplyObject(redisCommand(c, "SET inherited yes"));
    flags = fcntl(c->fd, F_GETFL);
    fd = redisFreeKeepFd(c);
    CHECK(fd >= 0 && fcntl(fd, F_GETFL) == flags, "fd %d still open, mode unchanged", fd);
    d = redisConnectFd(fd);
    CHECK(d && d->err == 0 && d->fd == fd, "redisConnectFd");
    CHECK(d->flags == (REDIS_BLOCK | REDIS_CONNECTED) && d->connection_type == REDIS_CONN_TCP,
          "USERFD contexts: flags %#x, connection_type stays TCP (%d)", d->flags, (int)d->connection_type);
    CHECK(d->tcp.host == NULL && d->unix_sock.path == NULL && d->saddr == NULL, "no endpoint recorded");
    {
        redisReply *r = redisCommand(d, "GET inherited");
        CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "yes") == 0, "commands on the inherited fd");
        freeReplyObject(r);
    }
    CHECK(ping_ok(d), "PING");
    redisFree(d);
    CHECK(fcntl(fd, F_GETFL) == -1 && errno == EBADF, "redisFree closed the inherited fd");

    /* A USERFD context records no endpoint: hiredis reconnects it as TCP to a NULL host,
     * which getaddrinfo resolves to loopback port 0. */
    c = connect_to(unix_sock);
    d = redisConnectFd(redisFreeKeepFd(c));
    CHECK(redisReconnect(d) == REDIS_ERR && d->err == REDIS_ERR_IO && strcmp(d->errstr, "Connection refused") == 0,
          "reconnecting an fd context: %d '%s'", d->err, d->errstr);
    redisFree(d);
}

static void test_socket_options(void) {
    redisContext *c;
    int v;
    socklen_t l = sizeof v;
    unsigned int ut = 0;
    SECTION("keepalive and TCP_USER_TIMEOUT");
    c = connect_to(0);
    CHECK(redisEnableKeepAlive(c) == REDIS_OK && c->err == 0, "#106 keepalive");
    getsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &v, &l);
    CHECK(v == 1, "SO_KEEPALIVE");
    getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l);
    CHECK(v == REDIS_KEEPALIVE_INTERVAL, "TCP_KEEPIDLE %d", v);
    getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &l);
    CHECK(v == REDIS_KEEPALIVE_INTERVAL / 3, "TCP_KEEPINTVL %d", v);
    getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &l);
    CHECK(v == 3, "TCP_KEEPCNT %d", v);
    CHECK(redisEnableKeepAliveWithInterval(c, 2) == REDIS_OK, "interval 2");
    getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l);
    CHECK(v == 2, "idle 2");
    getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &l);
    CHECK(v == 1, "interval/3 rounds up to 1");
    CHECK(redisEnableKeepAliveWithInterval(c, -5) == REDIS_ERR && c->err == REDIS_ERR_OTHER &&
          strcmp(c->errstr, "Invalid argument") == 0, "negative interval: %d '%s'", c->err, c->errstr);
    c->err = 0;
    c->errstr[0] = '\0';
    CHECK(redisSetTcpUserTimeout(c, 100) == REDIS_OK, "#107 TCP_USER_TIMEOUT");
    l = sizeof ut;
    getsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, &l);
    CHECK(ut == 100, "TCP_USER_TIMEOUT %u", ut);
    CHECK(ping_ok(c), "still usable");
    redisFree(c);

    c = connect_to(1);
    CHECK(redisEnableKeepAlive(c) == REDIS_ERR && c->err == 0, "#140 keepalive on unix: ERR without an error");
    CHECK(ping_ok(c), "#141 unix connection still usable");
    CHECK(redisSetTcpUserTimeout(c, 100) == REDIS_ERR && c->err == REDIS_ERR_IO &&
          strcmp(c->errstr, "setsockopt(TCP_USER_TIMEOUT): Operation not supported") == 0,
          "TCP_USER_TIMEOUT on unix: %d '%s'", c->err, c->errstr);
    CHECK(c->fd == -1, "and the fd is closed, as in hiredis");
    redisFree(c);
}

static void test_internals(void) {
    redisContext *c = connect_to(0);
    char longmsg[300];
    const char *cmd = "*1\r\n$4\r\nPING\r\n";
    void *reply = NULL;
    SECTION("__redisSetError / __redisAppendCommand");
    CHECK(__redisAppendCommand(c, cmd, strlen(cmd)) == REDIS_OK && sdslen(c->obuf) == strlen(cmd), "append raw");
    CHECK(redisGetReply(c, &reply) == REDIS_OK && pong(reply), "raw command answered");
    freeReplyObject(reply);
    errno = ECONNRESET;
    __redisSetError(c, REDIS_ERR_IO, NULL);
    CHECK(c->err == REDIS_ERR_IO && strcmp(c->errstr, "Connection reset by peer") == 0, "NULL text takes errno: '%s'", c->errstr);
    memset(longmsg, 'y', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    __redisSetError(c, REDIS_ERR_OTHER, longmsg);
    CHECK(c->err == REDIS_ERR_OTHER && strlen(c->errstr) == 127 && c->errstr[0] == 'y', "capped at 127 bytes");
    CHECK(redisCommand(c, "PING") == NULL, "an error set from outside is sticky");
    redisFree(c);
}

int main(void) {
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    sock_path = tl_env("REDIS_SOCK", "/tmp/redis.sock");
    conf = tl_env("REDIS_CONF", "");
    pidfile = tl_env("REDIS_PIDFILE", "");
    signal(SIGPIPE, SIG_IGN);
    atexit(stop_spawned);

    test_timeouts(0);
    test_timeouts(1);
    test_io_errors(0);
    test_io_errors(1);
    test_keep_fd(0);
    test_keep_fd(1);
    test_socket_options();
    test_internals();
    test_server_restart();
    /* after the restart, the new server still answers */
    {
        redisContext *c = connect_to(0);
        CHECK(ping_ok(c), "PING on the restarted server");
        redisFree(c);
    }
    return tl_done();
}
