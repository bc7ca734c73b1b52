/* Async TLS under adapters/glib.h (tls_async_suite.h). */
#include <hiredis/adapters/glib.h>
#include "tls_async_suite.h"

static GMainContext *gctx;

static int adapter_attach(redisAsyncContext *ac) {
    GSource *src = redis_source_new(ac);
    if (src == NULL) return REDIS_ERR;
    g_source_attach(src, gctx);
    g_source_unref(src);
    return REDIS_OK;
}
static void adapter_step(void) { g_main_context_iteration(gctx, TRUE); }

int main(void) {
    gctx = g_main_context_new();
    run_tls_async_suite(20000, 0);
    g_main_context_unref(gctx);
    return tl_done();
}
