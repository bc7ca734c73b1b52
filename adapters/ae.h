/* hiredis-rs adapter for Redis's own `ae` event loop (ae.h from the Redis source tree,
 * or any loop with the same API).
 *
 *   redisAeAttach(loop, ac);   // REDIS_ERR if ac already has an adapter
 *   aeMain(loop);              // until something calls aeStop(loop)
 *
 * ae has no per-context timer hook here (as in hiredis): connect and command timeouts
 * are not enforced on this adapter. */
#ifndef __HIREDIS_AE_H__
#define __HIREDIS_AE_H__

#include <sys/types.h>
#include <ae.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisAeEvents {
    redisAsyncContext *context;
    aeEventLoop *loop;
    int fd;               /* captured at attach: the context may close it before cleanup ends */
    int reading, writing; /* registered with the loop */
} redisAeEvents;

static void redisAeReadEvent(aeEventLoop *el, int fd, void *privdata, int mask) {
    (void)el; (void)fd; (void)mask;
    redisAsyncHandleRead(((redisAeEvents *)privdata)->context);
}

static void redisAeWriteEvent(aeEventLoop *el, int fd, void *privdata, int mask) {
    (void)el; (void)fd; (void)mask;
    redisAsyncHandleWrite(((redisAeEvents *)privdata)->context);
}

static void redisAeAddRead(void *privdata) {
    redisAeEvents *e = (redisAeEvents *)privdata;
    if (!e->reading &&
        aeCreateFileEvent(e->loop, e->fd, AE_READABLE, redisAeReadEvent, e) == AE_OK)
        e->reading = 1;
}

static void redisAeDelRead(void *privdata) {
    redisAeEvents *e = (redisAeEvents *)privdata;
    if (e->reading) {
        e->reading = 0;
        aeDeleteFileEvent(e->loop, e->fd, AE_READABLE);
    }
}

static void redisAeAddWrite(void *privdata) {
    redisAeEvents *e = (redisAeEvents *)privdata;
    if (!e->writing &&
        aeCreateFileEvent(e->loop, e->fd, AE_WRITABLE, redisAeWriteEvent, e) == AE_OK)
        e->writing = 1;
}

static void redisAeDelWrite(void *privdata) {
    redisAeEvents *e = (redisAeEvents *)privdata;
    if (e->writing) {
        e->writing = 0;
        aeDeleteFileEvent(e->loop, e->fd, AE_WRITABLE);
    }
}

/* ae re-checks an fd's registrations after every callback, so once both are deleted
 * nothing reaches e again and it can go right away, even from inside our callback. */
static void redisAeCleanup(void *privdata) {
    redisAeEvents *e = (redisAeEvents *)privdata;
    redisAeDelRead(e);
    redisAeDelWrite(e);
    hi_free(e);
}

static int redisAeAttach(aeEventLoop *loop, redisAsyncContext *ac) {
    redisAeEvents *e;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    e = (redisAeEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    e->loop = loop;
    e->fd = ac->c.fd;

    ac->ev.addRead = redisAeAddRead;
    ac->ev.delRead = redisAeDelRead;
    ac->ev.addWrite = redisAeAddWrite;
    ac->ev.delWrite = redisAeDelWrite;
    ac->ev.cleanup = redisAeCleanup;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif /* __HIREDIS_AE_H__ */
