/* hiredis-rs cluster adapters/ae.h: attach a redisClusterAsyncContext to a Redis ae event loop
 * (the loop comes first, as in hiredis-cluster). Only the loop is stored; each node's hiredis
 * async context is attached to it (with hiredis's ae adapter) when the library creates it. */
#ifndef __HIREDIS_CLUSTER_AE_H__
#define __HIREDIS_CLUSTER_AE_H__

#include "../hircluster.h"
#include <hiredis/adapters/ae.h>

static int redisAeAttach_link(redisAsyncContext *ac, void *loop) {
    return redisAeAttach((aeEventLoop *)loop, ac);
}

static int redisClusterAeAttach(aeEventLoop *loop, redisClusterAsyncContext *acc) {
    if (loop == NULL || acc == NULL) {
        return REDIS_ERR;
    }
    acc->adapter = loop;
    acc->attach_fn = redisAeAttach_link;
    return REDIS_OK;
}

#endif /* __HIREDIS_CLUSTER_AE_H__ */
