/* hiredis-rs adapter for libevent 2: drives a redisAsyncContext from an event_base.
 *
 *   redisLibeventAttach(ac, base);   // REDIS_ERR if ac already has an adapter
 *   event_base_dispatch(base);       // returns once the context is gone
 *
 * One persistent event carries both directions plus the command/connect timer; its
 * interest set is rebuilt whenever the library adds or removes a direction. */
#ifndef __HIREDIS_LIBEVENT_H__
#define __HIREDIS_LIBEVENT_H__

#include <event2/event.h>
#include "../hiredis.h"
#include "../async.h"

/* state bits */
#define REDIS_LIBEVENT_DELETED 0x01 /* cleanup ran while the handler was on the stack */
#define REDIS_LIBEVENT_ENTERED 0x02 /* the handler is on the stack */

typedef struct redisLibeventEvents {
    redisAsyncContext *context;
    struct event *ev;
    struct event_base *base;
    struct timeval tv;  /* timer period; all zero = no timer */
    short flags;        /* EV_READ / EV_WRITE currently wanted */
    short state;
} redisLibeventEvents;

/* Returns 1 (and releases e) when cleanup ran under us: the caller must not touch e again. */
static int redisLibeventGone(redisLibeventEvents *e) {
    if (e->state & REDIS_LIBEVENT_DELETED) {
        hi_free(e);
        return 1;
    }
    return 0;
}

static void redisLibeventHandler(evutil_socket_t fd, short what, void *arg) {
    redisLibeventEvents *e = (redisLibeventEvents *)arg;
    (void)fd;

    e->state |= REDIS_LIBEVENT_ENTERED;
    if (what & EV_TIMEOUT) {
        redisAsyncHandleTimeout(e->context);
        if (redisLibeventGone(e)) return;
    }
    /* Each step re-checks the interest set: the previous step may have dropped it. */
    if ((what & EV_READ) && (e->flags & EV_READ)) {
        redisAsyncHandleRead(e->context);
        if (redisLibeventGone(e)) return;
    }
    if ((what & EV_WRITE) && (e->flags & EV_WRITE)) {
        redisAsyncHandleWrite(e->context);
        if (redisLibeventGone(e)) return;
    }
    e->state &= ~REDIS_LIBEVENT_ENTERED;
}

/* Re-registers the event with the current interest set and timer. */
static void redisLibeventArm(redisLibeventEvents *e) {
    const struct timeval *tv = (e->tv.tv_sec || e->tv.tv_usec) ? &e->tv : NULL;

    event_del(e->ev);
    if (e->flags == 0 && tv == NULL)
        return;
    event_assign(e->ev, e->base, e->context->c.fd, e->flags | EV_PERSIST,
                 redisLibeventHandler, e);
    event_add(e->ev, tv);
}

static void redisLibeventSet(void *privdata, short flag, int on) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;
    short want = on ? (short)(e->flags | flag) : (short)(e->flags & ~flag);

    if (want == e->flags)
        return; /* add/del hooks must be idempotent */
    e->flags = want;
    redisLibeventArm(e);
}

static void redisLibeventAddRead(void *privdata) { redisLibeventSet(privdata, EV_READ, 1); }
static void redisLibeventDelRead(void *privdata) { redisLibeventSet(privdata, EV_READ, 0); }
static void redisLibeventAddWrite(void *privdata) { redisLibeventSet(privdata, EV_WRITE, 1); }
static void redisLibeventDelWrite(void *privdata) { redisLibeventSet(privdata, EV_WRITE, 0); }

static void redisLibeventScheduleTimer(void *privdata, struct timeval tv) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;

    e->tv = tv;
    redisLibeventArm(e); /* event_add restarts the timeout from now */
}

static void redisLibeventCleanup(void *privdata) {
    redisLibeventEvents *e = (redisLibeventEvents *)privdata;

    if (e == NULL)
        return;
    event_free(e->ev); /* also deletes it; safe from inside its own callback */
    e->ev = NULL;
    e->flags = 0;
    /* Inside our handler the handler still reads e: let it free e on the way out. */
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
    e->ev = event_new(base, ac->c.fd, EV_READ | EV_WRITE, redisLibeventHandler, e);
    if (e->ev == NULL) {
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
