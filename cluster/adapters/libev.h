/* hiredis-rs cluster adapters/libev.h: attach a redisClusterAsyncContext to a libev loop. Only
 * the loop is stored; each node's hiredis async context is attached to it (with hiredis's libev
 * adapter) when the library creates that context. */
#ifndef __HIREDIS_CLUSTER_LIBEV_H__
#define __HIREDIS_CLUSTER_LIBEV_H__

#include "../hircluster.h"
#include <hiredis/adapters/libev.h>

static int redisLibevAttach_link(redisAsyncContext *ac, void *loop) {
    return redisLibevAttach((struct ev_loop *)loop, ac);
}

static int redisClusterLibevAttach(redisClusterAsyncContext *acc, struct ev_loop *loop) {
    if (acc == NULL || loop == NULL) {
        return REDIS_ERR;
    }
    acc->adapter = loop;
    acc->attach_fn = redisLibevAttach_link;
    return REDIS_OK;
}

#endif /* __HIREDIS_CLUSTER_LIBEV_H__ */
