/* The scenarios every adapter test runs against the harness's redis-server. A test file
 * defines ADAPTER_NAME and ADAPTER_HAS_TIMERS, includes this header, then implements:
 *
 *   adapter_attach(ac)     attach the adapter (returns its REDIS_OK / REDIS_ERR)
 *   adapter_step()         run one blocking iteration of its loop
 *   adapter_step_nowait()  run one iteration that does not wait for events
 *   adapter_quiet()        once every context is gone: 1 if the loop holds nothing of them anymore
 *
 * and main() calls run_adapter_suite() and ends with `return tl_done();`. A context's end is
 * observed through ac->dataCleanup, which the library calls once, last, in its free sequence.
 * Every context the suite makes is listed in suite_live[] until then (loops without a
 * registry of their own, like poll.h, tick those).
 *
 * ADAPTER_RUN_NATIVE, if defined, is a statement that runs the loop its own way until it
 * holds nothing (for loops whose test steps are built from extra calls, e.g. ivykis's).
 * ADAPTER_SYSCALLS_MAX (default 3) bounds the system calls per command at one command in
 * flight: the first scenario runs the program again under strace (SUITE_SYSCALLS_CHILD=1),
 * where it only plays 10,000 PINGs one at a time, and counts the calls between two markers.
 *
 * The last scenario kills the redis-server (SIGKILL, pid from REDIS_PIDFILE): nothing may run
 * against the server after run_adapter_suite(). ASYNC_PIPELINE_N sets the size of the big
 * pipeline (default 1,000,000; 100,000 under valgrind). */
#ifndef HIREDIS_RS_TEST_ADAPTER_SUITE_H
#define HIREDIS_RS_TEST_ADAPTER_SUITE_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int adapter_attach(redisAsyncContext *ac);
static void adapter_step(void);
static void adapter_step_nowait(void);
static int adapter_quiet(void);

/* What one context went through. */
typedef struct suiteState {
    int live_idx;             /* slot in suite_live[] */
    int connect_calls, connect_status;
    int disconnect_calls, disconnect_status;
    int gone;                 /* dataCleanup ran */
    int err;                  /* ac->err seen by the last library callback */
    char errstr[128];
    /* scenario bookkeeping */
    long replies, bad, nulls;
    int after_disconnect_rc;
    long replies_at_disconnect; /* callbacks that had run when onDisconnect was called */
    int action;               /* SUITE_* request made from inside onConnect / onDisconnect */
    double started;
} suiteState;

enum { SUITE_FREE_IN_CONNECT = 1, SUITE_DISCONNECT_IN_CONNECT, SUITE_FREE_IN_DISCONNECT };

/* ---- the contexts that are still alive -------------------------------------------------- */

#define SUITE_MAXLIVE 4096
static redisAsyncContext *suite_live[SUITE_MAXLIVE]; /* NULL: a freed slot */
static int suite_live_slots, suite_live_count;

static void suite_live_add(suiteState *st, redisAsyncContext *ac) {
    if (suite_live_slots == SUITE_MAXLIVE) {
        printf("suite: too many contexts\n");
        abort();
    }
    st->live_idx = suite_live_slots;
    suite_live[suite_live_slots++] = ac;
    suite_live_count++;
}

static void suite_live_del(suiteState *st) {
    suite_live[st->live_idx] = NULL;
    if (--suite_live_count == 0)
        suite_live_slots = 0; /* every slot is NULL again */
}

/* Squeezes out the freed slots; only call it outside any loop over suite_live[]. */
static inline void suite_live_compact(void) {
    int j = 0;
    for (int i = 0; i < suite_live_slots; i++) {
        if (suite_live[i] == NULL)
            continue;
        ((suiteState *)suite_live[i]->data)->live_idx = j;
        suite_live[j++] = suite_live[i];
    }
    suite_live_slots = j;
}

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
    if (st->action == SUITE_FREE_IN_CONNECT)
        redisAsyncFree((redisAsyncContext *)ac); /* deferred until onConnect returns */
    else if (st->action == SUITE_DISCONNECT_IN_CONNECT)
        redisAsyncDisconnect((redisAsyncContext *)ac);
}

static void suite_on_disconnect(const redisAsyncContext *ac, int status) {
    suiteState *st = (suiteState *)ac->data;
    st->disconnect_calls++;
    st->disconnect_status = status;
    st->replies_at_disconnect = st->replies;
    suite_note_err(st, ac);
    if (st->action == SUITE_FREE_IN_DISCONNECT)
        redisAsyncFree((redisAsyncContext *)ac); /* already being freed: must do nothing */
}

static void suite_on_gone(void *data) {
    suiteState *st = (suiteState *)data;
    if (st->gone++ == 0)
        suite_live_del(st);
}

/* Takes over a freshly created context: state, dataCleanup, adapter, callbacks. Returns ac,
 * or NULL (context released) when it could not be created or attached. */
