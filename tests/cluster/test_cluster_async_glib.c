/* adapters/glib.h of the cluster library against the real cluster: see cluster_async_suite.h. */
#define ADAPTER_NAME "glib"
#include <hiredis_cluster/adapters/glib.h>
#include "cluster_async_suite.h"

static redisClusterGlibAdapter adapter;
static gboolean tick(gpointer data) { (void)data; return G_SOURCE_CONTINUE; }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterGlibAttach(acc, acc ? &adapter : NULL); }
static void cl_step(void) { g_main_context_iteration(adapter.context, TRUE); }

int main(void) {
    adapter.context = g_main_context_new();
    GSource *t = g_timeout_source_new(10);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, adapter.context);
    run_cluster_async_suite();
    g_source_destroy(t);
    g_source_unref(t);
    g_main_context_unref(adapter.context);
    return tl_done();
}
