/* The sync API under allocation failure: every allocation of a connect (TCP and unix) and of
 * a command round trip is made to fail in turn. Nothing may crash or leak (run under
 * valgrind), creation failures give NULL (test #1), later ones "Out of memory". */
#include <hiredis/hiredis.h>

#include <signal.h>

#include "testlib.h"

static long calls, fail_at = -1;

static int should_fail(void) {
    return ++calls == fail_at;
}
static void *f_malloc(size_t n) { return should_fail() ? NULL : malloc(n); }
static void *f_calloc(size_t n, size_t s) { return should_fail() ? NULL : calloc(n, s); }
static void *f_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n); }
static char *f_strdup(const char *s) { return should_fail() ? NULL : strdup(s); }

static void install(long n) {
    hiredisAllocFuncs f = { f_malloc, f_calloc, f_realloc, f_strdup, free };
    calls = 0;
    fail_at = n;
    hiredisSetAllocators(&f);
}

static const char *host, *sock_path;
static long creation_allocs;
static int port;

static redisContext *do_connect(int unix_sock, int with_timeouts) {
    struct timeval tv = { 1, 0 };
    redisOptions o = {0};
    if (unix_sock) REDIS_OPTIONS_SET_UNIX(&o, sock_path);
    else REDIS_OPTIONS_SET_TCP(&o, host, port);
    if (with_timeouts) {
        o.connect_timeout = &tv;
        o.command_timeout = &tv;
    }
    return redisConnectWithOptions(&o);
}

/* Runs connect + SET + GET with allocation number n failing; returns 1 once n is past the
 * last allocation (everything succeeded). */
static int run_once(long n, int unix_sock, int with_timeouts, int *bad) {
    redisContext *c;
    redisReply *r;
    int all_ok = 0;
    install(n);
    c = do_connect(unix_sock, with_timeouts);
    if (c == NULL) {
        /* only creation itself may return NULL */
        if (n > creation_allocs) { *bad = 1; printf("   NULL context at allocation %ld\n", n); }
        hiredisResetAllocators();
        return 0;
    }
    if (c->err) {
        if (c->err != REDIS_ERR_OOM || strcmp(c->errstr, "Out of memory") != 0) {
            *bad = 1;
            printf("   allocation %ld: connect error %d '%s'\n", n, c->err, c->errstr);
        }
        redisFree(c);
        hiredisResetAllocators();
        return 0;
    }
    r = redisCommand(c, "SET %s %b", "oomkey", "value", (size_t)5);
    if (r) {
        freeReplyObject(r);
        r = redisCommand(c, "GET oomkey");
        if (r) {
            all_ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, "value") == 0 && calls < n;
            freeReplyObject(r);
        }
    }
    if (r == NULL && !(c->err == REDIS_ERR_OOM && strcmp(c->errstr, "Out of memory") == 0)) {
        *bad = 1;
        printf("   allocation %ld: command error %d '%s'\n", n, c->err, c->errstr);
    }
    redisFree(c);
    hiredisResetAllocators();
    return all_ok;
}

int main(void) {
    int unix_sock, with_timeouts;
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    sock_path = tl_env("REDIS_SOCK", "/tmp/redis.sock");
    signal(SIGPIPE, SIG_IGN);

    SECTION("#1 failing allocators");
    {
        redisOptions o = {0};
        o.type = 99; /* unknown: the context is created, then freed */
        install(-1);
        CHECK(redisConnectWithOptions(&o) == NULL, "unknown type");
        creation_allocs = calls;
        hiredisResetAllocators();
        printf("   (creating a context takes %ld allocations)\n", creation_allocs);
    }
    {
        hiredisAllocFuncs f = { f_malloc, f_calloc, f_realloc, f_strdup, free };
        calls = 0;
        fail_at = 1;
        hiredisSetAllocators(&f);
        CHECK(redisConnect(host, port) == NULL, "context creation returns NULL");
        hiredisResetAllocators();
    }

    for (unix_sock = 0; unix_sock < 2; unix_sock++) {
        for (with_timeouts = 0; with_timeouts < 2; with_timeouts++) {
            long n;
            int bad = 0, finished = 0;
            printf("-- failing each allocation in turn (%s%s)\n", unix_sock ? "unix" : "tcp",
                   with_timeouts ? ", with timeouts" : "");
            for (n = 1; n < 200 && !finished; n++) finished = run_once(n, unix_sock, with_timeouts, &bad);
            CHECK(!bad, "only NULL at creation or OOM errors afterwards");
            CHECK(finished, "a run past the last allocation succeeds (n=%ld)", n);
        }
    }
    return tl_done();
}
