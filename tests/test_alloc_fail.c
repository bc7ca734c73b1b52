/* The Nth hook allocation fails, for every N until a run needs no failure, over: the reader
 * fed every RESP3 type (nested aggregates included), a sync RESP3 session against a scripted
 * loopback peer, and an async session with a pipeline and SUBSCRIBE / messages /
 * UNSUBSCRIBE against the test server. No crash, every hook allocation freed when the
 * objects are gone (valgrind checks the rest), every accepted async callback run once. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"
#include "test_async_loop.h"

#include "fail_alloc.h"

/* Every RESP3 type, nested aggregates, a 40-deep array, attributes and a push: five replies
 * (the attribute takes the map's last value, and the bulk string after it stands alone). */
static const char TYPES[] =
    "%4\r\n+map\r\n*5\r\n:1\r\n,3.14\r\n#t\r\n_\r\n,inf\r\n"
    "+set\r\n~3\r\n(12345678901234567890\r\n=15\r\ntxt:hello world\r\n#f\r\n"
    "+nested\r\n*2\r\n*2\r\n%1\r\n$1\r\nk\r\n*0\r\n$-1\r\n~1\r\n*-1\r\n"
    "+attr\r\n|1\r\n+ttl\r\n:5\r\n$5\r\nvalue\r\n"
    "-ERR something\r\n"
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nmsg\r\n"
    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"
    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"
    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"
    "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:7\r\n";

/* ---- the reader alone ---- */
static void test_reader(void) {
    long n, runs = 0, bad_err = 0, leaks = 0, complete = 0;
    SECTION("reader: every RESP3 type, the Nth allocation failing");
    for (n = 1; n < 100000; n++) {
        redisReader *r;
        void *reply;
        int got = 0, rc = REDIS_OK;
        size_t i;
        arm(n);
        r = redisReaderCreate();
        if (r == NULL) goto next;
        runs++;
        /* fed in two pieces, so the parse stack is kept across calls */
        redisReaderFeed(r, TYPES, 100);
        while ((rc = redisReaderGetReply(r, &reply)) == REDIS_OK && reply) { freeReplyObject(reply); got++; }
        if (rc == REDIS_OK) rc = redisReaderFeed(r, TYPES + 100, sizeof(TYPES) - 101);
        if (rc == REDIS_OK)
            while ((rc = redisReaderGetReply(r, &reply)) == REDIS_OK && reply) { freeReplyObject(reply); got++; }
        if (rc != REDIS_OK && (r->err != REDIS_ERR_OOM || strcmp(r->errstr, "Out of memory") != 0)) bad_err++;
        if (rc == REDIS_OK && got != 5) bad_err++;
        /* a failed reader stays failed; a good one keeps working */
        if (rc != REDIS_OK) CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR, "failed reader stays failed");
        for (i = 0; i < 1 && rc == REDIS_OK; i++) {
            if (redisReaderFeed(r, ":1\r\n", 4) == REDIS_OK && redisReaderGetReply(r, &reply) == REDIS_OK && reply)
                freeReplyObject(reply);
        }
        redisReaderFree(r);
    next:
        armed = 0;
        if (live != 0) leaks++;
        live = 0;
        if (!failed_once) { complete = n; break; }
    }
    printf("   %ld runs; a full one makes %ld allocations\n", runs, complete);
    CHECK(complete > 0, "reached a run with no failure");
    CHECK(bad_err == 0, "failures are REDIS_ERR_OOM \"Out of memory\", else all replies read (%ld bad)", bad_err);
    CHECK(leaks == 0, "every hook allocation freed (%ld runs leaked)", leaks);
}

/* ---- a scripted RESP3 peer on loopback: TYPES for each command, after HELLO's map ---- */
static int peer_fd;
static volatile int peer_stop;

