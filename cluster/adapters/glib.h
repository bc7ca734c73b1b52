/* hiredis-rs cluster adapters/glib.h: attach a redisClusterAsyncContext to a GLib main context.
 * The caller owns the redisClusterGlibAdapter; each node's hiredis async context gets a GSource
 * (hiredis's glib adapter) attached to adapter->context when the library creates that context. */
#ifndef __HIREDIS_CLUSTER_GLIB_H__
#define __HIREDIS_CLUSTER_GLIB_H__

#include "../hircluster.h"
#include <hiredis/adapters/glib.h>

typedef struct redisClusterGlibAdapter {
    GMainContext *context;
} redisClusterGlibAdapter;

static int redisGlibAttach_link(redisAsyncContext *ac, void *adapter) {
    GSource *source = redis_source_new(ac);
    guint id;
    if (source == NULL) {
        return REDIS_ERR;
    }
    id = g_source_attach(source, ((redisClusterGlibAdapter *)adapter)->context);
    g_source_unref(source); /* the main context holds it now; hiredis removes it at free */
    return id > 0 ? REDIS_OK : REDIS_ERR;
}

static int redisClusterGlibAttach(redisClusterAsyncContext *acc, redisClusterGlibAdapter *adapter) {
    if (acc == NULL || adapter == NULL) {
        return REDIS_ERR;
    }
    acc->adapter = adapter;
    acc->attach_fn = redisGlibAttach_link;
    return REDIS_OK;
}

#endif /* __HIREDIS_CLUSTER_GLIB_H__ */
