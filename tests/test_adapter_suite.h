/* The scenarios every adapter test runs against the harness's redis-server. A test file
 * defines ADAPTER_NAME and ADAPTER_HAS_TIMERS, includes this header, then implements:
 *
 *   adapter_attach(ac)  attach the adapter (returns its REDIS_OK / REDIS_ERR)
 *   adapter_step()      run one blocking iteration of its loop
 *   adapter_quiet()     after a context is gone: 1 if the loop holds nothing of it anymore
 *
 * and main() calls run_adapter_suite() and ends with `return tl_done();`. A context's end is observed through
 * ac->dataCleanup, which the library calls once, last, in its free sequence. */
#ifndef HIREDIS_RS_TEST_ADAPTER_SUITE_H
#define HIREDIS_RS_TEST_ADAPTER_SUITE_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int adapter_attach(redisAsyncContext *ac);
static void adapter_step(void);
static int adapter_quiet(void);

/* What one context went through. */
typedef struct suiteState {
    int connect_calls, connect_status;
    int disconnect_calls, disconnect_status;
    int gone;                 /* dataCleanup ran */
    int err;                  /* ac->err seen by the last library callback */
    char errstr[128];
    /* scenario bookkeeping */
    int replies, bad, nulls;
    int after_disconnect_rc;
    double started;
} suiteState;

static double suite_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void suite_note_err(suiteState *st, const redisAsyncContext *ac) {
    st->err = ac->err;
    snprintf(st->errstr, sizeof(st->errstr), "%s", ac->errstr ? ac->errstr : "");
}

static void suite_on_connect(const redisAsyncContext *ac, int status) {
    suiteState *st = (suiteState *)ac->data;
    st->connect_calls++;
    st->connect_status = status;
    suite_note_err(st, ac);
}

static void suite_on_disconnect(const redisAsyncContext *ac, int status) {
    suiteState *st = (suiteState *)ac->data;
    st->disconnect_calls++;
    st->disconnect_status = status;
    suite_note_err(st, ac);
}

static void suite_on_gone(void *data) {
    ((suiteState *)data)->gone++;
}

/* tcp: 1 for REDIS_HOST/REDIS_PORT, 0 for REDIS_SOCK. port_override > 0 replaces the port. */
static redisAsyncContext *suite_connect(suiteState *st, int tcp, int port_override) {
    redisAsyncContext *ac;

    memset(st, 0, sizeof(*st));
    if (tcp)
        ac = redisAsyncConnect(tl_env("REDIS_HOST", "127.0.0.1"),
                               port_override > 0 ? port_override : atoi(tl_env("REDIS_PORT", "6379")));
    else
        ac = redisAsyncConnectUnix(tl_env("REDIS_SOCK", "/tmp/redis.sock"));
    CHECK(ac != NULL && ac->err == 0, "async connect: %s", ac ? ac->errstr : "NULL");
    if (ac == NULL || ac->err) {
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = st;
    ac->dataCleanup = suite_on_gone;
    CHECK(adapter_attach(ac) == REDIS_OK, "attach");
    CHECK(redisAsyncSetConnectCallback(ac, suite_on_connect) == REDIS_OK, "connect callback");
    CHECK(redisAsyncSetDisconnectCallback(ac, suite_on_disconnect) == REDIS_OK, "disconnect callback");
    return ac;
}

/* Runs the loop until the context is gone, then checks the adapter let go of everything. */
static void suite_run(suiteState *st) {
    while (!st->gone)
        adapter_step();
    CHECK(st->gone == 1, "dataCleanup ran %d times", st->gone);
    CHECK(adapter_quiet(), "the loop still holds events of a freed context");
}

static void suite_attach_twice(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("attach refuses a context that already has an adapter");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    CHECK(ac->ev.data != NULL, "attach sets ev.data");
    CHECK(ac->ev.addRead && ac->ev.delRead && ac->ev.addWrite && ac->ev.delWrite && ac->ev.cleanup,
          "attach installs the add/del/cleanup hooks");
    CHECK((ac->ev.scheduleTimer != NULL) == ADAPTER_HAS_TIMERS, "scheduleTimer hook presence");
    void *first = ac->ev.data;
    CHECK(adapter_attach(ac) == REDIS_ERR, "second attach must be refused");
    CHECK(ac->ev.data == first, "a refused attach leaves ev.data alone");
    redisAsyncDisconnect(ac); /* nothing pending: immediate, no hook armed beyond connect */
    suite_run(&st);
}

/* ---- a pipelined batch: SET key:i / GET key:i-1 / INCR, callbacks checked in order ---- */

#define SUITE_BATCH 10000

static void suite_batch_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    int i = (int)(intptr_t)privdata;
    char want[32];

    if (i != st->replies)
        st->bad++; /* out of order */
    st->replies++;
    if (reply == NULL) {
        st->nulls++;
    } else if (i % 3 == 0) {
        if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0) st->bad++;
    } else if (i % 3 == 1) {
        snprintf(want, sizeof(want), "v%d", i - 1);
        if (reply->type != REDIS_REPLY_STRING || strcmp(reply->str, want) != 0) st->bad++;
    } else {
        if (reply->type != REDIS_REPLY_INTEGER || reply->integer != i / 3 + 1) st->bad++;
    }
    if (i == SUITE_BATCH - 1)
        redisAsyncDisconnect(ac);
}