static void *peer_main(void *arg) {
    (void)arg;
    while (!peer_stop) {
        char buf[4096];
        int c = accept(peer_fd, NULL, NULL);
        ssize_t k;
        if (c < 0) continue;
        while ((k = read(c, buf, sizeof(buf))) > 0) {
            /* one reply per command: count the '*' that start a multibulk at a line start */
            ssize_t i;
            for (i = 0; i < k; i++) {
                if (buf[i] != '*' || (i > 0 && buf[i - 1] != '\n')) continue;
                if (k - i >= 13 && memcmp(buf + i, "*2\r\n$5\r\nHELLO", 13) == 0) {
                    const char hello[] = "%1\r\n$5\r\nproto\r\n:3\r\n";
                    if (write(c, hello, sizeof(hello) - 1) < 0) break;
                } else if (write(c, TYPES, sizeof(TYPES) - 1) < 0) {
                    break;
                }
            }
        }
        close(c);
    }
    return NULL;
}

static int start_peer(pthread_t *t) {
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (peer_fd < 0 || bind(peer_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(peer_fd, 16) != 0) return -1;
    getsockname(peer_fd, (struct sockaddr *)&a, &len);
    pthread_create(t, NULL, peer_main, NULL);
    return ntohs(a.sin_port);
}

static void test_sync_resp3(int port) {
    long n, runs = 0, bad = 0, leaks = 0, complete = 0;
    SECTION("sync RESP3 session against a scripted peer, the Nth allocation failing");
    for (n = 1; n < 100000; n++) {
        redisContext *c;
        redisReply *r;
        int k;
        arm(n);
        c = redisConnect("127.0.0.1", port);
        if (c == NULL) goto next;
        runs++;
        if (c->err) { redisFree(c); goto next; }
        r = redisCommand(c, "HELLO 3");
        if (r) freeReplyObject(r);
        for (k = 0; k < 3 && c->err == 0; k++) {
            /* each TYPES reply: the map, the error, the push (to the push handler), the
             * deep array read by the following commands */
            r = redisCommand(c, "TYPES %d", k);
            if (r == NULL && c->err == 0) bad++;
            if (r) freeReplyObject(r);
        }
        if (c->err && c->err != REDIS_ERR_OOM && c->err != REDIS_ERR_PROTOCOL && c->err != REDIS_ERR_IO &&
            c->err != REDIS_ERR_EOF)
            bad++;
        redisFree(c);
    next:
        armed = 0;
        if (live != 0) leaks++;
        live = 0;
        if (!failed_once) { complete = n; break; }
    }
    printf("   %ld sessions; a full one makes %ld allocations\n", runs, complete);
    CHECK(complete > 0, "reached a session with no failure");
    CHECK(bad == 0, "no NULL reply without an error set (%ld)", bad);
    CHECK(leaks == 0, "every hook allocation freed (%ld sessions leaked)", leaks);
}

/* ---- async pipeline and pub/sub against the test server ---- */
#define NPIPE 8
static int runs_of[NPIPE + 2], accepted[NPIPE + 2], sub_msgs, sub_calls, gone;
static void cmd_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac; (void)r;
    runs_of[(intptr_t)priv]++;
}
static void sub_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *m = r;
    (void)ac; (void)priv;
    sub_calls++;
    if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[0]->str &&
        strcmp(m->element[0]->str, "message") == 0)
        sub_msgs++;
}
static void on_gone(void *p) { (void)p; gone = 1; }

static void pump(int (*done)(void), int max) {
    int i;
    for (i = 0; i < max && !gone && !done(); i++) tl_tick(10);
}
static int all_ran(void) {
    int i;
    for (i = 0; i < NPIPE; i++)
        if (accepted[i] && runs_of[i] == 0) return 0;
    return sub_calls >= 2;
}
static int got_msgs(void) { return sub_msgs >= 2; }

