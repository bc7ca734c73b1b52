/* adapters/poll.h against a real redis-server: see test_adapter_suite.h, plus the
 * bitmask redisPollTick reports. */
#define ADAPTER_NAME "poll"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/poll.h>
#include "test_adapter_suite.h"

static int adapter_attach(redisAsyncContext *ac) { return redisPollAttach(ac); }

/* poll.h has no loop of its own: a step ticks every live context of the suite. A context
 * whose error teardown ran (NOAUTOFREE keeps it around) has released its adapter state and
 * must not be ticked again. */
static void ticks(double single_wait) {
    int handled = 0, n;

    suite_live_compact();
    n = suite_live_slots;
    if (suite_live_count == 1 && single_wait > 0) {
        if (suite_live[0]->err == 0)
            redisPollTick(suite_live[0], single_wait);
        return;
    }
    for (int i = 0; i < n; i++) /* a tick may free its context: the slot turns NULL */
        if (suite_live[i] != NULL && suite_live[i]->err == 0)
            handled |= redisPollTick(suite_live[i], 0.0) > 0;
    if (!handled && single_wait > 0)
        usleep(200);
}
static void adapter_step(void) { ticks(0.1); }
static void adapter_step_nowait(void) { ticks(0.0); }
/* The tick frees its state itself; nothing is registered anywhere else. */
static int adapter_quiet(void) { return 1; }

static void tick_masks(void) {
    suiteState st;
    redisAsyncContext *ac;
    int seen = 0, rc;

    SECTION("redisPollTick reports what it handled");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    redisAsyncCommand(ac, NULL, NULL, "PING");
    redisAsyncDisconnect(ac);
    while (!st.gone) {
        rc = redisPollTick(ac, 1.0);
        CHECK(rc >= 0 && (rc & ~(REDIS_POLL_HANDLED_READ | REDIS_POLL_HANDLED_WRITE |
                                 REDIS_POLL_HANDLED_TIMEOUT)) == 0, "tick returned %d", rc);
        seen |= rc;
    }
    CHECK(seen == (REDIS_POLL_HANDLED_READ | REDIS_POLL_HANDLED_WRITE),
          "saw read and write handled, no timeout (mask %d)", seen);

    SECTION("a tick on a context without the adapter does nothing");
    ac = redisAsyncConnect(tl_env("REDIS_HOST", "127.0.0.1"), atoi(tl_env("REDIS_PORT", "6379")));
    CHECK(ac != NULL && ac->err == 0, "connect");
    if (ac != NULL) {
        CHECK(redisPollTick(ac, 0.0) == 0, "no adapter: 0");
        redisAsyncFree(ac);
    }

    SECTION("the timeout bit");
    if ((ac = suite_connect(&st, 1, 0)) == NULL)
        return;
    {
        struct timeval tv = {0, 100000};
        redisAsyncSetTimeout(ac, tv);
    }
    redisAsyncCommand(ac, NULL, NULL, "DEBUG SLEEP 0.5");
    seen = 0;
    while (!st.gone)
        seen |= redisPollTick(ac, -1.0); /* must not sleep past the armed timer */
    CHECK(seen & REDIS_POLL_HANDLED_TIMEOUT, "the timeout was handled (mask %d)", seen);
    CHECK(st.err == REDIS_ERR_TIMEOUT, "err %d", st.err);
    usleep(500000); /* let the server wake up */
}

int main(void) {
    tick_masks(); /* first: the suite ends by killing the server */
    run_adapter_suite();
    return tl_done();
}
