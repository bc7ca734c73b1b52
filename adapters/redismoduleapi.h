/* hiredis-rs adapter for Redis modules (Redis >= 7.0): a module drives its async
 * connections from the server's own event loop, through the module API.
 *
 *   if (redisModuleCompatibilityCheck() != REDIS_OK) ...  // server too old (< 7.0)
 *   redisModuleAttach(ac, ctx);   // REDIS_ERR if ac already has an adapter
 *
 * Socket readiness comes from RedisModule_EventLoopAdd/Del, the connect and command
 * timeouts from RedisModule_CreateTimer/StopTimer. The adapter keeps `ctx` and hands it to
 * the timer calls long after the attach, so it must outlive the connection: a context
 * from RedisModule_GetDetachedThreadSafeContext does, the one a command handler or
 * RedisModule_OnLoad receives does not. Every call must come from the server's main
 * thread. "redismodule.h" (shipped with Redis) must be on the include path.
 *
 * Hiredis symbols: a Redis server that embeds hiredis itself (Debian's redis-server does)
 * and loads modules without RTLD_DEEPBIND (Redis 7.0) resolves a module's hiredis calls to
 * its own copy first. Link the module against libhiredis_rs.a with
 * -Wl,--exclude-libs,ALL so its calls stay inside the module. */
#ifndef __HIREDIS_REDISMODULEAPI_H__
#define __HIREDIS_REDISMODULEAPI_H__

#include "redismodule.h"

#include "../async.h"
#include "../hiredis.h"

#include <sys/types.h>

typedef struct redisModuleEvents {
    redisAsyncContext *context;
    RedisModuleCtx *module_ctx; /* for the timer calls: must stay valid */
    int fd;
    int reading, writing;       /* which directions are registered with the loop */
    int timer_active;           /* timer_id names a timer that has not fired yet */
    RedisModuleTimerID timer_id;
} redisModuleEvents;

/* The loop's callbacks. Neither touches e after calling into the library: the call may
 * end the context, and with it e (redisModuleCleanup). */
static inline void redisModuleReadEvent(int fd, void *privdata, int mask) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    (void)fd;
    (void)mask;
    redisAsyncHandleRead(e->context);
}

static inline void redisModuleWriteEvent(int fd, void *privdata, int mask) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    (void)fd;
    (void)mask;
    redisAsyncHandleWrite(e->context);
}

/* The add/del hooks are idempotent, and a direction is only ever deleted once it was
 * added: the loop keeps one record per fd, shared by both directions. */
static inline void redisModuleAddRead(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (e->reading)
        return;
    e->reading = 1;
    RedisModule_EventLoopAdd(e->fd, REDISMODULE_EVENTLOOP_READABLE, redisModuleReadEvent, e);
}

static inline void redisModuleDelRead(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (!e->reading)
        return;
    e->reading = 0;
    RedisModule_EventLoopDel(e->fd, REDISMODULE_EVENTLOOP_READABLE);
}

static inline void redisModuleAddWrite(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (e->writing)
        return;
    e->writing = 1;
    RedisModule_EventLoopAdd(e->fd, REDISMODULE_EVENTLOOP_WRITABLE, redisModuleWriteEvent, e);
}

static inline void redisModuleDelWrite(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (!e->writing)
        return;
    e->writing = 0;
    RedisModule_EventLoopDel(e->fd, REDISMODULE_EVENTLOOP_WRITABLE);
}

/* Cancels a pending timer. Never called for the timer whose callback is running: the
 * server releases a timer itself once its callback returns. */
static inline void redisModuleStopTimer(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (e->timer_active)
        RedisModule_StopTimer(e->module_ctx, e->timer_id, NULL);
    e->timer_active = 0;
}

static inline void redisModuleCleanup(void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    if (e == NULL)
        return;
    redisModuleDelRead(e);
    redisModuleDelWrite(e);
    redisModuleStopTimer(e);
    hi_free(e);
}

static inline void redisModuleTimeout(RedisModuleCtx *ctx, void *privdata) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    (void)ctx;
    e->timer_active = 0; /* this timer is spent: a cleanup below must not stop it */
    redisAsyncHandleTimeout(e->context);
}

/* One timer at a time: a new period replaces the pending one. */
static inline void redisModuleSetTimeout(void *privdata, struct timeval tv) {
    redisModuleEvents *e = (redisModuleEvents *)privdata;
    mstime_t ms = (mstime_t)tv.tv_sec * 1000 + (mstime_t)(tv.tv_usec / 1000);

    redisModuleStopTimer(e);
    e->timer_id = RedisModule_CreateTimer(e->module_ctx, ms, redisModuleTimeout, e);
    e->timer_active = 1;
}

/* REDIS_OK when the server offers what the adapter calls (Redis >= 7.0); only meaningful
 * after RedisModule_Init, which fills in the RedisModule_* pointers. */
static inline int redisModuleCompatibilityCheck(void) {
    if (RedisModule_EventLoopAdd == NULL || RedisModule_EventLoopDel == NULL ||
        RedisModule_CreateTimer == NULL || RedisModule_StopTimer == NULL)
        return REDIS_ERR;
    return REDIS_OK;
}

static inline int redisModuleAttach(redisAsyncContext *ac, RedisModuleCtx *module_ctx) {
    redisModuleEvents *e;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    e = (redisModuleEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    e->module_ctx = module_ctx;
    e->fd = ac->c.fd;

    ac->ev.addRead = redisModuleAddRead;
    ac->ev.delRead = redisModuleDelRead;
    ac->ev.addWrite = redisModuleAddWrite;
    ac->ev.delWrite = redisModuleDelWrite;
    ac->ev.cleanup = redisModuleCleanup;
    ac->ev.scheduleTimer = redisModuleSetTimeout;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif /* __HIREDIS_REDISMODULEAPI_H__ */