static void suite_batch(int tcp) {
    suiteState st;
    redisAsyncContext *ac;
    const char *ctr = tcp ? "suite:ctr:tcp" : "suite:ctr:unix";
    int queued = 1;

    SECTION(tcp ? "pipelined batch over TCP" : "pipelined batch over the unix socket");
    if ((ac = suite_connect(&st, tcp, 0)) == NULL)
        return;
    queued &= redisAsyncCommand(ac, NULL, NULL, "DEL %s", ctr) == REDIS_OK;
    for (int i = 0; i < SUITE_BATCH; i++) {
        void *pd = (void *)(intptr_t)i;
        int rc;
        if (i % 3 == 0)
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "SET key:%d v%d", i, i);
        else if (i % 3 == 1)
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "GET key:%d", i - 1);
        else
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "INCR %s", ctr);
        queued &= rc == REDIS_OK;
    }
    CHECK(queued, "every command accepted before the connection completed");
    suite_run(&st);
    CHECK(st.connect_calls == 1 && st.connect_status == REDIS_OK,
          "onConnect once with REDIS_OK (%d calls, status %d)", st.connect_calls, st.connect_status);
    CHECK(st.replies == SUITE_BATCH, "%d of %d callbacks ran", st.replies, SUITE_BATCH);
    CHECK(st.bad == 0, "%d callbacks out of order or with a wrong reply", st.bad);
    CHECK(st.nulls == 0, "%d NULL replies", st.nulls);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK,
          "onDisconnect once with REDIS_OK (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
}

/* ---- command timeout through scheduleTimer ---- */

static void suite_timeout_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    (void)privdata;
    st->replies++;
    if (r == NULL) {
        st->nulls++;
        suite_note_err(st, ac);
    }
}

static void suite_timeout(void) {
    suiteState st;
    redisAsyncContext *ac;
    struct timeval tv = {0, 200000};

    SECTION(ADAPTER_HAS_TIMERS ? "command timeout (DEBUG SLEEP 1 with a 200 ms timeout)"
                               : "no timers: a timeout set on the context is not enforced");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    CHECK(redisAsyncSetTimeout(ac, tv) == REDIS_OK, "redisAsyncSetTimeout");
    st.started = suite_now();
#if ADAPTER_HAS_TIMERS
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "DEBUG SLEEP 1");
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
    suite_run(&st);
    double took = suite_now() - st.started;
    CHECK(st.replies == 2 && st.nulls == 2, "both callbacks get NULL (%d replies, %d NULL)", st.replies, st.nulls);
    CHECK(st.err == REDIS_ERR_TIMEOUT && strcmp(st.errstr, "Timeout") == 0,
          "err %d \"%s\", want %d \"Timeout\"", st.err, st.errstr, REDIS_ERR_TIMEOUT);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR,
          "onDisconnect once with REDIS_ERR (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
    CHECK(took >= 0.15 && took < 0.9, "timed out after %.3f s, want about 0.2 s", took);
    /* Let the server finish its sleep so later scenarios are not delayed by it. */
    usleep(900000);
