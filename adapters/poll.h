/* hiredis-rs adapter for programs without an event loop: the caller ticks the context
 * itself (a game loop, a test), and each tick polls the socket once.
 *
 *   redisPollAttach(ac);                 // REDIS_ERR if ac already has an adapter
 *   while (!done) redisPollTick(ac, 0.1); // wait at most 100 ms per tick
 *
 * redisPollTick returns a bitmask of what it handled (REDIS_POLL_HANDLED_*), 0 when
 * nothing happened or no adapter is attached, and -1 when poll(2) itself failed.
 *
 * A tick first writes what the commands issued since the last one queued, without asking
 * poll(2) whether the socket has room; it polls for writability only while the socket is
 * full (a write that stopped short) or the connect is pending. At one command in flight a
 * tick is a send, one poll and a recv. */
#ifndef HIREDIS_POLL_H
#define HIREDIS_POLL_H

#include "../async.h"
#include "../sockcompat.h"
#include <errno.h>
#include <string.h> /* hiredis's poll.h brings it; programs may rely on that */
#include <time.h>
#include <sys/time.h>

#define REDIS_POLL_HANDLED_READ    1
#define REDIS_POLL_HANDLED_WRITE   2
#define REDIS_POLL_HANDLED_TIMEOUT 4

typedef struct redisPollEvents {
    redisAsyncContext *context;
    redisFD fd;
    char reading, writing;
    char blocked;  /* a write stopped short: wait for room before writing again */
    char flushing; /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
    char in_tick; /* redisPollTick is on the stack: cleanup must not free */
    char deleted; /* cleanup ran during the tick: the tick frees on its way out */
    double deadline; /* seconds on redisPollNow()'s clock; 0 = no timer */
} redisPollEvents;

/* A clock that never jumps, so a timeout cannot fire early or late on clock changes. */
static double redisPollNow(void) {
#ifdef CLOCK_MONOTONIC
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
    {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    }
}

/* timeout: seconds to wait at most; 0 polls without waiting, negative waits until an
 * event (or the armed timer) is due. */
static int redisPollTick(redisAsyncContext *ac, double timeout) {
    redisPollEvents *e = (redisPollEvents *)ac->ev.data;
    struct pollfd pfd;
    int handled = 0, n, wait_ms;
    char reading, writing;

    if (e == NULL)
        return 0;
    e->in_tick = 1;
    /* The commands queued since the last tick: written before polling. */
    if (e->writing && !e->blocked && (ac->c.flags & REDIS_CONNECTED)) {
        e->flushing = 1;
        redisAsyncHandleWrite(ac);
        handled |= REDIS_POLL_HANDLED_WRITE;
        if (e->deleted) {
            hi_free(e);
            return handled;
        }
        e->flushing = 0;
    }
    /* Snapshot the interest set: the callbacks below may change it. Writing is still wanted
     * only when the socket is full or the connect is pending. */
    reading = e->reading;
    writing = e->writing;
    if (!reading && !writing) {
        e->in_tick = 0;
        return handled;
    }

    /* Never sleep past an armed timer. */
    if (e->deadline != 0.0) {
        double left = e->deadline - redisPollNow();
        if (left < 0.0) left = 0.0;
        if (timeout < 0.0 || left < timeout) timeout = left;
    }
    if (timeout < 0.0)
        wait_ms = -1;
    else if (timeout > 2000000.0)
        wait_ms = 2000000000; /* keep the conversion in range */
    else
        wait_ms = (int)(timeout * 1000.0 + 0.999);

    pfd.fd = e->fd;
    pfd.events = (short)((reading ? POLLIN : 0) | (writing ? POLLOUT : 0));
    pfd.revents = 0;
    n = poll(&pfd, 1, wait_ms);
    if (n < 0) {
        e->in_tick = 0;
        if (errno != EINTR)
            return -1;
        n = 0;
    }

    e->in_tick = 1;
    if (n > 0) {
        /* A hang-up or error reads as readable (the read finds EOF or the error) and, for
         * a pending connect, as writable (that is how a failed connect shows up). */
        if (reading && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            redisAsyncHandleRead(ac);
            handled |= REDIS_POLL_HANDLED_READ;
        }
        if (writing && !e->deleted && e->writing &&
            (pfd.revents & (POLLOUT | POLLHUP | POLLERR))) {
            e->blocked = 0;
            e->flushing = 1;
            redisAsyncHandleWrite(ac);
            e->flushing = 0; /* e lives until the end of the tick */
            handled |= REDIS_POLL_HANDLED_WRITE;
        }
    }
    if (!e->deleted && e->deadline != 0.0 && redisPollNow() >= e->deadline) {
        e->deadline = 0.0; /* one-shot: the library re-arms on its next add hook */
        redisAsyncHandleTimeout(ac);
        handled |= REDIS_POLL_HANDLED_TIMEOUT;
    }

    if (e->deleted)
        hi_free(e);
    else
        e->in_tick = 0;
    return handled;
}

static void redisPollAddRead(void *data) { ((redisPollEvents *)data)->reading = 1; }
static void redisPollDelRead(void *data) { ((redisPollEvents *)data)->reading = 0; }
/* From inside our own write, an addWrite means the write stopped short. */
static void redisPollAddWrite(void *data) {
    redisPollEvents *e = (redisPollEvents *)data;
    e->writing = 1;
    if (e->flushing)
        e->blocked = 1;
}

static void redisPollDelWrite(void *data) {
    redisPollEvents *e = (redisPollEvents *)data;
    e->writing = e->blocked = 0;
}

static void redisPollScheduleTimer(void *data, struct timeval tv) {
    redisPollEvents *e = (redisPollEvents *)data;
    e->deadline = redisPollNow() + (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void redisPollCleanup(void *data) {
    redisPollEvents *e = (redisPollEvents *)data;
    e->reading = e->writing = 0;
    if (e->in_tick)
        e->deleted = 1; /* redisPollTick still reads e */
    else
        hi_free(e);
}

static int redisPollAttach(redisAsyncContext *ac) {
    redisPollEvents *e;

    if (ac->ev.data != NULL)
        return REDIS_ERR; /* one adapter per context */

    e = (redisPollEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    e->fd = ac->c.fd;

    ac->ev.addRead = redisPollAddRead;
    ac->ev.delRead = redisPollDelRead;
    ac->ev.addWrite = redisPollAddWrite;
    ac->ev.delWrite = redisPollDelWrite;
    ac->ev.cleanup = redisPollCleanup;
    ac->ev.scheduleTimer = redisPollScheduleTimer;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif /* HIREDIS_POLL_H */
