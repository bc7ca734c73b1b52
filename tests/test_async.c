/* Async API: connecting, commands, pipelining, disconnect/free rules, timeouts, errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testlib.h"
#include "test_async_loop.h"

static const char *host;
static int port;
static const char *sock_path;
/* ASYNC_REFERENCE=1: running against real hiredis 1.4.1 (to check these tests state its
 * behaviour); the checks of deliberate differences are skipped there. */
static int reference;

/* ---- recording callbacks ------------------------------------------------------------------ */

#define MAXLOG 64
typedef struct {
    int n;
    int type[MAXLOG];      /* -1: NULL reply */
    char str[MAXLOG][64];
    void *priv[MAXLOG];
    int err[MAXLOG];        /* ac->err at callback time */
} replylog;

static replylog rl;
static int connect_calls, connect_status, disconnect_calls, disconnect_status;
static int disc_err;
static char disc_errstr[128];
static int data_cleanups;
static volatile int stop;

static void reset(void) {
    memset(&rl, 0, sizeof(rl));
    connect_calls = disconnect_calls = data_cleanups = 0;
    connect_status = disconnect_status = 12345;
    disc_err = 0;
    disc_errstr[0] = 0;
    stop = 0;
}

static void log_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    int i = rl.n++;
    if (i >= MAXLOG) return;
    rl.priv[i] = priv;
    rl.err[i] = ac->err;
    if (reply == NULL) {
        rl.type[i] = -1;
    } else {
        rl.type[i] = reply->type;
        if (reply->str) snprintf(rl.str[i], sizeof(rl.str[i]), "%s", reply->str);
    }
}

static void on_connect(const redisAsyncContext *ac, int status) {
    (void)ac;
    connect_calls++;
    connect_status = status;
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    disconnect_calls++;
    disconnect_status = status;
    disc_err = ac->err;
    snprintf(disc_errstr, sizeof(disc_errstr), "%s", ac->errstr ? ac->errstr : "");
    stop = 1;
}

static void data_cleanup(void *p) {
    (void)p;
    data_cleanups++;
}

static redisAsyncContext *connect_tcp(void) {
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (ac == NULL || ac->err) return ac;
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* Runs until the context is gone (or 10 s). */
static void run(void) { tl_run(NULL, 10.0); }

/* Runs until *flag is set (or 10 s). */
static void run_until(volatile int *flag) { tl_run(flag, 10.0); }

static int closed_port(void) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), p;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &len);
    p = ntohs(sa.sin_port);
    close(fd);
    return p;
}

/* ---- sections ----------------------------------------------------------------------------- */

static void t_connect_tcp(void) {
    redisAsyncContext *ac;
    SECTION("connect over TCP, PING, clean disconnect");
    reset();
    ac = connect_tcp();
    CHECK(ac != NULL && ac->err == 0, "context created");
    CHECK(ac->errstr == ac->c.errstr, "errstr points at c.errstr");
    CHECK(ac->c.fd >= 0, "socket exists right away");
    CHECK(!(ac->c.flags & REDIS_CONNECTED), "not connected before the first event");
    CHECK(redisAsyncSetConnectCallback(ac, on_connect) == REDIS_ERR, "second connect callback refused");
    CHECK(redisAsyncSetConnectCallbackNC(ac, NULL) == REDIS_ERR, "NC variant refused too");
    CHECK(redisAsyncSetDisconnectCallback(ac, on_disconnect) == REDIS_ERR, "second disconnect callback refused");
    ac->data = &rl;
    ac->dataCleanup = data_cleanup;
    CHECK(redisAsyncCommand(ac, log_cb, (void *)1, "PING") == REDIS_OK, "PING queued before connect");
    CHECK(ac->replies.head != NULL && ac->replies.head == ac->replies.tail, "replies list shows one record");
    CHECK(ac->replies.head->privdata == (void *)1, "record carries privdata");
    CHECK(redisAsyncCommand(ac, log_cb, (void *)2, "SET %s %b", "async:k", "v\0x", (size_t)3) == REDIS_OK, "SET queued");
    CHECK(ac->replies.head->next == ac->replies.tail, "list is linked");
    CHECK(redisAsyncCommand(ac, log_cb, (void *)3, "GET async:k") == REDIS_OK, "GET queued");
    while (rl.n < 3 && tl_tick(100) > 0) {}
    CHECK(connect_calls == 1 && connect_status == REDIS_OK, "onConnect(OK) once (%d, %d)", connect_calls, connect_status);
    CHECK(ac->c.flags & REDIS_CONNECTED, "connected");
    CHECK(rl.n == 3, "three replies (%d)", rl.n);
    CHECK(rl.type[0] == REDIS_REPLY_STATUS && strcmp(rl.str[0], "PONG") == 0, "PONG");
    CHECK(rl.priv[0] == (void *)1 && rl.priv[1] == (void *)2 && rl.priv[2] == (void *)3, "privdata in order");
    CHECK(rl.type[1] == REDIS_REPLY_STATUS && strcmp(rl.str[1], "OK") == 0, "SET OK");
    CHECK(rl.type[2] == REDIS_REPLY_STRING && memcmp(rl.str[2], "v", 2) == 0, "GET gives binary value");
    CHECK(ac->replies.head == NULL && ac->replies.tail == NULL, "queue empty");
    CHECK(tl_last_ev && tl_last_ev->adds_read > 0 && tl_last_ev->dels_write > 0, "hooks used");
    redisAsyncDisconnect(ac);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK) at once when idle");
    CHECK(data_cleanups == 1, "dataCleanup ran once");
    run();
}