#else
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "DEBUG SLEEP 0.4");
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
    redisAsyncCommand(ac, NULL, NULL, "PING");
    /* Disconnect once the queue drains. */
    redisAsyncDisconnect(ac);
    suite_run(&st);
    CHECK(st.replies == 2 && st.nulls == 0, "both replies arrive (%d replies, %d NULL)", st.replies, st.nulls);
    CHECK(suite_now() - st.started >= 0.35, "the reply waited for DEBUG SLEEP");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK, "onDisconnect with REDIS_OK");
#endif
}

/* ---- disconnect and free from inside a reply callback ---- */

static void suite_disconnect_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    int which = (int)(intptr_t)privdata;

    if (which != st->replies) st->bad++;
    st->replies++;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "PONG") != 0)
        st->bad++;
    if (which == 0) {
        redisAsyncDisconnect(ac);
        st->after_disconnect_rc = redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)9, "PING");
    }
}

static void suite_disconnect_inside(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("redisAsyncDisconnect from inside a callback");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)0, "PING");
    redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)1, "PING");
    suite_run(&st);
    CHECK(st.replies == 2 && st.bad == 0, "both queued PINGs answered in order (%d replies, %d bad)",
          st.replies, st.bad);
    CHECK(st.after_disconnect_rc == REDIS_ERR, "a command after redisAsyncDisconnect is refused");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK,
          "onDisconnect once with REDIS_OK (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
}

static void suite_free_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    int which = (int)(intptr_t)privdata;

    st->replies++;
    if (which == 0) {
        if (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0)
            st->bad++;
        redisAsyncFree(ac); /* deferred by the library until this callback returns */
    } else if (reply != NULL) {
        st->bad++; /* pending when the context was freed: must see NULL */
    } else {
        st->nulls++;
    }
}

static void suite_free_inside(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("redisAsyncFree from inside a callback");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    redisAsyncCommand(ac, suite_free_cb, (void *)(intptr_t)0, "SET suite:free yes");
    redisAsyncCommand(ac, suite_free_cb, (void *)(intptr_t)1, "GET suite:free");
    suite_run(&st);
    CHECK(st.replies == 2 && st.bad == 0 && st.nulls == 1,
          "first callback gets OK, the pending one NULL (%d replies, %d bad, %d NULL)", st.replies, st.bad, st.nulls);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK,
          "onDisconnect once with REDIS_OK (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
}

/* ---- the server closes the connection ---- */

static void suite_quit_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    int which = (int)(intptr_t)privdata;

    st->replies++;
    if (which == 0 && (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0))
        st->bad++;
    if (which == 1) {
        if (reply != NULL) st->bad++;
        else st->nulls++;
    }
}

static void suite_server_close(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("server closes the connection (QUIT with a command behind it)");
    if ((ac = suite_connect(&st, 0, 0)) == NULL)
        return;
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)0, "QUIT");
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)1, "PING");
    suite_run(&st);
    CHECK(st.replies == 2 && st.bad == 0 && st.nulls == 1,
          "QUIT gets OK, PING NULL (%d replies, %d bad, %d NULL)", st.replies, st.bad, st.nulls);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR,
          "onDisconnect once with REDIS_ERR (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
    CHECK(st.err == REDIS_ERR_EOF && strcmp(st.errstr, "Server closed the connection") == 0,
          "err %d \"%s\"", st.err, st.errstr);
}

/* ---- connection refused ---- */