static redisAsyncContext *suite_adopt(suiteState *st, redisAsyncContext *ac) {
    memset(st, 0, sizeof(*st));
    if (ac == NULL || ac->err) {
        CHECK(0, "async connect: %s", ac ? ac->errstr : "NULL");
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = st;
    ac->dataCleanup = suite_on_gone;
    if (adapter_attach(ac) != REDIS_OK) {
        CHECK(0, "attach");
        ac->dataCleanup = NULL;
        redisAsyncFree(ac);
        return NULL;
    }
    suite_live_add(st, ac);
    /* Failures only are counted here, so a thousand contexts do not swamp the totals. */
    if (redisAsyncSetConnectCallback(ac, suite_on_connect) != REDIS_OK)
        CHECK(0, "connect callback refused");
    if (redisAsyncSetDisconnectCallback(ac, suite_on_disconnect) != REDIS_OK)
        CHECK(0, "disconnect callback refused");
    return ac;
}

static const char *suite_host(void) { return tl_env("REDIS_HOST", "127.0.0.1"); }
static int suite_port(void) { return atoi(tl_env("REDIS_PORT", "6379")); }
static const char *suite_sock(void) { return tl_env("REDIS_SOCK", "/tmp/redis.sock"); }

/* tcp: 1 for REDIS_HOST/REDIS_PORT, 0 for REDIS_SOCK. port_override > 0 replaces the port. */
static redisAsyncContext *suite_connect(suiteState *st, int tcp, int port_override) {
    if (tcp)
        return suite_adopt(st, redisAsyncConnect(suite_host(), port_override > 0 ? port_override : suite_port()));
    return suite_adopt(st, redisAsyncConnectUnix(suite_sock()));
}

/* A TCP context to the harness's server with extra REDIS_OPT_* flags. */
static redisAsyncContext *suite_connect_opts(suiteState *st, int port, int flags, redisAsyncPushFn *push) {
    redisOptions options = {0};
    REDIS_OPTIONS_SET_TCP(&options, suite_host(), port > 0 ? port : suite_port());
    options.options |= flags;
    options.async_push_cb = push;
    return suite_adopt(st, redisAsyncConnectWithOptions(&options));
}

/* Runs the loop until the context is gone; when it was the last one, checks the adapter
 * let go of everything. */
static void suite_run(suiteState *st) {
    while (!st->gone)
        adapter_step();
    CHECK(st->gone == 1, "dataCleanup ran %d times", st->gone);
    if (suite_live_count == 0)
        CHECK(adapter_quiet(), "the loop still holds events of a freed context");
}

/* Runs until every context is gone, then checks the loop is empty. */
static void suite_run_all(void) {
    while (suite_live_count > 0)
        adapter_step();
    CHECK(adapter_quiet(), "the loop still holds events of freed contexts");
}

/* Runs until *flag is set (the loop must have something that will set it). */
static void suite_run_until(volatile int *flag) {
    while (!*flag)
        adapter_step();
}

/* Turns the loop without blocking for about `seconds`. */
static void suite_spin(double seconds) {
    double end = suite_now() + seconds;
    while (suite_now() < end) {
        adapter_step_nowait();
        usleep(1000);
    }
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

#define SUITE_KEYS 1000 /* keys cycle, so the server's memory stays small */
static long suite_batch_n;

static void suite_batch_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    long i = (long)(intptr_t)privdata;
    char want[32];

    if (i != st->replies)
        st->bad++; /* out of order */
    st->replies++;
    if (reply == NULL) {
        st->nulls++;
    } else if (i % 3 == 0) {
        if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0) st->bad++;
    } else if (i % 3 == 1) {
        snprintf(want, sizeof(want), "v%ld", i - 1);
        if (reply->type != REDIS_REPLY_STRING || strcmp(reply->str, want) != 0) st->bad++;
    } else {
        if (reply->type != REDIS_REPLY_INTEGER || reply->integer != i / 3 + 1) st->bad++;
    }
    if (i == suite_batch_n - 1)
        redisAsyncDisconnect(ac);
}

static void suite_batch(int tcp, long n) {
    suiteState st;
    redisAsyncContext *ac;
    const char *ctr = tcp ? "suite:ctr:tcp" : "suite:ctr:unix";
    long queued = 0;
    char title[96];

    snprintf(title, sizeof(title), "%ld pipelined commands over %s", n, tcp ? "TCP" : "the unix socket");
    SECTION(title);
    if ((ac = suite_connect(&st, tcp, 0)) == NULL)
        return;
    suite_batch_n = n;
    redisAsyncCommand(ac, NULL, NULL, "DEL %s", ctr);
    st.started = suite_now();
    for (long i = 0; i < n; i++) {
        void *pd = (void *)(intptr_t)i;
        int rc;
        if (i % 3 == 0)
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "SET key:%ld v%ld", i % SUITE_KEYS, i);
        else if (i % 3 == 1)
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "GET key:%ld", (i - 1) % SUITE_KEYS);
        else
            rc = redisAsyncCommand(ac, suite_batch_cb, pd, "INCR %s", ctr);
        queued += rc == REDIS_OK;
    }
    CHECK(queued == n, "every command accepted before the connection completed (%ld)", queued);
    suite_run(&st);
    printf("   %ld commands in %.2f s\n", n, suite_now() - st.started);
    CHECK(st.connect_calls == 1 && st.connect_status == REDIS_OK,
          "onConnect once with REDIS_OK (%d calls, status %d)", st.connect_calls, st.connect_status);
    CHECK(st.replies == n, "%ld of %ld callbacks ran", st.replies, n);
    CHECK(st.bad == 0, "%ld callbacks out of order or with a wrong reply", st.bad);
    CHECK(st.nulls == 0, "%ld NULL replies", st.nulls);
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
    CHECK(st.replies == 2 && st.nulls == 2, "both callbacks get NULL (%ld replies, %ld NULL)", st.replies, st.nulls);
    CHECK(st.err == REDIS_ERR_TIMEOUT && strcmp(st.errstr, "Timeout") == 0,
          "err %d \"%s\", want %d \"Timeout\"", st.err, st.errstr, REDIS_ERR_TIMEOUT);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR,
          "onDisconnect once with REDIS_ERR (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
    CHECK(took >= 0.15 && took < (tl_under_valgrind() ? 2.0 : 0.9), "timed out after %.3f s, want about 0.2 s", took);
    /* Let the server finish its sleep so later scenarios are not delayed by it. */
    usleep(900000);
#else
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "DEBUG SLEEP 0.4");
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
    redisAsyncCommand(ac, NULL, NULL, "PING");
    /* Disconnect once the queue drains. */
    redisAsyncDisconnect(ac);
    suite_run(&st);
    CHECK(st.replies == 2 && st.nulls == 0, "both replies arrive (%ld replies, %ld NULL)", st.replies, st.nulls);
    CHECK(suite_now() - st.started >= 0.35, "the reply waited for DEBUG SLEEP");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK, "onDisconnect with REDIS_OK");
#endif
}

/* ---- disconnect and free from inside a reply callback, with commands queued ---- */

#define SUITE_QUEUED 100

static void suite_disconnect_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    long which = (long)(intptr_t)privdata;

    if (which != st->replies) st->bad++;
    st->replies++;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "PONG") != 0)
        st->bad++;
    if (which == 0) {
        redisAsyncDisconnect(ac);
        st->after_disconnect_rc = redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)-1, "PING");
    }
}

static void suite_disconnect_inside(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("redisAsyncDisconnect from inside a callback, 100 commands queued behind it");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    for (long i = 0; i <= SUITE_QUEUED; i++)
        redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)i, "PING");
    suite_run(&st);
    CHECK(st.replies == SUITE_QUEUED + 1 && st.bad == 0,
          "every queued PING answered in order (%ld replies, %ld bad)", st.replies, st.bad);
    CHECK(st.after_disconnect_rc == REDIS_ERR, "a command after redisAsyncDisconnect is refused");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK,
          "onDisconnect once with REDIS_OK (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
}