static void t_connect_unix(void) {
    redisAsyncContext *ac;
    SECTION("connect over a unix socket");
    reset();
    ac = redisAsyncConnectUnix(sock_path);
    CHECK(ac && ac->err == 0, "created");
    tl_attach(ac);
    redisAsyncSetConnectCallbackNC(ac, (redisConnectCallbackNC *)on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, log_cb, NULL, "ECHO %s", "over unix");
    while (rl.n < 1 && tl_tick(100) > 0) {}
    CHECK(connect_calls == 1 && connect_status == REDIS_OK, "onConnectNC(OK)");
    CHECK(rl.n == 1 && strcmp(rl.str[0], "over unix") == 0, "ECHO");
    redisAsyncFree(ac);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "free gives onDisconnect(OK)");
    run();

    SECTION("unix path that does not exist");
    ac = redisAsyncConnectUnix("/nonexistent/hiredis-rs.sock");
    CHECK(ac != NULL && ac->err == REDIS_ERR_IO, "error context");
    CHECK(ac && strcmp(ac->errstr, "No such file or directory") == 0, "errstr '%s'", ac ? ac->errstr : "");
    redisAsyncFree(ac);
    redisAsyncFree(NULL);
}

static void t_refused(void) {
    redisAsyncContext *ac;
    SECTION("connection refused");
    reset();
    ac = redisAsyncConnect("127.0.0.1", closed_port());
    CHECK(ac != NULL, "created");
    if (ac->err == 0) {
        tl_attach(ac);
        redisAsyncSetConnectCallback(ac, on_connect);
        redisAsyncSetDisconnectCallback(ac, on_disconnect);
        redisAsyncCommand(ac, log_cb, (void *)7, "PING");
        run();
        CHECK(connect_calls == 1 && connect_status == REDIS_ERR, "onConnect(ERR)");
        CHECK(rl.n == 1 && rl.type[0] == -1 && rl.priv[0] == (void *)7, "pending callback got NULL once");
        CHECK(rl.err[0] == REDIS_ERR_IO, "err IO (%d)", rl.err[0]);
        CHECK(disconnect_calls == 0, "no onDisconnect (never connected)");
    } else {
        CHECK(ac->err == REDIS_ERR_IO && strcmp(ac->errstr, "Connection refused") == 0, "refused at once: %s", ac->errstr);
        redisAsyncFree(ac);
    }
}

static void t_argv_formatted(void) {
    redisAsyncContext *ac;
    const char *argv[3] = {"SET", "async:argv", "x y"};
    size_t lens[3] = {3, 10, 3};
    const char *argv2[2] = {"GET", "async:argv"};
    static const char fmt[] = "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n";
    SECTION("argv and pre-formatted commands");
    reset();
    ac = connect_tcp();
    CHECK(redisAsyncCommandArgv(ac, log_cb, NULL, 3, argv, lens) == REDIS_OK, "argv with lengths");
    CHECK(redisAsyncCommandArgv(ac, log_cb, NULL, 2, argv2, NULL) == REDIS_OK, "argv of C strings");
    CHECK(redisAsyncFormattedCommand(ac, log_cb, NULL, fmt, strlen(fmt)) == REDIS_OK, "formatted");
    if (!reference) { /* deliberate difference: hiredis asserts on these */
        CHECK(redisAsyncFormattedCommand(ac, log_cb, NULL, "PING\r\n", 6) == REDIS_ERR, "inline refused");
        CHECK(redisAsyncFormattedCommand(ac, log_cb, NULL, "*1\r\n$9\r\nPING\r\n", 14) == REDIS_ERR, "bad length refused");
        CHECK(redisAsyncFormattedCommand(ac, log_cb, NULL, "*0\r\n", 4) == REDIS_ERR, "argc 0 refused");
    }
    if (!reference)
        CHECK(redisAsyncCommandArgv(ac, log_cb, NULL, 0, argv, NULL) == REDIS_ERR, "argv argc 0 refused");
    if (!reference) /* hiredis formats "*0" and then asserts */
        CHECK(redisAsyncCommand(ac, log_cb, NULL, "") == REDIS_ERR, "empty format refused");
    CHECK(redisAsyncCommand(ac, NULL, NULL, "PING") == REDIS_OK, "NULL callback accepted");
    CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_OK, "PING after it");
    while (rl.n < 4 && tl_tick(100) > 0) {}
    CHECK(rl.n == 4, "4 callbacks (%d)", rl.n);
    CHECK(strcmp(rl.str[0], "OK") == 0 && strcmp(rl.str[1], "x y") == 0 && strcmp(rl.str[2], "abc") == 0, "values");
    CHECK(strcmp(rl.str[3], "PONG") == 0, "NULL-callback reply skipped cleanly");
    redisAsyncFree(ac);
    run();
}

