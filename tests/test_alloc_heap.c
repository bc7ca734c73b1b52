/* With hiredisSetAllocators routing to a private mmap arena, the library keeps no long-lived
 * state on the system heap: glibc's mallinfo2() in-use byte count does not move while
 * readers (mid-reply), replies, formatted commands, sync contexts (RESP2 and RESP3) and async
 * contexts with queued commands and live subscriptions exist. At teardown every hook
 * allocation has been freed. (Skipped under valgrind, whose malloc mallinfo2 does not see.)
 * glibc counts blocks parked in its per-thread cache as in use, so the test runs itself
 * again with that cache off: transient allocations then leave the count exactly as it was. */
#define _GNU_SOURCE
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "testlib.h"

/* ---- a bump arena behind the hooks: 16-byte header with the block size ---- */
#define ARENA_SIZE ((size_t)512 << 20)
static char *arena;
static size_t arena_used;
static long live_blocks, hook_allocs;

static void *a_malloc(size_t n) {
    size_t need = (n + 16 + 15) & ~(size_t)15;
    char *p;
    if (arena_used + need > ARENA_SIZE) return NULL;
    p = arena + arena_used;
    arena_used += need;
    *(size_t *)p = n;
    live_blocks++;
    hook_allocs++;
    return p + 16;
}
static void *a_calloc(size_t a, size_t b) {
    void *p = a_malloc(a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void a_free(void *p) {
    if (p == NULL) return;
    if ((char *)p < arena || (char *)p >= arena + ARENA_SIZE) {
        printf("FAIL: a non-arena pointer %p reached the free hook\n", p);
        tl_failed++;
        return;
    }
    live_blocks--;
}
static void *a_realloc(void *p, size_t n) {
    void *q;
    size_t old;
    if (p == NULL) return a_malloc(n);
    old = *(size_t *)((char *)p - 16);
    q = a_malloc(n);
    if (q == NULL) return NULL;
    memcpy(q, p, old < n ? old : n);
    a_free(p);
    return q;
}
static char *a_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = a_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static long heap_in_use(void) { return (long)mallinfo2().uordblks; }

/* ---- async contexts driven by hand (no event loop: the test itself must not malloc) ---- */
static int cb_runs;
static void count_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac; (void)r; (void)priv;
    cb_runs++;
}

/* Polls and handles I/O until `want` callbacks ran or 2 s passed. */
static void drive(redisAsyncContext *ac, int want) {
    int i;
    for (i = 0; i < 200 && cb_runs < want; i++) {
        struct pollfd p = {ac->c.fd, POLLIN | POLLOUT, 0};
        if (poll(&p, 1, 10) < 0) break;
        if (p.revents & POLLOUT) redisAsyncHandleWrite(ac);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) redisAsyncHandleRead(ac);
    }
}

#define NREAD 64
#define NSYNC 4
#define NASYNC 4
#define NQUEUED 100

static const char *host;
static int port;

static const char REPLIES[] = "*3\r\n$3\r\nfoo\r\n:42\r\n*2\r\n+OK\r\n-ERR x\r\n"
                              "%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n#t\r\n";
/* An array left open two levels deep: the reader keeps its parse stack. */
static const char PARTIAL[] = "*2\r\n*2\r\n:1\r\n";

static redisReader *readers[NREAD];
static void *replies[NREAD * 2];
static char *cmds[NREAD];
static sds sdscmds[NREAD];
static redisContext *syncs[NSYNC];
static redisAsyncContext *asyncs[NASYNC];

static void make_readers(void) {
    int i;
    for (i = 0; i < NREAD; i++) {
        readers[i] = redisReaderCreate();
        redisReaderFeed(readers[i], PARTIAL, sizeof(PARTIAL) - 1);
        redisReaderGetReply(readers[i], NULL);
    }
}
static void make_replies(void) {
    int i;
    redisReader *r = redisReaderCreate();
    for (i = 0; i < NREAD; i++) {
        redisReaderFeed(r, REPLIES, sizeof(REPLIES) - 1);
        redisReaderGetReply(r, &replies[2 * i]);
        redisReaderGetReply(r, &replies[2 * i + 1]);
    }
    redisReaderFree(r);
}
static void make_commands(void) {
    int i;
    const char *argv[3] = {"SET", "key", "value"};
    for (i = 0; i < NREAD; i++) {
        redisFormatCommand(&cmds[i], "SET k%d %s %b %.2f", i, "v", "bin", (size_t)3, 1.5);
        redisFormatSdsCommandArgv(&sdscmds[i], 3, argv, NULL);
    }
}
static void make_syncs(void) {
    int i;
    for (i = 0; i < NSYNC; i++) {
        redisReply *r;
        syncs[i] = redisConnect(host, port);
        r = redisCommand(syncs[i], i == 0 ? "HELLO 3" : "PING");
        if (r) freeReplyObject(r);
        r = redisCommand(syncs[i], "MGET a b c");
        if (r) freeReplyObject(r);
    }
}
/* Connected async contexts with NQUEUED unsent commands each and live subscriptions. */
static void make_asyncs(void) {
    int i, k;
    for (i = 0; i < NASYNC; i++) {
        redisAsyncContext *ac = redisAsyncConnect(host, port);
        asyncs[i] = ac;
        if (ac == NULL || ac->err) continue;
        cb_runs = 0;
        redisAsyncCommand(ac, count_cb, NULL, "SUBSCRIBE heap:ch%d heap:other", i);
        redisAsyncCommand(ac, count_cb, NULL, "PSUBSCRIBE heap:p%d*", i);
        drive(ac, 3);
        for (k = 0; k < NQUEUED; k++) redisAsyncCommand(ac, count_cb, NULL, "PING");
    }
}