static void suite_free_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    redisReply *reply = (redisReply *)r;
    long which = (long)(intptr_t)privdata;

    if (which != st->replies) st->bad++;
    st->replies++;
    if (which == 0) {
        if (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0)
            st->bad++;
        redisAsyncFree(ac); /* deferred by the library until this callback returns */
        st->after_disconnect_rc = redisAsyncCommand(ac, suite_free_cb, (void *)(intptr_t)-1, "PING");
    } else if (reply != NULL) {
        st->bad++; /* pending when the context was freed: must see NULL */
    } else {
        st->nulls++;
    }
}

static void suite_free_inside(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("redisAsyncFree from inside a callback, 100 commands queued behind it");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    redisAsyncCommand(ac, suite_free_cb, (void *)(intptr_t)0, "SET suite:free yes");
    for (long i = 1; i <= SUITE_QUEUED; i++)
        redisAsyncCommand(ac, suite_free_cb, (void *)(intptr_t)i, "GET suite:free");
    suite_run(&st);
    CHECK(st.replies == SUITE_QUEUED + 1 && st.bad == 0 && st.nulls == SUITE_QUEUED,
          "first callback gets OK, every queued one NULL once, in order (%ld replies, %ld bad, %ld NULL)",
          st.replies, st.bad, st.nulls);
    CHECK(st.replies_at_disconnect == SUITE_QUEUED + 1, "onDisconnect after the last NULL callback");
    CHECK(st.after_disconnect_rc == REDIS_ERR, "a command after redisAsyncFree is refused");
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
          "QUIT gets OK, PING NULL (%ld replies, %ld bad, %ld NULL)", st.replies, st.bad, st.nulls);
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

/* ---- connect timeout ----
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

    SECTION(ADAPTER_HAS_TIMERS ? "connect timeout (listener with a full backlog, 300 ms)"
                               : "no timers: a connect timeout is not enforced (listener with a full backlog)");
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
    /* Fill the accept queue: connects that complete occupy it; once one hangs, it is full. */
    for (nfill = 0; nfill < 8;) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        fillers[nfill++] = fd;
        p.fd = fd; p.events = POLLOUT; p.revents = 0;
        if (poll(&p, 1, 200) == 0)
            break;
    }

    REDIS_OPTIONS_SET_TCP(&options, "127.0.0.1", ntohs(sa.sin_port));
    options.connect_timeout = &tv;
    if ((ac = suite_adopt(&st, redisAsyncConnectWithOptions(&options))) != NULL) {
        redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
        st.started = suite_now();
#if ADAPTER_HAS_TIMERS
        suite_run(&st);
        double took = suite_now() - st.started;
        CHECK(st.connect_calls == 1 && st.connect_status == REDIS_ERR,
              "onConnect once with REDIS_ERR (%d calls, status %d)", st.connect_calls, st.connect_status);
        CHECK(st.err == REDIS_ERR_TIMEOUT && strcmp(st.errstr, "Timeout") == 0,
              "err %d \"%s\"", st.err, st.errstr);
        CHECK(st.replies == 1 && st.nulls == 1, "the pending command gets NULL");
        CHECK(st.disconnect_calls == 0, "no onDisconnect for a connection that never came up");
        CHECK(took >= 0.25 && took < (tl_under_valgrind() ? 2.0 : 0.9), "timed out after %.3f s, want about 0.3 s", took);
#else
        suite_spin(0.7);
        CHECK(st.connect_calls == 0 && st.replies == 0 && !st.gone,
              "still connecting after 0.7 s (%d onConnect, %ld replies)", st.connect_calls, st.replies);
        redisAsyncFree(ac);
        CHECK(st.gone == 1 && st.replies == 1 && st.nulls == 1, "free gives the pending command NULL");
        CHECK(st.connect_calls == 0 && st.disconnect_calls == 0, "no onConnect / onDisconnect (never connected)");
        suite_run_all();
#endif
    }
    for (int i = 0; i < nfill; i++)
        close(fillers[i]);
    close(lfd);
}

/* ---- CLIENT KILL from a second (sync) connection ---- */

static long long suite_victim_id;

static void suite_id_cb(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)ac; (void)privdata;
    suite_victim_id = reply != NULL && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

static void suite_pending_cb(redisAsyncContext *ac, void *r, void *privdata) {
    suiteState *st = (suiteState *)ac->data;
    long which = (long)(intptr_t)privdata;
    if (which != st->replies) st->bad++;
    st->replies++;
    if (r == NULL) st->nulls++;
    /* Teardown: commands issued from the NULL callbacks are refused. */
    if (redisAsyncCommand(ac, suite_pending_cb, (void *)(intptr_t)-1, "PING") == REDIS_ERR)
        st->after_disconnect_rc++;
}

static void suite_client_kill(void) {
    suiteState st;
    redisAsyncContext *ac;
    redisContext *c;
    redisReply *reply;

    SECTION("CLIENT KILL from a second (sync) connection, BLPOP and 100 commands pending");
    suite_victim_id = 0;
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    redisAsyncCommand(ac, suite_id_cb, NULL, "CLIENT ID");
    redisAsyncCommand(ac, suite_pending_cb, (void *)(intptr_t)0, "BLPOP suite:nothing 0");
    for (long i = 1; i <= SUITE_QUEUED; i++)
        redisAsyncCommand(ac, suite_pending_cb, (void *)(intptr_t)i, "PING");
    while (suite_victim_id == 0)
        adapter_step();
    CHECK(suite_victim_id > 0, "CLIENT ID answered");
    suite_spin(0.05); /* the rest reaches the server, which blocks on BLPOP */
    c = redisConnect(suite_host(), suite_port());
    CHECK(c != NULL && c->err == 0, "sync connect: %s", c ? c->errstr : "NULL");
    if (c == NULL || c->err) {
        redisFree(c);
        redisAsyncFree(ac);
        suite_run_all();
        return;
    }
    reply = (redisReply *)redisCommand(c, "CLIENT KILL ID %lld", suite_victim_id);
    CHECK(reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1,
          "CLIENT KILL killed one client");
    freeReplyObject(reply);
    redisFree(c);
    suite_run(&st);
    CHECK(st.replies == SUITE_QUEUED + 1 && st.nulls == SUITE_QUEUED + 1 && st.bad == 0,
          "every pending callback once with NULL, in order (%ld calls, %ld NULL, %ld bad)", st.replies, st.nulls, st.bad);
    CHECK(st.after_disconnect_rc == SUITE_QUEUED + 1, "commands from the NULL callbacks refused");
    CHECK(st.replies_at_disconnect == SUITE_QUEUED + 1, "onDisconnect after the last NULL callback");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR,
          "onDisconnect once with REDIS_ERR (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
    /* EOF normally; a reset when the server closed with our PINGs still unread. */
    CHECK((st.err == REDIS_ERR_EOF && strcmp(st.errstr, "Server closed the connection") == 0) ||
          (st.err == REDIS_ERR_IO && strcmp(st.errstr, "Connection reset by peer") == 0),
          "err %d \"%s\"", st.err, st.errstr);
    printf("   the victim saw: %s\n", st.errstr);
}

