/* hiredis-rs adapter for libuv: drives a redisAsyncContext from a uv_loop_t.
 *
 *   redisLibuvAttach(ac, uv_default_loop());  // REDIS_ERR if already attached or the
 *                                             // socket cannot be polled
 *   uv_run(uv_default_loop(), UV_RUN_DEFAULT); // returns once the context is gone
 *
 * A uv_poll_t watches the socket, a one-shot uv_timer_t carries the timeout. Read interest
 * is set on the first addRead and kept for the connection's life. A command starts a
 * uv_prepare_t instead of asking for writability: before the loop next blocks, it writes
 * everything the iteration's callbacks queued in one go. Write interest is asked for only
 * while the socket is full (a write that stopped short) or the connect is pending. At one
 * command in flight that is a send, one epoll_wait and a recv per command. libuv closes
 * handles asynchronously, so cleanup only starts closing them and forgets the context;
 * the state is freed by the last close callback, after the loop is done with it. */
#ifndef __HIREDIS_LIBUV_H__
#define __HIREDIS_LIBUV_H__

#include <stdlib.h> /* hiredis's libuv.h brings both; programs may rely on that */
#include <string.h>
#include <uv.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisLibuvEvents {
    redisAsyncContext *context; /* NULL once cleanup ran */
    uv_poll_t handle;
    uv_timer_t timer;
    uv_prepare_t flush;         /* started by addWrite, runs before the loop blocks */
    int events;                 /* UV_READABLE / UV_WRITABLE currently polled */
    int flushing;               /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
    int open_handles;           /* handles not yet closed; free at 0 */
} redisLibuvEvents;

static void redisLibuvPoll(uv_poll_t *handle, int status, int events) {
    redisLibuvEvents *p = (redisLibuvEvents *)handle->data;

    /* On a poll error let the library find the socket error itself. */
    if (status < 0)
        events = p->events;
    if (p->context != NULL && (events & UV_READABLE) && (p->events & UV_READABLE))
        redisAsyncHandleRead(p->context);
    if (p->context != NULL && (events & UV_WRITABLE) && (p->events & UV_WRITABLE)) {
        p->flushing = 1;
        redisAsyncHandleWrite(p->context); /* p outlives a cleanup: libuv frees it later */
        p->flushing = 0;
    }
}

/* Before the loop blocks: write what the commands of this iteration queued. */
static void redisLibuvFlush(uv_prepare_t *handle) {
    redisLibuvEvents *p = (redisLibuvEvents *)handle->data;

    uv_prepare_stop(handle);
    if (p->context != NULL && !(p->events & UV_WRITABLE)) {
        p->flushing = 1;
        redisAsyncHandleWrite(p->context);
        p->flushing = 0;
    }
}

static void redisLibuvUpdate(redisLibuvEvents *p, int events) {
    if (events == p->events)
        return; /* add/del hooks must be idempotent */
    p->events = events;
    if (events)
        uv_poll_start(&p->handle, events, redisLibuvPoll);
    else
        uv_poll_stop(&p->handle);
}

static void redisLibuvAddRead(void *privdata) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;
    redisLibuvUpdate(p, p->events | UV_READABLE);
}

static void redisLibuvDelRead(void *privdata) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;
    redisLibuvUpdate(p, p->events & ~UV_READABLE);
}

/* A command: written before the loop next blocks. A write that stopped short (addWrite from
 * inside our own write) or a pending connect: poll for room. */
static void redisLibuvAddWrite(void *privdata) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;
    if (p->context == NULL)
        return;
    if (p->flushing || !(p->context->c.flags & REDIS_CONNECTED))
        redisLibuvUpdate(p, p->events | UV_WRITABLE);
    else if (!(p->events & UV_WRITABLE) && !uv_is_active((uv_handle_t *)&p->flush))
        uv_prepare_start(&p->flush, redisLibuvFlush);
}

static void redisLibuvDelWrite(void *privdata) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;
    redisLibuvUpdate(p, p->events & ~UV_WRITABLE);
}

static void redisLibuvTimeout(uv_timer_t *timer) {
    redisLibuvEvents *p = (redisLibuvEvents *)timer->data;
    if (p->context != NULL)
        redisAsyncHandleTimeout(p->context);
}

static void redisLibuvScheduleTimer(void *privdata, struct timeval tv) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;
    uint64_t ms = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;

    /* Starting an active timer restarts it. libuv counts from its cached loop time, which
     * is stale when a command is issued outside the loop: refresh it, or the timeout
     * fires early. */
    uv_update_time(p->timer.loop);
    uv_timer_start(&p->timer, redisLibuvTimeout, ms ? ms : 1, 0);
}

static void redisLibuvClosed(uv_handle_t *handle) {
    redisLibuvEvents *p = (redisLibuvEvents *)handle->data;
    if (--p->open_handles == 0)
        hi_free(p);
}

static void redisLibuvCleanup(void *privdata) {
    redisLibuvEvents *p = (redisLibuvEvents *)privdata;

    p->context = NULL; /* the context is being freed; a queued poll callback must skip it */
    uv_close((uv_handle_t *)&p->timer, redisLibuvClosed);
    uv_close((uv_handle_t *)&p->flush, redisLibuvClosed);
    uv_close((uv_handle_t *)&p->handle, redisLibuvClosed);
}

static int redisLibuvAttach(redisAsyncContext *ac, uv_loop_t *loop) {
    redisLibuvEvents *p;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    p = (redisLibuvEvents *)hi_calloc(1, sizeof(*p));
    if (p == NULL)
        return REDIS_ERR;
    if (uv_poll_init_socket(loop, &p->handle, ac->c.fd) != 0) {
        hi_free(p);
        return REDIS_ERR;
    }
    p->handle.data = p->timer.data = p->flush.data = p;
    if (uv_timer_init(loop, &p->timer) != 0) {
        /* The poll handle is registered with the loop: close it before freeing. */
        p->open_handles = 1;
        uv_close((uv_handle_t *)&p->handle, redisLibuvClosed);
        return REDIS_ERR;
    }
    if (uv_prepare_init(loop, &p->flush) != 0) {
        p->open_handles = 2;
        uv_close((uv_handle_t *)&p->timer, redisLibuvClosed);
        uv_close((uv_handle_t *)&p->handle, redisLibuvClosed);
        return REDIS_ERR;
    }
    p->open_handles = 3;
    p->context = ac;

    ac->ev.addRead = redisLibuvAddRead;
    ac->ev.delRead = redisLibuvDelRead;
    ac->ev.addWrite = redisLibuvAddWrite;
    ac->ev.delWrite = redisLibuvDelWrite;
    ac->ev.cleanup = redisLibuvCleanup;
    ac->ev.scheduleTimer = redisLibuvScheduleTimer;
    ac->ev.data = p;
    return REDIS_OK;
}

#endif /* __HIREDIS_LIBUV_H__ */
