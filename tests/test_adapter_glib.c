/* adapters/glib.h against a real redis-server: see test_adapter_suite.h. */
#define ADAPTER_NAME "glib"
#define ADAPTER_HAS_TIMERS 0
#include <hiredis/adapters/glib.h>
#include "test_adapter_suite.h"

static GMainContext *ctx;
static GSource *src; /* the source of the current context; we own a reference */

static int adapter_attach(redisAsyncContext *ac) {
    GSource *s = redis_source_new(ac);
    if (s == NULL)
        return REDIS_ERR;
    g_source_attach(s, ctx);
    src = s;
    return REDIS_OK;
}

static void adapter_step(void) { g_main_context_iteration(ctx, TRUE); }

/* After cleanup the source must have dropped the socket and the context. */
static int adapter_quiet(void) {
    redisGlibEvents *s = (redisGlibEvents *)src;
    int quiet = s != NULL && s->ac == NULL && s->poll_fd.fd == -1;
    if (src != NULL) {
        g_source_destroy(src);
        g_source_unref(src);
        src = NULL;
    }
    return quiet;
}

int main(void) {
    ctx = g_main_context_new();
    run_adapter_suite();
    g_main_context_unref(ctx);
    return tl_done();
}