/* ---- requests from inside onConnect / onDisconnect ---- */

static void suite_connect_requests(void) {
    suiteState st;
    redisAsyncContext *ac;

    SECTION("redisAsyncFree inside onConnect, 100 commands queued");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    st.action = SUITE_FREE_IN_CONNECT;
    for (long i = 0; i < SUITE_QUEUED; i++)
        redisAsyncCommand(ac, suite_pending_cb, (void *)(intptr_t)i, "PING");
    suite_run(&st);
    CHECK(st.connect_calls == 1 && st.connect_status == REDIS_OK, "onConnect(OK) once");
    CHECK(st.replies == SUITE_QUEUED && st.nulls == SUITE_QUEUED && st.bad == 0,
          "every queued callback once with NULL, in order (%ld, %ld NULL, %ld bad)", st.replies, st.nulls, st.bad);
    CHECK(st.after_disconnect_rc == SUITE_QUEUED, "commands from the NULL callbacks refused");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK && st.replies_at_disconnect == SUITE_QUEUED,
          "then onDisconnect(OK) (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);

    SECTION("redisAsyncDisconnect inside onConnect, 100 commands queued: all still answered");
    if ((ac = suite_connect(&st, 0, 0)) == NULL)
        return;
    st.action = SUITE_DISCONNECT_IN_CONNECT;
    for (long i = 0; i <= SUITE_QUEUED; i++)
        redisAsyncCommand(ac, suite_disconnect_cb, (void *)(intptr_t)i, "PING");
    suite_run(&st);
    CHECK(st.replies == SUITE_QUEUED + 1 && st.bad == 0, "every PING answered in order (%ld, %ld bad)", st.replies, st.bad);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK, "then onDisconnect(OK)");

    SECTION("redisAsyncFree inside onDisconnect (server closed) does nothing more");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    st.action = SUITE_FREE_IN_DISCONNECT;
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)0, "QUIT");
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)1, "PING");
    suite_run(&st);
    CHECK(st.replies == 2 && st.bad == 0 && st.nulls == 1, "QUIT OK, PING NULL");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR, "onDisconnect(ERR) once");
}

/* ---- pub/sub: channel, pattern and sharded, a publisher on a second connection ---- */

/* String tags as privdata. */
#define SUITE_TAG(s) ((void *)(uintptr_t)(s))

typedef struct suitePubsub {
    int resp3;
    redisAsyncContext *sub, *pub;
    int subscribed, messages, unsubscribed, published_ok;
    int bad, nulls, push_calls, ping_ok, after_ok;
    char log[16][96];
    int nlog;
} suitePubsub;
static suitePubsub ps;

static void suite_ps_log(const char *tag, const redisReply *r) {
    char *e;
    if (ps.nlog >= 16) return;
    e = ps.log[ps.nlog++];
    if (r == NULL)
        snprintf(e, 96, "%s:NULL", tag);
    else if ((r->type == REDIS_REPLY_ARRAY || r->type == REDIS_REPLY_PUSH) && r->elements >= 3 &&
             r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING)
        snprintf(e, 96, "%s:%c%s:%s:%s", tag, r->type == REDIS_REPLY_PUSH ? '>' : '*', r->element[0]->str,
                 r->element[1]->str, r->element[r->elements - 1]->str ? r->element[r->elements - 1]->str : "#");
    else
        snprintf(e, 96, "%s:type %d", tag, r->type);
}

static void suite_ps_push(redisAsyncContext *ac, void *r) {
    (void)ac;
    ps.push_calls++;
    suite_ps_log("push", (redisReply *)r);
}

static void suite_ps_after(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)privdata;
    if (reply != NULL && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0)
        ps.after_ok++;
    else
        ps.bad++;
    redisAsyncDisconnect(ac);
    redisAsyncDisconnect(ps.pub);
}

static void suite_ps_ping(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)ac; (void)privdata;
    if (reply == NULL)
        ps.nulls++;
    else if (ps.resp3 ? reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0
                      : reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                        reply->element[0]->type == REDIS_REPLY_STRING &&
                        strcmp(reply->element[0]->str, "pong") == 0)
        ps.ping_ok++;
    else
        ps.bad++;
}

static void suite_ps_published(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)ac; (void)privdata;
    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
        ps.published_ok++;
    else
        ps.bad++;
}