/* ---- exact hook calls (spec 4.2), driven by hand ---------------------------------------- */

static char hooklog[128];
static void hk(char ch) {
    size_t n = strlen(hooklog);
    if (n + 1 < sizeof(hooklog)) { hooklog[n] = ch; hooklog[n + 1] = 0; }
}
static void h_add_read(void *p) { CHECK(p == (void *)hooklog, "ev.data passed"); hk('R'); }
static void h_del_read(void *p) { (void)p; hk('r'); }
static void h_add_write(void *p) { (void)p; hk('W'); }
static void h_del_write(void *p) { (void)p; hk('w'); }
static void h_cleanup(void *p) { (void)p; hk('C'); }
/* 'c': the connect timeout (300 ms), 't': the command timeout (200 ms) */
static void h_timer(void *p, struct timeval tv) { (void)p; hk(tv.tv_usec == 300000 ? 'c' : 't'); }

static void wait_fd(int fd, short events) {
    struct pollfd p;
    p.fd = fd; p.events = events; p.revents = 0;
    poll(&p, 1, 2000);
}

static void t_hook_rules(void) {
    redisOptions o = {0};
    struct timeval ct = {0, 300000}, cmd = {0, 200000};
    redisAsyncContext *ac;
    SECTION("event hooks: timer refresh before every add, cleanup once, never delRead");
    reset();
    hooklog[0] = 0;
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.connect_timeout = &ct;
    ac = redisAsyncConnectWithOptions(&o);
    ac->ev.data = hooklog;
    ac->ev.addRead = h_add_read;
    ac->ev.delRead = h_del_read;
    ac->ev.addWrite = h_add_write;
    ac->ev.delWrite = h_del_write;
    ac->ev.cleanup = h_cleanup;
    ac->ev.scheduleTimer = h_timer;
    CHECK(redisAsyncSetTimeout(ac, cmd) == REDIS_OK, "command timeout");
    CHECK(strcmp(hooklog, "") == 0, "SetTimeout schedules nothing");
    CHECK(redisAsyncSetConnectCallback(ac, NULL) == REDIS_OK, "NULL connect callback accepted");
    CHECK(strcmp(hooklog, "cW") == 0, "connect callback arms write after the connect timer: %s", hooklog);
    CHECK(redisAsyncSetConnectCallback(ac, on_connect) == REDIS_OK, "a real one may still be set after NULL");
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    hooklog[0] = 0;
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    CHECK(strcmp(hooklog, "cW") == 0, "a command arms write: %s", hooklog);
    hooklog[0] = 0;
    wait_fd(ac->c.fd, POLLOUT);
    redisAsyncHandleWrite(ac);
    CHECK(connect_calls == 1 && connect_status == REDIS_OK, "connected on the first write event");
    CHECK(strcmp(hooklog, "wtR") == 0, "all written: delWrite, then timer + addRead: %s", hooklog);
    hooklog[0] = 0;
    while (rl.n == 0) {
        wait_fd(ac->c.fd, POLLIN);
        redisAsyncHandleRead(ac);
    }
    CHECK(strncmp(hooklog, "tR", 2) == 0 && strchr(hooklog, 'r') == NULL, "read re-arms read: %s", hooklog);
    CHECK(rl.n == 1 && strcmp(rl.str[0], "PONG") == 0, "PONG");
    hooklog[0] = 0;
    redisAsyncDisconnect(ac);
    CHECK(strcmp(hooklog, "C") == 0, "cleanup exactly once at teardown: %s", hooklog);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK)");
}

