/* hiredis-rs cluster adapters/libevent.h: attach a redisClusterAsyncContext to a libevent
 * event_base. Only the base is stored; each node's hiredis async context is attached to it
 * (with hiredis's libevent adapter) when the library creates that context. */
#ifndef __HIREDIS_CLUSTER_LIBEVENT_H__
#define __HIREDIS_CLUSTER_LIBEVENT_H__

#include "../hircluster.h"
#include <hiredis/adapters/libevent.h>

static int redisLibeventAttach_link(redisAsyncContext *ac, void *base) {
    return redisLibeventAttach(ac, (struct event_base *)base);
}

static int redisClusterLibeventAttach(redisClusterAsyncContext *acc, struct event_base *base) {
    if (acc == NULL || base == NULL) {
        return REDIS_ERR;
    }
    acc->adapter = base;
    acc->attach_fn = redisLibeventAttach_link;
    return REDIS_OK;
}

#endif /* __HIREDIS_CLUSTER_LIBEVENT_H__ */
