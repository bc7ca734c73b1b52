/* hiredis-rs adapter for libev: drives a redisAsyncContext from an ev_loop.
 *
 *   redisLibevAttach(EV_DEFAULT_ ac);   // REDIS_ERR if ac already has an adapter
 *   ev_run(EV_DEFAULT_ 0);              // returns once the context is gone
 *
 * The read watcher starts on the first addRead and stays for the connection's life. A
 * command starts an ev_prepare watcher instead of the write watcher: before the loop next
 * blocks, it writes everything the iteration's callbacks queued in one go, with no
 * readiness check. The write watcher runs only while the socket is full (a write that
 * stopped short) or the connect is pending. At one command in flight that is a send, one
 * epoll_wait and a recv per command. Cleanup stops every watcher (which also drops it from
 * libev's pending queue); a cleanup from inside one of our handlers leaves the freeing to
 * that handler. */
#ifndef __HIREDIS_LIBEV_H__
#define __HIREDIS_LIBEV_H__

#include <stdlib.h> /* hiredis's libev.h brings it; programs may rely on that */
#include <sys/types.h>
#include <ev.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisLibevEvents {
    redisAsyncContext *context;
    struct ev_loop *loop; /* NULL when libev is built without EV_MULTIPLICITY */
    int reading, writing; /* rev / wev started */
    int entered;          /* handlers on the stack */
    int deleted;          /* cleanup ran under one: the outermost frees */
    int flushing;         /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
    ev_io rev, wev;
    ev_prepare flush;     /* started by addWrite, runs before the loop blocks */
    ev_timer timer;
} redisLibevEvents;

#if EV_MULTIPLICITY
#define REDIS_LIBEV_LOOP(e) struct ev_loop *loop = (e)->loop
#else
#define REDIS_LIBEV_LOOP(e) (void)(e)
#endif

/* Returns 1 when cleanup ran inside the handler being left (e is then gone or about to be). */
static int redisLibevLeave(redisLibevEvents *e) {
    if (--e->entered == 0 && e->deleted) {
        hi_free(e);
        return 1;
    }
    return e->deleted;
}

static void redisLibevReadEvent(EV_P_ ev_io *w, int revents) {
    redisLibevEvents *e = (redisLibevEvents *)w->data;
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    e->entered++;
    redisAsyncHandleRead(e->context);
    redisLibevLeave(e);
}

static void redisLibevWrite(redisLibevEvents *e) {
    e->entered++;
    e->flushing = 1;
    redisAsyncHandleWrite(e->context);
    if (!redisLibevLeave(e))
        e->flushing = 0;
}

static void redisLibevWriteEvent(EV_P_ ev_io *w, int revents) {
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    redisLibevWrite((redisLibevEvents *)w->data);
}

/* Before the loop blocks: write what the commands of this iteration queued, in one go. */
static void redisLibevFlushEvent(EV_P_ ev_prepare *w, int revents) {
    redisLibevEvents *e = (redisLibevEvents *)w->data;
    (void)revents;
    ev_prepare_stop(EV_A_ w);
    if (!e->writing) /* else the socket is full and wev waits for room */
        redisLibevWrite(e);
}

static void redisLibevTimerEvent(EV_P_ ev_timer *w, int revents) {
    redisLibevEvents *e = (redisLibevEvents *)w->data;
#if EV_MULTIPLICITY
    (void)loop;
#endif
    (void)revents;
    e->entered++;
    redisAsyncHandleTimeout(e->context);
    redisLibevLeave(e);
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

/* A command: written before the loop next blocks. A write that stopped short (addWrite
 * from inside our own write) or a pending connect: wait for room. */
static void redisLibevAddWrite(void *privdata) {
    redisLibevEvents *e = (redisLibevEvents *)privdata;
    REDIS_LIBEV_LOOP(e);
    if (e->flushing || !(e->context->c.flags & REDIS_CONNECTED)) {
        if (!e->writing) {
            e->writing = 1;
            ev_io_start(EV_A_ &e->wev);
        }
    } else if (!e->writing && !ev_is_active(&e->flush)) {
        ev_prepare_start(EV_A_ &e->flush);
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
    ev_prepare_stop(EV_A_ &e->flush);
    ev_timer_stop(EV_A_ &e->timer);
    if (e->entered)
        e->deleted = 1; /* a handler still reads e: it frees e on its way out */
    else
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
    ev_prepare_init(&e->flush, redisLibevFlushEvent);
    ev_init(&e->timer, redisLibevTimerEvent);
    e->rev.data = e->wev.data = e->flush.data = e->timer.data = e;

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