static void t_refusals_leave_obuf(void) {
    redisAsyncContext *ac;
    size_t before;
    SECTION("refused commands leave obuf untouched");
    reset();
    ac = redisAsyncConnect(host, port);
    before = sdslen(ac->c.obuf);
    CHECK(redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE %s", "x") == REDIS_ERR, "UNSUBSCRIBE while not subscribed");
    CHECK(redisAsyncCommand(ac, NULL, NULL, "PUNSUBSCRIBE") == REDIS_ERR, "PUNSUBSCRIBE while not subscribed");
    if (!reference) /* sharded unsubscribes are tracked like the others here */
        CHECK(redisAsyncCommand(ac, NULL, NULL, "SUNSUBSCRIBE") == REDIS_ERR, "SUNSUBSCRIBE while not subscribed");
    CHECK(sdslen(ac->c.obuf) == before, "nothing appended");
    CHECK(redisAsyncCommand(ac, NULL, NULL, "SUBSCRIBE") == REDIS_OK, "SUBSCRIBE without arguments is a regular command");
    CHECK(!(ac->c.flags & REDIS_SUBSCRIBED) && ac->replies.head != NULL, "queued as regular");
    before = sdslen(ac->c.obuf);
    ac->c.flags |= REDIS_DISCONNECTING;
    CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_ERR, "refused while DISCONNECTING");
    CHECK(sdslen(ac->c.obuf) == before, "nothing appended");
    redisAsyncFree(ac);
    CHECK(rl.n == 0, "NULL-fn record ran nothing");
}

static void t_null_arguments(void) {
    redisAsyncContext *ac;
    const char *argv[2] = {"GET", NULL};
    struct timeval tv = {1, 0};
    SECTION("NULL arguments fail instead of crashing (hiredis would dereference them)");
    CHECK(redisAsyncConnectWithOptions(NULL) == NULL, "options NULL");
    CHECK(redisAsyncCommand(NULL, NULL, NULL, "PING") == REDIS_ERR, "command on NULL");
    CHECK(redisAsyncCommandArgv(NULL, NULL, NULL, 1, argv, NULL) == REDIS_ERR, "argv on NULL");
    CHECK(redisAsyncFormattedCommand(NULL, NULL, NULL, "*1\r\n$4\r\nPING\r\n", 14) == REDIS_ERR, "formatted on NULL");
    CHECK(redisAsyncSetConnectCallback(NULL, on_connect) == REDIS_ERR, "connect cb on NULL");
    CHECK(redisAsyncSetDisconnectCallback(NULL, on_disconnect) == REDIS_ERR, "disconnect cb on NULL");
    CHECK(redisAsyncSetPushCallback(NULL, NULL) == NULL, "push cb on NULL");
    CHECK(redisAsyncSetTimeout(NULL, tv) == REDIS_ERR, "timeout on NULL");
    redisAsyncDisconnect(NULL);
    redisAsyncHandleRead(NULL);
    redisAsyncHandleWrite(NULL);
    redisAsyncHandleTimeout(NULL);
    redisAsyncRead(NULL);
    redisAsyncWrite(NULL);
    ac = redisAsyncConnect(host, port);
    CHECK(redisAsyncCommand(ac, NULL, NULL, NULL) == REDIS_ERR, "NULL format");
    CHECK(redisAsyncCommandArgv(ac, NULL, NULL, 2, argv, NULL) == REDIS_ERR, "NULL argument");
    CHECK(redisAsyncCommandArgv(ac, NULL, NULL, 1, NULL, NULL) == REDIS_ERR, "NULL argv");
    CHECK(redisAsyncFormattedCommand(ac, NULL, NULL, NULL, 4) == REDIS_ERR, "NULL command");
    CHECK(ac->replies.head == NULL && sdslen(ac->c.obuf) == 0, "nothing queued");
    redisAsyncFree(ac);
}

/* ---- pipelining ----------------------------------------------------------------------- */

static long pl_next, pl_total, pl_bad;
static void pl_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS || (long)(intptr_t)priv != pl_next) pl_bad++;
    pl_next++;
    if (pl_next == pl_total) redisAsyncDisconnect(ac);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void t_pipeline(void) {
    redisAsyncContext *ac;
    long i;
    double t0, dt, c0;
    pl_total = tl_async_pipeline_n(); /* a million; a tenth under valgrind */
    SECTION("automatic pipelining");
    reset();
    pl_next = pl_bad = 0;
    ac = connect_tcp();
    t0 = tl_now();
    c0 = cpu_seconds();
    for (i = 0; i < pl_total; i++) {
        if (redisAsyncCommand(ac, pl_cb, (void *)(intptr_t)i, "PING") != REDIS_OK) break;
    }
    CHECK(i == pl_total, "all %ld queued", pl_total);
    tl_run(NULL, 120.0);
    dt = tl_now() - t0;
    CHECK(pl_next == pl_total, "every callback ran (%ld of %ld)", pl_next, pl_total);
    CHECK(pl_bad == 0, "in order with replies (%ld bad)", pl_bad);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "clean disconnect after the last");
    printf("   %ld pipelined PINGs in %.2f s, client CPU %.2f s\n", pl_total, dt, cpu_seconds() - c0);
    CHECK(dt < 60.0, "reasonable time (%.2f s)", dt);
}