/* One callback per subscription; privdata names it: "ch", "pat" or "shard". */
static void suite_ps_cb(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    const char *tag = (const char *)privdata;
    const char *kind, *want_name, *want_kind;

    suite_ps_log(tag, reply);
    if (reply == NULL) {
        ps.nulls++;
        return;
    }
    if (reply->type != (ps.resp3 ? REDIS_REPLY_PUSH : REDIS_REPLY_ARRAY) || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING) {
        ps.bad++;
        return;
    }
    kind = reply->element[0]->str;
    want_name = strcmp(tag, "ch") == 0 ? "suite:ch" : strcmp(tag, "pat") == 0 ? "suite:pat.*" : "suite:shard";
    want_kind = strcmp(tag, "ch") == 0 ? "" : strcmp(tag, "pat") == 0 ? "p" : "s";
    if (strcmp(reply->element[1]->str, want_name) != 0 || strncmp(kind, want_kind, strlen(want_kind)) != 0) {
        ps.bad++; /* a frame of another subscription */
        return;
    }
    kind += strlen(want_kind);
    if (strcmp(kind, "subscribe") == 0) {
        if (reply->element[2]->type != REDIS_REPLY_INTEGER) ps.bad++;
        if (++ps.subscribed == 3) {
            /* All three confirmed: a PING while subscribed, then publish to each. */
            redisAsyncCommand(ac, suite_ps_ping, NULL, "PING");
            redisAsyncCommand(ps.pub, suite_ps_published, NULL, "PUBLISH suite:ch m-ch");
            redisAsyncCommand(ps.pub, suite_ps_published, NULL, "PUBLISH suite:pat.x m-pat");
            redisAsyncCommand(ps.pub, suite_ps_published, NULL, "SPUBLISH suite:shard m-shard");
        }
    } else if (strcmp(kind, "message") == 0) {
        const redisReply *last = reply->element[reply->elements - 1];
        char want[16];
        snprintf(want, sizeof(want), "m-%s", tag);
        if (last->type != REDIS_REPLY_STRING || strcmp(last->str, want) != 0) ps.bad++;
        if (strcmp(tag, "pat") == 0 &&
            (reply->elements != 4 || strcmp(reply->element[2]->str, "suite:pat.x") != 0))
            ps.bad++; /* pmessage: pattern, channel, payload */
        if (++ps.messages == 3) {
            redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE suite:ch");
            redisAsyncCommand(ac, NULL, NULL, "PUNSUBSCRIBE suite:pat.*");
            redisAsyncCommand(ac, NULL, NULL, "SUNSUBSCRIBE suite:shard");
        }
    } else if (strcmp(kind, "unsubscribe") == 0) {
        if (++ps.unsubscribed == 3)
            redisAsyncCommand(ac, suite_ps_after, NULL, "SET suite:after-pubsub 1");
    } else {
        ps.bad++;
    }
}

static void suite_pubsub(int resp3) {
    suiteState sub_st, pub_st;

    SECTION(resp3 ? "RESP3 pub/sub: channel, pattern, sharded; publisher on a second connection"
                  : "RESP2 pub/sub: channel, pattern, sharded; publisher on a second connection");
    memset(&ps, 0, sizeof(ps));
    ps.resp3 = resp3;
    if ((ps.pub = suite_connect(&pub_st, 1, 0)) == NULL)
        return;
    if ((ps.sub = suite_connect_opts(&sub_st, 0, 0, suite_ps_push)) == NULL) {
        redisAsyncFree(ps.pub);
        suite_run_all();
        return;
    }
    if (resp3)
        redisAsyncCommand(ps.sub, NULL, NULL, "HELLO 3");
    CHECK(redisAsyncCommand(ps.sub, suite_ps_cb, SUITE_TAG("ch"), "SUBSCRIBE suite:ch") == REDIS_OK, "SUBSCRIBE");
    CHECK(redisAsyncCommand(ps.sub, suite_ps_cb, SUITE_TAG("pat"), "PSUBSCRIBE suite:pat.*") == REDIS_OK, "PSUBSCRIBE");
    CHECK(redisAsyncCommand(ps.sub, suite_ps_cb, SUITE_TAG("shard"), "SSUBSCRIBE suite:shard") == REDIS_OK, "SSUBSCRIBE");
    suite_run_all();
    CHECK(ps.subscribed == 3, "three subscribe confirmations (%d)", ps.subscribed);
    CHECK(ps.published_ok == 3, "each publish reached one subscriber (%d)", ps.published_ok);
    CHECK(ps.messages == 3, "message, pmessage, smessage each to its own callback (%d)", ps.messages);
    CHECK(ps.unsubscribed == 3, "three unsubscribe confirmations (%d)", ps.unsubscribed);
    CHECK(ps.ping_ok == 1, resp3 ? "PING while subscribed: PONG" : "PING while subscribed: [pong, \"\"]");
    CHECK(ps.after_ok == 1, "a command after the last unsubscribe answered normally");
    CHECK(ps.bad == 0 && ps.nulls == 0, "no wrong or NULL delivery (%d bad, %d NULL)", ps.bad, ps.nulls);
    CHECK(ps.push_calls == 0, "the push callback never sees pub/sub frames (%d)", ps.push_calls);
    CHECK(sub_st.disconnect_calls == 1 && sub_st.disconnect_status == REDIS_OK, "subscriber onDisconnect(OK)");
    CHECK(pub_st.disconnect_calls == 1 && pub_st.disconnect_status == REDIS_OK, "publisher onDisconnect(OK)");
    if (tl_failed)
        for (int i = 0; i < ps.nlog; i++) printf("   %s\n", ps.log[i]);
}

/* ---- MONITOR ---- */

static int suite_mon_ok, suite_mon_seen, suite_mon_nulls, suite_mon_bad, suite_mon_done;
static redisAsyncContext *suite_mon_pub;

static void suite_mon_cb(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    char want[32];
    (void)privdata;
    if (reply == NULL) {
        suite_mon_nulls++;
        return;
    }
    if (reply->type != REDIS_REPLY_STATUS) {
        suite_mon_bad++;
        return;
    }
    if (!suite_mon_ok) {
        if (strcmp(reply->str, "OK") == 0) suite_mon_ok = 1;
        else suite_mon_bad++;
        for (int i = 0; i < 3; i++)
            redisAsyncCommand(suite_mon_pub, NULL, NULL, "SET suite:mon%d %d", i, i);
        return;
    }
    snprintf(want, sizeof(want), "\"suite:mon%d\"", suite_mon_seen);
    if (strstr(reply->str, want) != NULL) {
        if (++suite_mon_seen == 3) {
            CHECK(ac->c.flags & REDIS_MONITORING, "MONITORING");
            suite_mon_done = 1;
        }
    } else if (strstr(reply->str, "\"suite:mon") != NULL) {
        suite_mon_bad++; /* out of order */
    }
}

static void suite_monitor(void) {
    suiteState mon_st, pub_st;
    redisAsyncContext *mon;

    SECTION("MONITOR sees a second connection's commands; the record gets NULL once at free");
    suite_mon_ok = suite_mon_seen = suite_mon_nulls = suite_mon_bad = suite_mon_done = 0;
    if ((suite_mon_pub = suite_connect(&pub_st, 1, 0)) == NULL)
        return;
    if ((mon = suite_connect(&mon_st, 0, 0)) == NULL) {
        redisAsyncFree(suite_mon_pub);
        suite_run_all();
        return;
    }
    redisAsyncCommand(mon, suite_mon_cb, NULL, "MONITOR");
    suite_run_until(&suite_mon_done);
    CHECK(suite_mon_ok == 1 && suite_mon_seen == 3 && suite_mon_bad == 0,
          "OK, then the three SETs in order (%d, %d, %d bad)", suite_mon_ok, suite_mon_seen, suite_mon_bad);
    CHECK(suite_mon_nulls == 0, "no NULL while connected");
    redisAsyncFree(mon);
    CHECK(mon_st.gone == 1 && suite_mon_nulls == 1, "the monitor callback gets NULL once at free (%d)", suite_mon_nulls);
    CHECK(mon_st.disconnect_calls == 1 && mon_st.disconnect_status == REDIS_OK, "onDisconnect(OK)");
    redisAsyncDisconnect(suite_mon_pub);
    suite_run_all();
}

