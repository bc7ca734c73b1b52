/* Allocation failure anywhere in an async session (the hiredisAllocFns hooks fail the Nth
 * call): no crash, no leak (valgrind), and every accepted command's callback runs exactly
 * once, with a reply or with NULL. */
#include <signal.h>
#include <stdint.h>

#include "testlib.h"
#include "test_async_loop.h"

static long calls, fail_at;
static int failed_once;

static int should_fail(void) {
    if (++calls == fail_at) {
        failed_once = 1;
        return 1;
    }
    return 0;
}
static void *t_malloc(size_t n) { return should_fail() ? NULL : malloc(n); }
static void *t_calloc(size_t a, size_t b) { return should_fail() ? NULL : calloc(a, b); }
static void *t_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n); }
static char *t_strdup(const char *s) { return should_fail() ? NULL : strdup(s); }

#define NCMD 4
static int runs[NCMD];
static int accepted[NCMD];
static int gone;

static void cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac; (void)r;
    runs[(intptr_t)priv]++;
}
static void on_gone(void *p) { (void)p; gone++; }

int main(void) {
    hiredisAllocFuncs ha = {t_malloc, t_calloc, t_realloc, t_strdup, free};
    const char *host = tl_env("REDIS_HOST", "127.0.0.1");
    int port = atoi(tl_env("REDIS_PORT", "6379"));
    long n, sessions = 0, complete = 0;
    int bad_once = 0, bad_accept = 0;

    signal(SIGPIPE, SIG_IGN);
    SECTION("fail the Nth allocation, for every N until a session needs no failure");
    hiredisSetAllocators(&ha);
    for (n = 1; n < 400; n++) {
        redisAsyncContext *ac;
        int i;
        calls = 0;
        fail_at = n;
        failed_once = 0;
        gone = 0;
        memset(runs, 0, sizeof(runs));
        memset(accepted, 0, sizeof(accepted));

        ac = redisAsyncConnect(host, port);
        if (ac == NULL) continue;
        sessions++;
        if (ac->err) {
            redisAsyncFree(ac);
            continue;
        }
        ac->dataCleanup = on_gone;
        tl_attach(ac);
        accepted[0] = redisAsyncCommand(ac, cb, (void *)0, "SET async:oom %s", "value") == REDIS_OK;
        accepted[1] = redisAsyncCommand(ac, cb, (void *)1, "GET async:oom") == REDIS_OK;
        accepted[2] = redisAsyncCommandArgv(ac, cb, (void *)2, 2, (const char *[]){"LRANGE", "nolist"},
                                            NULL) == REDIS_OK;
        accepted[3] = redisAsyncCommand(ac, cb, (void *)3, "PING") == REDIS_OK;
        /* run until every accepted callback ran (or the context went away) */
        for (i = 0; i < 200 && !gone; i++) {
            int all = 1, k;
            for (k = 0; k < NCMD; k++)
                if (accepted[k] && runs[k] == 0) all = 0;
            if (all) break;
            tl_tick(20);
        }
        if (!gone) redisAsyncFree(ac);
        tl_run(NULL, 2.0);
        for (i = 0; i < NCMD; i++) {
            if (accepted[i] && runs[i] != 1) bad_once++;
            if (!accepted[i] && runs[i] != 0) bad_accept++;
        }
        if (!failed_once) { complete = n; break; }
    }
    hiredisResetAllocators();
    printf("   %ld sessions; a full one makes %ld allocations through the hooks\n", sessions, complete);
    CHECK(sessions > 0, "sessions ran (%ld)", sessions);
    CHECK(complete > 0, "reached a session with no failure (after %ld allocations)", complete);
    CHECK(bad_once == 0, "each accepted callback exactly once (%d violations)", bad_once);
    CHECK(bad_accept == 0, "refused commands never call back (%d violations)", bad_accept);
    return tl_done();
}