/* A loopback port nobody listens on: bind an ephemeral one and let it go. */
static int suite_closed_port(void) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static void suite_refused(void) {
    suiteState st;
    redisAsyncContext *ac;
    int port = suite_closed_port();

    SECTION("connection refused reaches onConnect");
    CHECK(port > 0, "found a closed port");
    if (port <= 0 || (ac = suite_connect(&st, 1, port)) == NULL)
        return;
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
    suite_run(&st);
    CHECK(st.connect_calls == 1 && st.connect_status == REDIS_ERR,
          "onConnect once with REDIS_ERR (%d calls, status %d)", st.connect_calls, st.connect_status);
    CHECK(st.err == REDIS_ERR_IO && strcmp(st.errstr, "Connection refused") == 0,
          "err %d \"%s\"", st.err, st.errstr);
    CHECK(st.replies == 1 && st.nulls == 1, "the pending command gets NULL");
    CHECK(st.disconnect_calls == 0, "no onDisconnect for a connection that never came up");
}

#if ADAPTER_HAS_TIMERS
/* ---- connect timeout through scheduleTimer ----
 * A local listener that never accepts, with its backlog already full: the kernel drops
 * further SYNs, so a connect stays pending (nothing leaves 127.0.0.1). */
static void suite_connect_timeout(void) {
    suiteState st;
    redisAsyncContext *ac;
    redisOptions options = {0};
    struct timeval tv = {0, 300000};
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int lfd, fillers[8], nfill = 0;

    SECTION("connect timeout (listener with a full backlog, 300 ms)");
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 0) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &len) != 0) {
        CHECK(0, "could not set up the silent listener");
        if (lfd >= 0) close(lfd);
        return;
    }
    for (nfill = 0; nfill < 8; nfill++) {
        fillers[nfill] = socket(AF_INET, SOCK_STREAM, 0);
        fcntl(fillers[nfill], F_SETFL, O_NONBLOCK);
        connect(fillers[nfill], (struct sockaddr *)&sa, sizeof(sa));
    }
    usleep(100000); /* let the handshakes that fit complete */

    memset(&st, 0, sizeof(st));
    REDIS_OPTIONS_SET_TCP(&options, "127.0.0.1", ntohs(sa.sin_port));
    options.connect_timeout = &tv;
    ac = redisAsyncConnectWithOptions(&options);
    CHECK(ac != NULL && ac->err == 0, "async connect: %s", ac ? ac->errstr : "NULL");
    if (ac != NULL && ac->err == 0) {
        ac->data = &st;
        ac->dataCleanup = suite_on_gone;
        CHECK(adapter_attach(ac) == REDIS_OK, "attach");
        redisAsyncSetConnectCallback(ac, suite_on_connect);
        redisAsyncSetDisconnectCallback(ac, suite_on_disconnect);
        redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
        st.started = suite_now();
        suite_run(&st);
        double took = suite_now() - st.started;
        CHECK(st.connect_calls == 1 && st.connect_status == REDIS_ERR,
              "onConnect once with REDIS_ERR (%d calls, status %d)", st.connect_calls, st.connect_status);
        CHECK(st.err == REDIS_ERR_TIMEOUT && strcmp(st.errstr, "Timeout") == 0,
              "err %d \"%s\"", st.err, st.errstr);
        CHECK(st.replies == 1 && st.nulls == 1, "the pending command gets NULL");
        CHECK(st.disconnect_calls == 0, "no onDisconnect for a connection that never came up");
        CHECK(took >= 0.25 && took < 0.9, "timed out after %.3f s, want about 0.3 s", took);
    } else {
        redisAsyncFree(ac);
    }
    for (int i = 0; i < nfill; i++)
        close(fillers[i]);
    close(lfd);
}
#endif

static void run_adapter_suite(void) {
    signal(SIGPIPE, SIG_IGN);
    alarm(120); /* a hung loop fails the program instead of the whole run */
    printf("adapter: %s\n", ADAPTER_NAME);
    suite_attach_twice();
    suite_batch(1);
    suite_batch(0);
    suite_disconnect_inside();
    suite_free_inside();
    suite_server_close();
    suite_refused();
#if ADAPTER_HAS_TIMERS
    suite_connect_timeout();
#endif
    suite_timeout();
}

#endif