/* ---- push callback from CLIENT TRACKING (RESP3) ---- */

static int suite_trk_pushes, suite_trk_bad, suite_trk_done, suite_trk_in_cb;
static redisAsyncContext *suite_trk_pub;

static void suite_trk_push(redisAsyncContext *ac, void *r) {
    redisReply *reply = (redisReply *)r;
    if (ac->c.flags & REDIS_IN_CALLBACK) suite_trk_in_cb++;
    if (reply != NULL && reply->type == REDIS_REPLY_PUSH && reply->elements == 2 &&
        strcmp(reply->element[0]->str, "invalidate") == 0 && reply->element[1]->type == REDIS_REPLY_ARRAY &&
        reply->element[1]->elements == 1 && strcmp(reply->element[1]->element[0]->str, "suite:trk") == 0) {
        suite_trk_pushes++;
        suite_trk_done = 1;
    } else {
        suite_trk_bad++;
    }
}

static void suite_trk_get(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)ac; (void)privdata;
    if (reply == NULL || reply->type != REDIS_REPLY_STRING || strcmp(reply->str, "1") != 0) suite_trk_bad++;
    /* The key is now tracked: another client changes it. */
    redisAsyncCommand(suite_trk_pub, NULL, NULL, "SET suite:trk 2");
}

static void suite_tracking(void) {
    suiteState st, pub_st;
    redisAsyncContext *ac;

    SECTION("push callback from CLIENT TRACKING (RESP3 invalidate)");
    suite_trk_pushes = suite_trk_bad = suite_trk_done = suite_trk_in_cb = 0;
    if ((suite_trk_pub = suite_connect(&pub_st, 1, 0)) == NULL)
        return;
    if ((ac = suite_connect_opts(&st, 0, 0, suite_trk_push)) == NULL) {
        redisAsyncFree(suite_trk_pub);
        suite_run_all();
        return;
    }
    CHECK(ac->push_cb == suite_trk_push && ac->c.push_cb == NULL, "async_push_cb from the options");
    redisAsyncCommand(ac, NULL, NULL, "SET suite:trk 1");
    redisAsyncCommand(ac, NULL, NULL, "HELLO 3");
    redisAsyncCommand(ac, NULL, NULL, "CLIENT TRACKING on");
    redisAsyncCommand(ac, suite_trk_get, NULL, "GET suite:trk");
    suite_run_until(&suite_trk_done);
    CHECK(suite_trk_pushes == 1 && suite_trk_bad == 0, "one invalidate push for suite:trk (%d, %d bad)",
          suite_trk_pushes, suite_trk_bad);
    CHECK(suite_trk_in_cb == suite_trk_pushes, "IN_CALLBACK set while the push callback runs");
    CHECK(ac->c.flags & REDIS_SUPPORTS_PUSH, "SUPPORTS_PUSH");
    redisAsyncDisconnect(ac);
    redisAsyncDisconnect(suite_trk_pub);
    suite_run_all();
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK, "onDisconnect(OK)");
}

/* ---- REDIS_OPT_NOAUTOFREE and REDIS_OPT_NOAUTOFREEREPLIES ---- */

static void suite_noautofree(void) {
    suiteState st;
    redisAsyncContext *ac;
    int port;

    SECTION("NOAUTOFREE: the server closes with a command pending; the context waits for redisAsyncFree");
    if ((ac = suite_connect_opts(&st, 0, REDIS_OPT_NOAUTOFREE, NULL)) == NULL)
        return;
    CHECK(ac->c.flags & REDIS_NO_AUTO_FREE, "NO_AUTO_FREE flag");
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)0, "QUIT");
    redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)1, "PING");
    while (ac->err == 0)
        adapter_step();
    CHECK(ac->err == REDIS_ERR_EOF && strcmp(ac->errstr, "Server closed the connection") == 0,
          "err %d \"%s\"", ac->err, ac->errstr);
    CHECK(st.replies == 1 && st.bad == 0, "QUIT answered, PING not yet (%ld)", st.replies);
    CHECK(!st.gone && st.disconnect_calls == 0, "not freed, no onDisconnect yet");
    CHECK(ac->c.flags & REDIS_DISCONNECTING, "DISCONNECTING");
    CHECK(redisAsyncCommand(ac, suite_quit_cb, (void *)(intptr_t)2, "PING") == REDIS_ERR, "new commands refused");
    suite_spin(0.05);
    CHECK(!st.gone && st.replies == 1, "turning the loop changes nothing");
    redisAsyncFree(ac);
    CHECK(st.gone == 1 && st.replies == 2 && st.nulls == 1, "redisAsyncFree: the pending PING gets NULL");
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_OK,
          "onDisconnect(OK) at free (FREEING forces OK) (%d, %d)", st.disconnect_calls, st.disconnect_status);
    CHECK(st.err == REDIS_ERR_EOF, "err stays EOF (%d)", st.err);
    suite_run_all();

    SECTION("NOAUTOFREE: a refused connect leaves the context for the caller");
    port = suite_closed_port();
    if ((ac = suite_connect_opts(&st, port, REDIS_OPT_NOAUTOFREE, NULL)) == NULL)
        return;
    redisAsyncCommand(ac, suite_timeout_cb, NULL, "PING");
    while (st.connect_calls == 0)
        adapter_step();
    CHECK(st.connect_status == REDIS_ERR && st.err == REDIS_ERR_IO && strcmp(st.errstr, "Connection refused") == 0,
          "onConnect(REDIS_ERR) \"%s\"", st.errstr);
    suite_spin(0.05);
    CHECK(!st.gone && st.replies == 0, "not freed, the pending callback not run yet (%ld)", st.replies);
    redisAsyncFree(ac);
    CHECK(st.gone == 1 && st.replies == 1 && st.nulls == 1, "free: the pending command gets NULL");
    CHECK(st.connect_calls == 1 && st.disconnect_calls == 0, "no onDisconnect (never connected)");
    suite_run_all();
}

