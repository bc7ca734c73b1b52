/* hiredis-rs cluster adapters/libuv.h: attach a redisClusterAsyncContext to a libuv loop. Only
 * the loop is stored; each node's hiredis async context is attached to it (with hiredis's libuv
 * adapter) when the library creates that context. */
#ifndef __HIREDIS_CLUSTER_LIBUV_H__
#define __HIREDIS_CLUSTER_LIBUV_H__

#include "../hircluster.h"
#include <hiredis/adapters/libuv.h>

static int redisLibuvAttach_link(redisAsyncContext *ac, void *loop) {
    return redisLibuvAttach(ac, (uv_loop_t *)loop);
}

static int redisClusterLibuvAttach(redisClusterAsyncContext *acc, uv_loop_t *loop) {
    if (acc == NULL || loop == NULL) {
        return REDIS_ERR;
    }
    acc->adapter = loop;
    acc->attach_fn = redisLibuvAttach_link;
    return REDIS_OK;
}

#endif /* __HIREDIS_CLUSTER_LIBUV_H__ */