/* ---- disconnect / free rules (spec 4.6 table) ------------------------------------------ */

static redisAsyncContext *cur;
static void free_in_cb(redisAsyncContext *ac, void *r, void *priv) {
    log_cb(ac, r, priv);
    if (r) {
        redisAsyncFree(ac);
        CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_ERR, "commands refused after free");
    }
}
static void disconnect_in_cb(redisAsyncContext *ac, void *r, void *priv) {
    log_cb(ac, r, priv);
    if (r) {
        redisAsyncDisconnect(ac);
        CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_ERR, "commands refused after disconnect");
    }
}

static void t_free_disconnect_rules(void) {
    redisAsyncContext *ac;

    SECTION("free before connect completes, 1 pending");
    reset();
    ac = connect_tcp();
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    redisAsyncFree(ac);
    CHECK(rl.n == 1 && rl.type[0] == -1, "NULL reply");
    CHECK(disconnect_calls == 0, "no onDisconnect");
    CHECK(tl_last_ev && tl_last_ev->cleanups == 1, "cleanup hook once");
    run();

    SECTION("free after connect, 2 pending (outside a callback)");
    reset();
    ac = connect_tcp();
    run_until(&connect_calls);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    redisAsyncFree(ac);
    CHECK(rl.n == 2 && rl.type[0] == -1 && rl.type[1] == -1, "both NULL");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK)");
    run();

    SECTION("free inside callback A, B pending");
    reset();
    ac = connect_tcp();
    redisAsyncCommand(ac, free_in_cb, NULL, "PING");
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run();
    CHECK(rl.n == 2 && rl.type[0] == REDIS_REPLY_STATUS && rl.type[1] == -1, "A real, B NULL");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK)");

    SECTION("disconnect inside callback A, B already sent");
    reset();
    ac = connect_tcp();
    redisAsyncCommand(ac, disconnect_in_cb, NULL, "PING");
    redisAsyncCommand(ac, log_cb, NULL, "SET async:d 1");
    run();
    CHECK(rl.n == 2 && rl.type[0] == REDIS_REPLY_STATUS && strcmp(rl.str[1], "OK") == 0, "A and B real");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK)");

    SECTION("server closes (QUIT) with B pending");
    reset();
    ac = connect_tcp();
    redisAsyncCommand(ac, log_cb, NULL, "QUIT");
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run();
    CHECK(rl.n == 2 && strcmp(rl.str[0], "OK") == 0 && rl.type[1] == -1, "A OK, B NULL");
    CHECK(rl.err[1] == REDIS_ERR_EOF, "B sees err EOF (%d)", rl.err[1]);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "onDisconnect(ERR)");
    CHECK(disc_err == REDIS_ERR_EOF && strcmp(disc_errstr, "Server closed the connection") == 0, "'%s'", disc_errstr);

    SECTION("NOAUTOFREE and server close");
    {
        redisOptions o = {0};
        REDIS_OPTIONS_SET_TCP(&o, host, port);
        o.options |= REDIS_OPT_NOAUTOFREE;
        reset();
        ac = redisAsyncConnectWithOptions(&o);
        tl_attach(ac);
        redisAsyncSetDisconnectCallback(ac, on_disconnect);
        redisAsyncCommand(ac, log_cb, NULL, "QUIT");
        redisAsyncCommand(ac, log_cb, NULL, "PING");
        cur = ac;
        run();
        CHECK(rl.n == 1 && strcmp(rl.str[0], "OK") == 0, "only A so far (%d)", rl.n);
        CHECK(disconnect_calls == 0, "nothing else until freed");
        CHECK(ac->err == REDIS_ERR_EOF, "err EOF");
        CHECK(ac->c.flags & REDIS_DISCONNECTING, "DISCONNECTING");
        CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_ERR, "commands refused");
        redisAsyncFree(ac);
        CHECK(rl.n == 2 && rl.type[1] == -1, "B NULL at free");
        CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK): FREEING forces OK");
        CHECK(disc_err == REDIS_ERR_EOF, "err stays EOF");
    }
}