#define SUITE_KEEP 50
static redisReply *suite_kept[SUITE_KEEP];
static int suite_nkept;

static void suite_keep_cb(redisAsyncContext *ac, void *r, void *privdata) {
    (void)privdata;
    if (r != NULL && suite_nkept < SUITE_KEEP)
        suite_kept[suite_nkept++] = (redisReply *)r;
    else if (r != NULL)
        freeReplyObject(r);
    if (suite_nkept == SUITE_KEEP)
        redisAsyncDisconnect(ac);
}

static void suite_noautofreereplies(void) {
    suiteState st;
    redisAsyncContext *ac;
    int good = 0;

    SECTION("NOAUTOFREEREPLIES: replies outlive their callbacks and the context");
    suite_nkept = 0;
    if ((ac = suite_connect_opts(&st, 0, REDIS_OPT_NOAUTOFREEREPLIES, NULL)) == NULL)
        return;
    CHECK(ac->c.flags & REDIS_NO_AUTO_FREE_REPLIES, "NO_AUTO_FREE_REPLIES flag");
    for (int i = 0; i < SUITE_KEEP; i++)
        redisAsyncCommand(ac, suite_keep_cb, NULL, "ECHO kept-%d", i);
    suite_run(&st);
    CHECK(suite_nkept == SUITE_KEEP, "every reply handed over (%d)", suite_nkept);
    /* Read them after the context is gone (valgrind/ASan: no use after free), then free them. */
    for (int i = 0; i < suite_nkept; i++) {
        char want[32];
        snprintf(want, sizeof(want), "kept-%d", i);
        good += suite_kept[i]->type == REDIS_REPLY_STRING && strcmp(suite_kept[i]->str, want) == 0;
        freeReplyObject(suite_kept[i]);
    }
    CHECK(good == SUITE_KEEP, "all intact after the context was freed (%d)", good);
}

/* ---- a thousand concurrent connections on one loop ---- */

#define SUITE_NCONN 1000
static suiteState suite_many_st[SUITE_NCONN];
static int suite_many_ok, suite_many_bad;

static void suite_many_cb(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    char want[32];
    snprintf(want, sizeof(want), "conn-%ld", (long)(intptr_t)privdata);
    if (reply != NULL && reply->type == REDIS_REPLY_STRING && strcmp(reply->str, want) == 0)
        suite_many_ok++;
    else
        suite_many_bad++;
    redisAsyncDisconnect(ac);
}

