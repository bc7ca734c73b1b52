/* adapters/glib.h against a real redis-server: see test_adapter_suite.h. */
#define ADAPTER_NAME "glib"
#define ADAPTER_HAS_TIMERS 0
#include <hiredis/adapters/glib.h>
#include "test_adapter_suite.h"

static GMainContext *ctx;
static GPtrArray *sources; /* every source attached since the last adapter_quiet(); we own a reference each */

static int adapter_attach(redisAsyncContext *ac) {
    GSource *s = redis_source_new(ac);
    if (s == NULL)
        return REDIS_ERR;
    g_source_attach(s, ctx);
    g_ptr_array_add(sources, s);
    return REDIS_OK;
}

static void adapter_step(void) { g_main_context_iteration(ctx, TRUE); }
static void adapter_step_nowait(void) { g_main_context_iteration(ctx, FALSE); }

/* After cleanup every source must have dropped its socket and its context. */
static int adapter_quiet(void) {
    int quiet = 1;
    for (guint i = 0; i < sources->len; i++) {
        GSource *src = (GSource *)g_ptr_array_index(sources, i);
        redisGlibEvents *s = (redisGlibEvents *)src;
        quiet &= s->ac == NULL && s->poll_fd.fd == -1;
        g_source_destroy(src);
        g_source_unref(src);
    }
    g_ptr_array_set_size(sources, 0);
    return quiet;
}

int main(void) {
    ctx = g_main_context_new();
    sources = g_ptr_array_new();
    run_adapter_suite();
    adapter_quiet();
    g_ptr_array_free(sources, TRUE);
    g_main_context_unref(ctx);
    return tl_done();
}
