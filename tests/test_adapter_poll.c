/* adapters/poll.h against a real redis-server: see test_adapter_suite.h, plus the
 * bitmask redisPollTick reports. */
#define ADAPTER_NAME "poll"
#define ADAPTER_HAS_TIMERS 1
#include <hiredis/adapters/poll.h>
#include "test_adapter_suite.h"

static redisAsyncContext *current;

static int adapter_attach(redisAsyncContext *ac) {
    int rc = redisPollAttach(ac);
    if (rc == REDIS_OK)
        current = ac;
    return rc;
}
static void adapter_step(void) { redisPollTick(current, 1.0); }
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
    run_adapter_suite();
    tick_masks();
    return tl_done();
}