static void teardown(void) {
    int i;
    for (i = 0; i < NREAD; i++) {
        redisReaderFree(readers[i]);
        freeReplyObject(replies[2 * i]);
        freeReplyObject(replies[2 * i + 1]);
        redisFreeCommand(cmds[i]);
        redisFreeSdsCommand(sdscmds[i]);
    }
    for (i = 0; i < NSYNC; i++) redisFree(syncs[i]);
    for (i = 0; i < NASYNC; i++)
        if (asyncs[i]) redisAsyncFree(asyncs[i]);
    memset(readers, 0, sizeof(readers));
    memset(asyncs, 0, sizeof(asyncs));
}

int main(int argc, char **argv) {
    hiredisAllocFuncs ha = {a_malloc, a_calloc, a_realloc, a_strdup, a_free};
    long base, d_read, d_reply, d_cmd, d_sync, d_async, queued;
    int i;

    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    signal(SIGPIPE, SIG_IGN);
    if (tl_under_valgrind()) {
        printf("-- skipped under valgrind (mallinfo2 does not see its heap)\n");
        return tl_done();
    }
    if (argc < 2 || strcmp(argv[1], "--no-tcache") != 0) {
        char flag[] = "--no-tcache";
        char *args[] = {argv[0], flag, NULL};
        setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
        execv("/proc/self/exe", args);
        printf("FAIL: re-exec without the malloc cache failed\n");
        return 1;
    }
    arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    SECTION("long-lived state goes through the hooks, not the system heap");
    hiredisSetAllocators(&ha);
    /* A first round lets libc and the runtime set up what they keep for good (resolver,
     * stdio, thread-locals). */
    make_readers(); make_replies(); make_commands(); make_syncs(); make_asyncs();
    teardown();
    CHECK(live_blocks == 0, "warm-up round: every hook allocation freed (%ld live)", live_blocks);

    base = heap_in_use();
    make_readers();
    d_read = heap_in_use() - base;
    make_replies();
    d_reply = heap_in_use() - base - d_read;
    make_commands();
    d_cmd = heap_in_use() - base - d_read - d_reply;
    make_syncs();
    d_sync = heap_in_use() - base - d_read - d_reply - d_cmd;
    make_asyncs();
    d_async = heap_in_use() - base - d_read - d_reply - d_cmd - d_sync;
    queued = 0;
    for (i = 0; i < NASYNC; i++) CHECK(asyncs[i] != NULL && asyncs[i]->err == 0, "async context %d up", i);
    for (i = 0; i < NSYNC; i++) CHECK(syncs[i] != NULL && syncs[i]->err == 0, "sync context %d up", i);
    for (i = 0; i < NASYNC; i++)
        if (asyncs[i]) queued += asyncs[i]->replies.head != NULL || asyncs[i]->sub.replies.head != NULL;
    CHECK(queued == NASYNC, "async commands queued (%ld contexts)", queued);
    printf("   system heap bytes per live reader mid-reply: %.1f, per reply: %.1f, per formatted "
           "command (printf + argv form): %.1f\n",
           (double)d_read / NREAD, (double)d_reply / (2 * NREAD), (double)d_cmd / NREAD);
    printf("   per sync context: %.1f, per async context (subscribed, %d queued): %.1f\n",
           (double)d_sync / NSYNC, NQUEUED, (double)d_async / NASYNC);
    CHECK(d_read == 0, "readers: %ld system heap bytes", d_read);
    CHECK(d_reply == 0, "replies: %ld system heap bytes", d_reply);
    CHECK(d_cmd == 0, "formatted commands: %ld system heap bytes", d_cmd);
    CHECK(d_sync == 0, "sync contexts: %ld system heap bytes", d_sync);
    CHECK(d_async == 0, "async contexts: %ld system heap bytes", d_async);
    teardown();
    CHECK(live_blocks == 0, "every hook allocation freed at teardown (%ld live of %ld)", live_blocks,
          hook_allocs);
    CHECK(heap_in_use() - base == 0, "system heap back to its start (%ld)", heap_in_use() - base);
    hiredisResetAllocators();
    munmap(arena, ARENA_SIZE);
    return tl_done();
}