static void test_async(const char *host, int port) {
    long n, sessions = 0, complete = 0, leaks = 0;
    int bad_once = 0, bad_accept = 0;
    redisContext *pub;
    SECTION("async pipeline and pub/sub, the Nth allocation failing");
    pub = redisConnect(host, port);
    CHECK(pub && pub->err == 0, "publisher connected");
    if (pub == NULL || pub->err) return;
    /* The publisher's reader sets up its task chain when its first reply is read, and keeps
     * it: done here, so the sessions' counts of live blocks do not see it. */
    for (int i = 0; i < 2; i++) {
        redisReply *r = redisCommand(pub, "PUBLISH fail:a warmup");
        if (r) freeReplyObject(r);
    }
    for (n = 1; n < 100000; n++) {
        redisAsyncContext *ac;
        int i;
        long live_before = live;
        memset(runs_of, 0, sizeof(runs_of));
        memset(accepted, 0, sizeof(accepted));
        sub_msgs = sub_calls = gone = 0;
        arm(n);
        ac = redisAsyncConnect(host, port);
        if (ac == NULL) goto next;
        sessions++;
        if (ac->err) { redisAsyncFree(ac); goto next; }
        ac->dataCleanup = on_gone;
        tl_attach(ac);
        for (i = 0; i < NPIPE; i++)
            accepted[i] = redisAsyncCommand(ac, cmd_cb, (void *)(intptr_t)i, "INCR fail:%d", i) == REDIS_OK;
        accepted[NPIPE] = redisAsyncCommand(ac, sub_cb, NULL, "SUBSCRIBE fail:a fail:b") == REDIS_OK;
        pump(all_ran, 200);
        if (!gone && accepted[NPIPE]) {
            redisReply *r;
            armed = 0;
            r = redisCommand(pub, "PUBLISH fail:a one");
            if (r) freeReplyObject(r);
            r = redisCommand(pub, "PUBLISH fail:b two");
            if (r) freeReplyObject(r);
            armed = 1;
            pump(got_msgs, 200);
            if (!gone)
                accepted[NPIPE + 1] = redisAsyncCommand(ac, cmd_cb, (void *)(intptr_t)(NPIPE + 1), "UNSUBSCRIBE fail:a fail:b") == REDIS_OK;
            for (i = 0; i < 20 && !gone && (ac->c.flags & REDIS_SUBSCRIBED); i++) tl_tick(10);
        }
        if (!gone) redisAsyncFree(ac);
        tl_run(NULL, 2.0);
        for (i = 0; i < NPIPE; i++) {
            if (accepted[i] && runs_of[i] != 1) bad_once++;
            if (!accepted[i] && runs_of[i] != 0) bad_accept++;
        }
    next:
        armed = 0;
        if (live != live_before) leaks++;
        live = live_before;
        if (!failed_once) {
            complete = n;
            CHECK(sub_msgs == 2 && runs_of[NPIPE + 1] == 0 && sub_calls >= 6,
                  "the full session got both messages and both unsubscribe confirmations (%d, %d calls)",
                  sub_msgs, sub_calls);
            break;
        }
    }
    redisFree(pub);
    printf("   %ld sessions; a full one makes %ld allocations\n", sessions, complete);
    CHECK(complete > 0, "reached a session with no failure");
    CHECK(bad_once == 0, "each accepted callback exactly once (%d violations)", bad_once);
    CHECK(bad_accept == 0, "refused commands never call back (%d violations)", bad_accept);
    CHECK(leaks == 0, "every hook allocation freed (%ld sessions leaked)", leaks);
}

int main(void) {
    hiredisAllocFuncs ha = FAIL_ALLOC_FNS;
    pthread_t t;
    int pport;
    signal(SIGPIPE, SIG_IGN);
    hiredisSetAllocators(&ha);
    test_reader();
    pport = start_peer(&t);
    CHECK(pport > 0, "scripted peer listening");
    if (pport > 0) test_sync_resp3(pport);
    test_async(tl_env("REDIS_HOST", "127.0.0.1"), atoi(tl_env("REDIS_PORT", "6379")));
    hiredisResetAllocators();
    peer_stop = 1;
    shutdown(peer_fd, SHUT_RDWR);
    close(peer_fd);
    pthread_join(t, NULL);
    return tl_done();
}
