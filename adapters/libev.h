/* hiredis-rs adapter for libev: drives a redisAsyncContext from an ev_loop.
 *
 *   redisLibevAttach(EV_DEFAULT_ ac);   // REDIS_ERR if ac already has an adapter
 *   ev_run(EV_DEFAULT_ 0);              // returns once the context is gone
 *
 * One io watcher per direction plus a timer watcher. Cleanup stops all three before
 * freeing, and stopping a watcher also drops it from libev's pending queue, so a
 * free from inside one of our callbacks cannot leave a stale callback behind. */
#ifndef __HIREDIS_LIBEV_H__
#define __HIREDIS_LIBEV_H__

#include <sys/types.h>
#include <ev.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisLibevEvents {
    redisAsyncContext *context;
    struct ev_loop *loop; /* NULL when libev is built without EV_MULTIPLICITY */
    int reading, writing;
    ev_io rev, wev;
    ev_timer timer;
} redisLibevEvents;

#if EV_MULTIPLICITY
#define REDIS_LIBEV_LOOP(e) struct ev_loop *loop = (e)->loop
#else
#define REDIS_LIBEV_LOOP(e) (void)(e)
#endif

static void redisLibevReadEvent(EV_P_ ev_io *w, int revents) {
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    redisAsyncHandleRead(((redisLibevEvents *)w->data)->context);
}

static void redisLibevWriteEvent(EV_P_ ev_io *w, int revents) {
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    redisAsyncHandleWrite(((redisLibevEvents *)w->data)->context);
}

static void redisLibevTimerEvent(EV_P_ ev_timer *w, int revents) {
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    redisAsyncHandleTimeout(((redisLibevEvents *)w->data)->context);
}

static void redisLibevAddRead(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    if (!e->reading) {
        e->reading = 1;
        ev_io_start(EV_A_ &e->rev);
    }
}

static void redisLibevDelRead(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    if (e->reading) {
        e->reading = 0;
        ev_io_stop(EV_A_ &e->rev);
    }
}

static void redisLibevAddWrite(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    if (!e->writing) {
        e->writing = 1;
        ev_io_start(EV_A_ &e->wev);
    }
}

static void redisLibevDelWrite(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    if (e->writing) {
        e->writing = 0;
        ev_io_stop(EV_A_ &e->wev);
    }
}

/* The library re-arms on every add hook, so the repeat value restarts the countdown:
 * the timer measures time without progress. Stale firings are harmless (the library
 * ignores a timeout while idle). libev counts from its cached loop time, which is stale
 * when a command is issued outside the loop (after other work): refresh it first, or
 * the timeout fires early. */
static void redisLibevScheduleTimer(void *privdata, struct timeval tv) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    e->timer.repeat = (ev_tstamp)tv.tv_sec + (ev_tstamp)tv.tv_usec / 1e6;
    ev_now_update(EV_A);
    ev_timer_again(EV_A_ &e->timer);
}

static void redisLibevCleanup(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);

    redisLibevDelRead(e);
    redisLibevDelWrite(e);
    ev_timer_stop(EV_A_ &e->timer);
    hi_free(e);
}

static int redisLibevAttach(EV_P_ redisAsyncContext *ac) {
    redisLibevEvents *e;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    e = (redisLibevEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
#if EV_MULTIPLICITY
    e->loop = loop;
#endif
    ev_io_init(&e->rev, redisLibevReadEvent, ac->c.fd, EV_READ);
    ev_io_init(&e->wev, redisLibevWriteEvent, ac->c.fd, EV_WRITE);
    ev_init(&e->timer, redisLibevTimerEvent);
    e->rev.data = e->wev.data = e->timer.data = e;

    ac->ev.addRead = redisLibevAddRead;
    ac->ev.delRead = redisLibevDelRead;
    ac->ev.addWrite = redisLibevAddWrite;
    ac->ev.delWrite = redisLibevDelWrite;
    ac->ev.cleanup = redisLibevCleanup;
    ac->ev.scheduleTimer = redisLibevScheduleTimer;
    ac->ev.data = e;
    return REDIS_OK;
}

#undef REDIS_LIBEV_LOOP
#endif /* __HIREDIS_LIBEV_H__ */