static void connect_then_disconnect(const redisAsyncContext *ac, int status) {
    on_connect(ac, status);
    redisAsyncDisconnect((redisAsyncContext *)ac);
}
static void connect_then_free(redisAsyncContext *ac, int status) {
    on_connect(ac, status);
    redisAsyncFree(ac);
    CHECK(redisAsyncCommand(ac, log_cb, NULL, "PING") == REDIS_ERR, "refused inside onConnect after free");
}

static void t_connect_callback_requests(void) {
    redisAsyncContext *ac;
    SECTION("redisAsyncDisconnect inside onConnect, one command pending");
    reset();
    ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, connect_then_disconnect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run();
    CHECK(connect_calls == 1 && rl.n == 1 && strcmp(rl.str[0], "PONG") == 0, "pending command still answered");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "then onDisconnect(OK)");

    SECTION("redisAsyncDisconnect inside onConnect, nothing pending");
    reset();
    ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, connect_then_disconnect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    run();
    CHECK(connect_calls == 1 && disconnect_calls == 1 && disconnect_status == REDIS_OK, "immediate clean disconnect");

    SECTION("redisAsyncFree inside onConnectNC, one command pending");
    reset();
    ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    redisAsyncSetConnectCallbackNC(ac, connect_then_free);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    ac->dataCleanup = data_cleanup;
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run();
    CHECK(rl.n == 1 && rl.type[0] == -1, "pending command gets NULL");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK && data_cleanups == 1, "onDisconnect(OK), dataCleanup");
}

/* ---- timeouts --------------------------------------------------------------------------- */

static void t_command_timeout(void) {
    redisAsyncContext *ac;
    struct timeval tv = {0, 200000};
    SECTION("command timeout (DEBUG SLEEP)");
    reset();
    ac = connect_tcp();
    CHECK(redisAsyncSetTimeout(ac, tv) == REDIS_OK, "timeout set");
    CHECK(ac->c.command_timeout && ac->c.command_timeout->tv_usec == 200000, "stored");
    redisAsyncCommand(ac, log_cb, NULL, "DEBUG SLEEP 0.6");
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run();
    CHECK(rl.n == 2 && rl.type[0] == -1 && rl.type[1] == -1, "both NULL");
    CHECK(rl.err[0] == REDIS_ERR_TIMEOUT, "err TIMEOUT");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "onDisconnect(ERR)");
    CHECK(strcmp(disc_errstr, "Timeout") == 0, "'%s'", disc_errstr);
    usleep(500000); /* let the server wake up */

    SECTION("idle and stale timer firings are ignored");
    reset();
    ac = connect_tcp();
    redisAsyncSetTimeout(ac, tv);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    while (rl.n < 1 && tl_tick(100) > 0) {}
    redisAsyncHandleTimeout(ac); /* idle */
    CHECK(ac->err == 0 && disconnect_calls == 0, "idle timeout ignored");
    tv.tv_usec = 0;
    redisAsyncSetTimeout(ac, tv);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    redisAsyncHandleTimeout(ac); /* pending but no command timeout: a late connect timer */
    CHECK(ac->err == 0 && disconnect_calls == 0, "late connect timer ignored");
    while (rl.n < 2 && tl_tick(100) > 0) {}
    CHECK(rl.n == 2 && strcmp(rl.str[1], "PONG") == 0, "still works");
    redisAsyncFree(ac);
    run();
}

static void t_connect_timeout(void) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int lfd, fillers[8], nf = 0, i;
    struct timeval ct = {0, 300000};
    redisOptions o = {0};
    redisAsyncContext *ac;
    double t0;

    SECTION("connect timeout (backlog-0 listener with a full queue)");
    reset();
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    listen(lfd, 0);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    /* Fill the accept queue: connects that complete occupy it, later SYNs are dropped. */
    for (i = 0; i < 8; i++) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        fillers[nf++] = fd;
        p.fd = fd; p.events = POLLOUT; p.revents = 0;
        if (poll(&p, 1, 200) == 0) break; /* this one hangs: the queue is full */
    }
    REDIS_OPTIONS_SET_TCP(&o, "127.0.0.1", ntohs(sa.sin_port));
    o.connect_timeout = &ct;
    ac = redisAsyncConnectWithOptions(&o);
    CHECK(ac && ac->err == 0, "created");
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    CHECK(tl_last_ev && tl_last_ev->timers > 0, "scheduleTimer called with the connect timeout");
    t0 = tl_now();
    run();
    CHECK(connect_calls == 1 && connect_status == REDIS_ERR, "onConnect(ERR)");
    CHECK(rl.n == 1 && rl.type[0] == -1 && rl.err[0] == REDIS_ERR_TIMEOUT, "pending NULL with TIMEOUT");
    CHECK(disconnect_calls == 0, "no onDisconnect");
    CHECK(tl_now() - t0 < 3.0, "took %.2f s", tl_now() - t0);
    for (i = 0; i < nf; i++) close(fillers[i]);
    close(lfd);
}