static void suite_many(void) {
    struct rlimit rl;
    int made = 0, connected = 0, clean = 0;
    double t0;

    SECTION("a thousand concurrent connections (half TCP, half unix) on one loop");
    /* 1000 sockets plus the loop's own descriptors (and valgrind's). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < SUITE_NCONN + 200) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    CHECK(rl.rlim_cur >= SUITE_NCONN + 50, "open-file limit %ld is enough", (long)rl.rlim_cur);
    suite_many_ok = suite_many_bad = 0;
    t0 = suite_now();
    for (long i = 0; i < SUITE_NCONN; i++) {
        redisAsyncContext *ac = suite_connect(&suite_many_st[i], (int)(i % 2), 0);
        if (ac == NULL)
            break;
        made++;
        redisAsyncCommand(ac, suite_many_cb, (void *)(intptr_t)i, "ECHO conn-%ld", i);
    }
    CHECK(made == SUITE_NCONN, "all contexts created and attached (%d)", made);
    CHECK(suite_live_count == made, "all open at once (%d)", suite_live_count);
    suite_run_all();
    for (int i = 0; i < made; i++) {
        suiteState *st = &suite_many_st[i];
        connected += st->connect_calls == 1 && st->connect_status == REDIS_OK;
        clean += st->gone == 1 && st->disconnect_calls == 1 && st->disconnect_status == REDIS_OK;
    }
    printf("   %d connections served in %.2f s\n", made, suite_now() - t0);
    CHECK(connected == made, "every onConnect(OK) (%d)", connected);
    CHECK(suite_many_ok == made && suite_many_bad == 0, "every reply to its own callback (%d ok, %d bad)",
          suite_many_ok, suite_many_bad);
    CHECK(clean == made, "every clean disconnect and free (%d)", clean);
}

/* ---- killed server with 10,000 commands pending (must run last) ---- */

#define SUITE_NPEND 10000
static int suite_sleep_calls, suite_sleep_nulls;

static void suite_sleep_cb(redisAsyncContext *ac, void *r, void *privdata) {
    (void)ac; (void)privdata;
    suite_sleep_calls++;
    suite_sleep_nulls += r == NULL;
}

static void suite_killed_server(void) {
    suiteState st;
    redisAsyncContext *ac;
    FILE *f;
    long pid = 0;

    SECTION("killed server with 10,000 commands pending");
    if ((f = fopen(tl_env("REDIS_PIDFILE", ""), "r")) != NULL) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    CHECK(pid > 0, "server pid from REDIS_PIDFILE");
    if (pid <= 0 || (ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    suite_sleep_calls = suite_sleep_nulls = 0;
    redisAsyncCommand(ac, suite_sleep_cb, NULL, "DEBUG SLEEP 30");
    for (long i = 0; i < SUITE_NPEND; i++)
        redisAsyncCommand(ac, suite_pending_cb, (void *)(intptr_t)i, "PING");
    /* Let the commands reach the server, which is asleep and answers nothing. */
    suite_spin(tl_under_valgrind() ? 1.0 : 0.3);
    for (double end = suite_now() + 10; st.connect_calls == 0 && suite_now() < end;)
        suite_spin(0.05); /* a loaded machine: wait for the connection a little longer */
    CHECK(st.connect_calls == 1 && st.replies == 0 && ac->replies.head != NULL, "connected, everything pending");
    CHECK(kill((pid_t)pid, SIGKILL) == 0, "server killed");
    suite_run(&st);
    CHECK(suite_sleep_calls == 1 && suite_sleep_nulls == 1, "DEBUG SLEEP's callback once with NULL");
    CHECK(st.replies == SUITE_NPEND && st.nulls == SUITE_NPEND && st.bad == 0,
          "each pending callback once with NULL, in order (%ld calls, %ld NULL, %ld bad)", st.replies, st.nulls, st.bad);
    CHECK(st.after_disconnect_rc == SUITE_NPEND, "commands from the NULL callbacks refused (%d)", st.after_disconnect_rc);
    CHECK(st.replies_at_disconnect == SUITE_NPEND, "onDisconnect after the last NULL callback (%ld)", st.replies_at_disconnect);
    CHECK(st.disconnect_calls == 1 && st.disconnect_status == REDIS_ERR,
          "then onDisconnect once with REDIS_ERR (%d calls, status %d)", st.disconnect_calls, st.disconnect_status);
    CHECK(st.err == REDIS_ERR_EOF || st.err == REDIS_ERR_IO, "EOF or I/O error (%d \"%s\")", st.err, st.errstr);
    printf("   the loop saw: %s\n", st.errstr);
}

/* ---- system calls per command at one command in flight, counted by strace ---- */

#ifndef ADAPTER_SYSCALLS_MAX
#define ADAPTER_SYSCALLS_MAX 3
#endif
#define SUITE_SC_WARM 100
#define SUITE_SC_N 10000
static long suite_sc_done, suite_sc_bad;

/* The markers strace finds in the log: a call no event library makes on its own. */
static void suite_sc_marker(void) { (void)syscall(SYS_getppid); }

static void suite_sc_cb(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = (redisReply *)r;
    (void)privdata;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "PONG") != 0)
        suite_sc_bad++;
    suite_sc_done++;
    if (suite_sc_done == SUITE_SC_WARM || suite_sc_done == SUITE_SC_WARM + SUITE_SC_N)
        suite_sc_marker();
    if (suite_sc_done < SUITE_SC_WARM + SUITE_SC_N && reply != NULL)
        redisAsyncCommand(ac, suite_sc_cb, NULL, "PING");
    else
        redisAsyncDisconnect(ac);
}

/* The program run under strace: one TCP context, PINGs one after the other from the reply
 * callbacks. Exit status 0 when every reply was a PONG. */
static void suite_syscalls_child(void) {
    suiteState st;
    redisAsyncContext *ac = suite_connect(&st, 1, 0);
    if (ac == NULL)
        exit(3);
    redisAsyncCommand(ac, suite_sc_cb, NULL, "PING");
#ifdef ADAPTER_RUN_NATIVE
    ADAPTER_RUN_NATIVE;
    CHECK(st.gone == 1, "the loop ran until the context was gone");
#else
    suite_run(&st);
#endif
    exit(suite_sc_bad == 0 && suite_sc_done == SUITE_SC_WARM + SUITE_SC_N && tl_failed == 0 ? 0 : 4);
}

static void suite_syscalls(void) {
    char exe[4096], log[4200], out[4200], line[512], top[512] = "";
    const char *tmp = tl_env("TEST_TMPDIR", "/tmp");
    ssize_t len;
    pid_t pid;
    int status = -1, in = 0, markers = 0;
    long calls = 0;
    FILE *f;

    SECTION("system calls per command, one command in flight (strace)");
    if (tl_under_valgrind()) {
        printf("   skipped under valgrind (the plain run counts them)\n");
        return;
    }
    len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(len > 0, "own executable");
    if (len <= 0)
        return;
    exe[len] = '\0';
    snprintf(log, sizeof(log), "%s/strace-%s-%ld.log", tmp, ADAPTER_NAME, (long)getpid());
    snprintf(out, sizeof(out), "%s/strace-%s-%ld.out", tmp, ADAPTER_NAME, (long)getpid());
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setenv("SUITE_SYSCALLS_CHILD", "1", 1);
        execlp("strace", "strace", "-f", "-qq", "-o", log, exe, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0, "fork");
    if (pid <= 0)
        return;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 127, "strace runs (tests/deps.sh installs it)");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the traced run got its %d PONGs (exit status %d, output in %s)",
          SUITE_SC_WARM + SUITE_SC_N, status, out);
    if ((f = fopen(log, "r")) == NULL) {
        CHECK(0, "strace log %s", log);
        return;
    }
    /* Lines look like "<pid> name(args) = result"; a call another thread interrupted shows
     * up twice (unfinished, resumed): count the first half only. */
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = strchr(line, ' ');
        if (p == NULL)
            continue;
        while (*p == ' ')
            p++;
        if (strncmp(p, "getppid(", 8) == 0) {
            markers++;
            in = !in;
            continue;
        }
        if (!in || *p == '<' || *p == '-' || *p == '+')
            continue;
        calls++;
        if (calls <= 6) {
            size_t n = strcspn(p, "(");
            snprintf(top + strlen(top), sizeof(top) - strlen(top), "%s%.*s", calls > 1 ? " " : "", (int)n, p);
        }
    }
    fclose(f);
    CHECK(markers == 2, "both markers in the strace log (%d)", markers);
    printf("   %.4f system calls per command (%ld for %d commands; the first: %s)\n",
           (double)calls / SUITE_SC_N, calls, SUITE_SC_N, top);
    /* A few calls of the test's own (the Qt test's heartbeat timer) may fall in the window. */
    CHECK(calls <= (long)ADAPTER_SYSCALLS_MAX * SUITE_SC_N + 10, "at most %d system calls per command (%.4f)",
          ADAPTER_SYSCALLS_MAX, (double)calls / SUITE_SC_N);
    if (tl_failed == 0) {
        unlink(log);
        unlink(out);
    }
}

static void run_adapter_suite(void) {
    int vg = tl_under_valgrind();
    long n = tl_async_pipeline_n();

    signal(SIGPIPE, SIG_IGN);
    if (getenv("SUITE_SYSCALLS_CHILD") != NULL)
        suite_syscalls_child();
    alarm(vg ? 1200 : 300); /* a hung loop fails the program instead of the whole run */
    printf("adapter: %s\n", ADAPTER_NAME);
    suite_syscalls();
    suite_attach_twice();
    suite_batch(1, n);
    suite_batch(0, 10000);
    suite_disconnect_inside();
    suite_free_inside();
    suite_server_close();
    suite_connect_requests();
    suite_refused();
    suite_connect_timeout();
    suite_timeout();
    suite_client_kill();
    suite_pubsub(0);
    suite_pubsub(1);
    suite_monitor();
    suite_tracking();
    suite_noautofree();
    suite_noautofreereplies();
    suite_many();
    suite_killed_server(); /* last: the server is gone afterwards */
}

#endif
