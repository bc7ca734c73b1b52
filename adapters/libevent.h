/* hiredis-rs adapter for libevent 2: drives a redisAsyncContext from an event_base.
 *
 *   redisLibeventAttach(ac, base);   // REDIS_ERR if ac already has an adapter
 *   event_base_dispatch(base);       // returns once the context is gone
 *
 * Four events: the socket's read event, added on the first addRead and kept for the
 * connection's life; its write event, added only while the socket is full (a write that
 * stopped short) or the connect is pending; a "flush" event that is never added but made
 * active by addWrite, so the commands issued while the loop runs callbacks leave together
 * in one write right after the current callback, without a readiness check or an
 * epoll_ctl; and the timer. At one command in flight that is a send, one epoll_wait and a
 * recv per command. */
#ifndef __HIREDIS_LIBEVENT_H__
#define __HIREDIS_LIBEVENT_H__

#include <event2/event.h>
#include "../hiredis.h"
#include "../async.h"

/* state bits */
#define REDIS_LIBEVENT_DELETED 0x01 /* cleanup ran while a handler was on the stack */
#define REDIS_LIBEVENT_ENTERED 0x02 /* a handler is on the stack */

typedef struct redisLibeventEvents {
    redisAsyncContext *context;
    struct event *rev, *wev, *flush, *timer;
    struct event_base *base;
    short state;
    char reading;  /* rev added */
    char writing;  /* wev added */
    char flushing; /* inside redisAsyncHandleWrite: an addWrite means the write stopped short */
} redisLibeventEvents;

/* Marks a handler on the stack; returns the previous state bit for redisLibeventLeave. */
static short redisLibeventEnter(redisLibeventEvents *e) {
    short was = (short)(e->state & REDIS_LIBEVENT_ENTERED);
    e->state |= REDIS_LIBEVENT_ENTERED;
    return was;
}

/* Returns 1 (and releases e when this is the outermost handler) when cleanup ran under
 * us: the caller must not touch e again. */
static int redisLibeventLeave(redisLibeventEvents *e, short was) {
    if (e->state & REDIS_LIBEVENT_DELETED) {
        if (!was)
            hi_free(e);
        return 1;
    }
    e->state = (short)((e->state & ~REDIS_LIBEVENT_ENTERED) | was);
    return 0;
}

static void redisLibeventReadHandler(evutil_socket_t fd, short what, void *arg) {
    redisLibeventEvents *e = (redisLibeventEvents *)arg;
    short was = redisLibeventEnter(e);
    (void)fd;
    (void)what;

    redisAsyncHandleRead(e->context);
    redisLibeventLeave(e, was);
}

/* The write event and the flush event: write what the context holds. */
static void redisLibeventWriteHandler(evutil_socket_t fd, short what, void *arg) {
    redisLibeventEvents *e = (redisLibeventEvents *)arg;
    short was;
    (void)fd;

    /* A flush while the write event waits for room would only find the socket full. */
    if (what != EV_WRITE && e->writing)
        return;
    was = redisLibeventEnter(e);
    e->flushing = 1;
    redisAsyncHandleWrite(e->context);
    if (redisLibeventLeave(e, was))
        return;
    e->flushing = 0;
}

static void redisLibeventTimerHandler(evutil_socket_t fd, short what, void *arg) {
    redisLibeventEvents *e = (redisLibeventEvents *)arg;
    short was = redisLibeventEnter(e);
    (void)fd;
    (void)what;

    redisAsyncHandleTimeout(e->context);
    redisLibeventLeave(e, was);
}

static void redisLibeventAddRead(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    if (!e->reading) {
        e->reading = 1;
        event_add(e->rev, NULL);
    }
}

static void redisLibeventDelRead(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    if (e->reading) {
        e->reading = 0;
        event_del(e->rev);
    }
}

static void redisLibeventArmWrite(redisLibeventEvents *e) {
    if (!e->writing) {
        e->writing = 1;
        event_add(e->wev, NULL);
    }
}

/* A command (or a write that stopped short): while connected and not inside our own write,
 * the write happens once the running callbacks are done; otherwise wait for room. */
static void redisLibeventAddWrite(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    if (e->flushing || !(e->context->c.flags & REDIS_CONNECTED))
        redisLibeventArmWrite(e);
    else if (!e->writing)
        event_active(e->flush, EV_TIMEOUT, 1); /* once, however many commands */
}

static void redisLibeventDelWrite(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    if (e->writing) {
        e->writing = 0;
        event_del(e->wev);
    }
}

/* Adding a pending timer again restarts it from now; no system call. */
static void redisLibeventScheduleTimer(void *privdata, struct timeval tv) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    event_add(e->timer, &tv);
}

static void redisLibeventFreeEvents(redisLibeventEvents *e) {
    /* event_free also deletes the event and drops it from the active queue. */
    if (e->rev) event_free(e->rev);
    if (e->wev) event_free(e->wev);
    if (e->flush) event_free(e->flush);
    if (e->timer) event_free(e->timer);
    e->rev = e->wev = e->flush = e->timer = NULL;
}

static void redisLibeventCleanup(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;

    if (e == NULL)
        return;
    redisLibeventFreeEvents(e);
    e->reading = e->writing = 0;
    /* Inside a handler the handler still reads e: let it free e on the way out. */
    if (e->state & REDIS_LIBEVENT_ENTERED)
        e->state |= REDIS_LIBEVENT_DELETED;
    else
        hi_free(e);
}

static int redisLibeventAttach(redisAsyncContext *ac, struct event_base *base) {
    redisLibeventEvents *e;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    e = (redisLibeventEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    e->base = base;
    e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, redisLibeventReadHandler, e);
    e->wev = event_new(base, ac->c.fd, EV_WRITE | EV_PERSIST, redisLibeventWriteHandler, e);
    e->flush = event_new(base, -1, 0, redisLibeventWriteHandler, e);
    e->timer = evtimer_new(base, redisLibeventTimerHandler, e);
    if (e->rev == NULL || e->wev == NULL || e->flush == NULL || e->timer == NULL) {
        redisLibeventFreeEvents(e);
        hi_free(e);
        return REDIS_ERR;
    }

    ac->ev.addRead = redisLibeventAddRead;
    ac->ev.delRead = redisLibeventDelRead;
    ac->ev.addWrite = redisLibeventAddWrite;
    ac->ev.delWrite = redisLibeventDelWrite;
    ac->ev.cleanup = redisLibeventCleanup;
    ac->ev.scheduleTimer = redisLibeventScheduleTimer;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif /* __HIREDIS_LIBEVENT_H__ */