/* ---- a scripted fake server --------------------------------------------------------------- */

static int fake_listen(int *portp) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    listen(lfd, 4);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    *portp = ntohs(sa.sin_port);
    return lfd;
}

static void push_cb(redisAsyncContext *ac, void *r) {
    (void)ac; (void)r;
    rl.n += 100;
}

static void t_fake_server(void) {
    int lfd, fport, sfd;
    redisAsyncContext *ac;
    static const char junk[] = "@junk\r\n";
    static const char maxc[] = "-ERR max number of clients reached\r\n";
    static const char frames[] =
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        ">2\r\n$7\r\nmessage\r\n$2\r\nch\r\n"
        ">1\r\n$7\r\nmessage\r\n"
        ">2\r\n$7\r\nmessage\r\n:5\r\n"
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";

    SECTION("protocol error");
    reset();
    lfd = fake_listen(&fport);
    ac = redisAsyncConnect("127.0.0.1", fport);
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    run_until(&connect_calls);
    sfd = accept(lfd, NULL, NULL);
    CHECK(write(sfd, junk, sizeof(junk) - 1) > 0, "sent");
    run();
    CHECK(rl.n == 1 && rl.type[0] == -1, "pending NULL");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "onDisconnect(ERR)");
    CHECK(disc_err == REDIS_ERR_PROTOCOL, "err PROTOCOL (%d)", disc_err);
    CHECK(strcmp(disc_errstr, "Protocol error, got \"@\" as reply type byte") == 0, "'%s'", disc_errstr);
    close(sfd);

    SECTION("spontaneous error reply (max clients)");
    reset();
    ac = redisAsyncConnect("127.0.0.1", fport);
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    run_until(&connect_calls);
    sfd = accept(lfd, NULL, NULL);
    CHECK(write(sfd, maxc, sizeof(maxc) - 1) > 0, "sent");
    run();
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "onDisconnect(ERR)");
    CHECK(disc_err == REDIS_ERR_OTHER && strcmp(disc_errstr, "ERR max number of clients reached") == 0, "'%s'", disc_errstr);
    close(sfd);

    if (reference) { close(lfd); return; } /* hiredis overflows the heap here (issue 1359) */
    SECTION("short RESP3 pushes while subscribed are safe");
    reset();
    ac = redisAsyncConnect("127.0.0.1", fport);
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncSetPushCallback(ac, push_cb);
    redisAsyncCommand(ac, log_cb, (void *)9, "SUBSCRIBE ch");
    CHECK(ac->c.flags & REDIS_SUBSCRIBED, "SUBSCRIBED");
    CHECK(ac->replies.head == NULL, "subscribe is not on the regular queue");
    run_until(&connect_calls);
    sfd = accept(lfd, NULL, NULL);
    CHECK(write(sfd, frames, sizeof(frames) - 1) > 0, "sent");
    while (rl.n < 3 && tl_tick(100) > 0) {}
    for (int k = 0; k < 5; k++) tl_tick(20);
    CHECK(rl.n == 3, "subscribe, 2-element message, 3-element message (%d)", rl.n);
    CHECK(rl.type[0] == REDIS_REPLY_PUSH && rl.priv[0] == (void *)9, "frames go to the channel callback");
    CHECK(rl.n < 100, "push callback not used for pub/sub frames");
    close(sfd);
    run();
    CHECK(rl.n == 4 && rl.type[3] == -1, "subscription callback gets a final NULL");
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "EOF -> onDisconnect(ERR)");
    close(lfd);
}

/* ---- caller-supplied fd ------------------------------------------------------------------ */

static void t_userfd(void) {
    struct sockaddr_un sa;
    redisOptions o = {0};
    redisAsyncContext *ac;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    SECTION("async over a caller-supplied fd (deliberate difference: works)");
    reset();
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connected fd");
    o.type = REDIS_CONN_USERFD;
    o.endpoint.fd = fd;
    ac = redisAsyncConnectWithOptions(&o);
    CHECK(ac && ac->err == 0 && ac->c.fd == fd, "created");
    tl_attach(ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, log_cb, NULL, "PING");
    while (rl.n < 1 && tl_tick(100) > 0) {}
    CHECK(connect_calls == 1 && connect_status == REDIS_OK, "onConnect(OK)");
    CHECK(rl.n == 1 && strcmp(rl.str[0], "PONG") == 0, "PONG");
    redisAsyncDisconnect(ac);
    run();
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_OK, "onDisconnect(OK)");
}

/* ---- CLIENT KILL from a second connection ------------------------------------------------ */

static long long victim_id;
static void id_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    (void)ac; (void)priv;
    if (reply && reply->type == REDIS_REPLY_INTEGER) victim_id = reply->integer;
}

static void t_client_kill(void) {
    redisAsyncContext *victim, *killer;
    SECTION("CLIENT KILL from a second connection");
    reset();
    victim_id = 0;
    victim = connect_tcp();
    redisAsyncCommand(victim, id_cb, NULL, "CLIENT ID");
    redisAsyncCommand(victim, log_cb, (void *)1, "BLPOP async:nothing 0");
    while (victim_id == 0 && tl_tick(100) > 0) {}
    killer = redisAsyncConnect(host, port);
    tl_attach(killer);
    redisAsyncCommand(killer, log_cb, (void *)2, "CLIENT KILL ID %lld", victim_id);
    redisAsyncCommand(killer, NULL, NULL, "PING");
    run_until(&stop);
    CHECK(disconnect_calls == 1 && disconnect_status == REDIS_ERR, "victim onDisconnect(ERR)");
    CHECK(disc_err == REDIS_ERR_EOF, "victim saw EOF (%d %s)", disc_err, disc_errstr);
    {
        int i, blpop_null = 0, kill_ok = 0;
        for (i = 0; i < rl.n; i++) {
            if (rl.priv[i] == (void *)1 && rl.type[i] == -1) blpop_null++;
            if (rl.priv[i] == (void *)2 && rl.type[i] == REDIS_REPLY_INTEGER) kill_ok++;
        }
        CHECK(blpop_null == 1, "pending BLPOP got NULL once");
        while (kill_ok == 0 && tl_tick(100) > 0) {
            for (i = 0; i < rl.n; i++)
                if (rl.priv[i] == (void *)2 && rl.type[i] == REDIS_REPLY_INTEGER) kill_ok++;
        }
        CHECK(kill_ok == 1, "CLIENT KILL answered");
    }
    redisAsyncFree(killer);
    run();
}

/* hiredis's redisAsyncSetTimeout allocates the stored timeout with the calloc hook (the sync
 * setter uses malloc): custom allocators see the same call. */
static long st_callocs, st_mallocs;
static void *st_malloc(size_t n) { st_mallocs++; return malloc(n); }
static void *st_calloc(size_t n, size_t m) { st_callocs++; return calloc(n, m); }
static void *st_realloc(void *p, size_t n) { return realloc(p, n); }
static char *st_strdup(const char *s) { return strdup(s); }

static void t_set_timeout_allocates_like_hiredis(void) {
    SECTION("redisAsyncSetTimeout allocates with the calloc hook");
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    CHECK(ac && ac->c.command_timeout == NULL, "no command timeout yet");
    hiredisAllocFuncs hooks = {st_malloc, st_calloc, st_realloc, st_strdup, free};
    hiredisAllocFuncs old = hiredisSetAllocators(&hooks);
    struct timeval tv = {1, 500};
    int rc = redisAsyncSetTimeout(ac, tv);
    long callocs = st_callocs, mallocs = st_mallocs;
    tv.tv_sec = 2;
    int rc2 = redisAsyncSetTimeout(ac, tv);
    hiredisSetAllocators(&old);
    CHECK(rc == REDIS_OK && callocs == 1 && mallocs == 0, "one calloc, no malloc (%ld, %ld)", callocs, mallocs);
    CHECK(rc2 == REDIS_OK && st_callocs == 1 && st_mallocs == 0 && ac->c.command_timeout->tv_sec == 2,
          "a second timeout reuses the block");
    redisAsyncFree(ac);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    host = tl_env("REDIS_HOST", "127.0.0.1");
    reference = getenv("ASYNC_REFERENCE") != NULL;
    port = atoi(tl_env("REDIS_PORT", "6379"));
    sock_path = tl_env("REDIS_SOCK", "/tmp/redis.sock");

    if (getenv("ASYNC_BENCH")) { /* only the pipeline, e.g. to compare client CPU with hiredis */
        t_pipeline();
        return tl_done();
    }
    t_connect_tcp();
    t_connect_unix();
    t_refused();
    t_argv_formatted();
    t_hook_rules();
    if (!reference) t_null_arguments();
    t_refusals_leave_obuf();
    t_free_disconnect_rules();
    t_connect_callback_requests();
    t_command_timeout();
    t_set_timeout_allocates_like_hiredis();
    t_connect_timeout();
    t_fake_server();
    if (!reference) t_userfd(); /* deliberate difference: hiredis fails with EINVAL */
    t_client_kill();
    t_pipeline();
    return tl_done();
}
